"""The lesson picker on the page, driven through AppTest: pick, load, run all, verdict."""

from __future__ import annotations

import pytest
from app_utils import assert_ok, frame, job, open_page, plotly_figures, train
from streamlit.testing.v1 import AppTest

from playground import FIELDS, Config
from playground.lessons import LESSONS
from playground.ui.sidebar import SETUP, key, widget_value

WIDGETS = ("selectbox", "multiselect", "number_input", "slider", "select_slider", "text_input",
           "toggle")


def assert_loaded(at: AppTest, cfg: Config) -> None:
    """The sidebar's set-up is `cfg`, every widget it draws shows it, and the page trains it."""
    assert at.session_state[SETUP] == {name: widget_value(cfg, name) for name in FIELDS}
    drawn = {w.key: w.value for kind in WIDGETS for w in at.sidebar.get(kind)}
    assert {key("dataset"), key("hidden"), key("lr")} <= set(drawn)
    for name in FIELDS:
        if key(name) in drawn:
            assert drawn[key(name)] == widget_value(cfg, name), name
    assert at.session_state["cfg"] == cfg
    assert job(at).run.config == cfg


def test_free_play_is_the_default():
    at = open_page()
    assert at.selectbox(key="lesson_pick").value == ""
    assert "Free play" in " ".join(c.value for c in at.caption)
    assert all(b.key != "lesson_load" for b in at.button)  # no card without a lesson


@pytest.mark.slow
def test_every_lesson_loads_each_of_its_set_ups():
    at = open_page()
    tabs = {t.label for t in at.tabs}
    for name, lesson in LESSONS.items():
        at.selectbox(key="lesson_pick").set_value(name).run()  # picking loads the first set-up
        assert_ok(at)
        first, *others = lesson.configs
        assert_loaded(at, lesson.configs[first])
        assert lesson.title in " ".join(m.value for m in at.markdown)
        assert lesson.view is None or lesson.view in tabs  # the tab the lesson points to exists
        for label in others:
            at.selectbox(key=f"lesson_setup_{name}").set_value(label).run()
            at.button(key="lesson_load").click().run()
            assert_ok(at)
            assert_loaded(at, lesson.configs[label])
    at.selectbox(key="lesson_pick").set_value("").run()  # back to free play keeps the settings
    assert_ok(at)
    assert_loaded(at, list(LESSONS["spiral"].configs.values())[-1])


def test_the_learning_rate_lessons_runs_share_one_loss_surface():
    at = open_page()
    at.selectbox(key="lesson_pick").set_value("learning-rate").run()
    at.button(key="lesson_run_all").click().run()
    assert_ok(at)
    assert any("Promise kept" in s.value for s in at.success)
    at.segmented_control(key="landscape_source").set_value("This lesson's runs").run()
    assert_ok(at)
    land = at.session_state["landscape_result"][1]
    assert land.method == "exact" and list(land.paths) == list(LESSONS["learning-rate"].configs)
    traces = plotly_figures(at)["landscape"]["data"]
    assert [t["name"] for t in traces if t["type"] == "scatter" and t.get("mode") ==
            "lines+markers"] == list(land.paths)
    # Free play has no lesson's runs to offer.
    at.selectbox(key="lesson_pick").set_value("").run()
    assert_ok(at)
    assert at.segmented_control(key="landscape_source").value == "This run"
    assert "This lesson's runs" not in at.segmented_control(key="landscape_source").options


def test_load_puts_back_a_lesson_set_up_after_changes():
    at = open_page()
    at.selectbox(key="lesson_pick").set_value("teacher").run()
    at.number_input(key="w_epochs").set_value(3).run()
    assert at.session_state["cfg"].epochs == 3
    at.button(key="lesson_load").click().run()
    assert_ok(at)
    assert_loaded(at, LESSONS["teacher"].configs["teacher data"])


def test_run_all_shows_the_verdict_and_pins_the_runs():
    at = open_page()
    at.selectbox(key="lesson_pick").set_value("vanishing-gradients").run()
    at.button(key="lesson_run_all").click().run()
    assert_ok(at)
    (verdict,) = [s.value for s in at.success if "Promise kept" in s.value]
    assert "first layer's gradient norm" in verdict
    pinned = [r for r in at.session_state["kept_runs"] if r.pinned]
    assert [r.label for r in pinned] == ["L8 sigmoid", "L8 ReLU"]
    assert [r.config for r in pinned] == list(LESSONS["vanishing-gradients"].configs.values())
    # Running the lesson again replaces its pinned runs instead of piling up copies.
    at.button(key="lesson_run_all").click().run()
    assert_ok(at)
    assert len([r for r in at.session_state["kept_runs"] if r.pinned]) == 2


def test_run_all_leaves_its_runs_in_the_main_view_with_their_replay():
    at = open_page()
    at.selectbox(key="lesson_pick").set_value("vanishing-gradients").run()
    lesson = LESSONS["vanishing-gradients"]
    labels = list(lesson.configs)
    at.button(key="lesson_run_all").click().run()
    assert_ok(at)
    runs = at.session_state["lesson_runs"]["vanishing-gradients"]
    assert job(at).run is runs[labels[0]]  # the first run is in the main view, trained
    assert job(at).run.epoch == lesson.configs[labels[0]].epochs
    assert at.session_state["cfg"] == lesson.configs[labels[0]]  # and in the sidebar
    assert len(job(at).run.snapshots) > 2  # the replay the lesson card points to
    shown = at.segmented_control(key="lesson_shown_vanishing-gradients")
    assert shown.value == labels[0]
    shown.set_value(labels[1]).run()
    assert_ok(at)
    assert job(at).run is runs[labels[1]] and at.session_state["cfg"] == lesson.configs[labels[1]]
    assert not at.toast  # looking at another run is no reset


def test_early_stopping_is_explained_on_the_page():
    at = open_page(dataset="random", n_samples="200", hidden="64", activation="relu",
                   optimizer="adam", lr="0.01", batch_size="20", epochs="50", patience="4")
    train(at)
    assert_ok(at)
    run = job(at).run
    assert run.status == "early_stopped" and run.epoch == 4
    assert frame(at)[0]["message"].startswith("Early stopping after epoch 4")  # under the cards
