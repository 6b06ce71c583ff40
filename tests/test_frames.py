"""playground.draw.frames: the live view's frames hold the library's own numbers (the model's
output over the box, every node's picture, the drawn weights, the history and the cards)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from playground import Config, insight, train
from playground.datasets import grid
from playground.draw import diagram, frames
from playground.draw.colours import BACKGROUND, diverging_rgb
from playground.schedule import LiveJob

STATE = {"version": 0, "seq": 1}
FEATURES = ("x1", "x2", "x1sq", "sin_x2")


@pytest.fixture(scope="module")
def spiral():
    return train(Config(dataset="spiral", hidden=(9, 3), features=FEATURES, epochs=4))


def built(run, closer=None):
    view = frames.LiveView(run)
    return (frames.decode(view.structure(STATE)), frames.decode(view.frame(STATE, closer)), view)


def test_frames_round_trip_their_header_and_arrays():
    a = np.arange(7, dtype=np.uint8)
    b = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
    data = frames.encode({"kind": "frame", "epoch": 3}, {"a": a, "b": b, "c": np.arange(3.0)})
    header, arrays = frames.decode(data)
    assert header == {"kind": "frame", "epoch": 3}
    np.testing.assert_array_equal(arrays["a"], a)
    np.testing.assert_array_equal(arrays["b"], b)
    assert arrays["c"].dtype == np.float32  # float64 travels as float32
    with pytest.raises(ValueError):
        frames.decode(b"PNG!" + data[4:])


def test_the_boundary_grid_is_the_models_probability(spiral):
    _, (header, arrays), view = built(spiral)
    r = frames.GRID
    _, _, points = grid(spiral.data.box, r)
    expected = spiral.predict(points)[:, 1].reshape(r, r)
    assert arrays["grid"].shape == (r, r)
    np.testing.assert_allclose(arrays["grid"] / 255, expected, atol=0.5 / 255 + 1e-6)


def test_k_classes_send_the_likeliest_class_and_its_shade():
    run = train(Config(dataset="blobs", n_classes=4, hidden=(6,), epochs=3))
    _, (_, arrays), _ = built(run)
    r = frames.GRID_CLASSES
    p = run.predict(grid(run.data.box, r)[2])
    best, shade = arrays["grid"][..., 0].ravel(), arrays["grid"][..., 1].ravel()
    np.testing.assert_array_equal(best, p.argmax(1))
    confidence = (p.max(1) - 1 / 4) / (1 - 1 / 4)
    np.testing.assert_allclose(shade / frames.SHADES, confidence, atol=0.5 / frames.SHADES + 1e-6)


def test_regression_maps_the_prediction_over_the_value_range():
    run = train(Config(dataset="plane", hidden=(4,), epochs=3))
    (sh, _), (_, arrays), _ = built(run)
    lo, hi = sh["value_range"]
    p = run.predict(grid(run.data.box, frames.GRID)[2])
    expected = np.clip((p - lo) / (hi - lo), 0, 1).reshape(frames.GRID, frames.GRID)
    np.testing.assert_allclose(arrays["grid"] / 255, expected, atol=0.5 / 255 + 1e-6)


def test_one_dimensional_data_sends_the_curves():
    run = train(Config(dataset="steps", hidden=(5,), epochs=3))
    _, (_, arrays), _ = built(run)
    p = run.predict(grid(run.data.box, frames.CURVE)[2])
    np.testing.assert_allclose(arrays["curve"], p.T, rtol=1e-6)  # one curve per class


def test_more_inputs_send_each_test_points_guess():
    run = train(Config(dataset="digits", n_samples=400, hidden=(16,), epochs=3))
    (sh, sa), (_, arrays), _ = built(run)
    np.testing.assert_array_equal(arrays["pred_test"], run.predict(run.data.X_test).argmax(1))
    assert sa["proj_test"].shape == (run.data.n_test, 2) and sh["digits"]
    assert sa["images_test"].shape == (run.data.n_test, 64)
    assert "grid" not in arrays and not sh["pictures"]


def test_node_pictures_are_each_nodes_output(spiral):
    (sh, sa), (_, arrays), _ = built(spiral)
    t = diagram.THUMB
    values = insight.node_values(spiral, grid(spiral.data.box, t)[2])
    units = diagram.layer_units(spiral)
    assert [layer["units"] for layer in sh["layers"]] == units
    # hidden layers: 128 at zero, 0 and 255 at minus and plus the node's largest |value|
    pictures, scales = arrays["nodes"], arrays["node_scale"]
    k = 0
    for layer in (1, 2):
        for u in units[layer]:
            v = values[layer][:, u]
            scale = np.abs(v).max()
            assert scales[k] == pytest.approx(scale, rel=1e-6)
            np.testing.assert_allclose(pictures[k].ravel() / 255, 0.5 + 0.5 * v / scale,
                                       atol=0.5 / 255 + 1e-6)
            k += 1
    np.testing.assert_allclose(pictures[k].ravel() / 255, values[3][:, 0], atol=0.5 / 255 + 1e-6)
    assert len(pictures) == k + 1 == sum(len(u) for u in units[1:])
    assert sa["inputs"].shape == (len(FEATURES), t, t)  # the inputs never change: sent once


def test_weights_are_the_drawn_units_weights(spiral):
    _, (_, arrays), _ = built(spiral)
    units = diagram.layer_units(spiral)
    sent_drawn = 0
    for i, linear in enumerate(diagram.linear_layers(spiral.model)):
        W, b = linear.weight.detach().numpy(), linear.bias.detach().numpy()
        np.testing.assert_array_equal(arrays[f"Wfull{i}"], W)  # small: the browser computes
        np.testing.assert_array_equal(arrays[f"bfull{i}"], b)
        every_unit = W.shape == (len(units[i + 1]), len(units[i]))
        assert (f"W{i}" in arrays) is not every_unit  # the drawn ones only when they differ
        if not every_unit:
            sent_drawn += 1
            np.testing.assert_array_equal(arrays[f"W{i}"], W[np.ix_(units[i + 1], units[i])])
            np.testing.assert_array_equal(arrays[f"b{i}"], b[units[i + 1]])
    assert sent_drawn  # the spiral's wide layer is drawn in part


def test_big_networks_leave_the_exact_hover_to_the_grid():
    run = train(Config(dataset="xor", hidden=(128, 64), epochs=1))
    assert not frames.exact_hover(run)
    _, (_, arrays), _ = built(run)
    assert "Wfull0" not in arrays and arrays["W0"].shape == (7, 2)
    assert not frames.exact_hover(train(Config(batchnorm=True, epochs=1)))


def test_history_and_cards_follow_the_run(spiral):
    (sh, sa), (header, arrays), view = built(spiral)
    keys = sh["history_keys"]
    assert keys == ["epoch", "train_loss", "test_loss", "train_acc", "test_acc"]
    h = spiral.history
    np.testing.assert_allclose(sa["history"], np.array([h[k] for k in keys]).T, rtol=1e-6)
    assert header["history_start"] == 5 and arrays["history"].shape == (0, 5)  # nothing new
    spiral.fit(2)
    header, arrays = frames.decode(view.frame(STATE))
    assert header["history_start"] == 5
    np.testing.assert_allclose(arrays["history"][:, 0], [5, 6])
    cards = header["cards"]
    assert cards["train_loss"] == pytest.approx(h["train_loss"][-1])
    assert cards["score"] == pytest.approx(h["test_acc"][-1])
    assert cards["d_test_loss"] == pytest.approx(h["test_loss"][-1] - h["test_loss"][-2])
    assert cards["ms_per_epoch"] == pytest.approx(1000 * spiral.seconds / spiral.epoch)


def test_the_structure_carries_the_points_and_colour_tables(spiral):
    (sh, sa), _, _ = built(spiral)
    d = spiral.data
    np.testing.assert_array_equal(sa["X_train"], d.X_train.astype(np.float32))
    np.testing.assert_array_equal(sa["y_test"], d.y_test)
    np.testing.assert_array_equal(sa["mean"], d.mean.astype(np.float32))
    t = np.linspace(0, 1, 256)
    np.testing.assert_array_equal(sa["lut_background"], diverging_rgb(t, BACKGROUND))
    np.testing.assert_array_equal(sa["lut_node"], diverging_rgb(t))
    assert sh["features"] == list(FEATURES) and sh["activation"] == "tanh"
    assert sh["class_names"] == ["class 0", "class 1"] and sh["box"] == list(d.box)


def test_look_closer_sends_the_chosen_node_large(spiral):
    _, (header, arrays), _ = built(spiral, closer=(1, 8))  # h1.9: not drawn in the diagram
    assert header["closer"] == [1, 8]
    v = insight.node_grid(spiral, 1, 8, frames.BIG)
    np.testing.assert_allclose(arrays["closer"] / 255, 0.5 + 0.5 * v / np.abs(v).max(),
                               atol=0.5 / 255 + 1e-6)
    _, (header, arrays), _ = built(spiral, closer=(1, 40))  # no such unit: left out
    assert "closer" not in header and "closer" not in arrays


def test_while_training_the_large_node_is_sent_only_when_it_is_redrawn(spiral):
    view = frames.LiveView(spiral)
    view.structure(STATE)
    playing = {**STATE, "playing": True}
    _, first = frames.decode(view.frame(playing, closer=(1, 0)))
    _, soon = frames.decode(view.frame(playing, closer=(1, 0)))
    assert "closer" in first and "closer" not in soon  # the browser keeps the one it has
    _, other = frames.decode(view.frame(playing, closer=(1, 1)))
    assert "closer" in other  # another node: sent at once
    time.sleep(frames.CLOSER_S)
    _, later = frames.decode(view.frame(playing, closer=(1, 1)))
    assert "closer" in later
    _, rest = frames.decode(view.frame({**STATE, "playing": False}, closer=(1, 1)))
    _, again = frames.decode(view.frame({**STATE, "playing": False}, closer=(1, 1)))
    assert "closer" in rest and "closer" in again  # at rest (weights may be edited): always
    view.structure(STATE)
    _, after = frames.decode(view.frame(playing, closer=(1, 1)))
    assert "closer" in after  # a new structure: the browser has nothing


def test_a_jobs_frame_says_what_the_job_does():
    job = LiveJob(train(Config(epochs=3)), frames.job_frame)
    header, _ = frames.decode(frames.job_frame(job, True))
    assert header["kind"] == "structure" and header["version"] == 0
    header, arrays = frames.decode(frames.job_frame(job, False))
    assert header["kind"] == "frame" and header["epoch"] == 3 and not header["playing"]
    assert header["pace"] == "normal" and header["status"] == "paused"
    assert header["closer"] == [1, 0]  # the first hidden neuron by default
    job.edit({"kind": "bias", "layer": 0, "out": 0, "value": 3.0})
    header, _ = frames.decode(frames.job_frame(job, False))
    assert header["cards"]["train_loss"] == pytest.approx(job.run.evaluate()["train_loss"])


def test_the_default_frame_fits_the_budget():
    job = LiveJob(train(Config(epochs=1)), frames.job_frame)
    frames.job_frame(job, True)
    size = len(frames.job_frame(job, False))
    assert size <= 25 * 1024 + frames.BIG ** 2, size  # the large node picture comes on top


@pytest.mark.parametrize("link", [
    "#dataset=circle&networkShape=4,2&seed=0.12345&regularization=L1&regularizationRate=0.003",
    "#problem=regression&regDataset=reg-plane&networkShape=4&seed=0.60606&noise=20",
])
def test_a_run_under_tf_playgrounds_rules_draws_like_any_other(link):
    """float64 weights, a tanh output unit: the view's grid is still the run's own output."""
    run = train(Config.from_tfplayground(link)[0].replace(epochs=3))
    structure, (header, arrays), view = built(run, closer=(1, 0))
    r = frames.GRID
    predicted = run.predict(grid(run.data.box, r)[2])
    if run.task == "binary":  # the class-1 probability: (tanh z + 1) / 2
        np.testing.assert_allclose(arrays["grid"] / 255, predicted[:, 1].reshape(r, r),
                                   atol=0.5 / 255 + 1e-6)
    assert all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f")
    for fn in (insight.activations, insight.node_values):
        fn(run, run.data.X_test[:5])
