"""The app loads in headless Chromium: title visible, no exception, a screenshot saved."""

import pytest
from playwright.sync_api import expect

from browser_utils import TIMEOUT_MS, assert_no_exception, open_app

pytestmark = pytest.mark.browser


def test_landing_page(app_server, page, screenshot_dir):
    open_app(page, app_server)

    title = page.get_by_role("heading", name="MLP Playground")
    expect(title).to_be_visible(timeout=TIMEOUT_MS)
    assert page.title() == "MLP Playground"
    assert_no_exception(page)

    shot = screenshot_dir / "landing.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.is_file()
    assert shot.stat().st_size > 10_000
