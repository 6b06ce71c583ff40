"""Optimizers and learning-rate schedules by name, and the update of one training step.

The network's parameters all live in one flat tensor (see `model.FlatParams`): (P,) for one
model, (K, P) for a stack of K models trained together (a sweep). Each rule updates everything
with a handful of tensor operations: for the playground's tiny networks the cost is per call,
not per number (`torch.optim.Adam.step` spends ~26 µs in Python bookkeeping for an update whose
arithmetic takes ~2 µs). The rules are exactly torch.optim's (the tests compare them step by
step). A hyper-parameter (learning rate, momentum, penalties) is a `Coef`: one number, which
every model shares, or a (K, 1) column with one value per model.

`Update` is the whole step: the L1 term and clipping on the gradient, weight decay (coupled
through the gradient, or decoupled for AdamW), then the rule; penalties touch the Linear
weights only, as TensorFlow Playground does. With `l1_clamp` the L1 term is TensorFlow
Playground's instead: a step of its own after the rule's, lr * l1 * sign(w) with w the weight
before the step, and a weight that this step carries across zero is set to 0 and frozen there
for the rest of the run (its gradient is ignored from then on).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

Coef = float | Tensor  # a number for every model, or a (K, 1) column: one per model


def per_model(values: Sequence[float], dtype: torch.dtype = torch.float64,
              device: torch.device | str = "cpu") -> Coef:
    """One number when every model has the same (the single model's scalar kernels), else a
    (K, 1) column (via float64, so each value rounds once)."""
    if all(v == values[0] for v in values):
        return float(values[0])
    return torch.tensor(values, dtype=torch.float64).to(dtype=dtype, device=device)[:, None]


def _descend(t: Tensor, x: Tensor, lr: Coef) -> None:  # t <- t - lr x
    if isinstance(lr, float):
        t.add_(x, alpha=-lr)
    else:
        t.addcmul_(x, lr, value=-1)


def _descend_ratio(t: Tensor, x: Tensor, d: Tensor, lr: Coef) -> None:  # t <- t - lr x / d
    if isinstance(lr, float):
        t.addcdiv_(x, d, value=-lr)
    else:
        t.addcdiv_(x * lr, d, value=-1)


class SGD:
    """theta <- theta - lr * g"""

    decoupled_decay = False

    def __init__(self, theta: Tensor, momentum: Coef = 0.0):
        self.theta, self.mu = theta, momentum

    def state(self) -> list[Tensor]:
        return []  # running averages, laid out as theta

    def reset(self, model: int | None = None) -> None:
        """Forget the running averages: all of them, or those of model `model` of a stack (a
        model that stops training: what the models share, Adam's step count, goes on)."""
        for s in self.state():
            (s if model is None else s[model]).zero_()

    def step(self, g: Tensor, lr: Coef) -> None:
        _descend(self.theta, g, lr)


class Momentum(SGD):
    """v <- mu v + g ;  theta <- theta - lr v   (heavy ball, torch.optim.SGD(momentum=mu))"""

    def __init__(self, theta: Tensor, momentum: Coef = 0.9):
        super().__init__(theta, momentum)
        # torch starts the buffer at the first gradient: mu 0 + g is exactly that
        self.velocity = torch.zeros_like(theta)

    def state(self) -> list[Tensor]:
        return [self.velocity]

    def _update_velocity(self, g: Tensor) -> Tensor:
        return self.velocity.mul_(self.mu).add_(g)

    def step(self, g: Tensor, lr: Coef) -> None:
        _descend(self.theta, self._update_velocity(g), lr)


class Nesterov(Momentum):
    """v <- mu v + g ;  theta <- theta - lr (g + mu v)   (look-ahead momentum)"""

    def step(self, g: Tensor, lr: Coef) -> None:
        v = self._update_velocity(g)
        ahead = g.add(v, alpha=self.mu) if isinstance(self.mu, float) else g.addcmul(v, self.mu)
        _descend(self.theta, ahead, lr)


class Adam(SGD):
    """m <- b1 m + (1-b1) g ;  v <- b2 v + (1-b2) g² ;  theta <- theta - lr m̂ / (sqrt(v̂) + eps)

    m̂ and v̂ are the bias-corrected averages m / (1 - b1^t) and v / (1 - b2^t). One fused kernel
    does the whole update; it takes one lr, so with one lr per model it steps a zeroed buffer
    with lr 1 and each model adds its lr times that step.
    """

    betas = (0.9, 0.999)
    eps = 1e-8

    def __init__(self, theta: Tensor, momentum: Coef = 0.0):
        super().__init__(theta, momentum)
        self.m, self.v = torch.zeros_like(theta), torch.zeros_like(theta)
        self.t = torch.zeros((), dtype=torch.float32, device=theta.device)
        self.delta: Tensor | None = None

    def state(self) -> list[Tensor]:
        return [self.m, self.v]

    def reset(self, model: int | None = None) -> None:
        super().reset(model)
        if model is None:
            self.t.zero_()

    def step(self, g: Tensor, lr: Coef) -> None:
        b1, b2 = self.betas
        self.t += 1
        if _HAS_FUSED_ADAM and self.theta.dtype == torch.float32:
            shared = isinstance(lr, float)
            if not shared and self.delta is None:
                self.delta = torch.zeros_like(self.theta)
            target = self.theta if shared else self.delta.zero_()
            torch._fused_adam_(  # the bias corrections read t
                [target], [g], [self.m], [self.v], [], [self.t], lr=lr if shared else 1.0,
                beta1=b1, beta2=b2, weight_decay=0.0, eps=self.eps, amsgrad=False,
                maximize=False)
            if not shared:
                self.theta.addcmul_(self.delta, lr)
            return
        t = float(self.t)
        self.m.lerp_(g, 1 - b1)
        self.v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (self.v / (1 - b2**t)).sqrt_().add_(self.eps)
        _descend_ratio(self.theta, self.m, denom, lr / (1 - b1**t))


class AdamW(Adam):
    """Adam with decoupled weight decay: theta <- theta (1 - lr wd) before the Adam step."""

    decoupled_decay = True


class RMSprop(SGD):
    """s <- a s + (1-a) g² ;  theta <- theta - lr g / (sqrt(s) + eps)   (a = 0.99)"""

    alpha, eps = 0.99, 1e-8

    def __init__(self, theta: Tensor, momentum: Coef = 0.0):
        super().__init__(theta, momentum)
        self.s = torch.zeros_like(theta)

    def state(self) -> list[Tensor]:
        return [self.s]

    def _average(self, g: Tensor) -> None:
        self.s.mul_(self.alpha).addcmul_(g, g, value=1 - self.alpha)

    def step(self, g: Tensor, lr: Coef) -> None:
        self._average(g)
        _descend_ratio(self.theta, g, self.s.sqrt().add_(self.eps), lr)


class Adagrad(RMSprop):
    """s <- s + g² ;  theta <- theta - lr g / (sqrt(s) + eps): each weight's step shrinks over time."""

    eps = 1e-10

    def _average(self, g: Tensor) -> None:
        self.s.addcmul_(g, g)


_HAS_FUSED_ADAM = hasattr(torch, "_fused_adam_")


@dataclass(frozen=True)
class Optimizer:
    name: str
    rule: type[SGD]
    help: str
    torch: str  # the torch.optim class the exported script uses ...
    torch_args: str = ""  # ... with these arguments after lr (the script's settings by name)
    knobs: tuple[str, ...] = ()  # the Config fields it reads besides lr
    adaptive: bool = False  # scales each weight's step by its own gradient history


OPTIMIZERS: dict[str, Optimizer] = {
    spec.name: spec
    for spec in (
        Optimizer("sgd", SGD, "Plain gradient descent: step straight down the slope of the loss.",
                  "SGD"),
        Optimizer("momentum", Momentum,
                  "Gradient descent with a velocity that keeps rolling in consistent directions.",
                  "SGD", ", momentum=MOMENTUM", ("momentum",)),
        Optimizer("nesterov", Nesterov,
                  "Momentum that looks ahead along its velocity before correcting: overshoots "
                  "less.", "SGD", ", momentum=MOMENTUM, nesterov=True", ("momentum",)),
        Optimizer("adam", Adam,
                  "Momentum plus a per-weight step size from recent gradient sizes; the usual "
                  "default.", "Adam", adaptive=True),
        Optimizer("adamw", AdamW,
                  "Adam with weight decay applied directly to the weights rather than the "
                  "gradient.", "AdamW", adaptive=True),
        Optimizer("rmsprop", RMSprop,
                  "Divides each step by a running average of recent gradient sizes.", "RMSprop",
                  adaptive=True),
        Optimizer("adagrad", Adagrad,
                  "Divides each step by the total of all past squared gradients: steps keep "
                  "shrinking.", "Adagrad", adaptive=True),
    )
}


def make_optimizer(name: str, theta: Tensor, momentum: Coef) -> SGD:
    return OPTIMIZERS[name].rule(theta, momentum)


class Update:
    """One training step's change to `theta` from the gradient in `grad`, for the models whose
    configs are given (one, or a stack's K, whose tensors then have a leading model axis)."""

    def __init__(self, theta: Tensor, grad: Tensor, mask: Tensor, rule: Any,
                 configs: Sequence[Any]):
        self.theta, self.grad, self.mask, self.rule = theta, grad, mask, rule  # mask: weights
        self.frozen: Tensor | None = None
        self.configure(configs)

    def configure(self, configs: Sequence[Any]) -> None:
        """Read the penalties (l1, clip, weight_decay) from the configs, one per model."""
        dtype, device = self.theta.dtype, self.theta.device

        def each(name: str) -> Coef:
            return per_model([getattr(c, name) or 0.0 for c in configs], dtype, device)

        l1, decay = each("l1"), per_model([c.weight_decay for c in configs])  # decay: float64
        self.l1 = None if _off(l1) else self.mask * l1  # (P,) or (K, P)
        clamp = self.l1 is not None and any(getattr(c, "l1_clamp", False) for c in configs)
        if clamp and not all(getattr(c, "l1_clamp", False) for c in configs):
            raise ValueError("the models of one stack must agree on l1_clamp")
        if not clamp:
            self.frozen = None
        elif self.frozen is None:  # kept when a running model is reconfigured
            self.frozen = torch.zeros_like(self.theta, dtype=torch.bool)  # weights L1 froze at 0
        self._l1_decay = per_model([c.l1 or 0.0 for c in configs])  # float64, the clamp's step
        self.clip = None if _off(each("clip")) else per_model(
            [c.clip or math.inf for c in configs], dtype, device)  # clip 0 (off): a factor of 1
        self.decay = None if _off(decay) else decay
        self.coupled = None
        if self.decay is not None and not self.rule.decoupled_decay:
            self.coupled = self.mask * _cast(self.decay, dtype)
        self._lr: Coef | None = None  # the rates the cached ones below were made for

    def step(self, lr: Coef) -> None:
        """lr: a number, or a float64 (K, 1) column (see `per_model`)."""
        g, theta = self.grad, self.theta
        rule_lr, shrink = self._rates(lr)
        before = None
        if self.frozen is not None:  # TF Playground's L1: its own step after the rule's, below
            self.frozen &= theta == 0  # a frozen weight set by hand comes back to life
            g.masked_fill_(self.frozen, 0.0)
            before = theta.sign()
        elif self.l1 is not None:  # d/dw of l1 |w| is l1 sign(w), part of the gradient before clipping
            g.addcmul_(self.l1, theta.sign())
        if self.clip is not None:  # rescale each model's gradient to norm <= clip (clip_grad_norm_)
            g.mul_(torch.clamp(self.clip / (g.norm(dim=-1, keepdim=True) + 1e-6), max=1.0))
        if shrink is not None:  # AdamW: w <- w - lr wd w, before the step
            theta.addcmul_(shrink, theta)
        elif self.coupled is not None:  # coupled L2 as torch.optim adds it: g + wd w, after clipping
            g.addcmul_(self.coupled, theta)
        self.rule.step(g, rule_lr)
        if before is not None:
            self._clamped_l1(before)

    def _clamped_l1(self, sign: Tensor) -> None:
        """w2 = w1 - lr l1 sign(w0) for w1 the weight after the rule's step and w0 before it;
        where w1 and w2 have opposite signs the weight is set to 0 and frozen (nn.ts)."""
        theta = self.theta
        after = theta - self._l1_step * sign
        crossed = (theta * after) < 0
        self.frozen |= crossed
        theta.copy_(after.masked_fill_(self.frozen, 0.0))

    def _rates(self, lr: Coef) -> tuple[Coef, Tensor | None]:
        same = lr is self._lr or (isinstance(lr, float) and isinstance(self._lr, float)
                                  and lr == self._lr)
        if not same:
            self._lr, dtype = lr, self.theta.dtype
            self._rule_lr = _cast(lr, dtype)
            self._shrink = (None if self.decay is None or not self.rule.decoupled_decay
                            else self.mask * _cast(-lr * self.decay, dtype))
            self._l1_step = (None if self.frozen is None
                             else self.mask * _cast(lr * self._l1_decay, dtype))
        return self._rule_lr, self._shrink


def _off(c: Coef) -> bool:
    return isinstance(c, float) and c == 0.0


def _cast(c: Coef, dtype: torch.dtype) -> Coef:
    return c if isinstance(c, float) else c.to(dtype)


# ---- learning-rate schedules: epoch index (0-based) -> multiplier of the base learning rate --
def _constant(epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    return 1.0


def _step(epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    return gamma ** (epoch // step_size)


def _cosine(epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    # Half a cosine from 1 down to 1% over the configured epochs, then flat (fit() may go on).
    progress = min(epoch, epochs) / max(epochs, 1)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass(frozen=True)
class Schedule:
    name: str
    help: str
    factor: Callable[[int, int, int, float], float]  # the exported script copies its source
    knobs: tuple[str, ...] = ()  # the Config fields it reads besides lr and epochs


SCHEDULES: dict[str, Schedule] = {
    s.name: s
    for s in (
        Schedule("none", "Keep the learning rate constant.", _constant),
        Schedule("step", "Multiply the learning rate by gamma every step_size epochs.", _step,
                 ("step_size", "gamma")),
        Schedule("cosine", "Lower the learning rate along half a cosine to 1% by the last epoch.",
                 _cosine),
    )
}


def lr_factor(schedule: str, epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    return SCHEDULES[schedule].factor(epoch, epochs, step_size, gamma)


def epoch_lr(c: Any, epoch: int) -> float:
    """The learning rate of a config's epoch `epoch` (0-based), its schedule applied."""
    return c.lr * lr_factor(c.schedule, epoch, c.epochs, c.step_size, c.gamma)
