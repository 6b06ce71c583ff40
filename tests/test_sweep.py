"""Sweeps: every stacked model is the model train(config) makes; grouping, fallback, bounds."""

import math

import numpy as np
import pytest
import torch

from playground import OPTIMIZERS, Config, ConfigError, load_data, train
from playground.config import MAX_STEPS
from playground.device import denormals_flushed
from playground.sweep import MAX_MODELS, SWEEP_KNOBS, prepare, sweep

# Small and quick: 150 training points, so batch 32 leaves a remainder batch of 22.
BASE = Config(dataset="moons", n_samples=200, noise=0.2, test_fraction=0.25, hidden=(8, 8),
              activation="relu", optimizer="adam", lr=0.01, batch_size=32, epochs=4, seed=0)
CASES = {
    "adam relu, two lrs": (BASE, {"lr": [0.003, 0.03]}),
    "adam one lr, two inits": (BASE, {"init": ["kaiming", "xavier"]}),
    "sgd tanh, weight decay": (BASE.replace(optimizer="sgd", activation="tanh", lr=0.1),
                               {"weight_decay": [0.0, 0.01]}),
    "momentum sigmoid, l1 x clip": (BASE.replace(optimizer="momentum", activation="sigmoid"),
                                    {"l1": [0.0, 0.001], "clip": [0.0, 0.1]}),
    "nesterov elu, momentum": (BASE.replace(optimizer="nesterov", activation="elu"),
                               {"momentum": [0.5, 0.9]}),
    "adamw gelu, decay, cosine": (BASE.replace(optimizer="adamw", activation="gelu",
                                               schedule="cosine", weight_decay=0.05),
                                  {"lr": [0.01, 0.02]}),
    "rmsprop silu, step schedule": (BASE.replace(optimizer="rmsprop", activation="silu",
                                                 schedule="step", step_size=2, gamma=0.5),
                                    {"lr": [0.001, 0.01]}),
    "adagrad leaky_relu, full batch": (BASE.replace(optimizer="adagrad", activation="leaky_relu",
                                                    batch_size=500), {"lr": [0.01, 0.1]}),
    "multiclass blobs": (BASE.replace(dataset="blobs", n_classes=4), {"lr": [0.003, 0.03]}),
    "regression sine, sgd": (BASE.replace(dataset="sine", optimizer="sgd", activation="tanh"),
                             {"lr": [0.01, 0.05]}),
    "batch of one": (BASE.replace(n_samples=40, batch_size=1, epochs=2), {"lr": [0.001, 0.01]}),
    "hinge (autograd loss)": (BASE.replace(loss="hinge"), {"lr": [0.003, 0.03]}),
    "bce (autograd loss)": (BASE.replace(loss="bce"), {"lr": [0.003, 0.03]}),
    "multiclass mse (autograd)": (BASE.replace(dataset="blobs", loss="mse"), {"lr": [0.01, 0.03]}),
    "regression huber, no hidden": (BASE.replace(dataset="line", loss="huber", hidden=()),
                                    {"lr": [0.01, 0.1]}),
}


def assert_same_as_train(result, i):
    run = train(result.configs[i])
    assert result.status[i] == run.status
    for key, value in result.final[i].items():
        assert value == pytest.approx(run.history[key][-1], abs=1e-4), key
    for key, series in result.history[i].items():
        np.testing.assert_allclose(series, run.history[key], atol=1e-4, err_msg=key)
    torch.testing.assert_close(result.params[i], run.params.theta, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", CASES)
def test_every_stacked_model_is_the_model_train_makes(name):
    base, axes = CASES[name]
    result = sweep(base, axes, seeds=[0, 5])
    assert not result.fallback and len(result.stacks) == 1
    assert result.complete
    for i in range(len(result.configs)):
        assert_same_as_train(result, i)


def test_every_optimizer_is_checked_stacked_against_train():
    # one rule serves one model and a stack (nn/optim.py): the cases above compare every one
    assert {base.optimizer for base, _ in CASES.values()} == set(OPTIMIZERS)


def test_grid_order_configs_and_points():
    result = sweep(BASE, {"width": [4, 8], "lr": [0.01, 0.1]}, seeds=2, callback=None)
    assert [c.hidden for c in result.configs[::2]] == [(4, 4), (4, 4), (8, 8), (8, 8)]
    assert [c.lr for c in result.configs[::2]] == [0.01, 0.1, 0.01, 0.1]
    assert [c.seed for c in result.configs] == [0, 1] * 4  # seeds=2 means base.seed + 0, 1
    assert result.points[0] == {"width": 4, "lr": 0.01}
    # one stack per width; the learning rates and seeds share it
    assert sorted(result.stacks) == [[0, 1, 2, 3], [4, 5, 6, 7]]


@pytest.mark.parametrize("axes, n_stacks", [
    ({"depth": [0, 1, 3]}, 3), ({"activation": ["relu", "tanh"]}, 2),
    ({"batch_size": [16, 64], "optimizer": ["sgd", "adam"]}, 4),
    ({"momentum": [0.5, 0.9], "weight_decay": [0.0, 0.1]}, 1),
])
def test_grouping(axes, n_stacks):
    result = sweep(BASE.replace(epochs=1), axes, seeds=1)
    assert len(result.stacks) == n_stacks
    assert sorted(i for s in result.stacks for i in s) == list(range(len(result.configs)))
    for stack in result.stacks:
        sizes = {result.configs[i].sizes.__repr__() for i in stack}
        assert len(sizes) == 1
    if "depth" in axes:
        assert [c.hidden for c in result.configs] == [(), (8,), (8, 8, 8)]


def test_unstackable_configs_fall_back_to_train():
    result = sweep(BASE, {"dropout": [0.0, 0.2], "batchnorm": [False, True]}, seeds=1)
    assert result.fallback == {1: "batch norm", 2: "dropout", 3: "batch norm"}
    assert result.stacks == [[0]]
    for i in range(4):
        assert_same_as_train(result, i)
    X = torch.as_tensor(load_data(BASE).transform(np.zeros((3, 2))), dtype=torch.float32)
    with torch.no_grad():  # the batch-norm model keeps its running statistics
        torch.testing.assert_close(result.model(3)(X), train(result.configs[3]).model.eval()(X))
    numpy = sweep(BASE.replace(engine="numpy", activation="tanh", optimizer="sgd"),
                  {"lr": [0.01, 0.1]}, seeds=1)
    assert set(numpy.fallback.values()) == {"the numpy engine"}
    assert_same_as_train(numpy, 1)


def test_divergence_matches_train():
    base = BASE.replace(dataset="sine", optimizer="sgd", hidden=(16,), epochs=3)
    seen = []
    result = sweep(base, {"lr": [0.01, 10.0]}, seeds=1, callback=seen.append)
    assert result.status == ["finished", "diverged"]
    assert seen[-1] == 1.0  # the epochs the diverged model skipped count as done
    for i in range(2):
        assert_same_as_train(result, i)
    assert all(math.isfinite(v) for v in result.final[1].values())


def test_callback_progress_and_stop():
    seen = []
    result = sweep(BASE, {"width": [4, 8]}, seeds=2, callback=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 2 * BASE.epochs
    assert result.complete and result.seconds > 0

    calls = []
    stopped = sweep(BASE, {"width": [4, 8]}, seeds=2,
                    callback=lambda p: calls.append(p) or len(calls) < 2)
    assert not stopped.complete
    assert stopped.status == ["stopped"] * 2 + ["not run"] * 2
    assert len(stopped.history[0]["test_loss"]) == 3  # epochs 0, 1, 2
    assert math.isnan(stopped.final[3]["test_acc"]) and stopped.params[3] is None
    run = train(stopped.configs[0].replace(epochs=2))
    torch.testing.assert_close(stopped.params[0], run.params.theta, atol=1e-5, rtol=0)


def test_fallback_runs_also_stop():
    result = sweep(BASE, {"dropout": [0.1, 0.2]}, seeds=1, callback=lambda p: False)
    assert result.status == ["stopped", "not run"]


def test_table_summary_pivot_best():
    result = sweep(BASE, {"lr": [0.003, 0.03], "activation": ["relu", "tanh"]}, seeds=3)
    table = result.table()
    assert len(table) == 12
    assert {"lr", "activation", "seed", "status", "epochs", "train_loss", "test_loss",
            "train_acc", "test_acc"} <= set(table.columns)
    summary = result.summary()
    assert len(summary) == 4 and list(summary.columns[:2]) == ["lr", "activation"]
    for row in summary.itertuples():
        accs = table[(table.lr == row.lr) & (table.activation == row.activation)].test_acc
        assert row.mean == pytest.approx(np.mean(accs))
        assert row.std == pytest.approx(np.std(accs, ddof=1))
        assert row.n == 3
    grid = result.pivot()
    assert grid.shape == (2, 2) and list(grid.index) == [0.003, 0.03]
    assert grid.loc[0.03, "tanh"] == pytest.approx(summary["mean"].iloc[3])
    best = result.best()
    assert best["mean"] == summary["mean"].max()
    assert result.best("test_loss")["mean"] == result.summary("test_loss")["mean"].min()


def test_regression_summary_uses_r2_and_model_predicts_like_run():
    base = BASE.replace(dataset="sine", activation="tanh")
    result = sweep(base, {"lr": [0.01, 0.03]}, seeds=1)
    assert result.default_metric() == "test_r2"
    assert {"train_r2", "test_r2", "train_rmse", "test_rmse"} <= set(result.table().columns)
    assert result.best()["mean"] == result.summary()["mean"].max()
    run = train(result.configs[1])
    X = np.linspace(-3, 3, 7)[:, None]
    data = load_data(result.configs[1])
    with torch.no_grad():
        out = result.model(1)(torch.as_tensor(data.transform(X), dtype=torch.float32))[:, 0]
    np.testing.assert_allclose(out.numpy(), run.predict(X), atol=1e-5)


def test_shared_data_is_used():
    data = load_data(BASE)
    result = sweep(BASE, {"lr": [0.01]}, seeds=2, data=data)
    assert_same_as_train(result, 1)


@pytest.mark.parametrize("axes, seeds, message", [
    ({}, 1, "one or two axes"),
    ({"lr": [0.1], "width": [2], "depth": [1]}, 1, "one or two axes"),
    ({"colour": [1, 2]}, 1, "cannot be swept"),
    ({"seed": [1, 2]}, 1, "seeds="),
    ({"lr": []}, 1, "non-empty"),
    ({"lr": [0.1, 0.1]}, 1, "repeats a value"),
    ({"hidden": [(4,)], "width": [2]}, 1, "not both"),
    ({"lr": [0.01, 100.0]}, 1, "point lr=100.0, seed=0: lr"),
    ({"lr": [0.1, 0.2, 0.3, 0.4, 0.5]}, 13, f"65 models; a sweep trains 1 to {MAX_MODELS}"),
    ({"lr": [0.1]}, [], "1 to 64"),
])
def test_bad_sweeps_raise_clear_errors(axes, seeds, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sweep(BASE, axes, seeds=seeds)


def test_a_tf_seed_leaves_no_data_seed_to_sweep():
    base = BASE.replace(dataset="circle", tf_seed="0.12345", epochs=1)
    with pytest.raises(ConfigError, match="do not depend on the data seed"):
        sweep(base, {"data_seed": [0, 1]}, seeds=1)
    result = sweep(base, {"noise": [0.0, 0.2]}, seeds=1)  # TF's own points at each noise
    assert result.complete


def test_depth_needs_a_width():
    with pytest.raises(ConfigError, match="needs .* a width"):
        sweep(BASE.replace(hidden=()), {"depth": [1, 2]}, seeds=1)
    result = sweep(BASE.replace(hidden=(), epochs=1), {"depth": [1], "width": [3]}, seeds=1)
    assert result.configs[0].hidden == (3,)


def test_budget_is_summed_over_the_models():
    per_run = BASE.replace(n_samples=10_000, test_fraction=0.05, batch_size=1, epochs=150)
    steps = math.ceil(per_run.n_train / 1) * per_run.epochs
    assert steps <= MAX_STEPS < 2 * steps  # one run is allowed, two are not
    with pytest.raises(ConfigError, match="optimizer steps over all models"):
        sweep(per_run, {"lr": [0.01, 0.1]}, seeds=1)
    big = BASE.replace(n_samples=200_000, dataset="teacher", hidden=(512, 512), epochs=4)
    with pytest.raises(ConfigError, match="point-epoch-weights"):
        sweep(big, {"lr": [0.01, 0.1]}, seeds=1)


def test_knobs_listed():
    assert {"lr", "batch_size", "width", "depth", "activation", "optimizer"} <= set(SWEEP_KNOBS)


def test_drop_weights_keeps_the_metrics():
    base = Config(dataset="xor", n_samples=60, hidden=(3,), epochs=2)
    result = sweep(base, {"lr": [0.03, 0.3]}, seeds=2)
    table = result.table()
    result.drop_weights()
    assert result.table().equals(table) and result.params == [None] * 4
    assert all(len(v) == 1 for h in result.history for v in h.values())  # last epoch only
    with pytest.raises(ValueError, match="weights were dropped"):
        result.model(0)


def test_width_on_a_network_without_hidden_layers_gives_one_layer():
    base = Config(dataset="xor", n_samples=60, hidden=(), epochs=1)
    result = prepare(base, {"width": [2, 4, 8]}, 1)
    assert [c.hidden for c in result.configs] == [(2,), (4,), (8,)]
    deeper = prepare(Config(dataset="xor", n_samples=60, hidden=(5, 5), epochs=1),
                     {"width": [2, 3]}, 1)
    assert [c.hidden for c in deeper.configs] == [(2, 2), (3, 3)]
    with pytest.raises(ConfigError, match="width"):
        prepare(base, {"depth": [1, 2]}, 1)
    with pytest.raises(ConfigError, match="whole number"):
        prepare(Config(dataset="xor", n_samples=60, hidden=(4,), epochs=1), {"depth": [1.5]}, 1)


def test_a_stack_flushes_denormals_while_it_trains_only():
    seen = []
    sweep(BASE.replace(epochs=2), {"lr": [0.01, 0.03]}, seeds=1,
          callback=lambda done: seen.append(denormals_flushed()))
    assert seen and all(seen) and not denormals_flushed()
