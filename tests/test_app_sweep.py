"""The page's "Sweep a setting" panel through AppTest: plan, refusals, chart, best, Use the best."""

from __future__ import annotations

import numpy as np
from app_utils import assert_ok, open_page, plotly_figures
from streamlit.testing.v1 import AppTest

from playground.sweep import MAX_MODELS


def panel(at: AppTest):
    (block,) = [e for e in at.expander if e.label == "Sweep a setting"]
    return block


def chart(at: AppTest) -> dict:
    """The panel's one figure."""
    (figure,) = plotly_figures(panel(at)).values()
    return figure


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(panel(at), kind)]


def run_sweep(at: AppTest) -> AppTest:
    at.button(key="sweep_run").click().run()
    assert_ok(at)
    return at


def assert_bars_match_summary(figure: dict, summary) -> None:
    """One knob: the means, the ±std bars (stopped at 0 and 100%) and the seeds' range."""
    spread, band, mean = figure["data"]
    np.testing.assert_allclose(mean["y"], summary["mean"])
    np.testing.assert_allclose(np.asarray(spread["error_y"]["array"]) + mean["y"], summary["max"])
    np.testing.assert_allclose(mean["y"] - np.asarray(spread["error_y"]["arrayminus"]),
                               summary["min"])
    std = summary["std"].fillna(0).to_numpy()
    np.testing.assert_allclose(np.asarray(band["error_y"]["array"]) + mean["y"],
                               (summary["mean"] + std).clip(0, 1))


def test_one_knob_sweep_over_the_learning_rate_and_use_the_best():
    at = open_page(dataset="xor", epochs="10", hidden="4", n_samples="200")
    assert at.text_input(key="sweep_values_lr").value == "0.003, 0.01, 0.03, 0.1"
    at.text_input(key="sweep_values_lr").set_value("0.01, 0.3, 1").run()
    at.slider(key="sweep_seeds").set_value(2).run()
    assert any("**6 models**" in t for t in texts(at, "markdown"))
    run_sweep(at)
    result = at.session_state["sweep_result"]
    assert result.axes == {"lr": [0.01, 0.3, 1.0]} and result.seeds == [0, 1]
    assert result.complete
    figure = chart(at)
    assert_bars_match_summary(figure, result.summary())
    np.testing.assert_allclose(figure["data"][2]["x"], [0.01, 0.3, 1.0])
    x = figure["layout"]["xaxis"]
    assert x["type"] == "log" and x["ticktext"] == ["0.01", "0.3", "1"]
    best = result.best()
    (line,) = [t for t in texts(at, "markdown") if t.startswith("**best:")]
    assert line.startswith(f"**best: learning rate {best['lr']:g}** — test accuracy "
                           f"{best['mean']:.1%} ± {best['std']:.1%} over 2 seeds")
    assert any(t.startswith("6 models in ") for t in texts(at, "caption"))
    at.button(key="sweep_use_best").click().run()
    assert_ok(at)
    assert at.session_state["cfg"].lr == best["lr"]
    assert at.query_params["lr"] in (repr(best["lr"]), [repr(best["lr"])])
    assert not any("earlier set-up" in t for t in texts(at, "caption"))  # lr was swept


def test_two_knobs_draw_a_heatmap_with_a_cell_per_pair():
    at = open_page(dataset="xor", epochs="8", hidden="4", n_samples="200")
    at.text_input(key="sweep_values_lr").set_value("0.01, 0.1, 1").run()
    at.selectbox(key="sweep_knob2").set_value("width").run()
    at.text_input(key="sweep_values_width").set_value("2, 8").run()
    at.slider(key="sweep_seeds").set_value(2).run()
    run_sweep(at)
    result = at.session_state["sweep_result"]
    (cells,) = chart(at)["data"]
    assert cells["type"] == "heatmap"
    assert cells["y"] == ["0.01", "0.1", "1"] and cells["x"] == ["2", "8"]  # first knob down
    np.testing.assert_allclose(cells["z"], result.pivot().to_numpy())
    assert all(" ± " in t for row in cells["text"] for t in row)
    at.button(key="sweep_use_best").click().run()
    assert_ok(at)
    point = result.best()
    assert at.session_state["cfg"].hidden == (int(point["width"]),)
    assert at.session_state["cfg"].lr == point["lr"]


def test_categories_keep_their_order_and_the_loss_view_prefers_low():
    at = open_page(dataset="xor", epochs="6", hidden="4", n_samples="120")
    at.selectbox(key="sweep_knob1").set_value("activation").run()
    at.multiselect(key="sweep_values_activation").set_value(["relu", "tanh", "identity"]).run()
    at.slider(key="sweep_seeds").set_value(1).run()
    run_sweep(at)
    figure = chart(at)
    x = figure["layout"]["xaxis"]
    assert x["type"] == "category" and x["categoryarray"] == ["relu", "tanh", "identity"]
    assert figure["data"][2]["x"] == ["relu", "tanh", "identity"]
    assert_bars_match_summary(figure, at.session_state["sweep_result"].summary())
    at.radio(key="sweep_metric").set_value("test_loss").run()
    assert_ok(at)
    result = at.session_state["sweep_result"]
    lowest = result.summary("test_loss").sort_values("mean").iloc[0]
    (line,) = [t for t in texts(at, "markdown") if t.startswith("**best:")]
    assert line.startswith(f"**best: activation {lowest['activation']}** — test loss")
    assert line.endswith("over 1 seed")


def test_too_many_models_are_refused_before_training():
    at = open_page(dataset="xor", epochs="5", hidden="4")
    at.selectbox(key="sweep_knob1").set_value("width").run()
    at.text_input(key="sweep_values_width").set_value(",".join(map(str, range(1, 18)))).run()
    at.slider(key="sweep_seeds").set_value(4).run()
    (error,) = texts(at, "error")
    assert "68 models" in error and f"1 to {MAX_MODELS}" in error
    assert at.button(key="sweep_run").disabled  # AppTest, like a browser, cannot click it
    assert_ok(at)
    assert "sweep_result" not in at.session_state


def test_a_sweep_over_the_step_budget_is_refused():
    at = open_page(dataset="xor", epochs="1000", n_samples="1000", hidden="4")
    at.selectbox(key="sweep_knob1").set_value("batch_size").run()
    at.text_input(key="sweep_values_batch_size").set_value("1, 2, full").run()
    (error,) = texts(at, "error")
    assert "optimizer steps over all models" in error and "2,000,000" in error
    assert at.button(key="sweep_run").disabled


def test_bad_values_are_explained():
    at = open_page(dataset="xor", epochs="5", hidden="4")
    at.text_input(key="sweep_values_lr").set_value("0.1, fast").run()
    (error,) = texts(at, "error")
    assert "learning rate" in error and "fast" in error and "1e-05 to 10" in error
    at.text_input(key="sweep_values_lr").set_value("0.1").run()
    at.selectbox(key="sweep_knob2").set_value("depth").run()
    at.text_input(key="sweep_values_depth").set_value("1, 2.5").run()
    (error,) = texts(at, "error")
    assert "depth" in error and "'2.5' is not a whole number from 0 to 8" in error
    at.text_input(key="sweep_values_depth").set_value(" , ").run()
    (error,) = texts(at, "error")
    assert "give at least one value" in error
    assert at.button(key="sweep_run").disabled
    assert_ok(at)


def test_depth_alone_needs_a_hidden_layer_to_copy():
    at = open_page(dataset="xor", epochs="5", hidden="")
    at.selectbox(key="sweep_knob1").set_value("depth").run()
    (error,) = texts(at, "error")
    assert "no hidden layer" in error and "sweep the width too" in error
    at.selectbox(key="sweep_knob2").set_value("width").run()
    assert texts(at, "error") == []
    assert_ok(at)


def test_the_result_says_when_the_set_up_changed_since():
    at = open_page(dataset="xor", epochs="4", hidden="4", n_samples="120")
    at.text_input(key="sweep_values_lr").set_value("0.1, 1").run()
    at.slider(key="sweep_seeds").set_value(1).run()
    run_sweep(at)
    at.selectbox(key="w_activation").set_value("relu").run()
    assert_ok(at)
    assert any("earlier set-up" in t and "activation" in t for t in texts(at, "caption"))
    assert len(panel(at).get("plotly_chart")) == 1  # the result stays
