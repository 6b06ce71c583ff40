"""The "under the hood" panel in headless Chromium: equations typeset, both engines compared, the
replay's slider and animation, the learning-rate finder, the errors tab."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from browser_utils import (
    TIMEOUT_MS,
    assert_no_exception,
    button,
    metric,
    open_page,
    train_epochs,
    wait_for_idle,
)

pytestmark = pytest.mark.browser


def poll(read, failure: str, timeout_s: float = TIMEOUT_MS / 1000):
    """read() until it returns something truthy; fail with `failure` after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not (value := read()):
        if time.monotonic() > deadline:
            raise AssertionError(failure)
        time.sleep(0.1)
    return value


def under_the_hood(page: Page):
    """The expander, opened."""
    panel = page.locator('[data-testid="stExpander"]').filter(
        has=page.locator("summary", has_text="Under the hood"))
    if panel.locator("details").first.get_attribute("open") is None:
        panel.locator("summary").click()
    return panel


def open_tab(page: Page, name: str):
    """Open the expander and its tab `name`; the tab's panel."""
    panel = under_the_hood(page)
    panel.get_by_role("tab", name=name, exact=True).click()
    return panel.get_by_role("tabpanel", name=name)


def shoot(page: Page, path) -> None:
    """Screenshot of the panel, with the mouse moved off any tooltip."""
    page.mouse.move(0, 0)
    page.wait_for_timeout(300)
    under_the_hood(page).screenshot(path=str(path))


def loaded_images(tab) -> list[str]:
    """The src of every image in the tab that has finished loading."""
    return tab.locator('[data-testid="stImage"] img').evaluate_all(
        "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).map(i => i.currentSrc)")


def images_once(tab, ready, failure: str) -> list[str]:
    """The tab's loaded images, once ready(images) holds."""
    return poll(lambda: (lambda now: now if ready(now) else None)(loaded_images(tab)), failure)


def train(page: Page, epochs: int) -> None:
    train_epochs(page, epochs)


def test_under_the_hood_panel(app_server, page, screenshot_dir):
    open_page(page, f"{app_server}/?dataset=moons&hidden=8,8&activation=relu&epochs=30"
                    "&optimizer=adam&lr=0.01")
    tab = open_tab(page, "Equations")
    katex = tab.locator(".katex")
    expect(katex.first).to_be_visible(timeout=TIMEOUT_MS)
    assert katex.count() >= 12  # 6 forward lines and 6 backward lines, typeset
    open_tab(page, "PyTorch vs NumPy")
    button(page, "compare_engines").click()
    gap = metric(page, "Largest gap between the curves")
    expect(gap).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_idle(page)
    assert float(gap.inner_text()) < 1e-4
    open_tab(page, "Gradient check")
    button(page, "gradcheck").click()
    table = under_the_hood(page).locator('[data-testid="stDataFrame"]')
    expect(table).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_idle(page)
    assert_no_exception(page)
    shoot(page, screenshot_dir / "under-the-hood.png")


def test_replay_slider_and_animation(app_server, page, screenshot_dir):
    open_page(page, f"{app_server}/?dataset=xor&epochs=40&optimizer=adam&lr=0.03")
    train(page, 40)
    tab = open_tab(page, "Replay")
    thumb = tab.locator('.st-key-replay_epoch input[type="range"]')
    expect(thumb).to_have_attribute("aria-valuetext", "40", timeout=TIMEOUT_MS)
    expect(tab.locator('[data-testid="stImage"] img')).to_have_count(1, timeout=TIMEOUT_MS)
    last = loaded_images(tab)
    thumb.focus()
    thumb.press("Home")  # the first snapshot: epoch 0, the untrained model
    expect(thumb).to_have_attribute("aria-valuetext", "0", timeout=TIMEOUT_MS)
    wait_for_idle(page)
    first = images_once(tab, lambda now: len(now) == 1 and now != last,
                        "moving the slider did not change the image")
    tab.locator(".st-key-replay_play label").click()
    wait_for_idle(page)
    shown = images_once(tab, lambda now: len(now) == 2, "the animation did not appear")
    assert first[0] in shown and any(src.endswith(".gif") for src in shown), shown
    expect(button(page, "download_gif")).to_be_visible()
    assert_no_exception(page)
    shoot(page, screenshot_dir / "under-the-hood-replay.png")


def test_learning_rate_finder_sets_the_sidebar_rate(app_server, page, screenshot_dir):
    open_page(page, f"{app_server}/?dataset=moons&hidden=8&optimizer=adam")
    tab = open_tab(page, "Learning-rate finder")
    button(page, "lr_finder").click()
    expect(tab.locator(".st-key-lr_range .scatterlayer .js-line").first
           ).to_be_visible(timeout=TIMEOUT_MS)
    use = button(page, "use_lr")
    expect(use).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_idle(page)
    suggested = use.inner_text().strip().removeprefix("Use learning rate ")
    assert 1e-4 < float(suggested) < 10
    sidebar_lr = page.locator('[data-testid="stSidebar"] .st-key-w_lr input[type="range"]')
    before = sidebar_lr.get_attribute("aria-valuetext")
    use.click()
    expect(sidebar_lr).to_have_attribute("aria-valuetext", suggested, timeout=TIMEOUT_MS)
    assert before != suggested
    wait_for_idle(page)
    assert f"lr={suggested}" in page.url
    chart = tab.locator(".st-key-lr_range .scatterlayer .js-line")
    expect(chart.first).to_be_visible()  # the range test does not depend on the rate: it stays
    assert_no_exception(page)
    shoot(page, screenshot_dir / "under-the-hood-lr-finder.png")


def test_errors_tab_draws_the_confusion_matrix(app_server, page, screenshot_dir):
    open_page(page, f"{app_server}/?dataset=spirals&n_classes=3&noise=0.2&hidden=8&epochs=15"
                    "&optimizer=adam&lr=0.03")
    train(page, 15)
    tab = open_tab(page, "Errors")
    cells = tab.locator(".st-key-errors_confusion .heatmap-label text")
    expect(cells.first).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_function(  # a count in each of the 9 cells
        "sel => document.querySelectorAll(sel).length === 9",
        arg=".st-key-errors_confusion .heatmap-label text", timeout=TIMEOUT_MS)
    texts = cells.evaluate_all("ts => ts.map(t => t.textContent)")  # SVG: no innerText
    counts = [int(t.replace(",", "")) for t in texts]
    assert len(counts) == 9 and sum(counts) == 250  # 500 points, half held out
    summary = tab.get_by_text("test points predicted right")
    right = int(summary.inner_text().split(" of ")[0].strip("*"))
    accuracy = metric(page, "Test accuracy").inner_text()
    assert f"{right / 250:.1%}" == accuracy
    bars = tab.locator(".st-key-errors_classes .barlayer .point")
    expect(bars).to_have_count(3)  # one per class
    labels = tab.locator(".st-key-errors_classes .bartext").evaluate_all(
        "ts => ts.map(t => t.textContent)")
    assert len(labels) == 3 and all(t.endswith("%") for t in labels)
    assert_no_exception(page)
    shoot(page, screenshot_dir / "under-the-hood-errors.png")
    open_page(page, f"{app_server}/?dataset=sine&noise=0.2&hidden=8&epochs=20&optimizer=adam"
                    "&lr=0.01")
    train(page, 20)
    tab = open_tab(page, "Errors")
    points = tab.locator(".st-key-errors_predicted .scatterlayer .point")
    expect(points.first).to_be_visible(timeout=TIMEOUT_MS)
    expect(tab.get_by_text("RMSE")).to_be_visible()
    assert_no_exception(page)
    shoot(page, screenshot_dir / "under-the-hood-errors-regression.png")


def test_gradient_flow_and_activations_after_training(app_server, page):
    open_page(page, f"{app_server}/?dataset=circle&hidden=8,8,8&activation=relu&epochs=20"
                    "&optimizer=adam&lr=0.01")
    train(page, 20)
    tab = open_tab(page, "Gradient flow")
    lines = tab.locator('[data-testid="stPlotlyChart"] .scatterlayer .js-line')
    expect(lines.first).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_function(  # 4 Linear layers, in the gradient chart and in the weight chart
        "sel => document.querySelectorAll(sel).length === 8",
        arg='[role="tabpanel"]:not([hidden]) [data-testid="stPlotlyChart"] .scatterlayer '
            '.js-line', timeout=TIMEOUT_MS)
    legend = tab.locator(".st-key-flow_grad_norm .legendtext").evaluate_all(
        "ts => ts.map(t => t.textContent)")
    assert legend == ["W₁", "W₂", "W₃", "W₄"]
    tab = open_tab(page, "Activations")
    for layer in (1, 2, 3):
        expect(tab.get_by_text(f"Layer {layer} · 8 units · dead:")).to_be_visible(
            timeout=TIMEOUT_MS)
    bars = tab.locator('[data-testid="stPlotlyChart"] .barlayer .point')
    expect(bars.first).to_be_visible(timeout=TIMEOUT_MS)
    assert bars.count() >= 3 * 10  # a histogram per hidden layer
    assert_no_exception(page)
