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
    idle from the run before, and what is read next belongs to neither. For clicks that rerun
    the whole page: a fragment's run (the Train button's) can start and end within one render
    of the page, which then never shows it running."""
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


# ---- page helpers -------------------------------------------------------------------------
# Streamlit 1.67 draws every button twice (a hidden copy measures its width), so a key's
# button is the visible one. The main view is the live view (playground/ui/static/live.js):
# its cards, canvases and the frames it was sent are read from the page itself
# (window.__mlpLive holds the view's state, `stats` its counters).

APP_RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
LIVE = '[data-testid="mlpLive"]'
ALERT = '[data-testid="stAlert"]:not([data-testid="stExpander"] *)'
SKELETON = '[data-testid="stSkeleton"]'
CARDS = {"Epoch": "epoch", "Train loss": "train", "Test loss": "test", "Test accuracy": "score",
         "Test R²": "score", "Epochs per second": "speed", "Status": "status"}


def open_panel(page: Page, title: str):
    """The expander whose title starts with `title`, opened."""
    block = page.locator('[data-testid="stExpander"]').filter(
        has=page.locator("summary", has_text=title))
    if block.locator("details").first.get_attribute("open") is None:
        block.locator("summary").click()
    return block


def button(page: Page, key: str):
    """The visible button of the widget with this key."""
    return page.locator(f".st-key-{key} button:visible")


def widget_input(page: Page, key: str):
    """The <input> of a keyed text input, number input or selectbox (its shown value)."""
    return page.locator(f".st-key-{key} input").first


def painted(page: Page) -> int:
    return page.evaluate("() => window.__mlpLive?.stats?.painted ?? 0")


def open_page(page: Page, url: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """open_app, then wait until the page is drawn: no skeletons, the buttons in place and the
    live view painted from its first frame."""
    open_app(page, url, timeout_ms)
    page.wait_for_selector(".st-key-train button:visible", timeout=timeout_ms)
    page.wait_for_function(
        f"""() => !document.querySelector('{SKELETON}') && window.__mlpLive?.frame
                && window.__mlpLive.stats.painted > 0""", timeout=timeout_ms)


def metric(page: Page, label: str):
    """The value of the card labelled `label` (the live view's cards; an st.metric otherwise)."""
    if label in CARDS:
        return page.locator(f'[data-testid="mlpCard-{CARDS[label]}"] .value')
    return page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]').get_by_text(label, exact=True)
    ).locator('[data-testid="stMetricValue"]')


def metric_int(page: Page, label: str) -> int:
    return int(metric(page, label).inner_text().strip().replace(",", ""))


def shown_epoch(page: Page) -> int:
    """The epoch of the frame the view shows."""
    return int(page.locator(LIVE).get_attribute("data-epoch"))


def set_stop_after(page: Page, on: bool) -> None:
    box = page.locator(".st-key-stop_after input")
    if box.is_checked() != on:
        page.locator(".st-key-stop_after label").first.click()
        wait_for_idle(page)


def train_epochs(page: Page, epochs: int, timeout_ms: int = 60_000) -> None:
    """Press Train with 'Stop after' on and wait until the view shows the finished run of
    `epochs` epochs (the sidebar's Epochs must say so)."""
    from playwright.sync_api import expect

    set_stop_after(page, True)
    start = shown_epoch(page)
    button(page, "train").click()
    expect(metric(page, "Status")).to_have_text("finished", timeout=timeout_ms)
    expect(page.locator(LIVE)).to_have_attribute("data-epoch", str(start + epochs),
                                                 timeout=timeout_ms)
    # the page reruns once the run has ended, so its panels show the trained model
    expect(page.locator(LIVE)).to_have_attribute("data-page-epoch", str(start + epochs),
                                                 timeout=timeout_ms)
    wait_for_idle(page)


def select_option(page: Page, key: str, option: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Pick `option` in a keyed selectbox. It is a react-aria combobox: a click only focuses
    it, ArrowDown opens its list of role="option" items. Returns once the script run the
    choice asks for has finished (what is read next belongs to the new choice)."""
    box = widget_input(page, key)
    wait_for_idle(page, timeout_ms)
    box.click(timeout=timeout_ms)
    box.press("ArrowDown")
    click_and_wait(page, page.get_by_role("option", name=option, exact=True), timeout_ms)


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
            page.evaluate(_WATCH_RUN_JS)
            page.get_by_role("option").filter(has_text=text).first.click(timeout=3_000)
        except Exception:  # noqa: BLE001 (playwright's timeout or detached element)
            page.keyboard.press("Escape")
            continue
        page.wait_for_function("() => window.__scriptRan", timeout=TIMEOUT_MS)
        wait_for_idle(page)
        return
    raise AssertionError(f"could not choose {text!r} in {key}")


def live_state(page: Page) -> dict:
    """What the view holds now: the shown frame's header, the structure's header and stats."""
    return page.evaluate("""() => { const S = window.__mlpLive;
        return {frame: S.frame?.header ?? null, structure: S.structure?.header ?? null,
                stats: {...S.stats, log: undefined}}; }""")


def live_array(page: Page, name: str, of: str = "frame") -> list:
    """One array of the shown frame (or of the structure) as a flat list."""
    return page.evaluate("([name, of]) => Array.from(window.__mlpLive[of].arrays[name].data)",
                         [name, of])
