"""Sweeps: a grid over one or two knobs x a few seeds, trained together, compared by final metrics.

    result = sweep(Config(dataset="moons", hidden=(16, 16), optimizer="adam", epochs=100),
                   {"lr": [0.003, 0.01, 0.03, 0.1]}, seeds=4)
    result.summary()  # per learning rate: mean and std of the test accuracy over the 4 seeds

Small networks are overhead-bound (GUIDE §4): a W1 step costs tens of microseconds, nearly all
of it per call. So the models of a sweep that share their shapes train as one *stack*: the K
models' flat parameters are the rows of one (K, P) tensor, each Linear layer is a (K, out, in)
view of it, forward and backward are batched matmuls (`torch.baddbmm`, `torch.bmm`), and one
stacked optimizer update per step moves all K models. What may differ inside a stack is per
model (PER_MODEL): seed (initial weights and batch order), init, lr, momentum, weight decay, L1,
clipping and the schedule, as (K, 1) tensors or per-model Python numbers. Stacks train one after
another; bench/sweep_speed.py times 16 W1 models at about 2x one run.

Each stacked model is the model `train(config)` would produce: initial weights from the
library's own `build_model(seed=...)`, its own batch order (a `torch.Generator` seeded with its
seed, one `randperm` per epoch), the same loss gradient, L1 / clipping / weight decay order and
optimizer rules as `Run._step` and optim.py, the same evaluation, and the same divergence rule
(a model whose metrics or weights turn non-finite stops, with its last finite weights). Batched
kernels round differently from single ones, so results agree to float32 rounding, not bit for
bit: the tests hold metrics within 1e-4 and weights within 1e-5 over a few epochs. Over long runs
at learning rates near divergence, training is chaotic and amplifies those roundings, so such a
model can end elsewhere than its train() twin (a different but equally valid sample).

What trains unstacked, through `train(config, data=data)` one model at a time (see
`fallback_reason`): batch norm, dropout, engine="numpy", a device that resolves to CUDA, and
early stopping (`patience`).

The section "Stacked training" below does not depend on the sweep API above it.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import FIELDS, MAX_STEPS, MAX_WORK, Config, ConfigError
from .datasets import Data
from .losses import resolve_loss
from .model import ACTIVATIONS, build_model, count_parameters
from .optim import OPTIMIZERS, lr_factor
from .train import AUTO_CUDA_FLOPS, choose_device, flops_per_step, load_data, train

_CONFIG_KNOBS = ("lr", "batch_size", "activation", "optimizer", "init", "momentum",
                 "weight_decay", "l1", "clip", "schedule", "step_size", "gamma", "epochs", "loss",
                 "hidden", "dropout", "batchnorm", "noise", "n_samples", "data_seed")
SWEEP_KNOBS: dict[str, str] = {  # knob -> help; seeds are not a knob but sweep()'s `seeds`
    "width": "Neurons in every hidden layer; the number of layers stays the base's.",
    "depth": "Number of hidden layers, each as wide as the base's first one.",
    **{k: FIELDS[k].metadata["help"] for k in _CONFIG_KNOBS},
}
MAX_MODELS = 64
STATUSES = ("finished", "diverged", "stopped", "early_stopped", "not run")
# Config fields that may differ between the models of one stack (all others must agree).
PER_MODEL = frozenset({"seed", "init", "lr", "momentum", "weight_decay", "l1", "clip", "schedule",
                       "step_size", "gamma"})
DATA_FIELDS = tuple(n for n, f in FIELDS.items() if f.metadata["group"] == "Data")
GATHER_MAX = 2**24  # floats: gather a whole epoch's batches at once below this, else per step
EVAL_FLOATS = 2**24  # floats of activations per evaluation chunk

Progress = Callable[[float], bool | None]


# ---- the result ----------------------------------------------------------------------------
@dataclass
class SweepResult:
    """One entry per model, in grid order (grid points in the axes' order, then seeds)."""

    base: Config
    axes: dict[str, list]
    seeds: list[int]
    configs: list[Config]
    points: list[dict[str, Any]]  # each model's knob values (one per axis)
    status: list[str] = field(default_factory=list)  # one of STATUSES
    final: list[dict[str, float]] = field(default_factory=list)  # metric_keys(task) -> value
    history: list[dict[str, list[float]]] = field(default_factory=list)  # test metrics by epoch
    params: list[Tensor | None] = field(default_factory=list)  # (P,) as run.params.theta
    stacks: list[list[int]] = field(default_factory=list)  # model indices trained together
    fallback: dict[int, str] = field(default_factory=dict)  # model index -> why it ran alone
    seconds: float = 0.0
    models: dict[int, nn.Sequential] = field(default_factory=dict)  # fallback runs' own models

    def __post_init__(self):
        """Every model starts "not run": NaN metrics, empty histories, no parameters."""
        n, task = len(self.configs), self.base.task
        self.status = self.status or ["not run"] * n
        self.final = self.final or [dict.fromkeys(metric_keys(task), math.nan) for _ in range(n)]
        self.history = self.history or [{k: [] for k in metric_keys(task, ("test",))}
                                        for _ in range(n)]
        self.params = self.params or [None] * n

    def set(self, i: int, status: str, final: dict[str, float],
            history: dict[str, list[float]], params: Tensor,
            model: nn.Sequential | None = None) -> None:
        self.status[i], self.final[i], self.params[i] = status, final, params
        self.history[i] = {k: list(v) for k, v in history.items()}
        if model is not None:  # keeps BatchNorm's running statistics, which params lack
            self.models[i] = model

    @property
    def task(self) -> str:
        return self.base.task

    @property
    def complete(self) -> bool:
        return all(s not in ("stopped", "not run") for s in self.status)

    def default_metric(self) -> str:
        return "test_acc" if self.task != "regression" else "test_r2"

    def table(self) -> pd.DataFrame:
        """One row per model: knob values, seed, status, epochs trained and final metrics."""
        rows = [{**p, "seed": c.seed, "status": s, "epochs": max(len(h["test_loss"]) - 1, 0),
                 **f}
                for p, c, s, f, h in zip(self.points, self.configs, self.status, self.final,
                                         self.history)]
        return pd.DataFrame(rows)

    def summary(self, metric: str | None = None) -> pd.DataFrame:
        """Per grid point: mean, std (over seeds, ddof 1: NaN with one seed), min, max, n."""
        metric = metric or self.default_metric()
        grouped = self.table().groupby(list(self.axes), sort=False)[metric]
        return grouped.agg(["mean", "std", "min", "max", "count"]).reset_index().rename(
            columns={"count": "n"})

    def pivot(self, metric: str | None = None, stat: str = "mean") -> pd.DataFrame:
        """A heatmap grid of one summary column: first axis down, second axis across."""
        s, names = self.summary(metric), list(self.axes)
        if len(names) == 1:
            return s.set_index(names[0])[[stat]]
        return s.pivot(index=names[0], columns=names[1], values=stat).reindex(
            index=self.axes[names[0]], columns=self.axes[names[1]])

    def best(self, metric: str | None = None) -> dict[str, Any]:
        """The grid point with the best mean: highest accuracy or R², lowest loss or RMSE."""
        metric = metric or self.default_metric()
        s = self.summary(metric).dropna(subset=["mean"])
        lower = metric.endswith(("loss", "rmse"))
        return s.loc[s["mean"].idxmin() if lower else s["mean"].idxmax()].to_dict()

    def model(self, i: int) -> nn.Sequential:
        """Model i as an nn.Sequential (eval mode), e.g. to draw its decision boundary."""
        c, theta = self.configs[i], self.params[i]
        if theta is None:
            raise ValueError(f"model {i} was not trained ({self.status[i]})")
        if i in self.models:
            return self.models[i].eval()
        net, flat = _build(c, c.n_inputs)
        flat.theta.copy_(theta)
        return net.eval()


# ---- the sweep -----------------------------------------------------------------------------
def sweep(base: Config, axes: dict[str, list], seeds: int | list[int] = 3,
          callback: Progress | None = None, data: Data | None = None) -> SweepResult:
    """Train every grid point of `axes` (one or two knobs of SWEEP_KNOBS) with every seed.

    `seeds`: a list, or a count n meaning base.seed, base.seed + 1, ... `callback(progress)`
    runs after every epoch of every stack (progress from 0 to 1); returning False stops the
    sweep (`result.complete` is then False). `data` overrides the data of every config.
    """
    start = time.perf_counter()
    axes = _check_axes(axes)
    seed_list = _check_seeds(base, seeds, math.prod(len(v) for v in axes.values()))
    grid = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    configs = [_config(base, p, s) for p in grid for s in seed_list]
    _check_budget(configs)
    result = SweepResult(base, axes, seed_list, configs, [p for p in grid for _ in seed_list])
    stacks, result.fallback = _plan(configs)
    result.stacks = list(stacks.values())
    _train_all(result, _Progress(callback, sum(c.epochs for c in configs)), data)
    result.seconds = time.perf_counter() - start
    return result


def _train_all(result: SweepResult, progress: _Progress, data: Data | None) -> None:
    """The stacks one after another, then the fallback configs one by one, until stopped."""
    configs, cache, keys = result.configs, {}, metric_keys(result.task)
    for index in result.stacks:
        if not progress.stopped:
            stack = _Stack([configs[i] for i in index], _data(configs[index[0]], data, cache))
            for i, outcome in zip(index, stack.fit(progress).outcomes()):
                result.set(i, *outcome)
            progress.reach(sum(configs[i].epochs for i in index))
    for i in result.fallback:
        if not progress.stopped:
            run = train(configs[i], progress.per_run, _data(configs[i], data, cache))
            result.set(i, run.status, {k: run.history[k][-1] for k in keys},
                       {k: run.history[k] for k in keys if k.startswith("test")},
                       run.params.theta.detach().cpu().clone(), run.model)
            progress.reach(configs[i].epochs)


def _check_seeds(base: Config, seeds: int | list[int], n_points: int) -> list[int]:
    seed_list = list(range(base.seed, base.seed + seeds)) if isinstance(seeds, int) else seeds
    n_models = n_points * len(seed_list)
    if not seed_list or n_models > MAX_MODELS:
        raise ConfigError({"sweep": f"{n_points} grid points x {len(seed_list)} seeds = "
                           f"{n_models} models; a sweep trains 1 to {MAX_MODELS}"})
    if len(set(seed_list)) != len(seed_list):
        raise ConfigError({"seeds": f"repeats a seed: {seed_list}"})
    return list(seed_list)


def _check_axes(axes: dict[str, list]) -> dict[str, list]:
    if not 1 <= len(axes) <= 2:
        raise ConfigError({"sweep": f"give one or two axes, not {len(axes)}"})
    for name, values in axes.items():
        if name not in SWEEP_KNOBS:
            hint = "; repeat seeds with seeds=" if name in ("seed", "seeds") else ""
            knobs = ", ".join(SWEEP_KNOBS)
            raise ConfigError({name: f"cannot be swept{hint}; sweep one of {knobs}"})
        if isinstance(values, (str, bytes)) or not len(values):
            raise ConfigError({name: "give a non-empty list of values"})
        if len(set(map(repr, values))) != len(values):
            raise ConfigError({name: f"repeats a value: {list(values)}"})
    if "hidden" in axes and {"width", "depth"} & set(axes):
        raise ConfigError({"hidden": "sweep hidden or width/depth, not both"})
    return {k: list(v) for k, v in axes.items()}


def _config(base: Config, point: dict[str, Any], seed: int) -> Config:
    """The grid point's config; a ConfigError names the point."""
    name = ", ".join(f"{k}={v!r}" for k, v in {**point, "seed": seed}.items())
    changes = {k: v for k, v in point.items() if k not in ("width", "depth")}
    if "width" in point or "depth" in point:
        width = point.get("width", base.hidden[0] if base.hidden else None)
        depth = point.get("depth", len(base.hidden))
        if isinstance(depth, bool) or not isinstance(depth, int) or (width is None and depth):
            raise ConfigError({f"point {name}": "depth needs a whole number of layers and a "
                               "width (base.hidden has none: add a width axis)"})
        changes["hidden"] = (width,) * depth
    try:
        return base.replace(**changes, seed=seed)
    except (ConfigError, TypeError) as e:
        errors = getattr(e, "errors", {"config": str(e)})
        raise ConfigError({f"point {name}: {k}": v for k, v in errors.items()}) from None


def _check_budget(configs: list[Config]) -> None:
    """The whole sweep gets one run's budget (config.MAX_STEPS and MAX_WORK), summed."""
    steps = sum(math.ceil(c.n_train / min(c.batch_size, c.n_train)) * c.epochs for c in configs)
    work = sum(c.n_train * c.epochs * count_parameters(c.sizes, c.batchnorm) for c in configs)
    if steps > MAX_STEPS:
        raise ConfigError({"sweep": f"{steps:,} optimizer steps over all models is more than "
                           f"the limit of {MAX_STEPS:,}; use fewer models, epochs or samples"})
    if work > MAX_WORK:
        raise ConfigError({"sweep": f"{work:.2g} point-epoch-weights over all models is more "
                           f"than the limit of {MAX_WORK:.0g}; use fewer models, epochs, "
                           "samples or neurons"})


def fallback_reason(c: Config) -> str | None:
    """Why `c` cannot train in a stack (None: it can)."""
    reasons = [(c.batchnorm, "batch norm"), (c.dropout > 0, "dropout"),
               (c.engine != "torch", "the numpy engine"),
               (getattr(c, "patience", 0) > 0, "early stopping"),
               (choose_device(c).type != "cpu", "a CUDA device")]
    return next((why for bad, why in reasons if bad), None)


def _plan(configs: list[Config]) -> tuple[dict[tuple, list[int]], dict[int, str]]:
    stacks: dict[tuple, list[int]] = {}
    fallback: dict[int, str] = {}
    for i, c in enumerate(configs):
        if why := fallback_reason(c):
            fallback[i] = why
        else:
            key = tuple(getattr(c, k) for k in FIELDS if k not in PER_MODEL)
            stacks.setdefault(key, []).append(i)
    return stacks, fallback


def _data(c: Config, given: Data | None, cache: dict[tuple, Data]) -> Data:
    if given is not None:
        return given
    key = tuple(getattr(c, k) for k in DATA_FIELDS)
    if key not in cache:
        cache[key] = load_data(c)
    return cache[key]


class _Progress:
    """Counts model-epochs done and asks the callback whether to go on."""

    def __init__(self, callback: Progress | None, total: int):
        self.callback, self.total, self.done, self.stopped = callback, max(total, 1), 0, False
        self.planned = 0  # model-epochs of the stacks and runs finished so far

    def reach(self, model_epochs: int) -> None:
        """A stack or run is over: count the epochs its diverged models skipped."""
        self.planned += model_epochs
        if not self.stopped and self.done < self.planned:
            self(self.planned - self.done)

    def __call__(self, model_epochs: int) -> bool:
        self.done += model_epochs
        if self.callback is not None and self.callback(min(self.done / self.total, 1.0)) is False:
            self.stopped = True
        return not self.stopped

    def per_run(self, run: Any) -> bool:
        return self(1)


# ==== Stacked training =======================================================================
def metric_keys(task: str, splits: tuple[str, ...] = ("train", "test")) -> list[str]:
    names = ["loss", "acc"] if task != "regression" else ["loss", "r2", "rmse"]
    return [f"{split}_{m}" for split in splits for m in names]


def _build(c: Config, n_in: int) -> tuple[nn.Sequential, Any]:
    return build_model(n_in, c.hidden, c.n_outputs, activation=c.activation, init=c.init,
                       batchnorm=c.batchnorm, dropout=c.dropout, seed=c.seed)


@contextlib.contextmanager
def _threads_for(flops: float) -> Iterator[None]:
    """One CPU thread for small stacks, as train.cpu_threads_for does for small runs."""
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


class _Stack:
    """K models with the same shapes, data and batch size, trained as one."""

    def __init__(self, configs: list[Config], data: Data):
        c, self.configs, self.task, K = configs[0], configs, data.task, len(configs)
        flats = [_build(m, data.n_features)[1] for m in configs]
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

    def fit(self, progress: _Progress) -> _Stack:
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

    def _fit(self, progress: _Progress) -> None:
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
