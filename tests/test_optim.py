"""Each optimizer, stepping a flat tensor, against torch.optim on the same gradients."""

import math

import pytest
import torch

from playground.nn.optim import OPTIMIZERS, SCHEDULES, lr_factor, make_optimizer, per_model

TORCH_EQUIVALENT = {
    "sgd": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
    "nesterov": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
    "adamw": lambda p, lr: torch.optim.AdamW(p, lr=lr, weight_decay=0.0),
    "rmsprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr),
    "adagrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
}


def test_every_optimizer_has_a_reference():
    assert set(TORCH_EQUIVALENT) == set(OPTIMIZERS)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_torch_optim(name, dtype):
    gen = torch.Generator().manual_seed(0)
    theta = torch.randn(50, generator=gen, dtype=dtype)
    reference = torch.nn.Parameter(theta.clone())
    ours = make_optimizer(name, theta, momentum=0.9)
    theirs = TORCH_EQUIVALENT[name]([reference], 0.05)
    for step in range(12):
        g = torch.randn(50, generator=gen, dtype=dtype) * (step + 1)
        lr = 0.05 if step < 6 else 0.02  # the loop changes lr between epochs
        for group in theirs.param_groups:
            group["lr"] = lr
        reference.grad = g.clone()
        theirs.step()
        ours.step(g.clone(), lr)
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(theta, reference.detach(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_stack_with_one_rate_per_model_steps_each_model_as_alone(name):
    """K models in one (K, P) tensor, each with its own lr and momentum (a (K, 1) column), move
    as each would alone with its numbers; model 2, held at lr 0, is reset midway as a diverged
    model is, and stays where it was."""
    gen = torch.Generator().manual_seed(1)
    lrs, mus = [0.05, 0.01, 0.0], [0.9, 0.5, 0.9]
    theta = torch.randn(3, 20, generator=gen)
    start, alone = theta.clone(), [theta[k].clone() for k in range(3)]
    stack = make_optimizer(name, theta, per_model(mus, torch.float32))
    singles = [make_optimizer(name, alone[k], mus[k]) for k in range(3)]
    lr = per_model(lrs, torch.float32)
    for step in range(8):
        g = torch.randn(3, 20, generator=gen)
        if step == 4:
            stack.reset(2)
            singles[2].reset()
        stack.step(g.clone(), lr)
        for k in range(3):
            singles[k].step(g[k].clone(), lrs[k])
    for k in range(3):
        torch.testing.assert_close(theta[k], alone[k], rtol=1e-6, atol=1e-7)
    assert torch.equal(theta[2], start[2])
    assert per_model([0.1, 0.1]) == 0.1  # equal values: the single model's scalar kernels


@pytest.mark.parametrize("name", ["momentum", "adam", "rmsprop", "adagrad"])
def test_reset_forgets_the_state(name):
    theta = torch.zeros(3)
    opt = make_optimizer(name, theta, momentum=0.9)
    opt.step(torch.ones(3), 0.1)
    opt.reset()
    fresh_theta = theta.clone()
    fresh = make_optimizer(name, fresh_theta, momentum=0.9)
    opt.step(torch.ones(3), 0.1)
    fresh.step(torch.ones(3), 0.1)
    torch.testing.assert_close(theta, fresh_theta)


def test_schedules():
    assert set(SCHEDULES) == {"none", "step", "cosine"}
    assert lr_factor("none", 37, 100, 10, 0.5) == 1.0
    assert [lr_factor("step", e, 100, 10, 0.5) for e in (0, 9, 10, 25)] == [1, 1, 0.5, 0.25]
    assert lr_factor("cosine", 0, 100, 10, 0.5) == 1.0
    assert math.isclose(lr_factor("cosine", 50, 100, 10, 0.5), 0.505)
    assert math.isclose(lr_factor("cosine", 100, 100, 10, 0.5), 0.01)
    assert lr_factor("cosine", 500, 100, 10, 0.5) == lr_factor("cosine", 100, 100, 10, 0.5)
