"""What an action costs and what a host allows (playground/budget.py). The estimates' accuracy
is measured by bench/cost_model.py; these tests check the model's logic and the messages."""

from __future__ import annotations

import math

import pytest

from playground import Config, budget

HOSTED, LOCAL = budget.PROFILES["hosted"], budget.PROFILES["local"]
# The issue's links, larger: an 8x118 batch-1 spiral (10,000 steps an epoch), a 190,000-point
# 8x386 full-batch plane.
BATCH_ONE = Config(dataset="spiral", n_samples=20_000, hidden=(118,) * 8, batch_size=1,
                   epochs=100)
HUGE = Config(dataset="plane", n_samples=190_000, hidden=(386,) * 8, batch_size=200_000,
              epochs=1)


def test_an_epoch_is_its_steps_its_training_and_its_evaluation():
    c = Config()
    steps, train, evaluate, epochs = budget.epoch_terms(c)
    assert steps == math.ceil(c.n_train / c.batch_size) == 25
    assert train == c.n_train * budget.parameters(c) and evaluate == 500 * budget.parameters(c)
    assert budget.epoch_seconds(c) == pytest.approx(
        steps * budget.STEP_S + train * budget.TRAIN_S + evaluate * budget.EVAL_S
        + budget.EPOCH_S_FIXED)
    # Evaluation counts the test points too: a test share of 0.9 evaluates 10x the trained.
    wide = Config(test_fraction=0.9, batch_size=1000)
    assert budget.epoch_terms(wide)[2] == 10 * budget.epoch_terms(wide)[1]
    assert budget.run_seconds(c) == pytest.approx(200 * budget.epoch_seconds(c))


def test_estimates_grow_with_what_they_count():
    c = Config(dataset="moons", n_samples=2000, hidden=(32, 32))
    for bigger in (c.replace(n_samples=4000), c.replace(hidden=(64, 64)), c.replace(batch_size=1)):
        assert budget.epoch_seconds(bigger) > budget.epoch_seconds(c)
    assert budget.step_bytes(c.replace(batch_size=1000)) > budget.step_bytes(c)
    assert budget.lr_finder_seconds(c.replace(batch_size=1000)) > budget.lr_finder_seconds(c)


def test_the_hosted_profile_refuses_the_issues_links_with_what_to_change():
    assert budget.check_config(Config(), HOSTED) == {}
    errors = budget.check_config(HUGE, HOSTED)  # in chunks, its full-batch step fits memory
    assert set(errors) == {"n_samples", "hidden"}
    assert "one epoch would take about" in errors["hidden"]
    # With batch norm the batch cannot go in chunks: its 190,000 rows' activations at once.
    errors = budget.check_config(HUGE.replace(batchnorm=True), HOSTED)
    assert "GB of memory" in errors["batch_size"] and "per visitor" in errors["batch_size"]
    slow = budget.check_config(BATCH_ONE, HOSTED)
    assert set(slow) == {"n_samples", "hidden"} and "larger batch" in slow["hidden"]
    assert budget.check_config(HUGE, LOCAL) == {} and budget.check_config(BATCH_ONE, LOCAL) == {}


def test_a_full_batch_step_on_big_data_is_counted_in_chunks():
    from playground.nn.passes import TRAIN_FLOATS

    chunk = TRAIN_FLOATS // sum(HUGE.sizes)
    activations = chunk * (HUGE.sizes[0] + sum(HUGE.sizes[1:]) * budget.ACTIVATION_COPIES) * 4
    assert budget.step_bytes(HUGE) < activations + 0.1 * 2**30  # one chunk's, not 190,000 rows'
    assert budget.step_bytes(HUGE) < 0.25 * 2**30 < budget.step_bytes(HUGE.replace(batchnorm=True))
    assert budget.step_bytes(HUGE.replace(engine="numpy", hidden=(386,))) > budget.step_bytes(
        HUGE.replace(hidden=(386,)))  # the NumPy engine takes the batch whole


def test_a_click_fits_or_says_why_not():
    assert budget.check_click("The learning-rate finder", 1.0, HOSTED) is None
    message = budget.check_click("The learning-rate finder", 3600.0, HOSTED)
    assert message.startswith("The learning-rate finder would take about 1 hours")
    assert "local profile" in message
    assert budget.check_click("Training both engines", 1e9, LOCAL) is None
    # The finder on the issue's 200,000-point link: an hour, refused on a host.
    assert budget.lr_finder_seconds(HUGE) > 600
    assert budget.check_click("The learning-rate finder", budget.lr_finder_seconds(HUGE),
                              HOSTED)


def test_the_profile_comes_from_its_name_or_the_environment(monkeypatch):
    monkeypatch.delenv(budget.ENV, raising=False)
    assert budget.profile() is HOSTED
    monkeypatch.setenv(budget.ENV, "Local ")
    assert budget.profile() is LOCAL
    assert budget.profile("hosted") is HOSTED
    with pytest.raises(ValueError, match="unknown profile 'big': choose one of hosted, local"):
        budget.profile("big")


def test_drawing_the_page_is_estimated_and_bounded():
    c = Config(dataset="spiral", n_samples=200_000, hidden=(64, 64), batch_size=200_000)
    assert budget.render_seconds(c) > budget.render_seconds(c.replace(n_samples=2000))
    assert budget.render_seconds(c) > budget.render_seconds(c.replace(hidden=(8,)))
    # Under the hosted epoch budget the page stays well inside one click's (bench: 0.4 s).
    assert budget.check_config(c, HOSTED) == {} and budget.render_seconds(c) < 1.0
    tight = budget.Profile("tight", click_s=0.2, epoch_s=1.0, memory_bytes=2**30, about="")
    errors = budget.check_config(c, tight)
    assert set(errors) == {"n_samples", "hidden"}
    assert errors["hidden"].startswith("drawing the page for it would take about")
