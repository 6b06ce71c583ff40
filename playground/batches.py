"""The order training visits the points in: each epoch, one seeded permutation of the training
set, cut into contiguous batches; or, in the fixed order, TensorFlow Playground's.

No DataLoader: the data lives as whole tensors and each epoch is one `randperm` from a CPU
generator seeded with the model's seed (so every device sees the same batches), one gather, then
contiguous slices. A stack of K models (a sweep) gets one permutation per model, from one
generator per distinct seed (models with the same seed share their order), and batches with a
leading model axis: inputs (K, B, in).

The fixed order (`fixed=True`) is TensorFlow Playground's (its `oneStep`): every epoch visits
the training set in its stored order and updates after every `size` points counted from the
epoch's start; the points left over at the end of an epoch (n mod size) are not dropped but
join the next epoch's first batch, which is then longer. TF Playground accumulates their
gradients with the weights that hold until that update, so one batch of the two is the same
step. An epoch's leftover points stay pending: their step comes with the next epoch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor

GATHER_MAX = 2**24  # gathered floats: an epoch's batches at once below this, else per step


class Batches:
    """The batches of X (n, in) and Y (n, ...) for one seed, or for a stack's seeds (a list)."""

    def __init__(self, X: Tensor, Y: Tensor, seeds: int | Sequence[int], fixed: bool = False):
        self.X, self.Y, self.fixed = X, Y, fixed
        self.carried = 0  # fixed order: points of the last epoch waiting for the next one's step
        self.stacked = not isinstance(seeds, int)
        distinct = sorted(set(seeds)) if self.stacked else [seeds]
        self.generators = [torch.Generator().manual_seed(s) for s in distinct]
        # each model's row among the distinct seeds' permutations
        self.rows = torch.tensor([distinct.index(s) for s in seeds]) if self.stacked else None

    @property
    def generator(self) -> torch.Generator:
        """The single model's generator (its dropout masks on the CPU draw from it too)."""
        return self.generators[0]

    def epoch(self, size: int, skip_single: bool = False) -> Iterator[tuple[Tensor, Tensor]]:
        """The next epoch's batches of `size` points (the last one shorter); `skip_single` leaves
        out a last batch of one point (batch norm cannot normalise it)."""
        n = len(self.X)
        size = min(size, n)
        if self.fixed:
            yield from self._fixed(size)
            return
        perms = [torch.randperm(n, generator=g) for g in self.generators]
        perm = perms[0] if self.rows is None else torch.stack(perms).index_select(0, self.rows)
        perm = perm.to(self.X.device, non_blocking=True)  # (n,) or (K, n)
        axis = perm.dim() - 1  # the batch axis of the gathered tensors
        starts = [s for s in range(0, n, size) if not (skip_single and n - s == 1)]
        if perm.numel() * self.X.shape[-1] <= GATHER_MAX:  # one gather, then contiguous slices
            X, Y = _gather(self.X, perm), _gather(self.Y, perm)
            # All the slices in one call: at batch 1 a slice per step from Python cost as much
            # as a quarter of the step's arithmetic.
            yield from zip(X.split(size, axis)[:len(starts)], Y.split(size, axis)[:len(starts)],
                           strict=True)
        else:
            for s in starts:
                index = perm.narrow(axis, s, min(size, n - s))
                yield _gather(self.X, index), _gather(self.Y, index)


    def _fixed(self, size: int) -> Iterator[tuple[Tensor, Tensor]]:
        X, Y, n = self.X, self.Y, len(self.X)
        carried, self.carried = self.carried, n % size
        stop = n - n % size
        for s in range(0, stop, size):
            if s == 0 and carried:  # last epoch's leftover points, then this epoch's first
                yield (torch.cat([X[n - carried:], X[:size]]), torch.cat([Y[n - carried:], Y[:size]]))
            else:
                yield X[s:s + size], Y[s:s + size]

    def forget(self) -> None:
        """Drop the leftover points waiting for the next epoch (the weights they were computed
        with were replaced)."""
        self.carried = 0


def _gather(rows: Tensor, index: Tensor) -> Tensor:
    """rows (n, ...) and index (m,) or (K, m) -> (m, ...) or (K, m, ...)."""
    return rows.index_select(0, index.reshape(-1)).view(*index.shape, *rows.shape[1:])
