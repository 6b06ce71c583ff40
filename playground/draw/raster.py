"""Pixel renderings of the live views: arrays in, a PIL image out. No plotly, no streamlit.

While a model trains the page swaps these images in place several times a second. An <img>
keeps showing the last frame until the next one has loaded; a plotly chart, which Streamlit
keys by its content, is rebuilt from nothing on every change and stays blank while it draws
(measured in headless Chromium: blank two thirds of the time at six frames a second).
Drawn at twice the size and halved, so edges are smooth.
"""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .colours import TEST_RING, background_pixels, class_rgb, diverging_rgb

S = 2  # supersampling factor
WIDTH, HEIGHT = 560, 470  # output pixels
MARGIN = dict(left=50, right=18, top=34, bottom=42)
AXIS, GRID_LINE, TEXT = (120, 120, 120), (232, 232, 232), (60, 60, 60)


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size * S)


def nice_ticks(lo: float, hi: float, count: int = 5) -> np.ndarray:
    """Round tick values (steps of 1, 2 or 5 times a power of ten) covering [lo, hi]."""
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda c: abs(math.log(c / raw)))
    return np.arange(math.ceil(lo / step) * step, hi + step * 1e-9, step)


def _label(v: float) -> str:
    return f"{v:g}"  # plain ASCII: the bundled font has no minus sign or subscripts


class Canvas:
    """A plot area mapping data coordinates to pixels, with axes, points, lines and a legend."""

    def __init__(self, x_range, y_range, *, width=WIDTH, height=HEIGHT, square=False):
        m = {k: v * S for k, v in MARGIN.items()}
        self.x0, self.y0 = m["left"], m["top"]
        self.w, self.h = width * S - m["left"] - m["right"], height * S - m["top"] - m["bottom"]
        spans = (x_range[1] - x_range[0], y_range[1] - y_range[0])
        if square and 0.5 <= spans[0] / spans[1] <= 2:  # far apart (an upload's columns): fill
            # equal units on both axes: shrink the longer side, and the image with it
            unit = min(self.w / (x_range[1] - x_range[0]), self.h / (y_range[1] - y_range[0]))
            self.w, self.h = unit * (x_range[1] - x_range[0]), unit * (y_range[1] - y_range[0])
            width = math.ceil((self.x0 + self.w + m["right"]) / S)
        self.image = Image.new("RGB", (width * S, height * S), "white")
        self.draw = ImageDraw.Draw(self.image)
        self.xr, self.yr = x_range, y_range

    def px(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        u = self.x0 + (x - self.xr[0]) / (self.xr[1] - self.xr[0]) * self.w
        v = self.y0 + (self.yr[1] - y) / (self.yr[1] - self.yr[0]) * self.h  # y up
        return u, v

    def background(self, pixels: np.ndarray, smooth: bool = True) -> None:
        """(r, r, 3) uint8 grid, row 0 at the bottom (y = y_min), stretched over the plot area."""
        tile = Image.fromarray(np.ascontiguousarray(pixels[::-1]))
        size = (round(self.w), round(self.h))
        resample = Image.Resampling.BILINEAR if smooth else Image.Resampling.NEAREST
        self.image.paste(tile.resize(size, resample), (round(self.x0), round(self.y0)))

    def grid_lines(self, xticks, yticks) -> None:
        for t in xticks:
            u, _ = self.px(t, 0)
            self.draw.line([(u, self.y0), (u, self.y0 + self.h)], fill=GRID_LINE, width=S)
        for t in yticks:
            _, v = self.px(0, t)
            self.draw.line([(self.x0, v), (self.x0 + self.w, v)], fill=GRID_LINE, width=S)

    def axes(self, xlabel: str, ylabel: str, xticks=None, yticks=None) -> None:
        font = _font(11)
        xticks = nice_ticks(*self.xr) if xticks is None else xticks
        yticks = nice_ticks(*self.yr) if yticks is None else yticks
        box = [self.x0, self.y0, self.x0 + self.w, self.y0 + self.h]
        self.draw.rectangle(box, outline=AXIS, width=S)
        for t in xticks:
            u, _ = self.px(t, 0)
            self.draw.line([(u, box[3]), (u, box[3] + 4 * S)], fill=AXIS, width=S)
            self.draw.text((u, box[3] + 6 * S), _label(t), fill=TEXT, font=font, anchor="mt")
        for t in yticks:
            _, v = self.px(0, t)
            self.draw.line([(box[0] - 4 * S, v), (box[0], v)], fill=AXIS, width=S)
            self.draw.text((box[0] - 6 * S, v), _label(t), fill=TEXT, font=font, anchor="rm")
        self.draw.text(((box[0] + box[2]) / 2, box[3] + 22 * S), xlabel, fill=TEXT, font=font,
                       anchor="mt")
        self._vertical_text(ylabel, box[0] - 36 * S, (box[1] + box[3]) / 2, font)

    def _vertical_text(self, text: str, x: float, y: float, font) -> None:
        """Text turned a quarter left, centred on (x, y), as y-axis titles are."""
        width = round(self.draw.textlength(text, font=font)) + 4 * S
        label = Image.new("RGB", (width, 16 * S), "white")
        ImageDraw.Draw(label).text((width / 2, 8 * S), text, fill=TEXT, font=font, anchor="mm")
        turned = label.rotate(90, expand=True)
        self.image.paste(turned, (round(x - turned.width / 2), round(y - turned.height / 2)))

    def inside(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return ((u >= self.x0) & (u <= self.x0 + self.w) & (v >= self.y0)
                & (v <= self.y0 + self.h))

    def points(self, x, y, fill: np.ndarray, outline, radius: float = 3.5) -> None:
        """fill (n, 3) uint8 colours; outline one colour; points outside the area are left out."""
        u, v = self.px(x, y)
        keep = self.inside(u, v)
        u, v, fill = u[keep], v[keep], np.asarray(fill)[keep]
        r, ring = radius * S, S if radius < 3 else 1.2 * S
        for a, b, colour in zip(u.tolist(), v.tolist(), map(tuple, fill.tolist()), strict=True):
            self.draw.ellipse((a - r, b - r, a + r, b + r), fill=colour, outline=outline,
                              width=round(ring))

    def crosses(self, x, y, colour: np.ndarray, size: float = 4.0) -> None:
        u, v = self.px(x, y)
        keep = self.inside(u, v)
        u, v, colour, s = u[keep], v[keep], np.asarray(colour)[keep], size * S
        for a, b, c in zip(u.tolist(), v.tolist(), map(tuple, colour.tolist()), strict=True):
            self.draw.line([(a - s, b - s), (a + s, b + s)], fill=c, width=2 * S)
            self.draw.line([(a - s, b + s), (a + s, b - s)], fill=c, width=2 * S)

    def line(self, x, y, colour, width: float = 2.5) -> None:
        u, v = self.px(x, y)
        self.draw.line(list(zip(u.tolist(), v.tolist(), strict=True)), fill=colour,
                       width=round(width * S), joint="curve")

    def legend(self, entries: list[tuple[str, tuple, tuple | None]]) -> None:
        """One row above the plot: (label, fill, outline) swatches."""
        font, x, y = _font(11), self.x0, (MARGIN["top"] * S) / 2
        for label, fill, outline in entries:
            r = 4 * S
            self.draw.ellipse((x, y - r, x + 2 * r, y + r), fill=fill, outline=outline, width=S)
            self.draw.text((x + 2 * r + 4 * S, y), label, fill=TEXT, font=font, anchor="lm")
            x += 2 * r + 12 * S + self.draw.textlength(label, font=font)

    def result(self) -> Image.Image:
        return self.image.reduce(S)


def _value_fill(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return diverging_rgb((np.asarray(values, dtype=np.float64) - lo) / max(hi - lo, 1e-12))


def boundary_image(box, probs, X_train, y_train, X_test=None, y_test=None, *, task: str,
                   n_classes: int, discretize: bool = False, show_test: bool = True,
                   value_range: tuple[float, float] | None = None) -> Image.Image:
    """2-D data: the model's output over the plane as colours, with the points on top."""
    c = Canvas(box[:2], box[2:], square=True)
    lo, hi = value_range or (0.0, 1.0)
    c.background(background_pixels(probs, task, lo, hi, discretize), smooth=not discretize)
    # White rings on train points, except on regression's white mid-range where they would vanish.
    splits = [(X_train, y_train, (150, 150, 150) if task == "regression" else (255, 255, 255))]
    if show_test and X_test is not None:
        splits.append((X_test, y_test, TEST_RING))
    for X, y, ring in splits:
        fill = _value_fill(y, lo, hi) if task == "regression" else class_rgb(y)
        c.points(X[:, 0], X[:, 1], fill, tuple(ring))
    c.axes("x1", "x2")
    c.legend(_legend(task, n_classes, show_test and X_test is not None))
    return c.result()


def _legend(task: str, n_classes: int, with_test: bool) -> list:
    if task == "regression":
        entries = [("low target", tuple(diverging_rgb(np.array([0.0]))[0]), None),
                   ("high target", tuple(diverging_rgb(np.array([1.0]))[0]), None)]
    else:
        entries = [(f"class {k}" if n_classes <= 4 else str(k), tuple(class_rgb([k])[0]), None)
                   for k in range(n_classes)]
    if with_test:
        entries.append(("test (dark ring)", (255, 255, 255), TEST_RING))
    return entries


def function_image(box, xs, values, X_train, y_train, X_test=None, y_test=None, *, task: str,
                   n_classes: int, show_test: bool = True) -> Image.Image:
    """1-D data: the learned function (regression) or class probabilities over x, and the data."""
    values = np.asarray(values)
    if task == "regression":
        ys = [np.asarray(v, dtype=np.float64) for v in (y_train, y_test, values) if v is not None]
        lo, hi = min(float(v.min()) for v in ys), max(float(v.max()) for v in ys)
        pad = 0.08 * (hi - lo or 1.0)
        c = Canvas(box, (lo - pad, hi + pad))
    else:
        c = Canvas(box, (-0.12, 1.08))
    c.grid_lines(nice_ticks(*c.xr), nice_ticks(*c.yr))
    _function_points(c, X_train, y_train, X_test if show_test else None, y_test, task)
    if task == "regression":
        c.line(xs, values, (8, 119, 189))
    else:
        shown = [1] if task == "binary" else range(values.shape[1])
        for k in shown:
            c.line(xs, values[:, k], tuple(class_rgb([k])[0]))
    ylabel = "y" if task == "regression" else ("P(class 1)" if task == "binary" else "P(class)")
    c.axes("x", ylabel)
    entries = ([("prediction", (8, 119, 189), None)] if task == "regression" else
               _legend(task, n_classes, False))
    c.legend(entries + ([("test (dark ring)", (255, 255, 255), TEST_RING)]
                        if show_test and X_test is not None else []))
    return c.result()


def _function_points(c: Canvas, X_train, y_train, X_test, y_test, task: str) -> None:
    for X, y, ring in ((X_train, y_train, (255, 255, 255)), (X_test, y_test, TEST_RING)):
        if X is None:
            continue
        x = np.asarray(X)[:, 0]
        if task == "regression":
            c.points(x, y, np.full((len(x), 3), 150, dtype=np.uint8), ring, radius=3)
        elif task == "binary":
            c.points(x, np.asarray(y, dtype=np.float64), class_rgb(y), ring, radius=3)
        else:  # a strip under the axis, one row per class
            c.points(x, -0.04 - 0.025 * np.asarray(y), class_rgb(y), ring, radius=2.5)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # fast; Streamlit would use level 6
    return buffer.getvalue()


def fit_image(y_true, y_pred) -> Image.Image:
    """Regression on data of more than 2 dimensions: each test point's prediction against its
    true target; a perfect model puts every point on the diagonal."""
    y_true, y_pred = np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64)
    lo = float(min(y_true.min(), y_pred.min()))
    hi = float(max(y_true.max(), y_pred.max()))
    pad = 0.05 * (hi - lo or 1.0)
    c = Canvas((lo - pad, hi + pad), (lo - pad, hi + pad), square=True)
    c.grid_lines(nice_ticks(*c.xr), nice_ticks(*c.yr))
    c.line([lo - pad, hi + pad], [lo - pad, hi + pad], (190, 190, 190), width=1.5)
    c.points(y_true, y_pred, _value_fill(y_true, lo, hi), (120, 120, 120), radius=3)
    c.axes("true target", "prediction")
    c.legend([("test point (colour = true target)", (200, 200, 200), (120, 120, 120)),
              ("perfect prediction", (190, 190, 190), None)])
    return c.result()


def pca_basis(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, d) -> mean (d,), components (d, 2): the two leading principal directions, orthonormal,
    signs fixed (each component's largest entry positive) so a dataset always projects the same
    way round. Compute once per dataset."""
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)  # rows: directions by variance
    comps = vt[:2].T  # (d, 2)
    signs = np.sign(comps[np.abs(comps).argmax(axis=0), np.arange(comps.shape[1])])
    return mean, comps * np.where(signs == 0, 1.0, signs)


def projection_image(X, y_true, y_pred, *, n_classes: int, basis) -> Image.Image:
    """High-dimensional data on its first two principal axes, coloured by the model's guess;
    mistakes are crosses in the colour of the true class."""
    mean, components = basis
    P = (np.asarray(X, dtype=np.float64) - mean) @ components  # (n, 2)
    lo, hi = P.min(axis=0), P.max(axis=0)
    pad = 0.05 * (hi - lo + 1e-9)
    c = Canvas((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    c.grid_lines(nice_ticks(*c.xr), nice_ticks(*c.yr))
    right = np.asarray(y_true) == np.asarray(y_pred)
    c.points(P[right, 0], P[right, 1], class_rgb(np.asarray(y_pred)[right]), (255, 255, 255),
             radius=3)
    c.crosses(P[~right, 0], P[~right, 1], class_rgb(np.asarray(y_true)[~right]))
    c.axes("principal axis 1", "principal axis 2")
    c.legend([("dot: right (colour = guess)", (200, 200, 200), None),
              (f"cross: wrong ({int((~right).sum())}, colour = truth)", (90, 90, 90), None)])
    return c.result()


def digits_image(images, y_true, y_pred, *, max_images: int = 24, columns: int = 8) -> Image.Image:
    """Misclassified 8x8 digits, enlarged, each captioned with its true and guessed class."""
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))[:max_images]
    cell, pad, caption = 48, 14, 16
    rows = max(1, math.ceil(len(wrong) / columns))
    canvas = Image.new("RGB", (columns * (cell + pad) + pad, rows * (cell + pad + caption) + pad),
                       "white")
    draw, font = ImageDraw.Draw(canvas), ImageFont.load_default(size=11)
    if not len(wrong):
        draw.text((canvas.width / 2, canvas.height / 2), "No mistakes on the test set",
                  fill=TEXT, font=font, anchor="mm")
    for slot, i in enumerate(wrong):
        pixels = np.rint(255 - np.clip(np.asarray(images[i]), 0, 16) / 16 * 255).astype(np.uint8)
        tile = Image.fromarray(pixels.reshape(8, 8)).resize((cell, cell), Image.Resampling.NEAREST)
        x = pad + (slot % columns) * (cell + pad)
        y = pad + (slot // columns) * (cell + pad + caption)
        canvas.paste(tile, (x, y))
        draw.text((x + cell / 2, y + cell + 2), f"{y_true[i]} -> {y_pred[i]}", fill=TEXT,
                  font=font, anchor="mt")
    return canvas
