"""Sweeps: a grid over one or two knobs x a few seeds, trained together, compared by final metrics.

    result = sweep(Config(dataset="moons", hidden=(16, 16), optimizer="adam", epochs=100),
                   {"lr": [0.003, 0.01, 0.03, 0.1]}, seeds=4)
    result.summary()  # per learning rate: mean and std of the test accuracy over the 4 seeds

Small networks are overhead-bound: a step of a 2-16-16-1 network costs tens of microseconds,
nearly all of it per call. So the models of a sweep that share their shapes train as one
*stack*: the K models' flat parameters are the rows of one (K, P) tensor, each Linear layer is a
(K, out, in) view of it, forward and backward are batched matmuls, and one update per step moves
all K models. What may differ inside a stack is per model (PER_MODEL): seed (initial weights and
batch order), init, lr, momentum, weight decay, L1, clipping and the schedule, as (K, 1) columns
or per-model Python numbers. Stacks train one after another; bench/sweep_speed.py times 16
models of that network at about 2x one run.

Each stacked model is the model `train(config)` would produce, because it is trained by the same
code: the library's maths takes a leading model axis (nn/passes.py, nn/losses.py, nn/metrics.py,
nn/optim.py's rules and `Update`, batches.py's order), and the divergence rule is the same (a
model whose metrics or weights turn non-finite stops, with its last finite weights). Batched
kernels round differently from single ones, so results agree to float32 rounding, not bit for
bit: the tests hold metrics within 1e-4 and weights within 1e-5 over a few epochs. Over long runs
at learning rates near divergence, training is chaotic and amplifies those roundings, so such a
model can end elsewhere than its train() twin (a different but equally valid sample).

What trains unstacked, through `train(config, data=data)` one model at a time (see
`fallback_reason`): batch norm, dropout, engine="numpy", a device that resolves to CUDA, and
early stopping (`patience`).

How a stack trains is in playground/stacked.py.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from torch import Tensor, nn

from .config import FIELDS, MAX_STEPS, MAX_WORK, Config, ConfigError, cost
from .datasets import DATASETS, Data
from .device import choose_device
from .nn.metrics import lower_is_better, metric_keys, score
from .nn.model import model_for
from .stacked import Stack
from .train import load_data, train

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
        self.epochs = [0] * n  # epochs each model trained
        # Hold the dataset's spec: an uploaded one stays in the registry while this result does.
        self._dataset_spec = DATASETS[self.base.dataset]

    def set(self, i: int, status: str, final: dict[str, float],
            history: dict[str, list[float]], params: Tensor,
            model: nn.Sequential | None = None) -> None:
        self.status[i], self.final[i], self.params[i] = status, final, params
        self.history[i] = {k: list(v) for k, v in history.items()}
        self.epochs[i] = max(len(self.history[i]["test_loss"]) - 1, 0)
        if model is not None:  # keeps BatchNorm's running statistics, which params lack
            self.models[i] = model

    @property
    def task(self) -> str:
        return self.base.task

    @property
    def complete(self) -> bool:
        return all(s not in ("stopped", "not run") for s in self.status)

    def default_metric(self) -> str:
        return score(self.task)[0]

    def table(self) -> pd.DataFrame:
        """One row per model: knob values, seed, status, epochs trained and final metrics."""
        rows = [{**p, "seed": c.seed, "status": s, "epochs": e, **f}
                for p, c, s, f, e in zip(self.points, self.configs, self.status, self.final,
                                         self.epochs)]
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
        return s.loc[s["mean"].idxmin() if lower_is_better(metric) else s["mean"].idxmax()
                     ].to_dict()

    def drop_weights(self) -> SweepResult:
        """Forget the trained weights (model() no longer works) and the per-epoch histories,
        keeping every final metric and the epochs trained: what a page keeps between reruns,
        since 64 models' weights and 10,000-epoch histories can take tens of megabytes."""
        self.params = [None] * len(self.configs)
        self.models = {}
        self.history = [{k: v[-1:] for k, v in h.items()} for h in self.history]
        return self

    def model(self, i: int) -> nn.Sequential:
        """Model i as an nn.Sequential (eval mode), e.g. to draw its decision boundary."""
        c, theta = self.configs[i], self.params[i]
        if theta is None and self.status[i] in ("not run", "stopped"):
            raise ValueError(f"model {i} was not trained ({self.status[i]})")
        if theta is None:
            raise ValueError(f"model {i}'s weights were dropped (drop_weights)")
        if i in self.models:
            return self.models[i].eval()
        net, flat = model_for(c, c.n_inputs)
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
    result = prepare(base, axes, seeds)
    _train_all(result, _Progress(callback, sum(c.epochs for c in result.configs)), data)
    result.seconds = time.perf_counter() - start
    return result


def prepare(base: Config, axes: dict[str, list], seeds: int | list[int] = 3) -> SweepResult:
    """The sweep checked and laid out (configs, stacks, fallbacks) but not trained: every model
    "not run". Raises the ConfigError sweep() would, so a page can refuse before training."""
    axes = _check_axes(axes)
    if base.tf_seed and "data_seed" in axes:
        raise ConfigError({"data_seed": "with a TF Playground seed the points do not depend on "
                                        "the data seed; sweep it without the TF seed"})
    seed_list = _check_seeds(base, seeds, math.prod(len(v) for v in axes.values()))
    grid = [dict(zip(axes, values)) for values in itertools.product(*axes.values())]
    configs = [_config(base, p, s) for p in grid for s in seed_list]
    _check_budget(configs)
    result = SweepResult(base, axes, seed_list, configs, [p for p in grid for _ in seed_list])
    stacks, result.fallback = _plan(configs)
    result.stacks = list(stacks.values())
    return result


def _train_all(result: SweepResult, progress: _Progress, data: Data | None) -> None:
    """The stacks one after another, then the fallback configs one by one, until stopped."""
    configs, cache, keys = result.configs, {}, metric_keys(result.task)
    for index in result.stacks:
        if not progress.stopped:
            stack = Stack([configs[i] for i in index], _data(configs[index[0]], data, cache))
            for i, outcome in zip(index, stack.fit(progress).outcomes()):
                result.set(i, *outcome)
            progress.reach(sum(configs[i].epochs for i in index))
    for i in result.fallback:
        if not progress.stopped:
            run = train(configs[i], progress.per_run, _data(configs[i], data, cache))
            result.set(i, run.status, {k: run.final[k] for k in keys},
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


def sweep_hidden(base: Config, point: dict[str, Any]) -> tuple:
    """The hidden layers of a grid point that sets width and/or depth: `width` keeps the base's
    number of layers (one layer when the base has none), `depth` the base's first width."""
    width = point.get("width", base.hidden[0] if base.hidden else None)
    depth = point.get("depth", max(len(base.hidden), 1 if "width" in point else 0))
    return (width,) * depth


def _config(base: Config, point: dict[str, Any], seed: int) -> Config:
    """The grid point's config; a ConfigError names the point."""
    name = ", ".join(f"{k}={v!r}" for k, v in {**point, "seed": seed}.items())
    changes = {k: v for k, v in point.items() if k not in ("width", "depth")}
    if "width" in point or "depth" in point:
        depth = point.get("depth", 0)
        hidden = () if isinstance(depth, bool) or not isinstance(depth, int) else (
            sweep_hidden(base, point))
        if hidden == () and depth or hidden and hidden[0] is None:
            raise ConfigError({f"point {name}": "depth needs a whole number of layers and a "
                               "width (base.hidden has none: add a width axis)"})
        changes["hidden"] = hidden
    try:
        return base.replace(**changes, seed=seed)
    except (ConfigError, TypeError) as e:
        errors = getattr(e, "errors", {"config": str(e)})
        raise ConfigError({f"point {name}: {k}": v for k, v in errors.items()}) from None


def _check_budget(configs: list[Config]) -> None:
    """The whole sweep gets one run's budget (config.MAX_STEPS and MAX_WORK), summed."""
    costs = [cost(c) for c in configs]
    steps, work = sum(s for s, _ in costs), sum(w for _, w in costs)
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
    return given if given is not None else load_data(c, cache)


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
