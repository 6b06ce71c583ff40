"""playground.draw.figures: the main view for every kind of data, and the training curves."""

from __future__ import annotations

import numpy as np
import pytest

from playground import Config, train
from playground.datasets import grid
from playground.draw import figures, raster


@pytest.mark.parametrize("dataset", ["circle", "blobs", "plane", "sine", "steps", "teacher"])
def test_main_view_draws_the_model_on_its_data(dataset):
    run = train(Config(dataset=dataset, hidden=(6,), epochs=3, n_samples=200))
    image = figures.main_view(run)
    d = run.data
    if d.dim == 2:  # the boundary image for the model's own predictions on the grid
        xs, _, points = grid(d.box, figures.GRID)
        p = run.predict(points)
        r = figures.GRID
        probs = {"binary": lambda: p[:, 1].reshape(r, r), "multiclass": lambda: p.reshape(r, r, -1),
                 "regression": lambda: p.reshape(r, r)}[run.task]()
        expected = raster.boundary_image(
            d.box, probs, d.X_train, d.y_train, d.X_test, d.y_test, task=run.task,
            n_classes=d.n_classes,
            value_range=figures.target_range(d) if run.task == "regression" else None)
        np.testing.assert_array_equal(np.asarray(image), np.asarray(expected))
    else:
        assert image.size[0] > 300 and image.size[1] > 300


def test_curves_image_draws_each_series_in_its_colour():
    history = {"epoch": [0, 1, 2, 3], "train_loss": [1.0, 0.5, 0.25, 0.2],
               "test_loss": [1.0, 0.6, 0.5, 0.55]}
    image = np.asarray(figures.curves_image(
        history, {"train_loss": "train loss", "test_loss": "test loss"}, ylabel="loss"))
    for colour in (figures.TRAIN_RGB, figures.TEST_RGB):
        near = np.abs(image.astype(int) - np.array(colour)).sum(axis=2) < 30
        assert near.sum() > 200  # a drawn line (and its legend swatch)
    log = figures.curves_image(history, {"train_loss": "train loss"}, ylabel="loss", log_y=True)
    assert log.size == (raster.WIDTH, raster.HEIGHT)


def test_metric_series_follow_the_task():
    assert figures.metric_series("binary") == (
        {"train_acc": "train accuracy", "test_acc": "test accuracy"}, "accuracy")
    assert figures.metric_series("regression")[1] == "R²"
