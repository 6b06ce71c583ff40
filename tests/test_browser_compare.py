"""Compare runs, A/B and lessons in headless Chromium: runs kept and overlaid, a pin ticked in
the table, an A/B pair trained from one start, a lesson run and checked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_utils import (
    TIMEOUT_MS,
    assert_no_exception,
    button,
    choose,
    metric,
    open_page,
    open_panel,
    train_epochs,
    wait_for_idle,
    widget_input,
)

pytestmark = pytest.mark.browser
LONG_MS = 60_000


def legend(block) -> list[str]:
    return block.locator('[data-testid="stPlotlyChart"] .legendtext').evaluate_all(
        "texts => texts.map(t => t.textContent)")


def test_ab_trains_a_pair_and_overlays_it(app_server, page, screenshot_dir):
    open_page(page, f"{app_server}/?dataset=xor&hidden=4&epochs=30")
    block = open_panel(page, "Compare runs")
    choose(page, "ab_knob", "Learning rate")
    box = widget_input(page, "ab_value_lr")
    box.fill("0.3")
    box.press("Enter")
    wait_for_idle(page)
    button(page, "ab_run").click()
    expect(block.locator('[data-testid="stAlert"]')).to_contain_text(
        "With learning rate = 0.3 (B) instead of 0.03 (A)", timeout=LONG_MS)
    wait_for_idle(page)
    expect(block.locator("summary")).to_contain_text("Compare runs (2 kept)")
    labels = legend(block)
    assert "A: learning rate = 0.03" in labels and "B: learning rate = 0.3" in labels, labels
    assert_no_exception(page)
    page.mouse.move(0, 0)
    block.screenshot(path=str(screenshot_dir / "compare-ab.png"))


def test_ticking_show_in_the_table_adds_a_run_to_the_overlay(app_server, page):
    open_page(page, f"{app_server}/?dataset=xor&hidden=4&epochs=10")
    for _ in range(2):  # a run, then Reset (new weights) and a second run
        train_epochs(page, 10)
        if _ == 0:
            button(page, "reset").click()
            expect(metric(page, "Status")).to_have_text("ready", timeout=TIMEOUT_MS)
            wait_for_idle(page)
    block = open_panel(page, "Compare runs")
    expect(block.locator("summary")).to_contain_text("Compare runs (2 kept)")
    expect(block.locator('[data-testid="stPlotlyChart"] .legendtext').first).to_be_visible()
    assert len(set(legend(block))) == 2
    # Untick "show" of the first run: a click on its cell in the editable table (a canvas).
    grid = block.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 38, box["y"] + 53)  # the checkbox: column "show", first run
    wait_for_idle(page)
    legend_labels = block.locator('[data-testid="stPlotlyChart"] .legendtext')
    expect(legend_labels).to_have_count(2, timeout=TIMEOUT_MS)  # one run left, in both charts
    assert set(legend(block)) == {"#2 xor · 4 tanh · sgd lr 0.03"}
    assert_no_exception(page)


def test_a_lesson_runs_checks_its_promise_and_pins_its_runs(app_server, page, screenshot_dir):
    open_page(page, app_server)
    choose(page, "lesson_pick", "anishing")
    button(page, "lesson_run_all").click()
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="Promise kept")).to_be_visible(
        timeout=LONG_MS)
    wait_for_idle(page)
    block = open_panel(page, "Compare runs")
    expect(block.locator("summary")).to_contain_text("(2 kept)")
    labels = legend(block)
    assert {"L8 sigmoid", "L8 ReLU"} <= set(labels), labels
    assert_no_exception(page)
