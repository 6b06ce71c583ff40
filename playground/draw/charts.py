"""How many points a chart draws: long histories are thinned evenly before plotting (the panels'
Plotly figures in draw/plots.py and its neighbours; the live view's curves are drawn in the
browser from the whole history)."""

from __future__ import annotations

import numpy as np

MAX_POINTS = 400  # per series; longer histories are thinned evenly, keeping the last epoch


def thin(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most `limit` (+1) evenly spread entries of n, always with the first and last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.append(np.linspace(0, n - 1, limit).astype(np.int64), n - 1))
