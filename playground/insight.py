"""Seeing inside a trained network: activations, single neurons, errors, an LR finder, replays.

Pure functions of a `Run` (arrays in and out, no plotting library); the page draws what they
return. Models run in eval mode under `torch.inference_mode`, so BatchNorm uses its running
statistics and dropout is off, as in `Run.predict`. Hidden layers are numbered 0, 1, ... in the
order of `config.hidden`; a hidden layer's values are its activation's outputs.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import Tensor

from .config import Config
from .datasets import Data, grid
from .device import cpu_threads_for
from .draw import raster
from .nn.activations import ACTIVATIONS
from .snapshots import decode, value_range
from .train import Run

# A unit is saturated when its output sits on a flat part of its curve (the activation's `flat`)
# on more than SATURATED_SHARE of the training points.
SATURATED_SHARE = 0.9
HIST_BINS = 30


# ---- activations ----------------------------------------------------------------------------
@torch.inference_mode()
def _hidden_outputs(run: Run, inputs: Tensor) -> list[Tensor]:
    """Each hidden layer's outputs (n, width) on model inputs (n, features), eval mode."""
    hidden: list[Tensor] = []
    run.network().infer(inputs, hidden)
    return hidden


def _inputs(run: Run, X: np.ndarray | None) -> Tensor:
    return run.inputs(run.data.X_train if X is None else X)


def activations(run: Run, X: np.ndarray | None = None) -> list[np.ndarray]:
    """Each hidden layer's activations (n, width) on raw inputs X (default: the training set)."""
    return [a.cpu().numpy() for a in _hidden_outputs(run, _inputs(run, X))]


def activation_stats(run: Run, X: np.ndarray | None = None, bins: int = HIST_BINS) -> list[dict]:
    """Per hidden layer: {"layer", "width", "dead", "saturated", "dead_units",
    "saturated_units", "histogram": (counts, edges)}.

    dead: share of units whose output is never > 0 on any point (activations that can die,
    the ReLU family; None otherwise).
    saturated: share of units on a flat part of their curve (tanh: |a| > 0.99; sigmoid: a < 0.01
    or a > 0.99) on more than 90% of the points (None for activations without one).
    dead_units, saturated_units: those units' indices in the layer (empty where not measured).
    histogram: np.histogram of all the layer's values (every unit, every point), `bins` bins.
    """
    act = ACTIVATIONS[run.config.activation]
    stats = []
    for layer, a in enumerate(activations(run, X)):  # a: (n, width)
        dead = ~(a > 0).any(axis=0) if act.can_die else None  # (width,)
        flat = act.flat(a).mean(axis=0) > SATURATED_SHARE if act.flat is not None else None
        stats.append({"layer": layer, "width": a.shape[1],
                      "dead": None if dead is None else float(dead.mean()),
                      "saturated": None if flat is None else float(flat.mean()),
                      "dead_units": [] if dead is None else np.flatnonzero(dead).tolist(),
                      "saturated_units": [] if flat is None else np.flatnonzero(flat).tolist(),
                      "histogram": np.histogram(a, bins=bins)})
    return stats


@torch.inference_mode()
def node_values(run: Run, X: np.ndarray) -> list[np.ndarray]:
    """Every node's output on raw inputs X (n, dim): per layer (n, width) — the (transformed)
    features, each hidden layer's activations, then the output (probabilities, or predictions)."""
    inputs = run.inputs(X)
    hidden = [h.cpu().numpy() for h in _hidden_outputs(run, inputs)]
    out = run.predict(X)
    out = out[:, 1:] if run.task == "binary" else out.reshape(len(X), -1)
    return [inputs.cpu().numpy(), *hidden, out]


def node_grid(run: Run, layer: int, unit: int, resolution: int = 80) -> np.ndarray:
    """One node's output over the data's box: (r, r) on 2-D data (row i at y = ys[i]) or (r,)
    on 1-D data. Layer 0 is the inputs, then the hidden layers, then the outputs."""
    d = run.data
    if d.box is None or d.dim > 2:
        raise ValueError("node pictures need 1-D or 2-D data")
    ws = [d.n_features, *run.config.hidden, run.config.n_outputs]
    if not 0 <= layer < len(ws) or not 0 <= unit < ws[layer]:
        raise ValueError(f"no unit {unit} in layer {layer} of a network with widths {ws}")
    _, _, points = grid(d.box, resolution)
    values = node_values(run, points)[layer][:, unit]
    return values.reshape((resolution, resolution) if d.dim == 2 else (resolution,))


def neuron_grid(run: Run, layer: int, unit: int, resolution: int = 64) -> np.ndarray:
    """One hidden unit's activation over the data's box: (r, r) on 2-D data, row i at
    y = ys[i] (datasets.grid's layout), or (r,) on 1-D data. `layer` counts hidden layers."""
    if not 0 <= layer < len(run.config.hidden):
        raise ValueError(f"no unit {unit} in hidden layer {layer} of {run.config.hidden}")
    return node_grid(run, layer + 1, unit, resolution)


# ---- errors ---------------------------------------------------------------------------------
def _split(data: Data, split: str) -> tuple[np.ndarray, np.ndarray]:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return (data.X_train, data.y_train) if split == "train" else (data.X_test, data.y_test)


def class_names(data: Data) -> list[str]:
    """Display names of the classes, in label order: the data's own when it has them (an
    uploaded file's labels), the digit for digits, else "class 0", "class 1", ..."""
    if data.class_names:
        return [str(n) for n in data.class_names]
    if data.name == "digits":
        return [str(k) for k in range(data.n_classes)]
    return [f"class {k}" for k in range(data.n_classes)]


def confusion(run: Run, split: str = "test") -> np.ndarray:
    """(k, k) counts: row = true class, column = predicted class (the likeliest)."""
    if run.task == "regression":
        raise ValueError("a confusion matrix needs a classification task; see residuals()")
    X, y = _split(run.data, split)
    guess = run.predict(X).argmax(1)
    k = run.data.n_classes
    return np.bincount(np.asarray(y, dtype=np.int64) * k + guess, minlength=k * k).reshape(k, k)


def per_class_accuracy(run: Run, split: str = "test") -> np.ndarray:
    """(k,) share of each class's points predicted correctly (NaN for a class with no points)."""
    return class_accuracy(confusion(run, split))


def class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """A confusion matrix (true x predicted) -> (k,) each class's share predicted right."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(matrix) / matrix.sum(axis=1)


def residuals(run: Run, split: str = "test") -> tuple[np.ndarray, np.ndarray]:
    """Regression: (y, yhat), the targets and the predictions; residuals are y - yhat."""
    if run.task != "regression":
        raise ValueError("residuals need a regression task; see confusion()")
    X, y = _split(run.data, split)
    return np.asarray(y, dtype=np.float64), run.predict(X).astype(np.float64)


# ---- learning-rate finder -------------------------------------------------------------------
def lr_finder(config: Config, steps: int = 200, lr_min: float = 1e-5, lr_max: float = 10.0, *,
              beta: float = 0.9, data: Data | None = None,
              callback: Callable[[], object] | None = None) -> dict:
    """Train a fresh copy of the config's model (its initial weights, its batches, its training
    step) with the learning rate multiplied by a constant factor each step, from lr_min to
    lr_max, recording the training loss of each batch just before its step.

    Returns {"lrs", "losses" (smoothed: bias-corrected exponential average with `beta`), "raw",
    "suggested", "lr_at_min"}. Stops early once the smoothed loss exceeds 4x the best so far.
    suggested: the lr where the smoothed loss falls fastest per unit of log(lr), looking only
    before its minimum. It is not divided by 10: the steepest point already lies well below the
    blow-up. The other common rule, the lr at the minimum divided by 10, is lr_at_min / 10.
    `callback()` runs after every step (a page takes its turns there).
    """
    run = Run(config, data)
    factor = (lr_max / lr_min) ** (1 / max(steps - 1, 1))
    lrs: list[float] = []
    raw: list[float] = []
    with cpu_threads_for(config, run.device):
        while len(lrs) < steps and _go_on(raw, beta):
            for x, y in run.batches():
                lrs.append(lr_min * factor ** len(lrs))
                raw.append(run.loss(x, y))
                if len(lrs) == steps or not _go_on(raw, beta):
                    break
                run.step(x, y, lrs[-1])
                if callback is not None:
                    callback()
    smooth = _smooth(raw, beta)
    return {"lrs": lrs, "losses": smooth, "raw": raw, **_suggest(lrs, smooth)}


def _go_on(raw: list[float], beta: float) -> bool:
    """Until the loss is not finite or its smoothed value passes 4x the best so far."""
    if not raw:
        return True
    smooth = _smooth(raw, beta)
    return math.isfinite(raw[-1]) and smooth[-1] <= 4 * min(smooth)


def _smooth(values: list[float], beta: float) -> list[float]:
    out, avg = [], 0.0
    for i, v in enumerate(values):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** (i + 1)))
    return out


def _suggest(lrs: list[float], losses: list[float]) -> dict:
    """Steepest descent of the smoothed loss before its minimum, skipping the first tenth of the
    steps (the average is still settling there) and measuring the slope over a window of a
    twentieth of the steps on each side, so single noisy batches do not decide it."""
    n = len(losses)
    if n < 5 or not all(math.isfinite(v) for v in losses[:-1]):
        return {"suggested": float("nan"), "lr_at_min": float("nan")}
    loss, log_lr = np.asarray(losses[:-1]), np.log(lrs[:-1])  # the last may be the blow-up
    best = int(np.argmin(loss))
    half = max(1, n // 20)
    centre = np.arange(min(n // 10, best), best + 1)
    lo, hi = np.clip(centre - half, 0, best), np.clip(centre + half, 0, best)
    slope = (loss[hi] - loss[lo]) / np.maximum(log_lr[hi] - log_lr[lo], 1e-12)
    return {"suggested": float(lrs[centre[int(np.argmin(slope))]]), "lr_at_min": float(lrs[best])}


# ---- replay ---------------------------------------------------------------------------------
def snapshot_values(run: Run, grid_u8: np.ndarray) -> np.ndarray:
    """A snapshot's uint8 grid back to probabilities or regression predictions (float)."""
    return decode(grid_u8, *value_range(run.data))


def snapshots_gif(run: Run, duration_ms: int = 120, width: int | None = 360,
                  show_test: bool = False) -> bytes:
    """The run's snapshots (`run.record_snapshots = True` before training) as an animated GIF,
    one frame per snapshot, each drawn like the page's main view and labelled with its epoch."""
    frames = [snapshot_image(run, epoch, g, show_test) for epoch, g in run.snapshots]
    if not frames:
        raise ValueError("no snapshots: set run.record_snapshots = True before training")
    if width is not None:
        frames = [f.resize((width, round(f.height * width / f.width)), Image.Resampling.LANCZOS)
                  for f in frames]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                   duration=duration_ms, loop=0, optimize=False)
    return buffer.getvalue()


def snapshot_image(run: Run, epoch: int, grid_u8: np.ndarray,
                   show_test: bool = False) -> Image.Image:
    """One replay frame: the snapshot drawn like the page's main view, labelled with its epoch."""
    d = run.data
    values = snapshot_values(run, grid_u8)
    tests = (d.X_test, d.y_test) if show_test else (None, None)
    if d.dim == 2:
        lo_hi = value_range(d) if run.task == "regression" else None
        image = raster.boundary_image(d.box, values, d.X_train, d.y_train, *tests, task=run.task,
                                      n_classes=d.n_classes, show_test=show_test,
                                      value_range=lo_hi)
    else:
        if run.task == "binary":  # function_image draws column 1 of (r, 2) probabilities
            values = np.stack([1 - values, values], axis=1)
        xs = grid(d.box, len(values))[0]
        image = raster.function_image(d.box, xs, values, d.X_train, d.y_train, *tests,
                                      task=run.task, n_classes=d.n_classes, show_test=show_test)
    # top right: the legend runs along the top from the plot's left edge
    ImageDraw.Draw(image).text((image.width - 8, 4), f"epoch {epoch}", fill=(60, 60, 60),
                               font=raster.ImageFont.load_default(size=14), anchor="ra")
    return image
