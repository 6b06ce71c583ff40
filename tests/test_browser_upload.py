"""'Bring your own data' in headless Chromium: a real file upload, a bad one and a good one."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from browser_utils import (
    TIMEOUT_MS,
    assert_no_exception,
    button,
    metric,
    open_page,
    train_epochs,
    wait_for_idle,
    widget_input,
)

pytestmark = pytest.mark.browser
SECTION = '[data-testid="stExpander"]:has-text("Bring your own data")'


def _blobs(path, n: int = 240) -> None:
    rng = np.random.default_rng(0)
    label = np.arange(n) % 3
    frame = pd.DataFrame(rng.normal(size=(n, 2)) + 4.0 * np.eye(3, 2)[label], columns=["u", "v"])
    frame["kind"] = np.array(["ant", "bee", "cat"])[label]
    frame.to_csv(path, index=False)


def test_upload_a_bad_file_then_a_good_one(app_server, page, tmp_path, screenshot_dir):
    open_page(page, f"{app_server}/?dataset=moons&hidden=8&optimizer=adam&lr=0.01&epochs=20")
    page.get_by_text("Bring your own data").click()
    section = page.locator(SECTION)
    upload = page.locator('.st-key-upload_data input[type="file"]')

    bad = tmp_path / "settings.json"
    bad.write_text('{"dataset": "moons", "lr": 0.1}')
    upload.set_input_files(str(bad))
    expect(section.get_by_text("This is a JSON file, not a CSV file")).to_be_visible(
        timeout=TIMEOUT_MS)
    wait_for_idle(page)
    expect(widget_input(page, "w_dataset")).to_have_value("Two moons")  # nothing changed
    section.screenshot(path=str(screenshot_dir / "upload_error.png"))
    assert_no_exception(page)

    good = tmp_path / "bugs.csv"
    _blobs(good)
    upload.set_input_files(str(good))
    expect(widget_input(page, "upload_target")).to_have_value("kind", timeout=TIMEOUT_MS)
    wait_for_idle(page)
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(screenshot_dir / "upload_section.png"))
    button(page, "upload_use").click()
    expect(page.get_by_text("Now learning from your file bugs.csv")).to_be_visible(
        timeout=TIMEOUT_MS)
    wait_for_idle(page)
    expect(widget_input(page, "w_dataset")).to_have_value("Your CSV: bugs.csv")
    expect(page).to_have_url(re.compile(r"[?&]dataset=csv-[0-9a-f]{10}(&|$)"), timeout=TIMEOUT_MS)
    expect(page.get_by_text("share links do not carry it").first).to_be_visible()

    train_epochs(page, 20)
    expect(metric(page, "Epoch")).to_have_text("20")
    expect(page.get_by_test_id("mlpMainPicture")).to_be_visible()  # the file's classes
    wait_for_idle(page)
    page.screenshot(path=str(screenshot_dir / "upload_trained.png"))
    assert_no_exception(page)
