"""Saving and loading a set-up, and the downloads, in headless Chromium."""

from __future__ import annotations

import json

import pytest
import torch
from playwright.sync_api import expect
from test_untrusted_input import CRASHING_FILES

from browser_utils import TIMEOUT_MS, assert_no_exception, open_page, wait_for_idle, widget_input
from playground import Config, train

pytestmark = pytest.mark.browser
CRASHING_SAID = {"a 401-digit integer": "a number with more than 18 digits is not allowed",
                 "a list inside the features": "a list inside a list is not allowed",
                 "a 5,000-digit integer": "a number in it has thousands of digits",
                 "5,000 nested lists": "nested too deeply"}


def _open_panel(page, url):
    open_page(page, url)
    page.get_by_text("Save, load and take away").click()


def _download(page, label: str, tmp_path):
    with page.expect_download(timeout=TIMEOUT_MS) as info:
        page.get_by_role("button", name=label, exact=True).click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    wait_for_idle(page)
    return path


def test_download_the_set_up_and_the_weights(app_server, page, tmp_path):
    _open_panel(page, f"{app_server}/?dataset=xor&hidden=8,8&lr=0.1&optimizer=adam")
    saved = Config.from_json(_download(page, "Set-up (JSON)", tmp_path).read_text())
    assert saved == Config(dataset="xor", hidden=(8, 8), lr=0.1, optimizer="adam")
    weights = torch.load(_download(page, "Trained weights (state_dict)", tmp_path),
                         weights_only=True)
    model = train(saved.replace(epochs=1)).model
    model.load_state_dict(weights, strict=True)  # the page's model: same layout
    lines = _download(page, "Data (CSV, train and test)", tmp_path).read_text().splitlines()
    assert lines[0] == "split,x1,x2,label" and len(lines) == 1 + 500
    assert_no_exception(page)


def test_load_a_set_up_and_reject_bad_files(app_server, page, tmp_path):
    _open_panel(page, f"{app_server}/")
    upload = page.locator('.st-key-upload_config input[type="file"]')
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"lr": 99, "colour": "red"}))
    upload.set_input_files(str(bad))
    expect(page.get_by_text("Nothing was changed")).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_idle(page)
    expect(widget_input(page, "w_hidden")).to_have_value("4, 2")
    # The files that crashed the page (issue 12): each gets its message, nothing changes.
    for i, (name, said) in enumerate(CRASHING_SAID.items()):
        path = tmp_path / f"crash{i}.json"
        path.write_bytes(CRASHING_FILES[name])
        upload.set_input_files(str(path))
        expect(page.get_by_text(said)).to_be_visible(timeout=TIMEOUT_MS)
        wait_for_idle(page)
        assert_no_exception(page)
        expect(widget_input(page, "w_hidden")).to_have_value("4, 2")
    good = tmp_path / "good.json"
    good.write_text(Config(dataset="moons", hidden=(16, 8), activation="relu").to_json())
    upload.set_input_files(str(good))
    expect(page.get_by_text("Loaded the set-up from good.json")).to_be_visible(
        timeout=TIMEOUT_MS)
    wait_for_idle(page)
    expect(widget_input(page, "w_hidden")).to_have_value("16, 8")
    assert "dataset=moons" in page.url and "activation=relu" in page.url
    assert_no_exception(page)


def test_show_the_code(app_server, page):
    _open_panel(page, f"{app_server}/?dataset=moons&epochs=5")
    wait_for_idle(page)  # a click on a toggle while the page reruns can be lost
    page.get_by_text("Show the code").click()
    expect(page.get_by_role("switch", name="Show the code")).to_be_checked()
    code = page.locator('[data-testid="stCode"]').filter(has_text="def _moons")
    expect(code).to_be_visible(timeout=TIMEOUT_MS)
    assert "import playground" not in code.inner_text()
    assert_no_exception(page)
