"""Helpers for browser tests (plain functions; the fixtures live in conftest.py).

Streamlit 1.67 puts both state attributes on the `stApp` root element (checked in its
frontend bundle): `data-test-connection-state` takes the ConnectionState names
(INITIAL, CONNECTING, CONNECTED, ...), and `data-test-script-state` is "initial"
until the first script run has an id, then running / notRunning / rerunRequested /
stopRequested / compilationError. So waiting for "notRunning" cannot pass before the
first run has started.
"""

from __future__ import annotations

from playwright.sync_api import Page

TIMEOUT_MS = 30_000

APP_CONNECTED = '[data-testid="stApp"][data-test-connection-state="CONNECTED"]'
APP_IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'


def open_app(page: Page, url: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Navigate to the app and wait until it is connected and its script has finished."""
    page.goto(url, timeout=timeout_ms)
    wait_for_idle(page, timeout_ms)


def wait_for_idle(page: Page, timeout_ms: int = TIMEOUT_MS) -> None:
    """Wait until the app is connected and no script run is in progress."""
    page.wait_for_selector(APP_CONNECTED, state="attached", timeout=timeout_ms)
    page.wait_for_selector(APP_IDLE, state="attached", timeout=timeout_ms)


def assert_no_exception(page: Page) -> None:
    """Fail if the page shows any Streamlit exception box.

    With client.showErrorDetails = "none" the box still appears, but its text is redacted:
    the traceback is only in the server's log (see the app_server fixture's log file).
    """
    count = page.locator(EXCEPTION).count()
    if count:
        texts = page.locator(EXCEPTION).all_inner_texts()
        raise AssertionError(
            f"{count} stException element(s) on the page:\n" + "\n---\n".join(texts)
        )
