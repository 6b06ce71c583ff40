"""Replay snapshots: the model's output over the data's box at epochs spread evenly over a run.

Memory stays bounded however long the run: snapshots are kept at epochs spread evenly from the
first (`spread.Spread`: a stride that doubles when more than `max_snapshots` are held).
Each snapshot is a uint8 grid: probabilities (or regression predictions mapped from a fixed
range, `value_range`) scaled to 0..255, so 60 two-class snapshots at 64 x 64 take 240 kB.

Recording is nearly free: a kept epoch stores a copy of the flat parameters (and BatchNorm's
running statistics), a few microseconds, and its grid is drawn when `frames` is first read. A
grid's forward pass over 4,096 points cost ~0.2 ms on the benchmark's 2-16-16-1 network, +12%
on its 100-epoch run when drawn during training. Networks whose copies would pass LAZY_BYTES
are drawn at once instead (they have few epochs to spare anyway: the memory bound wins).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch

from .config import Config
from .datasets import Data, grid
from .nn.losses import predictions, resolve_loss
from .nn.passes import Network
from .spread import Spread


class Run(Protocol):
    """What snapshots read of a `train.Run` (a protocol, so this module needs no train.py)."""

    config: Config
    data: Data
    task: str
    epoch: int
    device: torch.device

    def inputs(self, X: np.ndarray) -> torch.Tensor: ...

    def state_tensors(self) -> list[torch.Tensor]: ...

    def network(self, state: State | None = None) -> Network: ...

MAX_SNAPSHOTS = 60
RESOLUTION = 64  # per axis on 2-D data; 1-D data gets RESOLUTION_1D points
RESOLUTION_1D = 200
CHUNK = 1024  # grid rows per forward pass
LAZY_BYTES = 32 * 2**20  # parameter copies kept at most (else grids are drawn when recorded)
State = tuple[torch.Tensor, ...]  # a copy of Run.state_tensors(): flat parameters, buffers


def value_range(data: Data) -> tuple[float, float]:
    """The range a snapshot's 0..255 maps to: [0, 1] for probabilities; for regression the
    training targets' range widened by a quarter on each side (outputs beyond it are clipped)."""
    if data.task != "regression":
        return 0.0, 1.0
    lo, hi = float(np.min(data.y_train)), float(np.max(data.y_train))
    pad = 0.25 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def encode(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    t = (np.asarray(values, dtype=np.float64) - lo) / (hi - lo)
    return np.rint(np.clip(np.nan_to_num(t, nan=0.5), 0.0, 1.0) * 255).astype(np.uint8)


def decode(grid_u8: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return lo + grid_u8.astype(np.float64) / 255 * (hi - lo)


class Snapshots(Spread):
    """The bounded, evenly spread list of (epoch, uint8 grid) kept by `Run.record_snapshots`.

    Grid layout (datasets.grid): 2-D data (r, r) with row i at y = ys[i], or (r, r, k) class
    probabilities for k > 2 classes; 1-D data (r,) or (r, k). Two-class grids hold P(class 1).
    `items` holds (epoch, grid) once drawn, (epoch, State) before.
    """

    def __init__(self, run: Run, max_snapshots: int = MAX_SNAPSHOTS, resolution: int = RESOLUTION):
        # Start at the stride the planned run needs, so a run of config.epochs never thins;
        # longer runs thin as they go.
        super().__init__(max_snapshots, planned=run.config.epochs)
        d = run.data
        r = resolution if d.dim == 2 else RESOLUTION_1D
        self.xs, self.ys, points = grid(d.box, r)
        self.shape = (r, r) if d.dim == 2 else (r,)
        self.value_range = value_range(d)
        self._inputs = run.inputs(points)  # (r*r, features)
        state_bytes = sum(t.numel() * t.element_size() for t in run.state_tensors())
        self.lazy = state_bytes * (max_snapshots + 1) <= LAZY_BYTES

    @torch.inference_mode()
    def grid(self, run: Run, state: State | None = None) -> np.ndarray:
        """The model's output over the box, as a uint8 grid: with its current weights, or with
        those of a `state` saved by `record`."""
        # in chunks: small buffers come from the heap, large ones are mapped and unmapped
        out = run.network(state).evaluate(self._inputs, rows=CHUNK)  # (points, outputs)
        values = predictions(out, run.task, resolve_loss(run.config.loss, run.task))
        if run.task == "binary":
            values = values[:, 1]  # P(class 1)
        elif run.task == "regression":
            lo, hi = self.value_range
            values = (values - lo) / (hi - lo)
        values = values.nan_to_num(0.5).clamp_(0.0, 1.0).mul_(255).round_().to(torch.uint8)
        return values.cpu().numpy().reshape(self.shape + tuple(values.shape[1:]))

    def record(self, run: Run) -> None:
        """Called after every recorded epoch; keeps it if it falls on the stride (a diverged
        run that went back replaces the epochs it lost)."""
        self.go_back(run.epoch)
        if self.wants(run.epoch):
            self.add(run.epoch, tuple(t.clone() for t in run.state_tensors()) if self.lazy
                     else self.grid(run))

    def frames(self, run: Run) -> list[tuple[int, np.ndarray]]:
        """The kept snapshots, plus the current model when its epoch fell off the stride."""
        self.items = [(epoch, kept if isinstance(kept, np.ndarray) else self.grid(run, kept))
                      for epoch, kept in self.items]
        if self.items and self.items[-1][0] == run.epoch:
            return list(self.items)
        return [*self.items, (run.epoch, self.grid(run))]

