"""The network diagram, as TensorFlow Playground draws it: every input, neuron and output a node,
every weight an edge (blue positive, orange negative, wider when larger), and on 1-D or 2-D data
each node a small picture of its own output over the input space. No streamlit.

`diagram(run)` returns the tables (nodes, edges, labels) and `spec(...)` the Vega-Lite spec that
draws them: the spec names its datasets and stays the same while a run trains, so the page can
swap in new tables several times a second without the chart being rebuilt. Layers wider than
MAX_UNITS show their first MAX_UNITS - 1 units and say how many more there are.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from torch import nn

from ..datasets import grid
from ..insight import class_names, node_grid, node_values  # noqa: F401 (node_grid: re-export)
from .colours import CLASS_COLOURS, WHITE, diverging_rgb, rgb
from .raster import _font

if TYPE_CHECKING:
    from ..train import Run

MAX_UNITS = 8  # nodes drawn per input or hidden layer
MAX_OUTPUTS = 10  # every class of the ten-class data
THUMB = 24  # grid points per axis of a node's picture (2-D data)
THUMB_1D = 40
NODE_PX = 34  # a node's size on the page
ROW_PX = 46  # vertical room per node
_PLAIN = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
POSITIVE, NEGATIVE = CLASS_COLOURS[1], CLASS_COLOURS[0]  # TF Playground: blue +, orange -


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


def n_rows(run: Run) -> int:
    """Rows the tallest layer needs (its nodes, and a '+ more' note if it has one)."""
    return max(len(u) + (len(u) < w) for u, w in zip(layer_units(run), widths(run), strict=True))


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


def _png_url(pixels: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def picture(values: np.ndarray, dim: int, colour: str | None = None,
            scale: float | None = None) -> np.ndarray:
    """A node's output over the grid as RGB pixels: (r, r) on 2-D data (row 0 at the top, as
    images run), a curve on 1-D data. Signed values use orange-white-blue scaled to `scale`
    (default: the node's largest |value|); `colour` draws a probability as white to that colour
    instead."""
    v = np.asarray(values, dtype=np.float64)
    if colour is not None:
        pixels = np.rint(WHITE + np.clip(v, 0, 1)[..., None] * (rgb(colour) - WHITE))
        pixels = pixels.astype(np.uint8)
    else:
        scale = scale or float(np.max(np.abs(v))) or 1.0
        pixels = diverging_rgb(0.5 + 0.5 * v / scale)
    if dim == 2:
        return np.ascontiguousarray(pixels[::-1])  # image rows run top down
    return _curve(v if colour is None else 2 * np.clip(v, 0, 1) - 1)


def _curve(v: np.ndarray) -> np.ndarray:
    """A 1-D node's output as a small line plot (white background, zero line in grey)."""
    r = len(v)
    scale = float(np.max(np.abs(v))) or 1.0
    rows = np.rint((1 - (0.5 + 0.45 * v / scale)) * (r - 1)).astype(int)  # row per column
    img = np.full((r, r, 3), 255, dtype=np.uint8)
    img[r // 2, :] = 210
    for c in range(r):
        lo, hi = sorted((rows[c], rows[max(c - 1, 0)]))
        img[lo:hi + 1, c] = rgb(POSITIVE).astype(np.uint8)
    return img


def pictures(run: Run) -> list[np.ndarray] | None:
    """Each drawn node's picture as RGB pixels, in the order of `diagram`'s nodes table (layer by
    layer, top down), or None for data of more than 2 dimensions."""
    d = run.data
    if d.box is None or d.dim > 2:
        return None
    _, _, points = grid(d.box, THUMB if d.dim == 2 else THUMB_1D)
    shape = (THUMB, THUMB) if d.dim == 2 else (THUMB_1D,)
    values = node_values(run, points)
    return [node_pixels(run, layer, u, v[:, u].reshape(shape))[0]
            for layer, (v, units) in enumerate(zip(values, layer_units(run), strict=True))
            for u in units]


def node_pixels(run: Run, layer: int, unit: int, values: np.ndarray
                ) -> tuple[np.ndarray, tuple[tuple[str, tuple], tuple[str, tuple]]]:
    """A node's output over the grid as pixels (`picture`), and the legend's two ends (label,
    colour): signed values orange-white-blue; P(class 1) orange at 0, blue at 1; a class's
    probability white to that class's colour."""
    dim, last = run.data.dim, layer == len(run.config.hidden) + 1
    orange, blue = tuple(rgb(NEGATIVE).astype(int)), tuple(rgb(POSITIVE).astype(int))
    if last and run.task == "multiclass":
        colour = CLASS_COLOURS[unit % len(CLASS_COLOURS)]
        return (picture(values, dim, colour),
                (("0", (255, 255, 255)), ("1", tuple(rgb(colour).astype(int)))))
    if last and run.task == "binary":  # on a fixed scale: P = 0.5 is white wherever it is
        return picture(2 * values - 1, dim, scale=1.0), (("0", orange), ("1", blue))
    return picture(values, dim), (("below 0", orange), ("above 0", blue))


def diagram(run: Run, *, urls: bool = True) -> dict[str, pd.DataFrame]:
    """The tables the spec draws: nodes (x, y, name, tooltip, url), edges (x, y, x2, y2, weight,
    width, colour, link), labels (x, y, text: layer titles and '+ n more') and inputs (the input
    nodes' names, drawn to their left). x is the layer, y the row (0 at the top). With `urls`
    (and 1-D or 2-D data) each node's url is its picture as a PNG data URL."""
    total = n_rows(run)
    rows = [_rows(units, total) for units in layer_units(run)]
    layers = linear_layers(run.model)
    nodes = _nodes(run, unit_names(run), rows, layers)
    pixels = pictures(run) if urls else None
    nodes["url"] = [_png_url(p) for p in pixels] if pixels else ""
    edges = _edges(rows, layers, unit_names(run))
    labels = _labels(run, widths(run), rows)
    inputs = nodes[nodes["x"] == 0][["x", "y", "name"]]
    return {"nodes": nodes, "edges": edges, "labels": labels, "inputs": inputs}


def _rows(units: list[int], total: int) -> dict[int, float]:
    """unit -> row, centred on the tallest layer."""
    offset = (total - len(units)) / 2
    return {u: offset + i for i, u in enumerate(units)}


def _nodes(run, names, rows, layers) -> pd.DataFrame:
    records = []
    for layer, layer_rows in enumerate(rows):
        bias = layers[layer - 1].bias if layer else None
        for u, y in layer_rows.items():
            tip = names[layer][u]
            if bias is not None:
                tip += f" · bias {float(bias[u].detach()):+.3f}"
            elif layer and run.config.batchnorm and layer < len(rows) - 1:
                tip += " · no bias (batch norm shifts it)"
            records.append({"x": layer, "y": y, "name": names[layer][u], "tooltip": tip})
    return pd.DataFrame(records)


def edge_width(weight: np.ndarray) -> np.ndarray:
    """Stroke width in pixels: 0.5 for 0, growing with |w| to 7 at |w| >= 2.5 (an absolute
    scale, so edges widen as the weights grow during training)."""
    return 0.5 + 6.5 * np.minimum(np.abs(weight), 2.5) / 2.5


def _edges(rows, layers, names) -> pd.DataFrame:
    frames = []
    for layer, linear in enumerate(layers):
        W = linear.weight.detach().cpu().numpy()  # (out, in)
        src, dst = list(rows[layer].items()), list(rows[layer + 1].items())
        out_u = np.array([u for u, _ in dst])
        in_u = np.array([u for u, _ in src])
        w = W[np.ix_(out_u, in_u)]  # (shown out, shown in)
        ys_out = np.array([y for _, y in dst])
        ys_in = np.array([y for _, y in src])
        frames.append(pd.DataFrame({
            "x": float(layer), "y": np.tile(ys_in, len(out_u)),
            "x2": float(layer + 1), "y2": np.repeat(ys_out, len(in_u)),
            "weight": w.ravel(), "width": edge_width(w.ravel()),
            "colour": np.where(w.ravel() >= 0, POSITIVE, NEGATIVE),
            "link": [f"{names[layer][a]} → {names[layer + 1][b]}" for b in out_u
                     for a in in_u]}))
    return pd.concat(frames, ignore_index=True)


def _labels(run, widths, rows) -> pd.DataFrame:
    records = [{"x": i, "y": -0.85, "text": f"{name} · {w}" if 0 < i < len(widths) - 1 else name}
               for i, (name, w) in enumerate(zip(layer_names(run), widths, strict=True))]
    for i, (w, layer_rows) in enumerate(zip(widths, rows, strict=True)):
        if w > len(layer_rows):
            records.append({"x": i, "y": max(layer_rows.values()) + 0.85,
                            "text": f"+ {w - len(layer_rows)} more"})
    return pd.DataFrame(records)


def x_domain(n_layers: int) -> tuple[float, float]:
    return -0.6, n_layers - 0.55  # room on the left for the input names


def y_domain(rows: int) -> tuple[float, float]:
    return -1.3, rows + 0.3  # room above for the layer titles


def height(rows: int) -> int:
    """The chart's height in pixels for `rows` rows of nodes."""
    return int(ROW_PX * (rows + 1.6))


def spec(n_layers: int, rows: int, *, with_pictures: bool) -> dict:
    """The Vega-Lite spec for `diagram`'s tables (datasets nodes, edges, labels): the same for
    every run of one architecture."""
    x = {"field": "x", "type": "quantitative", "axis": None,
         "scale": {"domain": list(x_domain(n_layers))}}
    y = {"field": "y", "type": "quantitative", "axis": None,
         "scale": {"domain": list(y_domain(rows)), "reverse": True}}
    node = ({"mark": {"type": "image", "width": NODE_PX, "height": NODE_PX, "aspect": False},
             "encoding": {"x": x, "y": y, "url": {"field": "url", "type": "nominal"}}}
            if with_pictures else
            {"mark": {"type": "square", "size": NODE_PX ** 2 * 0.6, "filled": True,
                      "color": "#f3f3f3", "stroke": "#888", "strokeWidth": 1},
             "encoding": {"x": x, "y": y}})
    frame = {"mark": {"type": "square", "size": (NODE_PX + 3) ** 2, "filled": False,
                      "stroke": "#555", "strokeWidth": 1},
             "encoding": {"x": x, "y": y, "tooltip": [{"field": "tooltip", "title": "node"}]}}
    return {
        "layer": [
            {"data": {"name": "edges"}, "mark": {"type": "rule", "strokeCap": "round"},
             "encoding": {"x": x, "y": y, "x2": {"field": "x2"}, "y2": {"field": "y2"},
                          "strokeWidth": {"field": "width", "type": "quantitative",
                                          "scale": None},
                          "color": {"field": "colour", "type": "nominal", "scale": None},
                          "opacity": {"value": 0.75},
                          "tooltip": [{"field": "link", "title": "weight"},
                                      {"field": "weight", "type": "quantitative",
                                       "format": "+.4f", "title": "value"}]}},
            {"data": {"name": "nodes"}, **node},
            {"data": {"name": "nodes"}, **frame},
            {"data": {"name": "inputs"},
             "mark": {"type": "text", "fontSize": 12, "color": "#333", "align": "right",
                      "dx": -(NODE_PX // 2 + 6)},
             "encoding": {"x": x, "y": y, "text": {"field": "name"}}},
            {"data": {"name": "labels"},
             "mark": {"type": "text", "fontSize": 12, "color": "#333", "fontWeight": 500},
             "encoding": {"x": x, "y": y, "text": {"field": "text"}}},
        ],
        "config": {"view": {"stroke": None}},
    }


def image(tables: dict[str, pd.DataFrame], pixels: list[np.ndarray] | None, n_layers: int,
          rows: int, width: int = 700) -> Image.Image:
    """The same diagram as `spec` draws, as a picture: for redrawing while training, when an
    interactive chart would have to reload every node picture at every frame (and blank)."""
    s = 2  # supersampling
    h = height(rows)
    (x0, x1), (y0, y1) = x_domain(n_layers), y_domain(rows)
    u = lambda x: (np.asarray(x, float) - x0) / (x1 - x0) * width * s  # noqa: E731
    v = lambda y: (np.asarray(y, float) - y0) / (y1 - y0) * h * s  # noqa: E731
    img = Image.new("RGB", (width * s, h * s), "white")
    draw = ImageDraw.Draw(img)
    e = tables["edges"]
    for a, b, c, d, w, colour in zip(u(e["x"]), v(e["y"]), u(e["x2"]), v(e["y2"]), e["width"],
                                     e["colour"], strict=True):
        faded = tuple(np.rint(WHITE + 0.75 * (rgb(colour) - WHITE)).astype(int))
        draw.line([(a, b), (c, d)], fill=faded, width=max(1, round(w * s)))
    n = tables["nodes"]
    half = NODE_PX * s // 2
    for i, (a, b) in enumerate(zip(u(n["x"]), v(n["y"]), strict=True)):
        box = (round(a) - half, round(b) - half)
        if pixels:
            tile = Image.fromarray(pixels[i]).resize((2 * half, 2 * half), Image.BILINEAR)
            img.paste(tile, box)
        else:
            draw.rectangle((*box, box[0] + 2 * half, box[1] + 2 * half), fill=(243, 243, 243))
        draw.rectangle((box[0] - 2, box[1] - 2, box[0] + 2 * half + 2, box[1] + 2 * half + 2),
                       outline=(85, 85, 85), width=s)
    font = _font(12)  # raster's fonts are already sized for 2x supersampling
    for a, b, text in zip(u(tables["labels"]["x"]), v(tables["labels"]["y"]),
                          tables["labels"]["text"], strict=True):
        draw.text((a, b), text, fill=(51, 51, 51), font=font, anchor="mm")
    inputs = tables["inputs"]
    for a, b, text in zip(u(inputs["x"]), v(inputs["y"]), inputs["name"], strict=True):
        plain = text.translate(_PLAIN)  # the built-in font has no subscript digits
        draw.text((a - half - 6 * s, b), plain, fill=(51, 51, 51), font=font, anchor="rm")
    return img.reduce(s)
