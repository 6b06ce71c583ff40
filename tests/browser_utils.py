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


# ---- page helpers for test_browser.py -------------------------------------------------------
# Streamlit 1.67 draws every button twice (a hidden copy measures its width), so a key's
# button is the visible one. Elements load lazily: after the first run the page can still show
# stSkeleton placeholders for a moment, and charts need plotly.js.

APP_RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
CHART = '[data-testid="stPlotlyChart"]'
ALERT = '[data-testid="stAlert"]'
SKELETON = '[data-testid="stSkeleton"]'


def button(page: Page, key: str):
    """The visible button of the widget with this key."""
    return page.locator(f".st-key-{key} button:visible")


def widget_input(page: Page, key: str):
    """The <input> of a keyed text input, number input or selectbox (its shown value)."""
    return page.locator(f".st-key-{key} input").first


def open_page(page: Page, url: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """open_app, then wait until the page is drawn: no skeletons, buttons and charts in place."""
    open_app(page, url, timeout_ms)
    page.wait_for_selector(".st-key-train button:visible", timeout=timeout_ms)
    page.wait_for_function(
        f"""() => !document.querySelector('{SKELETON}')
                && document.querySelectorAll('{CHART} .main-svg').length >= 3""",
        timeout=timeout_ms)


def metric(page: Page, label: str):
    """The value element of the st.metric labelled exactly `label`."""
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    ).locator('[data-testid="stMetricValue"]')


def metric_int(page: Page, label: str) -> int:
    return int(metric(page, label).inner_text().strip().replace(",", ""))


def select_option(page: Page, key: str, option: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Pick `option` in a keyed selectbox. It is a react-aria combobox: a click only focuses
    it, ArrowDown opens its list of role="option" items."""
    box = widget_input(page, key)
    box.click(timeout=timeout_ms)
    box.press("ArrowDown")
    page.get_by_role("option", name=option, exact=True).click(timeout=timeout_ms)


def plotly_traces(page: Page, key_prefix: str) -> list[dict]:
    """The drawn traces of the chart whose key starts with `key_prefix`: plotly's _fullData
    (type, name, decoded x), read in the browser; [] while the chart is being replaced."""
    return page.evaluate(
        """prefix => {
            const box = document.querySelector(`[class*="st-key-${prefix}"] .js-plotly-plot`);
            if (!box || !box._fullData) return [];
            return box._fullData.map(t => ({type: t.type, name: t.name,
                                             x: t.x ? Array.from(t.x) : null}));
        }""", key_prefix)


# One atomic read of what a training run shows: script state, Epoch text and the main chart's
# drawn background (the heatmap or image raster plotly renders, as its data URI).
_SNAPSHOT_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const value = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .find(m => m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === 'Epoch')
        ?.querySelector('[data-testid="stMetricValue"]')?.innerText;
    const raster = document.querySelector('[class*="st-key-main-"] .js-plotly-plot image');
    return {state: app?.getAttribute('data-test-script-state') ?? null,
            epoch: value === undefined ? null : parseInt(value.replace(/,/g, ''), 10),
            image: raster ? raster.getAttribute('href') : null};
}"""


def snapshot(page: Page) -> dict:
    """{"state", "epoch", "image"}: read in one go, so the three belong together."""
    return page.evaluate(_SNAPSHOT_JS)
