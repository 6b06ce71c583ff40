"""The TensorFlow Playground box on the page, through AppTest: open its links, open ours there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
from app_utils import assert_ok, click, job, open_page
from streamlit.testing.v1 import AppTest

from playground import Config

REFERENCE = json.loads((Path(__file__).parent / "data" / "tfplayground_reference.json").read_text())
LINKS = {link["name"]: link for link in REFERENCE["links"]}


def paste(at: AppTest, text: str) -> AppTest:
    at.text_input(key="tf_link").set_value(text).run()
    return click(at, "tf_open")


def plain_texts(at: AppTest) -> str:
    return "\n".join(t.value for t in at.text)


def markdown_texts(at: AppTest) -> str:
    return "\n".join(e.value for kind in ("markdown", "caption", "error", "success", "warning",
                                          "info") for e in at.get(kind))


def test_a_pasted_link_trains_on_tf_playgrounds_very_points():
    link = LINKS["spiral-all-features"]
    at = paste(open_page(), link["url"])
    expected, unmatched = Config.from_tfplayground(link["url"])
    assert at.session_state.cfg == expected
    assert job(at).run.config == expected
    data = job(at).run.data
    np.testing.assert_allclose(data.X_train, np.array(link["train"])[:, :2], rtol=0, atol=1e-12)
    assert at.success and not at.error
    shown = plain_texts(at)
    assert all(str(u) in shown for u in unmatched)  # each named, as plain text
    assert "showTestData=false" in shown and "showTestData=false" not in markdown_texts(at)


def test_a_pasted_link_starts_tf_playgrounds_very_run_under_its_rules():
    link = LINKS["circle-L1-deep"]
    at = paste(open_page(), link["url"])
    cfg = at.session_state.cfg
    assert (cfg.init, cfg.loss, cfg.order, cfg.l1_clamp, cfg.precision) == (
        "tfplayground", "square", "fixed", True, "float64")
    assert "TF Playground's rules" in at.success[0].value
    run = job(at).run
    assert abs(run.history["train_loss"][0] - link["initial"]["train_loss"]) < 1e-12
    run.fit(10)  # what Train does, ten epochs on
    assert abs(run.history["test_loss"][-1] / link["epochs"]["10"]["test_loss"] - 1) < 1e-9
    # the rules are settings on the left: the sidebar shows them
    assert at.toggle(key="w_l1_clamp").value and at.selectbox(key="w_order").value == "fixed"


def test_the_playgrounds_own_rules_can_be_chosen_for_a_link():
    at = open_page()
    at.toggle(key="tf_rules").set_value(False).run()
    paste(at, LINKS["default"]["url"])
    cfg = at.session_state.cfg
    assert (cfg.init, cfg.loss, cfg.order, cfg.precision) == ("default", "auto", "shuffle",
                                                              "float32")
    assert "playground's own rules" in at.success[0].value
    assert "trained on ½(o − t)²" in plain_texts(at)  # the rule that differs is named


def test_a_bad_link_changes_nothing_and_is_shown_as_plain_text():
    at = open_page(dataset="xor", hidden="8")
    before = at.session_state.cfg
    evil = "#learningRate=[click](https://example.com)&activation=**bold**"
    paste(at, evil)
    assert at.session_state.cfg == before
    assert "cannot be opened" in at.error[0].value
    shown = plain_texts(at)
    assert "[click](https://example.com)" in shown and "**bold**" in shown
    assert "example.com" not in markdown_texts(at) and "bold" not in markdown_texts(at)
    paste(at, "")
    assert "paste a TensorFlow Playground link" in plain_texts(at)
    assert at.session_state.cfg == before


def test_unknown_parameters_are_named_on_the_page():
    at = paste(open_page(), LINKS["default"]["url"] + "&wibble=3&noise_hide=true")
    shown = plain_texts(at)
    assert "wibble=3: not a TF Playground setting" in shown
    assert "noise_hide=true: TF Playground hides its noise control" in shown


def test_open_in_tf_playground_links_to_this_set_up():
    at = open_page(dataset="gauss", hidden="3", activation="sigmoid", tf_seed="0.31337",
                   standardize="false", weight_decay="0.001")
    url, missing = at.session_state.cfg.to_tfplayground()
    buttons = at.get("link_button")
    assert [b.proto.url for b in buttons] == [url]
    assert "regularization=L2" in url and "regularizationRate=0.001" in url
    assert all(line in plain_texts(at) for line in missing)
    at = open_page(dataset="moons")
    assert not at.get("link_button") and at.button(key="tf_there").disabled
    assert "dataset moons" in plain_texts(at)


def test_new_data_with_a_tf_seed_draws_a_new_tf_seed():
    at = open_page(tf_seed="0.12345")
    first = job(at).run.data.X_train.copy()
    click(at, "new_data")
    assert_ok(at)
    seed = at.session_state.cfg.tf_seed
    assert re.fullmatch(r"\d\.\d{5}", seed) and seed != "0.12345"
    assert at.session_state.cfg.data_seed == 0
    assert not np.array_equal(first, job(at).run.data.X_train)


def test_the_sidebars_tf_seed_gives_tf_playgrounds_points_and_refuses_other_data():
    link = LINKS["default"]
    at = open_page(standardize="false")
    at.text_input(key="w_tf_seed").set_value(link["settings"]["seed"]).run()
    assert_ok(at)
    data = job(at).run.data
    np.testing.assert_allclose(data.X_test, np.array(link["test"])[:, :2], rtol=0, atol=1e-12)
    at.selectbox(key="w_dataset").set_value("moons").run()
    assert_ok(at)
    assert "tf_seed" in at.session_state.config_errors  # the model keeps the last valid set-up
    assert at.session_state.cfg.dataset == "circle" and at.error
