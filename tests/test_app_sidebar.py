"""The sidebar keeps its values when a widget hides and comes back (AppTest).

Streamlit forgets a widget's value in a run that does not draw it: features are hidden on 1-D
data, classes on most datasets, momentum under Adam, step size and gamma without the step
schedule. The page keeps the set-up in the session's own state and feeds it back.
"""

from __future__ import annotations

from app_utils import assert_ok, click, job, open_page, train
from streamlit.testing.v1 import AppTest


def choose(at: AppTest, key: str, value: str) -> AppTest:
    at.selectbox(key=key).set_value(value).run()
    assert_ok(at)
    return at


def assert_clean(at: AppTest) -> None:
    """No settings error, and the model is the one the sidebar shows."""
    assert not [e.value for e in at.error], [e.value for e in at.error]
    cfg = at.session_state["cfg"]
    assert job(at).run.config == cfg
    assert at.selectbox(key="w_dataset").value == cfg.dataset


def test_features_come_back_after_a_1d_dataset():
    at = open_page(dataset="moons", features="x1,x2,x1x2")
    choose(at, "w_dataset", "sine")
    assert not at.get("multiselect")  # 1-D data: no features to choose
    assert_clean(at)
    choose(at, "w_dataset", "moons")
    assert at.multiselect(key="w_features").value == ["x1", "x2", "x1x2"]
    assert_clean(at)
    run = job(at).run
    assert run.data.name == "moons" and run.config.features == ("x1", "x2", "x1x2")
    train(at)  # Train and Reset act on the moons model, not the sine one
    assert job(at).run.data.name == "moons"
    assert job(at).run.epoch == run.config.epochs
    click(at, "reset")
    assert job(at).run.data.name == "moons"
    assert job(at).run.config.seed == 1
    assert_clean(at)


def test_classes_come_back_after_a_dataset_without_them():
    at = open_page(dataset="spirals", n_classes="5")
    choose(at, "w_dataset", "sine")
    choose(at, "w_dataset", "spirals")
    assert at.number_input(key="w_n_classes").value == 5
    assert job(at).run.data.n_classes == 5
    assert_clean(at)


def test_momentum_comes_back_after_another_optimizer():
    at = open_page(optimizer="momentum")
    at.slider(key="w_momentum").set_value(0.5).run()
    assert_ok(at)
    choose(at, "w_optimizer", "adam")
    choose(at, "w_optimizer", "nesterov")
    assert at.slider(key="w_momentum").value == 0.5
    assert at.session_state["cfg"].momentum == 0.5
    assert_clean(at)


def test_step_size_and_gamma_come_back_after_another_schedule():
    at = open_page(schedule="step")
    at.number_input(key="w_step_size").set_value(20).run()
    at.slider(key="w_gamma").set_value(0.3).run()
    assert_ok(at)
    choose(at, "w_schedule", "none")
    assert at.session_state["cfg"].step_size == 20  # a hidden widget's value stays in the set-up
    choose(at, "w_schedule", "step")
    assert at.number_input(key="w_step_size").value == 20
    assert at.slider(key="w_gamma").value == 0.3
    cfg = at.session_state["cfg"]
    assert (cfg.step_size, cfg.gamma) == (20, 0.3)
    assert_clean(at)


def test_many_switches_keep_every_hidden_value():
    at = open_page(dataset="blobs", n_classes="4", features="x1,x2,sin_x1")
    for dataset in ("sine", "blobs", "digits", "spirals", "bumps", "blobs", "moons", "blobs"):
        choose(at, "w_dataset", dataset)
        assert_clean(at)
        cfg = at.session_state["cfg"]
        assert cfg.dataset == dataset
        assert (cfg.n_classes, cfg.features) == (4, ("x1", "x2", "sin_x1")), dataset
    assert at.multiselect(key="w_features").value == ["x1", "x2", "sin_x1"]
    assert at.number_input(key="w_n_classes").value == 4


def test_a_value_set_while_its_widget_is_hidden_is_shown_when_it_returns():
    # A lesson on 1-D data loads its whole set-up, features included (the defaults): they are
    # what the features widget shows on 2-D data afterwards, not what it showed before.
    at = open_page(dataset="moons", features="x1,x2,x1x2")
    choose(at, "lesson_pick", "building-blocks")
    assert at.session_state["cfg"].dataset == "sine"
    choose(at, "w_dataset", "moons")
    assert at.multiselect(key="w_features").value == ["x1", "x2"]
    assert at.session_state["cfg"].features == ("x1", "x2")
    assert_clean(at)
