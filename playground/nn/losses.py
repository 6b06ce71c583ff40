"""Losses by name: the value reported each epoch and its gradient with respect to the network output.

Every classification head emits logits: one per point for two classes, k for k classes.
Regression heads emit one value. Targets come as float (n, 1) 0/1 for binary data, int64 (n,)
class indices for multi-class data, and float (n, 1) values for regression.

Each loss gives its mean value over a batch. Where the gradient has a short closed form the
training loop uses it; otherwise it differentiates the loss alone with autograd (the rest of the
backward pass is written out by hand in `nn/passes.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

TASKS = ("binary", "multiclass", "regression")
CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True)
class Loss:
    name: str
    tasks: tuple[str, ...]
    help: str
    value: Callable[[Tensor, Tensor, str], Tensor]  # (out, target, task) -> mean loss
    grad: Callable[[Tensor, Tensor, str], Tensor] | None = None  # d value / d out, same shape


def probabilities(out: Tensor, task: str) -> Tensor:
    """Logits (n, 1) or (n, k) -> class probabilities (n, 2) or (n, k)."""
    if task == "binary":
        p = torch.sigmoid(out)
        return torch.cat([1 - p, p], dim=1)
    return torch.softmax(out, dim=1)


def predictions(out: Tensor, task: str) -> Tensor:
    """What `Run.predict` returns: class probabilities, or the regression values (n,)."""
    return out[:, 0] if task == "regression" else probabilities(out, task)


def _on_probabilities(fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Tensor, Tensor, str], Tensor]:
    """Regression-style losses applied to classification compare probabilities with one-hot labels."""

    def value(out: Tensor, target: Tensor, task: str) -> Tensor:
        if task == "binary":
            return fn(torch.sigmoid(out), target)
        if task == "multiclass":
            onehot = F.one_hot(target, out.shape[1]).to(out.dtype)
            return fn(torch.softmax(out, dim=1), onehot)
        return fn(out, target)

    return value


def _ce_value(out: Tensor, target: Tensor, task: str) -> Tensor:
    if task == "binary":
        return F.binary_cross_entropy_with_logits(out, target)
    return F.cross_entropy(out, target)


def _ce_grad(out: Tensor, target: Tensor, task: str) -> Tensor:
    # d/dz of mean cross-entropy after sigmoid/softmax is (p - y) / n: the output "error".
    n = out.shape[0]
    if task == "binary":
        return (torch.sigmoid(out) - target).div_(n)
    return torch.softmax(out, dim=1).sub_(F.one_hot(target, out.shape[1])).div_(n)


def _bce_value(out: Tensor, target: Tensor, task: str) -> Tensor:
    # The seeds' way: a sigmoid output unit, then BCELoss on the probability.
    return F.binary_cross_entropy(torch.sigmoid(out), target)


def _mse_grad(out: Tensor, target: Tensor, task: str) -> Tensor:
    if task != "regression":  # on probabilities: leave it to autograd
        return _autograd_grad(LOSSES["mse"].value, out, target, task)
    return (out - target).mul_(2.0 / out.numel())  # d/dz mean((z - y)^2) = 2 (z - y) / n


def _hinge_value(out: Tensor, target: Tensor, task: str) -> Tensor:
    if task == "binary":
        sign = target * 2 - 1  # labels 0/1 -> -1/+1
        return torch.relu(1 - sign * out).mean()
    return F.multi_margin_loss(out, target)


def _autograd_grad(value: Callable, out: Tensor, target: Tensor, task: str) -> Tensor:
    with torch.enable_grad():
        leaf = out.detach().requires_grad_()
        (g,) = torch.autograd.grad(value(leaf, target, task), leaf)
    return g


def loss_grad(loss: Loss, out: Tensor, target: Tensor, task: str) -> Tensor:
    """Gradient of the mean loss with respect to the network output."""
    if loss.grad is not None:
        return loss.grad(out, target, task)
    return _autograd_grad(loss.value, out, target, task)


LOSSES: dict[str, Loss] = {
    "auto": Loss(
        "auto", TASKS, "Picks the natural loss for the task: cross-entropy for classes, MSE for numbers.",
        value=lambda o, t, task: LOSSES[auto_loss(task)].value(o, t, task),
        grad=lambda o, t, task: loss_grad(LOSSES[auto_loss(task)], o, t, task),
    ),
    "cross_entropy": Loss(
        "cross_entropy", CLASSIFICATION,
        "Negative log-probability of the true class (softmax, or sigmoid for two classes): "
        "punishes confident mistakes hard.",
        value=_ce_value, grad=_ce_grad,
    ),
    "bce": Loss(
        "bce", ("binary",),
        "Binary cross-entropy computed on a sigmoid output unit with BCELoss, as in the tutorials; "
        "the same maths as cross-entropy but less stable when the sigmoid saturates.",
        value=_bce_value,
    ),
    "mse": Loss(
        "mse", TASKS,
        "Mean squared error; for classes it compares probabilities with one-hot labels, "
        "which learns slowly once predictions are confidently wrong.",
        value=_on_probabilities(F.mse_loss), grad=_mse_grad,
    ),
    "l1": Loss(
        "l1", TASKS, "Mean absolute error: robust to outliers, constant-size gradients.",
        value=_on_probabilities(F.l1_loss),
    ),
    "huber": Loss(
        "huber", TASKS, "Squared error for small errors, absolute error for large ones (delta 1).",
        value=_on_probabilities(F.huber_loss),
    ),
    "hinge": Loss(
        "hinge", CLASSIFICATION,
        "The SVM margin loss: zero once a point is on the right side by a margin of 1.",
        value=_hinge_value,
    ),
}


def auto_loss(task: str) -> str:
    return "mse" if task == "regression" else "cross_entropy"


def resolve_loss(name: str, task: str) -> Loss:
    """The concrete loss (never 'auto') for a task."""
    return LOSSES[auto_loss(task) if name == "auto" else name]
