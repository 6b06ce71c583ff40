"""Plotly figures of where a model goes wrong: the confusion matrix and each class's accuracy
(classification), predictions against targets and the residuals (regression). No streamlit.

Class names may come from an uploaded file: they are shown through `theme.text`.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .charts import thin
from .colours import CLASS_COLOURS, MUTED, TEST, TRAIN
from .theme import PERCENT_AXIS, figure, text

MAX_SCATTER = 2000  # points per scatter chart; more are thinned evenly (the data is shuffled)
_CATEGORIES = dict(type="category", automargin=True)


def _called(name: str) -> str:
    """How a hover names a class: "class 0" stays, an uploaded "cat" becomes "class cat"."""
    return name if name.startswith("class ") else f"class {name}"


def confusion_matrix(matrix: np.ndarray, names: list[str]) -> go.Figure:
    """Heatmap of a (k, k) confusion matrix, row = true class, column = predicted, the count
    written in each cell. A cell's shade is its share of the true class's points (so a small
    class's errors show as clearly as a large one's): blue on the diagonal, orange off it.
    Both traces carry the whole matrix of counts as customdata."""
    m = np.asarray(matrix, dtype=np.int64)
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    shown = [text(n) for n in names]
    k = len(names)
    hover = [[f"{m[t, p]:,} {text(_called(names[t]))} points predicted as "
              f"{text(_called(names[p]))} ({share[t, p]:.1%} of {text(_called(names[t]))})"
              for p in range(k)] for t in range(k)]
    fig = figure(max(220, 36 * k + 110), showlegend=False,
                 xaxis=dict(title="predicted class", side="top", **_CATEGORIES),
                 yaxis=dict(title="true class", autorange="reversed", **_CATEGORIES))
    diagonal = np.eye(k, dtype=bool)
    for cells, colour in ((diagonal, TRAIN), (~diagonal, TEST)):
        fig.add_heatmap(
            z=np.where(cells, share, np.nan), x=shown, y=shown, zmin=0, zmax=1,
            colorscale=[[0, "#ffffff"], [1, colour]], showscale=False, xgap=1, ygap=1,
            text=np.where(cells, m, "").astype(str), texttemplate="%{text}",
            textfont=dict(size=14), customdata=m, hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>")
    return fig


def class_accuracy(accuracy: np.ndarray, counts: np.ndarray, names: list[str],
                   overall: float) -> go.Figure:
    """Horizontal bars: each class's share of points predicted right (in its class colour), a
    dashed line at the overall accuracy. A class with no points has no bar."""
    accuracy = np.asarray(accuracy, dtype=np.float64)
    counts = np.asarray(counts, dtype=np.int64)
    colours = [CLASS_COLOURS[k % len(CLASS_COLOURS)] for k in range(len(names))]
    hover = [f"{text(_called(n))}: {a:.1%} of {c:,} points predicted right"
             if c else f"{text(_called(n))}: no points" for n, a, c in zip(names, accuracy, counts)]
    fig = figure(max(180, 30 * len(names) + 90), showlegend=False,
                 xaxis=dict(title="share predicted right", range=[0, 1.12], **PERCENT_AXIS),
                 yaxis=dict(autorange="reversed", **_CATEGORIES))
    fig.add_bar(x=accuracy, y=[text(n) for n in names], orientation="h", marker_color=colours,
                customdata=counts, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
                text=[f"{a:.0%}" if c else "" for a, c in zip(accuracy, counts)],
                textposition="outside", cliponaxis=False)
    fig.add_vline(x=overall, line=dict(color=MUTED, dash="dash", width=2))
    fig.add_annotation(x=overall, y=1, yref="paper", yanchor="bottom", showarrow=False,
                       text=f"overall {overall:.1%}", font=dict(color=MUTED, size=12))
    return fig


def _scatter_points(y: np.ndarray, yhat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = thin(len(y), MAX_SCATTER)
    return np.asarray(y, dtype=np.float64)[keep], np.asarray(yhat, dtype=np.float64)[keep]


_POINTS = dict(mode="markers", marker=dict(color=TRAIN, size=6, opacity=0.55),
               hovertemplate=("actual %{customdata[0]:.3~g}<br>prediction "
                              "%{customdata[1]:.3~g}<br>residual %{customdata[2]:.3~g}"
                              "<extra></extra>"))


def predicted_vs_actual(y: np.ndarray, yhat: np.ndarray) -> go.Figure:
    """Regression: prediction against target, one point per data point, with the line y = x
    (perfect predictions) dashed; both axes share one range so the line is the diagonal."""
    actual, predicted = _scatter_points(y, yhat)
    lo, hi = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
    pad = 0.05 * (hi - lo or 1.0)
    ends = [lo - pad, hi + pad]
    fig = figure(300, showlegend=False, xaxis=dict(title="actual target", range=ends),
                 yaxis=dict(title="prediction", range=ends))
    fig.add_scatter(x=ends, y=ends, mode="lines", name="perfect prediction", hoverinfo="skip",
                    line=dict(color=TEST, dash="dash", width=2))
    fig.add_scatter(x=actual, y=predicted, name="points", **_POINTS,
                    customdata=np.stack([actual, predicted, actual - predicted], axis=1))
    return fig


def residual_plot(y: np.ndarray, yhat: np.ndarray) -> go.Figure:
    """Regression: residual (target - prediction) against the prediction, with a dashed zero
    line; a shapeless band around it is what a good fit leaves."""
    actual, predicted = _scatter_points(y, yhat)
    fig = figure(300, showlegend=False, xaxis=dict(title="prediction"),
                 yaxis=dict(title="residual (actual − prediction)"))
    fig.add_scatter(x=predicted, y=actual - predicted, name="points", **_POINTS,
                    customdata=np.stack([actual, predicted, actual - predicted], axis=1))
    fig.add_hline(y=0, line=dict(color=TEST, dash="dash", width=2))
    return fig
