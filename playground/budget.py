"""What an action costs, estimated before it starts, and what a host allows for it.

The estimates come from per-operation costs measured on one core of a 2-core machine
(bench/cost_model.py prints each estimate next to the measured time): a training step has a
fixed cost (the kernels' launches) plus a cost per training point and weight (forward,
backward and update: about three multiply-adds each); an epoch also evaluates every point,
train and test, once. Memory counts the data, the weights with their gradients and optimizer
state, and the largest step's activations.

A `Profile` is what one host allows:
- "hosted" (the page's default): one click (Step, the learning-rate finder, both engines, the
  four optimizers) costs at most a few seconds of a core; one epoch of a live run at most
  EPOCH_S, so Pause answers within it and visitors' time slices stay short; one job's memory
  at most a stated share of a small machine;
- "local": one person on their own machine, with today's generous limits (Config's own).
`check_config` says which fields to change when a set-up does not fit; `check_click` does the
same for one click's work.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from .config import Config
from .datasets import DATASETS
from .nn.model import count_parameters
from .nn.passes import EVAL_FLOATS, TRAIN_FLOATS

# Seconds per operation on one core (bench/cost_model.py --fit; rounded up: an estimate is
# meant to err on the side of more).
STEP_S = 150e-6  # one optimizer step of a small network: launch-bound
TRAIN_S = 2.5e-10  # one training point x one weight: forward, backward and update
EVAL_S = 1.0e-10  # one evaluated point x one weight: forward only
EPOCH_S_FIXED = 400e-6  # per epoch: the evaluation's launches, the history
TERMS = ("steps", "train point-weights", "eval point-weights", "epochs")
FLOAT_BYTES = 4
ACTIVATION_COPIES = 4  # per hidden unit and batch row (z, a, and the backward's temporaries: bench/cost_model.py)
FINDER_STEPS = 200
RENDER_S = 0.1  # the page's script run without data (bench/cost_model.py --page)
RENDER_POINT_S = 0.5e-6  # per point: drawing it, sending it, the views' arrays
RENDER_EVALS = 2  # evaluations of every point in one script run
STACK_LAUNCH = 1.5  # a stacked step's launches against one model's (bench/cost_model.py)


def parameters(c: Config) -> int:
    return count_parameters(c.sizes, c.batchnorm)


def _batch(c: Config) -> int:
    return min(c.batch_size, c.n_train)


def steps_per_epoch(c: Config) -> int:
    return math.ceil(c.n_train / _batch(c))


def n_points(c: Config) -> int:
    """Train and test points together (the evaluation after each epoch reads all of them)."""
    return min(c.n_samples, DATASETS[c.dataset].max_samples or c.n_samples)


def epoch_terms(c: Config) -> tuple[float, float, float, float]:
    """What one epoch does, in TERMS' units."""
    p = parameters(c)
    return float(steps_per_epoch(c)), float(c.n_train * p), float(n_points(c) * p), 1.0


def epoch_seconds(c: Config) -> float:
    """One epoch of `Run.fit` on one core: its steps and the evaluation after them."""
    steps, train, evaluate, epochs = epoch_terms(c)
    return steps * STEP_S + train * TRAIN_S + evaluate * EVAL_S + epochs * EPOCH_S_FIXED


def run_seconds(c: Config, epochs: int | None = None) -> float:
    return epoch_seconds(c) * (c.epochs if epochs is None else epochs)


def stack_seconds(configs: list[Config]) -> float:
    """K models of one shape trained as one stack (playground/stacked.py): the launches once,
    a little dearer (batched kernels), the arithmetic K times."""
    c = configs[0]
    steps, train, evaluate, epochs = epoch_terms(c)
    launches = STACK_LAUNCH * (steps * STEP_S + epochs * EPOCH_S_FIXED)
    return c.epochs * (launches + len(configs) * (train * TRAIN_S + evaluate * EVAL_S))


def sweep_seconds(stacks: list[list[Config]], alone: list[Config]) -> float:
    """A sweep: its stacks, then the models that train alone (`playground.sweep.fallback_reason`)."""
    return sum(stack_seconds(s) for s in stacks if s) + sum(run_seconds(c) for c in alone)


def render_seconds(c: Config) -> float:
    """One script run of the page for this set-up, the first (its data drawn, the views'
    evaluations of every point: the errors tab, the diagram's pictures): per point, and per
    evaluated point x weight."""
    n = n_points(c)
    return RENDER_S + n * RENDER_POINT_S + RENDER_EVALS * n * parameters(c) * EVAL_S


def lr_finder_seconds(c: Config, steps: int = FINDER_STEPS) -> float:
    """The learning-rate finder: `steps` steps of one batch, each after the batch's loss."""
    b, p = _batch(c), parameters(c)
    return steps * (STEP_S + b * p * (TRAIN_S + EVAL_S))


def step_bytes(c: Config) -> float:
    """Peak memory of a run: data on both sides of the model, the weights (with gradient and
    two optimizer averages), one step's activations (of one chunk of a big batch: nn/passes.py's
    TRAIN_FLOATS), one evaluation chunk's."""
    widths = sum(c.sizes[1:])
    data = n_points(c) * (c.sizes[0] + 1) * FLOAT_BYTES * 2  # the raw and the model's inputs
    weights = parameters(c) * FLOAT_BYTES * 4
    chunked = not c.batchnorm and c.engine == "torch"  # nn/passes.py: big batches in chunks
    rows = min(_batch(c), TRAIN_FLOATS // sum(c.sizes)) if chunked else _batch(c)
    step = rows * (c.sizes[0] + widths * ACTIVATION_COPIES) * FLOAT_BYTES
    evaluate = min(n_points(c) * max(c.sizes[1:]), EVAL_FLOATS) * FLOAT_BYTES
    return float(data + weights + step + evaluate)


# ---- what a host allows ------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    name: str
    click_s: float  # one click's work (Step, the learning-rate finder, both engines, a race)
    epoch_s: float  # one epoch of a live run
    memory_bytes: float  # one job's peak memory
    about: str  # one sentence for the page and the README


PROFILES = {
    "hosted": Profile("hosted", click_s=5.0, epoch_s=1.0, memory_bytes=1.5 * 2**30,
                      about="sized for many visitors on one small server: a click costs at "
                            "most a few seconds, an epoch at most one"),
    "local": Profile("local", click_s=math.inf, epoch_s=math.inf, memory_bytes=math.inf,
                     about="for one person on their own machine: only the set-up's own "
                           "limits apply"),
}
ENV = "PLAYGROUND_PROFILE"


def profile(name: str | None = None) -> Profile:
    """The named profile; without a name, the one the environment variable PLAYGROUND_PROFILE
    names, else "hosted". An unknown name is an error that lists the known ones."""
    name = (name or os.environ.get(ENV) or "hosted").strip().lower()
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(PROFILES)}")
    return PROFILES[name]


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2g} s"
    if seconds < 3600:
        return f"{seconds / 60:.2g} minutes"
    return f"{seconds / 3600:.2g} hours"


def check_config(c: Config, p: Profile) -> dict[str, str]:
    """Field -> why this set-up does not fit the profile (empty when it does)."""
    errors: dict[str, str] = {}

    def refuse(msg: str, *fields: str) -> None:  # the first reason found for a field stays
        for field in fields:
            errors.setdefault(field, msg)

    epoch = epoch_seconds(c)
    if epoch > p.epoch_s:
        refuse(f"one epoch would take about {_duration(epoch)} of this server's time, more "
               f"than the {_duration(p.epoch_s)} it allows per epoch; use fewer samples or "
               "neurons, or a larger batch", "n_samples", "hidden")
    page = render_seconds(c)
    if page > p.click_s:
        refuse(f"drawing the page for it would take about {_duration(page)} of this server's "
               f"time, more than the {_duration(p.click_s)} it allows; use fewer samples or "
               "neurons", "n_samples", "hidden")
    memory = step_bytes(c)
    if memory > p.memory_bytes:
        refuse(f"training would need about {memory / 2**30:.2g} GB of memory, more than the "
               f"{p.memory_bytes / 2**30:.2g} GB this server allows per visitor; use fewer "
               "samples, a smaller batch or fewer neurons", "n_samples", "batch_size")
    return errors


def check_click(what: str, seconds: float, p: Profile,
                hint: str = "fewer samples, a smaller batch or fewer neurons") -> str | None:
    """Why `what` (e.g. "The learning-rate finder") cannot run here, or None when it can;
    `hint` says what to make smaller."""
    if seconds <= p.click_s:
        return None
    return (f"{what} would take about {_duration(seconds)} of this server's time, more than "
            f"the {_duration(p.click_s)} one click may use here. Try {hint}, or run the app on "
            "your own machine (the local profile).")
