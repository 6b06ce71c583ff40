"""The sweep panel in real headless Chromium: open it, run a small two-knob sweep, see the
heatmap (plotly's cell labels, one per grid point) and use the best point."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from browser_utils import (
    TIMEOUT_MS,
    assert_no_exception,
    button,
    choose,
    click_and_wait,
    open_page,
    wait_for_idle,
    widget_input,
)

PANEL = ".st-key-sweep_panel"
CELLS = f"{PANEL} .st-key-sweep_chart .heatmap-label text"


def test_a_two_knob_sweep_draws_a_heatmap_and_its_best_can_be_used(app_server, page,
                                                                    screenshot_dir):
    open_page(page, f"{app_server}/?dataset=xor&hidden=4&epochs=40&n_samples=300")
    page.locator(f"{PANEL} summary").click()
    expect(widget_input(page, "sweep_knob2")).to_be_visible()
    wait_for_idle(page)
    choose(page, "sweep_knob2", "Width")
    wait_for_idle(page)
    values = widget_input(page, "sweep_values_width")
    values.fill("2, 4, 8")
    values.press("Enter")
    wait_for_idle(page)
    expect(page.locator(PANEL)).to_contain_text("36 models")  # 4 rates x 3 widths x 3 seeds
    button(page, "sweep_run").click()
    page.wait_for_function(f"document.querySelectorAll(`{CELLS}`).length === 12",
                           timeout=TIMEOUT_MS)
    wait_for_idle(page)
    expect(page.locator(PANEL)).to_contain_text("best: learning rate")
    expect(page.locator(PANEL)).to_contain_text("36 models in")
    assert_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 2000})  # the whole panel drawn at once
    wait_for_idle(page)
    page.locator(PANEL).screenshot(path=screenshot_dir / "sweep.png")
    use = button(page, "sweep_use_best")
    best = re.fullmatch(r"Use the best: learning rate ([\d.e-]+), width (\d+)",
                        use.inner_text().strip())
    assert best, use.inner_text()
    lr, width = best.groups()
    assert width in ("2", "4", "8")
    click_and_wait(page, use)
    expect(widget_input(page, "w_hidden")).to_have_value(width)
    expect(page.locator('.st-key-w_lr [data-testid="stSliderThumbValue"]')).to_have_text(lr)
    expect(page).to_have_url(re.compile(rf"[?&]hidden={width}(&|$)"))
    assert_no_exception(page)
