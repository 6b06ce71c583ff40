"""Plotly figures: arrays and histories in, `go.Figure` out. No training, no torch, no streamlit.

The app redraws these several times a second while a model trains, so each builder takes a few
milliseconds and keeps its JSON small. plotly 7 writes numpy arrays as base64 typed arrays
("bdata"), so grids go as uint8 and coordinates as float32, never as lists; curves longer than
MAX_CURVE_POINTS are thinned; and figures carry an empty template (plotly's default adds
~6.5 KB to every message, Streamlit's ~3.4 KB; st.plotly_chart's theme restyles in the browser).
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

# TF Playground's orange and blue, then Tableau 10 without its own blue and orange.
CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
# Heatmap z on the wire is round(LEVELS * p) as uint8. Not 255: runs of 0xFF (p = 1) base64-
# encode to "////" and plotly escapes each "/" as "\u002f"; a trained 200x200 moons grid has
# 21,000 of them at 255 (+105 KB), 51 at 200.
LEVELS = 200
# Backgrounds reach only this share of a class colour (the rest white), so points drawn in the
# full colour stay visible on regions of their own class.
BACKGROUND = 0.7
MAX_CURVE_POINTS = 2000
HOVER_CELLS = 50  # the invisible grid that answers hover has about this many cells a side
TEST_OUTLINE = "#222222"
_WHITE = np.full(3, 255.0)


def class_colour(c: int) -> str:
    return CLASS_COLOURS[int(c) % len(CLASS_COLOURS)]


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def background_rgb(c: int) -> np.ndarray:
    """(3,) the background colour of class c at full confidence: its colour blended with white."""
    return _WHITE + BACKGROUND * (_rgb(class_colour(c)) - _WHITE)


# Orange (class 0, low values) through white to blue (class 1, high values), as in TF Playground.
DIVERGING = [[0.0, CLASS_COLOURS[0]], [0.5, "#ffffff"], [1.0, CLASS_COLOURS[1]]]
DIVERGING_BACKGROUND = [[at, "#" + "".join(f"{int(v):02x}" for v in np.rint(rgb))] for at, rgb
                        in ((0.0, background_rgb(0)), (0.5, _WHITE), (1.0, background_rgb(1)))]


_DIVERGING_STOPS = np.stack([_rgb(CLASS_COLOURS[0]), _WHITE, _rgb(CLASS_COLOURS[1])])  # (3, 3)


def diverging_rgb(t: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """t in [0, 1] (any shape) -> uint8 RGB (..., 3) on the orange-white-blue scale; `strength`
    below 1 fades the ends towards white, as the backgrounds do."""
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.5), 0.0, 1.0)
    ends = _WHITE + strength * (_DIVERGING_STOPS[[0, 2]] - _WHITE)  # (2, 3)
    low = _WHITE + (1 - 2 * np.minimum(t, 0.5))[..., None] * (ends[0] - _WHITE)
    high = (2 * np.maximum(t, 0.5) - 1)[..., None] * (ends[1] - _WHITE)
    return np.rint(low + high).astype(np.uint8)


def background_pixels(probs: np.ndarray, task: str, lo: float = 0.0, hi: float = 1.0,
                      discretize: bool = False) -> np.ndarray:
    """The model's output on the grid as colours (r, r, 3) uint8: P(class 1) or the value on the
    diverging scale, or the likeliest class's colour faded by its probability (multi-class)."""
    probs = np.asarray(probs)
    if task == "multiclass":
        best = probs.argmax(axis=2)  # (r, r)
        top = np.take_along_axis(probs, best[..., None], axis=2)[..., 0]
        return _class_pixels(probs.shape[2], best, top, discretize)
    if probs.ndim == 3:  # (r, r, 2) binary probabilities
        probs = probs[..., 1]
    t = (probs - lo) / (hi - lo)
    if discretize and task == "binary":
        t = np.where(probs >= 0.5, 1.0, 0.0)
    return diverging_rgb(t, BACKGROUND)


def _class_pixels(k: int, best: np.ndarray, top: np.ndarray, discretize: bool) -> np.ndarray:
    shades = 64  # per class: smooth enough, and a table lookup is fast
    confidence = np.clip((top - 1 / k) / (1 - 1 / k), 0.0, 1.0)  # (r, r)
    shade = np.rint(confidence * shades).astype(np.intp) if not discretize else shades
    full = np.stack([_rgb(class_colour(c)) for c in range(k)])  # (k, 3)
    t = np.linspace(0.0, BACKGROUND, shades + 1)[None, :, None]  # (1, shades + 1, 1)
    table = np.rint(_WHITE + t * (full[:, None, :] - _WHITE)).astype(np.uint8)  # (k, shades+1, 3)
    return table[best, shade]


def to_levels(values: np.ndarray, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """Values in [lo, hi] -> uint8 0..LEVELS (clipped; NaN to the middle): the heatmap's z."""
    scaled = (np.asarray(values, dtype=np.float32) - lo) * np.float32(LEVELS / (hi - lo))
    return np.clip(np.rint(np.nan_to_num(scaled, nan=LEVELS / 2)), 0, LEVELS).astype(np.uint8)


def png_data_uri(pixels: np.ndarray) -> str:
    """(h, w, 3) or (h, w) uint8 -> "data:image/png;base64,..." (zlib level 1: ~1 ms)."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _layout(height: int, title: str | None, legend: str = "right", **extra) -> dict:
    """Shared layout: no template, small margins; legend "right" (vertical), "top" or "none"."""
    spots = {"right": dict(x=1.02, y=1, yanchor="top", tracegroupgap=8, font=dict(size=11)),
             "top": dict(orientation="h", x=0, y=1, yanchor="bottom")}
    top = (30 if legend == "top" else 10) + (30 if title else 0)
    layout = dict(template={}, height=height, margin=dict(l=50, r=10, t=top, b=40),
                  showlegend=legend != "none", legend=spots.get(legend))
    if title:
        layout["title"] = dict(text=title, x=0, xanchor="left")
    return layout | extra


def _placement(box, r: int, step: int = 1) -> dict:
    """Cell centres of every step-th point of `datasets.grid(box, r)`, for heatmaps and images."""
    dx, dy = (box[1] - box[0]) / (r - 1), (box[3] - box[2]) / (r - 1)
    return dict(x0=box[0], dx=dx * step, y0=box[2], dy=dy * step)


def _thin(n: int, limit: int) -> np.ndarray:
    """Indices of at most `limit` evenly spread items of n, always the first and the last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))


def _scatter(x, y, name: str, marker: dict, hover: str, **extra) -> dict:
    return dict(type="scatter", x=x, y=y, mode="markers", name=name, marker=marker,
                hovertemplate=hover + "<extra></extra>", **extra)


def _outline(split: str) -> dict:
    """Train points have a white outline, test points a dark one (as in TF Playground)."""
    return dict(color="white", width=1) if split == "train" else dict(color=TEST_OUTLINE, width=1.5)


def _class_points(x, y, labels, split: str, n_classes: int, hover: str, size=6) -> list:
    """One trace per class present, "train class 0" ...; x, y, labels (n,)."""
    return [_scatter(x[m], y[m], f"{split} class {c}", hover=f"{split}, class {c}<br>{hover}",
                     marker=dict(color=class_colour(c), size=size, line=_outline(split)),
                     legendgroup=split)
            for c in range(n_classes) if (m := labels == c).any()]


def _splits(X_train, y_train, X_test, y_test, show_test=True, limit=None):
    """(split, X float32, y) for the train and (if shown and given) test sets, thinned to limit."""
    for split, X, y in (("train", X_train, y_train), ("test", X_test, y_test)):
        if X is not None and y is not None and len(y) and (show_test or split == "train"):
            keep = _thin(len(y), limit or len(y))
            yield split, np.asarray(X, dtype=np.float32)[keep], np.asarray(y)[keep]


# --- Decision boundary (2-D inputs) -----------------------------------------------------------

def boundary_figure(box, probs, X_train, y_train, X_test=None, y_test=None, *, task: str,
                    n_classes: int, discretize: bool = False, show_test: bool = True,
                    title: str | None = None, value_range: tuple[float, float] | None = None,
                    max_points: int = 2500) -> go.Figure:
    """The model's output on the grid of `datasets.grid(box, r)`, with the data on top.

    probs: binary (r, r) P(class 1); multiclass (r, r, k); regression (r, r) predictions; row
    i is y = ys[i], column j is x = xs[j]. discretize: hard regions (binary: P >= 0.5; multiclass:
    full-strength colours; no effect on regression). value_range: regression colour range
    (default: the targets' range, so fixed while training). Each split draws <= max_points points.
    """
    probs = np.asarray(probs)
    if task == "binary" and probs.ndim == 3:
        probs = probs[..., 1]
    lo, hi = _value_range(task, y_train, y_test, value_range)
    traces = _background(box, probs, task, lo, hi, discretize)
    where = "x₁ %{x:.2f}, x₂ %{y:.2f}"
    for split, X, y in _splits(X_train, y_train, X_test, y_test, show_test, max_points):
        if task != "regression":
            traces += _class_points(X[:, 0], X[:, 1], y, split, n_classes, where)
            continue
        line = _outline(split) if split == "test" else dict(color="#777777", width=0.6)
        marker = dict(color=y.astype(np.float32), colorscale=DIVERGING, cmin=lo, cmax=hi, size=6,
                      line=line)  # grey outline: white points on white would vanish
        traces.append(_scatter(X[:, 0], X[:, 1], split, marker,
                               f"{split}<br>{where}<br>target %{{marker.color:.3g}}"))
    axis = dict(constrain="domain", showgrid=False, zeroline=False)
    return go.Figure(traces, _layout(
        420, title, uirevision=f"boundary {tuple(box)}",
        xaxis=axis | dict(range=list(box[:2]), title=dict(text="x₁")),
        yaxis=axis | dict(range=list(box[2:]), title=dict(text="x₂"), scaleanchor="x")))


def _value_range(task, y_train, y_test, value_range) -> tuple[float, float]:
    if task != "regression":
        return 0.0, 1.0
    if value_range is not None:
        return float(value_range[0]), float(value_range[1])
    ys = [np.asarray(y, dtype=np.float64) for y in (y_train, y_test) if y is not None and len(y)]
    lo, hi = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
    return (lo, hi) if hi - lo > 1e-9 else (lo - 1.0, hi + 1.0)


def _background(box, probs, task, lo, hi, discretize) -> list:
    """[drawn background (never answers hover), invisible hover grid]."""
    r, step = probs.shape[0], max(1, probs.shape[0] // HOVER_CELLS)
    if task == "multiclass":
        best = probs.argmax(axis=2)  # (r, r)
        top = np.take_along_axis(probs, best[..., None], axis=2)[..., 0]  # (r, r) its probability
        hover = _hover_grid(box, r, step, best[::step, ::step].astype(np.uint8),
                            "most likely class %{z} (%{customdata}%)",
                            _percent(top[::step, ::step]))
        return [_class_image(box, probs.shape[2], best, top, discretize), hover]
    if task == "binary":
        z = np.where(probs >= 0.5, LEVELS, 0).astype(np.uint8) if discretize else to_levels(probs)
        hover = _hover_grid(box, r, step, _percent(probs[::step, ::step]), "P(class 1) %{z}%")
    else:
        z = to_levels(probs, lo, hi)
        hover = _hover_grid(box, r, step, probs[::step, ::step].astype(np.float32),
                            "prediction %{z:.3g}")
    ticks = np.linspace(0, LEVELS, 5)  # colorbar labels in probability / value units
    colorbar = dict(title=dict(text="P(class 1)" if task == "binary" else "prediction",
                               side="right"), thickness=12, len=0.5, y=0, yanchor="bottom",
                    tickvals=ticks, ticktext=[f"{lo + t / LEVELS * (hi - lo):.3g}" for t in ticks])
    heat = dict(type="heatmap", z=z, zmin=0, zmax=LEVELS, colorscale=DIVERGING_BACKGROUND,
                colorbar=colorbar, hoverinfo="skip", **_placement(box, r))
    return [heat, hover]


def _percent(p: np.ndarray) -> np.ndarray:
    return np.rint(np.clip(np.nan_to_num(p, nan=0.5), 0, 1) * 100).astype(np.uint8)


def _hover_grid(box, r, step, z, text, customdata=None) -> dict:
    """An invisible coarse heatmap that answers hover in real units, since a hovertemplate cannot
    rescale the drawn uint8 levels; percent as uint8 keeps it ~3 KB at 50x50 cells."""
    return dict(type="heatmap", z=z, customdata=customdata, opacity=0, showscale=False,
                hovertemplate=f"x₁ %{{x:.2f}}, x₂ %{{y:.2f}}<br>{text}<extra></extra>",
                hoverlabel=dict(bgcolor="white", font=dict(color="#222222")),
                **_placement(box, r, step))


def _class_image(box, k, best, top, discretize) -> dict:
    """The most likely class's colour, faded to white as its probability falls to 1/k, as a PNG
    data URI (~20 KB at 200x200; a uint8 z would be 160 KB)."""
    # PNG row 0 is the top of the file, but with dy > 0 on an upward y axis plotly draws it at
    # y0, the bottom: exactly the grid's row 0 (y = ys[0]), so no flip.
    return dict(type="image", source=png_data_uri(_class_pixels(k, best, top, discretize)),
                hoverinfo="skip", **_placement(box, len(best)))


def function_figure(box, xs, values, X_train, y_train, X_test=None, y_test=None, *, task: str,
                    n_classes: int, title: str | None = None) -> go.Figure:
    """The model's output along x for 1-D data, with the data.

    xs (r,); values: regression (r,) predictions, classification (r, k) probabilities (binary
    draws P(class 1)). Points: regression y against x; binary at their label 0/1; multiclass
    as markers along the bottom, jittered a little so that they do not hide one another.
    """
    xs, values = np.asarray(xs, dtype=np.float32), np.asarray(values, dtype=np.float32)
    if task == "regression":
        lines = [("prediction", values.reshape(-1), CLASS_COLOURS[1])]
    elif task == "binary":
        lines = [("P(class 1)", values[:, 1] if values.ndim == 2 else values, CLASS_COLOURS[1])]
    else:
        lines = [(f"P(class {c})", values[:, c], class_colour(c)) for c in range(values.shape[1])]
    traces = [dict(type="scatter", x=xs, y=v, mode="lines", name=name,
                   line=dict(color=colour, width=2.5),
                   hovertemplate=f"x %{{x:.2f}}: {name} %{{y:.3g}}<extra></extra>")
              for name, v, colour in lines]
    for split, X, y in _splits(X_train, y_train, X_test, y_test):
        x = X.reshape(-1)
        if task == "regression":
            marker = dict(color="#9e9e9e", size=6, line=_outline(split))
            traces.append(_scatter(x, y.astype(np.float32), split, marker,
                                   f"{split}: x %{{x:.2f}}, y %{{y:.3g}}"))
        else:  # binary: at the label on the probability axis; multiclass: a band at the bottom,
            # jittered by a fixed rng so that the same data lands the same way on every redraw
            jitter = np.random.default_rng(0).uniform(-0.04, 0.04, len(y)).astype(np.float32)
            height = y.astype(np.float32) if task == "binary" else np.float32(-0.07) + jitter
            traces += _class_points(x, height, y, split, n_classes, "x %{x:.2f}", size=7)
    yaxis = (dict(title=dict(text="y")) if task == "regression" else
             dict(title=dict(text="probability"), zeroline=False,
                  range=[-0.06, 1.06] if task == "binary" else [-0.14, 1.04]))
    return go.Figure(traces, _layout(
        420, title, uirevision=f"function {tuple(box)}", yaxis=yaxis,
        xaxis=dict(range=list(box[:2]), title=dict(text="x"), zeroline=False)))


# --- More than two inputs ---------------------------------------------------------------------

def pca_basis(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) -> mean (d,), components (d, 2): the two leading principal directions, orthonormal.

    Signs are fixed (each component's largest entry positive) so that a dataset always projects
    the same way round. Compute once per dataset; `projection_figure(basis=...)` reuses it.
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)  # rows: directions by variance
    comps = vt[:2].T  # (d, 2)
    signs = np.sign(comps[np.abs(comps).argmax(axis=0), np.arange(comps.shape[1])])
    return mean, comps * np.where(signs == 0, 1.0, signs)


def projection_figure(X, y_true, y_pred, *, n_classes: int, basis=None, title: str | None = None,
                      max_points: int = 5000) -> go.Figure:
    """Points on the first two principal components, coloured by predicted class; mistakes
    (y_pred != y_true) are crosses in the true class's colour. basis: `pca_basis(X_train)`."""
    mean, comps = pca_basis(X) if basis is None else basis
    keep = _thin(len(y_true), max_points)
    P = ((np.asarray(X, dtype=np.float64)[keep] - mean) @ comps).astype(np.float32)  # (n, 2)
    y_true, y_pred = np.asarray(y_true)[keep], np.asarray(y_pred)[keep]
    ok = y_true == y_pred
    traces = [_scatter(P[m, 0], P[m, 1], f"class {c}, correct", hover=f"class {c}, correct",
                       marker=dict(color=class_colour(c), size=6, line=_outline("train")))
              for c in range(n_classes) if (m := ok & (y_pred == c)).any()]
    traces += [_scatter(P[m, 0], P[m, 1], f"class {c}, mistaken",
                        customdata=y_pred[m].astype(np.int16),
                        hover=f"mistake: true class {c}, predicted %{{customdata}}",
                        marker=dict(color=class_colour(c), size=8, symbol="x-thin",
                                    line=dict(color=class_colour(c), width=2)))
               for c in range(n_classes) if (m := ~ok & (y_true == c)).any()]
    axis = dict(zeroline=False, showticklabels=False)
    return go.Figure(traces, _layout(
        420, title, uirevision="projection", xaxis=axis | dict(title=dict(text="PC 1")),
        yaxis=axis | dict(title=dict(text="PC 2"), scaleanchor="x")))


def digits_mistakes_figure(images, y_true, y_pred, *, max_images: int = 24,
                           columns: int = 8) -> go.Figure:
    """Up to max_images misclassified 8x8 digits (pixels 0..16, (n, 64)) in one heatmap, each
    captioned "true 3 → 8"; a note when there is no mistake."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    wrong = np.flatnonzero(y_true != y_pred)[:max_images]
    if len(wrong) == 0:
        return empty_figure("No mistakes on the test set", height=160)
    n, cols = len(wrong), min(columns, len(wrong))
    rows, pitch_x, pitch_y = -(-n // cols), 11, 13  # 8-pixel tiles, gaps, room for captions
    canvas = np.full((rows * pitch_y, cols * pitch_x), 17, dtype=np.uint8)  # 17: the gaps
    tiles = np.clip(np.rint(np.asarray(images, dtype=np.float64)[wrong]), 0, 16).astype(np.uint8)
    captions = []
    for k, tile in enumerate(tiles.reshape(n, 8, 8)):
        top, left = (k // cols) * pitch_y + 1, (k % cols) * pitch_x + 1
        canvas[top:top + 8, left:left + 8] = tile
        captions.append(dict(x=left + 3.5, y=top + 9.8, showarrow=False, font=dict(size=10),
                             text=f"true {y_true[wrong[k]]} → {y_pred[wrong[k]]}"))
    # 0 (paper) white .. 16 (ink) black, then a light grey for 17, the gaps between tiles.
    scale = [[0.0, "#ffffff"], [16 / 17, "#000000"], [16 / 17, "#e6e6e6"], [1.0, "#e6e6e6"]]
    heat = dict(type="heatmap", z=canvas, zmin=0, zmax=17, colorscale=scale, showscale=False,
                hoverinfo="skip")
    hidden = dict(visible=False, constrain="domain")
    layout = _layout(40 + rows * 80, None, legend="none", annotations=captions,
                     xaxis=hidden | dict(range=[-0.5, cols * pitch_x - 0.5]),
                     yaxis=hidden | dict(range=[rows * pitch_y - 0.5, -0.5], scaleanchor="x"))
    return go.Figure([heat], layout | dict(margin=dict(l=5, r=5, t=5, b=5)))


# --- Training curves --------------------------------------------------------------------------

_TRAIN, _TEST = (CLASS_COLOURS[1], "solid"), ("#e4572e", "dash")  # fine on light and dark themes


def _curves(history, series, yaxis: dict, hover: str, hover_title: str,
            clip_below=None) -> go.Figure:
    """Lines of history[key] against history["epoch"], thinned to MAX_CURVE_POINTS.

    series: (key, name, colour, dash). clip_below: values below it are drawn at it, while the
    hover (through customdata) still reports the true value.
    """
    keep = _thin(len(history["epoch"]), MAX_CURVE_POINTS)
    epochs = np.asarray(history["epoch"], dtype=np.int64)[keep]
    epochs = epochs.astype(np.min_scalar_type(int(epochs.max(initial=0))))  # uint16 below 65,536
    traces = []
    for key, name, colour, dash in series:
        y = np.asarray(history[key], dtype=np.float32)[keep]
        drawn = y if clip_below is None else np.maximum(y, np.float32(clip_below))
        traces.append(dict(type="scatter", x=epochs, y=drawn, mode="lines", name=name,
                           customdata=None if clip_below is None else y, hovertemplate=hover,
                           line=dict(color=colour, dash=dash, width=2)))
    xaxis = dict(title=dict(text="epoch"), zeroline=False,
                 unifiedhovertitle=dict(text=hover_title))  # the header of the unified hover
    return go.Figure(traces, _layout(280, None, legend="top", uirevision=yaxis["title"]["text"],
                                     hovermode="x unified", xaxis=xaxis, yaxis=yaxis))


def loss_figure(history: dict, *, log_y: bool = False) -> go.Figure:
    """Train loss (solid) and test loss (dashed) by epoch; log_y for a log-scale y axis."""
    series = [("train_loss", "train loss", *_TRAIN), ("test_loss", "test loss", *_TEST)]
    yaxis = dict(title=dict(text="loss"), type="log" if log_y else "linear")
    return _curves(history, series, yaxis, "%{y:.4g}", "epoch %{x}")


def metric_figure(history: dict, task: str) -> go.Figure:
    """Accuracy (classification, 0..100%) or R² (regression; the axis stops at -1, as early R²
    can be hugely negative) by epoch, train solid and test dashed."""
    if task == "regression":
        series = [("train_r2", "train R²", *_TRAIN), ("test_r2", "test R²", *_TEST)]
        yaxis = dict(title=dict(text="R²"), range=[-1.05, 1.05])
        return _curves(history, series, yaxis, "%{customdata:.3f}",
                       "epoch %{x} (R² below −1 is drawn at −1)", clip_below=-1.0)
    series = [("train_acc", "train accuracy", *_TRAIN), ("test_acc", "test accuracy", *_TEST)]
    yaxis = dict(title=dict(text="accuracy"), range=[0, 1.02], tickformat=".0%")
    return _curves(history, series, yaxis, "%{y:.1%}", "epoch %{x}")


def empty_figure(message: str, height: int = 420) -> go.Figure:
    """A blank figure with a centred note, for when there is nothing to draw yet."""
    note = dict(text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                font=dict(size=14, color="#888888"))
    return go.Figure(layout=_layout(height, None, legend="none", annotations=[note],
                                    xaxis=dict(visible=False), yaxis=dict(visible=False)))
