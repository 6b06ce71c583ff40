"""Plotly figures of a loss landscape (landscape.py): contour lines and a rotatable 3-D surface,
with each run's path, the start, the ends and the lowest point in view. No streamlit.

Losses span orders of magnitude (a run that overshoots climbs far up the walls), so colour and
height are log10 of the loss; the colour bar, the height axis and every hover say the loss
itself. Low is TF Playground's blue, high its orange.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..landscape import Landscape
from .colours import CLASS_COLOURS, PATH_COLOURS
from .theme import INK, faded, figure, legend_name, number

SCALE = [[0.0, CLASS_COLOURS[1]], [0.5, "#ffffff"], [1.0, CLASS_COLOURS[0]]]
FLOOR = 1e-12  # a loss of exactly 0 (hinge) is drawn at this height


def _log(loss: np.ndarray) -> np.ndarray:
    return np.log10(np.maximum(loss, FLOOR))


def _ticks(z: np.ndarray) -> dict:
    """Tick positions on a log10 axis at 1, 2, 5 x 10^k (decades only over a wide range),
    labelled with the loss itself."""
    lo, hi = float(np.nanmin(z)), float(np.nanmax(z))
    steps = (1, 2, 5) if hi - lo <= 2 else (1,)
    values = [np.log10(m) + k for k in range(int(np.floor(lo)), int(np.ceil(hi)) + 1)
              for m in steps]
    values = [v for v in values if lo - 1e-9 <= v <= hi + 1e-9] or [lo, hi]
    return dict(tickvals=values, ticktext=[number(10 ** v, 2) for v in values])


def _grid_hover(land: Landscape) -> str:
    return (f"{land.axes[0]} %{{x:.3~g}}<br>{land.axes[1]} %{{y:.3~g}}<br>"
            "loss %{customdata:.4~g}<extra></extra>")


def _path_data(path) -> np.ndarray:
    return np.stack([path.steps, path.loss, path.true_loss], axis=1)


_PATH_HOVER = ("<b>%{fullData.name}</b> · step %{customdata[0]:,}<br>loss on the slice "
               "%{customdata[1]:.4~g}<br>at the recorded weights %{customdata[2]:.4~g}"
               "<extra></extra>")


def _inside(land: Landscape, coords: np.ndarray) -> np.ndarray:
    """How many of a path's first points lie inside the grid's box (the 3-D view cuts a path
    where it leaves: plotly's scenes do not clip)."""
    out = ((coords[:, 0] < land.xs[0]) | (coords[:, 0] > land.xs[-1])
           | (coords[:, 1] < land.ys[0]) | (coords[:, 1] > land.ys[-1]))
    return int(np.argmax(out)) if out.any() else len(coords)


def _ranges(land: Landscape) -> dict:
    """Axes fixed to the grid: a path that runs off (a diverging run) leaves the picture."""
    return dict(xaxis=dict(title=land.axes[0], range=[land.xs[0], land.xs[-1]]),
                yaxis=dict(title=land.axes[1], range=[land.ys[0], land.ys[-1]]))


def contour(land: Landscape) -> go.Figure:
    """The slice as filled contours, every path on it, the start (circle), each end (diamond)
    and the lowest point (cross): the least-squares line's on an exact surface, else the
    grid's."""
    z = _log(land.loss)
    fig = figure(440, **_ranges(land))
    fig.add_contour(x=land.xs, y=land.ys, z=z, colorscale=SCALE, ncontours=22, name="loss",
                    line=dict(width=0.6, color=faded(INK, 0.35)), customdata=land.loss,
                    hovertemplate=_grid_hover(land), showlegend=False,
                    colorbar=dict(title=dict(text="loss", side="right"), thickness=12,
                                  **_ticks(z)))
    for k, (name, path) in enumerate(land.paths.items()):
        colour = PATH_COLOURS[k % len(PATH_COLOURS)]
        label = legend_name(name)
        fig.add_scatter(x=path.coords[:, 0], y=path.coords[:, 1], name=label,
                        mode="lines+markers", line=dict(color=colour, width=2),
                        marker=dict(color=colour, size=4), customdata=_path_data(path),
                        hovertemplate=_PATH_HOVER, legendgroup=label)
        fig.add_scatter(x=path.coords[-1:, 0], y=path.coords[-1:, 1], mode="markers",
                        name=label, showlegend=False, hovertemplate=_PATH_HOVER,
                        customdata=_path_data(path)[-1:], legendgroup=label,
                        marker=dict(symbol="diamond", size=13, color=colour,
                                    line=dict(color="white", width=1.5)))
    for name, x, y, _, symbol in _marks(land):
        fig.add_scatter(x=[x], y=[y], mode="markers", name=name,
                        hovertemplate=f"{name}<extra></extra>",
                        marker=dict(symbol=symbol, size=14, color=INK,
                                    line=dict(color=INK if "open" in symbol else "white", width=2)))
    return fig


def _marks(land: Landscape) -> list[tuple[str, float, float, float, str]]:
    """(legend name, x, y, loss, marker symbol) of the start the paths share and of the
    lowest point: the least-squares fit where there is one, else the grid's lowest."""
    first = next(iter(land.paths.values()))
    start = first.loss[0]
    if land.optimum is not None:
        x, y, low = land.optimum
        lowest = f"least-squares fit (loss {number(low, 3)})"
    else:
        x, y, low = land.minimum
        lowest = f"lowest point in view (loss {number(low, 3)})"
    return [(f"start (loss {number(start, 3)})", *first.coords[0], start, "circle-open"),
            (lowest, x, y, low, "x")]


def surface(land: Landscape) -> go.Figure:
    """The slice as a rotatable 3-D surface (height: the loss, on a log scale), the paths lying
    on it (each cut where it leaves the box), the start and the lowest point."""
    z = _log(land.loss)
    lift = 0.01 * (float(z.max() - z.min()) or 1.0)  # paths drawn just above the surface
    axis = dict(backgroundcolor="white", gridcolor="#dddddd", showspikes=False)
    ranges = _ranges(land)
    fig = figure(480, scene=dict(xaxis=dict(title=dict(text=land.axes[0]),
                                            range=ranges["xaxis"]["range"], **axis),
                                 yaxis=dict(title=dict(text=land.axes[1]),
                                            range=ranges["yaxis"]["range"], **axis),
                                 zaxis=dict(title=dict(text="loss"), **axis, **_ticks(z)),
                                 aspectmode="manual", aspectratio=dict(x=1, y=1, z=0.7)),
                 margin=dict(l=0, r=0, t=30, b=0))
    fig.add_surface(x=land.xs, y=land.ys, z=z, colorscale=SCALE, showscale=False, opacity=0.92,
                    name="loss", customdata=land.loss, hovertemplate=_grid_hover(land),
                    contours=dict(z=dict(show=True, color=faded(INK, 0.35), width=1)))
    for k, (name, path) in enumerate(land.paths.items()):
        colour = PATH_COLOURS[k % len(PATH_COLOURS)]
        n = max(_inside(land, path.coords), 1)
        fig.add_scatter3d(x=path.coords[:n, 0], y=path.coords[:n, 1],
                          z=_log(path.loss[:n]) + lift, name=legend_name(name),
                          mode="lines+markers", line=dict(color=colour, width=5),
                          marker=dict(color=colour, size=2.5), customdata=_path_data(path)[:n],
                          hovertemplate=_PATH_HOVER)
    for name, x, y, loss, symbol in _marks(land):
        fig.add_scatter3d(x=[x], y=[y], z=[float(_log(np.array(loss))) + lift], mode="markers",
                          name=name, hovertemplate=f"{name}<extra></extra>",
                          marker=dict(symbol=symbol, size=7, color=INK))
    return fig
