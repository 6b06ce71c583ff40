"""'Bring your own data' on the page, through AppTest (its file_uploader takes bytes).

A good file becomes this session's dataset and the model starts again on it; every bad one
shows an error and leaves the data, the model and its training where they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from app_utils import assert_ok, frame, job, open_page, train
from streamlit.testing.v1 import AppTest

from playground import DATASETS, userdata

BUILT_IN = tuple(DATASETS)


@pytest.fixture(autouse=True)
def clean_registry():
    yield
    userdata.forget_all()  # AppTest runs the app in this process: its uploads registered here
    assert tuple(DATASETS) == BUILT_IN






def upload(at: AppTest, name: str, raw: bytes, target: str | None = None,
           task: str | None = None, use: bool = True) -> AppTest:
    at.file_uploader(key="upload_data").set_value((name, raw, "text/csv")).run()
    assert_ok(at)
    if target is not None:
        at.selectbox(key="upload_target").set_value(target).run()
    if task is not None:
        at.radio(key="upload_task").set_value(task).run()
    if use:
        at.button(key="upload_use").click().run()
    assert_ok(at)
    return at


def trained_epochs(at: AppTest) -> int:
    return job(at).run.epoch


def blobs_csv(n: int = 240, dim: int = 4) -> bytes:
    rng = np.random.default_rng(0)
    label = np.arange(n) % 3
    X = rng.normal(size=(n, dim)) + 4.0 * np.eye(3, dim)[label]
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(dim)])
    frame["kind"] = np.array(["ant", "bee", "cat"])[label]
    return frame.to_csv(index=False).encode()


def test_a_good_file_becomes_the_data_and_trains():
    at = open_page(hidden="8", activation="relu", optimizer="adam", lr="0.01", epochs="60",
                   batch_size="32")
    section = at.expander[[e.label for e in at.expander].index("Bring your own data")]
    assert "not stored, and share links do not carry it" in section.caption[0].value
    upload(at, "bugs.csv", blobs_csv(), use=False)
    assert at.selectbox(key="upload_target").value == "kind"  # the last column by default
    assert at.selectbox(key="upload_target").options == ["f0", "f1", "f2", "f3", "kind"]
    at.button(key="upload_use").click().run()
    assert_ok(at)
    name = at.session_state["w_dataset"]
    assert name.startswith("csv-") and at.session_state["cfg"].dataset == name
    assert at.session_state["cfg"].n_samples == 240  # all the file's rows
    assert at.query_params["dataset"] == name  # the page's link names it (and warns on opening)
    assert "Your CSV: bugs.csv" in at.selectbox(key="w_dataset").options
    assert any("Now learning from your file bugs.csv: 240 rows, 4 numeric features; target "
               "'kind' has 3 classes (ant = class 0, bee = class 1, cat = class 2)" in s.value
               for s in at.success)
    assert any("share links do not carry it" in c.value for c in at.sidebar.caption)
    assert not [s for s in at.sidebar.slider if s.key == "w_noise"]  # a file has no noise knob
    train(at)
    assert trained_epochs(at) == 60
    assert job(at).run.final["test_acc"] > 0.9


@pytest.mark.parametrize("shape", ["1-D", "2-D", "5-D"])
def test_regression_files_of_any_width_show_and_train(shape):
    rng = np.random.default_rng(1)
    dim = int(shape[0])
    X = rng.uniform(-2, 2, size=(200, dim)) * ([50.0, 0.02, 1, 1, 1][:dim])  # mixed scales
    table = pd.DataFrame(X, columns=[f"x{i}" for i in range(dim)])
    table["y"] = np.sin(X[:, 0] / 50) + X[:, -1]
    at = open_page(optimizer="adam", lr="0.01", epochs="20", hidden="8")
    upload(at, f"{shape}.csv", table.to_csv(index=False).encode())
    assert at.session_state["cfg"].task == "regression"
    main = {1: "curve", 2: "grid", 5: "pred_test"}[dim]  # the 1-D curve, the map or the fit
    assert main in frame(at)[1]
    train(at)
    assert trained_epochs(at) == 20 and job(at).run.task == "regression"


def test_the_task_can_be_chosen():
    raw = "\n".join(["a,b,stars"] + [f"{i},{i % 5},{1 + i % 3}" for i in range(30)]).encode()
    at = upload(open_page(), "stars.csv", raw)
    assert at.session_state["cfg"].task == "multiclass"
    upload(at, "stars.csv", raw, task="regression")
    assert at.session_state["cfg"].task == "regression"
    assert len([o for o in at.selectbox(key="w_dataset").options if o.startswith("Your CSV")]) == 2


BAD = {  # file bytes, the error's telling part; they are caught when the header is read or
    # when "Use this data" reads it all
    "set-up.json": (b'{"dataset": "moons"}', "This is a JSON file, not a CSV file"),
    "picture.csv": (b"\x89PNG\r\n\x1a\n\x00\x00", "looks like a PNG image"),
    "empty.csv": (b"", "The file is empty"),
    "header.csv": (b"a,b,label\n", "has a header line but no data rows"),
    "holes.csv": (b"a,b,label\n" + b"1,2,x\n3,,y\n" * 6, "Column 'b' has 6 missing values"),
    "words.csv": (b"a,b,label\n" + b"1,red,x\n3,blue,y\n" * 6, "Column 'b' is not numeric"),
    "one-class.csv": (b"a,b,label\n" + b"1,2,x\n" * 12, "has only one class ('x')"),
    "many-classes.csv": (("a,label\n" + "".join(f"{i},c{i}\n" for i in range(30))).encode(),
                         "has 30 different values; at most 10 classes"),
}


@pytest.mark.parametrize("filename", BAD)
def test_a_bad_file_changes_nothing(filename):
    raw, message = BAD[filename]
    at = train(open_page(dataset="moons", epochs="5"))
    run, cfg = job(at).run, at.session_state["cfg"]
    upload(at, filename, raw, use=False)
    if not at.error:  # the header was fine: the whole file is read on the button
        at.button(key="upload_use").click().run()
        assert_ok(at)
    assert [e.value for e in at.error if message in e.value], [e.value for e in at.error]
    assert at.session_state["w_dataset"] == "moons" and at.session_state["cfg"] == cfg
    assert job(at).run is run and trained_epochs(at) == 5
    assert not any(o.startswith("Your CSV") for o in at.selectbox(key="w_dataset").options)


def test_a_bad_file_after_a_good_one_keeps_the_good_one():
    at = train(upload(open_page(epochs="5"), "bugs.csv", blobs_csv()))
    name = at.session_state["w_dataset"]
    upload(at, "bad.csv", b"a,b,label\n" + b"1,2,x\n" * 12)
    assert any("Nothing was changed" in e.value for e in at.error)
    assert at.session_state["w_dataset"] == name and trained_epochs(at) == 5
    at.file_uploader(key="upload_data").set_value(None).run()  # the section empties again
    assert_ok(at)
    assert not at.error and at.session_state["cfg"].dataset == name


def test_settings_that_cannot_take_the_file_are_explained():
    raw = ("a,b,y\n" + "".join(f"{i},{i % 7},{i % 2}\n" for i in range(3000))).encode()
    at = upload(open_page(n_samples="40", batch_size="1", epochs="10000"), "big.csv", raw)
    (panel,) = [e for e in at.expander if e.label == "Bring your own data"]
    (error,) = [e.value for e in panel.error]  # (the sweep panel refuses these settings too)
    assert "The file is fine, but the current settings do not fit it" in error
    assert "optimizer steps" in error and at.session_state["w_dataset"] == "circle"


def test_a_link_to_uploaded_data_falls_back_with_a_warning():
    at = open_page(dataset="csv-0123456789", hidden="8")
    assert at.session_state["cfg"].dataset == "circle"
    assert at.session_state["cfg"].hidden == (8,)
    (warning,) = [w.value for w in at.warning]
    assert "Link parameter `dataset` was ignored" in warning
    assert "links do not carry" in warning and "upload the file again" in warning


def load_set_up(at: AppTest, cfg) -> AppTest:
    at.file_uploader(key="upload_config").set_value(("setup.json", cfg.to_json().encode(),
                                                     "application/json")).run()
    assert_ok(at)
    return at


def test_a_saved_set_up_needs_its_file_uploaded_first():
    saved = upload(open_page(hidden="8"), "bugs.csv", blobs_csv()).session_state["cfg"]
    at = load_set_up(open_page(), saved)  # another session: the server has it, this one not
    assert any("set-up files do not carry" in e.value for e in at.error)
    userdata.forget_all()  # as on a restarted server
    load_set_up(at, saved)
    assert any("set-up files do not carry" in e.value for e in at.error)
    assert at.session_state["cfg"].dataset == "circle"
    upload(at, "bugs.csv", blobs_csv())  # the same bytes and target: the same dataset name
    load_set_up(at, saved)
    assert at.session_state["cfg"] == saved
