"""The page in headless Chromium: it loads, trains while drawing, stops, and follows its link.

Waits are on what the page shows (metric texts, script state, the curves' drawn points); the
only fixed pause is the second of training before Stop.
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
    IMAGE,
    TIMEOUT_MS,
    assert_no_exception,
    button,
    collect_samples,
    curve,
    images,
    metric,
    metric_int,
    open_page,
    sample_views,
    select_option,
    settled_curve,
    snapshot,
    start_sampling,
    wait_for_idle,
    widget_input,
    y_axis,
)

pytestmark = pytest.mark.browser

LONG_MS = 60_000
MAX_CURVE_POINTS = 401  # charts.thin: long histories are thinned, keeping the first and last


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
        page.wait_for_timeout(300)  # let the Vega charts finish their resize redraw
    path = screenshot_dir / name
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    assert path.stat().st_size > 10_000


def query(page: Page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def epochs_of(rows: list[dict]) -> list[int]:
    return [r["epoch"] for r in rows]


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


def stopped_epoch(page: Page) -> int:
    """The Epoch of a page that was just stopped, checked against the loss curve: with
    sequential reruns (runner.fastReruns = false) the Stop run draws the metric and the curves
    from the same finished history, so they agree exactly."""
    expect(metric(page, "Status")).to_have_text("stopped", timeout=LONG_MS)
    wait_for_idle(page)
    epoch = metric_int(page, "Epoch")
    rows = settled_curve(page, "train loss")
    x = epochs_of(rows)
    assert x[-1] == epoch, f"Epoch metric {epoch}, loss curve ends at {x[-1]}"
    assert epochs_of(settled_curve(page, "test accuracy"))[-1] == epoch
    assert x[0] == 0 and len(x) <= MAX_CURVE_POINTS
    assert all(b > a for a, b in zip(x, x[1:]))  # one unbroken, ordered history
    return epoch


def test_landing_page(app_server, page, screenshot_dir):
    open_page(page, app_server)
    expect(page.get_by_role("heading", name="MLP Playground")).to_be_visible()
    expect(page.get_by_role("heading", name="Watch a neural network learn")).to_be_visible()
    assert page.title() == "MLP Playground"
    expect(page.locator(IMAGE)).to_have_count(1)
    expect(page.locator(CHART)).to_have_count(2)
    (main,) = images(page)
    assert main["complete"] and 300 < main["width"] <= 560 and main["height"] > 300, main
    assert epochs_of(settled_curve(page, "train loss")) == [0]
    assert epochs_of(curve(page, "test accuracy")) == [0]
    expect(metric(page, "Epoch")).to_have_text("0")
    expect(metric(page, "Status")).to_have_text("ready")
    expect(button(page, "train")).to_be_enabled()
    expect(button(page, "stop")).to_be_disabled()
    assert_no_exception(page)
    shoot(page, screenshot_dir, "landing.png")


def test_train_draws_and_updates_the_boundary(app_server, page, screenshot_dir):
    open_page(page, f"{app_server}/?epochs=3000")
    landing = snapshot(page)
    assert landing["image"], "no boundary image before training"
    button(page, "train").click()
    page.wait_for_selector(APP_RUNNING, state="attached", timeout=TIMEOUT_MS)

    # Two frames of one running script, 1.5 s apart: both the epoch and the drawn boundary
    # must have moved on, and in between the image stays on screen.
    first = poll(page, lambda s: s["state"] == "running" and (s["epoch"] or 0) > 0
                 and s["image"] not in (None, landing["image"]), 20)
    everything = sample_views(page, 1500, 50)
    samples = [s for s in everything if s["kind"] == "timer"]
    second = poll(page, lambda s: s["image"] is not None, 5)
    assert second["state"] == "running", "training ended before the check did: raise epochs"
    assert all(s["state"] == "running" for s in samples), [s["state"] for s in samples]
    assert 0 < first["epoch"] < second["epoch"] < 3000
    assert second["image"] != first["image"]
    shown = sum(s["shown"] for s in samples) / len(samples)
    assert shown >= 0.95, (f"main image on screen in {shown:.0%} of {len(samples)} samples "
                           f"(complete in {sum(s['complete'] for s in samples)})")
    assert len({s["src"] for s in samples}) >= 3  # new frames kept coming
    gone = [s["t"] for s in everything if not s["shown"] or s["charts"] != 2]
    assert not gone, f"a view was missing at {gone} ms"  # nothing vanishes between frames
    expect(button(page, "stop")).to_be_enabled()

    expect(metric(page, "Status")).to_have_text("finished", timeout=LONG_MS)
    wait_for_idle(page, LONG_MS)
    expect(metric(page, "Epoch")).to_have_text("3,000")
    accuracy = metric(page, "Test accuracy").inner_text()
    assert float(accuracy.rstrip("%")) > 95.0, accuracy
    loss = settled_curve(page, "train loss")
    assert loss[0]["epoch"] == 0 and loss[-1]["epoch"] == 3000
    assert len(loss) <= MAX_CURVE_POINTS  # thinned
    assert loss[-1]["value"] < 0.3 * loss[0]["value"]
    test_accuracy = settled_curve(page, "test accuracy")[-1]
    assert test_accuracy["epoch"] == 3000
    assert f"{test_accuracy['value']:.1%}" == accuracy
    assert snapshot(page)["image"] not in (None, landing["image"], second["image"])
    expect(button(page, "train")).to_be_enabled()
    assert_no_exception(page)
    shoot(page, screenshot_dir, "trained.png")


def test_views_stay_on_screen_across_reruns(app_server, page):
    # Four script runs: Train (20 epochs, then its closing rerun), Step, Step.
    open_page(page, f"{app_server}/?epochs=20")
    start_sampling(page, 5000, 20)
    button(page, "train").click()
    expect(metric(page, "Status")).to_have_text("finished", timeout=LONG_MS)
    wait_for_idle(page)
    for _ in range(2):
        page.wait_for_timeout(300)
        button(page, "step").click()
        wait_for_idle(page)
    samples = collect_samples(page)
    states = [s["state"] for s in samples]
    starts = sum(a != "running" and b == "running" for a, b in zip(states, states[1:]))
    assert starts >= 3 and states[-1] == "notRunning", states  # it saw the three runs
    gone = [(s["t"], s["shown"], s["charts"]) for s in samples
            if not s["shown"] or s["charts"] != 2]
    assert not gone, f"views missing (ms after the click, image shown, charts): {gone}"


def test_stop_keeps_the_partial_history_and_train_resumes(app_server, page):
    open_page(page, f"{app_server}/?epochs=10000")
    button(page, "train").click()
    poll(page, lambda s: s["state"] == "running" and (s["epoch"] or 0) > 0, 20)
    page.wait_for_timeout(1000)
    expect(button(page, "stop")).to_be_enabled()
    button(page, "stop").click()

    stopped = stopped_epoch(page)  # the loss curve keeps every epoch trained so far
    assert 0 < stopped < 10_000
    expect(page.locator(CHART)).to_have_count(2)
    expect(page.locator(IMAGE)).to_have_count(1)
    expect(button(page, "train")).to_be_enabled()
    expect(button(page, "stop")).to_be_disabled()
    assert_no_exception(page)

    # A view option redraws the stopped page: log-scale loss, same model, same history.
    page.locator(".st-key-log_loss label").click()
    expect(page.locator('.st-key-log_loss input[type="checkbox"]')).to_be_checked()
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('{CHART} [aria-label^="Y-axis"]')]
                  .some(a => a.getAttribute('aria-label').includes('log scale'))""",
        timeout=TIMEOUT_MS)
    wait_for_idle(page)
    assert "loss (log scale)" in y_axis(page, "train loss")
    assert "linear scale" in y_axis(page, "test accuracy")
    assert metric_int(page, "Epoch") == stopped
    assert epochs_of(settled_curve(page, "train loss"))[-1] == stopped

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
    resumed = stopped_epoch(page)
    assert stopped + 50 < resumed < 10_000
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
    expect(page.locator(IMAGE)).to_have_count(2 if name == "digits" else 1)
    expect(page.locator(CHART)).to_have_count(2)
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{IMAGE}')].every(i => i.complete && i.naturalWidth > 0)",
        timeout=TIMEOUT_MS)
    shown = images(page)
    assert 300 < shown[0]["width"] <= 560 and shown[0]["caption"] is None, shown
    if name == "digits":
        assert shown[1]["caption"].startswith("Test digits the model gets wrong"), shown
    assert epochs_of(settled_curve(page, "train loss"))[-1] == 20
    label = "test R²" if name in ("sine", "plane") else "test accuracy"
    assert epochs_of(settled_curve(page, label))[-1] == 20
    assert_no_exception(page)
    shoot(page, screenshot_dir, f"view-{name}.png")
