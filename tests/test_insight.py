"""Inside the network: gradient-flow norms, activations, neuron heatmaps, errors, LR finder, replay."""

import copy
import io
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from playground import Config, Run, insight, train
from playground.datasets import grid, make_data

W1 = Config(dataset="moons", n_samples=1000, noise=0.2, test_fraction=0.2, hidden=(16, 16),
            activation="relu", optimizer="adam", lr=0.01, batch_size=32, epochs=100, seed=0)
FULL = W1.replace(batch_size=800)


def manual_hidden(run: Run, X_raw: np.ndarray) -> list[torch.Tensor]:
    """Hidden activations written out with the weights (no BatchNorm, no dropout)."""
    act = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[run.config.activation]
    x = torch.from_numpy(run.data.transform(X_raw))
    linears = [m for m in run.model if isinstance(m, nn.Linear)]
    outs = []
    with torch.no_grad():
        for lin in linears[:-1]:
            x = act(x @ lin.weight.T + lin.bias)
            outs.append(x)
    return outs


# ---- gradient flow --------------------------------------------------------------------------
def test_norm_series_cover_every_linear_layer_and_every_epoch():
    run = train(W1.replace(epochs=4))
    assert set(run.norms) == {f"{k}_norm/{i}" for k in ("grad", "weight") for i in (0, 2, 4)}
    assert all(len(v) == len(run.history["epoch"]) == 5 for v in run.norms.values())
    assert all(run.norms[f"grad_norm/{i}"][0] == 0.0 for i in (0, 2, 4))  # no step yet
    assert all(v > 0 for series in run.norms.values() for v in series[1:])
    bn = train(W1.replace(epochs=1, batchnorm=True, dropout=0.1))  # Linear at 0, 4, 8
    assert set(bn.norms) == {f"{k}_norm/{i}" for k in ("grad", "weight") for i in (0, 4, 8)}


def test_norms_equal_a_direct_computation():
    run = Run(FULL.replace(epochs=3)).fit(2)
    before = copy.deepcopy(run.model)  # full batch: the next epoch's one step sees all points
    run.fit(1)
    X, Y = run._X_train, run._Y_train
    run._loss.value(before(X), Y, run.task).backward()
    for i in (0, 2, 4):
        np.testing.assert_allclose(run.norms[f"grad_norm/{i}"][-1],
                                   torch.linalg.norm(before[i].weight.grad).item(), rtol=1e-4)
        np.testing.assert_allclose(run.norms[f"weight_norm/{i}"][-1],
                                   torch.linalg.norm(run.model[i].weight).item(), rtol=1e-5)


def test_numpy_engine_records_norms_too():
    run = train(FULL.replace(epochs=2, engine="numpy", optimizer="sgd", lr=0.1))
    torch_run = train(FULL.replace(epochs=2, optimizer="sgd", lr=0.1))
    for key in run.norms:
        np.testing.assert_allclose(run.norms[key], torch_run.norms[key], rtol=1e-3, atol=1e-7)


def test_deep_sigmoid_nets_vanish_gradients():
    def first_over_last(activation):
        run = train(W1.replace(hidden=(16,) * 6, activation=activation, epochs=1, optimizer="sgd"))
        last = max(int(k.split("/")[1]) for k in run.norms)
        return run.norms["grad_norm/0"][-1] / run.norms[f"grad_norm/{last}"][-1]

    sigmoid, relu = first_over_last("sigmoid"), first_over_last("relu")
    assert sigmoid < relu / 10, (sigmoid, relu)


def test_diverging_run_keeps_finite_norms():
    cfg = Config(dataset="plane", n_samples=400, hidden=(16, 16), activation="relu",
                 optimizer="sgd", lr=10.0, batch_size=10, epochs=50)
    run = train(cfg)
    assert run.status == "diverged"
    assert all(len(v) == len(run.history["epoch"]) for v in run.norms.values())
    assert all(math.isfinite(v) for series in run.norms.values() for v in series)


# ---- activations ----------------------------------------------------------------------------
def test_activations_equal_a_manual_forward():
    run = train(W1.replace(epochs=3))
    got = insight.activations(run)
    want = manual_hidden(run, run.data.X_train)
    assert [a.shape for a in got] == [(800, 16), (800, 16)]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-5, atol=1e-6)


def test_dead_relu_share_matches_a_direct_check():
    run = train(W1.replace(epochs=2))
    with torch.no_grad():
        run.model[0].bias[:5] = -100.0  # five first-layer units that never fire
    stats = insight.activation_stats(run)
    direct = [float(np.mean(~(a.numpy() > 0).any(axis=0)))
              for a in manual_hidden(run, run.data.X_train)]
    assert [s["dead"] for s in stats] == pytest.approx(direct)
    assert stats[0]["dead"] >= 5 / 16
    assert stats[0]["saturated"] is None and stats[0]["width"] == 16
    first = manual_hidden(run, run.data.X_train)[0].numpy()
    assert stats[0]["dead_units"] == np.flatnonzero(~(first > 0).any(axis=0)).tolist()
    assert {0, 1, 2, 3, 4} <= set(stats[0]["dead_units"]) and stats[0]["saturated_units"] == []
    counts, edges = stats[1]["histogram"]
    assert counts.sum() == 800 * 16 and len(edges) == insight.HIST_BINS + 1


def test_saturated_tanh_share_matches_a_direct_check():
    run = train(W1.replace(activation="tanh", epochs=1))
    with torch.no_grad():
        run.model[0].weight.mul_(50.0)  # huge pre-activations: most units pinned at +-1
    stats = insight.activation_stats(run)
    a = manual_hidden(run, run.data.X_train)[0].numpy()
    direct = np.mean((np.abs(a) > 0.99).mean(axis=0) > 0.9)
    assert stats[0]["saturated"] == pytest.approx(direct) and direct > 0.5
    assert stats[0]["dead"] is None and stats[0]["dead_units"] == []
    units = np.flatnonzero((np.abs(a) > 0.99).mean(axis=0) > 0.9).tolist()
    assert stats[0]["saturated_units"] == units


def test_neuron_grid_equals_the_model_prefix_on_the_grid():
    run = train(W1.replace(epochs=3))
    _, _, points = grid(run.data.box, 20)
    for layer, unit in ((0, 3), (1, 7)):
        want = manual_hidden(run, points)[layer][:, unit].numpy().reshape(20, 20)
        np.testing.assert_allclose(insight.neuron_grid(run, layer, unit, 20), want, atol=1e-6)
    with pytest.raises(ValueError):
        insight.neuron_grid(run, 2, 0, 20)


# ---- errors ---------------------------------------------------------------------------------
def test_confusion_and_per_class_accuracy():
    run = train(Config(dataset="blobs", n_classes=3, hidden=(8,), epochs=5, lr=0.03,
                       optimizer="adam"))
    m = insight.confusion(run, "test")
    assert m.shape == (3, 3) and m.sum() == run.data.n_test
    assert np.trace(m) / m.sum() == pytest.approx(run.history["test_acc"][-1], abs=1e-6)
    guess = run.predict(run.data.X_test).argmax(1)
    y = run.data.y_test
    want = [np.mean(guess[y == k] == k) for k in range(3)]
    np.testing.assert_allclose(insight.per_class_accuracy(run, "test"), want)
    binary = insight.confusion(train(W1.replace(epochs=2)), "train")
    assert binary.shape == (2, 2) and binary.sum() == 800


def test_residuals_give_the_recorded_rmse():
    run = train(Config(dataset="plane", hidden=(8,), epochs=5, optimizer="adam", lr=0.01))
    y, yhat = insight.residuals(run, "test")
    assert np.sqrt(np.mean((y - yhat) ** 2)) == pytest.approx(run.history["test_rmse"][-1],
                                                               rel=1e-4)
    with pytest.raises(ValueError):
        insight.confusion(run)


# ---- learning-rate finder -------------------------------------------------------------------
def test_lr_finder_on_moons_falls_then_rises_and_suggests_a_sensible_rate():
    result = insight.lr_finder(W1, steps=200, lr_min=1e-5, lr_max=10.0)
    lrs, losses = np.array(result["lrs"]), np.array(result["losses"])
    assert lrs[0] == pytest.approx(1e-5) and np.allclose(np.diff(np.log(lrs)), np.log(lrs[1] / lrs[0]))
    best = int(np.argmin(losses))
    assert 10 < best < len(losses) - 1  # the loss first falls ...
    assert losses[-1] > 1.5 * losses[best]  # ... then rises (or the finder stopped it)
    assert losses[best] < 0.8 * losses[0]
    assert 1e-4 <= result["suggested"] <= 1.0, result["suggested"]
    assert result["suggested"] < result["lr_at_min"]


# ---- replay ---------------------------------------------------------------------------------
def test_snapshots_stay_bounded_and_evenly_spread():
    run = Run(FULL.replace(epochs=1000))
    run.record_snapshots = True
    run.fit()
    snaps = run.snapshots
    epochs = [e for e, _ in snaps]
    assert len(snaps) <= 61 and len(snaps) >= 30
    assert epochs[0] == 0 and epochs[-1] == 1000
    steps = np.diff(epochs[:-1])
    assert np.all(steps == steps[0])  # even stride; the last frame is the current model
    assert all(g.dtype == np.uint8 and g.shape == (64, 64) for _, g in snaps)
    _, _, points = grid(run.data.box, 64)
    probs = run.predict(points)[:, 1].reshape(64, 64)
    np.testing.assert_allclose(insight.snapshot_values(run, snaps[-1][1]), probs, atol=0.5 / 255)


def test_snapshots_are_off_unless_asked_and_need_low_dimensional_data():
    assert train(W1.replace(epochs=2)).snapshots == []
    with pytest.raises(ValueError):
        Run(Config(dataset="teacher", epochs=1)).record_snapshots = True


@pytest.mark.parametrize("changes", [dict(), dict(dataset="sine", hidden=(8,)),
                                     dict(dataset="blobs", n_classes=3, hidden=(8,))])
def test_snapshot_gif_has_one_frame_per_snapshot(changes):
    run = Run(W1.replace(epochs=12, **changes))
    run.record_snapshots = True
    run.fit()
    gif = insight.snapshots_gif(run, width=200)
    image = Image.open(io.BytesIO(gif))
    assert image.format == "GIF" and image.n_frames == len(run.snapshots) == 13


@pytest.mark.parametrize("changes", [dict(batchnorm=True, dropout=0.2),
                                     dict(dataset="blobs", n_classes=3, hidden=(8,)),
                                     dict(dataset="sine", hidden=(8,))])
def test_snapshots_drawn_after_training_equal_those_drawn_while_training(changes):
    """Kept epochs store the parameters and BatchNorm's statistics; the grids drawn from them
    on the first read are the ones the model gave at that epoch."""
    eager = Run(W1.replace(epochs=9, **changes))
    eager.record_snapshots = True
    eager._snapshots.lazy = False
    lazy = Run(W1.replace(epochs=9, **changes))
    lazy.record_snapshots = True
    assert lazy._snapshots.lazy
    eager.fit()
    lazy.fit()
    assert all(isinstance(kept, tuple) for _, kept in lazy._snapshots.items)
    got, want = lazy.snapshots, eager.snapshots
    assert [e for e, _ in got] == [e for e, _ in want] == list(range(10))
    for (_, a), (_, b) in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(isinstance(kept, np.ndarray) for _, kept in lazy._snapshots.items)
    assert lazy.snapshots[3][1] is got[3][1]  # drawn once


def test_snapshots_of_a_large_network_are_drawn_at_once():
    run = Run(W1.replace(hidden=(512, 512), epochs=2))
    run.record_snapshots = True
    assert not run._snapshots.lazy
    run.fit()
    assert all(isinstance(kept, np.ndarray) for _, kept in run._snapshots.items)


def test_class_names_default_and_digits():
    assert insight.class_names(make_data("xor", 40, 0.0, 0.5, 0)) == ["class 0", "class 1"]
    digits = make_data("digits", 200, 0.0, 0.5, 0)
    assert insight.class_names(digits) == [str(k) for k in range(10)]
    uploaded = SimpleNamespace(name="csv-pets", n_classes=2, class_names=("cat", "dog"))
    assert insight.class_names(uploaded) == ["cat", "dog"]  # the data's own labels win
