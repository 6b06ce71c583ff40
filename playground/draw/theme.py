"""One look for every Plotly figure: the page's font and colours, numbers written as people
write them, legends that wrap instead of being cut, and visitors' text shown as text.

Plotly renders a small set of HTML tags (<b>, <br>, <a>...) in names, tick labels and hover
texts, so any text that comes from a visitor (a run's name, an uploaded file's class names)
goes through `text()` first. Hover texts are written with `%{...}` fields of the trace, never
with visitor text inside the template.
"""

from __future__ import annotations

import html
import math
import textwrap

import numpy as np
import plotly.graph_objects as go

from .colours import RUN_COLOURS, rgb

FONT = '"Source Sans", sans-serif'  # the page's font (Streamlit's "sans-serif" theme font)
INK = "#2f2d2b"  # the page's text colour (.streamlit/config.toml)
GRID = "#ebebeb"
LEGEND_CHARS = 44  # a legend entry longer than this wraps onto more lines

_AXIS = dict(gridcolor=GRID, linecolor="#c8c8c8", zeroline=False, ticks="outside",
             tickcolor="#c8c8c8", automargin=True, exponentformat="none",
             separatethousands=True, title=dict(standoff=8))
TEMPLATE = go.layout.Template(layout=dict(
    font=dict(family=FONT, size=14, color=INK), colorway=list(RUN_COLOURS),
    paper_bgcolor="white", plot_bgcolor="white", hovermode="closest",
    margin=dict(l=8, r=16, t=24, b=8),  # automargin grows it to fit ticks, titles and legends
    xaxis=_AXIS, yaxis=_AXIS,
    legend=dict(orientation="h", x=0, xanchor="left", y=1.02, yanchor="bottom",
                bgcolor="rgba(0,0,0,0)", font=dict(size=13)),
    hoverlabel=dict(font=dict(family=FONT, size=13), bgcolor="white", align="left"),
))
# What st.plotly_chart passes to plotly.js: the mode bar keeps zoom, pan, reset and the PNG.
CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"],
          "toImageButtonOptions": {"format": "png", "scale": 2}}
PERCENT_AXIS = dict(tickformat=".0%")


def log_axis(*values) -> dict:
    """A log axis labelled 0.001, 0.01, 0.1 (never "1e-3"); over more than two decades only
    the decades are labelled, over fewer 1, 2 and 5 of each (plotly's own choice, every digit
    from 2 to 9, piles the labels on top of each other in a short chart), and over less than
    one decade more of its digits."""
    v = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in values] or [[]])
    v = v[np.isfinite(v) & (v > 0)]
    axis = dict(type="log", tickformat="~g")
    if not len(v):
        return axis
    lo, hi = float(v.min()), float(v.max())
    decades = np.log10(hi / lo)
    if decades > 2:
        axis["dtick"] = 1
        return axis
    digits = (1, 2, 5) if decades > 0.7 else (1, 1.5, 2, 3, 4, 5, 6, 8)
    first = int(np.floor(np.log10(lo)))
    ticks = [float(f"{m * 10.0**d:.3g}") for d in range(first, int(np.ceil(np.log10(hi))) + 1)
             for m in digits if lo / 1.05 <= m * 10.0**d <= hi * 1.05]
    if len(ticks) >= 2:
        axis["tickvals"] = ticks
    return axis


def figure(height: int, **layout) -> go.Figure:
    """An empty figure in the page's look, `height` pixels tall."""
    return go.Figure(layout=dict(template=TEMPLATE, height=height, **layout))


def faded(colour: str, opacity: float) -> str:
    """"#rrggbb" at an opacity, as plotly reads it: "rgba(r, g, b, a)"."""
    r, g, b = rgb(colour).astype(int)
    return f"rgba({r}, {g}, {b}, {opacity})"


def text(value) -> str:
    """Visitor text made safe for a plotly label: its tags shown, not rendered."""
    return html.escape(str(value), quote=False)


def legend_name(value) -> str:
    """A legend entry: escaped, and wrapped onto lines of LEGEND_CHARS so none is cut."""
    lines = textwrap.wrap(str(value), LEGEND_CHARS, break_long_words=True) or [""]
    return "<br>".join(text(line) for line in lines)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscript(n: int) -> str:
    """12 -> "₁₂", for names such as W₁ (the first layer's weights, as the equations write it)."""
    return str(n).translate(_SUBSCRIPT)


def number(value: float, digits: int = 3) -> str:
    """A number as a person writes it, to `digits` significant digits: 0.00001, 0.0031, 12,500,
    and 1.5×10⁻⁸ only where a decimal would need more than six zeros."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    rounded = float(f"{value:.{digits}g}")
    sign = "−" if rounded < 0 else ""
    size = abs(rounded)
    if size >= 10 ** digits:
        return f"{sign}{round(size):,}"
    if size >= 1e-6:
        places = max(0, digits - 1 - math.floor(math.log10(size)))
        shown = f"{size:,.{places}f}"
        return sign + (shown.rstrip("0").rstrip(".") if places else shown)
    mantissa, exponent = f"{size:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{sign}{mantissa}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def value_label(value) -> str:
    """A setting's value as axes, tables and buttons show it: 0.003, 0.00001, 32, relu."""
    if isinstance(value, float):
        return number(value, 6)
    return str(value)
