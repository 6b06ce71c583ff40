"""The page, driven headless through streamlit.testing.v1.AppTest.

Every test starts a fresh session from a link (query parameters), clicks the page's buttons by
key and reads back the metrics, alerts, widgets and the plotly figures' JSON. AppTest cannot
click while a script runs, so a mid-run Stop is reproduced at the point where the page sees it
(see test_stop_mid_run_keeps_history_and_train_resumes); test_browser.py clicks it for real.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from playground import Run, make_data

# AppTest resolves relative paths against this file, not the working directory.
APP = Path(__file__).resolve().parent.parent / "app.py"
LEVELS = 200  # figures.LEVELS: the top byte of a boundary heatmap


# ---- helpers ---------------------------------------------------------------------------------
def open_page(**params: str) -> AppTest:
    """A new session opened with the link `?k=v&...`, after its first script run."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert_ok(at)
    return at


def assert_ok(at: AppTest) -> None:
    assert not at.exception, "\n\n".join(
        f"{e.message}\n{''.join(e.stack_trace)}" for e in at.exception)


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert_ok(at)
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def epoch(at: AppTest) -> int:
    return int(metrics(at)["Epoch"].replace(",", ""))


def percent(text: str) -> float:
    assert text.endswith("%"), text
    return float(text[:-1])


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def figure_with(at: AppTest, trace_name: str) -> dict:
    """The one figure that has a trace called `trace_name`."""
    found = [f for f in figures(at) if any(t.get("name") == trace_name for t in f["data"])]
    assert len(found) == 1, f"{len(found)} figures with a trace {trace_name!r}"
    return found[0]


def trace(figure: dict, name: str) -> dict:
    return next(t for t in figure["data"] if t.get("name") == name)


def main_figure(at: AppTest) -> dict:
    """The first chart: the boundary, the 1-D function or the projection."""
    return figures(at)[0]


def array(value) -> np.ndarray:
    """A plotly JSON array: a plain list or a typed array {"dtype", "bdata"[, "shape"]}."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            shape = value["shape"]
            shape = [int(s) for s in shape.split(",")] if isinstance(shape, str) else shape
            out = out.reshape(shape)
        return out
    return np.asarray(value)


def loss_epochs(at: AppTest) -> np.ndarray:
    return array(trace(figure_with(at, "train loss"), "train loss")["x"])


def infos(at: AppTest) -> list[str]:
    return [e.value for e in at.info]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def warnings(at: AppTest) -> list[str]:
    return [e.value for e in at.warning]


def points(figure: dict, split: str) -> np.ndarray:
    """All (x1, x2) points of one split drawn on a boundary figure, sorted."""
    xy = [np.stack([array(t["x"]), array(t["y"])], axis=1) for t in figure["data"]
          if t.get("type") == "scatter" and str(t.get("name", "")).startswith(split)]
    both = np.concatenate(xy)
    return both[np.lexsort(both.T[::-1])]


# ---- the landing page ------------------------------------------------------------------------
def test_default_page_renders_ready():
    at = open_page()
    assert [t.value for t in at.sidebar.title] == ["MLP Playground"]
    assert len(at.get("plotly_chart")) == 3
    m = metrics(at)
    assert m["Epoch"] == "0"
    assert m["Status"] == "ready"
    assert list(m) == ["Epoch", "Train loss", "Test loss", "Test accuracy", "Time per epoch",
                       "Status"]
    assert 0.5 < float(m["Train loss"]) < 0.9  # an untrained binary model: about log 2
    assert loss_epochs(at).tolist() == [0]
    assert not at.button(key="train").disabled
    assert at.button(key="stop").disabled
    assert not warnings(at) and not errors(at) and not infos(at)
    assert dict(at.query_params) == {}  # the defaults make a link with no parameters
    assert at.selectbox(key="w_dataset").value == "circle"
    assert at.text_input(key="w_hidden").value == "4, 2"


# ---- Train -----------------------------------------------------------------------------------
def test_train_runs_the_configured_epochs_and_redraws():
    at = open_page()
    before = main_figure(at)
    heat_before = array(before["data"][0]["z"])
    click(at, "train")

    m = metrics(at)
    assert epoch(at) == 200  # the default epochs
    assert m["Status"] == "finished"
    assert percent(m["Test accuracy"]) > 90.0  # 99.6% measured on the default circle
    assert m["Time per epoch"].endswith(" ms")
    assert not at.button(key="train").disabled and at.button(key="stop").disabled

    boundary = main_figure(at)
    kinds = [t["type"] for t in boundary["data"]]
    assert kinds[0] in ("heatmap", "image") and kinds.count("scatter") == 4
    names = {t.get("name") for t in boundary["data"]}
    assert {"train class 0", "train class 1", "test class 0", "test class 1"} <= names
    heat = array(boundary["data"][0]["z"])
    assert heat.ndim == 2 and heat.shape[0] == heat.shape[1] >= 50
    assert heat.min() >= 0 and heat.max() <= LEVELS
    assert np.abs(heat.astype(int) - heat_before.astype(int)).mean() > 5  # it really changed
    assert heat.min() < 0.2 * LEVELS and heat.max() > 0.8 * LEVELS  # confident both ways

    x = loss_epochs(at)
    assert x[0] == 0 and x[-1] == 200 and len(x) == 201
    loss = array(trace(figure_with(at, "train loss"), "train loss")["y"])
    assert loss[-1] < 0.3 * loss[0]
    acc = figure_with(at, "test accuracy")
    assert array(trace(acc, "test accuracy")["x"])[-1] == 200
    assert array(trace(acc, "test accuracy")["y"])[-1] == pytest.approx(
        percent(m["Test accuracy"]) / 100, abs=0.001)


def test_epochs_widget_sets_the_length_and_train_continues():
    at = open_page()
    at.number_input(key="w_epochs").set_value(30).run()
    assert_ok(at)
    assert dict(at.query_params) == {"epochs": "30"}  # the link follows the widget
    click(at, "train")
    assert epoch(at) == 30 and metrics(at)["Status"] == "finished"
    click(at, "train")  # from where the model is now
    assert epoch(at) == 60
    assert loss_epochs(at).tolist() == list(range(61))


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
    run = at.session_state["run"]
    assert run.data.name == "xor" and run.config.hidden == (8, 8)

    # The chart draws exactly the xor sample the library makes for these settings.
    data = make_data("xor", 500, 0.0, 0.5, 0)
    drawn = points(main_figure(at), "train")
    expected = np.asarray(data.X_train, dtype=np.float32)
    assert np.allclose(drawn, expected[np.lexsort(expected.T[::-1])])
    class1 = np.concatenate([np.stack([array(t["x"]), array(t["y"])], 1)
                             for t in main_figure(at)["data"] if t.get("name") == "train class 1"])
    assert (class1[:, 0] * class1[:, 1] > 0).all()  # xor: same-sign quadrants are class 1

    click(at, "train")
    assert epoch(at) == 20
    assert percent(metrics(at)["Test accuracy"]) > 90.0  # adam 0.1 on 8,8 learns xor fast


def test_bad_link_parameters_warn_and_fall_back():
    at = open_page(lr="abc", hidden="999", colour="red")
    text = warnings(at)
    assert len(text) == 3
    for name, bad in (("lr", "abc"), ("hidden", "999"), ("colour", "unknown parameter")):
        assert any(f"**{name}**" in w and bad in w for w in text), (name, text)
    assert at.select_slider(key="w_lr").value == 0.03
    assert at.text_input(key="w_hidden").value == "4, 2"
    assert metrics(at)["Status"] == "ready"
    assert dict(at.query_params) == {}  # the bad parameters leave the link
    at.run()
    assert_ok(at)
    assert not warnings(at)  # the notice is shown once


def test_link_with_fields_bad_together_keeps_the_good_ones():
    # Each value is fine alone; batch norm with batch size 1 is not.
    at = open_page(batchnorm="true", batch_size="1", dataset="moons")
    assert at.selectbox(key="w_dataset").value == "moons"
    text = warnings(at)
    assert any("**batch_size**" in w for w in text), text
    assert at.number_input(key="w_batch_size").value == 10
    assert not errors(at)


# ---- Stop, Step, Reset, New data ---------------------------------------------------------------
class Interrupted(Exception):
    """What a Stop click does to the training loop: Streamlit raises inside the callback."""


def test_stop_mid_run_keeps_history_and_train_resumes():
    at = open_page(epochs="50")
    # The page at the moment Stop lands: on_train set the target, the loop trained 7 of 50
    # epochs when the rerun interrupted it (Run.fit never returned: status still "running"),
    # and the Stop callback cleared `training`.
    run: Run = at.session_state["run"]
    at.session_state["target"] = 50

    def interrupt(r: Run) -> None:
        if r.epoch == 7:
            raise Interrupted

    with pytest.raises(Interrupted):
        run.fit(50, interrupt)
    assert run.status == "running"
    at.session_state["training"] = False
    at.run()
    assert_ok(at)
    assert metrics(at)["Status"] == "stopped"
    assert epoch(at) == 7
    assert loss_epochs(at).tolist() == list(range(8))  # the partial history is drawn
    assert not at.button(key="train").disabled

    click(at, "train")  # resumes to the same target instead of starting 50 more
    assert metrics(at)["Status"] == "finished"
    assert epoch(at) == 50
    assert at.session_state["run"] is run
    assert loss_epochs(at).tolist() == list(range(51))


def test_step_trains_exactly_one_epoch_then_train_continues():
    at = open_page(epochs="20")
    click(at, "step")
    assert epoch(at) == 1
    assert loss_epochs(at).tolist() == [0, 1]
    click(at, "step")
    assert epoch(at) == 2
    click(at, "train")
    assert epoch(at) == 22 and metrics(at)["Status"] == "finished"
    assert loss_epochs(at).tolist() == list(range(23))


def test_reset_draws_new_weights_on_the_same_data():
    at = open_page(epochs="20")
    untrained = metrics(at)["Train loss"]
    data_before = points(main_figure(at), "train")
    click(at, "train")
    assert epoch(at) == 20
    click(at, "reset")
    assert at.number_input(key="w_seed").value == 1
    assert dict(at.query_params) == {"epochs": "20", "seed": "1"}
    assert epoch(at) == 0 and metrics(at)["Status"] == "ready"
    assert loss_epochs(at).tolist() == [0]
    assert metrics(at)["Train loss"] != untrained  # seed 1 starts from other weights
    assert any("seed 1" in i for i in infos(at)), infos(at)
    assert np.array_equal(points(main_figure(at), "train"), data_before)
    assert at.session_state["run"].config.seed == 1


def test_new_data_draws_a_new_sample():
    at = open_page(epochs="20")
    data_before = points(main_figure(at), "train")
    click(at, "train")
    click(at, "new_data")
    assert at.number_input(key="w_data_seed").value == 1
    assert dict(at.query_params) == {"epochs": "20", "data_seed": "1"}
    assert epoch(at) == 0 and metrics(at)["Status"] == "ready"
    assert any("data seed 1" in i for i in infos(at)), infos(at)
    after = points(main_figure(at), "train")
    assert after.shape == data_before.shape and not np.allclose(after, data_before)


def test_learning_rate_changes_live_but_hidden_resets_with_a_notice():
    at = open_page(epochs="20")
    click(at, "train")
    run = at.session_state["run"]
    at.select_slider(key="w_lr").set_value(0.1).run()
    assert_ok(at)
    assert epoch(at) == 20  # a training setting: same model, same history
    assert at.session_state["run"] is run and run.config.lr == 0.1
    assert not infos(at)
    assert at.query_params["lr"] == "0.1"
    click(at, "train")
    assert epoch(at) == 40
    assert trace(figure_with(at, "train loss"), "train loss")  # one history of 41 points
    assert len(loss_epochs(at)) == 41

    at.text_input(key="w_hidden").set_value("8").run()
    assert_ok(at)
    assert epoch(at) == 0 and metrics(at)["Status"] == "ready"
    assert any("hidden" in i.lower() for i in infos(at)), infos(at)
    assert at.session_state["run"].config.hidden == (8,)
    assert at.session_state["run"].config.lr == 0.1  # the live change was kept


# ---- invalid settings and divergence ---------------------------------------------------------
def test_invalid_combination_shows_an_error_and_keeps_the_last_valid_config():
    at = open_page(epochs="20", batchnorm="true")
    at.number_input(key="w_batch_size").set_value(1).run()
    assert_ok(at)
    text = errors(at)
    assert len(text) == 1 and "batch_size" in text[0] and "batch norm" in text[0], text
    assert "batch_size" not in at.query_params  # the link keeps the last valid settings
    click(at, "train")
    assert epoch(at) == 20 and metrics(at)["Status"] == "finished"
    assert at.session_state["run"].config.batch_size == 10
    assert errors(at)  # still explained while the widget holds the bad value
    at.number_input(key="w_batch_size").set_value(2).run()
    assert_ok(at)
    assert not errors(at)
    assert epoch(at) == 20  # batch size is a live setting
    assert at.session_state["run"].config.batch_size == 2


def test_unparseable_hidden_layers_show_an_error():
    at = open_page()
    at.text_input(key="w_hidden").set_value("4, two").run()
    assert_ok(at)
    assert any("hidden" in e for e in errors(at)), errors(at)
    assert at.session_state["run"].config.hidden == (4, 2)
    assert metrics(at)["Status"] == "ready"


def test_diverging_config_stops_with_an_explanation():
    at = open_page(dataset="plane", optimizer="sgd", lr="10", hidden="16,16", activation="relu")
    click(at, "train")
    assert metrics(at)["Status"] == "diverged"
    text = errors(at)
    assert len(text) == 1
    assert "diverged" in text[0] and "learning rate" in text[0], text
    assert np.isfinite(float(metrics(at)["Train loss"]))  # the last finite weights came back
    assert not at.button(key="train").disabled


# ---- every kind of view ----------------------------------------------------------------------
VIEWS = {
    # dataset: (extra link parameters, metric label, what the main figure must hold)
    "sine": ({}, "Test R²", {"prediction", "train", "test"}),
    "bumps": ({}, "Test accuracy", {"P(class 1)", "train class 0", "test class 1"}),
    "plane": ({}, "Test R²", {"train", "test"}),
    "blobs": ({}, "Test accuracy", {"train class 0", "train class 1", "train class 2"}),
    "teacher": ({}, "Test accuracy", set()),
    "digits": ({"n_samples": "400"}, "Test accuracy", set()),
}


@pytest.mark.parametrize("dataset", list(VIEWS))
def test_each_view_renders_after_training(dataset):
    extra, label, names = VIEWS[dataset]
    at = open_page(dataset=dataset, epochs="20", **extra)
    click(at, "train")
    m = metrics(at)
    assert epoch(at) == 20 and m["Status"] == "finished", m
    assert label in m
    main = main_figure(at)
    assert names <= {t.get("name") for t in main["data"]}
    kinds = [t["type"] for t in main["data"]]
    if dataset == "plane":
        assert kinds[0] == "heatmap"
    if dataset == "blobs":
        assert kinds[0] == "image"  # multiclass regions are a PNG
    if dataset in ("teacher", "digits"):
        assert "principal" in main["layout"]["title"]["text"]
        assert all(k == "scatter" for k in kinds) and len(kinds) >= 2
    charts = figures(at)
    assert len(charts) == (4 if dataset == "digits" else 3)
    if dataset == "digits":
        mistakes = charts[1]  # under the projection
        assert [t["type"] for t in mistakes["data"]] == ["heatmap"]
        captions = [a["text"] for a in mistakes["layout"].get("annotations", [])]
        assert captions and all("→" in c for c in captions)
    assert loss_epochs(at)[-1] == 20


def test_view_toggles_change_the_figures():
    at = open_page(epochs="20")
    click(at, "train")
    at.toggle(key="discretize").set_value(True).run()
    assert_ok(at)
    heat = array(main_figure(at)["data"][0]["z"])
    assert set(np.unique(heat).tolist()) <= {0, LEVELS}
    at.toggle(key="show_test").set_value(False).run()
    assert_ok(at)
    names = [t.get("name") for t in main_figure(at)["data"]]
    assert "train class 0" in names and not any(str(n).startswith("test") for n in names)
    at.toggle(key="log_loss").set_value(True).run()
    assert_ok(at)
    assert figure_with(at, "train loss")["layout"]["yaxis"]["type"] == "log"
    assert epoch(at) == 20  # view options never touch the model
