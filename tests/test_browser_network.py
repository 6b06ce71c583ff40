"""The network section in real headless Chromium: a still picture while training, then the
interactive diagram whose nodes show their pictures and whose hover tells values."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from browser_utils import (
    APP_RUNNING,
    NETWORK,
    TIMEOUT_MS,
    assert_no_exception,
    button,
    metric,
    open_page,
    select_option,
    wait_for_idle,
)

LONG_MS = 60_000

TOOLTIP = "#vg-tooltip-element"
# The diagram's SVG <image> nodes and whether each has its picture (a data URL) set.
_NODES_JS = f"""() => {{
    const chart = document.querySelector('{NETWORK} [data-testid="stVegaLiteChart"]');
    if (!chart) return null;
    const images = [...chart.querySelectorAll('image')];
    return {{count: images.length,
            pictures: images.filter(i => (i.getAttribute('href') || '').startsWith('data:image/png')).length}};
}}"""


def nodes(page: Page) -> dict | None:
    return page.evaluate(_NODES_JS)


def node_caption(page: Page) -> str:
    return page.locator(f'{NETWORK} [data-testid="stImageCaption"]').inner_text()


def test_training_shows_a_live_picture_then_the_interactive_diagram(app_server, page,
                                                                     screenshot_dir):
    open_page(page, f"{app_server}/?dataset=xor&hidden=4,3&epochs=2000")
    page.wait_for_function(f"({_NODES_JS})()?.pictures === 10", timeout=TIMEOUT_MS)
    button(page, "train").click()
    page.wait_for_selector(APP_RUNNING, state="attached", timeout=TIMEOUT_MS)
    live = page.locator(f'{NETWORK} [data-testid="stImage"] img').first
    expect(live).to_be_visible(timeout=TIMEOUT_MS)  # the diagram as a still picture
    first = live.get_attribute("src")
    page.wait_for_function(
        f"""src => [...document.querySelectorAll('{NETWORK} [data-testid="stImage"] img')]
                   .some(i => i.getAttribute('src') !== src)""", arg=first, timeout=TIMEOUT_MS)
    expect(metric(page, "Status")).to_have_text("finished", timeout=LONG_MS)
    wait_for_idle(page)
    page.wait_for_function(f"({_NODES_JS})()?.pictures === 10", timeout=TIMEOUT_MS)
    assert nodes(page) == {"count": 10, "pictures": 10}  # 2 inputs, 4 + 3 hidden, 1 output
    assert_no_exception(page)
    page.locator(NETWORK).screenshot(path=screenshot_dir / "network.png")


def test_hover_shows_weights_and_biases(app_server, page):
    open_page(page, f"{app_server}/?dataset=circle&hidden=3&epochs=5")
    page.wait_for_function(f"({_NODES_JS})()?.pictures === 6", timeout=TIMEOUT_MS)
    chart = page.locator(f'{NETWORK} [data-testid="stVegaLiteChart"]')
    chart.scroll_into_view_if_needed()
    # The frames of the nodes carry the node tooltips; hover the first hidden node's frame.
    frames = chart.locator(".mark-symbol.role-mark path")
    boxes = [frames.nth(i).bounding_box() for i in range(frames.count())]
    hidden = sorted((b for b in boxes if b), key=lambda b: (b["x"], b["y"]))[2]
    page.mouse.move(hidden["x"] + hidden["width"] - 2, hidden["y"] + 2)
    expect(page.locator(TOOLTIP)).to_contain_text("h1.1 · bias", timeout=TIMEOUT_MS)
    # An edge: hover the first weight's line.
    chart.locator(".mark-rule.role-mark line").first.hover(force=True)
    expect(page.locator(TOOLTIP)).to_contain_text("→", timeout=TIMEOUT_MS)
    assert_no_exception(page)


def test_look_closer_switches_the_large_picture(app_server, page):
    open_page(page, f"{app_server}/?dataset=xor&hidden=4&epochs=5")
    expect(page.locator(f'{NETWORK} [data-testid="stImageCaption"]')).to_contain_text(": h1.1")
    before = page.locator(f'{NETWORK} [data-testid="stImage"] img').get_attribute("src")
    select_option(page, "closer_node", "h1.3")
    wait_for_idle(page)
    expect(page.locator(f'{NETWORK} [data-testid="stImageCaption"]')).to_contain_text(": h1.3")
    after = page.locator(f'{NETWORK} [data-testid="stImage"] img').get_attribute("src")
    assert after != before
    assert_no_exception(page)
