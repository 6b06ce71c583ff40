"""Training curves as Vega-Lite specs: a history in, (data, spec) out. No streamlit.

Streamlit updates a Vega-Lite chart in place when its spec or data change, so these can be
redrawn several times a second without the chart going blank (a plotly chart is rebuilt from
nothing each time). Specs are plain dicts: building them through Altair's schema validation
took ~20 ms a chart, this takes well under 1 ms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..nn.metrics import headline, score
from .colours import CLASS_COLOURS

TRAIN, TEST = "#0877bd", "#e4572e"
MAX_POINTS = 400  # per series; longer histories are thinned evenly, keeping the last epoch


def thin(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most `limit` (+1) evenly spread entries of n, always with the first and last."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.append(np.linspace(0, n - 1, limit).astype(np.int64), n - 1))


def curves(history: dict, series: dict[str, str], *, title: str, log_y: bool = False,
           domain: tuple[float, float] | None = None,
           percent: bool = False) -> tuple[pd.DataFrame, dict]:
    """Lines of history[key] against history["epoch"] for each key in `series` (key -> label);
    the first solid blue (train), the second dashed red (test). Hover shows exact values."""
    keep = thin(len(history["epoch"]))
    epochs = np.asarray(history["epoch"])[keep]
    frames = []
    for key, label in series.items():
        value = np.asarray(history[key], dtype=np.float64)[keep]
        shown = np.clip(value, *domain) if domain else value
        if log_y:
            shown = np.maximum(shown, 1e-8)  # a log axis cannot show 0
        frames.append(pd.DataFrame({"epoch": epochs, "value": value, "shown": shown,
                                    "curve": label}))
    labels = list(series.values())
    scale: dict = {"type": "log" if log_y else "linear", "zero": False}
    if domain:
        scale["domain"] = list(domain)
    encoding = {
        "x": {"field": "epoch", "type": "quantitative", "title": "epoch",
              "axis": {"format": ",d", "tickMinStep": 1}},
        "y": {"field": "shown", "type": "quantitative", "title": title, "scale": scale,
              "axis": {"format": ".0%" if percent else "~g", "minExtent": 44}},
        "color": {"field": "curve", "type": "nominal", "title": None,
                  "scale": {"domain": labels, "range": [TRAIN, TEST][:len(labels)]},
                  "legend": {"orient": "top", "symbolType": "stroke", "symbolStrokeWidth": 3}},
    }
    tooltip = [{"field": "curve", "type": "nominal"},
               {"field": "epoch", "type": "quantitative", "format": ","},
               {"field": "value", "type": "quantitative", "format": ".2%" if percent else ".4~g"}]
    dash = {"field": "curve", "type": "nominal", "legend": None,
            "scale": {"domain": labels, "range": [[1, 0], [6, 3]]}}
    spec = {"layer": [
        {"mark": {"type": "line", "strokeWidth": 2}, "encoding": {**encoding, "strokeDash": dash}},
        {"mark": {"type": "circle", "size": 70, "opacity": 0},
         "encoding": {**encoding, "tooltip": tooltip}},
    ]}
    return pd.concat(frames, ignore_index=True), spec


def loss_curves(history: dict, log_y: bool = False) -> tuple[pd.DataFrame, dict]:
    return curves(history, {"train_loss": "train loss", "test_loss": "test loss"},
                  title="loss" + (" (log scale)" if log_y else ""), log_y=log_y)


def metric_curves(history: dict, task: str) -> tuple[pd.DataFrame, dict]:
    """The task's headline metric (metrics.headline); values beyond its domain are drawn at
    the edge (hover shows the true value): R² starts far below 0."""
    m = headline(task)
    series = dict(score(task, split) for split in ("train", "test"))
    title = m.label + (" (1 is perfect)" if m.name == "r2" else "")
    return curves(history, series, title=title, domain=m.domain, percent=m.percent)


def layer_curves(history: dict, prefix: str, *, title: str) -> tuple[pd.DataFrame, dict]:
    """One line per layer for the series `<prefix>/<i>` (e.g. grad_norm/0, grad_norm/2), on a log
    axis: vanishing gradients show as lines far below the others, exploding ones as a climb."""
    keys = [k for k in history if k.startswith(prefix + "/")]
    keep = thin(len(history["epoch"]))
    epochs = np.asarray(history["epoch"])[keep]
    frames = [pd.DataFrame({"epoch": epochs, "value": np.asarray(history[k], float)[keep],
                            "layer": f"layer {n + 1}"}) for n, k in enumerate(keys)]
    data = pd.concat(frames, ignore_index=True)
    data = data[data["value"] > 0]  # a log axis has no 0 (epoch 0 has no gradient yet)
    spec = {"mark": {"type": "line", "strokeWidth": 2, "point": False, "tooltip": True},
            "encoding": {
                "x": {"field": "epoch", "type": "quantitative", "axis": {"format": ",d"}},
                "y": {"field": "value", "type": "quantitative", "title": title,
                      "scale": {"type": "log"}, "axis": {"minExtent": 44}},
                "color": {"field": "layer", "type": "nominal", "title": None,
                          "legend": {"orient": "top"}}}}
    return data, spec


def histogram(counts: np.ndarray, edges: np.ndarray, *, title: str) -> tuple[pd.DataFrame, dict]:
    """Bars of a np.histogram result."""
    data = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts})
    spec = {"mark": {"type": "bar", "color": TRAIN, "tooltip": True},
            "encoding": {"x": {"field": "start", "type": "quantitative", "bin": "binned",
                               "title": title},
                         "x2": {"field": "end"},
                         "y": {"field": "count", "type": "quantitative", "title": "values"}}}
    return data, spec


def lr_range(lrs, losses, suggested: float) -> tuple[pd.DataFrame, dict]:
    """The learning-rate range test: smoothed loss against a log learning-rate axis, with the
    suggested rate marked by a vertical rule."""
    data = pd.DataFrame({"lr": np.asarray(lrs, float), "loss": np.asarray(losses, float)})
    x = {"field": "lr", "type": "quantitative", "title": "learning rate",
         "scale": {"type": "log"}, "axis": {"format": "~g"}}
    spec = {"layer": [
        {"mark": {"type": "line", "strokeWidth": 2, "color": TRAIN, "tooltip": True},
         "encoding": {"x": x, "y": {"field": "loss", "type": "quantitative",
                                    "title": "loss (smoothed)", "scale": {"zero": False}}}},
        {"data": {"values": [{"lr": suggested}]},
         "mark": {"type": "rule", "color": TEST, "strokeDash": [6, 3], "strokeWidth": 2},
         "encoding": {"x": x}},
    ]}
    return data, spec


# ---- errors: confusion matrix, per-class accuracy, predicted vs actual, residuals ------------
MAX_SCATTER = 2000  # points per scatter chart; more are thinned evenly (the data is shuffled)
MUTED = "#555555"


def confusion_matrix(matrix: np.ndarray, names: list[str]) -> tuple[pd.DataFrame, dict]:
    """Heatmap of a (k, k) confusion matrix, row = true class, column = predicted, the count
    written in each cell. A cell's shade is its share of the true class's points (so a small
    class's errors show as clearly as a large one's): blue on the diagonal, orange off it."""
    m = np.asarray(matrix, dtype=np.int64)
    totals = m.sum(axis=1, keepdims=True)
    share = m / np.maximum(totals, 1)
    true, pred = np.indices(m.shape)
    data = pd.DataFrame({"true": np.asarray(names)[true.ravel()],
                         "predicted": np.asarray(names)[pred.ravel()], "count": m.ravel(),
                         "share": share.ravel(), "correct": (true == pred).ravel()})
    axis = {"labelAngle": 0, "labelLimit": 120}
    encoding = {
        "x": {"field": "predicted", "type": "nominal", "sort": list(names),
              "title": "predicted class", "axis": {**axis, "orient": "top"}},
        "y": {"field": "true", "type": "nominal", "sort": list(names), "title": "true class",
              "axis": axis},
        "tooltip": [{"field": "true", "title": "true class"},
                    {"field": "predicted", "title": "predicted class"},
                    {"field": "count", "type": "quantitative", "format": ","},
                    {"field": "share", "type": "quantitative", "format": ".1%",
                     "title": "share of the true class"}]}

    def cells(correct: bool, colour: str) -> dict:
        return {"transform": [{"filter": f"{'' if correct else '!'}datum.correct"}],
                "mark": {"type": "rect", "stroke": "#dddddd", "strokeWidth": 1},
                "encoding": {**encoding, "color": {
                    "field": "share", "type": "quantitative", "legend": None,
                    "scale": {"domain": [0, 1], "range": ["#ffffff", colour],
                              "interpolate": "rgb"}}}}

    text = {"mark": {"type": "text", "fontSize": 14},
            "encoding": {**encoding, "text": {"field": "count", "type": "quantitative",
                                              "format": ","},
                         "color": {"condition": {"test": "datum.share > 0.55",
                                                 "value": "#ffffff"}, "value": "#222222"}}}
    spec = {"layer": [cells(True, TRAIN), cells(False, TEST), text],
            "resolve": {"scale": {"color": "independent"}}}
    return data, spec


def class_accuracy(accuracy: np.ndarray, counts: np.ndarray, names: list[str],
                   overall: float) -> tuple[pd.DataFrame, dict]:
    """Horizontal bars: each class's share of points predicted right (in its class colour), a
    dashed rule at the overall accuracy. A class with no points has no bar."""
    data = pd.DataFrame({"class": list(names), "accuracy": np.asarray(accuracy, float),
                         "points": np.asarray(counts, np.int64)})
    colours = [CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(len(names))]
    y = {"field": "class", "type": "nominal", "sort": list(names), "title": None}
    x = {"field": "accuracy", "type": "quantitative", "title": "share predicted right",
         "scale": {"domain": [0, 1]}, "axis": {"format": ".0%"}}
    tooltip = [{"field": "class"}, {"field": "accuracy", "type": "quantitative", "format": ".1%"},
               {"field": "points", "type": "quantitative", "format": ","}]
    spec = {"layer": [
        {"mark": {"type": "bar", "tooltip": True},
         "encoding": {"y": y, "x": x, "tooltip": tooltip,
                      "color": {"field": "class", "type": "nominal", "legend": None,
                                "scale": {"domain": list(names), "range": colours}}}},
        {"mark": {"type": "text", "align": "left", "dx": 4, "color": MUTED},
         "encoding": {"y": y, "x": x, "text": {"field": "accuracy", "type": "quantitative",
                                               "format": ".0%"}}},
        {"data": {"values": [{"overall": overall}]},
         "mark": {"type": "rule", "color": MUTED, "strokeDash": [6, 3], "strokeWidth": 2},
         "encoding": {"x": {"field": "overall", "type": "quantitative"},
                      "tooltip": [{"field": "overall", "type": "quantitative", "format": ".1%",
                                   "title": "overall accuracy"}]}},
    ]}
    return data, spec


def _scatter_rows(y: np.ndarray, yhat: np.ndarray) -> pd.DataFrame:
    keep = thin(len(y), MAX_SCATTER)
    actual, predicted = np.asarray(y, float)[keep], np.asarray(yhat, float)[keep]
    return pd.DataFrame({"actual": actual, "predicted": predicted,
                         "residual": actual - predicted})


_SCATTER_TOOLTIP = [{"field": f, "type": "quantitative", "format": ".3~g"}
                    for f in ("actual", "predicted", "residual")]
_POINTS = {"type": "circle", "size": 28, "opacity": 0.55, "color": TRAIN}


def predicted_vs_actual(y: np.ndarray, yhat: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """Regression: prediction against target, one point per data point, with the line y = x
    (perfect predictions) dashed; both axes share one range so the line is the diagonal."""
    data = _scatter_rows(y, yhat)
    lo = float(min(data["actual"].min(), data["predicted"].min()))
    hi = float(max(data["actual"].max(), data["predicted"].max()))
    pad = 0.05 * (hi - lo or 1.0)
    scale = {"domain": [lo - pad, hi + pad], "nice": False, "zero": False}
    x = {"field": "actual", "type": "quantitative", "title": "actual target", "scale": scale}
    y_enc = {"field": "predicted", "type": "quantitative", "title": "prediction", "scale": scale}
    spec = {"layer": [
        {"data": {"values": [{"actual": lo - pad, "predicted": lo - pad},
                             {"actual": hi + pad, "predicted": hi + pad}]},
         "mark": {"type": "line", "color": TEST, "strokeDash": [6, 3], "strokeWidth": 2},
         "encoding": {"x": x, "y": y_enc}},
        {"mark": _POINTS, "encoding": {"x": x, "y": y_enc, "tooltip": _SCATTER_TOOLTIP}},
    ]}
    return data, spec


def residual_plot(y: np.ndarray, yhat: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """Regression: residual (target - prediction) against the prediction, with a dashed zero
    line; a shapeless band around it is what a good fit leaves."""
    data = _scatter_rows(y, yhat)
    x = {"field": "predicted", "type": "quantitative", "title": "prediction",
         "scale": {"zero": False}}
    y_enc = {"field": "residual", "type": "quantitative", "title": "residual (actual − prediction)"}
    spec = {"layer": [
        {"mark": _POINTS, "encoding": {"x": x, "y": y_enc, "tooltip": _SCATTER_TOOLTIP}},
        {"data": {"values": [{"zero": 0}]},
         "mark": {"type": "rule", "color": TEST, "strokeDash": [6, 3], "strokeWidth": 2},
         "encoding": {"y": {"field": "zero", "type": "quantitative"}}},
    ]}
    return data, spec


# ---- sweeps: the final test metric over a grid of one or two knobs ---------------------------
LOG_KNOBS = ("lr", "weight_decay", "l1")  # knobs whose values are usually spread by factors


def value_label(value) -> str:
    """A knob value as the axis shows it: 0.003, 32, relu."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _sweep_rows(summary: pd.DataFrame, axes: dict[str, list], percent: bool,
                lower_better: bool) -> pd.DataFrame:
    """summary's rows with each knob's value as text, the cell text and the ±std ends."""
    data = summary.copy()
    for name in axes:
        data[f"{name}_label"] = [value_label(v) for v in data[name]]
    show = (lambda v: f"{100 * v:.1f}%") if percent else (lambda v: f"{v:.3g}")
    spread = (lambda v: f"{100 * v:.1f}") if percent else (lambda v: f"{v:.2g}")
    data["text"] = ["–" if pd.isna(m) else show(m) if pd.isna(s) else f"{show(m)} ± {spread(s)}"
                    for m, s in zip(data["mean"], data["std"])]
    std = data["std"].fillna(0.0)
    data["low"], data["high"] = data["mean"] - std, data["mean"] + std
    if percent:  # an accuracy's ±std bar stops at 0% and 100%
        data["low"], data["high"] = data["low"].clip(0, 1), data["high"].clip(0, 1)
    # Dark cells (the better end of the colour ramp) get white text.
    lo, hi = data["mean"].min(), data["mean"].max()
    share = (data["mean"] - lo) / (hi - lo) if hi > lo else pd.Series(1.0, index=data.index)
    data["dark"] = (1 - share if lower_better else share) > 0.55
    return data


def _sweep_tooltip(axes: dict[str, list], titles: dict[str, str], fmt: str) -> list[dict]:
    return ([{"field": f"{n}_label", "title": titles.get(n, n)} for n in axes]
            + [{"field": f, "type": "quantitative", "format": fmt, "title": t}
               for f, t in (("mean", "mean over seeds"), ("std", "std over seeds"),
                            ("min", "lowest seed"), ("max", "highest seed"))]
            + [{"field": "n", "type": "quantitative", "title": "seeds"}])


def sweep_chart(summary: pd.DataFrame, axes: dict[str, list], metric_label: str, *,
                percent: bool = False, lower_better: bool = False,
                titles: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict]:
    """A sweep's summary (one row per grid point: the knobs, mean, std, min, max, n): two knobs
    as a heatmap (first knob down, second across, each cell "mean ± std"), one knob as the mean
    against the knob with the min-max range and ±1 std as bars. Knob values keep their given
    order; lr-like knobs with positive values get a log axis."""
    titles = titles or {}
    data = _sweep_rows(summary, axes, percent, lower_better)
    fmt = ".1%" if percent else ".4~g"
    tooltip = _sweep_tooltip(axes, titles, fmt)
    if len(axes) == 2:
        return data, _heatmap(list(axes), axes, metric_label, lower_better, titles, tooltip)
    return data, _error_bars(next(iter(axes)), axes, metric_label, percent, titles, tooltip)


def _heatmap(names: list[str], axes: dict[str, list], metric_label: str, lower_better: bool,
             titles: dict[str, str], tooltip: list[dict]) -> dict:
    down, across = names
    axis = {"labelAngle": 0, "labelLimit": 120}
    encoding = {
        "x": {"field": f"{across}_label", "type": "nominal", "title": titles.get(across, across),
              "sort": [value_label(v) for v in axes[across]], "axis": {**axis, "orient": "top"}},
        "y": {"field": f"{down}_label", "type": "nominal", "title": titles.get(down, down),
              "sort": [value_label(v) for v in axes[down]], "axis": axis},
        "tooltip": tooltip}
    colour = {"field": "mean", "type": "quantitative", "title": metric_label,
              "scale": {"scheme": "blues", "reverse": lower_better},
              "legend": None}  # every cell says its value
    return {"layer": [
        {"mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 2},
         "encoding": {**encoding, "color": colour}},
        {"mark": {"type": "text", "fontSize": 13},
         "encoding": {**encoding, "text": {"field": "text"},
                      "color": {"condition": {"test": "datum.dark", "value": "#ffffff"},
                                "value": "#222222"}}},
    ]}


def _error_bars(name: str, axes: dict[str, list], metric_label: str, percent: bool,
                titles: dict[str, str], tooltip: list[dict]) -> dict:
    values = axes[name]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    title = titles.get(name, name)
    if numeric and name in LOG_KNOBS and min(values) > 0:
        lo, hi = min(values), max(values)  # the ends half a step (of 3x) inside the frame
        x = {"field": name, "type": "quantitative", "title": title,
             "scale": {"type": "log", "domain": [lo / 1.7, hi * 1.7], "nice": False},
             "axis": {"format": "~g", "values": list(values)}}
    else:  # evenly spaced in the given order: categories, or a handful of numbers
        x = {"field": f"{name}_label", "type": "ordinal" if numeric else "nominal",
             "title": title, "sort": [value_label(v) for v in values],
             "axis": {"labelAngle": 0}}
    y_axis = {"format": ".0%" if percent else "~g", "minExtent": 44}

    def y(field: str) -> dict:
        return {"field": field, "type": "quantitative", "title": metric_label,
                "scale": {"zero": False}, "axis": y_axis}

    layers = [
        {"mark": {"type": "rule", "color": TRAIN, "strokeWidth": 2},  # lowest to highest seed
         "encoding": {"x": x, "y": y("min"), "y2": {"field": "max"}}},
        {"mark": {"type": "rule", "color": TRAIN, "strokeWidth": 14, "opacity": 0.25},  # ±1 std
         "encoding": {"x": x, "y": y("low"), "y2": {"field": "high"}}},
        {"mark": {"type": "point", "filled": True, "size": 90, "color": TEST},
         "encoding": {"x": x, "y": y("mean"), "tooltip": tooltip}},
    ]
    if numeric:  # a line between neighbours means something only along a numeric knob
        layers.insert(2, {"mark": {"type": "line", "color": TEST, "strokeWidth": 1.5,
                                   "strokeDash": [4, 3]},
                          "encoding": {"x": x, "y": y("mean")}})
    return {"layer": layers}
