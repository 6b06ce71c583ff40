"""Every lesson is run and its promise checked with real numbers; its own check() must agree.

The runs of each lesson are trained once per test session (`runs_of`) and shared by its tests.
"""

from __future__ import annotations

import dataclasses
import functools
import re

import numpy as np
import pytest
import torch

from playground import Config, Run
from playground.landscape import race
from playground.lessons import (
    LESSONS,
    Lesson,
    final,
    first_layer_gradient,
    late,
    run_lesson,
    seconds_per_epoch,
)
from playground.train import changed_fields, data_key

# What each comparison may change between its set-ups; everything else must be equal.
VARIED = {
    "moons-scratch": {"engine"},
    "building-blocks": {"batchnorm"},
    "batch-size": {"batch_size"},
    "learning-rate": {"lr"},
    "vanishing-gradients": {"activation"},
    "regularization": {"weight_decay", "dropout", "patience"},
    "spiral": {"hidden"},
}


@functools.cache
def runs_of(name: str) -> dict[str, Run]:
    return run_lesson(LESSONS[name])


def assert_check_agrees(name: str, expected: bool = True) -> str:
    ok, words = LESSONS[name].check(runs_of(name))
    assert ok is expected, words
    assert words.endswith(".") and ("NOT as promised" in words) is not expected
    return words


# ---- the registry ------------------------------------------------------------------------------
def test_registry_in_order():
    assert list(LESSONS) == ["random-labels", "teacher", "moons-scratch", "building-blocks",
                             "no-hidden-layer", "batch-size", "learning-rate",
                             "vanishing-gradients",
                             "regularization", "spiral"]
    for name, lesson in LESSONS.items():
        assert lesson.name == name and isinstance(lesson, Lesson)
        assert lesson.configs and all(isinstance(c, Config) for c in lesson.configs.values())
        for words in (lesson.title, lesson.text, lesson.look_for, lesson.promise):
            assert words.strip() == words and len(words) > 10
        # The promise is one sentence.
        assert lesson.promise.endswith(".") and not re.search(r"\.\s+[A-Z]", lesson.promise)


@pytest.mark.parametrize("name", VARIED)
def test_comparisons_change_only_what_they_compare(name):
    configs = list(LESSONS[name].configs.values())
    for other in configs[1:]:
        assert set(changed_fields(configs[0], other)) <= VARIED[name], name


def test_set_ups_on_the_same_data_share_seeds():
    for lesson in LESSONS.values():
        by_data: dict[str, set] = {}
        for cfg in lesson.configs.values():
            by_data.setdefault(cfg.dataset, set()).add(
                data_key(cfg) + (cfg.seed,))
        assert all(len(v) == 1 for v in by_data.values()), lesson.name


@pytest.mark.parametrize("name", ["moons-scratch", "batch-size", "vanishing-gradients",
                                  "regularization"])
def test_compared_set_ups_start_from_the_same_weights(name):
    first, *others = (Run(cfg) for cfg in LESSONS[name].configs.values())
    for run in others:
        assert torch.equal(run.params.theta, first.params.theta)


def test_run_lesson_shares_the_data_and_reports_progress():
    lesson = LESSONS["batch-size"]
    lesson = dataclasses.replace(lesson, configs={k: c.replace(epochs=2)
                                                  for k, c in lesson.configs.items()})
    seen: list[tuple[str, int]] = []
    runs = run_lesson(lesson, lambda label, run: seen.append((label, run.epoch)))
    assert list(runs) == list(lesson.configs)
    first, *others = runs.values()
    assert all(run.data is first.data for run in others)
    assert seen == [(label, e) for label in lesson.configs for e in (1, 2)]


# ---- one test per lesson -----------------------------------------------------------------------
def test_random_labels_are_memorised_not_learned():
    run = runs_of("random-labels")["random labels"]
    assert run.config.sizes == [20, 64, 32, 1]
    assert final(run, "train_acc") >= 0.95
    assert abs(final(run, "test_acc") - 0.5) <= 0.1
    assert run.history["test_loss"][-1] > 2 * run.history["test_loss"][0]  # it gets worse
    assert_check_agrees("random-labels")


def test_teacher_is_learned_in_25_epochs():
    run = runs_of("teacher")["teacher data"]
    assert run.config.sizes == [16, 64, 5] and run.epoch == 25
    assert run.history["test_acc"][0] <= 0.35
    assert 0.70 <= final(run, "test_acc") <= 0.85
    assert abs(final(run, "train_acc") - final(run, "test_acc")) <= 0.07
    assert_check_agrees("teacher")


def test_the_teacher_lessons_promise_holds_over_seeds():
    # Each seed is another teacher and another student: the promise and the look-for text's
    # range are about all of them, not about the lesson's one seed.
    cfg = LESSONS["teacher"].configs["teacher data"]
    finals = []
    for seed in range(5):
        run = Run(cfg.replace(seed=seed, data_seed=seed)).fit(cfg.epochs)
        ok, words = LESSONS["teacher"].check({"teacher data": run})
        assert ok, (seed, words)
        finals.append(final(run, "test_acc"))
    assert 0.72 <= min(finals) and max(finals) <= 0.82
    assert 0.75 <= sum(finals) / len(finals) <= 0.81


def test_moons_from_scratch_matches_pytorch():
    runs = runs_of("moons-scratch")
    numpy_run, torch_run = runs["NumPy engine"], runs["PyTorch"]
    assert numpy_run.config.engine == "numpy" and numpy_run.config.batch_size == 1
    assert numpy_run.steps == 10_000  # single-example SGD: 1,000 points x 10 epochs
    assert numpy_run.config.init == "normal" and not numpy_run.config.standardize
    assert min(final(numpy_run, "test_acc"), final(torch_run, "test_acc")) >= 0.98
    for a, b in zip(numpy_run.history["train_loss"], torch_run.history["train_loss"]):
        assert a == pytest.approx(b, abs=1e-4)
    assert_check_agrees("moons-scratch")


def test_batchnorm_rescues_the_deep_sigmoid_net():
    runs = runs_of("building-blocks")
    assert all(r.config.resolved_loss == "l1" and r.config.optimizer == "adam"
               for r in runs.values())
    assert late(runs["with BatchNorm"], "test_r2") >= 0.7
    assert late(runs["without BatchNorm"], "test_r2") <= 0.5
    assert_check_agrees("building-blocks")


def test_what_a_hidden_layer_adds():
    runs = runs_of("no-hidden-layer")
    linear = runs["xor, no hidden layer"]
    assert final(linear, "test_acc") <= 0.65
    assert final(linear, "test_loss") >= 0.65  # about ln 2: no better than guessing
    assert final(runs["xor, 4 hidden units"], "test_acc") >= 0.9
    assert final(runs["steps, no hidden layer"], "test_acc") >= 0.95
    bumps = runs["bumps, 9 sigmoid units"]
    assert bumps.config.dataset == "bumps_even" and bumps.data.n_train == 80
    assert final(bumps, "train_acc") == 1.0
    assert_check_agrees("no-hidden-layer")


def test_batch_size_per_epoch_and_per_second():
    sgd, mini, full = runs_of("batch-size").values()
    assert [r.steps // r.epoch for r in (sgd, mini, full)] == [250, 16, 1]
    assert final(sgd, "train_loss") < final(mini, "train_loss") < final(full, "train_loss")
    assert seconds_per_epoch(sgd) >= 3 * seconds_per_epoch(mini)
    assert seconds_per_epoch(mini) >= 2 * seconds_per_epoch(full)
    assert_check_agrees("batch-size")


def test_the_learning_rate_on_the_exact_loss_surface():
    runs = runs_of("learning-rate")
    slow, good, zigzag, high = runs.values()
    assert all(r.params.theta.numel() == 2 and r.steps == 30 for r in runs.values())
    # One start, and the path is every step (30 full-batch steps fit the recorded spread).
    assert all(np.array_equal(r.path[1][0], slow.path[1][0]) for r in runs.values())
    assert all(list(r.path[0]) == list(range(31)) for r in runs.values())
    land = race(runs)
    assert land.method == "exact" and land.optimum is not None
    # The least-squares point is where the loss is lowest: no grid point is below it.
    assert land.optimum[2] <= land.loss.min() + 1e-6
    # The path's losses are the runs' own training losses (full batch: step k = epoch k).
    for run, path in zip(runs.values(), land.paths.values(), strict=True):
        assert np.allclose(path.true_loss, run.history["train_loss"], rtol=1e-4)
    assert good.history["train_loss"][-1] <= 1.001 * land.optimum[2]
    assert np.all(np.diff(land.paths["rate 0.35 (too high)"].true_loss) > 0)
    assert high.history["train_loss"][-1] > 100 * high.history["train_loss"][0]
    assert_check_agrees("learning-rate")
    # Standardized inputs make the bowl round: the same rate no longer zigzags.
    rounder = zigzag.config.replace(standardize=True)
    run = Run(rounder)
    run.record_path = True
    run.fit(30)
    assert np.all(np.diff(run.history["train_loss"]) <= 1e-6)


def test_vanishing_gradients():
    runs = runs_of("vanishing-gradients")
    sig, relu = runs["sigmoid"], runs["ReLU"]
    assert first_layer_gradient(relu) >= 100 * first_layer_gradient(sig)
    last = [k for k in sig.history if k.startswith("grad_norm/")][-1]
    assert sig.history[last][-1] >= 1e4 * first_layer_gradient(sig)  # the "look for" text
    assert final(sig, "test_acc") <= 0.6 and final(relu, "test_acc") >= 0.95
    assert_check_agrees("vanishing-gradients")


def test_regularization_beats_the_plain_wide_net():
    plain, *fixes = runs_of("regularization").values()
    assert plain.config.n_train == 100 and plain.status == "finished"
    assert final(plain, "test_loss") >= 1.5 * min(plain.history["test_loss"])
    assert all(final(r, "test_loss") < final(plain, "test_loss") for r in fixes)
    assert max(final(r, "test_acc") for r in fixes) >= final(plain, "test_acc") + 0.02
    early = fixes[-1]
    assert early.status == "early_stopped" and early.epoch < early.config.epochs
    assert_check_agrees("regularization")


@pytest.mark.slow
def test_the_smallest_net_that_solves_the_spiral():
    runs = runs_of("spiral")
    accs = {label: final(run, "test_acc") for label, run in runs.items()}
    assert accs["8, 8"] >= 0.95
    assert all(acc < 0.95 for label, acc in accs.items() if label != "8, 8")
    n_weights = sum(p.numel() for p in runs["8, 8"].model.parameters())
    assert n_weights == 105
    assert_check_agrees("spiral")


def test_a_broken_promise_is_reported():
    # The check reads the runs it is given: an untrained model keeps no promise.
    lesson = LESSONS["random-labels"]
    ok, words = lesson.check({"random labels": Run(lesson.configs["random labels"])})
    assert not ok and words.startswith("NOT as promised: train accuracy")
