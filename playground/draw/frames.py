"""Compact frames for the page's live view, which the browser draws itself.

A frame is bytes: b"MLPF", a little-endian uint32 header length, a UTF-8 JSON header, then
arrays, each starting on a 4-byte boundary, listed in header["arrays"] as
{name, dtype, shape, offset}. Two kinds:

- a *structure* frame holds what stays fixed while a run trains: the task, the box, the data
  points, the colour tables (from colours.py), the network's layers and names, the inputs'
  pictures, everything the browser needs for the model's exact output under the cursor, and
  the whole history so far;
- a plain *frame* holds what training changes: the epoch and the cards' numbers, the history
  rows since the last frame, the model's output over the box (a uint8 grid on 2-D data: 0..255
  is P(class 1), or the regression prediction over `value_range`, or for k classes the likeliest
  class and its shade), every drawn node's picture (uint8, 128 = zero) and the drawn weights.

Pure NumPy and torch; no streamlit.
"""

from __future__ import annotations

import json
import struct
import time
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from .. import insight
from ..datasets import FEATURES, grid
from ..nn.losses import predictions, resolve_loss
from ..nn.metrics import score
from ..schedule import PACES, SCHEDULER
from ..snapshots import value_range
from . import diagram
from .colours import BACKGROUND, CLASS_COLOURS, _class_pixels, diverging_rgb, rgb
from .raster import pca_basis

if TYPE_CHECKING:
    from ..schedule import LiveJob
    from ..train import Run

MAGIC = b"MLPF"
GRID = 100  # the main picture's grid per axis, two classes or regression
GRID_CLASSES = 80  # with k classes each cell takes two bytes (class, shade)
CURVE = 200  # points of a 1-D model's function
BIG = 90  # grid of the node shown large ("look closer")
SHADES = 64  # shades per class in the k-class background table
CLOSER_S = 0.25  # the node shown large is redrawn at most this often while training
EXACT_HOVER_PARAMS = 4096  # up to this many parameters the browser computes the model itself
HISTORY_KEYS = ("epoch", "train_loss", "test_loss")  # plus the task's two score series
_DTYPES = {np.dtype(np.uint8): "u8", np.dtype(np.float32): "f32", np.dtype(np.int32): "i32"}


# ---- the container ---------------------------------------------------------------------------
def encode(header: dict[str, Any], arrays: dict[str, np.ndarray]) -> bytes:
    """The header and arrays as one frame (see the module docstring)."""
    specs, blobs, offset = [], [], 0
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        if a.dtype not in _DTYPES:
            a = a.astype(np.float32)
        specs.append({"name": name, "dtype": _DTYPES[a.dtype], "shape": list(a.shape),
                      "offset": offset})
        raw = a.tobytes()
        pad = -len(raw) % 4
        blobs.append(raw + b"\0" * pad)
        offset += len(raw) + pad
    text = json.dumps({**header, "arrays": specs}, separators=(",", ":"),
                      allow_nan=False).encode()
    text += b" " * (-(len(text) + 8) % 4)
    return b"".join([MAGIC, struct.pack("<I", len(text)), text, *blobs])


def decode(frame: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A frame back to its header and arrays (the browser's reading of it, in Python)."""
    if frame[:4] != MAGIC:
        raise ValueError("not a live-view frame")
    (n,) = struct.unpack("<I", frame[4:8])
    header = json.loads(frame[8:8 + n])
    start, arrays = 8 + n, {}
    kinds = {v: k for k, v in _DTYPES.items()}
    for spec in header.pop("arrays"):
        dtype = kinds[spec["dtype"]]
        count = int(np.prod(spec["shape"])) if spec["shape"] else 1
        a = np.frombuffer(frame, dtype=dtype, count=count, offset=start + spec["offset"])
        arrays[spec["name"]] = a.reshape(spec["shape"])
    return header, arrays


# ---- what a frame shows ----------------------------------------------------------------------
def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def score_keys(task: str) -> tuple[str, str]:
    return score(task, "train")[0], score(task, "test")[0]


def history_rows(run: Run, start: int) -> np.ndarray:
    """(rows, 5) float32: epoch, train loss, test loss and the task's two score series from
    history row `start` on (non-finite values become NaN)."""
    keys = (*HISTORY_KEYS, *score_keys(run.task))
    h = run.history
    return np.asarray([h[k][start:] for k in keys], dtype=np.float32).T.reshape(-1, len(keys))


def _grid_size(run: Run) -> int:
    return GRID_CLASSES if run.task == "multiclass" else GRID


class LiveView:
    """Builds one run's frames; keeps what stays fixed (grids, projection) between them."""

    def __init__(self, run: Run):
        self.run = run
        d = run.data
        self.pictures = d.box is not None and d.dim <= 2
        if self.pictures:
            r = _grid_size(run) if d.dim == 2 else CURVE
            t = diagram.THUMB if d.dim == 2 else diagram.THUMB_1D
            self.main_points, self.thumb_points = grid(d.box, r)[2], grid(d.box, t)[2]
            self._main_x, self._thumb_x = (run.inputs(p)
                                           for p in (self.main_points, self.thumb_points))
        self._closer_cache: tuple | None = None  # (node, time) of the large node last sent
        self.units = diagram.layer_units(run)
        self.lo_hi = value_range(d)
        self.basis = (pca_basis(np.asarray(d.X_train)) if d.dim > 2 and run.task != "regression"
                      else None)
        self.rows_sent = 0

    # -- structure ----------------------------------------------------------------------------
    def structure(self, state: dict[str, Any]) -> bytes:
        run, d = self.run, self.run.data
        self._closer_cache = None  # a structure resets the browser's view: send it all again
        header = {"kind": "structure", **state, **self._facts(), **self._network()}
        arrays = {**self._points(), **self._palettes(), **self._hover_transform()}
        if self.pictures:
            arrays["inputs"] = self._input_pictures()
        self.rows_sent = len(run.history["epoch"])
        arrays["history"] = history_rows(run, 0)
        header["history_keys"] = [*HISTORY_KEYS, *score_keys(run.task)]
        header["box"] = list(d.box) if d.box is not None else None
        return encode(header, arrays)

    def _facts(self) -> dict[str, Any]:
        run, d = self.run, self.run.data
        return {
            "task": run.task, "dim": d.dim, "n_classes": d.n_classes,
            "class_names": insight.class_names(d), "class_colours": CLASS_COLOURS,
            "grid": _grid_size(run) if d.dim == 2 else CURVE, "thumb": diagram.THUMB
            if d.dim == 2 else diagram.THUMB_1D, "big": BIG if d.dim == 2 else CURVE,
            "value_range": list(self.lo_hi), "pictures": self.pictures,
            "axes": _axes(run), "dataset": d.name, "digits": d.name == "digits",
            "score_label": score(run.task)[1], "features": list(d.features),
        }

    def _network(self) -> dict[str, Any]:
        run = self.run
        names, widths = diagram.unit_names(run), diagram.widths(run)
        layers = [{"title": title, "width": w, "units": units,
                   "names": [names[i][u] for u in units]}
                  for i, (title, w, units) in enumerate(zip(diagram.layer_names(run), widths,
                                                            self.units, strict=True))]
        return {"layers": layers, "batchnorm": run.config.batchnorm,
                "activation": run.config.activation}

    def _points(self) -> dict[str, np.ndarray]:
        d = self.run.data
        regression = self.run.task == "regression"
        label = np.float32 if regression else np.uint8
        arrays = {"y_train": np.asarray(d.y_train, label), "y_test": np.asarray(d.y_test, label)}
        if d.dim <= 2:
            arrays["X_train"] = np.asarray(d.X_train, np.float32)
            arrays["X_test"] = np.asarray(d.X_test, np.float32)
        elif self.basis is not None:
            mean, axes = self.basis
            arrays["proj_test"] = ((np.asarray(d.X_test) - mean) @ axes).astype(np.float32)
        if d.name == "digits":
            arrays["images_test"] = np.rint(np.asarray(d.X_test) * 255 / 16).astype(np.uint8)
        return arrays

    def _palettes(self) -> dict[str, np.ndarray]:
        """Colour tables (256 x 3 uint8) the browser looks values up in: the backgrounds' faded
        orange-white-blue, the nodes' full one, and for k classes (k, shades + 1, 3)."""
        t = np.linspace(0.0, 1.0, 256)
        arrays = {"lut_background": diverging_rgb(t, BACKGROUND), "lut_node": diverging_rgb(t)}
        if self.run.task == "multiclass":
            k = self.run.data.n_classes
            best = np.repeat(np.arange(k), SHADES + 1)
            top = 1 / k + (1 - 1 / k) * np.tile(np.arange(SHADES + 1) / SHADES, k)
            arrays["lut_classes"] = _class_pixels(k, best, top, False).reshape(k, SHADES + 1, 3)
            arrays["class_rgb"] = np.array([rgb(c) for c in CLASS_COLOURS], np.uint8)
        return arrays

    def _hover_transform(self) -> dict[str, np.ndarray]:
        d = self.run.data
        return {"mean": np.asarray(d.mean, np.float32), "std": np.asarray(d.std, np.float32)}

    def _input_pictures(self) -> np.ndarray:
        values = insight.node_values(self.run, self.thumb_points)[0]  # model inputs
        return _signed(values[:, self.units[0]].T, self._thumb_shape())[0]

    def _thumb_shape(self) -> tuple[int, ...]:
        t = diagram.THUMB if self.run.data.dim == 2 else diagram.THUMB_1D
        return (t, t) if self.run.data.dim == 2 else (t,)

    # -- a frame ------------------------------------------------------------------------------
    def frame(self, state: dict[str, Any], closer: tuple[int, int] | None = None,
              metrics: dict[str, float] | None = None) -> bytes:
        """`metrics`: the current weights' numbers when they differ from the history's last row
        (the learner changed a weight by hand)."""
        run = self.run
        self.rows_sent = min(self.rows_sent, len(run.history["epoch"]))  # a run taken back
        rows = history_rows(run, self.rows_sent)
        header = {"kind": "frame", **state, "history_start": self.rows_sent,
                  "cards": _cards(run, metrics)}
        self.rows_sent += len(rows)
        arrays: dict[str, np.ndarray] = {"history": rows, **self._main()}
        arrays.update(self._weights())
        if self.pictures:
            pictures, scales = self._node_pictures()
            arrays["nodes"], arrays["node_scale"] = pictures, scales
            if closer is not None and 0 <= closer[0] < len(self.units) and (
                    0 <= closer[1] < diagram.widths(run)[closer[0]]):
                header["closer"] = list(closer)
                fresh = self._closer(*closer, throttle=bool(state.get("playing")))
                if fresh is not None:  # else the browser keeps the one it has
                    arrays["closer"], arrays["closer_scale"] = fresh
        return encode(header, arrays)

    def _main(self) -> dict[str, np.ndarray]:
        run, d = self.run, self.run.data
        if self.pictures:
            p = self._outputs(self._main_x)[-1]
            if d.dim == 1:  # float curves: P(class 1), each class's P, or the prediction
                values = p[:, 1:] if run.task == "binary" else p.reshape(len(p), -1)
                return {"curve": values.T.astype(np.float32)}
            r = _grid_size(run)
            if run.task == "multiclass":
                k = d.n_classes
                best = p.argmax(1)
                top = p[np.arange(len(p)), best]
                shade = np.rint(np.clip((top - 1 / k) / (1 - 1 / k), 0, 1) * SHADES)
                return {"grid": np.stack([best, shade], 1).astype(np.uint8).reshape(r, r, 2)}
            values = p[:, 1] if run.task == "binary" else (p - self.lo_hi[0]) / (
                self.lo_hi[1] - self.lo_hi[0])
            return {"grid": _u8(values).reshape(r, r)}
        if run.task == "regression":
            return {"pred_test": run.predict(d.X_test).astype(np.float32)}
        return {"pred_test": run.predict(d.X_test).argmax(1).astype(np.uint8)}

    def _node_pictures(self) -> tuple[np.ndarray, np.ndarray]:
        """Hidden and output nodes' pictures (n, t, t) or (n, t) and each one's scale."""
        run = self.run
        values = self._outputs(self._thumb_x, every_layer=True)
        n_layers, shape = len(values), self._thumb_shape()
        pics, scales = [], []
        for layer in range(1, n_layers):
            v = values[layer][:, self.units[layer]].T  # (shown units, points)
            if layer == n_layers - 1 and run.task != "regression":
                pics.append(_u8(v).reshape(len(v), *shape))  # probabilities on [0, 1]
                scales.append(np.ones(len(v), np.float32))
            else:
                p, s = _signed(v, shape)
                pics.append(p)
                scales.append(s)
        return np.concatenate(pics), np.concatenate(scales)

    @torch.inference_mode()
    def _outputs(self, inputs: torch.Tensor, every_layer: bool = False) -> list[np.ndarray]:
        """The model (eval mode) on transformed inputs: its output (probabilities or
        predictions) last, after every hidden layer's activations when `every_layer`."""
        model, hidden = self.run.model, []
        model.eval()
        try:
            x = inputs
            for module in model:
                x = module(x)
                if every_layer and _is_activation(module):
                    hidden.append(x.cpu().numpy())
        finally:
            model.train()
        loss = resolve_loss(self.run.config.loss, self.run.task)
        out = predictions(x, self.run.task, loss).cpu().numpy()
        if every_layer:
            out = out[:, 1:] if self.run.task == "binary" else out.reshape(len(out), -1)
            return [inputs.cpu().numpy(), *hidden, out]
        return [out]

    def _closer(self, layer: int, unit: int, throttle: bool
                ) -> tuple[np.ndarray, np.ndarray] | None:
        """The node shown large, or None when the browser's copy is recent enough: while
        training it is redrawn at most CLOSER_S apart, at rest every frame (weights edited)."""
        key, now = (layer, unit), time.perf_counter()
        cached = self._closer_cache
        if throttle and cached and cached[0] == key and now - cached[1] < CLOSER_S:
            return None
        arrays = self._closer_arrays(layer, unit)
        self._closer_cache = (key, now)
        return arrays

    def _closer_arrays(self, layer: int, unit: int) -> tuple[np.ndarray, np.ndarray]:
        values = insight.node_grid(self.run, layer, unit, BIG if self.run.data.dim == 2 else
                                   CURVE)
        last = layer == len(self.units) - 1
        if last and self.run.task != "regression":
            return _u8(values), np.ones(1, np.float32)
        pic, scale = _signed(values.reshape(1, -1), values.shape)
        return pic[0], scale

    def _weights(self) -> dict[str, np.ndarray]:
        """Each Linear layer's drawn weights (shown out, shown in) and biases; the whole flat
        parameter vector too when the browser can compute the model's output itself."""
        run, arrays = self.run, {}
        for i, linear in enumerate(diagram.linear_layers(run.model)):
            W = linear.weight.detach().cpu().numpy()
            full = exact_hover(run)
            if full:
                arrays[f"Wfull{i}"] = W.astype(np.float32)
                arrays[f"bfull{i}"] = linear.bias.detach().cpu().numpy().astype(np.float32)
            if full and W.shape == (len(self.units[i + 1]), len(self.units[i])):
                continue  # every unit is drawn: the browser reads W{i} off Wfull{i}
            arrays[f"W{i}"] = W[np.ix_(self.units[i + 1], self.units[i])].astype(np.float32)
            if linear.bias is not None:
                arrays[f"b{i}"] = linear.bias.detach().cpu().numpy()[self.units[i + 1]]
        return arrays


def _is_activation(module: nn.Module) -> bool:
    return not isinstance(module, (nn.Linear, nn.BatchNorm1d, nn.Dropout))


def exact_hover(run: Run) -> bool:
    """Whether the browser gets every weight and computes the model's output at the cursor
    itself (small networks without batch norm on 1-D or 2-D data; else it reads the grid)."""
    d = run.data
    return (d.box is not None and d.dim <= 2 and not run.config.batchnorm
            and run.params.theta.numel() <= EXACT_HOVER_PARAMS
            and all(f in FEATURES for f in d.features))


def _u8(values: np.ndarray) -> np.ndarray:
    v = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.5)
    return np.rint(np.clip(v, 0.0, 1.0) * 255).astype(np.uint8)


def _signed(values: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(n, points) signed values -> uint8 pictures (n, *shape), 128 at zero and 0/255 at minus/
    plus each row's largest |value|, and those scales (n,) float32."""
    v = np.asarray(values, dtype=np.float64)
    scale = np.max(np.abs(v), axis=1) if v.size else np.zeros(len(v))
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    pics = _u8(0.5 + 0.5 * v / scale[:, None]).reshape(len(v), *shape)
    return pics, scale.astype(np.float32)


def _axes(run: Run) -> list[str]:
    d = run.data
    if d.dim == 2:
        return list(d.column_names[:2]) if d.column_names else ["x1", "x2"]
    if d.dim == 1:
        return [d.column_names[0] if d.column_names else "x",
                "prediction" if run.task == "regression" else "probability"]
    return ["first principal axis", "second principal axis"] if run.task != "regression" else [
        "actual", "predicted"]


def _cards(run: Run, metrics: dict[str, float] | None = None) -> dict[str, Any]:
    """The numbers the cards show: the weights the model holds (after early stopping the best
    epoch's, after an edit the edited ones), and the change since the previous epoch."""
    last, h = metrics or run.final, run.history
    test_key = score_keys(run.task)[1]
    prev = {k: h[k][-2] if len(h[k]) > 1 else None for k in ("train_loss", "test_loss")}
    return {
        "train_loss": _finite(last["train_loss"]), "test_loss": _finite(last["test_loss"]),
        "score": _finite(last[test_key]),
        "d_train_loss": None if prev["train_loss"] is None else _finite(
            h["train_loss"][-1] - prev["train_loss"]),
        "d_test_loss": None if prev["test_loss"] is None else _finite(
            h["test_loss"][-1] - prev["test_loss"]),
        "ms_per_epoch": 1000 * run.seconds / run.epoch if run.epoch else None,
        "steps": run.steps,
    }


# ---- a live job's frames ---------------------------------------------------------------------
_VIEWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # job -> its run's LiveView


def job_frame(job: LiveJob, structure: bool) -> bytes:
    """The next frame of a live job (playground.schedule), a structure first when asked."""
    view = _VIEWS.get(job)
    if view is None or view.run is not job.run:
        view = _VIEWS[job] = LiveView(job.run)
        structure = True
    state = job_state(job)
    if structure:
        return view.structure(state)
    closer = job.options.get("closer", (1, 0) if job.run.config.hidden else (0, 0))
    return view.frame(state, closer=closer, metrics=job.edited)


def job_state(job: LiveJob) -> dict[str, Any]:
    """What every frame says of the job: its epoch, status, pace and speed."""
    run = job.run
    return {"version": job.version, "seq": job.outbox_seq + 1, "epoch": run.epoch,
             "status": job.status(), "playing": job.playing, "pace": job.want.pace,
             "pace_label": PACES[job.want.pace], "stop_at": job.want.stop_at,
             "rate": round(job.rate(), 1), "frame_ms": round(1000 * job.frame_seconds, 2),
             "served_s": round(SCHEDULER.served(job), 3),
             "sharing": max(0, SCHEDULER.sharing - 1) if job.playing else 0,
             "message": run.message if run.status in (
                 "diverged", "early_stopped") else "",
             # the first epoch at 95% test accuracy (R²), the seconds played until then
             "milestone": None if job.milestone is None else {
                 "epoch": job.milestone[0], "played_s": round(job.milestone[1], 2)}}
