"""The command line: options from the Config table, errors without tracebacks, saved runs."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image
from test_untrusted_input import CRASHING_FILES

from playground import DATASETS, FIELDS, Config, train
from playground.cli import Progress, build_parser, config_from_args, main
from playground.config import ConfigError
from playground.draw import figures, raster

MOONS = Config(dataset="moons", hidden=(8,), epochs=5, optimizer="adam")


def python_m_playground(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


def parse(*args: str) -> Config:
    return config_from_args(build_parser().parse_args(["train", *args]))


def test_train_prints_the_librarys_metrics_and_saves_the_run(tmp_path):
    out = tmp_path / "run"
    done = python_m_playground("train", "--dataset", "moons", "--hidden", "8", "--epochs", "5",
                               "--optimizer", "adam", "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert "epoch 5/5 [" in done.stderr  # the progress bar
    metrics = json.loads(done.stdout)
    run = train(MOONS)
    assert metrics.pop("status") == "finished"
    assert metrics.pop("seconds") > 0
    assert metrics == {k: v for k, v in run.last.items() if k != "seconds"}

    with open(out / "history.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == list(run.history) and len(rows) == 1 + 6  # header, epochs 0..5
    assert [float(v) for v in rows[-1][1:5]] == [run.history[k][-1] for k in rows[0][1:5]]

    state = torch.load(out / "weights.pt", weights_only=True)
    run.model.load_state_dict(state, strict=True)  # same layout: every key, every shape
    for key, value in run.model.state_dict().items():
        torch.testing.assert_close(state[key], value, rtol=0, atol=0)

    assert Config.from_json((out / "config.json").read_text()) == MOONS
    compile((out / "script.py").read_text(), "script.py", "exec")

    # The figures: the boundary is the page's main view of this model, pixel for pixel.
    np.testing.assert_array_equal(np.asarray(Image.open(out / "model.png").convert("RGB")),
                                  np.asarray(figures.main_view(run).convert("RGB")))
    for name in ("loss.png", "accuracy.png"):
        assert Image.open(out / name).size == (raster.WIDTH, raster.HEIGHT)


def test_bad_value_names_the_field_without_a_traceback():
    done = python_m_playground("train", "--lr", "abc")
    assert done.returncode == 2
    assert "lr" in done.stderr and "'abc'" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_bad_values_in_process(capsys):
    assert main(["train", "--hidden", "8,x", "--activation", "nope"]) == 2
    err = capsys.readouterr().err
    assert "- hidden:" in err and "- activation:" in err and "one of relu" in err
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--no-such-option", "1"])  # argparse's own errors: also status 2
    assert exit_.value.code == 2


def test_help_lists_every_config_field(capsys):
    for argv in (["train", "--help"], ["--help"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
        text = capsys.readouterr().out
        for name in FIELDS:
            assert (f"--{name}" if argv[0] == "train" else name) in text, (argv, name)
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "--batch-size" in text and "default 10" in text and "from 1e-05 to 10" in text


def test_datasets_lists_every_dataset(capsys):
    assert main(["datasets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(DATASETS)
    assert all(spec.help in line for spec, line in zip(DATASETS.values(), lines, strict=True))


def test_options_use_the_url_syntax():
    assert parse("--batch-size", "16") == parse("--batch_size", "16") == Config(batch_size=16)
    assert parse("--hidden", "") == Config(hidden=())
    assert parse("--hidden", "8,8", "--features", "x1,x2,x1x2") == Config(
        hidden=(8, 8), features=("x1", "x2", "x1x2"))
    assert parse("--batchnorm", "--standardize", "false") == Config(batchnorm=True,
                                                                    standardize=False)
    assert parse("--lr", "1e-3", "--epochs", "7") == Config(lr=0.001, epochs=7)


def test_config_file_with_options_on_top(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(Config(dataset="xor", hidden=(3,), lr=0.1, noise=0.2).to_json())
    assert parse("--config", str(path), "--lr", "0.5") == Config(dataset="xor", hidden=(3,),
                                                                 lr=0.5, noise=0.2)
    path.write_text('{"dataset": "xor", "warp": 9}')
    with pytest.raises(ConfigError, match="warp"):
        parse("--config", str(path))
    with pytest.raises(ConfigError, match="cannot read"):
        parse("--config", str(tmp_path / "missing.json"))


def test_a_tf_playground_link_with_options_on_top(capsys):
    link = ("https://playground.tensorflow.org/#activation=relu&batchSize=5&dataset=xor"
            "&networkShape=6&seed=0.5&wibble=1")
    assert parse("--tfplayground", link, "--epochs", "7") == Config.from_tfplayground(link)[
        0].replace(epochs=7)
    err = capsys.readouterr().err
    assert "not the same here: wibble=1: not a TF Playground setting" in err
    assert main(["train", "--tfplayground", "#learningRate=fast", "--quiet"]) == 2
    assert "learningRate" in capsys.readouterr().err


def test_bad_config_files_exit_2_with_a_message(tmp_path, capsys):
    files = {**CRASHING_FILES, "not UTF-8": '{"dataset": "café"}'.encode("latin-1"),
             "too large": b"{" + b" " * 30_000 + b"}"}
    for i, (name, raw) in enumerate(files.items()):
        path = tmp_path / f"setup{i}.json"
        path.write_bytes(raw)
        assert main(["train", "--config", str(path), "--quiet"]) == 2, name
        err = capsys.readouterr().err
        assert f"- {path}: " in err and "Traceback" not in err, (name, err)
    path = tmp_path / "deep.json"
    path.write_bytes(CRASHING_FILES["5,000 nested lists"])
    done = python_m_playground("train", "--config", str(path))
    assert done.returncode == 2 and "nested too deeply" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_human_readable_final_line_and_quiet(capsys):
    assert main(["train", "--dataset", "xor", "--epochs", "3", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("final: epoch 3 train_loss ") and "test_acc" in captured.out


def test_diverged_run_prints_the_message_and_exits_1(capsys):
    argv = ["train", "--dataset", "plane", "--n_samples", "400", "--hidden", "16,16",
            "--activation", "relu", "--lr", "10", "--batch_size", "10", "--epochs", "50"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "diverged" in captured.err and "learning rate" in captured.err
    assert captured.out == ""


class FakeRun:
    task = "binary"

    def __init__(self, epoch: int):
        self.epoch = epoch
        self.history = {"train_loss": [0.5], "test_acc": [0.75]}


def test_progress_bar_redraws_in_place_at_most_ten_times_a_second(monkeypatch):
    clock = iter([0.0, 0.01, 0.02, 0.5, 0.51])
    monkeypatch.setattr("playground.cli.time.monotonic", lambda: next(clock))
    stream = io.StringIO()
    progress = Progress(5, stream, width=10)
    for epoch in range(1, 6):
        progress(FakeRun(epoch))
    progress.close()
    frames = stream.getvalue().split("\r")[1:]
    assert frames[0] == "epoch 1/5 [##........] loss 0.5 test_acc 0.75"
    assert [f.split()[1] for f in frames] == ["1/5", "4/5", "5/5"]  # 2, 3 within 0.1 s: skipped
    assert frames[-1].startswith("epoch 5/5 [##########]") and frames[-1].endswith("\n")


def test_early_stop_says_which_weights_the_model_holds(capsys):
    argv = ["train", "--dataset", "circle", "--n_samples", "120", "--noise", "0.3", "--hidden",
            "64,64", "--activation", "relu", "--optimizer", "adam", "--lr", "0.01",
            "--batch_size", "10", "--epochs", "60", "--patience", "5", "--quiet"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "were put back" in captured.err or "put back" in captured.err, captured.err
    assert '"status"' not in captured.out and captured.out.startswith("final: epoch ")
