"""Helpers for the AppTest modules (plain functions; test_app*.py import them)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

# AppTest resolves relative paths against the calling file, not the working directory.
APP = Path(__file__).resolve().parent.parent / "app.py"
TIMEOUT_S = 120  # per script run: some runs train (lessons, sweeps, A/B) on a busy 2-core machine


def open_page(**params: str) -> AppTest:
    """A new session opened with the link `?k=v&...`, after its first script run."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
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


def job(at: AppTest):
    """The session's live job (its `run` is the model the view shows)."""
    return at.session_state["job"]


def wait_until(predicate, timeout_s: float = 60.0, what: str = "the condition") -> None:
    """Poll `predicate` (the background workers train while the test waits)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.01)


def train(at: AppTest, timeout_s: float = 120.0) -> AppTest:
    """Press Train with 'Stop after N epochs' on (a run of the sidebar's epochs), wait until the
    workers have finished it, and redraw the page: what a learner sees once the run is over."""
    at.toggle(key="stop_after").set_value(True).run()
    assert_ok(at)
    click(at, "train")
    wait_until(lambda: not job(at).playing, timeout_s, "the run to finish")
    at.run()
    assert_ok(at)
    return at


def frame(at: AppTest, structure: bool = False):
    """What the live view would be sent now: (header, arrays) of the job's next frame."""
    from playground.draw import frames

    j = job(at)
    with j.lock:
        view = frames.LiveView(j.run)
        state = frames.job_state(j)
        first = view.structure(state)
        if structure:
            return frames.decode(first)
        closer = j.options.get("closer", (1, 0) if j.run.config.hidden else (0, 0))
        return frames.decode(view.frame(state, closer=closer, metrics=j.edited))


def _decoded(value):
    """Plotly's JSON with its typed arrays ({"dtype", "bdata", "shape"}) as numpy arrays."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
            shape = value.get("shape")
            return array.reshape([int(n) for n in str(shape).split(",")]) if shape else array
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def plotly_figures(block) -> dict[str, dict]:
    """Every plotly chart in `block` (an AppTest, or an element such as an expander) by the
    key it was drawn with: its figure as a dict, typed arrays decoded."""
    out = {}
    for el in block.get("plotly_chart"):
        key = el.proto.id.split("-", 2)[2]  # "$$ID-<hash>-<key>"
        out[key] = _decoded(json.loads(el.proto.spec))
    return out
