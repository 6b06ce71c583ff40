"""Several visitors at once in headless Chromium: one visitor's A/B test takes its turns on the
same workers as two others' live training, finishes, and neither of them stops meanwhile."""

from __future__ import annotations

from playwright.sync_api import expect

from browser_utils import (
    _WATCH_RUN_JS as WATCH_RUN_JS,
)
from browser_utils import (
    assert_no_exception,
    button,
    click_and_wait,
    open_page,
    open_panel,
    shown_epoch,
    wait_for_idle,
)

LONG_MS = 120_000
# The page's script states from now on, with the seconds since: a run that starts and is cut
# short by another (a second rerun) reads differently from one that never starts.
_LOG_SCRIPT_STATES_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]'), t0 = performance.now();
    window.__scriptStates = [];
    new MutationObserver(() => window.__scriptStates.push([
        +((performance.now() - t0) / 1000).toFixed(2), app.getAttribute('data-test-script-state')
    ])).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _play_full_speed(page) -> None:
    click_and_wait(page, page.locator(".st-key-pace button", has_text="Full speed").first)
    button(page, "train").click()
    page.wait_for_function("() => window.__mlpLive.frame.header.playing", timeout=LONG_MS)


def test_an_ab_test_shares_the_workers_with_other_visitors_live_training(
        app_server, browser, screenshot_dir):
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(3)]
    players, visitor = [c.new_page() for c in contexts[:2]], contexts[2].new_page()
    sockets: list[str] = []  # the visitor's connections: a reconnect would restart its script

    def on_socket(ws) -> None:
        sockets.append(f"open {ws.url.split('?')[0]}")
        ws.on("close", lambda ws: sockets.append(f"closed {ws.url.split('?')[0]}"))
    visitor.on("websocket", on_socket)
    try:
        for page, link in zip(players, ("dataset=spiral&hidden=16,16",
                                        "dataset=moons&hidden=32,32&batch_size=1")):
            open_page(page, f"{app_server}/?{link}")
            _play_full_speed(page)
        open_page(visitor, f"{app_server}/?dataset=xor&hidden=8&epochs=150")
        block = open_panel(visitor, "Compare runs")
        expect(button(visitor, "ab_run")).to_be_visible()
        before = [shown_epoch(p) for p in players]
        # Clicked on an idle page, and the script run it asks for is seen to start: a click
        # that the page never ran fails here, not as a missing verdict two minutes later.
        wait_for_idle(visitor)
        visitor.evaluate(WATCH_RUN_JS)
        visitor.evaluate(_LOG_SCRIPT_STATES_JS)
        button(visitor, "ab_run").click()
        visitor.wait_for_function("() => window.__scriptRan", timeout=LONG_MS)
        try:
            expect(block.locator('[data-testid="stAlert"]')).to_contain_text(
                "(B) instead of", timeout=LONG_MS)
        except AssertionError as e:  # say what the page did meanwhile
            states = visitor.evaluate("() => window.__scriptStates")
            raise AssertionError(f"no verdict; the visitor's script states since the click "
                                 f"(s, state): {states}; its connections: {sockets}") from e
        wait_for_idle(visitor)
        expect(block.locator("summary")).to_contain_text("Compare runs (2 kept)")
        # The two live runs went on training while the A/B test took its turns.
        after = [shown_epoch(p) for p in players]
        assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)
        assert all(p.evaluate("() => window.__mlpLive.frame.header.playing") for p in players)
        for page in (*players, visitor):
            assert_no_exception(page)
        visitor.mouse.move(0, 0)
        block.screenshot(path=str(screenshot_dir / "hosting-ab-while-others-train.png"))
    finally:
        for c in contexts:
            c.close()
