"""The training loop: equivalence with a textbook autograd loop, known outcomes, statuses."""

import copy
import itertools
import math

import numpy as np
import pytest
import torch
from torch import nn

from playground import ACTIVATIONS, LOSSES, OPTIMIZERS, Config, Run, train
from playground.device import (
    AUTO_CUDA_FLOPS,
    choose_device,
    cpu_threads_for,
    denormals_flushed,
    flops_per_step,
)
from playground.nn.optim import epoch_lr, lr_factor

W1 = Config(dataset="moons", n_samples=1000, noise=0.2, test_fraction=0.2, hidden=(16, 16),
            activation="relu", optimizer="adam", lr=0.01, batch_size=32, epochs=100, seed=0)

TORCH_OPTIM = {
    "sgd": lambda g, c: torch.optim.SGD(g, lr=c.lr),
    "momentum": lambda g, c: torch.optim.SGD(g, lr=c.lr, momentum=c.momentum),
    "nesterov": lambda g, c: torch.optim.SGD(g, lr=c.lr, momentum=c.momentum, nesterov=True),
    "adam": lambda g, c: torch.optim.Adam(g, lr=c.lr),
    "adamw": lambda g, c: torch.optim.AdamW(g, lr=c.lr),
    "rmsprop": lambda g, c: torch.optim.RMSprop(g, lr=c.lr),
    "adagrad": lambda g, c: torch.optim.Adagrad(g, lr=c.lr),
}


def reference_fit(run: Run, epochs: int) -> nn.Module:
    """What the playground's loop must compute, written the textbook way with autograd and
    torch.optim: same initial weights, same batch order, L2 on weights only, L1 in the loss."""
    c, task = run.config, run.task
    model = copy.deepcopy(run.model)
    weights = [m.weight for m in model if isinstance(m, nn.Linear)]
    others = [p for p in model.parameters() if all(p is not w for w in weights)]
    opt = TORCH_OPTIM[c.optimizer]([{"params": weights, "weight_decay": c.weight_decay},
                                    {"params": others, "weight_decay": 0.0}], c)
    X, Y = run._X_train, run._Y_train
    gen = torch.Generator().manual_seed(c.seed)
    size = min(c.batch_size, len(X))
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = c.lr * lr_factor(c.schedule, epoch, c.epochs, c.step_size, c.gamma)
        perm = torch.randperm(len(X), generator=gen)
        for start in range(0, len(X), size):
            xb, yb = X[perm][start:start + size], Y[perm][start:start + size]
            if c.batchnorm and len(xb) == 1:
                break
            loss = run._loss.value(model(xb), yb, task)
            if c.l1:
                loss = loss + c.l1 * sum(w.abs().sum() for w in weights)
            opt.zero_grad()
            loss.backward()
            if c.clip:
                nn.utils.clip_grad_norm_(model.parameters(), c.clip)
            opt.step()
    return model


EQUIVALENCE_CASES = [
    dict(),
    dict(optimizer="adam", lr=0.01, weight_decay=0.01),
    dict(optimizer="adamw", lr=0.01, weight_decay=0.05),
    dict(optimizer="momentum", l1=0.001, weight_decay=0.001, schedule="step", step_size=2),
    dict(optimizer="nesterov", clip=0.5, schedule="cosine"),
    dict(optimizer="rmsprop", lr=0.003, activation="gelu", batch_size=7),
    dict(optimizer="adagrad", lr=0.1, activation="sigmoid", batchnorm=True, batch_size=9),
    dict(dataset="blobs", n_classes=4, optimizer="adam", lr=0.01, activation="elu"),
    dict(dataset="blobs", loss="hinge", optimizer="sgd", lr=0.1, activation="leaky_relu"),
    dict(dataset="moons", loss="bce", optimizer="adam", lr=0.01, hidden=()),
    dict(dataset="moons", loss="mse", activation="silu", init="xavier"),
    dict(dataset="plane", optimizer="adam", lr=0.01, init="kaiming", activation="relu"),
    dict(dataset="sine", loss="huber", optimizer="momentum", lr=0.01, hidden=(8, 8)),
    dict(dataset="multigauss", loss="l1", optimizer="adam", lr=0.01, batchnorm=True),
    dict(dataset="steps", optimizer="sgd", lr=0.5, hidden=(), batch_size=1000),
]


@pytest.mark.parametrize("changes", EQUIVALENCE_CASES, ids=lambda d: ",".join(map(str, d.values())))
def test_hand_written_loop_equals_textbook_autograd_loop(changes):
    cfg = Config(**{"n_samples": 300, "hidden": (6, 5), "epochs": 4, **changes})
    run = Run(cfg)
    with cpu_threads_for(cfg, run.device):  # the same thread count: the same rounding
        reference = reference_fit(run, cfg.epochs)
    run.fit()
    for (name, ours), theirs in zip(run.model.named_parameters(), reference.parameters(),
                                    strict=True):
        torch.testing.assert_close(ours, theirs, rtol=2e-4, atol=2e-5, msg=name)
    for ours, theirs in zip(run.model.buffers(), reference.buffers(), strict=True):
        torch.testing.assert_close(ours, theirs, rtol=2e-4, atol=2e-5)


def test_w1_moons_learns():
    run = train(W1)
    assert run.status == "finished"
    assert run.history["test_acc"][-1] >= 0.93
    assert run.history["train_loss"][-1] < run.history["train_loss"][0] / 3


def test_xor_needs_a_hidden_layer():
    base = Config(dataset="xor", n_samples=400, optimizer="adam", lr=0.03, epochs=60,
                  activation="tanh", batch_size=10)
    linear = train(base.replace(hidden=()))
    deep = train(base.replace(hidden=(8,)))
    assert linear.history["test_acc"][-1] < 0.7  # a line cannot separate the quadrants
    assert deep.history["test_acc"][-1] >= 0.9


def test_random_labels_are_memorised_not_learned():
    cfg = Config(dataset="random", n_samples=1000, test_fraction=0.2, hidden=(64, 32),
                 activation="relu", optimizer="adam", lr=0.003, batch_size=32, epochs=150)
    run = train(cfg)
    assert run.history["train_acc"][-1] >= 0.95
    assert abs(run.history["test_acc"][-1] - 0.5) <= 0.1


def test_teacher_data_is_learned():
    cfg = Config(dataset="teacher", n_samples=3000, test_fraction=0.2, hidden=(64,),
                 activation="relu", optimizer="adam", lr=1e-3, batch_size=128, epochs=25)
    run = train(cfg)
    assert run.history["test_acc"][-1] >= 0.75


def test_softmax_regression_solves_steps_without_hidden_layer():
    cfg = Config(dataset="steps", n_samples=600, hidden=(), optimizer="adam", lr=0.1, epochs=100,
                 batch_size=50)
    assert train(cfg).history["test_acc"][-1] >= 0.95


def test_linear_regression_fits_a_line():
    run = train(Config(dataset="line", n_samples=400, noise=0.1, hidden=(), optimizer="sgd",
                       lr=0.05, epochs=40, batch_size=20))
    assert run.history["test_r2"][-1] > 0.95
    assert run.history["test_rmse"][-1] < 1.0


def test_diverging_run_stops_with_a_message():
    cfg = Config(dataset="plane", n_samples=400, hidden=(16, 16), activation="relu",
                 optimizer="sgd", lr=10.0, batch_size=10, epochs=50)
    run = train(cfg)
    assert run.status == "diverged"
    assert "diverged" in run.message and "learning rate" in run.message
    assert len(run.history["epoch"]) < 51
    assert all(math.isfinite(v) for series in run.history.values() for v in series)
    assert run.epoch == run.history["epoch"][-1]
    assert np.all(np.isfinite(run.predict(run.data.X_test)))  # last finite weights restored


def test_same_config_same_history():
    a, b = train(W1.replace(epochs=15)), train(W1.replace(epochs=15))
    for key in a.history:
        if key != "seconds":
            assert a.history[key] == b.history[key], key


def test_fit_continues_exactly_where_it_stopped():
    whole = train(W1.replace(epochs=10))
    parts = Run(W1.replace(epochs=10)).fit(4).fit(6)
    for key in whole.history:
        if key != "seconds":
            assert whole.history[key] == parts.history[key], key


def test_callback_stop_keeps_the_partial_history():
    seen = []

    def stop_after_three(run):
        seen.append(run.epoch)
        return run.epoch < 3

    run = train(W1, callback=stop_after_three)
    assert run.status == "stopped"
    assert seen == [1, 2, 3]
    assert run.history["epoch"] == [0, 1, 2, 3]


def test_history_shapes_and_keys():
    run = train(W1.replace(epochs=5))
    assert set(run.history) == {"epoch", "train_loss", "test_loss", "train_acc", "test_acc",
                                "lr", "steps", "seconds", "grad_norm/0", "grad_norm/2",
                                "grad_norm/4", "weight_norm/0", "weight_norm/2", "weight_norm/4"}
    assert all(len(v) == 6 for v in run.history.values())  # epoch 0 is the untrained model
    assert run.history["steps"][-1] == 5 * 25
    reg = train(Config(dataset="plane", epochs=2))
    assert {"train_r2", "test_r2", "train_rmse", "test_rmse"} <= set(reg.history)


def test_predict_outputs():
    binary = Run(Config(dataset="moons", epochs=1))
    probs = binary.predict(np.zeros((7, 2)))
    assert probs.shape == (7, 2) and np.allclose(probs.sum(1), 1)
    multi = Run(Config(dataset="blobs", n_classes=5))
    assert multi.predict(np.zeros((3, 2))).shape == (3, 5)
    reg = Run(Config(dataset="sine"))
    assert reg.predict(np.linspace(-3, 3, 11)).shape == (11,)
    with pytest.raises(ValueError, match="shape"):
        binary.predict(np.zeros((3, 3)))


def test_predict_matches_the_model_on_transformed_inputs():
    run = train(W1.replace(epochs=3, features=("x1", "x2", "x1x2")))
    X = run.data.X_test[:20]
    logits = run.model(torch.as_tensor(run.data.transform(X))).detach()
    np.testing.assert_allclose(run.predict(X)[:, 1], torch.sigmoid(logits)[:, 0].numpy(),
                               rtol=1e-6)


def _allowed(task):
    return [name for name, loss in LOSSES.items() if task in loss.tasks]


@pytest.mark.parametrize("dataset", ["moons", "blobs", "plane"])
def test_every_activation_loss_optimizer_combination_steps(dataset):
    task = Config(dataset=dataset).task
    base = Config(dataset=dataset, n_samples=40, hidden=(3,), epochs=1, batch_size=8)
    for act, loss, opt in itertools.product(ACTIVATIONS, _allowed(task), OPTIMIZERS):
        run = train(base.replace(activation=act, loss=loss, optimizer=opt))
        assert run.status == "finished", (act, loss, opt)
        assert math.isfinite(run.history["train_loss"][-1]), (act, loss, opt)


@pytest.mark.parametrize("changes", [
    dict(batch_size=1), dict(batch_size=100_000), dict(batchnorm=True, batch_size=49),
    dict(dropout=0.5), dict(hidden=(512,) * 3), dict(dataset="digits", n_samples=300),
    dict(dataset="bumps", hidden=(4,), activation="sigmoid"), dict(standardize=False),
    dict(features=("x1", "x2", "x1sq", "x2sq", "x1x2", "sin_x1", "sin_x2")),
])
def test_unusual_but_valid_configs_train(changes):
    run = train(Config(**{"n_samples": 100, "epochs": 2, **changes}))
    assert run.status == "finished"
    assert len(run.history["epoch"]) == 3


def test_dropout_is_seeded():
    cfg = Config(dataset="moons", dropout=0.3, epochs=3)
    assert train(cfg).history["train_loss"] == train(cfg).history["train_loss"]


def test_auto_device_keeps_small_networks_on_the_cpu():
    assert flops_per_step(W1) < AUTO_CUDA_FLOPS
    assert choose_device(W1).type == "cpu"
    big = Config(dataset="teacher", n_samples=200_000, hidden=(512, 512), batch_size=1024,
                 epochs=2)
    assert flops_per_step(big) > AUTO_CUDA_FLOPS
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert choose_device(big).type == expected


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs an NVIDIA GPU")
def test_cuda_trains_like_the_cpu():
    cpu = train(W1.replace(epochs=5, device="cpu"))
    gpu = train(W1.replace(epochs=5, device="cuda"))
    assert gpu.device.type == "cuda"
    np.testing.assert_allclose(gpu.history["train_loss"], cpu.history["train_loss"], rtol=1e-3)


def test_reconfigure_changes_training_settings_in_place():
    run = Run(W1.replace(epochs=3)).fit()
    weights = run.params.theta.clone()
    run.reconfigure(run.config.replace(lr=0.001, optimizer="sgd", batch_size=100))
    assert torch.equal(run.params.theta, weights)
    run.fit(1)
    assert run.history["lr"][-1] == 0.001 and run.history["steps"][-1] == 3 * 25 + 8
    with pytest.raises(ValueError, match="hidden"):
        run.reconfigure(run.config.replace(hidden=(4,)))


@pytest.mark.parametrize("changes", [
    dict(dataset="moons", hidden=(8,), activation="tanh"),
    dict(dataset="blobs", n_classes=4, hidden=(6, 5), activation="relu", loss="mse"),
    dict(dataset="plane", hidden=(6,), activation="sigmoid"),
    dict(dataset="moons", hidden=(), loss="bce"),
])
def test_numpy_and_torch_engines_trace_the_same_curve(changes):
    """Same initial weights, same batches, full-batch SGD: the two engines agree."""
    base = Config(**{"optimizer": "sgd", "lr": 0.1, "batch_size": 100_000, "epochs": 25,
                     **changes})
    torch_run, numpy_run = train(base), train(base.replace(engine="numpy"))
    np.testing.assert_allclose(numpy_run.history["train_loss"], torch_run.history["train_loss"],
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_numpy_engine_learns_w1(optimizer):
    lr = 0.01 if optimizer == "adam" else 0.1
    run = train(W1.replace(engine="numpy", optimizer=optimizer, lr=lr, epochs=60))
    assert run.status == "finished" and run.history["test_acc"][-1] >= 0.93
    assert run.predict(np.zeros((3, 2))).shape == (3, 2)


def test_batches_and_step_are_what_fit_does():
    fitted = Run(W1.replace(epochs=3)).fit(2)
    by_hand = Run(W1.replace(epochs=3))
    for epoch in range(2):
        for x, y in by_hand.batches():
            by_hand.step(x, y, epoch_lr(by_hand.config, epoch))
    assert by_hand.steps == fitted.steps == 2 * 25
    assert torch.equal(by_hand.params.theta, fitted.params.theta)
    assert by_hand.loss(by_hand._X_train, by_hand._Y_train) == pytest.approx(
        fitted.history["train_loss"][-1], rel=1e-6)
    bn = Run(Config(dataset="moons", n_samples=42, test_fraction=0.5, batchnorm=True,
                    batch_size=4))  # 21 training points: the last batch of one is left out
    assert [len(x) for x, _ in bn.batches()] == [4] * 5


class Interrupted(Exception):
    pass


def test_an_exception_in_the_callback_leaves_a_truthful_status():
    def interrupt(run):
        if run.epoch == 3:
            raise Interrupted

    run = Run(W1.replace(epochs=10))
    with pytest.raises(Interrupted):
        run.fit(callback=interrupt)
    assert run.status == "stopped" and run.epoch == 3 and run.history["epoch"][-1] == 3
    run.fit(2)
    assert run.status == "finished" and run.history["epoch"] == list(range(6))


def test_an_epoch_cut_short_puts_back_the_last_recorded_weights():
    run = Run(W1.replace(epochs=10)).fit(2)
    weights, steps, calls = run.params.theta.clone(), run.steps, []
    step = run.step

    def step_then_fail(x, y, lr):
        calls.append(1)
        if len(calls) == 7:
            raise KeyboardInterrupt
        step(x, y, lr)

    run.step = step_then_fail
    with pytest.raises(KeyboardInterrupt):
        run.fit(3)
    assert run.status == "stopped" and (run.epoch, run.steps) == (2, steps)
    assert torch.equal(run.params.theta, weights)  # not the 6 steps into epoch 3


def test_fit_flushes_denormals_and_puts_the_setting_back():
    seen = []
    assert not denormals_flushed()
    train(W1.replace(epochs=2), callback=lambda run: seen.append(denormals_flushed()))
    assert seen == [True, True] and not denormals_flushed()
    torch.set_flush_denormal(True)
    try:
        train(W1.replace(epochs=1))
        assert denormals_flushed()  # it was on before: it stays on
    finally:
        torch.set_flush_denormal(False)


@pytest.mark.parametrize("changes", [
    {},  # TF Playground's default: tanh, sgd
    {"optimizer": "adam", "batchnorm": True, "dropout": 0.2, "hidden": (6, 6)},
    {"optimizer": "momentum", "l1": 0.05, "l1_clamp": True, "schedule": "step", "step_size": 3},
    {"optimizer": "momentum", "engine": "numpy", "activation": "relu"},
    {"optimizer": "adam", "engine": "numpy", "patience": 4},
])
def test_a_restored_savepoint_trains_on_exactly_as_if_nothing_had_happened(changes):
    """Pause at the epoch the learner saw: the live view trains ahead of what it shows and goes
    back to a savepoint; the run must then be bit for bit the run that never went ahead."""
    c = Config(epochs=12, batch_size=8, **changes)
    straight = Run(c).fit(12)
    run = Run(c)
    run.record_snapshots = True
    run.record_path = True
    run.fit(5)
    point = run.savepoint()
    run.fit(3)  # trained ahead, then taken back
    run.restore(point)
    assert run.epoch == 5 and len(run.history["epoch"]) == 6
    assert [e for e, _ in run.snapshots][-1] == 5 and run.path[0][-1] == run.steps
    run.fit(7)
    timeless = lambda h: {k: v for k, v in h.items() if k != "seconds"}  # noqa: E731
    assert timeless(run.history) == timeless(straight.history)
    torch.testing.assert_close(run.params.theta, straight.params.theta, rtol=0, atol=0)
    for a, b in zip(run.model.buffers(), straight.model.buffers(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert run.best_epoch == straight.best_epoch and run.status == straight.status


def test_a_savepoint_is_taken_between_epochs_only():
    run = Run(Config(epochs=3))
    run.fit(1)
    run.step(*next(iter(run.batches())), 0.03)  # one step of an epoch not recorded
    with pytest.raises(ValueError, match="between epochs"):
        run.savepoint()
