"""The page, driven headless through streamlit.testing.v1.AppTest.

Every test starts a fresh session from a link (query parameters), clicks the page's buttons by
key and reads back the session's live job (the Run the view shows, trained by the background
workers), the frames the browser would be sent, the alerts and the widgets. What the browser
draws from those frames is checked in test_browser*.py.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from app_utils import assert_ok, click, frame, job, open_page, train, wait_until
from streamlit.testing.v1 import AppTest

from playground import make_data
from playground.datasets import grid
from playground.draw import frames


def epoch(at: AppTest) -> int:
    return job(at).run.epoch


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def toasts(at: AppTest) -> list[str]:
    return [t.value for t in at.toast]


def play(at: AppTest, until_epoch: int, pace: str = "full") -> None:
    if at.segmented_control(key="pace").value != pace:
        at.segmented_control(key="pace").set_value(pace).run()
        assert_ok(at)
    click(at, "train")
    assert job(at).playing and at.button(key="train").label == "Pause"
    wait_until(lambda: epoch(at) >= until_epoch, 60, f"epoch {until_epoch}")


def pause(at: AppTest) -> int:
    click(at, "train")
    assert not job(at).playing and at.button(key="train").label == "Train"
    return epoch(at)


def assert_history_unbroken(at: AppTest) -> None:
    run = job(at).run
    assert run.history["epoch"] == list(range(run.epoch + 1))


# ---- the landing page ------------------------------------------------------------------------
def test_default_page_renders_ready():
    at = open_page()
    assert [t.value for t in at.sidebar.title] == ["MLP Playground"]
    j = job(at)
    assert j.status() == "ready" and j.run.epoch == 0 and not j.playing
    (view,) = at.get("bidi_component")
    assert j.token in view.proto.json  # the live view connects to this session's job
    assert at.button(key="train").label == "Train"
    assert {b.key for b in at.button} >= {"train", "step", "reset", "new_data"}
    assert at.segmented_control(key="pace").value == "normal"
    assert at.toggle(key="stop_after").value is False  # train until Pause, as TF Playground
    header, arrays = frame(at)
    assert header["epoch"] == 0 and header["status"] == "ready"
    assert 0.5 < header["cards"]["train_loss"] < 0.9  # an untrained binary model: about log 2
    assert not warnings(at) and not errors(at)
    assert dict(at.query_params) == {}  # the defaults make a link with no parameters
    assert at.selectbox(key="w_dataset").value == "circle"
    assert at.text_input(key="w_hidden").value == "4, 2"


# ---- play, pause, step, pace, stop after -------------------------------------------------------
def test_train_plays_until_pause_and_resumes_exactly_where_it_paused():
    at = open_page()
    play(at, 40)
    paused = pause(at)
    assert paused >= 40
    time.sleep(0.3)
    assert epoch(at) == paused  # paused means still
    assert frame(at)[0]["status"] == "paused" and frame(at)[0]["epoch"] == paused
    play(at, paused + 30)
    pause(at)
    assert_history_unbroken(at)  # one run, continued
    assert job(at).run.final["test_acc"] > 0.9  # the circle is learnt by then


def test_step_trains_exactly_one_epoch_each_click():
    at = open_page()
    click(at, "step")
    assert epoch(at) == 1
    click(at, "step")
    assert epoch(at) == 2 and not job(at).playing
    _, arrays = frame(at, structure=True)
    np.testing.assert_array_equal(arrays["history"][:, 0], [0, 1, 2])  # what the curves draw
    play(at, 10)
    pause(at)
    assert_history_unbroken(at)


def test_the_pace_changes_mid_run():
    at = open_page()
    play(at, 1, pace="slow")
    start = epoch(at)
    time.sleep(1.0)
    slow = epoch(at) - start
    assert slow <= 9, slow  # about five a second
    at.segmented_control(key="pace").set_value("full").run()
    assert_ok(at)
    assert job(at).playing and job(at).want.pace == "full"  # still playing, faster
    start = epoch(at)
    time.sleep(1.0)
    assert epoch(at) - start > 3 * max(slow, 3)
    pause(at)
    assert_history_unbroken(at)


def test_stop_after_trains_the_set_epochs_and_train_goes_on_from_there():
    at = open_page(epochs="30")
    assert dict(at.query_params) == {"epochs": "30"}
    train(at)
    assert epoch(at) == 30 and job(at).status() == "finished"
    assert at.button(key="train").label == "Train"
    assert frame(at)[0]["stop_at"] == 30
    train(at)  # 30 more from where the model is
    assert epoch(at) == 60
    assert_history_unbroken(at)


def test_pausing_a_stop_after_run_resumes_to_the_same_end():
    at = open_page(epochs="400")
    at.toggle(key="stop_after").set_value(True).run()
    at.segmented_control(key="pace").set_value("normal").run()
    click(at, "train")
    wait_until(lambda: epoch(at) >= 3, 30)
    paused = pause(at)
    assert paused < 400
    click(at, "train")
    assert job(at).want.stop_at == 400  # not paused + 400
    job(at).pause()


# ---- links -----------------------------------------------------------------------------------
def test_link_parameters_set_the_widgets_and_the_data():
    at = open_page(dataset="xor", hidden="8,8", lr="0.1", optimizer="adam", epochs="20")
    assert at.selectbox(key="w_dataset").value == "xor"
    assert at.text_input(key="w_hidden").value == "8, 8"
    assert at.select_slider(key="w_lr").value == 0.1
    assert at.selectbox(key="w_optimizer").value == "adam"
    assert at.number_input(key="w_epochs").value == 20
    assert not warnings(at)
    assert dict(at.query_params) == {"dataset": "xor", "hidden": "8,8", "lr": "0.1",
                                     "optimizer": "adam", "epochs": "20"}
    run = job(at).run
    assert run.data.name == "xor" and run.config.hidden == (8, 8)
    # The view is sent exactly the xor sample the library makes for these settings.
    data = make_data("xor", 500, 0.0, 0.5, 0)
    _, arrays = frame(at, structure=True)
    np.testing.assert_array_equal(arrays["X_train"], data.X_train.astype(np.float32))
    np.testing.assert_array_equal(arrays["y_train"], data.y_train)

    train(at)
    assert epoch(at) == 20
    assert run.final["test_acc"] > 0.9  # adam 0.1 on 8,8 learns xor fast
    # The regions follow: class 1 in the same-sign quadrants, class 0 in the others.
    _, arrays = frame(at)
    r = arrays["grid"].shape[0]
    xs, ys, _ = grid(run.data.box, r)
    for x, y, high in ((3, 3, True), (-3, -3, True), (3, -3, False), (-3, 3, False)):
        value = arrays["grid"][np.abs(ys - y).argmin(), np.abs(xs - x).argmin()] / 255
        assert (value > 0.8) if high else (value < 0.2), (x, y, value)


def test_bad_link_parameters_warn_and_fall_back():
    at = open_page(lr="abc", hidden="999", colour="red")
    text = warnings(at)
    assert len(text) == 3
    for name, bad in (("lr", "abc"), ("hidden", "999"), ("colour", "unknown parameter")):
        assert any(name in w and bad in w for w in text), (name, text)
    assert at.select_slider(key="w_lr").value == 0.03
    assert at.text_input(key="w_hidden").value == "4, 2"
    assert job(at).status() == "ready"
    assert dict(at.query_params) == {}  # the bad parameters leave the link
    at.run()
    assert_ok(at)
    assert not warnings(at)  # the notice is shown once


def test_a_links_text_is_shown_as_text_never_as_markdown():
    # The two links: a parameter name that would be a live link in the app's warning,
    # a value that would make everyone who opens the link fetch an address of the sender's.
    at = open_page(**{"[click me](https://example.invalid/phish)": "1",
                      "lr": "![img](http://127.0.0.1:9/x.png)"})
    bodies = warnings(at)
    assert len(bodies) == 2
    # Each piece of the link's text is one code span (no Markdown, no autolinks inside).
    assert any("`[click me](https://example.invalid/phish)`" in b for b in bodies), bodies
    assert any("![img](http://127.0.0.1:9/x.png)" in b for b in bodies), bodies
    for body in bodies:
        outside = re.sub(r"(`+).*?\1", "", body)  # the text outside code spans is ours
        assert "](" not in outside and "http" not in outside, body
    assert_ok(at)


def test_link_with_fields_bad_together_keeps_the_good_ones():
    # Each value is fine alone; batch norm with batch size 1 is not.
    at = open_page(batchnorm="true", batch_size="1", dataset="moons")
    assert at.selectbox(key="w_dataset").value == "moons"
    text = warnings(at)
    assert any("batch_size" in w for w in text), text
    assert at.number_input(key="w_batch_size").value == 10
    assert not errors(at)


# ---- Reset, New data, live changes ---------------------------------------------------------
def test_reset_draws_new_weights_on_the_same_data():
    at = open_page(epochs="20")
    untrained = job(at).run.history["train_loss"][0]
    data_before = job(at).run.data
    train(at)
    click(at, "reset")
    assert at.number_input(key="w_seed").value == 1
    assert dict(at.query_params) == {"epochs": "20", "seed": "1"}
    run = job(at).run
    assert run.epoch == 0 and job(at).status() == "ready" and job(at).version == 1
    assert run.config.seed == 1 and run.history["train_loss"][0] != untrained
    assert any("seed 1" in t for t in toasts(at)), toasts(at)  # a toast: the page never shifts
    assert run.data is data_before or np.array_equal(run.data.X_train, data_before.X_train)
    assert frame(at, structure=True)[0]["version"] == 1  # the view is sent the new model


def test_new_data_draws_a_new_sample():
    at = open_page(epochs="20")
    before = job(at).run.data
    train(at)
    click(at, "new_data")
    assert at.number_input(key="w_data_seed").value == 1
    assert dict(at.query_params) == {"epochs": "20", "data_seed": "1"}
    assert epoch(at) == 0 and job(at).status() == "ready"
    assert any("data seed 1" in t for t in toasts(at)), toasts(at)
    after = job(at).run.data
    assert after.X_train.shape == before.X_train.shape
    assert not np.allclose(after.X_train, before.X_train)


def test_training_settings_change_live_even_while_it_plays():
    at = open_page()
    play(at, 10)
    run = job(at).run
    at.select_slider(key="w_lr").set_value(0.1).run()
    assert_ok(at)
    assert job(at).playing and job(at).run is run  # the same model goes on training
    assert run.config.lr == 0.1 and at.query_params["lr"] == "0.1"
    reached = epoch(at)
    wait_until(lambda: epoch(at) >= reached + 10, 30)
    pause(at)
    assert 0.1 in run.history["lr"] and 0.03 in run.history["lr"]  # both rates trained
    assert_history_unbroken(at)
    assert not toasts(at)


def test_a_new_network_starts_again_with_a_notice():
    at = open_page(epochs="20")
    train(at)
    at.select_slider(key="w_lr").set_value(0.1).run()
    at.text_input(key="w_hidden").set_value("8").run()
    assert_ok(at)
    assert epoch(at) == 0 and job(at).status() == "ready"
    assert any("hidden" in t.lower() for t in toasts(at)), toasts(at)
    assert job(at).run.config.hidden == (8,)
    assert job(at).run.config.lr == 0.1  # the live change was kept


# ---- invalid settings and divergence ---------------------------------------------------------
def test_invalid_combination_shows_an_error_and_keeps_the_last_valid_config():
    at = open_page(epochs="20", batchnorm="true")
    at.number_input(key="w_batch_size").set_value(1).run()
    assert_ok(at)
    text = [e.value for e in at.sidebar.error]
    assert len(text) == 1 and "batch_size" in text[0] and "batch norm" in text[0], text
    assert "batch_size" not in at.query_params  # the link keeps the last valid settings
    train(at)
    assert epoch(at) == 20 and job(at).run.config.batch_size == 10
    at.number_input(key="w_batch_size").set_value(2).run()
    assert_ok(at)
    assert not at.sidebar.error
    assert epoch(at) == 20  # batch size is a live setting
    assert job(at).run.config.batch_size == 2


def test_unparseable_hidden_layers_show_an_error():
    at = open_page()
    at.text_input(key="w_hidden").set_value("4, two").run()
    assert_ok(at)
    assert any("hidden" in e.value for e in at.sidebar.error)
    assert job(at).run.config.hidden == (4, 2)


def test_diverging_config_stops_with_an_explanation():
    at = open_page(dataset="plane", optimizer="sgd", lr="10", hidden="16,16", activation="relu")
    click(at, "train")
    wait_until(lambda: not job(at).playing, 60, "the run to stop")
    at.run()
    assert_ok(at)
    assert job(at).status() == "diverged" and at.button(key="train").label == "Train"
    header, arrays = frame(at)
    assert header["status"] == "diverged"
    assert "diverged" in header["message"] and "learning rate" in header["message"]
    assert np.isfinite(header["cards"]["train_loss"])  # the last finite weights came back
    assert arrays["grid"].shape == (frames.GRID, frames.GRID)  # the view still draws


# ---- every kind of view ----------------------------------------------------------------------
VIEWS = {  # dataset: (extra link parameters, what the main picture is sent)
    "sine": ({}, "curve"), "bumps": ({}, "curve"), "plane": ({}, "grid"),
    "blobs": ({}, "grid"), "teacher": ({}, "pred_test"), "digits": ({"n_samples": "400"}, "pred_test"),
}


@pytest.mark.parametrize("dataset", list(VIEWS))
def test_each_kind_of_data_trains_and_is_sent_its_view(dataset):
    extra, main = VIEWS[dataset]
    at = open_page(dataset=dataset, epochs="20", **extra)
    train(at)
    run = job(at).run
    assert epoch(at) == 20 and job(at).status() == "finished"
    structure, _ = frame(at, structure=True)
    header, arrays = frame(at)
    assert main in arrays
    assert structure["task"] == run.task and structure["pictures"] == (main != "pred_test")
    score = "test_r2" if run.task == "regression" else "test_acc"
    assert header["cards"]["score"] == pytest.approx(run.final[score])
