"""The page's "under the hood" panel and the engine choice, through AppTest."""

from __future__ import annotations

import re

import numpy as np
import pytest
from app_utils import job, open_page, plotly_figures, train
from streamlit.testing.v1 import AppTest

from playground import Config
from playground.draw.equations import backward_equations, forward_equations


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def inside(at: AppTest):
    """The "Under the hood" expander."""
    return next(e for e in at.expander if e.label.startswith("Under the hood"))


def charts_inside(at: AppTest) -> dict[str, dict]:
    """Every plotly figure in the expander, by its key."""
    return plotly_figures(inside(at))


def test_equations_of_the_current_network():
    at = open_page(dataset="moons", hidden="8,8", activation="relu")
    cfg = Config(dataset="moons", hidden=(8, 8), activation="relu")
    shown = [el.value.strip().strip("$").strip() for el in at.get("latex")]
    assert shown == forward_equations(cfg) + backward_equations(cfg)
    assert shown[0].startswith("Z_{1} = X\\, W_{1} + b_{1}")
    assert any("\\mathbb{1}[Z_{2} > 0]" in line for line in shown)  # ReLU's derivative


def test_both_engines_trace_the_same_curve_on_the_page():
    at = open_page(dataset="moons", hidden="8", epochs="30", optimizer="adam", lr="0.01")
    at.button(key="compare_engines").click().run()
    assert not at.exception
    m = metric_values(at)
    assert float(m["Largest gap between the curves"]) < 1e-4
    assert m["PyTorch training time"].endswith(" s") and m["NumPy training time"].endswith(" s")
    # the histogram of the one hidden layer, the two error charts, the two engines' curves
    charts = charts_inside(at)
    assert len(charts) == 4 and "landscape" not in charts  # the page's run has not trained
    pytorch, numpy_curve = charts["engines_curves"]["data"]
    assert (pytorch["name"], numpy_curve["name"]) == ("PyTorch", "NumPy")
    assert max(abs(pytorch["y"] - numpy_curve["y"])) < 1e-4
    np.testing.assert_array_equal(pytorch["x"], np.arange(31))


def test_gradient_check_table_agrees_everywhere():
    at = open_page(dataset="blobs", hidden="6,5", activation="tanh")
    at.button(key="gradcheck").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["parameter"]) == ["0.weight", "0.bias", "2.weight", "2.bias",
                                        "4.weight", "4.bias"]
    assert list(table["shape"])[:2] == ["6 × 2", "6"]
    assert set(table["agrees"]) == {"yes"}
    assert all(float(e) < 1e-6 for e in table["relative error"])


def test_set_ups_the_numpy_engine_lacks_say_so():
    at = open_page(activation="gelu")
    notes = [i.value for i in at.info]
    assert any("no NumPy version" in n and "gelu" in n for n in notes)


def test_training_with_the_numpy_engine_from_the_sidebar():
    at = open_page(epochs="20", optimizer="adam")
    at.selectbox(key="w_engine").set_value("numpy").run()
    assert not at.exception
    assert at.query_params["engine"] in ("numpy", ["numpy"])
    train(at)
    assert job(at).run.epoch == 20 and job(at).status() == "finished"
    assert job(at).run.config.engine == "numpy"


def test_choosing_numpy_with_an_unsupported_activation_keeps_the_last_valid_set_up():
    at = open_page(activation="gelu")
    at.selectbox(key="w_engine").set_value("numpy").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "numpy engine has no 'gelu'" in errors and "engine 'torch'" in errors
    assert job(at).run.config.engine == "torch"


def test_gradient_flow_and_activations_after_training():
    at = open_page(dataset="moons", hidden="8,8,8,8", activation="sigmoid", epochs="15",
                   optimizer="adam", lr="0.01")
    assert any("Train for a few epochs" in i.value for i in at.info)
    train(at)
    assert not at.exception
    # the two error charts, the loss landscape, gradient norms, weight norms, and one histogram
    # per hidden layer
    charts = charts_inside(at)
    assert len(charts) == 2 + 1 + 2 + 4
    run = job(at).run
    lines = charts["flow_grad_norm"]["data"]
    assert [t["name"] for t in lines] == ["W₁", "W₂", "W₃", "W₄", "W₅"]
    np.testing.assert_allclose(lines[0]["y"], run.history["grad_norm/0"][1:], rtol=1e-6)
    for i, layer in enumerate(run.config.hidden):
        (bars,) = charts[f"activations_{i}"]["data"]
        assert bars["y"].sum() == min(len(run.data.X_train), 2000) * layer
    layers = [m.value for m in at.markdown if m.value.startswith("**Layer")]
    assert len(layers) == 4 and all("saturated:" in text for text in layers)
    relu = open_page(dataset="moons", hidden="6", activation="relu")
    assert any("dead:" in m.value for m in relu.markdown if m.value.startswith("**Layer"))


def test_replay_of_the_boundary():
    at = open_page(epochs="100")
    assert any("Train for a few epochs to record a replay" in i.value for i in at.info)
    train(at)
    run = job(at).run
    epochs = [epoch for epoch, _ in run.snapshots]
    assert epochs[0] == 0 and epochs[-1] == 100 and 20 <= len(epochs) <= 61
    assert at.select_slider(key="replay_epoch").value == 100
    at.select_slider(key="replay_epoch").set_value(epochs[1]).run()
    assert not at.exception
    at.toggle(key="replay_play").set_value(True).run()
    assert not at.exception
    assert len(inside(at).get("image")) == 2  # the chosen frame and the animation


def test_learning_rate_finder_suggests_and_sets_a_rate():
    at = open_page(dataset="moons", optimizer="adam", hidden="8")
    at.button(key="lr_finder").click().run()
    assert not at.exception
    use = at.button(key="use_lr")
    suggested = float(use.label.removeprefix("Use learning rate "))
    assert 1e-4 < suggested < 10
    result = at.session_state["lr_finder_result"][1]
    curve, marker = charts_inside(at)["lr_range"]["data"]
    np.testing.assert_allclose(curve["x"], result["lrs"])
    np.testing.assert_allclose(curve["y"], result["losses"])
    assert marker["x"] == [result["suggested"]] and f"{result['suggested']:.2g}" == f"{suggested:.2g}"
    use.click().run()
    assert not at.exception
    assert at.session_state["cfg"].lr == suggested
    assert at.query_params["lr"] in (str(suggested), [str(suggested)], repr(suggested),
                                     [repr(suggested)])


# ---- errors tab -------------------------------------------------------------------------------
@pytest.mark.parametrize("params", [
    dict(dataset="spirals", n_classes="3", noise="0.2", hidden="8", epochs="15"),
    dict(dataset="moons", noise="0.3", hidden="4", epochs="5"),
])
def test_errors_tab_shows_the_confusion_matrix_of_the_run(params):
    at = open_page(optimizer="adam", lr="0.03", **params)
    train(at)
    assert not at.exception
    run = job(at).run
    k = run.data.n_classes
    for split, X, y in (("test", run.data.X_test, run.data.y_test),
                        ("train", run.data.X_train, run.data.y_train)):
        if split == "train":
            at.radio(key="errors_split").set_value("train").run()
            assert not at.exception
        guess = run.predict(X).argmax(1)
        charts = charts_inside(at)
        diagonal, off = charts["errors_confusion"]["data"]
        assert diagonal["y"] == diagonal["x"] == [f"class {c}" for c in range(k)]
        counts = diagonal["customdata"]
        assert counts.shape == (k, k) and counts.sum() == len(y)
        np.testing.assert_array_equal(off["customdata"], counts)
        for t in range(k):
            for p in range(k):
                assert counts[t, p] == np.sum((y == t) & (guess == p))
        (bars,) = charts["errors_classes"]["data"]
        np.testing.assert_allclose(bars["x"], [np.mean(guess[y == c] == c) for c in range(k)])
        right = int(np.sum(guess == y))
        assert right / len(y) == pytest.approx(run.history[f"{split}_acc"][-1], abs=1e-6)
        summary = next(m.value for m in inside(at).markdown if "predicted right" in m.value)
        assert summary.startswith(f"**{right:,} of {len(y):,} {split} points predicted right")
    assert right < len(y)  # a few epochs leave errors to see


def test_errors_tab_shows_predictions_and_residuals_of_a_regression():
    at = open_page(dataset="plane", noise="0.2", hidden="8", epochs="10", optimizer="adam",
                   lr="0.01")
    train(at)
    assert not at.exception
    run = job(at).run
    yhat = run.predict(run.data.X_test)
    charts = charts_inside(at)
    _, points = charts["errors_predicted"]["data"]
    np.testing.assert_allclose(points["x"], run.data.y_test)
    np.testing.assert_allclose(points["y"], yhat, rtol=1e-6)
    (residuals,) = charts["errors_residuals"]["data"]
    np.testing.assert_allclose(residuals["y"], run.data.y_test - yhat, rtol=1e-5, atol=1e-6)
    summary = next(m.value for m in inside(at).markdown if "RMSE" in m.value)
    rmse, r2 = (float(v) for v in re.findall(r"RMSE (\S+) · R² (\S+) on", summary)[0])
    assert rmse == pytest.approx(run.history["test_rmse"][-1], rel=2e-3)
    assert r2 == pytest.approx(run.history["test_r2"][-1], abs=1e-3)
    assert not any("confusion" in c.value.lower() for c in inside(at).caption)


# ---- loss landscape tab -----------------------------------------------------------------------
def test_loss_landscape_of_the_page_run():
    at = open_page(dataset="moons", hidden="6", epochs="20", optimizer="adam", lr="0.03")
    assert any("Train a few steps" in i.value for i in inside(at).info)
    train(at)
    assert not at.exception
    run = job(at).run
    steps, weights = run.path
    assert steps[0] == 0 and steps[-1] == run.steps
    contour = charts_inside(at)["landscape"]["data"]
    grid, path = contour[0], contour[1]
    assert grid["type"] == "contour" and grid["z"].shape == (41, 41)
    land = at.session_state["landscape_result"][1]
    np.testing.assert_allclose(grid["customdata"], land.loss)
    np.testing.assert_allclose(path["x"], land.paths["path"].coords[:, 0])
    # The slice goes through the current weights: the path ends at the origin.
    np.testing.assert_allclose(land.paths["path"].coords[-1], [0, 0], atol=1e-9)
    np.testing.assert_allclose(land.origin, weights[-1])
    assert any("directions they moved most" in c.value for c in inside(at).caption)
    at.segmented_control(key="landscape_view").set_value("3-D surface").run()
    assert not at.exception
    assert charts_inside(at)["landscape"]["data"][0]["type"] == "surface"
    at.segmented_control(key="landscape_method").set_value("random").run()
    assert not at.exception
    assert at.session_state["landscape_result"][1].method == "random"


def test_four_optimizers_race_from_one_start():
    at = open_page(dataset="moons", hidden="6", epochs="15", optimizer="sgd", lr="0.05")
    at.segmented_control(key="landscape_source").set_value("Four optimizers from the same start")
    at.run()
    assert not at.exception
    at.button(key="landscape_race_go").click().run()
    assert not at.exception
    races = at.session_state["landscape_race"][1]
    assert list(races) == ["SGD", "momentum", "Adam", "SGD at 0.5"]
    assert all(r.epoch == 15 for r in races.values())
    names = [t["name"] for t in charts_inside(at)["landscape"]["data"] if t.get("showlegend", True)
             and t["type"] == "scatter"]
    assert names[:4] == list(races)


def test_the_race_is_refused_when_it_costs_too_much():
    at = open_page(dataset="spiral", n_samples="5000", hidden="64,64,64", epochs="200",
                   batch_size="1")
    at.segmented_control(key="landscape_source").set_value("Four optimizers from the same start")
    at.run()
    assert not at.exception
    assert any("one click may use here" in i.value for i in inside(at).info)
    assert not any(b.key == "landscape_race_go" for b in at.button)


def test_no_landscape_with_batch_norm():
    at = open_page(dataset="moons", hidden="6", batchnorm="true")
    assert any("not drawn for networks with batch norm" in i.value for i in inside(at).info)


# ---- the host's budget (hosted profile: the page's default) -----------------------------------
@pytest.mark.parametrize("batchnorm, why", [
    ("false", "one epoch would take about"),  # its full-batch step fits memory, in chunks
    ("true", "GB of memory"),  # batch norm's step takes the 190,000 rows at once
])
def test_a_link_too_costly_for_the_host_falls_back_with_a_message(batchnorm, why):
    at = open_page(dataset="plane", n_samples="190000", hidden=",".join(["386"] * 8),
                   batch_size="200000", epochs="1", batchnorm=batchnorm)
    assert not at.exception
    cfg = at.session_state["cfg"]
    assert cfg.dataset == "plane" and cfg.n_samples == Config().n_samples
    warnings = " ".join(w.value for w in at.warning)
    assert "Link parameter `n_samples` was ignored" in warnings and why in warnings


def test_settings_too_costly_for_the_host_keep_the_last_ones(monkeypatch):
    at = open_page(dataset="moons", epochs="1")
    at.number_input(key="w_n_samples").set_value(50_000).run()
    assert at.session_state["cfg"].n_samples == 50_000
    at.text_input(key="w_hidden").set_value("256,256,256").run()
    assert not at.exception
    assert at.session_state["cfg"].hidden == Config().hidden  # the last set-up that fits
    assert "one epoch would take about" in " ".join(e.value for e in at.sidebar.error)
    monkeypatch.setenv("PLAYGROUND_PROFILE", "local")  # one person's own machine: allowed
    at.run()
    assert not at.exception
    assert at.session_state["cfg"].hidden == (256, 256, 256)


def test_a_click_too_costly_for_the_host_is_refused(monkeypatch):
    at = open_page(dataset="spiral", n_samples="20000", hidden="256,256", batch_size="10000",
                   epochs="10")
    assert any("The learning-rate finder would take about" in i.value for i in inside(at).info)
    assert not any(b.key == "lr_finder" for b in at.button)
    monkeypatch.setenv("PLAYGROUND_PROFILE", "local")
    at.run()
    assert any(b.key == "lr_finder" for b in at.button)
