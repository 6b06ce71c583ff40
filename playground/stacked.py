"""Stacked training: K models of one shape trained at once, for sweeps (see playground.sweep).

The K models' flat parameters are the rows of one (K, P) tensor, each Linear layer is a
(K, out, in) view of it, forward and backward are batched matmuls (`torch.baddbmm`, `torch.bmm`),
and one stacked optimizer update per step moves all K models (optim.py's rules with per-model
(K, 1) learning rates). Each model is the model `train(config)` would produce, to float32
rounding: same initial weights, batch order, loss gradient, penalties, optimizer and evaluation.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from .config import Config
from .datasets import Data
from .device import AUTO_CUDA_FLOPS, flops_per_step
from .nn.losses import resolve_loss
from .nn.model import ACTIVATIONS, model_for
from .nn.optim import OPTIMIZERS, lr_factor

GATHER_MAX = 2**24  # floats: gather a whole epoch's batches at once below this, else per step
EVAL_FLOATS = 2**24  # floats of activations per evaluation chunk

def metric_keys(task: str, splits: tuple[str, ...] = ("train", "test")) -> list[str]:
    names = ["loss", "acc"] if task != "regression" else ["loss", "r2", "rmse"]
    return [f"{split}_{m}" for split in splits for m in names]


@contextlib.contextmanager
def _threads_for(flops: float) -> Iterator[None]:
    """One CPU thread for small stacks, as device.cpu_threads_for does for small runs."""
    previous = torch.get_num_threads()
    if flops < AUTO_CUDA_FLOPS:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# ---- stacked optimizers: optim.py's rules with per-model (K, 1) learning rates ---------------
class _SGD:
    """theta <- theta - lr g. `set_lr` takes the epoch's (K, 1) float64 learning rates."""

    def __init__(self, theta: Tensor, mu: Tensor):
        self.theta, self.mu = theta, mu  # (K, P), (K, 1)

    def set_lr(self, lr: Tensor) -> None:
        self.lr, self.neg_lr = lr.float(), (-lr).float()  # float32, as a kernel's scalar alpha

    def step(self, g: Tensor) -> None:
        self.theta.addcmul_(g, self.neg_lr)  # the same fused a + alpha b as add_(alpha=-lr)

    def freeze(self, k: int) -> None:
        """Zero model k's running averages (they hold the overflow of a diverged model)."""
        for state in vars(self).values():
            if isinstance(state, Tensor) and state is not self.theta and state.shape == (
                    self.theta.shape):
                state[k] = 0.0


class _Momentum(_SGD):
    velocity: Tensor | None = None

    def _velocity(self, g: Tensor) -> Tensor:
        if self.velocity is None:
            self.velocity = g.clone()  # torch starts the buffer at the first gradient
        else:
            self.velocity.mul_(self.mu).add_(g)
        return self.velocity

    def step(self, g: Tensor) -> None:
        self.theta.addcmul_(self._velocity(g), self.neg_lr)


class _Nesterov(_Momentum):
    def step(self, g: Tensor) -> None:
        v = self._velocity(g)
        self.theta.addcmul_(g.addcmul(v, self.mu), self.neg_lr)  # g + mu v, as add(alpha=mu)


class _Adam(_SGD):
    """optim.Adam's one fused kernel. The kernel takes one lr, so when the K models' rates
    differ it steps a zeroed buffer with lr 1 and each model adds its lr times that step
    (a rounding apart from lr / (1 - b1^t) in one go); with one shared lr it is train()'s call."""

    def __init__(self, theta: Tensor, mu: Tensor):
        super().__init__(theta, mu)
        self.m, self.v, self.delta = (torch.zeros_like(theta) for _ in range(3))
        self.t = torch.zeros((), dtype=torch.float32)

    def set_lr(self, lr: Tensor) -> None:
        super().set_lr(lr)
        self.shared = float(lr[0]) if bool((lr == lr[0]).all()) else None

    def step(self, g: Tensor) -> None:
        (b1, b2), eps = OPTIMIZERS["adam"].cls.betas, OPTIMIZERS["adam"].cls.eps
        self.t += 1
        target = self.theta if self.shared is not None else self.delta.zero_()
        torch._fused_adam_([target], [g], [self.m], [self.v], [], [self.t],
                           lr=1.0 if self.shared is None else self.shared, beta1=b1, beta2=b2,
                           weight_decay=0.0, eps=eps, amsgrad=False, maximize=False)
        if self.shared is None:
            self.theta.addcmul_(self.delta, self.lr)


class _RMSprop(_SGD):
    alpha, eps = OPTIMIZERS["rmsprop"].cls.alpha, OPTIMIZERS["rmsprop"].cls.eps

    def __init__(self, theta: Tensor, mu: Tensor):
        super().__init__(theta, mu)
        self.s = torch.zeros_like(theta)

    def _average(self, g: Tensor) -> None:
        self.s.mul_(self.alpha).addcmul_(g, g, value=1 - self.alpha)

    def step(self, g: Tensor) -> None:
        self._average(g)
        self.theta.addcdiv_(g * self.neg_lr, self.s.sqrt().add_(self.eps))  # = value=-lr


class _Adagrad(_RMSprop):
    eps = OPTIMIZERS["adagrad"].cls.eps

    def _average(self, g: Tensor) -> None:
        self.s.addcmul_(g, g)


STACKED_OPTIMIZERS = {"sgd": _SGD, "momentum": _Momentum, "nesterov": _Nesterov, "adam": _Adam,
                      "adamw": _Adam, "rmsprop": _RMSprop, "adagrad": _Adagrad}


# ---- the stack -----------------------------------------------------------------------------
def _column(values: list[float], dtype: torch.dtype = torch.float32) -> Tensor:
    return torch.tensor(values, dtype=torch.float64).to(dtype)[:, None]  # (K, 1)


class Stack:
    """K models with the same shapes, data and batch size, trained as one."""

    def __init__(self, configs: list[Config], data: Data):
        c, self.configs, self.task, K = configs[0], configs, data.task, len(configs)
        flats = [model_for(m, data.n_features)[1] for m in configs]
        self.theta = torch.stack([f.theta for f in flats])  # (K, P)
        self.layers = _layer_views(self.theta, flats[0])
        self.act, self.loss = ACTIVATIONS[c.activation], resolve_loss(c.loss, self.task)
        self._penalties(flats[0].weight_mask)
        momentum = _column([m.momentum for m in configs])
        self.opt = STACKED_OPTIMIZERS[c.optimizer](self.theta, momentum)
        self.X, self.Y = _tensors(data.transform(data.X_train), data.y_train, self.task)
        self.X_test, self.Y_test = _tensors(data.transform(data.X_test), data.y_test, self.task)
        # Models with one seed share one batch order: one generator per distinct seed.
        seeds = sorted({m.seed for m in configs})
        self.gens = [torch.Generator().manual_seed(s) for s in seeds]
        self.seed_row = torch.tensor([seeds.index(m.seed) for m in configs])
        self.epoch, self.flops = 0, K * flops_per_step(c)
        self.alive = list(range(K))  # models still training
        self.status = ["finished"] * K
        self.history = [{k: [] for k in metric_keys(self.task, ("test",))} for _ in configs]
        self.saved = self.theta.clone()  # the weights at the end of the last finite epoch
        self._record(self._metrics("test"))

    def _penalties(self, mask: Tensor) -> None:
        """L1, clipping and weight decay as (K, P) or (K, 1) tensors; None where all are off."""
        cs, col = self.configs, _column
        self.mask = mask  # (P,) 1 on Linear weights
        self.l1 = col([m.l1 for m in cs]) * mask if any(m.l1 for m in cs) else None
        # Clip 0 (off) becomes inf: a factor of exactly 1.
        self.clip = col([m.clip or math.inf for m in cs]) if any(m.clip for m in cs) else None
        self.decoupled = OPTIMIZERS[cs[0].optimizer].cls.decoupled_decay
        self.wd = [m.weight_decay for m in cs] if any(m.weight_decay for m in cs) else None
        self.decay = col(self.wd) * mask if self.wd and not self.decoupled else None

    def fit(self, progress: Callable[[int], bool]) -> Stack:
        """Train every model; `progress(k)` after each epoch of k models, False stops."""
        # Flush denormals: Adam's averages of a dead unit's zero gradients decay into them, where
        # each CPU op runs 10-50x slower; they shift no weight by more than ~1e-30.
        # (A per-thread CPU flag, off again afterwards: torch has no getter.)
        torch.set_flush_denormal(True)
        try:
            with _threads_for(self.flops), torch.no_grad():
                self._fit(progress)
                self.theta.copy_(self.saved)  # diverged models: their last finite weights
                train = self._metrics("train")
        finally:
            torch.set_flush_denormal(False)
        self.train_metrics = [dict(zip(train, row))
                              for row in torch.stack(list(train.values()), 1).tolist()]
        return self

    def _fit(self, progress: Callable[[int], bool]) -> None:
        for _ in range(self.configs[0].epochs):
            self._train_epoch()
            self._record(self._metrics("test"))
            if not progress(len(self.configs)):
                for k in self.alive:
                    self.status[k] = "stopped"
                return
            if not self.alive:
                return

    def outcomes(self) -> list[tuple[str, dict[str, float], dict[str, list[float]], Tensor]]:
        """Per model: status, final metrics, test-metric history, final flat parameters."""
        return [(self.status[k], {**self.train_metrics[k], **{key: v[-1] for key, v in h.items()}},
                 h, self.theta[k].clone()) for k, h in enumerate(self.history)]

    # ---- training ------------------------------------------------------------------------
    def _train_epoch(self) -> None:
        e, alive = self.epoch, set(self.alive)
        lr = _column([m.lr * lr_factor(m.schedule, e, m.epochs, m.step_size, m.gamma)
                      if k in alive else 0.0 for k, m in enumerate(self.configs)],
                     torch.float64)  # (K, 1), train's Python lr; 0 holds a diverged model still
        self.opt.set_lr(lr)
        if self.wd and self.decoupled:  # AdamW: w <- w - lr wd w, before the step
            self.decay = (-lr * _column(self.wd, torch.float64)).float() * self.mask
        for x, y in self._batches():
            self._step(x, y)
        self.epoch += 1

    def _batches(self) -> Iterator[tuple[Tensor, Tensor]]:
        """(K, B, in) inputs and (K, B, ...) targets, in each model's own seeded order."""
        n = self.X.shape[0]
        size = min(self.configs[0].batch_size, n)
        perms = torch.stack([torch.randperm(n, generator=g) for g in self.gens])
        perm = perms.index_select(0, self.seed_row)  # (K, n)
        if perm.numel() * self.X.shape[1] <= GATHER_MAX:  # one gather, then contiguous slices
            X, Y = _gather(self.X, perm), _gather(self.Y, perm)  # (K, n, in), (K, n, ...)
            for start in range(0, n, size):
                yield X[:, start:start + size], Y[:, start:start + size]
        else:
            for start in range(0, n, size):
                idx = perm[:, start:start + size]
                yield _gather(self.X, idx), _gather(self.Y, idx)

    def _step(self, x: Tensor, y: Tensor) -> None:
        g, theta = self._gradient(x, y), self.theta  # (K, P)
        if self.l1 is not None:
            g.addcmul_(self.l1, theta.sign())
        if self.clip is not None:  # per model, as clip_grad_norm_ on each network
            g.mul_(torch.clamp(self.clip / (g.norm(dim=1, keepdim=True) + 1e-6), max=1.0))
        if self.decay is not None and self.decoupled:
            theta.addcmul_(self.decay, theta)
        elif self.decay is not None:
            g.addcmul_(self.decay, theta)
        self.opt.step(g)

    def _gradient(self, x: Tensor, y: Tensor) -> Tensor:
        acts, zs = [x], []  # layer inputs (K, B, in) and pre-activations (K, B, out)
        for i, (W, b) in enumerate(self.layers):
            z = torch.baddbmm(b, acts[-1], W.transpose(1, 2))  # X Wᵀ + b: (K, B, out)
            if i == len(self.layers) - 1:
                break
            zs.append(z)
            acts.append(self.act.forward(z))
        d, K = self._loss_grad(z, y), len(self.configs)
        grads: list[Tensor] = []
        for i in reversed(range(len(self.layers))):
            grads += [d.sum(1), torch.bmm(d.transpose(1, 2), acts[i]).view(K, -1)]  # db, dW
            if i:
                d = self.act.backward(torch.bmm(d, self.layers[i][0]), zs[i - 1], acts[i])
        return torch.cat(grads[::-1], 1)  # (K, P) in theta's layout: W, b per layer

    def _loss_grad(self, out: Tensor, y: Tensor) -> Tensor:
        """d mean loss / d out for each model: (K, B, n_out), losses.py's closed forms."""
        n, name = out.shape[1], self.loss.name
        if name == "cross_entropy" and self.task == "binary":
            return (torch.sigmoid(out) - y).div_(n)
        if name == "cross_entropy":
            return torch.softmax(out, dim=2).sub_(F.one_hot(y, out.shape[2])).div_(n)
        if name == "mse" and self.task == "regression":
            return (out - y).mul_(2.0 / (n * out.shape[2]))
        with torch.enable_grad():  # others: autograd of each model's loss (rows independent)
            leaf = out.detach().requires_grad_()
            total = sum(self.loss.value(leaf[k], y[k], self.task) for k in range(len(leaf)))
            (g,) = torch.autograd.grad(total, leaf)
        return g

    # ---- evaluation ----------------------------------------------------------------------
    def _forward_eval(self, X: Tensor) -> Tensor:
        """(N, in) shared inputs -> (K, N, n_out), in row chunks to bound memory."""
        K, widest = len(self.configs), max(W.shape[1] for W, _ in self.layers)
        chunk, outs = max(1, EVAL_FLOATS // (K * widest)), []
        for i in range(0, len(X), chunk):
            a = X[i:i + chunk].expand(K, -1, -1)
            for j, (W, b) in enumerate(self.layers):
                a = torch.baddbmm(b, a, W.transpose(1, 2))
                a = self.act.forward(a) if j < len(self.layers) - 1 else a
            outs.append(a)
        return torch.cat(outs, 1)

    def _loss_value(self, O: Tensor, Y: Tensor) -> Tensor:
        """(K,) mean loss of each model, as Run._evaluate's loss.value."""
        name = self.loss.name
        if name == "cross_entropy" and self.task == "binary":
            each = F.binary_cross_entropy_with_logits(O, Y.expand_as(O), reduction="none")
            return each.mean((1, 2))
        if name == "cross_entropy":
            each = F.cross_entropy(O.transpose(1, 2), Y.expand(len(O), -1), reduction="none")
            return each.mean(1)  # (K, N) -> (K,)
        if name == "mse" and self.task == "regression":
            return (O - Y).square().mean((1, 2))
        return torch.stack([self.loss.value(o, Y, self.task) for o in O])

    def _metrics(self, split: str) -> dict[str, Tensor]:
        """Run._evaluate's numbers for one split, each (K,)."""
        X, Y = (self.X, self.Y) if split == "train" else (self.X_test, self.Y_test)
        O, values = self._forward_eval(X), {}
        values[f"{split}_loss"] = self._loss_value(O, Y)
        if self.task == "regression":
            err = torch.sum((O - Y) ** 2, dim=(1, 2))
            values[f"{split}_r2"] = 1 - err / torch.sum((Y - Y.mean()) ** 2).clamp_min(1e-12)
            values[f"{split}_rmse"] = torch.sqrt(err / len(Y))
        else:
            guess = O.argmax(2) if self.task == "multiclass" else (O[..., 0] > 0).long()
            truth = Y if self.task == "multiclass" else Y[:, 0].long()
            values[f"{split}_acc"] = (guess == truth).float().mean(1)
        return values

    def _record(self, values: dict[str, Tensor]) -> None:
        """Append each live model's test metrics; a non-finite one, or non-finite weights, stop
        that model ("diverged"): it gets its last finite weights back and lr 0 from now on."""
        weights = (self.theta * self.mask).square().sum(1)  # Run also checks the weight norms
        table = torch.stack([*values.values(), weights], 1).tolist()  # (K, metrics + 1)
        for k in list(self.alive):
            if not all(math.isfinite(v) for v in table[k]):
                self.status[k] = "diverged"
                self.alive.remove(k)
                self.theta[k] = self.saved[k]
                self.opt.freeze(k)
                continue
            for key, v in zip(values, table[k]):
                self.history[k][key].append(v)
            self.saved[k] = self.theta[k]


def _layer_views(theta: Tensor, flat: Any) -> list[tuple[Tensor, Tensor]]:
    """Per Linear layer, views of the stacked flat parameters: W (K, out, in), b (K, 1, out)."""
    offsets, offset = {}, 0
    for name, (value, _) in flat.views.items():
        offsets[name] = (offset, value.shape)
        offset += value.numel()
    layers = []
    for name, (o, shape) in offsets.items():
        if name.endswith(".weight"):
            bo, _ = offsets[name[:-len("weight")] + "bias"]
            W = theta[:, o:o + shape.numel()].view(len(theta), *shape)
            layers.append((W, theta[:, bo:bo + shape[0]].view(len(theta), 1, shape[0])))
    return layers


def _gather(rows: Tensor, index: Tensor) -> Tensor:
    """rows (n, ...) and index (K, m) -> (K, m, ...); index_select beats 2-D fancy indexing."""
    return rows.index_select(0, index.reshape(-1)).view(*index.shape, *rows.shape[1:])


def _tensors(X: Any, y: Any, task: str) -> tuple[Tensor, Tensor]:
    Xt = torch.as_tensor(X, dtype=torch.float32)
    if task == "multiclass":
        return Xt, torch.as_tensor(y, dtype=torch.long)
    return Xt, torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
