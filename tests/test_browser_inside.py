"""The "under the hood" panel in headless Chromium: equations typeset, both engines compared."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from browser_utils import (
    TIMEOUT_MS,
    assert_no_exception,
    button,
    metric,
    open_page,
    wait_for_idle,
)

pytestmark = pytest.mark.browser


def test_under_the_hood_panel(app_server, page, screenshot_dir):
    open_page(page, f"{app_server}/?dataset=moons&hidden=8,8&activation=relu&epochs=30"
                    "&optimizer=adam&lr=0.01")
    page.get_by_text("Under the hood").click()
    page.get_by_role("tab", name="Equations").click()
    katex = page.locator('[data-testid="stExpander"] .katex')
    expect(katex.first).to_be_visible(timeout=TIMEOUT_MS)
    assert katex.count() >= 12  # 6 forward lines and 6 backward lines, typeset
    page.get_by_role("tab", name="PyTorch vs NumPy").click()
    button(page, "compare_engines").click()
    gap = metric(page, "Largest gap between the curves")
    expect(gap).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_idle(page)
    assert float(gap.inner_text()) < 1e-4
    page.get_by_role("tab", name="Gradient check").click()
    button(page, "gradcheck").click()
    table = page.locator('[data-testid="stExpander"] [data-testid="stDataFrame"]')
    expect(table).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_idle(page)
    assert_no_exception(page)
    page.locator('[data-testid="stExpander"]').last.screenshot(
        path=str(screenshot_dir / "under-the-hood.png"))
