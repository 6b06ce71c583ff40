"""The network diagram's facts, as TensorFlow Playground draws it: which units of each layer are
drawn, their names, and how wide an edge is for its weight. The browser draws the diagram from
these (playground/draw/frames.py sends them; playground/ui/static/network.js draws). No streamlit.

Layers wider than MAX_UNITS show their first MAX_UNITS - 1 units and say how many more there are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from torch import nn

from ..insight import class_names

if TYPE_CHECKING:
    from ..train import Run

MAX_UNITS = 8  # nodes drawn per input or hidden layer
MAX_OUTPUTS = 10  # every class of the ten-class data
THUMB = 20  # grid points per axis of a node's picture (2-D data)
THUMB_1D = 40  # points of a node's curve (1-D data)


def shown_units(width: int, limit: int = MAX_UNITS) -> list[int]:
    """The units drawn for a layer of `width`: all, or the first limit - 1 (and a '+ more' note)."""
    return list(range(width)) if width <= limit else list(range(limit - 1))


def widths(run: Run) -> list[int]:
    """Units per layer: inputs, hidden layers, outputs."""
    return [run.data.n_features, *run.config.hidden, run.config.n_outputs]


def layer_units(run: Run) -> list[list[int]]:
    """The units drawn in each layer."""
    ws = widths(run)
    return [shown_units(w, MAX_OUTPUTS if i == len(ws) - 1 else MAX_UNITS)
            for i, w in enumerate(ws)]


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)]


def layer_names(run: Run) -> list[str]:
    hidden = [f"Hidden {i + 1}" for i in range(len(run.config.hidden))]
    return ["Input", *hidden, "Output"]


def unit_names(run: Run) -> list[list[str]]:
    """Each layer's unit names: the features, h<layer>.<unit>, and the outputs."""
    d = run.data
    inputs = list(d.input_names())
    hidden = [[f"h{i + 1}.{u + 1}" for u in range(w)] for i, w in enumerate(run.config.hidden)]
    classes = class_names(d)
    if run.task == "multiclass":
        outputs = [f"P({name})" for name in classes]
    else:
        outputs = [f"P({classes[1]})" if run.task == "binary" else "prediction"]
    return [inputs[:d.n_features], *hidden, outputs]


def edge_width(weight: np.ndarray) -> np.ndarray:
    """Stroke width in pixels: 0.5 for 0, growing with |w| to 7 at |w| >= 2.5 (an absolute
    scale, so edges widen as the weights grow during training). network.js draws with this."""
    return 0.5 + 6.5 * np.minimum(np.abs(weight), 2.5) / 2.5
