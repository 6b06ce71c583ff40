"""draw/charts.py: thinning long histories for the panels' charts."""

from __future__ import annotations

import numpy as np

from playground.draw import charts


def test_long_histories_are_thinned_evenly_keeping_the_ends():
    keep = charts.thin(10_000)
    assert keep[0] == 0 and keep[-1] == 9_999
    assert len(keep) <= charts.MAX_POINTS + 1
    gaps = np.diff(keep)
    assert gaps.max() - gaps.min() <= 1  # evenly spread


def test_short_histories_are_kept_whole():
    np.testing.assert_array_equal(charts.thin(37), np.arange(37))
    np.testing.assert_array_equal(charts.thin(5, limit=3), [0, 2, 4])
