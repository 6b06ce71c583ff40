"""The loss landscape: the training loss over a 2-D slice of weight space, with runs' paths on it.

A model with exactly two parameters (the 1-D line data with no hidden layer: slope and bias)
gets its true loss surface: the grid's coordinates are the two parameters themselves. Any other
network gets a slice through an origin along two directions d₁, d₂ (flat weight vectors):
- "path": the two principal directions of the recorded trajectory around the origin (the top
  right singular vectors of the weights minus the origin), so the path lies near the slice;
- "random": filter-normalised random directions (Li et al., "Visualizing the Loss Landscape of
  Neural Nets", 2018): each row of each weight matrix (one unit's incoming weights) is scaled
  to the norm of the same row of the origin's weights, biases left at 0.
A grid point (x, y) is the network with weights origin + x d₁ + y d₂. Each row of the grid is
evaluated as one stack of models (nn/passes.py's stacked evaluation pass and the losses'
per-model means, as sweeps use them), so a 41 × 41 slice costs 41 batched passes. Paths are
projected onto the slice (least squares); each projected point also gets the loss on the
slice, which is where the path is drawn.

The loss is the set-up's training loss (without the L1/L2 penalties, as the history reports
it) on at most MAX_POINTS training points, in eval mode (dropout off). Batch norm is refused:
its running statistics belong to the weights the run reached, not to the rest of the slice.

What a landscape costs is bounded (`plan`): grid points x training points x parameters stays
under MAX_WORK (about a second on one core); a large network gets fewer training points, then
a coarser grid, and one too large for even that is refused with a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from .config import Config
from .datasets import Data
from .device import dtype_for
from .nn.losses import resolve_loss, targets
from .nn.model import model_for
from .nn.passes import Network

if TYPE_CHECKING:
    from .train import Run

RESOLUTION = 41  # grid points per axis
MAX_POINTS = 2000  # training points the loss is measured on (the first: the data is shuffled)
MIN_POINTS = 100  # fewer would make the surface a different loss than the run's
COARSE = 21  # the grid a large network gets before it is refused
MAX_WORK = 4e9  # grid points x training points x parameters: ~0.3-1 s on one core
METHODS = ("path", "random")
PAD = 0.25  # the box reaches this share of the paths' extent beyond them on each side
ASPECT = 0.4  # the narrower axis of the box spans at least this share of the wider one
VIEW = 3.0  # the box follows a path while its loss is at most this many times the start's


@dataclass(frozen=True)
class PathOnSlice:
    steps: np.ndarray  # (n,) optimizer steps of the recorded weights
    coords: np.ndarray  # (n, 2) their projection onto the slice
    loss: np.ndarray  # (n,) the loss on the slice at those coordinates (where the path is drawn)
    true_loss: np.ndarray  # (n,) the loss at the recorded weights themselves


@dataclass(frozen=True)
class Landscape:
    xs: np.ndarray  # (nx,) coordinates along d₁ (or the first parameter)
    ys: np.ndarray  # (ny,)
    loss: np.ndarray  # (ny, nx): loss[i, j] at origin + xs[j] d₁ + ys[i] d₂
    origin: np.ndarray  # (P,)
    directions: np.ndarray  # (2, P)
    axes: tuple[str, str]  # what the two coordinates are, for the axis titles
    paths: dict[str, PathOnSlice]
    method: str  # "exact" (two parameters), "path" or "random"
    points: int  # the training points the loss is measured on
    explained: tuple[float, float] | None = None  # "path": share of the movement along each
    # "exact" with mean squared error: (slope, bias, loss) of the least-squares line
    optimum: tuple[float, float, float] | None = None

    @property
    def minimum(self) -> tuple[float, float, float]:
        """(x, y, loss) of the grid's lowest point."""
        i, j = np.unravel_index(int(np.nanargmin(self.loss)), self.loss.shape)
        return float(self.xs[j]), float(self.ys[i]), float(self.loss[i, j])


def plan(parameters: int, n_train: int, resolution: int = RESOLUTION,
         path_models: int = 0) -> tuple[int, int]:
    """(grid points per axis, training points) for a landscape of a network with `parameters`
    weights, whose paths add `path_models` evaluations, that stays under MAX_WORK; ValueError
    when even the coarse grid on MIN_POINTS points would not."""
    least = min(n_train, MIN_POINTS)
    for res in dict.fromkeys((resolution, min(resolution, COARSE))):
        models = res * res + path_models
        points = min(n_train, MAX_POINTS, int(MAX_WORK / (models * parameters)))
        if points >= least:
            return res, points
    most = int(MAX_WORK / ((COARSE * COARSE + path_models) * least))
    raise ValueError(f"this network has {parameters:,} weights, too many for a loss landscape "
                     f"here (at most {most:,}): it would take too long to compute")


class Loss:
    """The training loss of `config`'s network at any flat weights: (K, P) -> (K,), measured
    on the first `points` training points."""

    def __init__(self, config: Config, data: Data, points: int = MAX_POINTS):
        if config.batchnorm:
            raise ValueError("the loss landscape is not drawn for networks with batch norm: its "
                             "running statistics belong to the weights the run reached")
        self.config, self.data = config, data
        self.dtype = dtype_for(config)
        self.model, self.flat = model_for(config, data.n_features, dtype=self.dtype)
        self.loss = resolve_loss(config.loss, data.task)
        self.name = self.loss.name
        self.X = torch.from_numpy(data.transform(data.X_train[:points],
                                                 np.float64 if self.dtype == torch.float64
                                                 else np.float32))
        self.Y = targets(data.y_train[:points], data.task, self.dtype, "cpu")

    @torch.inference_mode()
    def __call__(self, thetas: np.ndarray) -> np.ndarray:
        theta = torch.as_tensor(np.atleast_2d(thetas), dtype=self.dtype)  # (K, P)
        net = Network(self.model, self.config.activation, self.flat.views_of(theta))
        return self.loss.value(net.evaluate(self.X), self.Y, self.data.task).double().numpy()

    def grid(self, origin: np.ndarray, directions: np.ndarray, xs: np.ndarray,
             ys: np.ndarray) -> np.ndarray:
        """(len(ys), len(xs)) losses, one row of the grid per batched evaluation."""
        along = xs[:, None] * directions[0]  # (nx, P)
        return np.stack([self(origin + along + y * directions[1]) for y in ys])


# ---- directions ------------------------------------------------------------------------------
def path_directions(weights: np.ndarray, origin: np.ndarray,
                    seed: int = 0) -> tuple[np.ndarray, tuple[float, float]]:
    """The two principal directions (2, P) of the weights (n, P) around `origin`, each signed
    so that the first weights lie on its negative side, and the share of the movement along
    each. A path along one line gets a second direction at random, orthogonal to the first."""
    _, s, vt = np.linalg.svd(weights - origin, full_matrices=False)
    d = vt[:2].copy()
    if len(s) < 2 or s[1] <= 1e-9 * s[0]:
        other = np.random.default_rng(seed).standard_normal(origin.shape)
        other -= (other @ d[0]) * d[0]
        d = np.stack([d[0], other / np.linalg.norm(other)])
        s = np.append(s[:1], 0.0)
    d *= np.where((weights[0] - origin) @ d.T > 0, -1.0, 1.0)[:, None]
    share = s ** 2 / max(float(np.sum(s ** 2)), 1e-300)
    return d, (float(share[0]), float(share[1]))


def random_directions(config: Config, data: Data, origin: np.ndarray,
                      seed: int = 0) -> np.ndarray:
    """Two filter-normalised random directions (2, P) at `origin` (Li et al., 2018)."""
    layout = model_for(config, data.n_features)[1].layout
    d = np.random.default_rng(seed).standard_normal((2, origin.size))
    for name, (offset, shape) in layout.items():
        block = slice(offset, offset + shape.numel())
        if name.endswith(".weight") and len(shape) == 2:
            rows = (-1, shape[1])  # one row per unit: its incoming weights
            w, r = origin[block].reshape(rows), d[:, block].reshape(2, *rows)
            r *= np.linalg.norm(w, axis=1)[:, None] / np.linalg.norm(r, axis=2, keepdims=True)
            d[:, block] = r.reshape(2, shape.numel())
        else:
            d[:, block] = 0.0
    return d


# ---- the slice -------------------------------------------------------------------------------
def _axis(lo: float, hi: float, n: int, through_zero: bool) -> np.ndarray:
    """n coordinates covering [lo, hi]; with `through_zero`, 0 is one of them exactly (the
    origin's loss sits on a grid point)."""
    if not through_zero:
        return np.linspace(lo, hi, n)
    h = (hi - lo) / (n - 2)
    start = int(np.floor(lo / h))
    return h * np.arange(start, start + n)


def _box(coords: np.ndarray, least: float) -> tuple[np.ndarray, np.ndarray]:
    """Per axis (lo, hi): the points (m, 2) padded by PAD of their extent, at least `least`
    wide on each side of their middle, and at least ASPECT of the other axis's width (both
    axes measure the same weights: a valley keeps its shape)."""
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    half = np.maximum((hi - lo) * (0.5 + PAD), least)
    half = np.maximum(half, ASPECT * half.max())
    mid = (lo + hi) / 2
    return mid - half, mid + half


def _slice(loss: Loss, paths: dict[str, tuple[np.ndarray, np.ndarray]], origin: np.ndarray,
           method: str, seed: int, resolution: int) -> Landscape:
    everything = np.concatenate([w for _, w in paths.values()])  # (n, P)
    explained, names = None, ("direction 1", "direction 2")
    if method == "exact":
        directions = np.eye(2)
        names = (("weight W₁ (slope)", "bias b₁ (intercept)")
                 if loss.data.task == "regression" else ("weight W₁", "bias b₁"))
    elif method == "path":
        directions, explained = path_directions(everything, origin, seed)
        names = tuple(f"direction {k + 1} ({share:.0%} of the path's movement)"
                      for k, share in enumerate(explained))
    elif method == "random":
        directions = random_directions(loss.config, loss.data, origin, seed)
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    project = np.linalg.pinv(directions.T)  # (2, P): least-squares coordinates on the slice
    coords = {name: (w - origin) @ project.T for name, (_, w) in paths.items()}
    true_loss = {name: loss(w) for name, (_, w) in paths.items()}
    # The view holds every path while its loss stays within VIEW times the highest start: a
    # run that diverges is followed as it leaves, not until its weights are far away.
    ceiling = VIEW * max(float(t[0]) for t in true_loss.values())
    through = np.zeros((0 if method == "exact" else 1, 2))  # the origin's weights
    points = np.concatenate([through] + [
        c[(t <= ceiling) | (np.arange(len(t)) == 0)] for c, t in
        zip(coords.values(), true_loss.values(), strict=True)])
    optimum = _optimum(loss) if method == "exact" else np.zeros((0, 2))
    points = np.concatenate([points, optimum])
    if method == "random":  # Li et al.'s unit box, grown to hold the paths
        points = np.concatenate([points, [[-1.0, -1.0], [1.0, 1.0]]])
    extent = float(np.abs(points).max()) or 1.0
    lo, hi = _box(points, 0.05 * extent)
    xs, ys = (_axis(lo[k], hi[k], resolution, method != "exact") for k in range(2))
    on_slice = {name: PathOnSlice(steps, coords[name],
                                  loss(origin + coords[name] @ directions), true_loss[name])
                for name, (steps, _) in paths.items()}
    best = None
    if len(optimum):
        best = (float(optimum[0, 0]), float(optimum[0, 1]), float(loss(optimum)[0]))
    return Landscape(xs, ys, loss.grid(origin, directions, xs, ys), origin, directions, names,
                     on_slice, method, len(loss.X), explained, best)


def _optimum(loss: Loss) -> np.ndarray:
    """(0, 2) or (1, 2): the least-squares line, where mean squared error is lowest."""
    if loss.name != "mse" or loss.data.task != "regression":
        return np.zeros((0, 2))
    X = np.column_stack([loss.X.double().numpy(), np.ones(len(loss.X))])
    return np.linalg.lstsq(X, loss.Y.double().numpy()[:, 0], rcond=None)[0][None, :]


def _planned(config: Config, data: Data, paths: dict[str, tuple[np.ndarray, np.ndarray]],
             origin: np.ndarray, method: str, seed: int, resolution: int) -> Landscape:
    """`_slice` on as many training points and grid points as MAX_WORK allows."""
    along = 2 * sum(len(steps) for steps, _ in paths.values())  # each path point, twice
    res, points = plan(origin.size, len(data.y_train), resolution, along)
    return _slice(Loss(config, data, points), paths, origin, method, seed, res)


def two_parameters(run: Run) -> bool:
    return run.params.theta.numel() == 2


def landscape(run: Run, method: str = "path", *, seed: int = 0,
              resolution: int = RESOLUTION) -> Landscape:
    """The loss around the run's current weights, with its recorded path (`record_path`).
    A two-parameter model gets its whole surface ("exact") whatever `method` says."""
    steps, weights = run.path
    if len(steps) < 2:
        raise ValueError("the run has no path yet: record it (record_path) and train a step")
    exact = two_parameters(run)
    origin = np.zeros(2) if exact else weights[-1]
    return _planned(run.config, run.data, {"path": (steps, weights)}, origin,
                    "exact" if exact else method, seed, resolution)


# ---- optimizers on one surface ---------------------------------------------------------------
def race_configs(config: Config) -> dict[str, Config]:
    """The set-up with plain SGD, momentum, Adam, and SGD at ten times the rate: the same
    data, seed (so the same start and batches) and everything else."""
    fast = min(10 * config.lr, 10.0)
    return {"SGD": config.replace(optimizer="sgd"),
            "momentum": config.replace(optimizer="momentum"),
            "Adam": config.replace(optimizer="adam"),
            f"SGD at {fast:g}": config.replace(optimizer="sgd", lr=fast)}


SURFACE_FIELDS = ("hidden", "activation", "batchnorm", "dropout", "resolved_loss", "precision")


def one_start(runs: dict[str, Run]) -> str | None:
    """Why these runs cannot share one slice, or None when they can: the same network and
    loss on the same data, each path recorded from the same weights."""
    first = next(iter(runs.values()))
    for run in runs.values():
        if any(getattr(run.config, f) != getattr(first.config, f) for f in SURFACE_FIELDS) \
                or not _same_data(run.data, first.data):
            return "the runs train different networks or on different data"
    paths = [run.path for run in runs.values()]
    if any(len(steps) < 2 for steps, _ in paths):
        return "a run has no recorded path yet"
    start = paths[0][1][0]
    if not all(np.allclose(w[0], start) for _, w in paths):
        return "the runs start from different weights"
    return None


def _same_data(a: Data, b: Data) -> bool:
    return a is b or (a.features == b.features and np.array_equal(a.X_train, b.X_train)
                      and np.array_equal(a.y_train, b.y_train)
                      and np.array_equal(a.mean, b.mean) and np.array_equal(a.std, b.std))


def race(runs: dict[str, Run], method: str = "path", *, seed: int = 0,
         resolution: int = RESOLUTION) -> Landscape:
    """One slice for several runs from the same start on the same data (`one_start`): through
    their common start, along the principal directions of all their paths together (or random
    ones)."""
    why_not = one_start(runs)
    if why_not:
        raise ValueError(why_not)
    first = next(iter(runs.values()))
    paths = {name: run.path for name, run in runs.items()}
    exact = two_parameters(first)
    origin = np.zeros(2) if exact else paths[next(iter(paths))][1][0]
    return _planned(first.config, first.data, paths, origin, "exact" if exact else method,
                    seed, resolution)
