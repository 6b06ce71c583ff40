"""The main view's training curves as Vega-Lite specs: a history in, (data, spec) out. No
streamlit. (The panels' charts are Plotly figures: draw/plots.py and its neighbours.)

Streamlit updates a Vega-Lite chart in place when its spec or data change, so these can be
redrawn several times a second without the chart going blank (a plotly chart is rebuilt from
nothing each time). Specs are plain dicts: building them through Altair's schema validation
took ~20 ms a chart, this takes well under 1 ms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .colours import TEST, TRAIN

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
    if task == "regression":  # R² starts far below 0; below -1 is drawn at -1 (hover: true value)
        return curves(history, {"train_r2": "train R²", "test_r2": "test R²"},
                      title="R² (1 is perfect)", domain=(-1.0, 1.0))
    return curves(history, {"train_acc": "train accuracy", "test_acc": "test accuracy"},
                  title="accuracy", domain=(0.0, 1.0), percent=True)
