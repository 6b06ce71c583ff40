"""A run's figures as pictures: the main view (boundary, fitted function, projection or fit) and
its training curves. Run and history in, PIL image out; the page's live view and the command
line's `--out` both draw with these. No streamlit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from ..datasets import Data, grid
from ..nn.metrics import headline, score
from . import raster

if TYPE_CHECKING:
    from ..train import Run

GRID = 120  # boundary heatmap resolution (GRID x GRID model evaluations)
TRAIN_RGB, TEST_RGB = (8, 119, 189), (228, 87, 46)  # the curves' colours, as charts.py's


def target_range(data: Data) -> tuple[float, float]:
    values = np.concatenate([data.y_train, data.y_test])
    return float(values.min()), float(values.max())


def main_view(run: Run, *, discretize: bool = False, show_test: bool = True,
              evaluation_grid: tuple | None = None, basis: tuple | None = None) -> Image.Image:
    """What the model does, drawn for its data: the decision boundary or predicted surface (2-D),
    the function or class probabilities (1-D), the test points on their first two principal
    axes (more inputs, classes) or predicted against true targets (more inputs, regression).
    `evaluation_grid` (datasets.grid(box, GRID)) and `basis` (raster.pca_basis) may be cached."""
    d = run.data
    if d.dim <= 2 and d.box is not None:
        xs, _, points = evaluation_grid or grid(d.box, GRID)
        p = run.predict(points)
        if d.dim == 1:
            return raster.function_image(d.box, xs, p, d.X_train, d.y_train, d.X_test, d.y_test,
                                         task=run.task, n_classes=d.n_classes,
                                         show_test=show_test)
        r = len(xs)
        shape = (r, r) if run.task != "multiclass" else (r, r, -1)
        probs = (p[:, 1] if run.task == "binary" else p).reshape(shape)
        return raster.boundary_image(
            d.box, probs, d.X_train, d.y_train, d.X_test, d.y_test, task=run.task,
            n_classes=d.n_classes, discretize=discretize, show_test=show_test,
            value_range=target_range(d) if run.task == "regression" else None)
    if run.task == "regression":  # e.g. an uploaded table with many numeric columns
        return raster.fit_image(d.y_test, run.predict(d.X_test))
    return raster.projection_image(d.X_test, d.y_test, run.predict(d.X_test).argmax(1),
                                   n_classes=d.n_classes,
                                   basis=basis or raster.pca_basis(np.asarray(d.X_train)))


def curves_image(history: dict, series: dict[str, str], *, ylabel: str,
                 log_y: bool = False) -> Image.Image:
    """history[key] against the epoch for each key in `series` (key -> label): the first in the
    train colour, the second in the test colour. A log axis plots log10 of the values."""
    epochs = np.asarray(history["epoch"], dtype=np.float64)
    curves = []
    for key in series:
        v = np.asarray(history[key], dtype=np.float64)
        curves.append(np.log10(np.maximum(v, 1e-8)) if log_y else v)
    finite = np.concatenate([c[np.isfinite(c)] for c in curves]) if curves else np.zeros(1)
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.06 * (hi - lo or 1.0)
    c = raster.Canvas((float(epochs[0]), float(max(epochs[-1], epochs[0] + 1))),
                      (lo - pad, hi + pad))
    c.grid_lines(raster.nice_ticks(*c.xr), raster.nice_ticks(*c.yr))
    colours = [TRAIN_RGB, TEST_RGB]
    for values, colour in zip(curves, colours, strict=False):
        c.line(epochs, values, colour, width=2)
    c.axes("epoch", f"log10 {ylabel}" if log_y else ylabel)
    c.legend([(label, colour, None) for label, colour in zip(series.values(), colours,
                                                              strict=False)])
    return c.result()


def metric_series(task: str) -> tuple[dict[str, str], str]:
    """The task's quality curves: accuracy, or R² for regression."""
    series = dict(score(task, split) for split in ("train", "test"))
    return series, headline(task).label

