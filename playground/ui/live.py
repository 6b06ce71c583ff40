"""The main view: the controls (Train/Pause, Step, Reset, New data, the pace, stop after N
epochs) and the live view, which the browser draws from the frames the training workers send
(playground/ui/static/live.js over the channel of playground/ui/server.py). The page's script
never trains itself: it tells the session's LiveJob what the learner asked for and returns."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from playground import Config, Run
from playground.schedule import PACES, Cancelled, LiveJob, OverBudget, Task
from playground.ui import server
from playground.ui.session import host_profile, session_alive

state = st.session_state

# The component's own code only loads the view (once per page: the browser caches the module).
_LOADER = """
export default function (component) {
  const base = window.location.pathname.replace(/\\/+$/, "");
  const url = new URL(`${base}/playground/static/live.js?v=${component.data.v}`,
                      window.location.href).href;
  return import(url).then((view) => view.mount(component)).catch((error) => {
    component.parentElement.textContent = `The live view could not start: ${error}`;
  });
}
"""
_COMPONENT = st.components.v2.component("playground_live", js=_LOADER)
_VERSION = server.static_version()


LIMIT_FACTOR = 4.0  # a click may use this many times the host's click budget before it stops
PROGRESS_S = 0.1  # redraw a progress bar at most this often while runs train
T = TypeVar("T")


def scheduled(what: str, compute: Callable[[Callable[..., None]], T], note=None) -> T | None:
    """`compute(tick)`, done by this page's script in the turns the training workers give it
    (playground/schedule.py's Task), so it shares the server fairly with every visitor's live
    training and with the other pages' work. `compute` calls `tick()` (any arguments are
    ignored) between small pieces of work, e.g. from its per-epoch callback.

    While it waits for a turn, `note` (a placeholder) says what it waits for. A closed tab stops
    it (the script ends quietly); work that runs far past its estimate stops with a message in
    `note`, and the result is None."""
    note = note if note is not None else st.empty()
    told = [False]

    def waiting(task: Task) -> None:
        others = task.sharing() - 1
        busy = (f"{others} other run{'s are' if others != 1 else ' is'} training on this "
                "server" if others > 0 else "the server is busy")
        note.info(f"Waiting for a turn: {busy}; {what[0].lower() + what[1:]} gets its share in a moment.",
                  icon=":material/hourglass_top:")
        told[0] = True

    def tick(*_) -> None:
        task.tick()
        if told[0]:
            note.empty()
            told[0] = False

    task = Task(what, session_alive(), limit_s=host_profile().click_s * LIMIT_FACTOR,
                on_wait=waiting)
    try:
        with task:
            tick()
            return compute(tick)
    except Cancelled:
        st.stop()
    except OverBudget as e:
        note.warning(f"{e}, and was stopped. Try a smaller set-up, or run the app on your own "
                     "machine (the local profile).", icon=":material/timer_off:")
    return None


def progress_bar(labels: list[str], where=None
                 ) -> tuple[Callable[[str, Run], None], Callable[[], None]]:
    """A progress bar (in the placeholder `where`, else here) for training the runs named
    `labels` one after another: the per-epoch `progress(label, run)` that moves it (at most
    every PROGRESS_S), and `done()` that removes it."""
    n = len(labels)

    def text(label: str, run: Run | None) -> str:
        # What changes comes first: the page may cut a long label off at the bar's width.
        which = f" {labels.index(label) + 1} of {n}" if n > 1 else ""
        epochs = f", epoch {run.epoch:,} of {run.config.epochs:,}" if run is not None else ""
        return f"Training{which}{epochs}: “{label}”"

    bar = (where if where is not None else st).progress(0.0, text=text(labels[0], None))
    last = 0.0

    def progress(label: str, run: Run) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= PROGRESS_S:
            done = labels.index(label) + run.epoch / run.config.epochs
            bar.progress(min(done / n, 1.0), text=text(label, run))
            last = now

    return progress, bar.empty


def train_scheduled(what: str, labels: list[str],
                    compute: Callable[[Callable[[str, Run], None]], T], where=None) -> T | None:
    """`compute(progress)` trains the runs `labels` one after another, calling
    `progress(label, run)` after each epoch: a progress bar moves (in the placeholder `where`,
    else here), and the work takes its turns (`scheduled`)."""
    progress, done = progress_bar(labels, where)

    def go(tick: Callable[..., None]) -> T:
        def step(label: str, run: Run) -> None:
            progress(label, run)
            tick()
        return compute(step)

    result = scheduled(what, go)
    done()
    return result


def controls_ui(job: LiveJob, cfg: Config) -> None:
    """The row of controls above the view (it wraps on a narrow screen instead of stacking)."""
    with st.container(horizontal=True, vertical_alignment="bottom", key="controls", gap="xsmall"):
        _train_button()
        st.button("Step", key="step", on_click=on_step, help="Train exactly one epoch.")
        st.button("Reset", key="reset", on_click=on_reset, help="New initial weights, same data.")
        st.button("New data", key="new_data", on_click=on_new_data,
                  help="Draw a new sample of the dataset.")
        if state.get("pace") not in PACES:
            state.pace = job.want.pace
        st.segmented_control("Pace", list(PACES), format_func=PACES.get, key="pace",
                             on_change=on_pace, label_visibility="collapsed",
                             help="Slow motion: a few epochs a second, to see the first ones. "
                                  "Normal: one epoch per frame, as TensorFlow Playground. "
                                  "Full speed: as fast as the machine trains.")
        st.toggle(f"Stop after {cfg.epochs:,} epochs", key="stop_after",
                  help="Off: Train trains from where the model is now until you press Pause. "
                       "On: each press of Train trains the sidebar's number of epochs "
                       "(Training → Epochs).")


@st.fragment
def _train_button() -> None:
    """Train, or Pause while it plays. A fragment of its own: a click on Train reruns only this
    button (it becomes Pause), not the whole page, whose panels would otherwise be drawn again
    while the first frames play, slowing them down. Whatever pauses the run (the view's Pause,
    the end of a run) reruns the page, this button with it."""
    playing = state.train_pauses = state.job.playing  # what the button says a click means
    # No help tooltip: it stayed up under the resting mouse after the click and covered the
    # lesson box above (the toggle's help says how long Train trains).
    st.button("Pause" if playing else "Train", type="primary", key="train", on_click=on_train,
              width=110)


def live_view(job: LiveJob) -> None:
    """The live view; the same browser elements are kept across reruns (never blank)."""
    _COMPONENT(data={"token": job.token, "v": _VERSION, "epoch": job.run.epoch},
               on_edited_change=_noop, on_stopped_change=_noop)


def _noop() -> None:
    """A trigger from the view only asks for a rerun (the panels below show the model too)."""


# ---- callbacks: they run before the script ---------------------------------------------------
def on_train() -> None:
    job: LiveJob = state.job
    if state.get("train_pauses", job.playing):  # the label the learner clicked
        job.pause()
        return
    # The view has usually started it already, at the click (LiveJob.train is then a no-op).
    job.train(job.run.config.epochs if state.get("stop_after") else None,
              state.get("pace", "normal"))


def on_step() -> None:
    state.job.step()


def on_pace() -> None:
    if state.get("pace") in PACES:
        state.job.set_pace(state.pace)


def on_reset() -> None:
    from playground.ui.sidebar import put_in_sidebar

    state.job.pause()
    put_in_sidebar({"seed": (state.cfg.seed + 1) % (2**31)})


def on_new_data() -> None:
    from playground.ui.sidebar import put_in_sidebar

    state.job.pause()
    if state.cfg.tf_seed:  # a new seed as TF Playground's own button draws one: five decimals
        put_in_sidebar({"tf_seed": f"{random.random():.5f}"})
    else:
        put_in_sidebar({"data_seed": (state.cfg.data_seed + 1) % (2**31)})
