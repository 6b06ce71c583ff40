"""Figures: the data each trace carries, decoded from the JSON that goes to the browser."""

from __future__ import annotations

import ast
import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from playground import figures as F
from playground.datasets import grid

BOX = (-6.0, 6.0, -4.0, 4.0)


def wire(fig) -> dict:
    """The figure as the browser receives it (what st.plotly_chart sends: plotly's to_json)."""
    return json.loads(fig.to_json())


def decode(value) -> np.ndarray:
    """A plotly JSON array: {"dtype", "bdata", "shape"} typed array, or a plain list."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(s) for s in str(value.get("shape", len(flat))).split(",")]
        return flat.reshape(shape)
    return np.asarray(value)


def traces(spec: dict, **match) -> list[dict]:
    return [t for t in spec["data"] if all(t.get(k) == v for k, v in match.items())]


def by_name(spec: dict) -> dict[str, dict]:
    return {t["name"]: t for t in spec["data"] if "name" in t}


def xy(trace: dict) -> np.ndarray:
    return np.stack([decode(trace["x"]), decode(trace["y"])], axis=1)


def png_pixels(uri: str) -> np.ndarray:
    assert uri.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))


def toy_data(rng, n_train=40, n_test=10, k=2):
    X = rng.uniform(-5, 5, size=(n_train + n_test, 2))
    y = rng.integers(0, k, size=n_train + n_test)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def binary_figure(probs, **kw):
    Xtr, ytr, Xte, yte = toy_data(np.random.default_rng(0))
    return F.boundary_figure(BOX, probs, Xtr, ytr, Xte, yte, task="binary", n_classes=2, **kw)


# --- colours and encodings --------------------------------------------------------------------

def test_class_colours_start_with_tf_orange_and_blue_and_are_distinct():
    assert F.CLASS_COLOURS[:2] == ["#f59322", "#0877bd"]
    assert len(set(F.CLASS_COLOURS)) == len(F.CLASS_COLOURS) == 10
    rgb = np.stack([F._rgb(c) for c in F.CLASS_COLOURS])
    gaps = np.linalg.norm(rgb[:, None] - rgb[None], axis=2) + np.eye(10) * 1e9
    assert gaps.min() > 60  # distinguishable, not two shades of one colour


def test_to_levels_maps_probability_to_0_200_and_clips():
    levels = F.to_levels(np.array([0.0, 0.25, 0.5, 1.0, -3.0, 7.0, np.nan]))
    assert levels.dtype == np.uint8
    assert levels.tolist() == [0, 50, 100, 200, 0, 200, 100]
    assert F.to_levels(np.array([-1.0, 0.0, 3.0]), lo=-1.0, hi=3.0).tolist() == [0, 50, 200]


# --- boundary_figure --------------------------------------------------------------------------

def test_boundary_heatmap_is_uint8_levels_laid_out_like_grid():
    r = 41
    xs, ys, points = grid(BOX, r)
    # P(class 1) rises left to right and a little bottom to top: row i is y = ys[i].
    probs = ((points[:, 0] - BOX[0]) / 12 * 0.8 + (points[:, 1] - BOX[2]) / 8 * 0.2).reshape(r, r)
    heat = wire(binary_figure(probs))["data"][0]
    assert heat["type"] == "heatmap" and heat["z"]["dtype"] == "u1"  # base64 bdata, not lists
    z = decode(heat["z"])
    assert z.shape == (r, r)
    np.testing.assert_array_equal(z, np.rint(probs * 200).astype(np.uint8))
    assert z[0, 0] == 0 and z[-1, -1] == 200 and z[0, -1] == 160 and z[-1, 0] == 40
    for axis, values in (("x", xs), ("y", ys)):  # cell centres are the grid points
        first, step = heat[f"{axis}0"], heat[f"d{axis}"]
        assert (first, first + (r - 1) * step) == pytest.approx((values[0], values[-1]))
    assert (heat["zmin"], heat["zmax"]) == (0, 200)
    bar = heat["colorbar"]
    assert decode(bar["tickvals"]).tolist() == [0, 50, 100, 150, 200]
    assert bar["ticktext"] == ["0", "0.25", "0.5", "0.75", "1"]


def test_boundary_hover_grid_reports_percent_of_the_coarse_cells():
    r = 200
    probs = np.tile(np.linspace(0, 1, r), (r, 1))  # depends on x only
    hover = wire(binary_figure(probs))["data"][1]
    assert hover["opacity"] == 0 and hover["showscale"] is False
    z = decode(hover["z"])
    step = r // F.HOVER_CELLS
    np.testing.assert_array_equal(z, np.rint(probs[::step, ::step] * 100))
    assert hover["dx"] == pytest.approx(step * 12 / (r - 1))
    assert "%{z}%" in hover["hovertemplate"] and "x₁" in hover["hovertemplate"]
    assert wire(binary_figure(probs))["data"][0]["hoverinfo"] == "skip"


def test_boundary_points_are_exactly_the_train_and_test_points_by_class():
    rng = np.random.default_rng(1)
    Xtr, ytr, Xte, yte = toy_data(rng, 60, 25)
    fig = F.boundary_figure(BOX, np.full((20, 20), 0.5), Xtr, ytr, Xte, yte, task="binary",
                            n_classes=2)
    named = by_name(wire(fig))
    assert set(named) == {"train class 0", "train class 1", "test class 0", "test class 1"}
    for split, X, y in (("train", Xtr, ytr), ("test", Xte, yte)):
        for c in (0, 1):
            t = named[f"{split} class {c}"]
            np.testing.assert_allclose(xy(t), X[y == c], rtol=1e-6)  # float32 on the wire
            assert t["marker"]["color"] == F.CLASS_COLOURS[c]
            assert t["marker"]["line"]["color"] == ("white" if split == "train" else F.TEST_OUTLINE)
    hidden = F.boundary_figure(BOX, np.full((20, 20), 0.5), Xtr, ytr, Xte, yte, task="binary",
                               n_classes=2, show_test=False)
    assert set(by_name(wire(hidden))) == {"train class 0", "train class 1"}


def test_boundary_discretize_gives_two_levels_split_at_one_half():
    probs = np.tile(np.linspace(0, 1, 30), (30, 1))
    z = decode(wire(binary_figure(probs, discretize=True))["data"][0]["z"])
    assert set(np.unique(z).tolist()) == {0, 200}
    np.testing.assert_array_equal(z == 200, probs >= 0.5)


def test_boundary_accepts_binary_probabilities_of_both_classes():
    p1 = np.random.default_rng(2).random((15, 15))
    both = np.stack([1 - p1, p1], axis=2)
    a, b = (decode(wire(binary_figure(p))["data"][0]["z"]) for p in (p1, both))
    np.testing.assert_array_equal(a, b)


def test_multiclass_background_pixel_has_the_most_likely_class_colour():
    r, k = 40, 4
    probs = np.full((r, r, k), 1 / k)  # uncertain everywhere: white
    probs[:10, :10] = np.eye(k)[2]  # bottom-left corner surely class 2
    probs[-10:, -10:] = np.eye(k)[3] * 0.7 + 0.1  # top-right: class 3 with p = 0.8
    Xtr, ytr, Xte, yte = toy_data(np.random.default_rng(3), k=k)
    spec = wire(F.boundary_figure(BOX, probs, Xtr, ytr, Xte, yte, task="multiclass", n_classes=k))
    image = spec["data"][0]
    assert image["type"] == "image" and image["dy"] > 0 and image["y0"] == BOX[2]
    pixels = png_pixels(image["source"])  # row i of the PNG is grid row i (y = ys[i])
    assert pixels.shape == (r, r, 3)
    np.testing.assert_array_equal(pixels[3, 3], np.rint(F.background_rgb(2)))
    assert pixels[3, 3].tolist() != [255, 255, 255]
    assert pixels[20, 20].tolist() == [255, 255, 255]
    faded = 255 + F.BACKGROUND * (0.8 - 1 / k) / (1 - 1 / k) * (F._rgb(F.CLASS_COLOURS[3]) - 255)
    np.testing.assert_allclose(pixels[-2, -2], faded, atol=1)
    discrete = wire(F.boundary_figure(BOX, probs, Xtr, ytr, task="multiclass", n_classes=k,
                                      discretize=True))["data"][0]
    np.testing.assert_array_equal(png_pixels(discrete["source"])[-2, -2],
                                  np.rint(F.background_rgb(3)))
    hover = spec["data"][1]
    assert decode(hover["z"])[0, 0] == 2 and decode(hover["customdata"])[0, 0] == 100


def test_boundary_axes_are_the_box_with_equal_aspect_and_stable_uirevision():
    a, b = (wire(binary_figure(np.full((10, 10), p))) for p in (0.2, 0.9))
    layout = a["layout"]
    assert layout["xaxis"]["range"] == [BOX[0], BOX[1]]
    assert layout["yaxis"]["range"] == [BOX[2], BOX[3]]
    assert layout["yaxis"]["scaleanchor"] == "x"
    assert layout["xaxis"]["title"]["text"] == "x₁" and layout["yaxis"]["title"]["text"] == "x₂"
    assert layout["uirevision"] == b["layout"]["uirevision"]
    assert "title" not in layout and 380 <= layout["height"] <= 460
    assert binary_figure(np.zeros((10, 10)), title="Moons").layout.title.text == "Moons"


def test_boundary_regression_colours_points_and_surface_on_the_same_range():
    rng = np.random.default_rng(4)
    Xtr, Xte = rng.uniform(-5, 5, (30, 2)), rng.uniform(-5, 5, (10, 2))
    ytr, yte = rng.uniform(-2, 1, 30), rng.uniform(-1, 3, 10)
    lo, hi = min(ytr.min(), yte.min()), max(ytr.max(), yte.max())
    pred = np.full((20, 20), (lo + hi) / 2)
    pred[0, 0], pred[-1, -1] = lo - 5, hi + 5  # outside the colour range: clipped
    spec = wire(F.boundary_figure(BOX, pred, Xtr, ytr, Xte, yte, task="regression", n_classes=1))
    z = decode(spec["data"][0]["z"])
    assert (z[0, 0], z[5, 5], z[-1, -1]) == (0, 100, 200)
    assert spec["data"][0]["colorbar"]["ticktext"][0] == f"{lo:.3g}"
    points = by_name(spec)
    np.testing.assert_allclose(decode(points["train"]["marker"]["color"]), ytr, rtol=1e-6)
    marker = points["test"]["marker"]
    assert (marker["cmin"], marker["cmax"]) == pytest.approx((lo, hi))
    hover = spec["data"][1]
    assert decode(hover["z"])[0, 0] == pytest.approx(lo - 5, rel=1e-6)  # real units on hover


def test_boundary_figure_200_grid_json_is_small():
    rng = np.random.default_rng(5)
    xs, ys, points = grid(BOX, 200)
    probs = 1 / (1 + np.exp(-(points[:, 0] * np.sin(points[:, 1])))).reshape(200, 200)
    Xtr, ytr, Xte, yte = toy_data(rng, 400, 100)
    fig = F.boundary_figure(BOX, probs, Xtr, ytr, Xte, yte, task="binary", n_classes=2)
    text = fig.to_json()
    assert len(text) < 150_000
    assert "#636efa" not in text  # no default template riding along (plotly's is ~6.5 KB)


def test_boundary_thins_huge_point_sets():
    rng = np.random.default_rng(6)
    Xtr, ytr, _, _ = toy_data(rng, 20_000, 0)
    spec = wire(F.boundary_figure(BOX, np.zeros((10, 10)), Xtr, ytr, task="binary", n_classes=2,
                                  max_points=1000))
    assert sum(len(decode(t["x"])) for t in traces(spec, type="scatter")) == 1000


# --- function_figure --------------------------------------------------------------------------

def test_function_figure_regression_draws_prediction_and_points():
    xs = np.linspace(-3, 3, 50)
    X, y = np.linspace(-2, 2, 7)[:, None], np.arange(7.0)
    spec = wire(F.function_figure((-3.3, 3.3), xs, np.sin(xs), X, y, X[:2], y[:2],
                                  task="regression", n_classes=1))
    named = by_name(spec)
    np.testing.assert_allclose(decode(named["prediction"]["y"]), np.sin(xs), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(decode(named["train"]["x"]), X[:, 0])
    np.testing.assert_allclose(decode(named["train"]["y"]), y)
    assert decode(named["test"]["y"]).tolist() == [0.0, 1.0]
    assert spec["layout"]["xaxis"]["range"] == [-3.3, 3.3]


def test_function_figure_binary_plots_p1_and_points_at_their_label():
    xs = np.linspace(-1, 1, 11)
    values = np.stack([1 - (xs + 1) / 2, (xs + 1) / 2], axis=1)
    X, y = np.array([[-0.5], [0.2], [0.7]]), np.array([0, 1, 1])
    named = by_name(wire(F.function_figure((-1, 1), xs, values, X, y, task="binary", n_classes=2)))
    np.testing.assert_allclose(decode(named["P(class 1)"]["y"]), values[:, 1], rtol=1e-6)
    assert decode(named["train class 1"]["y"]).tolist() == [1.0, 1.0]
    assert decode(named["train class 0"]["y"]).tolist() == [0.0]


def test_function_figure_multiclass_one_line_per_class_points_along_the_bottom():
    xs = np.linspace(0, 1, 20)
    values = np.random.default_rng(7).dirichlet(np.ones(3), size=20)
    X, y = np.random.default_rng(8).uniform(0, 1, (30, 1)), np.arange(30) % 3
    spec = wire(F.function_figure((0, 1), xs, values, X, y, task="multiclass", n_classes=3))
    named = by_name(spec)
    for c in range(3):
        np.testing.assert_allclose(decode(named[f"P(class {c})"]["y"]), values[:, c], rtol=1e-6)
        assert named[f"P(class {c})"]["line"]["color"] == F.CLASS_COLOURS[c]
        heights = decode(named[f"train class {c}"]["y"])
        assert len(heights) == 10 and np.all((heights < 0) & (heights > -0.12))
        np.testing.assert_allclose(decode(named[f"train class {c}"]["x"]), X[y == c, 0], rtol=1e-6)


# --- projection_figure and pca_basis ----------------------------------------------------------

def test_pca_basis_is_orthonormal_and_finds_the_long_axis():
    rng = np.random.default_rng(9)
    axes, _ = np.linalg.qr(rng.normal(size=(5, 5)))  # a random rotation
    X = (rng.normal(size=(4000, 5)) * [5.0, 2.0, 0.5, 0.3, 0.1]) @ axes.T + 3.0
    mean, comps = F.pca_basis(X)
    assert comps.shape == (5, 2)
    np.testing.assert_allclose(comps.T @ comps, np.eye(2), atol=1e-10)
    np.testing.assert_allclose(mean, X.mean(axis=0))
    assert abs(comps[:, 0] @ axes[:, 0]) > 0.99 and abs(comps[:, 1] @ axes[:, 1]) > 0.99
    variances = ((X - mean) @ comps).var(axis=0)
    assert variances[0] > variances[1] > 0.5 * 2.0**2
    assert np.all(comps[np.abs(comps).argmax(axis=0), [0, 1]] > 0)  # signs fixed


def test_projection_marks_mistakes_exactly_where_prediction_differs():
    rng = np.random.default_rng(10)
    X = rng.normal(size=(200, 6))
    y_true = rng.integers(0, 3, 200)
    y_pred = np.where(rng.random(200) < 0.2, (y_true + 1) % 3, y_true)
    basis = F.pca_basis(X)
    spec = wire(F.projection_figure(X, y_true, y_pred, n_classes=3, basis=basis))
    P = (X - basis[0]) @ basis[1]
    named = by_name(spec)
    for c in range(3):
        right, wrong = (y_true == y_pred) & (y_pred == c), (y_true != y_pred) & (y_true == c)
        ok, bad = named[f"class {c}, correct"], named[f"class {c}, mistaken"]
        np.testing.assert_allclose(xy(ok), P[right], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(xy(bad), P[wrong], rtol=1e-5, atol=1e-6)
        assert bad["marker"]["symbol"].startswith("x")
        assert bad["marker"]["color"] == F.CLASS_COLOURS[c]
        assert decode(bad["customdata"]).tolist() == y_pred[wrong].tolist()
    n_marked = sum(len(decode(t["x"])) for name, t in named.items() if "mistaken" in name)
    assert n_marked == np.sum(y_true != y_pred)
    assert spec["layout"]["xaxis"]["title"]["text"] == "PC 1"
    assert spec["layout"]["yaxis"]["title"]["text"] == "PC 2"
    without = wire(F.projection_figure(X, y_true, y_pred, n_classes=3))  # computes the basis
    assert by_name(without).keys() == named.keys()


# --- digits_mistakes_figure -------------------------------------------------------------------

def test_digits_mistakes_shows_min_of_mistakes_and_limit_with_captions():
    rng = np.random.default_rng(11)
    images = rng.integers(0, 17, size=(50, 64)).astype(np.float64)
    y_true = rng.integers(0, 10, 50)
    y_pred = y_true.copy()
    wrong = np.array([3, 7, 8, 20, 41])
    y_pred[wrong] = (y_true[wrong] + 1) % 10
    spec = wire(F.digits_mistakes_figure(images, y_true, y_pred, max_images=24))
    captions = [a["text"] for a in spec["layout"]["annotations"]]
    assert captions == [f"true {y_true[i]} → {y_pred[i]}" for i in wrong]
    canvas = decode(spec["data"][0]["z"])
    np.testing.assert_array_equal(canvas[1:9, 1:9], images[3].reshape(8, 8))  # first tile
    np.testing.assert_array_equal(canvas[1:9, 12:20], images[7].reshape(8, 8))  # second tile
    few = wire(F.digits_mistakes_figure(images, y_true, y_pred, max_images=3))
    assert len(few["layout"]["annotations"]) == 3


def test_digits_without_mistakes_shows_a_note():
    labels = np.arange(10)
    spec = wire(F.digits_mistakes_figure(np.zeros((10, 64)), labels, labels))
    assert spec["data"] == []
    assert spec["layout"]["annotations"][0]["text"] == "No mistakes on the test set"


# --- loss and metric curves -------------------------------------------------------------------

def history(n: int, task: str = "binary") -> dict:
    epochs = np.arange(n)
    h = {"epoch": epochs.tolist(), "train_loss": (1 / (1 + epochs)).tolist(),
         "test_loss": (1.2 / (1 + epochs)).tolist()}
    if task == "regression":
        h |= {"train_r2": (1 - 50 / (1 + epochs)).tolist(),
              "test_r2": (1 - 60 / (1 + epochs)).tolist()}
    else:
        h |= {"train_acc": (epochs / max(n, 1)).tolist(),
              "test_acc": (epochs / (2 * max(n, 1))).tolist()}
    return h


def test_loss_figure_draws_the_history():
    h = history(30)
    spec = wire(F.loss_figure(h))
    named = by_name(spec)
    np.testing.assert_array_equal(decode(named["train loss"]["x"]), h["epoch"])
    np.testing.assert_allclose(decode(named["train loss"]["y"]), h["train_loss"], rtol=1e-6)
    np.testing.assert_allclose(decode(named["test loss"]["y"]), h["test_loss"], rtol=1e-6)
    assert named["test loss"]["line"]["dash"] == "dash"
    assert named["train loss"]["line"]["color"] != named["test loss"]["line"]["color"]
    layout = spec["layout"]
    assert layout["hovermode"] == "x unified" and layout["yaxis"]["type"] == "linear"
    assert layout["xaxis"]["unifiedhovertitle"]["text"] == "epoch %{x}"
    assert layout["uirevision"] == wire(F.loss_figure(history(31)))["layout"]["uirevision"]
    assert wire(F.loss_figure(h, log_y=True))["layout"]["yaxis"]["type"] == "log"


def test_curves_are_thinned_keeping_first_and_last_epochs():
    h = history(10_000)
    for fig in (F.loss_figure(h), F.metric_figure(h, "binary")):
        for t in wire(fig)["data"]:
            x = decode(t["x"])
            assert len(x) <= F.MAX_CURVE_POINTS and x[0] == 0 and x[-1] == 9_999
            assert np.all(np.diff(x) > 0)
    keep = F._thin(10_000, 2000)
    assert keep[0] == 0 and keep[-1] == 9_999 and len(keep) <= 2000
    assert F._thin(5, 2000).tolist() == [0, 1, 2, 3, 4]


def test_metric_figure_accuracy_in_percent():
    h = history(20)
    spec = wire(F.metric_figure(h, "multiclass"))
    named = by_name(spec)
    np.testing.assert_allclose(decode(named["test accuracy"]["y"]), h["test_acc"], rtol=1e-6)
    yaxis = spec["layout"]["yaxis"]
    assert yaxis["range"][0] == 0 and 1 <= yaxis["range"][1] <= 1.05
    assert yaxis["tickformat"] == ".0%"


def test_metric_figure_r2_is_drawn_clipped_but_hover_has_the_true_value():
    h = history(100, "regression")
    spec = wire(F.metric_figure(h, "regression"))
    train = by_name(spec)["train R²"]
    raw = np.asarray(h["train_r2"])
    np.testing.assert_allclose(decode(train["y"]), np.maximum(raw, -1), rtol=1e-6)
    np.testing.assert_allclose(decode(train["customdata"]), raw, rtol=1e-6)
    assert raw.min() < -1 and spec["layout"]["yaxis"]["range"][0] >= -1.1
    assert "−1" in spec["layout"]["xaxis"]["unifiedhovertitle"]["text"]


def test_empty_figure_has_the_note_and_no_data():
    spec = wire(F.empty_figure("Press Train", height=300))
    assert spec["data"] == [] and spec["layout"]["height"] == 300
    assert spec["layout"]["annotations"][0]["text"] == "Press Train"


# --- purity and a real run --------------------------------------------------------------------

def test_figures_import_neither_streamlit_nor_torch():
    # Nor other playground modules: importing any of them runs playground/__init__, which loads torch.
    imported = set()
    for node in ast.walk(ast.parse(Path(F.__file__).read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or ".").split(".")[0] if node.level == 0 else "playground")
    assert not imported & {"streamlit", "torch", "playground"}


def test_figures_from_a_real_run():
    from playground import Config, train

    run = train(Config(dataset="moons", epochs=3, optimizer="adam", lr=0.03))
    d = run.data
    _, _, points = grid(d.box, 50)
    probs = run.predict(points)[:, 1].reshape(50, 50)
    spec = wire(F.boundary_figure(d.box, probs, d.X_train, d.y_train, d.X_test, d.y_test,
                                  task=d.task, n_classes=d.n_classes))
    np.testing.assert_array_equal(decode(spec["data"][0]["z"]), np.rint(probs * 200))
    assert sum(len(decode(t["x"])) for t in traces(spec, type="scatter")) == d.n_train + d.n_test
    assert len(decode(by_name(wire(F.loss_figure(run.history)))["train loss"]["x"])) == 4
