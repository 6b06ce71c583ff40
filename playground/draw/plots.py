"""Plotly figures of how runs trained: curves side by side (Compare runs, the two engines),
gradient flow, activation histograms and the learning-rate range test. No streamlit.

Histories and arrays in, `plotly.graph_objects.Figure` out, drawn in the look of `theme`.
Curves are thinned to at most `charts.MAX_POINTS` points each, keeping the first and last.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ..compare import X_AXES, unique_labels
from .charts import thin
from .colours import RUN_COLOURS, TEST, TRAIN
from .theme import PERCENT_AXIS, figure, legend_name, log_axis, number, subscript

Series = tuple[str, Sequence[float], Sequence[float]]  # legend name (safe text), x, y
# How a hover writes the horizontal value: whole epochs and steps, seconds to the millisecond.
X_FORMATS = {"epoch": ",d", "steps": ",d", "seconds": ",.3~f"}


def lines(series: list[Series], *, x_title: str, y_title: str, log_y: bool = False,
          percent: bool = False, colours: Sequence[str] = RUN_COLOURS,
          dashes: Sequence[str] = ("solid",), x_format: str = ",.4~g",
          height: int = 300) -> go.Figure:
    """One line per series; hovering a point names its series and both values. A log axis
    leaves out the values <= 0 it cannot show (epoch 0 has no gradient yet)."""
    y_axis = dict(title=y_title, **(log_axis(*(y for _, _, y in series)) if log_y else {}))
    if percent:
        y_axis.update(PERCENT_AXIS, range=[-0.02, 1.02])
    fig = figure(height, xaxis=dict(title=x_title), yaxis=y_axis, showlegend=True)
    value = ".2%" if percent else ",.4~g"
    hover = (f"<b>%{{fullData.name}}</b><br>{x_title} %{{x:{x_format}}}<br>"
             f"{y_title} %{{y:{value}}}<extra></extra>")
    for i, (name, x, y) in enumerate(series):
        keep = thin(len(x))
        x, y = np.asarray(x, dtype=np.float64)[keep], np.asarray(y, dtype=np.float64)[keep]
        if log_y:
            x, y = x[y > 0], y[y > 0]
        fig.add_scatter(x=x, y=y, name=name, mode="lines", hovertemplate=hover,
                        line=dict(color=colours[i % len(colours)], width=2,
                                  dash=dashes[i % len(dashes)]))
    return fig


def overlay(records: Sequence, key: str, *, x: str = "epoch", title: str,
            log_y: bool = False, percent: bool = False) -> go.Figure:
    """history[key] of every kept run (compare.RunRecord) against x (epoch, seconds or steps),
    one colour per run, named by its label."""
    labels = unique_labels([r.label for r in records])
    series = [(legend_name(label), r.history[x], r.history[key])
              for label, r in zip(labels, records, strict=True)]
    return lines(series, x_title=X_AXES[x], y_title=title, log_y=log_y, percent=percent,
                 x_format=X_FORMATS[x])


def pair(history: dict, series: dict[str, str], *, title: str) -> go.Figure:
    """Two curves of one history (key -> name): the first solid blue, the second dashed red."""
    return lines([(name, history["epoch"], history[key]) for key, name in series.items()],
                 x_title="epoch", y_title=title, colours=(TRAIN, TEST),
                 dashes=("solid", "dash"), x_format=",d", height=260)


def layer_norms(history: dict, prefix: str, *, title: str) -> go.Figure:
    """One line per Linear layer for the series `<prefix>/<i>` (grad_norm/0, grad_norm/2...),
    named W₁, W₂... as the equations name the weights, on a log axis: vanishing gradients show
    as lines far below the others, exploding ones as a climb."""
    keys = [k for k in history if k.startswith(prefix + "/")]
    series = [(f"W{subscript(n + 1)}", history["epoch"], history[k]) for n, k in enumerate(keys)]
    return lines(series, x_title="epoch", y_title=title, log_y=True, x_format=",d")


def histogram(counts: np.ndarray, edges: np.ndarray, *, layer: str) -> go.Figure:
    """Bars of a np.histogram of a hidden layer's values (every unit, every point); `layer`
    names it as the network diagram does (h1, h2...)."""
    counts, edges = np.asarray(counts), np.asarray(edges, dtype=np.float64)
    share = counts / max(int(counts.sum()), 1)
    notes = [[f"{number(a)} to {number(b)}", f"{s:.1%}"]
             for a, b, s in zip(edges[:-1], edges[1:], share, strict=True)]
    fig = figure(240, bargap=0.04, showlegend=False,
                 xaxis=dict(title=f"values of {layer}"), yaxis=dict(title="count"))
    fig.add_bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges),
                marker_color=TRAIN, customdata=notes,
                hovertemplate=(f"{layer}: %{{y:,}} values (%{{customdata[1]}})<br>"
                               "from %{customdata[0]}<extra></extra>"))
    return fig


def lr_range(lrs: Sequence[float], losses: Sequence[float], suggested: float) -> go.Figure:
    """The learning-rate range test: the smoothed loss against a log learning-rate axis, with
    the suggested rate marked by a dashed line and a dot on the curve."""
    lrs, losses = np.asarray(lrs, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    fig = figure(280, showlegend=False, xaxis=dict(title="learning rate", **log_axis(lrs)),
                 yaxis=dict(title="loss (smoothed)"))
    fig.add_scatter(x=lrs, y=losses, mode="lines", name="loss", line=dict(color=TRAIN, width=2),
                    hovertemplate=("learning rate %{x:.2~g}<br>loss %{y:.4~g}"
                                   "<extra></extra>"))
    if math.isfinite(suggested):
        at = int(np.argmin(np.abs(np.log(lrs / suggested))))  # suggested is one of the rates
        fig.add_vline(x=suggested, line=dict(color=TEST, dash="dash", width=2))
        fig.add_scatter(x=[suggested], y=[losses[at]], mode="markers+text", name="suggested",
                        marker=dict(color=TEST, size=11), text=[f"suggested {number(suggested, 2)}"],
                        textposition="top left" if at > len(lrs) / 2 else "top right",
                        hovertemplate="suggested rate %{x:.2~g}<br>loss %{y:.4~g}<extra></extra>")
    return fig
