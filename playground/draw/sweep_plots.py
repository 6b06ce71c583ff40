"""Plotly figures of a sweep: the final metric over a grid of one or two knobs. No streamlit.

A sweep's summary has one row per grid point: the knobs' values, then mean, std, min, max and
n over the seeds (`SweepResult.summary`). Two knobs draw a heatmap (first knob down, second
across, each cell "mean ± std"); one knob draws the means with ±1 std and the seeds' range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .colours import TEST, TRAIN
from .theme import PERCENT_AXIS, faded, figure, log_axis, value_label

LOG_KNOBS = ("lr", "weight_decay", "l1")  # knobs whose values are usually spread by factors


def _formats(percent: bool):
    if percent:
        return (lambda v: f"{100 * v:.1f}%"), (lambda v: f"{100 * v:.1f}")
    return (lambda v: f"{v:.3g}"), (lambda v: f"{v:.2g}")


def _hover(row, names: list[str], titles: dict[str, str], metric: str, percent: bool) -> str:
    show = _formats(percent)[0]
    where = ", ".join(f"{titles.get(n, n)} {value_label(row[n])}" for n in names)
    if pd.isna(row["mean"]):
        return f"{where}<br>no finished model"
    spread = "" if pd.isna(row["std"]) else f", std {show(row['std'])}"
    return (f"{where}<br>{metric}: mean {show(row['mean'])}{spread}<br>lowest seed "
            f"{show(row['min'])}, highest {show(row['max'])} ({int(row['n'])} seeds)")


def sweep_figure(summary: pd.DataFrame, axes: dict[str, list], metric_label: str, *,
                 percent: bool = False, lower_better: bool = False,
                 titles: dict[str, str] | None = None) -> go.Figure:
    """The summary as a heatmap (two knobs) or means with spreads (one knob). Knob values keep
    their given order; lr-like knobs with positive values get a log axis."""
    titles = titles or {}
    hover = [_hover(row, list(axes), titles, metric_label, percent)
             for _, row in summary.iterrows()]
    if len(axes) == 2:
        return _heatmap(summary, axes, metric_label, percent, lower_better, titles, hover)
    return _error_bars(summary, axes, metric_label, percent, titles, hover)


def _cell_text(mean: float, std: float, percent: bool) -> str:
    show, spread = _formats(percent)
    if pd.isna(mean):
        return "–"
    return show(mean) if pd.isna(std) else f"{show(mean)} ± {spread(std)}"


def _heatmap(summary, axes, metric_label, percent, lower_better, titles, hover) -> go.Figure:
    down, across = axes
    rows, cols = axes[down], axes[across]
    z, stds = np.full((len(rows), len(cols)), np.nan), np.full((len(rows), len(cols)), np.nan)
    words = np.full((len(rows), len(cols)), "", dtype=object)
    for (_, row), note in zip(summary.iterrows(), hover, strict=True):
        i, j = rows.index(row[down]), cols.index(row[across])
        z[i, j], stds[i, j], words[i, j] = row["mean"], row["std"], note
    texts = [[_cell_text(m, s, percent) for m, s in zip(zr, sr)] for zr, sr in zip(z, stds)]
    category = dict(type="category", automargin=True)
    fig = figure(48 * len(rows) + 110,
                 xaxis=dict(title=titles.get(across, across), side="top", **category),
                 yaxis=dict(title=titles.get(down, down), autorange="reversed", **category))
    fig.add_heatmap(z=z, x=[value_label(v) for v in cols], y=[value_label(v) for v in rows],
                    colorscale="Blues", reversescale=lower_better, showscale=False, xgap=2,
                    ygap=2, text=texts, texttemplate="%{text}", textfont=dict(size=14),
                    hovertext=words, hovertemplate="%{hovertext}<extra></extra>",
                    name=metric_label)
    return fig


def _error_bars(summary, axes, metric_label, percent, titles, hover) -> go.Figure:
    (name, values), = axes.items()
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    log = numeric and name in LOG_KNOBS and min(values) > 0
    if log:  # the ends half a step (of 3x) inside the frame, a tick at every value
        x_axis = {**log_axis(values), "tickvals": list(values),
                  "ticktext": [value_label(v) for v in values],
                  "range": [np.log10(min(values) / 1.7), np.log10(max(values) * 1.7)]}
        x = summary[name].to_numpy(dtype=np.float64)
    else:  # evenly spaced in the given order: categories, or a handful of numbers
        labels = [value_label(v) for v in values]
        x_axis = dict(type="category", categoryorder="array", categoryarray=labels)
        x = [value_label(v) for v in summary[name]]
    y_axis = dict(title=metric_label, **(PERCENT_AXIS if percent else {}))
    fig = figure(300, showlegend=False, yaxis=y_axis,
                 xaxis=dict(title=titles.get(name, name), **x_axis))
    mean, std = summary["mean"].to_numpy(float), summary["std"].fillna(0.0).to_numpy(float)
    low, high = mean - std, mean + std
    if percent:  # an accuracy's ±std bar stops at 0% and 100%
        low, high = low.clip(0, 1), high.clip(0, 1)
    spread = dict(type="data", symmetric=False, width=0)
    fig.add_scatter(x=x, y=mean, mode="markers", marker=dict(size=0.1, color=TRAIN),
                    name="lowest to highest seed", hoverinfo="skip",
                    error_y=dict(spread, array=summary["max"] - mean,
                                 arrayminus=mean - summary["min"], color=TRAIN, thickness=2))
    fig.add_scatter(x=x, y=mean, mode="markers", marker=dict(size=0.1, color=TRAIN),
                    name="± one standard deviation", hoverinfo="skip",
                    error_y=dict(spread, array=high - mean, arrayminus=mean - low,
                                 color=faded(TRAIN, 0.25), thickness=14))
    # A line between neighbours means something only along a numeric knob.
    fig.add_scatter(x=x, y=mean, mode="lines+markers" if numeric else "markers", name="mean",
                    line=dict(color=TEST, width=1.5, dash="dot"),
                    marker=dict(color=TEST, size=11), hovertext=hover,
                    hovertemplate="%{hovertext}<extra></extra>")
    return fig
