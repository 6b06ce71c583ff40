"""Losses by name: one record holds the value, its gradient, its TeX, its exported code and its help.

Every classification head emits logits: one per point for two classes, k for k classes.
Regression heads emit one value. Targets (`targets`) are float (n, 1) 0/1 for binary data, int64
(n,) class indices for multi-class data, and float (n, 1) values for regression.

A loss gives its mean over a batch. Outputs may carry a leading model axis (K, n, n_out), a
stack of K models (see nn/passes.py), with targets (K, n, ...) or shared (n, ...): the loss is
then one mean per model, (K,). Where the gradient has a short closed form the training loop uses
it; otherwise it differentiates the loss alone with autograd (the rest of the backward pass is
written out by hand in `nn/passes.py`).

TeX uses draw/equations.py's notation: Ŷ the head's output, Y the targets (one-hot for classes),
n the batch, k the classes. Exported code is an expression of `out` and `y` (torch, F).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

TASKS = ("binary", "multiclass", "regression")
CLASSIFICATION = ("binary", "multiclass")
# The head, by task: how logits become the model's output (its TeX, and what it is).
HEADS = {"binary": (r"\sigma({z})", "one logit"),
         "multiclass": (r"\operatorname{softmax}({z})", "one logit per class"),
         "regression": ("{z}", "the predicted value")}


@dataclass(frozen=True)
class Loss:
    name: str
    tasks: tuple[str, ...]
    help: str
    value: Callable[[Tensor, Tensor, str], Tensor]  # (out, target, task) -> mean loss (per model)
    tex: dict[str, str] = field(default_factory=dict)  # task -> "L = ..."
    export: dict[str, tuple[str, str]] = field(default_factory=dict)  # task -> (comment, code)
    grad: Callable[[Tensor, Tensor, str], Tensor] | None = None  # d value / d out, same shape
    grad_tex: dict[str, str] = field(default_factory=dict)  # task -> dL/dZ, where it is short
    # Two classes: the output unit is tanh of the logit, in (-1, 1), instead of its sigmoid
    # (TF Playground's); the class-1 probability shown is then (tanh z + 1) / 2.
    tanh_head: bool = False


def targets(y: np.ndarray, task: str, dtype: torch.dtype, device: torch.device | str) -> Tensor:
    """Labels or values (n,) as the losses take them: (n,) int64 classes, else (n, 1) floats."""
    if task == "multiclass":
        return torch.as_tensor(y, dtype=torch.long, device=device)
    return torch.as_tensor(y, dtype=dtype, device=device).reshape(-1, 1)


def probabilities(out: Tensor, task: str, loss: Loss | None = None) -> Tensor:
    """Logits (..., n, 1) or (..., n, k) -> class probabilities (..., n, 2) or (..., n, k); two
    classes under a loss with a tanh output unit read it as (tanh z + 1) / 2."""
    if task == "binary":
        p = torch.tanh(out).add_(1).mul_(0.5) if loss is not None and loss.tanh_head else \
            torch.sigmoid(out)
        return torch.cat([1 - p, p], dim=-1)
    return torch.softmax(out, dim=-1)


def predictions(out: Tensor, task: str, loss: Loss | None = None) -> Tensor:
    """What `Run.predict` returns: class probabilities, or the regression values (n,)."""
    return out[..., 0] if task == "regression" else probabilities(out, task, loss)


def _per_model(fn: Callable, out: Tensor, target: Tensor, rows: bool = False) -> Tensor:
    """fn's mean over a batch: one model's by fn itself, or each stacked model's (K,).
    `rows`: fn takes (n, k) rows and class indices (cross-entropy, multi-class hinge)."""
    if out.dim() == 2:
        return fn(out, target)
    target = target.expand(out.shape[:-1] if rows else out.shape)  # shared targets
    if rows:
        each = fn(out.reshape(-1, out.shape[-1]), target.reshape(-1), reduction="none")
        return each.view(out.shape[:-1]).mean(-1)
    return fn(out, target, reduction="none").mean((-2, -1))


def _batch_mean(x: Tensor) -> Tensor:
    return x.mean() if x.dim() == 2 else x.mean((-2, -1))


def _on_probabilities(fn: Callable) -> Callable[[Tensor, Tensor, str], Tensor]:
    """Regression-style losses applied to classification compare probabilities with one-hot labels."""

    def value(out: Tensor, target: Tensor, task: str) -> Tensor:
        if task == "binary":
            return _per_model(fn, torch.sigmoid(out), target)
        if task == "multiclass":
            onehot = F.one_hot(target, out.shape[-1]).to(out.dtype)
            return _per_model(fn, torch.softmax(out, dim=-1), onehot)
        return _per_model(fn, out, target)

    return value


def _ce_value(out: Tensor, target: Tensor, task: str) -> Tensor:
    if task == "binary":
        return _per_model(F.binary_cross_entropy_with_logits, out, target)
    return _per_model(F.cross_entropy, out, target, rows=True)


def _ce_grad(out: Tensor, target: Tensor, task: str) -> Tensor:
    # d/dz of mean cross-entropy after sigmoid/softmax is (p - y) / n: the output "error".
    n = out.shape[-2]
    if task == "binary":
        error = torch.sigmoid(out) - target
    else:
        error = torch.softmax(out, dim=-1).sub_(F.one_hot(target, out.shape[-1]))
    return error.div_(n) if n != 1 else error  # x / 1 is x: one kernel less per step at batch 1


def _bce_value(out: Tensor, target: Tensor, task: str) -> Tensor:
    # As the tutorials write it: a sigmoid output unit, then BCELoss on the probability.
    return _per_model(F.binary_cross_entropy, torch.sigmoid(out), target)


def _mse_grad(out: Tensor, target: Tensor, task: str) -> Tensor:
    if task != "regression":  # on probabilities: leave it to autograd
        return _autograd_grad(LOSSES["mse"].value, out, target, task)
    # d/dz mean((z - y)^2) = 2 (z - y) / (entries of one model's batch)
    return (out - target).mul_(2.0 / (out.shape[-2] * out.shape[-1]))


def _hinge_value(out: Tensor, target: Tensor, task: str) -> Tensor:
    if task == "binary":
        sign = target * 2 - 1  # labels 0/1 -> -1/+1
        return _batch_mean(torch.relu(1 - sign * out))
    return _per_model(F.multi_margin_loss, out, target, rows=True)


def _square_value(out: Tensor, target: Tensor, task: str) -> Tensor:
    # TF Playground's error, 1/2 (output - target)^2: two classes through a tanh output unit
    # against targets -1/+1, numbers on the value itself.
    if task == "binary":
        return _batch_mean((torch.tanh(out) - (target * 2 - 1)).square_().mul_(0.5))
    return _batch_mean((out - target).square_().mul_(0.5))


def _square_grad(out: Tensor, target: Tensor, task: str) -> Tensor:
    n = out.shape[-2] * out.shape[-1]
    if task == "binary":  # (o - t) (1 - o^2) / n with o = tanh(z), as nn.ts's backProp has it
        o = torch.tanh(out)
        return (o - (target * 2 - 1)).mul_(1 - o * o).div_(n)
    return (out - target).div_(n)


def _autograd_grad(value: Callable, out: Tensor, target: Tensor, task: str) -> Tensor:
    with torch.enable_grad():  # stacked models are independent: the sum's gradient is each one's
        leaf = out.detach().requires_grad_()
        (g,) = torch.autograd.grad(value(leaf, target, task).sum(), leaf)
    return g


def loss_grad(loss: Loss, out: Tensor, target: Tensor, task: str) -> Tensor:
    """Gradient of the mean loss with respect to the network output."""
    if loss.grad is not None:
        return loss.grad(out, target, task)
    return _autograd_grad(loss.value, out, target, task)


# ---- the table -------------------------------------------------------------------------------
_MEAN = {"binary": (r"\frac{1}{n}\sum_i", "i"), "regression": (r"\frac{1}{n}\sum_i", "i"),
         "multiclass": (r"\frac{1}{nk}\sum_{i,j}", "i,j")}  # on probabilities: every entry
_ON_PROBABILITIES = {"binary": "torch.sigmoid(out), y", "regression": "out, y", "multiclass":
                     "torch.softmax(out, dim=1), F.one_hot(y, out.shape[1]).to(out.dtype)"}
_ERROR = r"\hat{Y}_{%s} - Y_{%s}"


def _elementwise(name: str, note: str, term: str) -> tuple[dict, dict]:
    """TeX and exported code of a loss on each entry's error e: term is its TeX with {e}."""
    tex = {t: rf"L = {mean} " + term.replace("{e}", _ERROR % (ix, ix))
           for t, (mean, ix) in _MEAN.items()}
    on = {t: "" if t == "regression" else ", on the probabilities against one-hot labels"
          for t in TASKS}
    export = {t: (note + on[t], f"F.{name}_loss({_ON_PROBABILITIES[t]})") for t in TASKS}
    return tex, export


_MSE, _L1, _HUBER = (
    _elementwise("mse", "mean squared error", "({e})^2"),
    _elementwise("l1", "mean absolute error", r"\lvert {e} \rvert"),
    _elementwise("huber", "Huber: squared for errors below 1, absolute above",
                 r"h({e}),\quad h(e) = \begin{cases}\tfrac{1}{2} e^2 & \lvert e \rvert \le 1\\ "
                 r"\lvert e \rvert - \tfrac{1}{2} & \text{else}\end{cases}"))
_BINARY_CE = (r"L = -\frac{1}{n}\sum_i \big[\, y_i \log \hat{y}_i + (1 - y_i)\log(1 - \hat{y}_i)"
              r" \,\big]")
_ERROR_GRAD = r"\frac{1}{n}(\hat{Y} - Y)"

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
        tex={"binary": _BINARY_CE,
             "multiclass": r"L = -\frac{1}{n}\sum_i \log \hat{Y}_{i,\,y_i}"},
        export={"binary": ("binary cross-entropy of the logit (sigmoid inside, stable)",
                           "F.binary_cross_entropy_with_logits(out, y)"),
                "multiclass": ("softmax, then minus the log-probability of the true class",
                               "F.cross_entropy(out, y)")},
        grad_tex=dict.fromkeys(CLASSIFICATION, _ERROR_GRAD),
    ),
    "bce": Loss(
        "bce", ("binary",),
        "Binary cross-entropy computed on a sigmoid output unit with BCELoss, as in the tutorials; "
        "the same maths as cross-entropy but less stable when the sigmoid saturates.",
        value=_bce_value, tex={"binary": _BINARY_CE},
        export={"binary": ("a sigmoid output, then binary cross-entropy on the probability",
                           "F.binary_cross_entropy(torch.sigmoid(out), y)")},
        grad_tex={"binary": _ERROR_GRAD},
    ),
    "mse": Loss(
        "mse", TASKS,
        "Mean squared error; for classes it compares probabilities with one-hot labels, "
        "which learns slowly once predictions are confidently wrong.",
        value=_on_probabilities(F.mse_loss), grad=_mse_grad, tex=_MSE[0], export=_MSE[1],
        grad_tex={"regression": r"\frac{2}{n}(\hat{Y} - Y)"},
    ),
    "l1": Loss(
        "l1", TASKS, "Mean absolute error: robust to outliers, constant-size gradients.",
        value=_on_probabilities(F.l1_loss), tex=_L1[0], export=_L1[1],
    ),
    "huber": Loss(
        "huber", TASKS, "Squared error for small errors, absolute error for large ones (delta 1).",
        value=_on_probabilities(F.huber_loss), tex=_HUBER[0], export=_HUBER[1],
    ),
    "square": Loss(
        "square", ("binary", "regression"),
        "TF Playground's loss: half the squared error, 1/2 (output - target)^2. For two classes "
        "the output unit is tanh, from -1 to 1, and the targets are -1 and +1; for numbers it is "
        "the value itself.",
        value=_square_value, grad=_square_grad,
        tex={"binary": r"L = \frac{1}{n}\sum_i \tfrac{1}{2}\big(\hat{y}_i - t_i\big)^2,\quad "
                       r"t_i = 2 y_i - 1",
             "regression": r"L = \frac{1}{n}\sum_i \tfrac{1}{2}\big(\hat{Y}_i - Y_i\big)^2"},
        export={"binary": ("TF Playground's error: a tanh output against targets -1/+1",
                           "0.5 * (torch.tanh(out) - (2 * y - 1)).square().mean()"),
                "regression": ("TF Playground's error: half the squared error",
                               "0.5 * (out - y).square().mean()")},
        grad_tex={"binary": r"\frac{1}{n}(\hat{y} - t) \odot (1 - \hat{y}^2)",
                  "regression": r"\frac{1}{n}(\hat{Y} - Y)"},
        tanh_head=True,
    ),
    "hinge": Loss(
        "hinge", CLASSIFICATION,
        "The SVM margin loss: zero once a point is on the right side by a margin of 1.",
        value=_hinge_value,
        tex={"binary": r"L = \frac{1}{n}\sum_i \max(0,\, 1 - s_i\, z_i),\quad s_i = 2 y_i - 1",
             "multiclass": r"L = \frac{1}{n}\sum_i \frac{1}{k}\sum_{j \ne y_i}"
                           r"\max(0,\, 1 - z_{i,y_i} + z_{i,j})"},
        export={"binary": ("the SVM margin loss, labels 0/1 as -1/+1",
                           "torch.relu(1 - (y * 2 - 1) * out).mean()"),
                "multiclass": ("the multi-class SVM margin loss", "F.multi_margin_loss(out, y)")},
    ),
}


def auto_loss(task: str) -> str:
    return "mse" if task == "regression" else "cross_entropy"


def resolve_loss(name: str, task: str) -> Loss:
    """The concrete loss (never 'auto') for a task."""
    return LOSSES[auto_loss(task) if name == "auto" else name]
