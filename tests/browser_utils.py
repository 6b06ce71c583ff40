"""Helpers for browser tests (plain functions; the fixtures live in conftest.py).

Streamlit 1.67 puts both state attributes on the `stApp` root element (checked in its
frontend bundle): `data-test-connection-state` takes the ConnectionState names
(INITIAL, CONNECTING, CONNECTED, ...), and `data-test-script-state` is "initial"
until the first script run has an id, then running / notRunning / rerunRequested /
stopRequested / compilationError. So waiting for "notRunning" cannot pass before the
first run has started.
"""

from __future__ import annotations

import time

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


# Any change of the script state after an idle page means a script run started; a
# MutationObserver sees it even when the run is over before the next poll.
_WATCH_RUN_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__scriptRan = false;
    window.__runWatch?.disconnect();
    window.__runWatch = new MutationObserver(() => { window.__scriptRan = true; });
    window.__runWatch.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def click_and_wait(page: Page, target, timeout_ms: int = TIMEOUT_MS) -> None:
    """Click `target` (a locator) and wait until the script run it asks for has finished.
    wait_for_idle() right after a click can pass before that run starts: the page is still
    idle from the run before, and what is read next belongs to neither."""
    wait_for_idle(page, timeout_ms)
    page.evaluate(_WATCH_RUN_JS)
    target.click(timeout=timeout_ms)
    page.wait_for_function("() => window.__scriptRan", timeout=timeout_ms)
    wait_for_idle(page, timeout_ms)


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
# stSkeleton placeholders for a moment. The main view is an st.image (a JPEG or PNG the server
# renders), the curves are Vega-Lite charts drawn as SVG.

APP_RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
# The views' charts and alerts, not those of the expanders or the network section (tested apart).
CHART = ('[data-testid="stVegaLiteChart"]:not([data-testid="stExpander"] *)'
         ':not(.st-key-network *)')
IMAGE = ('[data-testid="stMain"] [data-testid="stImage"]:not([data-testid="stExpander"] *)'
         ':not(.st-key-network *) img')
NETWORK = '.st-key-network'
ALERT = '[data-testid="stAlert"]:not([data-testid="stExpander"] *)'
SKELETON = '[data-testid="stSkeleton"]'


def button(page: Page, key: str):
    """The visible button of the widget with this key."""
    return page.locator(f".st-key-{key} button:visible")


def widget_input(page: Page, key: str):
    """The <input> of a keyed text input, number input or selectbox (its shown value)."""
    return page.locator(f".st-key-{key} input").first


def open_page(page: Page, url: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """open_app, then wait until the page is drawn: no skeletons, buttons in place, the main
    image loaded and both curve charts rendered."""
    open_app(page, url, timeout_ms)
    page.wait_for_selector(".st-key-train button:visible", timeout=timeout_ms)
    page.wait_for_function(
        f"""() => !document.querySelector('{SKELETON}')
                && [...document.querySelectorAll('{IMAGE}')].some(i => i.complete && i.naturalWidth > 0)
                && document.querySelectorAll('{CHART} svg .mark-line').length >= 4""",
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


def choose(page: Page, key: str, text: str, tries: int = 4) -> None:
    """Pick the option containing `text` in a keyed selectbox: type to filter the list (it only
    renders the options in view), then click the option. The list can be redrawn under the
    click by a rerun, or closed by a key press that arrives while it opens: retry."""
    box = widget_input(page, key)
    for _ in range(tries):
        wait_for_idle(page)
        box.click()
        page.keyboard.type(text)
        try:
            page.get_by_role("option").filter(has_text=text).first.click(timeout=3_000)
            wait_for_idle(page)
            return
        except Exception:  # noqa: BLE001 (playwright's timeout or detached element)
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose {text!r} in {key}")


def images(page: Page) -> list[dict]:
    """The main area's images: {src, complete, width (natural), height, caption}."""
    return page.evaluate(
        f"""() => [...document.querySelectorAll('{IMAGE}')].map(i => ({{
            src: i.currentSrc, complete: i.complete, width: i.naturalWidth,
            height: i.naturalHeight,
            caption: i.closest('[data-testid="stImage"]')
                      .querySelector('[data-testid="stImageCaption"]')?.innerText ?? null}}))""")


# Vega's SVG renderer keeps each mark item on its DOM node (`__data__`): the curves' hover
# points (the chart's symbol layer, one per row) carry the rows {epoch, value, shown, curve}.
_CURVE_JS = f"""label => {{
    for (const chart of document.querySelectorAll('{CHART}')) {{
        const rows = [...chart.querySelectorAll('.mark-symbol.role-mark path')]
            .map(p => p.__data__?.datum).filter(d => d && d.curve === label);
        if (rows.length) return {{
            rows: rows.map(d => ({{epoch: d.epoch, value: d.value}})),
            y_axis: chart.querySelector('[aria-label^="Y-axis"]')?.getAttribute('aria-label')
                    ?? null}};
    }}
    return {{rows: [], y_axis: null}};
}}"""


def curve(page: Page, label: str) -> list[dict]:
    """The drawn rows {epoch, value} of the curve called `label`, in epoch order."""
    rows = page.evaluate(_CURVE_JS, label)["rows"]
    return sorted(rows, key=lambda r: r["epoch"])


def y_axis(page: Page, label: str) -> str | None:
    """Vega's description of the y axis of the chart drawing `label`, e.g. "Y-axis titled
    'loss' for a linear scale with values from 0.5 to 0.7"."""
    return page.evaluate(_CURVE_JS, label)["y_axis"]


def settled_curve(page: Page, label: str, timeout_ms: int = 5_000) -> list[dict]:
    """curve() once the chart has finished drawing: Vega updates a chart's data
    asynchronously after the script is idle, so read until two reads 250 ms apart agree."""
    deadline = time.monotonic() + timeout_ms / 1000
    last = curve(page, label)
    while True:
        page.wait_for_timeout(250)
        now = curve(page, label)
        if now and now == last:
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"the {label!r} curve kept changing for {timeout_ms} ms")
        last = now


# One atomic read of what a training run shows: script state, Epoch text and the main image's
# URL (every redraw sends a new one; '' while Chrome loads an image into a new <img>).
_SNAPSHOT_JS = f"""() => {{
    const app = document.querySelector('[data-testid="stApp"]');
    const value = [...document.querySelectorAll('[data-testid="stMetric"]')]
        .find(m => m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === 'Epoch')
        ?.querySelector('[data-testid="stMetricValue"]')?.innerText;
    const image = document.querySelector('{IMAGE}');
    return {{state: app?.getAttribute('data-test-script-state') ?? null,
            epoch: value === undefined ? null : parseInt(value.replace(/,/g, ''), 10),
            image: image?.currentSrc || null}};
}}"""


def snapshot(page: Page) -> dict:
    """{"state", "epoch", "image"}: read in one go, so the three belong together."""
    return page.evaluate(_SNAPSHOT_JS)


# Samples of whether the views are on screen, taken in the page: by a timer every `every_ms`
# for `ms` (kind "timer"; a busy page stretches the interval) and after every change to the
# page (kind "dom", from a MutationObserver, so even a short gap between two redraws is seen).
# An <img> whose src changes keeps showing its last frame until the next has loaded (checked
# with screenshots in Chromium), though `complete` is false meanwhile; so an image counts as
# shown when its element has loaded a frame at some point, and `complete` is kept apart.
_SAMPLER_JS = f"""([ms, everyMs]) => new Promise(resolve => {{
    const out = [], t0 = performance.now();
    const sample = kind => {{
        const img = document.querySelector('{IMAGE}');
        if (img && img.__sampled === undefined) {{
            img.__sampled = true;
            // an <img> already on the page with a src has shown an earlier frame: the element
            // persists from frame to frame and only its src changes
            img.__loaded = (img.complete && img.naturalWidth > 0) || !!img.getAttribute('src');
            img.addEventListener('load', () => {{ img.__loaded = true; }});
        }}
        out.push({{
            kind, t: Math.round(performance.now() - t0),
            state: document.querySelector('[data-testid="stApp"]')
                       ?.getAttribute('data-test-script-state') ?? null,
            shown: !!img && img.__loaded,
            complete: !!img && img.complete && img.naturalWidth > 0,
            src: img?.getAttribute('src') ?? null,
            charts: document.querySelectorAll('{CHART} svg .mark-line').length / 2,
        }});
    }};
    const observer = new MutationObserver(() => sample('dom'));
    observer.observe(document.body, {{childList: true, subtree: true}});
    const tick = () => {{
        sample('timer');
        if (performance.now() - t0 < ms) setTimeout(tick, everyMs);
        else {{ observer.disconnect(); resolve(out); }}
    }};
    tick();
}})"""


def start_sampling(page: Page, ms: int, every_ms: int) -> None:
    """Start sampling the views in the page; collect_samples() waits for the list."""
    page.evaluate(f"args => {{ window.__viewSamples = ({_SAMPLER_JS})(args); }}",
                  [ms, every_ms])


def collect_samples(page: Page) -> list[dict]:
    """[{kind, t, state, shown, complete, src, charts}] of the sampling started last."""
    return page.evaluate("() => window.__viewSamples")


def sample_views(page: Page, ms: int, every_ms: int) -> list[dict]:
    start_sampling(page, ms, every_ms)
    return collect_samples(page)
