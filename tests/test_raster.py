"""The pixel renderings (draw/raster.py) and their colours (draw/colours.py), checked pixel by pixel."""

import numpy as np
import pytest

from playground.draw import colours, raster
from playground.draw.colours import background_pixels, class_rgb, diverging_rgb

BOX = (-6.0, 6.0, -6.0, 6.0)
NO_POINTS = (np.zeros((0, 2)), np.zeros(0, dtype=np.int64))


def pixel(image, canvas, x, y) -> np.ndarray:
    """The output image's colour at data point (x, y), for a canvas laid out the same way."""
    u, v = canvas.px(x, y)
    return np.asarray(image)[int(round(float(v) / raster.S)), int(round(float(u) / raster.S))]


def close(a, b, tol=6) -> bool:
    return bool(np.all(np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)) <= tol))


def test_diverging_scale_ends_and_middle():
    assert close(diverging_rgb(0.0), colours.rgb("#f59322"), 0)
    assert close(diverging_rgb(0.5), [255, 255, 255], 0)
    assert close(diverging_rgb(1.0), colours.rgb("#0877bd"), 0)
    faded = diverging_rgb(1.0, 0.7)
    assert close(faded, 255 + 0.7 * (colours.rgb("#0877bd") - 255), 1)
    assert diverging_rgb(np.zeros((4, 5))).shape == (4, 5, 3)


def test_class_colours_repeat_after_ten():
    assert np.array_equal(class_rgb([0, 10]), class_rgb([0, 0]))
    assert len({tuple(c) for c in class_rgb(range(10))}) == 10


def test_background_pixels_by_task():
    probs = np.array([[0.0, 1.0], [0.5, 0.75]])
    binary = background_pixels(probs, "binary")
    assert close(binary[0, 1], diverging_rgb(1.0, colours.BACKGROUND), 0)
    assert close(binary[1, 0], [255, 255, 255], 0)
    hard = background_pixels(probs, "binary", discretize=True)
    assert len({tuple(p) for p in hard.reshape(-1, 3)}) == 2
    values = background_pixels(np.array([[-2.0, 2.0]]), "regression", lo=-2, hi=2)
    assert close(values[0, 0], diverging_rgb(0.0, colours.BACKGROUND), 0)
    onehot = np.zeros((1, 3, 3))
    onehot[0, np.arange(3), np.arange(3)] = 1.0
    multi = background_pixels(onehot, "multiclass")
    for c in range(3):
        expected = 255 + colours.BACKGROUND * (class_rgb([c])[0].astype(float) - 255)
        assert close(multi[0, c], expected, 1)
    unsure = background_pixels(np.full((1, 1, 3), 1 / 3), "multiclass")
    assert close(unsure[0, 0], [255, 255, 255], 0)  # no confidence: white


def test_nice_ticks():
    assert raster.nice_ticks(-6, 6).tolist() == [-6, -4, -2, 0, 2, 4, 6]
    assert raster.nice_ticks(0, 1).tolist() == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ticks = raster.nice_ticks(-22, 22)
    assert ticks[0] >= -22 and ticks[-1] <= 22 and len(ticks) >= 4


def test_boundary_background_follows_the_probabilities():
    r = 60
    probs = np.tile((np.arange(r) >= r // 2).astype(float), (r, 1))  # right half class 1
    image = raster.boundary_image(BOX, probs, *NO_POINTS, task="binary", n_classes=2)
    canvas = raster.Canvas(BOX[:2], BOX[2:], square=True)
    assert image.size[1] == raster.HEIGHT and image.size[0] < raster.WIDTH  # trimmed to square
    blue = diverging_rgb(1.0, colours.BACKGROUND)
    orange = diverging_rgb(0.0, colours.BACKGROUND)
    assert close(pixel(image, canvas, 3, 0), blue) and close(pixel(image, canvas, 3, 5), blue)
    assert close(pixel(image, canvas, -3, 0), orange)
    rows = np.tile((np.arange(r) >= r // 2).astype(float)[:, None], (1, r))  # top half class 1
    image = raster.boundary_image(BOX, rows, *NO_POINTS, task="binary", n_classes=2)
    assert close(pixel(image, canvas, 0, 4), blue) and close(pixel(image, canvas, 0, -4), orange)


def test_points_are_drawn_in_class_colours_and_clipped_to_the_box():
    probs = np.full((20, 20), 0.5)
    X = np.array([[2.0, 2.0], [-3.0, 1.0], [50.0, 0.0]])
    y = np.array([1, 0, 1])
    image = raster.boundary_image(BOX, probs, X, y, task="binary", n_classes=2)
    canvas = raster.Canvas(BOX[:2], BOX[2:], square=True)
    assert close(pixel(image, canvas, 2, 2), class_rgb([1])[0], 10)
    assert close(pixel(image, canvas, -3, 1), class_rgb([0])[0], 10)
    right_edge = np.asarray(image)[:, -3]
    assert close(right_edge.min(axis=0), [255, 255, 255], 0)  # the point at x=50 is not drawn


def test_test_points_can_be_hidden():
    probs = np.full((20, 20), 0.5)
    X = np.array([[2.0, 2.0]])
    shown = raster.boundary_image(BOX, probs, *NO_POINTS, X, np.array([1]), task="binary",
                                  n_classes=2)
    hidden = raster.boundary_image(BOX, probs, *NO_POINTS, X, np.array([1]), task="binary",
                                   n_classes=2, show_test=False)
    canvas = raster.Canvas(BOX[:2], BOX[2:], square=True)
    assert close(pixel(shown, canvas, 2, 2), class_rgb([1])[0], 10)
    assert close(pixel(hidden, canvas, 2, 2), [255, 255, 255], 3)


def test_discretize_leaves_two_background_colours():
    grid = np.linspace(0, 1, 40)[None, :].repeat(40, axis=0)
    image = raster.boundary_image(BOX, grid, *NO_POINTS, task="binary", n_classes=2,
                                  discretize=True)
    canvas = raster.Canvas(BOX[:2], BOX[2:], square=True)
    u0, v0 = (int(t / raster.S) + 3 for t in canvas.px(-6, 6))
    u1, v1 = (int(t / raster.S) - 3 for t in canvas.px(6, -6))
    inner = np.asarray(image)[v0:v1, u0:u1].reshape(-1, 3)
    assert len({tuple(p) for p in inner}) == 2


def test_function_image_draws_the_prediction_line():
    box = (-3.0, 3.0)
    xs = np.linspace(-3, 3, 50)
    X = np.array([[-2.0], [2.0]])
    y = np.array([-1.0, 1.0])
    image = raster.function_image(box, xs, np.zeros(50), X, y, task="regression", n_classes=1)
    lo, hi = -1.0, 1.0
    pad = 0.08 * (hi - lo)
    canvas = raster.Canvas(box, (lo - pad, hi + pad))
    assert close(pixel(image, canvas, 0.5, 0.0), [8, 119, 189], 30)  # on the line
    assert close(pixel(image, canvas, 0.5, 0.6), [255, 255, 255], 3)  # off it


def test_projection_marks_mistakes_in_the_true_colour():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * np.array([5, 2, 0.1, 0.1, 0.1])
    mean, comps = raster.pca_basis(X)
    assert np.allclose(comps.T @ comps, np.eye(2), atol=1e-9)
    assert abs(comps[0, 0]) > 0.99 and abs(comps[1, 1]) > 0.99  # the two widest directions
    y_true = np.zeros(200, dtype=int)
    y_pred = y_true.copy()
    y_pred[:5] = 1
    image = np.asarray(raster.projection_image(X, y_true, y_pred, n_classes=2,
                                               basis=(mean, comps)))
    assert image.shape == (raster.HEIGHT, raster.WIDTH, 3)


def test_digits_image_shows_each_mistake_once():
    images = np.tile(np.arange(64) % 17, (30, 1))
    y_true = np.arange(30) % 10
    y_pred = y_true.copy()
    y_pred[:11] = (y_pred[:11] + 1) % 10
    one_row = raster.digits_image(images, y_true, y_true.copy()).size
    shown = raster.digits_image(images, y_true, y_pred, columns=8)
    assert shown.size[1] > one_row[1]  # 11 mistakes need two rows of 8
    capped = raster.digits_image(images, y_true, (y_true + 1) % 10, max_images=8, columns=8)
    assert capped.size[1] == raster.digits_image(images[:1], y_true[:1], y_pred[:1]).size[1]
