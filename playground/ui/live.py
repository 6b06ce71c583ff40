"""The main view: the controls (Train/Pause, Step, Reset, New data, the pace, stop after N
epochs) and the live view, which the browser draws from the frames the training workers send
(playground/ui/static/live.js over the channel of playground/ui/server.py). The page's script
never trains itself: it tells the session's LiveJob what the learner asked for and returns."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from playground import Config, Run
from playground.schedule import PACES, LiveJob
from playground.ui import server

state = st.session_state
# Trainings outside the live view (lessons, A/B, sweeps) share the GIL and two cores with it.
TRAIN_SLOTS = threading.BoundedSemaphore(2)

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


@contextmanager
def training_slot(note) -> Iterator[None]:
    while not TRAIN_SLOTS.acquire(timeout=0.25):
        note.info("Other visitors are training right now; yours starts in a moment.")
    note.empty()
    try:
        yield
    finally:
        TRAIN_SLOTS.release()


PROGRESS_S = 0.1  # redraw a progress bar at most this often while runs train


@contextmanager
def training_progress(labels: list[str]) -> Iterator[Callable[[str, Run], None]]:
    """A progress bar for training the runs named `labels` one after another, in a training
    slot; yields `progress(label, run)`, the per-epoch callback that moves it (at most every
    PROGRESS_S)."""
    bar = st.progress(0.0, text="Waiting for a free training slot")
    last = 0.0

    def progress(label: str, run: Run) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= PROGRESS_S:
            done = labels.index(label) + run.epoch / run.config.epochs
            bar.progress(min(done / len(labels), 1.0),
                         text=f"Training “{label}”: epoch {run.epoch:,} of {run.config.epochs:,}")
            last = now

    with training_slot(st.empty()):
        yield progress
    bar.empty()


def controls_ui(job: LiveJob, cfg: Config, extra=None) -> None:
    """The row of controls above the view (it wraps on a narrow screen instead of stacking);
    `extra()` draws more controls at its end."""
    playing = state.train_pauses = job.playing  # what the button says is what a click means
    with st.container(horizontal=True, vertical_alignment="bottom", key="controls"):
        st.button("Pause" if playing else "Train", type="primary", key="train",
                  on_click=on_train, width=110,
                  help="Pause the training." if playing else
                  "Train from where the model is now, until you press Pause (or for the "
                  "epochs set, with 'Stop after').")
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
                  help="Off: train until you press Pause. On: each press of Train trains the "
                       "sidebar's number of epochs (Training → Epochs).")
        if extra is not None:
            extra()


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
