"""Optimizers and learning-rate schedules by name, stepping one flat parameter tensor.

The network's parameters all live in one flat tensor (see `model.FlatParams`), so each optimizer
updates everything with a handful of tensor operations. For the playground's tiny networks the
cost is per call, not per number: `torch.optim.Adam.step` spends ~26 µs in Python bookkeeping
for an update whose arithmetic takes ~2 µs. The rules below are exactly torch.optim's (the
tests compare them step by step); weight decay and the L1 penalty are applied by the training
loop, to weights only, as TensorFlow Playground does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


class SGD:
    """theta <- theta - lr * g"""

    decoupled_decay = False

    def __init__(self, theta: Tensor, momentum: float = 0.0):
        self.theta = theta

    def step(self, g: Tensor, lr: float) -> None:
        self.theta.add_(g, alpha=-lr)

    def reset(self) -> None:
        pass


class Momentum(SGD):
    """v <- mu v + g ;  theta <- theta - lr v   (heavy ball, torch.optim.SGD(momentum=mu))"""

    def __init__(self, theta: Tensor, momentum: float = 0.9):
        super().__init__(theta)
        self.mu = momentum
        self.reset()

    def reset(self) -> None:
        self.velocity: Tensor | None = None  # torch starts the buffer at the first gradient

    def _update_velocity(self, g: Tensor) -> Tensor:
        if self.velocity is None:
            self.velocity = g.clone()
        else:
            self.velocity.mul_(self.mu).add_(g)
        return self.velocity

    def step(self, g: Tensor, lr: float) -> None:
        self.theta.add_(self._update_velocity(g), alpha=-lr)


class Nesterov(Momentum):
    """v <- mu v + g ;  theta <- theta - lr (g + mu v)   (look-ahead momentum)"""

    def step(self, g: Tensor, lr: float) -> None:
        v = self._update_velocity(g)
        self.theta.add_(g.add(v, alpha=self.mu), alpha=-lr)


class Adam(SGD):
    """m <- b1 m + (1-b1) g ;  v <- b2 v + (1-b2) g² ;  theta <- theta - lr m̂ / (sqrt(v̂) + eps)

    m̂ and v̂ are the bias-corrected averages m / (1 - b1^t) and v / (1 - b2^t).
    """

    betas = (0.9, 0.999)
    eps = 1e-8

    def __init__(self, theta: Tensor, momentum: float = 0.0):
        super().__init__(theta)
        self.reset()

    def reset(self) -> None:
        self.m = torch.zeros_like(self.theta)
        self.v = torch.zeros_like(self.theta)
        self.t = torch.zeros((), dtype=torch.float32, device=self.theta.device)

    def step(self, g: Tensor, lr: float) -> None:
        b1, b2 = self.betas
        self.t += 1
        if _HAS_FUSED_ADAM and self.theta.dtype == torch.float32:
            # One kernel for the whole update (the bias corrections read t).
            torch._fused_adam_(
                [self.theta], [g], [self.m], [self.v], [], [self.t], lr=lr, beta1=b1,
                beta2=b2, weight_decay=0.0, eps=self.eps, amsgrad=False, maximize=False,
            )
            return
        t = float(self.t)
        self.m.lerp_(g, 1 - b1)
        self.v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (self.v / (1 - b2**t)).sqrt_().add_(self.eps)
        self.theta.addcdiv_(self.m, denom, value=-lr / (1 - b1**t))


class AdamW(Adam):
    """Adam with decoupled weight decay: theta <- theta (1 - lr wd) before the Adam step."""

    decoupled_decay = True


class RMSprop(SGD):
    """s <- a s + (1-a) g² ;  theta <- theta - lr g / (sqrt(s) + eps)   (a = 0.99)"""

    alpha, eps = 0.99, 1e-8

    def __init__(self, theta: Tensor, momentum: float = 0.0):
        super().__init__(theta)
        self.reset()

    def reset(self) -> None:
        self.s = torch.zeros_like(self.theta)

    def step(self, g: Tensor, lr: float) -> None:
        self.s.mul_(self.alpha).addcmul_(g, g, value=1 - self.alpha)
        self.theta.addcdiv_(g, self.s.sqrt().add_(self.eps), value=-lr)


class Adagrad(RMSprop):
    """s <- s + g² ;  theta <- theta - lr g / (sqrt(s) + eps): each weight's step shrinks over time."""

    eps = 1e-10

    def step(self, g: Tensor, lr: float) -> None:
        self.s.addcmul_(g, g)
        self.theta.addcdiv_(g, self.s.sqrt().add_(self.eps), value=-lr)


_HAS_FUSED_ADAM = hasattr(torch, "_fused_adam_")


@dataclass(frozen=True)
class OptimizerSpec:
    name: str
    cls: type[SGD]
    help: str


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        OptimizerSpec("sgd", SGD, "Plain gradient descent: step straight down the slope of the loss."),
        OptimizerSpec("momentum", Momentum,
                      "Gradient descent with a velocity that keeps rolling in consistent directions."),
        OptimizerSpec("nesterov", Nesterov,
                      "Momentum that looks ahead along its velocity before correcting: overshoots less."),
        OptimizerSpec("adam", Adam,
                      "Momentum plus a per-weight step size from recent gradient sizes; the usual default."),
        OptimizerSpec("adamw", AdamW,
                      "Adam with weight decay applied directly to the weights rather than the gradient."),
        OptimizerSpec("rmsprop", RMSprop,
                      "Divides each step by a running average of recent gradient sizes."),
        OptimizerSpec("adagrad", Adagrad,
                      "Divides each step by the total of all past squared gradients: steps keep shrinking."),
    )
}


def make_optimizer(name: str, theta: Tensor, momentum: float) -> SGD:
    return OPTIMIZERS[name].cls(theta, momentum)


# Learning-rate schedules: epoch index (0-based) -> multiplier of the base learning rate.
def _step(epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    return gamma ** (epoch // step_size)


def _cosine(epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    # Half a cosine from 1 down to 1% over the configured epochs, then flat (fit() may go on).
    progress = min(epoch, epochs) / max(epochs, 1)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress))


SCHEDULES: dict[str, tuple[str, object]] = {
    "none": ("Keep the learning rate constant.", lambda *_: 1.0),
    "step": ("Multiply the learning rate by gamma every step_size epochs.", _step),
    "cosine": ("Lower the learning rate along half a cosine to 1% by the last epoch.", _cosine),
}


def lr_factor(schedule: str, epoch: int, epochs: int, step_size: int, gamma: float) -> float:
    return SCHEDULES[schedule][1](epoch, epochs, step_size, gamma)
