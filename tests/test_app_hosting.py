"""Hosting through AppTest: every page path that trains takes its turns from the scheduler
(playground/ui/live.py's `scheduled`), each is refused before it starts when its estimate is
over the host's click budget, and work that overruns its estimate is stopped with a message.
And a visitor's text that the page shows back (typed values, a file's name, columns and labels)
is shown as text, never read as Markdown."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from app_utils import assert_ok, open_page
from streamlit.testing.v1 import AppTest

from playground import budget
from playground.schedule import Task
from playground.ui import live


@pytest.fixture
def tasks(monkeypatch) -> list[Task]:
    """Every Task the page creates, in order."""
    made: list[Task] = []

    class Recorded(Task):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(live, "Task", Recorded)
    return made


def _lesson(at: AppTest, name: str) -> None:
    at.selectbox(key="lesson_pick").set_value(name).run()


def _race(at: AppTest) -> None:
    at.segmented_control(key="landscape_source").set_value("Four optimizers from the same start")
    at.run()


PATHS = {  # what the page calls the work -> how a learner starts it (after any set-up)
    "The A/B test": (None, "ab_run"),
    "The sweep": (None, "sweep_run"),
    "The learning-rate finder": (None, "lr_finder"),
    "Training both engines": (None, "compare_engines"),
    "The lesson's runs": (lambda at: _lesson(at, "vanishing-gradients"), "lesson_run_all"),
    "Training the four": (_race, "landscape_race_go"),
}


@pytest.mark.parametrize("what", PATHS)
def test_every_path_that_trains_takes_turns_from_the_scheduler(tasks, what):
    at = open_page(dataset="moons", epochs="15", hidden="6", optimizer="sgd", lr="0.05")
    prepare, button = PATHS[what]
    if prepare is not None:
        prepare(at)
    at.button(key=button).click().run()
    assert_ok(at)
    (task,) = [t for t in tasks if t.what == what]
    assert task.served > 0  # it did its work in turns a worker gave it
    assert task._closed and not task._turn  # and gave the worker back at the end
    assert task.limit_s == budget.PROFILES["hosted"].click_s * live.LIMIT_FACTOR


def test_an_ab_test_over_the_click_budget_is_refused_before_it_starts(tasks):
    at = open_page(epochs="3000")  # one run of the default set-up: about 12 s estimated
    at.button(key="ab_run").click().run()
    assert_ok(at)
    assert any("The A/B test would take about" in i.value for i in at.info)
    assert not tasks and not [r for r in at.session_state["kept_runs"] if r.pinned]


def test_a_b_that_does_not_fit_the_host_is_refused():
    at = open_page(dataset="spiral", n_samples="20000", hidden="256,256", batch_size="100",
                   epochs="1")
    at.selectbox(key="ab_knob").set_value("batch_size").run()
    at.text_input(key="ab_value_batch_size").set_value("1").run()
    at.button(key="ab_run").click().run()
    assert_ok(at)
    assert any(i.value.startswith("B does not fit this server: one epoch would take")
               for i in at.info), [i.value for i in at.info]


def test_a_sweep_over_the_click_budget_cannot_be_started(monkeypatch):
    at = open_page(epochs="2000")
    assert at.button(key="sweep_run").disabled
    assert any("The sweep would take about" in i.value and "fewer values or seeds" in i.value
               for i in at.info)
    monkeypatch.setenv("PLAYGROUND_PROFILE", "local")  # one person's own machine: allowed
    at.run()
    assert not at.button(key="sweep_run").disabled


def test_a_lesson_over_the_click_budget_is_refused(monkeypatch, tasks):
    tight = budget.Profile("hosted", click_s=0.01, epoch_s=1.0, memory_bytes=2**30, about="")
    monkeypatch.setitem(budget.PROFILES, "hosted", tight)
    at = open_page()
    _lesson(at, "vanishing-gradients")
    at.button(key="lesson_run_all").click().run()
    assert_ok(at)
    assert any("Running the lesson would take about" in i.value for i in at.info)
    assert not tasks and not at.session_state.get("lesson_runs")


def test_work_that_overruns_its_estimate_is_stopped_with_a_message(monkeypatch):
    monkeypatch.setattr(live, "LIMIT_FACTOR", 1e-4)  # hosted: 0.5 ms of turns at most
    at = open_page(dataset="moons", epochs="50", hidden="8")
    at.button(key="ab_run").click().run()
    assert_ok(at)
    (warning,) = [w.value for w in at.warning if "was stopped" in w.value]
    assert warning.startswith("The A/B test used more than the")
    assert not [r for r in at.session_state["kept_runs"] if r.pinned]  # nothing half-done kept
    assert not [p for p in at.get("progress")]  # the progress bar went away


# ---- a visitor's text is shown as text -----------------------------------------------------------
LINK, IMAGE = "[click me](https://example.invalid/phish)", "![img](http://127.0.0.1:9/x.png)"


def assert_only_text(body: str) -> None:
    """Outside code spans (where Markdown is not read) nothing of the visitor's text is left."""
    outside = re.sub(r"(`+).*?\1", "", body)
    assert "](" not in outside and "http" not in outside, body


def test_a_typed_b_value_in_the_error_is_text():
    at = open_page()
    at.selectbox(key="ab_knob").set_value("lr").run()
    at.text_input(key="ab_value_lr").set_value(LINK).run()
    at.button(key="ab_run").click().run()
    assert_ok(at)
    (body,) = [e.value for e in at.error if e.value.startswith("B is not a valid set-up")]
    assert LINK[:30] in body  # (a long value is cut short)
    assert_only_text(body)


def test_typed_sweep_values_in_the_error_are_text():
    at = open_page()
    at.selectbox(key="sweep_knob1").set_value("lr").run()
    at.text_input(key="sweep_values_lr").set_value(f"0.1, {IMAGE}").run()
    assert_ok(at)
    (body,) = [e.value for e in at.error if e.value.startswith("The sweep cannot run")]
    assert IMAGE in body
    assert_only_text(body)


def test_a_files_name_columns_and_labels_in_the_data_caption_are_text():
    from playground import userdata

    table = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0] * 5, "b": [1.0, 0.0, 1.0, 0.0] * 5,
                          IMAGE: [LINK, "plain"] * 10})
    at = open_page()
    try:
        at.file_uploader(key="upload_data").set_value(
            (f"{LINK}.csv", table.to_csv(index=False).encode(), "text/csv")).run()
        at.button(key="upload_use").click().run()
        assert_ok(at)
        (caption,) = [c.value for c in at.sidebar.caption if "Your data stays" in c.value]
        assert LINK in caption and IMAGE in caption
        assert_only_text(caption)
    finally:
        userdata.forget_all()
