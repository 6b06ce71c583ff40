"""The training-mode forward and backward pass of the torch MLP, written out layer by layer.

Autograd records a graph on every step and walks it back; for the playground's small networks
that bookkeeping costs several times the arithmetic. Here each layer keeps what its backward
needs, the backward writes every parameter gradient straight into the flat gradient tensor, and
the kernels are the same ones autograd would call (the tests check the gradients against
autograd on the same `nn.Sequential`). Inference always goes through `run.model` itself.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .model import ACTIVATIONS, Activation, FlatParams

aten = torch.ops.aten


class LinearOp:
    def __init__(self, w: Tensor, b: Tensor | None, gw: Tensor, gb: Tensor | None, first: bool):
        self.w, self.b, self.gw, self.gb, self.first = w, b, gw, gb, first
        self.wt = w.t()  # a view: it follows the in-place updates of w

    def forward(self, x: Tensor) -> tuple[Tensor, object]:
        # Z = X Wᵀ + b : (B, in) -> (B, out); no bias when BatchNorm follows
        z = x @ self.wt if self.b is None else torch.addmm(self.b, x, self.wt)
        return z, x

    def backward(self, dz: Tensor, x: Tensor) -> Tensor | None:
        # dW = dZᵀ X (out, in);  db = Σ_batch dZ (out,);  dX = dZ W (B, in)
        torch.mm(dz.t(), x, out=self.gw)
        if self.gb is not None:
            torch.sum(dz, 0, out=self.gb)
        return None if self.first else dz @ self.w


class ActivationOp:
    def __init__(self, act: Activation):
        self.act = act

    def forward(self, z: Tensor) -> tuple[Tensor, object]:
        a = self.act.forward(z)
        return a, (z, a)

    def backward(self, da: Tensor, cache: tuple[Tensor, Tensor]) -> Tensor:
        return self.act.backward(da, *cache)  # dZ = dA ⊙ f'(Z)


class DropoutOp:
    def __init__(self, p: float, generator: torch.Generator):
        self.keep, self.generator = 1.0 - p, generator

    def forward(self, x: Tensor) -> tuple[Tensor, object]:
        # Inverted dropout: zero each unit with probability p, scale the rest by 1/(1-p).
        mask = torch.empty_like(x).bernoulli_(self.keep, generator=self.generator).div_(self.keep)
        return x * mask, mask

    def backward(self, dy: Tensor, mask: Tensor) -> Tensor:
        return dy * mask


class BatchNormOp:
    """y = γ (x - μ_B) / sqrt(σ²_B + eps) + β over the batch; updates the module's running stats."""

    def __init__(self, bn: nn.BatchNorm1d, gamma: Tensor, beta: Tensor, dgamma: Tensor,
                 dbeta: Tensor):
        self.bn, self.gamma, self.beta, self.dgamma, self.dbeta = bn, gamma, beta, dgamma, dbeta

    def forward(self, x: Tensor) -> tuple[Tensor, object]:
        bn = self.bn
        y, mean, invstd = aten.native_batch_norm(
            x, self.gamma, self.beta, bn.running_mean, bn.running_var, True, bn.momentum, bn.eps)
        bn.num_batches_tracked.add_(1)
        return y, (x, mean, invstd)

    def backward(self, dy: Tensor, cache: tuple[Tensor, Tensor, Tensor]) -> Tensor:
        x, mean, invstd = cache
        bn = self.bn
        dx, dgamma, dbeta = aten.native_batch_norm_backward(
            dy, x, self.gamma, bn.running_mean, bn.running_var, mean, invstd, True, bn.eps,
            [True, True, True])
        self.dgamma.copy_(dgamma)
        self.dbeta.copy_(dbeta)
        return dx


class Network:
    """The training-time forward/backward of a model built by `model.build_model`."""

    def __init__(self, model: nn.Sequential, flat: FlatParams, generator: torch.Generator):
        self.ops: list = []
        first = True
        for name, m in model.named_children():
            views = {k.split(".", 1)[1]: v for k, v in flat.views.items() if k.split(".")[0] == name}
            if isinstance(m, nn.Linear):
                (w, gw), (b, gb) = views["weight"], views.get("bias", (None, None))
                self.ops.append(LinearOp(w, b, gw, gb, first))
                first = False
            elif isinstance(m, nn.BatchNorm1d):
                (g, dg), (b, db) = views["weight"], views["bias"]
                self.ops.append(BatchNormOp(m, g, b, dg, db))
            elif isinstance(m, nn.Dropout):
                self.ops.append(DropoutOp(m.p, generator))
            else:
                self.ops.append(ActivationOp(_activation_of(m)))

    def forward(self, x: Tensor) -> tuple[Tensor, list]:
        caches = []
        for op in self.ops:
            x, cache = op.forward(x)
            caches.append(cache)
        return x, caches

    def backward(self, dout: Tensor, caches: list) -> None:
        """Fill the flat gradient tensor from d loss / d output (B, n_out)."""
        d = dout
        for op, cache in zip(reversed(self.ops), reversed(caches), strict=True):
            d = op.backward(d, cache)


def _activation_of(module: nn.Module) -> Activation:
    for act in ACTIVATIONS.values():
        if type(module) is type(act.module()):
            return act
    raise TypeError(f"no activation registered for {type(module).__name__}")
