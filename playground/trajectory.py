"""The path a run's weights take: the flat parameters at a bounded, evenly spread set of
optimizer steps (`Run.record_path = True`), for the loss landscape (landscape.py).

Recording is as cheap as the replay's: a kept step stores a copy of the flat parameters (one
`clone`, a few microseconds for the playground's networks), the others cost a modulo. At most
MAX_POINTS steps are kept, fewer for networks whose copies would pass MAX_BYTES.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from .config import Config
from .datasets import Data
from .nn.model import FlatParams
from .spread import Spread


class Run(Protocol):
    """What a trajectory reads of a `train.Run` (a protocol, so this module needs no train.py)."""

    config: Config
    data: Data
    params: FlatParams
    steps: int

MAX_POINTS = 400
MAX_BYTES = 8 * 2**20  # the copies a page's still copy of a run carries too


class Trajectory(Spread):
    def __init__(self, run: Run, max_points: int = MAX_POINTS):
        size = run.params.theta.numel() * run.params.theta.element_size()
        n = len(run.data.y_train)
        per_epoch = math.ceil(n / min(run.config.batch_size, n))
        super().__init__(max(2, min(max_points, MAX_BYTES // size)),
                         planned=run.steps + run.config.epochs * per_epoch)
        self.record(run)  # where recording starts: the path begins here

    def record(self, run: Run) -> None:
        """Called after every optimizer step; keeps the weights if the step is on the stride (a
        run put back to an earlier step, cut mid-epoch, forgets the steps it lost)."""
        self.go_back(run.steps)
        if self.wants(run.steps):
            self.add(run.steps, run.params.theta.detach().clone())

    def points(self, run: Run) -> tuple[np.ndarray, np.ndarray]:
        """(steps (n,), weights (n, P) float64) in step order, ending with the weights the model
        holds now (after early stopping or divergence: the ones put back, and the steps after
        them left out). Rows with a non-finite weight (an overflowing step) are left out."""
        kept = [(step, theta) for step, theta in self.items if step <= run.steps]  # not lost
        steps = [step for step, _ in kept]
        weights = [theta.cpu().double() for _, theta in kept]
        now = run.params.theta.detach().cpu().double()
        if not weights or not bool((weights[-1] == now).all()):
            steps.append(run.steps)
            weights.append(now)
        W = np.stack([w.numpy() for w in weights])
        finite = np.isfinite(W).all(axis=1)
        return np.asarray(steps, dtype=np.int64)[finite], W[finite]
