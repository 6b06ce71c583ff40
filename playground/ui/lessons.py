"""The lesson picker: choose a guided experiment, load its set-ups, run them all and see the verdict."""

from __future__ import annotations

import streamlit as st

from playground import budget
from playground.lessons import LESSONS, Lesson, run_lesson
from playground.ui.compare import remember
from playground.ui.live import train_scheduled
from playground.ui.session import host_profile
from playground.ui.sidebar import load_into_widgets

state = st.session_state
FREE_PLAY = ""  # the picker's first option: no lesson, the settings are the learner's own
NUMBERS = {name: i for i, name in enumerate(LESSONS, start=1)}


def picker() -> str:
    """The lesson menu (its label and box, for the page's title row); the name chosen."""
    return st.selectbox(
        "Lesson", [FREE_PLAY, *LESSONS], key="lesson_pick", format_func=_option,
        on_change=_on_pick,
        help="Guided experiments: each one loads a set-up into the settings on the left, says "
             "what to try and what to look for, and promises an outcome you can check.")


FREE_PLAY_TEXT = (f"Free play: your own settings, or pick one of {len(LESSONS)} guided lessons "
                  "in the Lesson menu, from memorising random labels to the spiral challenge.")


def card(name: str) -> None:
    """Once a lesson is chosen, its card: what to try, look for, the promise, its runs."""
    if name == FREE_PLAY:
        return
    with st.container(border=True):
        _card(LESSONS[name])


def _option(name: str) -> str:
    return "— free play —" if name == FREE_PLAY else f"{NUMBERS[name]}. {LESSONS[name].title}"


def _card(lesson: Lesson) -> None:
    st.markdown(f"**{lesson.title}** · lesson {NUMBERS[lesson.name]} of {len(LESSONS)}")
    left, right = st.columns(2, gap="medium")
    left.markdown(f"**Try.** {lesson.text}")
    view = f" Open **Under the hood → {lesson.view}** below the charts." if lesson.view else ""
    right.markdown(f"**Look for.** {lesson.look_for}{view}")
    st.markdown(f"**Promise.** {lesson.promise}")
    _controls(lesson)
    verdict = state.get("lesson_verdicts", {}).get(lesson.name)
    if verdict:
        ok, words = verdict
        (st.success if ok else st.warning)(
            f"**{'Promise kept' if ok else 'Promise not kept'}.** {words}",
            icon=":material/verified:" if ok else ":material/report:")
        shown = "The main view shows the lesson's run" + (
            " you pick above" if len(lesson.configs) > 1 else "")
        st.caption(f"{shown}, with its replay under the hood. The runs are pinned in "
                   "**Compare runs** below, with their curves overlaid.")


def _controls(lesson: Lesson) -> None:
    labels = list(lesson.configs)
    several = len(labels) > 1
    cols = st.columns([2, 1, 1.6] if several else [1, 1.6, 2], vertical_alignment="bottom")
    setup_key = f"lesson_setup_{lesson.name}"
    if several:
        cols[0].selectbox("Set-up", labels, key=setup_key,
                          help="Which of the lesson's set-ups Load puts into the settings.")
    load = cols[1] if several else cols[0]
    load.button("Load", key="lesson_load", on_click=_on_load, args=(lesson.name,),
                width="stretch", help="Put this set-up into the settings on the left; then press "
                                      "Train to watch it learn.")
    # While the lesson runs, its progress bar takes the Run button's place: nothing above the
    # main view grows or shrinks (the button is back with the verdict).
    slot = (cols[2] if several else cols[1]).container(key="lesson_run_slot").empty()
    if state.pop("lesson_to_run", None) != lesson.name or not _run_all(lesson, slot):
        n = len(labels)
        what = "it" if n == 1 else "both set-ups" if n == 2 else f"all {n} set-ups"
        slot.button(
            f"Run {what} and check", key="lesson_run_all", width="stretch", type="secondary",
            on_click=_on_run_all, args=(lesson.name,))
        # No help tooltip: it stayed up under the resting mouse and covered the Promise line.
    runs = state.get("lesson_runs", {}).get(lesson.name)
    if runs and several:
        st.segmented_control(
            "In the main view", labels, key=f"lesson_shown_{lesson.name}",
            on_change=_on_show, args=(lesson.name,),
            help="The lesson's trained runs: pick which one the view above (and the replay "
                 "under the hood) shows.")


def prepare() -> None:
    """Before the sidebar is drawn: put a lesson run the learner chose to look at into the
    settings, and hand it to the page to show (session.current_job takes it)."""
    shown = state.pop("lesson_show", None)
    if shown is None:
        return
    name, label = shown
    run = state.get("lesson_runs", {}).get(name, {}).get(label)
    if run is not None:
        load_into_widgets(run.config)
        state.pending_run = run
        state[f"lesson_shown_{name}"] = label


# ---- callbacks: they run before the script, so they may set the sidebar's widgets ------------
def _on_run_all(name: str) -> None:
    state.lesson_to_run = name


def _on_show(name: str) -> None:
    label = state.get(f"lesson_shown_{name}")
    if label:
        state.lesson_show = (name, label)

def _on_pick() -> None:
    name = state.get("lesson_pick", FREE_PLAY)
    if name != FREE_PLAY:
        _load(LESSONS[name], next(iter(LESSONS[name].configs)))


def _on_load(name: str) -> None:
    lesson = LESSONS[name]
    _load(lesson, state.get(f"lesson_setup_{name}") or next(iter(lesson.configs)))


def _load(lesson: Lesson, label: str) -> None:
    load_into_widgets(lesson.configs[label])
    which = f"set-up “{label}”" if len(lesson.configs) > 1 else "its set-up"
    # A toast, not a line in the card: the view below does not move when it comes and goes.
    st.toast(f"Loaded {which} into the settings on the left. Press **Train** to watch it learn.",
             icon=":material/input:")


# ---- running a whole lesson ------------------------------------------------------------------
def _run_all(lesson: Lesson, slot) -> bool:
    """Train the lesson's runs, with the progress bar in `slot`, and show the page around them
    (a rerun); False when they did not run (too costly for the host, or stopped)."""
    labels = list(lesson.configs)
    too_much = budget.check_click(
        "Running the lesson", sum(budget.run_seconds(c) for c in lesson.configs.values()),
        host_profile())
    if too_much:
        st.info(too_much)
        return False
    runs = train_scheduled("The lesson's runs", labels,
                           lambda progress: run_lesson(lesson, progress, replay=True), where=slot)
    if runs is None:
        return False
    state.setdefault("lesson_runs", {})[lesson.name] = runs
    state.lesson_show = (lesson.name, labels[0])  # the main view shows the first run
    state.setdefault("lesson_verdicts", {})[lesson.name] = lesson.check(runs)
    for label, run in runs.items():
        # A fixed key per set-up: running the lesson again replaces its pinned runs, not adds.
        remember(run, f"L{NUMBERS[lesson.name]} {label}", pinned=True,
                 key=f"lesson-{lesson.name}-{labels.index(label)}")
    st.rerun()  # draw the page around the run it now shows
