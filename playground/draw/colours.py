"""Colours of the views: class palettes, the orange-white-blue scale, and the model's output over
a grid turned into pixels. NumPy only."""

from __future__ import annotations

import numpy as np

# TF Playground's orange and blue, then Tableau 10 without its own blue and orange.
CLASS_COLOURS = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd",
                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
TRAIN, TEST = "#0877bd", "#e4572e"  # a run's train and test curves
# Runs side by side (Compare runs, sweeps, the optimizers on one landscape): colour-blind safe.
RUN_COLOURS = ("#0877bd", "#e4572e", "#2a9d3a", "#8e44ad", "#f59322", "#17becf", "#7f7f7f",
               "#bcbd22", "#d62728", "#1f3b73")
MUTED = "#555555"  # reference lines and notes drawn over a chart
# Paths drawn over the loss landscape's blue-white-orange ramp: dark, and neither blue nor orange.
PATH_COLOURS = ("#2f2d2b", "#8e44ad", "#2a9d3a", "#d62728", "#1f3b73", "#7f7f7f")
# Backgrounds reach only this share of a class colour (the rest white), so points drawn in the
# full colour stay visible on regions of their own class.
BACKGROUND = 0.7
TEST_RING = (34, 34, 34)
WHITE = np.full(3, 255.0)


def rgb(colour: str) -> np.ndarray:
    """"#rrggbb" -> (3,) float."""
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def class_rgb(labels) -> np.ndarray:
    """Class labels (n,) -> their colours (n, 3) uint8; the palette repeats after 10 classes."""
    table = np.array([rgb(c) for c in CLASS_COLOURS], dtype=np.uint8)
    return table[np.asarray(labels, dtype=np.int64) % len(CLASS_COLOURS)]


_DIVERGING_ENDS = np.stack([rgb(CLASS_COLOURS[0]), rgb(CLASS_COLOURS[1])])  # (2, 3)


def diverging_rgb(t, strength: float = 1.0) -> np.ndarray:
    """t in [0, 1] (any shape) -> uint8 RGB (..., 3): orange at 0, white at 0.5, blue at 1, as in
    TF Playground; `strength` below 1 fades the ends towards white, as the backgrounds do."""
    t = np.clip(np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.5), 0.0, 1.0)
    ends = WHITE + strength * (_DIVERGING_ENDS - WHITE)  # (2, 3)
    low = (1 - 2 * np.minimum(t, 0.5))[..., None] * (ends[0] - WHITE)
    high = (2 * np.maximum(t, 0.5) - 1)[..., None] * (ends[1] - WHITE)
    return np.rint(WHITE + low + high).astype(np.uint8)


def background_pixels(probs: np.ndarray, task: str, lo: float = 0.0, hi: float = 1.0,
                      discretize: bool = False) -> np.ndarray:
    """The model's output on a grid as colours (r, r, 3) uint8.

    probs: (r, r) P(class 1) for two classes or the prediction for regression (mapped from
    [lo, hi]) on the diverging scale; (r, r, k) class probabilities for k classes, shown as the
    likeliest class's colour faded towards white as its probability falls to 1/k.
    """
    probs = np.asarray(probs, dtype=np.float64)
    if task == "multiclass":
        best = probs.argmax(axis=2)  # (r, r)
        top = np.take_along_axis(probs, best[..., None], axis=2)[..., 0]
        return _class_pixels(probs.shape[2], best, top, discretize)
    if probs.ndim == 3:  # (r, r, 2) binary probabilities
        probs = probs[..., 1]
    t = (probs - lo) / (hi - lo) if hi > lo else np.full_like(probs, 0.5)
    if discretize and task == "binary":
        t = np.where(probs >= 0.5, 1.0, 0.0)
    return diverging_rgb(t, BACKGROUND)


def _class_pixels(k: int, best: np.ndarray, top: np.ndarray, discretize: bool) -> np.ndarray:
    shades = 64  # per class: smooth enough, and a table lookup is fast
    confidence = np.clip((top - 1 / k) / (1 - 1 / k), 0.0, 1.0)  # (r, r)
    shade = np.rint(confidence * shades).astype(np.intp) if not discretize else shades
    full = class_rgb(np.arange(k)).astype(np.float64)  # (k, 3)
    t = np.linspace(0.0, BACKGROUND, shades + 1)[None, :, None]  # (1, shades + 1, 1)
    table = np.rint(WHITE + t * (full[:, None, :] - WHITE)).astype(np.uint8)  # (k, shades+1, 3)
    return table[best, shade]
