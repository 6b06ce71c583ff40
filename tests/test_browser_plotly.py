"""The panels' Plotly charts in headless Chromium: after each panel is used it shows a drawn
`stPlotlyChart`, with no console error, no request to any host but the app's own (plotly.js
comes with Streamlit's frontend), tick labels without exponents and legends inside the chart."""

from __future__ import annotations

import io
import re
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from browser_utils import (
    assert_no_exception,
    button,
    open_page,
    open_panel,
    train_epochs,
    wait_for_idle,
)

pytestmark = pytest.mark.browser
LONG_MS = 90_000
LOCAL = {"127.0.0.1", "localhost", "::1"}


def drawn(scope, key: str) -> None:
    """Wait until the plotly chart drawn with `key` has its traces on screen."""
    chart = scope.locator(f'.st-key-{key} [data-testid="stPlotlyChart"]')
    expect(chart.locator(".main-svg .trace, .main-svg .hm").first).to_be_attached(
        timeout=LONG_MS)
    expect(chart).to_be_visible()


_LAYOUT_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter(c => c.offsetParent !== null).map(c => {
        const svg = c.querySelector('.main-svg').getBoundingClientRect();
        const legend = c.querySelector('.legend')?.getBoundingClientRect();
        return {ticks: [...c.querySelectorAll('.xtick text, .ytick text')].map(t => t.textContent),
                svg: [svg.left, svg.top, svg.right, svg.bottom],
                legend: legend ? [legend.left, legend.top, legend.right, legend.bottom] : null};
    })"""


def assert_readable(page: Page) -> None:
    """Every visible chart: ticks written without exponents, its legend wholly inside it."""
    charts = page.evaluate(_LAYOUT_JS)
    assert charts
    for chart in charts:
        assert not [t for t in chart["ticks"] if re.search(r"\de[+-]?\d", t)], chart["ticks"]
        if chart["legend"]:
            (l, t, r, b), (sl, st, sr, sb) = chart["legend"], chart["svg"]
            assert sl - 1 <= l and r <= sr + 1 and st - 1 <= t and b <= sb + 1, chart


def test_every_panel_draws_its_plotly_charts_from_the_app_alone(app_server, page):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_page(page, f"{app_server}/?dataset=moons&hidden=8,8&activation=relu&epochs=120")
    train_epochs(page, 120, LONG_MS)
    wait_for_idle(page)
    errors: list[str] = []  # from here on: the panels (the main view has its own tests)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    compare = open_panel(page, "Compare runs")
    button(page, "ab_run").click()  # the default A/B: the optimizer
    expect(compare.locator('[data-testid="stAlert"]')).to_contain_text("With optimizer",
                                                                       timeout=LONG_MS)
    wait_for_idle(page)
    for key in ("compare_loss", "compare_metric"):
        drawn(compare, key)
    legend = compare.locator(".st-key-compare_loss .legendtext").evaluate_all(
        "ts => ts.map(t => t.textContent)")
    assert len(legend) == 2 and all(name.startswith(("A: ", "B: ")) for name in legend)
    assert_readable(page)

    page.locator(".st-key-sweep_panel summary").click()
    wait_for_idle(page)
    button(page, "sweep_run").click()
    drawn(page.locator(".st-key-sweep_panel"), "sweep_chart")
    wait_for_idle(page)
    assert_readable(page)

    hood = open_panel(page, "Under the hood")
    for tab, keys, click in (("Errors", ["errors_confusion", "errors_classes"], None),
                             ("Learning-rate finder", ["lr_range"], "lr_finder"),
                             ("Gradient flow", ["flow_grad_norm", "flow_weight_norm"], None),
                             ("Activations", ["activations_0", "activations_1"], None),
                             ("PyTorch vs NumPy", ["engines_curves"], "compare_engines")):
        hood.get_by_role("tab", name=tab, exact=True).click()
        if click:
            button(page, click).click()
        for key in keys:
            drawn(hood, key)
        wait_for_idle(page)
        assert_readable(page)

    # The landscape as a rotatable 3-D surface: plotly's WebGL scene draws into its canvas.
    hood.get_by_role("tab", name="Loss landscape", exact=True).click()
    hood.locator(".st-key-landscape_view button", has_text="3-D surface").click()
    scene = hood.locator('.st-key-landscape [data-testid="stPlotlyChart"] .gl-container canvas')
    expect(scene.first).to_be_attached(timeout=LONG_MS)
    wait_for_idle(page)
    page.wait_for_timeout(500)  # the scene's first frame
    shot = Image.open(io.BytesIO(scene.first.screenshot())).convert("RGB")
    pixels = np.asarray(shot.crop((shot.width // 4, shot.height // 4, 3 * shot.width // 4,
                                   3 * shot.height // 4)), dtype=int)
    coloured = np.mean(np.abs(pixels - 255).sum(axis=2) > 60)  # not white, not near it
    assert coloured > 0.2, coloured  # the surface fills the middle of the scene

    assert_no_exception(page)
    assert errors == []
    hosts = {urlparse(url).hostname for url in requests if urlparse(url).scheme in ("http", "https",
                                                                                      "ws", "wss")}
    assert hosts <= LOCAL, hosts
    plotly_js = [u for u in requests if re.search(r"/static/js/PlotlyChart\.[^/]+\.js$", u)]
    assert plotly_js and all(urlparse(u).hostname in LOCAL for u in plotly_js)
