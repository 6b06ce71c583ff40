"""The page's "Compare runs" panel through AppTest: kept runs, overlay, differences, A/B."""

from __future__ import annotations

import numpy as np
from app_utils import assert_ok, open_page, plotly_figures, train
from streamlit.testing.v1 import AppTest

from playground.ui.compare import MAX_PINNED, MAX_UNPINNED


def panel(at: AppTest):
    (block,) = [e for e in at.expander if e.label.startswith("Compare runs")]
    return block


def overlay(at: AppTest) -> dict[str, tuple[dict, dict]]:
    """The panel's charts by y-axis title: (figure, its traces by legend name)."""
    out = {}
    for fig in plotly_figures(panel(at)).values():
        out[fig["layout"]["yaxis"]["title"]["text"]] = (
            fig, {trace["name"]: trace for trace in fig["data"]})
    return out


def kept(at: AppTest):
    return at.session_state["kept_runs"]


def test_trained_runs_are_kept_overlaid_and_their_differences_shown():
    at = open_page(dataset="xor", epochs="15", hidden="4")
    assert panel(at).label == "Compare runs (0 kept)"
    train(at)
    at.select_slider(key="w_lr").set_value(0.3).run()
    at.number_input(key="w_seed").set_value(7).run()  # a new network: a second run
    train(at)
    assert panel(at).label == "Compare runs (2 kept)"
    first, second = kept(at)
    assert (first.config.lr, second.config.lr) == (0.03, 0.3)
    assert first.final("epoch") == second.final("epoch") == 15
    charts = overlay(at)
    fig, loss = charts["test loss"]
    assert set(loss) == {first.label, second.label}
    assert fig["layout"]["yaxis"]["type"] == "log"
    np.testing.assert_array_equal(loss[second.label]["x"], second.history["epoch"])
    np.testing.assert_array_equal(loss[second.label]["y"], second.history["test_loss"])
    _, acc = charts["test accuracy"]
    assert acc[first.label]["y"].max() <= 1
    editor, table = panel(at).dataframe  # the kept runs (an editor), then the differences
    assert editor.value["run"].tolist() == [first.label, second.label]
    differing = table.value
    assert list(differing.index) == ["Learning rate", "Seed"]
    assert differing.loc["Learning rate"].tolist() == ["0.03", "0.3"]


def test_per_second_axis_and_train_curves():
    at = open_page(dataset="xor", epochs="10", hidden="4")
    train(at)
    at.radio(key="compare_x").set_value("seconds").run()
    at.radio(key="compare_split").set_value("train").run()
    assert_ok(at)
    (record,) = kept(at)
    fig, curves = overlay(at)["train loss"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "training time (s)"
    np.testing.assert_array_equal(curves[record.label]["x"], record.history["seconds"])
    np.testing.assert_array_equal(curves[record.label]["y"], record.history["train_loss"])


def test_only_the_last_unpinned_runs_are_kept():
    at = open_page(dataset="xor", epochs="2", hidden="2", n_samples="40")
    for seed in range(MAX_UNPINNED + 2):
        at.number_input(key="w_seed").set_value(seed + 1).run()
        train(at)
    records = kept(at)
    assert len(records) == MAX_UNPINNED
    assert [r.config.seed for r in records] == list(range(3, MAX_UNPINNED + 3))


def test_ab_changes_one_knob_from_the_same_initial_weights():
    at = open_page(dataset="moons", epochs="20", hidden="8")
    at.selectbox(key="ab_knob").set_value("lr").run()
    at.text_input(key="ab_value_lr").set_value("0.3").run()
    at.button(key="ab_run").click().run()
    assert_ok(at)
    a, b = [r for r in kept(at) if r.pinned]
    assert a.label == "A: learning rate = 0.03" and b.label == "B: learning rate = 0.3"
    assert a.history["train_loss"][0] == b.history["train_loss"][0]  # same weights, same data
    assert a.history["train_loss"][-1] != b.history["train_loss"][-1]
    assert set(overlay(at)["test loss"][1]) == {a.label, b.label}
    (verdict,) = [i.value for i in panel(at).info]
    assert verdict.startswith("With learning rate = 0.3 (B) instead of 0.03 (A): test accuracy")


def test_ab_with_an_impossible_value_explains_and_trains_nothing():
    at = open_page(dataset="moons", epochs="5", hidden="8")
    at.selectbox(key="ab_knob").set_value("lr").run()
    at.text_input(key="ab_value_lr").set_value("fast").run()
    at.button(key="ab_run").click().run()
    assert_ok(at)
    (message,) = [e.value for e in panel(at).error]
    assert message.startswith("B is not a valid set-up:") and "fast" in message
    assert kept(at) == []


def test_ab_of_an_activation_offers_the_other_choices():
    at = open_page(dataset="xor", epochs="5", hidden="4", activation="tanh")
    at.selectbox(key="ab_knob").set_value("activation").run()
    options = at.selectbox(key="ab_value_activation").options
    assert "tanh" not in options and "relu" in options
    at.selectbox(key="ab_value_activation").set_value("relu").run()
    at.button(key="ab_run").click().run()
    assert_ok(at)
    a, b = kept(at)
    assert (a.config.activation, b.config.activation) == ("tanh", "relu")


def test_pins_are_bounded_the_oldest_lapse():
    at = open_page(dataset="xor", epochs="2", hidden="2", n_samples="40")
    at.selectbox(key="ab_knob").set_value("lr").run()
    for lr in ("0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7"):  # each A/B pins two runs
        at.text_input(key="ab_value_lr").set_value(lr).run()
        at.button(key="ab_run").click().run()
        assert_ok(at)
    records = kept(at)
    assert sum(r.pinned for r in records) == MAX_PINNED
    assert len(records) <= MAX_PINNED + MAX_UNPINNED
    assert [r.label for r in records if r.pinned][-1] == "B: learning rate = 0.7"


def test_ab_defaults_to_a_change_that_makes_a_difference():
    at = open_page(dataset="moons", epochs="10", hidden="4")
    assert at.selectbox(key="ab_knob").value == "optimizer"
    assert at.selectbox(key="ab_value_optimizer").value != at.session_state["cfg"].optimizer
    at.button(key="ab_run").click().run()
    assert_ok(at)
    a, b = kept(at)
    assert a.config.optimizer != b.config.optimizer
    assert a.history["train_loss"][0] == b.history["train_loss"][0]
    assert a.history["train_loss"][-1] != b.history["train_loss"][-1]


def test_ab_offers_only_losses_that_differ_from_the_one_auto_picks():
    at = open_page(dataset="moons", epochs="5", hidden="4")
    at.selectbox(key="ab_knob").set_value("loss").run()
    options = at.selectbox(key="ab_value_loss").options
    assert "auto" not in options and "cross_entropy" not in options  # both are cross-entropy
    assert {"bce", "mse", "hinge"} <= set(options)
    regression = open_page(dataset="sine", epochs="5", hidden="4")
    regression.selectbox(key="ab_knob").set_value("loss").run()
    options = regression.selectbox(key="ab_value_loss").options
    assert set(options) == {"l1", "huber", "square"}  # not mse (auto's), not the classification losses
