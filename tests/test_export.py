"""Exported scripts: standalone, readable, and they reach the playground's own numbers."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import subprocess
import sys

import pytest
import torch

from playground import (
    DATASETS,
    FEATURES,
    INITS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    Config,
    export,
    train,
)
from playground.export import loss_expression, to_script

# Run as real subprocesses (a fresh interpreter, cwd a temporary folder), all started at once.
SUBPROCESS_CASES = {
    "moons_adam": Config(dataset="moons", n_samples=1000, noise=0.2, test_fraction=0.2,
                         hidden=(16, 16), activation="relu", optimizer="adam", lr=0.01,
                         batch_size=32, epochs=20),
    "blobs_momentum_decay_step": Config(dataset="blobs", n_classes=4, n_samples=400, noise=0.3,
                                        hidden=(8,), optimizer="momentum", lr=0.05,
                                        weight_decay=0.01, schedule="step", step_size=5,
                                        gamma=0.5, epochs=15, seed=3),
    "plane_huber_clip": Config(dataset="plane", n_samples=400, noise=0.1, hidden=(8, 8),
                               loss="huber", optimizer="sgd", lr=0.05, clip=0.5, batch_size=16,
                               epochs=15),
    "xor_no_hidden_layer": Config(dataset="xor", n_samples=300, hidden=(), optimizer="adam",
                                  lr=0.03, epochs=15),
    # 201 training points in batches of 25: the trailing batch of one is skipped
    "spiral_features_batchnorm": Config(dataset="spiral", n_samples=402, noise=0.1,
                                        features=tuple(FEATURES), hidden=(8, 8), batchnorm=True,
                                        init="kaiming", optimizer="adamw", weight_decay=0.05,
                                        l1=0.001, lr=0.01, schedule="cosine", batch_size=25,
                                        epochs=15),
    "digits_300": Config(dataset="digits", n_samples=300, hidden=(32,), activation="relu",
                         init="xavier", optimizer="adam", lr=0.003, batch_size=32, epochs=10),
}

# Run in this process (fast), for the optimizers, losses and data kinds not covered above.
IN_PROCESS_CASES = [
    dict(dataset="circle", optimizer="nesterov", lr=0.1, activation="sigmoid", weight_decay=0.01),
    dict(dataset="moons", optimizer="rmsprop", lr=0.003, loss="bce", activation="gelu", l1=0.01),
    dict(dataset="gauss", optimizer="adagrad", lr=0.1, loss="hinge", activation="elu", clip=1.0),
    dict(dataset="spirals", n_classes=4, loss="mse", optimizer="adam", lr=0.01, batchnorm=True,
         batch_size=7),
    dict(dataset="steps", loss="hinge", optimizer="sgd", lr=0.5, hidden=(), batch_size=1000),
    dict(dataset="multigauss", loss="l1", optimizer="adam", lr=0.01, standardize=False),
    dict(dataset="sine", activation="silu", init="xavier", optimizer="momentum", lr=0.01),
    dict(dataset="teacher", n_samples=400, activation="leaky_relu", optimizer="adamw", lr=0.01,
         schedule="step", step_size=2),
    dict(dataset="checkerboard", noise=0.2, loss="l1", activation="identity", init="kaiming"),
    # TF Playground's own points (its generator, copied), and a seed that needs escaping
    dict(dataset="spiral", tf_seed="0.77777", noise=0.1, standardize=False,
         features=("x1", "x2", "x1sq", "x2sq", "x1x2", "sin_x1", "sin_x2")),
    dict(dataset="plane", tf_seed='say "hi" \\ 🌱', noise=0.2),
    # TF Playground's training rules: its weights from its stream, its loss, its fixed order
    # with 300 * 0.5 % 7 = 3 points carried into the next epoch, its L1 clamp, float64
    dict(dataset="circle", tf_seed="0.24680", hidden=(2, 2, 2), init="tfplayground",
         loss="square", order="fixed", l1=0.003, l1_clamp=True, precision="float64",
         standardize=False, batch_size=7, epochs=6),
    dict(dataset="plane", tf_seed="0.60606", init="tfplayground", loss="square", order="fixed",
         precision="float64", noise=0.2, weight_decay=0.01),
    dict(dataset="moons", init="zeros", order="fixed", l1=0.01, l1_clamp=True, optimizer="adam",
         lr=0.01),
]

FINAL = re.compile(r"(\w+) (-?[\d.]+(?:e[-+]?\d+)?|nan|inf)")


def final_metrics(stdout: str) -> dict[str, float]:
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("final: "), stdout[-2000:]
    return {k: float(v) for k, v in FINAL.findall(last.removeprefix("final: "))}


def assert_same_as_library(metrics: dict[str, float], config: Config, tol: float) -> None:
    final = train(config).final  # the held weights' row: after early stopping, the best epoch's
    assert metrics["epoch"] == final["epoch"] <= config.epochs
    expected = {k: v for k, v in final.items()
                if k not in ("lr", "steps", "seconds") and "_norm/" not in k}
    assert set(metrics) == set(expected)
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, abs=tol), key


@pytest.fixture(scope="module")
def script_runs(tmp_path_factory):
    """Start every subprocess case at once; each test waits for its own."""
    procs = {}
    for name, config in SUBPROCESS_CASES.items():
        folder = tmp_path_factory.mktemp(name)
        (folder / "script.py").write_text(to_script(config))
        procs[name] = subprocess.Popen([sys.executable, "script.py"], cwd=folder, text=True,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    yield procs
    for proc in procs.values():
        proc.kill()
        proc.communicate()


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_script_reaches_the_librarys_final_metrics(script_runs, name):
    stdout, stderr = script_runs[name].communicate(timeout=120)
    assert script_runs[name].returncode == 0, stderr
    tol = 1e-3 if name == "digits_300" else 1e-4  # 64 inputs: more float noise accumulates
    assert_same_as_library(final_metrics(stdout), SUBPROCESS_CASES[name], tol)


def run_in_process(script: str) -> str:
    threads = torch.get_num_threads()
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(script, "script.py", "exec"), {"__name__": "__main__"})
    finally:
        torch.set_num_threads(threads)  # the script sets one thread for small networks
    return out.getvalue()


@pytest.mark.parametrize("changes", IN_PROCESS_CASES, ids=lambda d: d["dataset"])
def test_script_matches_for_other_optimizers_losses_and_data(changes):
    config = Config(**{"n_samples": 300, "hidden": (6, 5), "epochs": 4, **changes})
    assert_same_as_library(final_metrics(run_in_process(to_script(config))), config, 1e-4)


def imported_modules(script: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_dataset_exports_a_standalone_script(dataset):
    config = Config(dataset=dataset, n_samples=300)
    script = to_script(config)
    compile(script, "script.py", "exec")
    assert "import playground" not in script
    assert not re.search(r"^\s*from playground", script, re.MULTILINE)
    allowed = {"math", "functools", "numpy", "torch"} | ({"sklearn"} if dataset == "digits" else set())
    assert imported_modules(script) <= allowed
    assert f"def {DATASETS[dataset].make.__name__}(" in script  # the library's generator, copied


def test_every_init_optimizer_and_schedule_compiles():
    for init in INITS:
        for optimizer in OPTIMIZERS:
            for schedule in SCHEDULES:
                config = Config(init=init, optimizer=optimizer, schedule=schedule,
                                weight_decay=0.01, dropout=0.1, l1=0.01, clip=1.0)
                compile(to_script(config), "script.py", "exec")


@pytest.mark.parametrize("loss", [name for name in LOSSES if name != "auto"])
def test_loss_expressions_equal_the_library_losses(loss):
    g = torch.Generator().manual_seed(0)
    targets = {"binary": torch.randint(0, 2, (9, 1), generator=g).float(),
               "multiclass": torch.randint(0, 4, (9,), generator=g),
               "regression": torch.randn(9, 1, generator=g)}
    for task in LOSSES[loss].tasks:
        out = torch.randn(9, 4 if task == "multiclass" else 1, generator=g)
        _, expression = loss_expression(loss, task)
        ours = eval(expression, {"F": torch.nn.functional, "torch": torch, "out": out,
                                 "y": targets[task]})
        assert ours.item() == LOSSES[loss].value(out, targets[task], task).item(), (loss, task)


def test_script_reads_as_a_lesson():
    script = to_script(SUBPROCESS_CASES["moons_adam"])
    for section in ("Data", "Features & standardization", "Model", "Loss", "Optimizer",
                    "Evaluation", "Training"):
        assert f"# ---- {section}" in script
    assert "nn.Sequential(" in script and "torch.optim.Adam(" in script
    assert "loss.backward()" in script and "optimizer.step()" in script
    assert "def _init_default(" in script  # the library's init, copied
    dropout = to_script(SUBPROCESS_CASES["moons_adam"].replace(dropout=0.2))
    assert "nn.Dropout(DROPOUT)" in dropout and "differ" in dropout


def test_numpy_engine_cannot_be_exported():
    config = Config(dataset="moons", hidden=(8,))
    object.__setattr__(config, "engine", "numpy")  # works with or without an `engine` field
    with pytest.raises(ValueError, match="engine"):
        to_script(config)


def test_settings_the_exporter_does_not_know_are_refused(monkeypatch):
    # As if `l1` were a new Config field that export.py has not learned to write out yet.
    monkeypatch.setattr(export, "_KNOWN", export._KNOWN - {"l1"})
    compile(to_script(Config()), "script.py", "exec")  # at its default it changes nothing
    with pytest.raises(ValueError, match="l1"):
        to_script(Config(l1=0.01))


def test_script_stops_early_where_the_library_does():
    # A wide net on a small noisy set overfits: its test loss turns up within a few epochs.
    config = Config(dataset="circle", n_samples=120, noise=0.3, hidden=(64, 64),
                    activation="relu", optimizer="adam", lr=0.01, batch_size=10, epochs=60,
                    patience=5)
    run = train(config)
    assert run.status == "early_stopped" and run.epoch < 60
    stdout = run_in_process(to_script(config))
    assert f"early stop in epoch {run.epoch}: no better test loss since epoch {run.best_epoch}" \
        in stdout
    assert_same_as_library(final_metrics(stdout), config, 1e-4)
