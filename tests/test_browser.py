"""The page in headless Chromium: it loads, trains while drawing, stops, and follows its link.

Waits are on what the page shows (metric texts, script state); the only fixed pause is the
second of training before Stop.
"""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from browser_utils import (
    ALERT,
    APP_RUNNING,
    CHART,
    EXCEPTION,
    TIMEOUT_MS,
    assert_no_exception,
    button,
    metric,
    metric_int,
    open_page,
    plotly_traces,
    select_option,
    snapshot,
    wait_for_idle,
    widget_input,
)

pytestmark = pytest.mark.browser

LONG_MS = 60_000


def shoot(page: Page, screenshot_dir, name: str) -> None:
    """Save the whole page. Streamlit scrolls its main area inside the window, so full_page
    alone stops at the viewport: the window is made as tall as the content for the shot."""
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(
        ...['stMain', 'stMainBlockContainer', 'stSidebarContent'].map(id =>
            document.querySelector(`[data-testid="${id}"]`)?.scrollHeight ?? 0))""")
    if height > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": min(height + 40, 4000)})
        wait_for_idle(page)
        page.wait_for_timeout(300)  # let plotly finish its resize redraw
    path = screenshot_dir / name
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    assert path.stat().st_size > 10_000


def query(page: Page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def loss_epochs(page: Page) -> list[int]:
    traces = plotly_traces(page, "loss-")
    assert [t["name"] for t in traces] == ["train loss", "test loss"], traces
    return traces[0]["x"]


def poll(page: Page, condition, timeout_s: float, every_ms: int = 100) -> dict:
    """snapshot() until condition(snapshot) holds; returns that snapshot or fails."""
    deadline = time.monotonic() + timeout_s
    while True:
        snap = snapshot(page)
        if condition(snap):
            return snap
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout_s} s; last: "
                                 f"{ {**snap, 'image': (snap['image'] or '')[-30:]} }")
        page.wait_for_timeout(every_ms)


def settled_epoch(page: Page) -> int:
    """Redraw the stopped page (toggle the log-scale loss) and return its Epoch, checking that
    the metric and the loss curve agree once the interrupted training thread has exited."""
    before = page.locator('.st-key-log_loss input[type="checkbox"]').is_checked()
    page.locator(".st-key-log_loss label").click()
    expect(page.locator('.st-key-log_loss input[type="checkbox"]')).to_be_checked(
        checked=not before)
    page.wait_for_function(
        f"""() => {{ const y = document.querySelector('[class*="st-key-loss-"] .js-plotly-plot')
                     ?._fullLayout?.yaxis?.type; return y === '{'linear' if before else 'log'}'; }}""",
        timeout=TIMEOUT_MS)
    wait_for_idle(page)
    epoch = metric_int(page, "Epoch")
    assert loss_epochs(page)[-1] == epoch
    expect(metric(page, "Status")).to_have_text("stopped")
    return epoch


def test_landing_page(app_server, page, screenshot_dir):
    open_page(page, app_server)
    expect(page.get_by_role("heading", name="MLP Playground")).to_be_visible()
    expect(page.get_by_role("heading", name="Watch a neural network learn")).to_be_visible()
    assert page.title() == "MLP Playground"
    expect(page.locator(CHART)).to_have_count(3)
    expect(metric(page, "Epoch")).to_have_text("0")
    expect(metric(page, "Status")).to_have_text("ready")
    expect(button(page, "train")).to_be_enabled()
    expect(button(page, "stop")).to_be_disabled()
    assert_no_exception(page)
    shoot(page, screenshot_dir, "landing.png")


def test_train_draws_and_updates_the_boundary(app_server, page, screenshot_dir):
    open_page(page, f"{app_server}/?epochs=3000")
    landing = snapshot(page)
    assert landing["image"], "no boundary raster before training"
    button(page, "train").click()
    page.wait_for_selector(APP_RUNNING, state="attached", timeout=TIMEOUT_MS)

    # Two frames of one running script, at least 0.5 s apart: both the epoch and the drawn
    # boundary must have moved on.
    first = poll(page, lambda s: s["state"] == "running" and (s["epoch"] or 0) > 0
                 and s["image"] is not None, 20)
    page.wait_for_timeout(500)
    second = poll(page, lambda s: s["state"] == "running" and s["image"] is not None
                  and (s["epoch"] or 0) > first["epoch"] and s["image"] != first["image"], 20)
    assert 0 < first["epoch"] < second["epoch"] < 3000
    expect(button(page, "stop")).to_be_enabled()

    expect(metric(page, "Status")).to_have_text("finished", timeout=LONG_MS)
    wait_for_idle(page, LONG_MS)
    expect(metric(page, "Epoch")).to_have_text("3,000")
    accuracy = metric(page, "Test accuracy").inner_text()
    assert float(accuracy.rstrip("%")) > 95.0, accuracy
    assert loss_epochs(page)[-1] == 3000
    assert snapshot(page)["image"] not in (None, landing["image"])
    expect(button(page, "train")).to_be_enabled()
    assert_no_exception(page)
    shoot(page, screenshot_dir, "trained.png")


def test_stop_keeps_the_partial_history_and_train_resumes(app_server, page):
    open_page(page, f"{app_server}/?epochs=10000")
    button(page, "train").click()
    poll(page, lambda s: s["state"] == "running" and (s["epoch"] or 0) > 0, 20)
    page.wait_for_timeout(1000)
    expect(button(page, "stop")).to_be_enabled()
    button(page, "stop").click()

    expect(metric(page, "Status")).to_have_text("stopped", timeout=LONG_MS)
    wait_for_idle(page)
    stopped = metric_int(page, "Epoch")
    assert 0 < stopped < 10_000
    x = loss_epochs(page)  # the loss curve keeps every epoch trained so far
    # x[-1] can exceed `stopped` by a few epochs: the interrupted loop trains on while the
    # Stop rerun draws (see settled_epoch), so this only asks that nothing was lost.
    assert x[0] == 0 and stopped <= x[-1] < stopped + 500
    expect(page.locator(CHART)).to_have_count(3)
    stopped = settled_epoch(page)
    expect(button(page, "train")).to_be_enabled()
    expect(button(page, "stop")).to_be_disabled()
    assert_no_exception(page)

    # Train again: it carries on from `stopped`, never from 0.
    button(page, "train").click()
    seen: list[int] = []

    def moved_on(s: dict) -> bool:
        if s["state"] == "running" and s["epoch"] is not None:
            seen.append(s["epoch"])
        return s["state"] == "running" and (s["epoch"] or 0) > stopped + 50

    poll(page, moved_on, 30)
    assert min(seen) >= stopped, seen
    button(page, "stop").click()
    expect(metric(page, "Status")).to_have_text("stopped", timeout=LONG_MS)
    wait_for_idle(page)
    resumed = settled_epoch(page)
    assert stopped + 50 < resumed < 10_000
    x = loss_epochs(page)
    assert x[0] == 0 and x[-1] == resumed
    assert all(b > a for a, b in zip(x, x[1:]))  # one unbroken history
    assert_no_exception(page)


def test_link_reproduces_the_configuration(app_server, page):
    params = {"dataset": "spiral", "hidden": "8,8,8", "activation": "relu", "lr": "0.01",
              "optimizer": "adam"}
    open_page(page, f"{app_server}/?" + "&".join(f"{k}={v}" for k, v in params.items()))
    expect(widget_input(page, "w_dataset")).to_have_value("Spiral")
    expect(widget_input(page, "w_hidden")).to_have_value("8, 8, 8")
    expect(widget_input(page, "w_activation")).to_have_value("relu")
    expect(widget_input(page, "w_optimizer")).to_have_value("adam")
    expect(page.locator('.st-key-w_lr [data-testid="stSliderThumbValue"]')).to_have_text("0.01")
    assert query(page) == params
    assert page.locator(ALERT).count() == 0
    assert_no_exception(page)

    select_option(page, "w_activation", "sigmoid")
    expect(page).to_have_url(re.compile(r"[?&]activation=sigmoid(&|$)"), timeout=TIMEOUT_MS)
    wait_for_idle(page)
    assert query(page) == {**params, "activation": "sigmoid"}  # what "copy the link" copies
    expect(widget_input(page, "w_activation")).to_have_value("sigmoid")
    expect(page.get_by_text("The model starts again because you changed: activation")).to_be_visible()
    assert_no_exception(page)


def test_bad_link_warns_and_falls_back(app_server, page):
    open_page(page, f"{app_server}/?lr=abc&hidden=0")
    warnings = page.locator('[data-testid="stAlertContentWarning"]')
    expect(warnings).to_have_count(2)
    texts = warnings.all_inner_texts()
    assert any("lr" in t and "abc" in t for t in texts), texts
    assert any("hidden" in t and "[0]" in t for t in texts), texts
    expect(widget_input(page, "w_hidden")).to_have_value("4, 2")
    expect(page.locator('.st-key-w_lr [data-testid="stSliderThumbValue"]')).to_have_text("0.03")
    expect(metric(page, "Status")).to_have_text("ready")
    assert query(page) == {}  # the bad parameters are gone from the address bar
    assert page.locator(EXCEPTION).count() == 0


VIEWS = {
    "sine": "dataset=sine",
    "plane": "dataset=plane",
    "blobs": "dataset=blobs",
    "teacher": "dataset=teacher",
    "digits": "dataset=digits&n_samples=400",
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_each_view_trains_and_draws(app_server, page, screenshot_dir, name):
    open_page(page, f"{app_server}/?{VIEWS[name]}&epochs=20")
    button(page, "train").click()
    expect(metric(page, "Epoch")).to_have_text("20", timeout=LONG_MS)
    expect(metric(page, "Status")).to_have_text("finished", timeout=LONG_MS)
    wait_for_idle(page)
    expect(page.locator(CHART)).to_have_count(4 if name == "digits" else 3)
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHART} .main-svg').length >= 3", timeout=TIMEOUT_MS)
    assert plotly_traces(page, "main-"), "the main view has no traces"
    assert loss_epochs(page)[-1] == 20
    assert_no_exception(page)
    shoot(page, screenshot_dir, f"view-{name}.png")
