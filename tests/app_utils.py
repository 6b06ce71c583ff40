"""Helpers for the AppTest modules (plain functions; test_app*.py import them)."""

from __future__ import annotations

from pathlib import Path

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
