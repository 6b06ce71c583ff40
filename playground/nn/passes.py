"""The MLP's forward and backward pass, written out layer by layer, for one model or a stack of K.

Autograd records a graph on every step and walks it back; for the playground's small networks
that bookkeeping costs several times the arithmetic. Here each layer keeps what its backward
needs, the backward writes every parameter gradient straight into the flat gradient tensor, and
the kernels are the ones autograd would call (the tests check the gradients against autograd on
the same `nn.Sequential`).

One model's tensors have no model axis: inputs (B, in), a Linear weight (out, in). A stack of K
models with the same shapes (a sweep) puts the models on a leading axis: its parameters are the
rows of one (K, P) tensor, a weight is a (K, out, in) view of it, inputs are (K, B, in) or shared
(B, in), and the matmuls become batched ones (`baddbmm`, `bmm`). The same ops serve both; the
single model keeps its 2-D kernels, which are faster. Batch norm and dropout exist for the
single model only (a sweep trains such models one at a time).

`forward`/`backward` are the training pass (batch norm on batch statistics, dropout masks);
`infer` is the evaluation pass (batch norm on its running statistics, no dropout), which is what
`run.model` computes in eval mode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .activations import ACTIVATIONS, Activation
from .losses import Loss, loss_grad
from .model import FlatParams

aten = torch.ops.aten
EVAL_FLOATS = 2**24  # activations per evaluation chunk: rows x models x widest layer
# A training step on more rows than fit TRAIN_FLOATS (rows x models x all the layers' widths)
# goes through them in chunks, adding up their gradients: a full-batch step on big data then
# needs one chunk's activations, not the whole batch's (not with batch norm, whose statistics
# are the whole batch's).
TRAIN_FLOATS = 2**23


class LinearOp:
    def __init__(self, w: Tensor, b: Tensor | None, gw: Tensor | None, gb: Tensor | None,
                 first: bool):
        self.w, self.b, self.gw, self.gb, self.first = w, b, gw, gb, first
        self.stacked = w.dim() == 3
        self.wt = w.transpose(-1, -2)  # a view: it follows the in-place updates of w
        if self.stacked and b is not None:
            self.b = b.unsqueeze(-2)  # (K, 1, out): broadcast over the batch

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        # Z = X Wᵀ + b : (B, in) -> (B, out), or (K, B, in) -> (K, B, out)
        if not self.stacked:
            z = x @ self.wt if self.b is None else torch.addmm(self.b, x, self.wt)
            return z, x
        if x.dim() == 2:  # inputs shared by the K models
            x = x.expand(self.w.shape[0], -1, -1)
        z = torch.bmm(x, self.wt) if self.b is None else torch.baddbmm(self.b, x, self.wt)
        return z, x

    def infer(self, x: Tensor) -> Tensor:
        return self.forward(x)[0]

    def backward(self, dz: Tensor, x: Tensor, add: bool = False) -> Tensor | None:
        # dW = dZᵀ X (out, in);  db = Σ_batch dZ (out,);  dX = dZ W (B, in); per model if stacked
        # `add`: add to the gradients (a chunk of a batch) instead of setting them.
        if add:
            (self.gw.addmm_ if not self.stacked else self.gw.baddbmm_)(dz.transpose(-1, -2), x)
            if self.gb is not None:
                self.gb.add_(dz.sum(-2))
        elif not self.stacked:
            torch.mm(dz.t(), x, out=self.gw)
            if self.gb is not None:
                torch.sum(dz, 0, out=self.gb)
        else:  # the stack's gradient rows are strided: compute, then copy (twice as fast as out=)
            self.gw.copy_(torch.bmm(dz.transpose(1, 2), x))
            if self.gb is not None:
                self.gb.copy_(dz.sum(1))
        if self.first:
            return None
        return dz @ self.w if not self.stacked else torch.bmm(dz, self.w)


class ActivationOp:
    def __init__(self, act: Activation):
        self.act = act

    def forward(self, z: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        a = self.act.forward(z)
        return a, (z, a)

    def infer(self, z: Tensor) -> Tensor:
        return self.act.forward(z)

    def backward(self, da: Tensor, cache: tuple[Tensor, Tensor]) -> Tensor:
        return self.act.backward(da, *cache)  # dZ = dA ⊙ f'(Z)


class DropoutOp:
    def __init__(self, p: float, generator: torch.Generator | None):
        self.keep, self.generator = 1.0 - p, generator

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        # Inverted dropout: zero each unit with probability p, scale the rest by 1/(1-p).
        mask = torch.empty_like(x).bernoulli_(self.keep, generator=self.generator).div_(self.keep)
        return x * mask, mask

    def infer(self, x: Tensor) -> Tensor:
        return x

    def backward(self, dy: Tensor, mask: Tensor) -> Tensor:
        return dy * mask


class BatchNormOp:
    """y = γ (x - μ_B) / sqrt(σ²_B + eps) + β over the batch; training updates the running stats."""

    def __init__(self, bn: nn.BatchNorm1d, gamma: Tensor, beta: Tensor, dgamma: Tensor | None,
                 dbeta: Tensor | None, buffers: dict[str, Tensor]):
        self.gamma, self.beta, self.dgamma, self.dbeta = gamma, beta, dgamma, dbeta
        self.mean, self.var = buffers["running_mean"], buffers["running_var"]
        self.count = buffers["num_batches_tracked"]
        self.momentum, self.eps = bn.momentum, bn.eps

    def forward(self, x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
        y, mean, invstd = aten.native_batch_norm(
            x, self.gamma, self.beta, self.mean, self.var, True, self.momentum, self.eps)
        self.count.add_(1)
        return y, (x, mean, invstd)

    def infer(self, x: Tensor) -> Tensor:
        return F.batch_norm(x, self.mean, self.var, self.gamma, self.beta, False, 0.0, self.eps)

    def backward(self, dy: Tensor, cache: tuple[Tensor, Tensor, Tensor]) -> Tensor:
        x, mean, invstd = cache
        dx, dgamma, dbeta = aten.native_batch_norm_backward(
            dy, x, self.gamma, self.mean, self.var, mean, invstd, True, self.eps,
            [True, True, True])
        self.dgamma.copy_(dgamma)
        self.dbeta.copy_(dbeta)
        return dx


class Network:
    """The passes of a model built by `model.build_model` (or K of them), over given tensors.

    `params` and `grads` map parameter names to tensors of `flat.views_of`'s shapes; `grads` is
    None for a network that only infers, `buffers` holds batch norm's running statistics.
    """

    def __init__(self, model: nn.Sequential, activation: str, params: dict[str, Tensor],
                 grads: dict[str, Tensor] | None = None, buffers: dict[str, Tensor] | None = None,
                 generator: torch.Generator | None = None):
        grads, buffers = grads or {}, buffers or {}
        self.ops: list = []
        first = True
        for name, m in model.named_children():
            value = {k.split(".", 1)[1]: v for k, v in params.items() if k.split(".")[0] == name}
            grad = {k.split(".", 1)[1]: v for k, v in grads.items() if k.split(".")[0] == name}
            if isinstance(m, nn.Linear):
                self.ops.append(LinearOp(value["weight"], value.get("bias"), grad.get("weight"),
                                         grad.get("bias"), first))
                first = False
            elif isinstance(m, nn.BatchNorm1d):
                state = {k.split(".", 1)[1]: v for k, v in buffers.items()
                         if k.split(".")[0] == name}
                self.ops.append(BatchNormOp(m, value["weight"], value["bias"], grad.get("weight"),
                                            grad.get("bias"), state))
            elif isinstance(m, nn.Dropout):
                self.ops.append(DropoutOp(m.p, generator))
            else:
                self.ops.append(ActivationOp(ACTIVATIONS[activation]))
        # The backward calls, last layer first, bound once: at batch 1 a step is a few dozen
        # tiny kernels, and looking each call up again was a tenth of its time.
        self._backward = [(op.backward, isinstance(op, LinearOp)) for op in reversed(self.ops)]
        self._forward = [op.forward for op in self.ops]
        linears = [op for op in self.ops if isinstance(op, LinearOp)]
        self.models = linears[0].w.shape[0] if linears[0].stacked else 1  # K, or 1
        self.widest = max(op.w.shape[-2] for op in linears)
        widths = linears[0].w.shape[-1] + sum(op.w.shape[-2] for op in linears)
        self.train_rows = None if any(isinstance(op, BatchNormOp) for op in self.ops) else (
            max(1, TRAIN_FLOATS // (self.models * widths)))  # None: never in chunks

    @classmethod
    def of(cls, model: nn.Sequential, flat: FlatParams, activation: str,
           generator: torch.Generator | None = None) -> Network:
        """The training network of a model and its flat parameters (the live tensors)."""
        params = {name: value for name, (value, _) in flat.views.items()}
        grads = {name: grad for name, (_, grad) in flat.views.items()}
        return cls(model, activation, params, grads, dict(model.named_buffers()), generator)

    def forward(self, x: Tensor) -> tuple[Tensor, list]:
        caches = []
        for forward in self._forward:
            x, cache = forward(x)
            caches.append(cache)
        return x, caches

    def backward(self, dout: Tensor, caches: list, add: bool = False) -> None:
        """Fill the gradient tensors from d loss / d output, (B, n_out) or (K, B, n_out), or
        (`add`) add to them."""
        d = dout
        for (backward, linear), cache in zip(self._backward, reversed(caches), strict=True):
            d = backward(d, cache, add) if linear else backward(d, cache)

    def gradient(self, x: Tensor, y: Tensor, loss: Loss, task: str,
                 rows: int | None = None) -> None:
        """One batch's gradient of the mean loss (per model), written into the gradients; a
        batch of more than `rows` rows (default: bounded by TRAIN_FLOATS) in chunks of `rows`,
        each chunk's mean-loss gradient weighted by its share of the batch."""
        rows = rows or self.train_rows
        axis = x.dim() - 2  # the batch axis of x and y: (B, in) and (B, ...), or (K, B, ...)
        n = x.shape[axis]
        if rows is None or n <= rows:
            out, caches = self.forward(x)
            self.backward(loss_grad(loss, out, y, task), caches)
            return
        for start in range(0, n, rows):
            length = min(rows, n - start)
            out, caches = self.forward(x.narrow(axis, start, length))
            dout = loss_grad(loss, out, y.narrow(axis, start, length), task) * (length / n)
            self.backward(dout, caches, add=start > 0)

    def infer(self, x: Tensor, hidden: list[Tensor] | None = None) -> Tensor:
        """Evaluation-mode outputs; each hidden layer's activations are appended to `hidden`."""
        for op in self.ops:
            x = op.infer(x)
            if hidden is not None and isinstance(op, ActivationOp):
                hidden.append(x)
        return x

    def evaluate(self, X: Tensor, rows: int | None = None) -> Tensor:
        """`infer` over many rows, `rows` at a time (default: bounded by EVAL_FLOATS)."""
        rows = rows or max(1, EVAL_FLOATS // (self.models * self.widest))
        if len(X) <= rows:
            return self.infer(X)
        return torch.cat([self.infer(X[i:i + rows]) for i in range(0, len(X), rows)], dim=-2)

