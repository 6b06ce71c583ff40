"""Stacked training: K models of one shape trained at once, for sweeps (see playground.sweep).

The K models' flat parameters are the rows of one (K, P) tensor and the library's own maths runs
on it with a leading model axis: the passes of nn/passes.py (batched matmuls), the losses and
metrics, `optim.Update` with per-model (K, 1) hyper-parameters, and batches.py's batch order
with one permutation per model. Each model is the model `train(config)` would produce, to
float32 rounding: same initial weights, batch order, loss gradient, penalties, optimizer and
evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from .batches import Batches
from .config import Config
from .datasets import Data
from .device import cpu_threads_for, dtype_for, flush_denormals
from .nn import metrics
from .nn.losses import resolve_loss, targets
from .nn.model import model_for
from .nn.optim import Update, epoch_lr, make_optimizer, per_model
from .nn.passes import Network

CPU = torch.device("cpu")


class Stack:
    """K models with the same shapes, data and batch size, trained as one."""

    def __init__(self, configs: list[Config], data: Data):
        c, self.configs, self.task = configs[0], configs, data.task
        dtype = dtype_for(c)
        built = [model_for(m, data.n_features, dtype=dtype) for m in configs]
        model, flat = built[0]
        self.theta = torch.stack([f.theta for _, f in built])  # (K, P)
        self.grad = torch.zeros_like(self.theta)
        self.mask = flat.weight_mask  # (P,) 1 on Linear weights
        self.net = Network(model, c.activation, flat.views_of(self.theta),
                           flat.views_of(self.grad))
        self.loss = resolve_loss(c.loss, self.task)
        rule = make_optimizer(c.optimizer, self.theta,
                              per_model([m.momentum for m in configs], dtype))
        self.update = Update(self.theta, self.grad, self.mask, rule, configs)
        self.X = torch.as_tensor(data.transform(data.X_train, np.float64), dtype=dtype)
        self.Y = targets(data.y_train, self.task, dtype, CPU)
        self.X_test = torch.as_tensor(data.transform(data.X_test, np.float64), dtype=dtype)
        self.Y_test = targets(data.y_test, self.task, dtype, CPU)
        self.order = Batches(self.X, self.Y, [m.seed for m in configs], fixed=c.order == "fixed")
        self.epoch = 0
        self.alive = list(range(len(configs)))  # models still training
        self.status = ["finished"] * len(configs)
        self.history = [{k: [] for k in metrics.metric_keys(self.task, ("test",))}
                        for _ in configs]
        self.saved = self.theta.clone()  # the weights at the end of the last finite epoch
        self._record(self._metrics("test"))

    def fit(self, progress: Callable[[int], bool]) -> Stack:
        """Train every model; `progress(k)` after each epoch of k models, False stops."""
        with cpu_threads_for(self.configs[0], CPU, len(self.configs)), flush_denormals(), \
                torch.no_grad():
            self._fit(progress)
            self.theta.copy_(self.saved)  # diverged models: their last finite weights
            train = self._metrics("train")
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

    def _train_epoch(self) -> None:
        e, alive = self.epoch, set(self.alive)
        # train()'s Python lr per model; 0 holds a diverged model still
        lr = per_model([epoch_lr(m, e) if k in alive else 0.0
                        for k, m in enumerate(self.configs)])
        for x, y in self.order.epoch(self.configs[0].batch_size):
            self.net.gradient(x, y, self.loss, self.task)
            self.update.step(lr)
        self.epoch += 1

    def _metrics(self, split: str) -> dict[str, Tensor]:
        """Run's evaluation of one split, for every model: "<split>_loss", ..., each (K,)."""
        X, Y = (self.X, self.Y) if split == "train" else (self.X_test, self.Y_test)
        values = metrics.evaluate(self.net.evaluate(X), Y, self.loss, self.task)
        return {f"{split}_{k}": v for k, v in values.items()}

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
                self.update.rule.reset(k)  # its running averages hold the overflow
                continue
            for key, v in zip(values, table[k]):
                self.history[k][key].append(v)
            self.saved[k] = self.theta[k]
