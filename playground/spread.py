"""A bounded list of items kept at indices spread evenly over a run of unknown length.

An index is kept when it is a multiple of `stride` (the first one always is). When more than
`limit` items are held the stride doubles and every item off the new stride goes (every other
one), so the kept indices stay evenly spaced from the first, however long the run grows. The
replay keeps epochs this way (snapshots.py), the loss landscape optimizer steps (landscape.py).
"""

from __future__ import annotations

import math
from typing import Any


class Spread:
    def __init__(self, limit: int, planned: int = 1):
        """Room for `limit` items; the stride starts where `planned` indices fit without
        thinning (each thinning throws away items kept for nothing)."""
        if limit < 2:
            raise ValueError("a spread needs room for at least 2 items")
        self.limit = limit
        self.stride = max(1, math.ceil(planned / (limit - 1)))
        self.items: list[tuple[int, Any]] = []

    def wants(self, index: int) -> bool:
        """Whether this index is to be kept (cheap: the caller makes the item only if so)."""
        return not self.items or index % self.stride == 0

    def go_back(self, index: int) -> None:
        """Forget the items at `index` or later (a run that went back to an earlier point)."""
        while self.items and self.items[-1][0] >= index:
            self.items.pop()

    def add(self, index: int, item: Any) -> None:
        """Keep `item` at `index` (after the last item kept), thinning if the list is full."""
        self.items.append((index, item))
        while len(self.items) > self.limit:
            self.stride *= 2
            first = self.items[0]  # the list always starts where recording started
            self.items = [first] + [s for s in self.items[1:] if s[0] % self.stride == 0]
