"""The order training visits the points in: each epoch, one seeded permutation of the training
set, cut into contiguous batches.

No DataLoader: the data lives as whole tensors and each epoch is one `randperm` from a CPU
generator seeded with the model's seed (so every device sees the same batches), one gather, then
contiguous slices. A stack of K models (a sweep) gets one permutation per model, from one
generator per distinct seed (models with the same seed share their order), and batches with a
leading model axis: inputs (K, B, in).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor

GATHER_MAX = 2**24  # gathered floats: an epoch's batches at once below this, else per step


class Batches:
    """The batches of X (n, in) and Y (n, ...) for one seed, or for a stack's seeds (a list)."""

    def __init__(self, X: Tensor, Y: Tensor, seeds: int | Sequence[int]):
        self.X, self.Y = X, Y
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
        perms = [torch.randperm(n, generator=g) for g in self.generators]
        perm = perms[0] if self.rows is None else torch.stack(perms).index_select(0, self.rows)
        perm = perm.to(self.X.device, non_blocking=True)  # (n,) or (K, n)
        axis = perm.dim() - 1  # the batch axis of the gathered tensors
        starts = [s for s in range(0, n, size) if not (skip_single and n - s == 1)]
        if perm.numel() * self.X.shape[-1] <= GATHER_MAX:  # one gather, then contiguous slices
            X, Y = _gather(self.X, perm), _gather(self.Y, perm)
            for s in starts:
                length = min(size, n - s)
                yield X.narrow(axis, s, length), Y.narrow(axis, s, length)
        else:
            for s in starts:
                index = perm.narrow(axis, s, min(size, n - s))
                yield _gather(self.X, index), _gather(self.Y, index)


def _gather(rows: Tensor, index: Tensor) -> Tensor:
    """rows (n, ...) and index (m,) or (K, m) -> (m, ...) or (K, m, ...)."""
    return rows.index_select(0, index.reshape(-1)).view(*index.shape, *rows.shape[1:])
