"""The loss landscape (playground/landscape.py), the recorded path (trajectory.py, spread.py)
and their Plotly figures (draw/landscape_plots.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from playground import Config, Run
from playground import landscape as L
from playground.draw import landscape_plots
from playground.spread import Spread
from playground.train import load_data

LINE = Config(dataset="line", n_samples=200, noise=0.2, hidden=(), standardize=False,
              optimizer="sgd", lr=0.1, batch_size=100, epochs=20, seed=5)


def trained(cfg: Config, epochs: int | None = None) -> Run:
    run = Run(cfg, load_data(cfg))
    run.record_path = True
    return run.fit(cfg.epochs if epochs is None else epochs)


def direct_loss(run: Run, theta: np.ndarray, points: int) -> float:
    """The training loss at flat weights `theta`, through the torch module itself."""
    params = {name: torch.as_tensor(theta[o:o + shape.numel()].reshape(shape),
                                    dtype=torch.float32)
              for name, (o, shape) in run.params.layout.items()}
    X = torch.as_tensor(run.data.transform(run.data.X_train[:points]))
    run.model.eval()
    with torch.no_grad():
        out = functional_call(run.model, params, (X,))
    y = torch.as_tensor(run.data.y_train[:points])
    if run.task == "regression":
        return float(F.mse_loss(out[:, 0], y.float()))
    if run.task == "binary":
        return float(F.binary_cross_entropy_with_logits(out[:, 0], y.float()))
    return float(F.cross_entropy(out, y.long()))


# ---- two parameters: the whole surface --------------------------------------------------------
def test_two_parameter_surface_is_the_loss_at_every_sampled_point():
    run = trained(LINE)
    land = L.landscape(run)
    assert land.method == "exact" and land.loss.shape == (41, 41)
    np.testing.assert_array_equal(land.directions, np.eye(2))
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, 41, size=(25, 2)):
        theta = np.array([land.xs[j], land.ys[i]])
        assert land.loss[i, j] == pytest.approx(direct_loss(run, theta, land.points), rel=1e-5)
    # The path's coordinates are the weights themselves, its losses the run's history.
    steps, weights = run.path
    np.testing.assert_allclose(land.paths["path"].coords, weights)
    np.testing.assert_allclose(land.paths["path"].true_loss, run.history["train_loss"], rtol=1e-5)
    # The least-squares line is the bottom: lower than every grid point, inside the box.
    slope, bias, best = land.optimum
    assert best <= land.loss.min() + 1e-6
    assert land.xs[0] < slope < land.xs[-1] and land.ys[0] < bias < land.ys[-1]
    X = np.column_stack([run.data.X_train[:, 0], np.ones(run.data.n_train)])
    np.testing.assert_allclose([slope, bias], np.linalg.lstsq(X, run.data.y_train, rcond=None)[0],
                               rtol=1e-5)


def test_a_too_high_rate_climbs_the_walls():
    high = trained(LINE.replace(lr=0.35))
    path = L.landscape(high).paths["path"]
    assert np.all(np.diff(path.loss) > 0)  # on the exact surface: every step goes up


# ---- slices through any network ---------------------------------------------------------------
@pytest.fixture(scope="module")
def moons() -> Run:
    return trained(Config(dataset="moons", n_samples=400, hidden=(8, 6), activation="tanh",
                          optimizer="adam", lr=0.03, batch_size=20, epochs=15))


@pytest.mark.parametrize("method", L.METHODS)
def test_slice_through_the_current_weights(moons, method):
    land = L.landscape(moons, method)
    steps, weights = moons.path
    np.testing.assert_array_equal(land.origin, weights[-1])
    # 0 is a grid coordinate on both axes, and the loss there is the current training loss.
    i, j = int(np.flatnonzero(land.ys == 0)[0]), int(np.flatnonzero(land.xs == 0)[0])
    assert land.loss[i, j] == pytest.approx(moons.history["train_loss"][-1], rel=1e-5)
    assert land.loss[i, j] == pytest.approx(direct_loss(moons, weights[-1], land.points),
                                            rel=1e-5)
    # Another grid point is the network at origin + x d1 + y d2.
    theta = land.origin + land.xs[3] * land.directions[0] + land.ys[30] * land.directions[1]
    assert land.loss[30, 3] == pytest.approx(direct_loss(moons, theta, land.points), rel=1e-4)
    # The projected path: least-squares coordinates of the recorded weights, ending at 0.
    path = land.paths["path"]
    coords, *_ = np.linalg.lstsq(land.directions.T, (weights - land.origin).T, rcond=None)
    np.testing.assert_allclose(path.coords, coords.T, atol=1e-9)
    np.testing.assert_allclose(path.coords[-1], 0.0, atol=1e-9)
    np.testing.assert_array_equal(path.steps, steps)
    np.testing.assert_allclose(path.true_loss[-1], moons.history["train_loss"][-1], rtol=1e-5)
    # The box holds the whole path.
    assert land.xs[0] <= path.coords[:, 0].min() and path.coords[:, 0].max() <= land.xs[-1]
    assert land.ys[0] <= path.coords[:, 1].min() and path.coords[:, 1].max() <= land.ys[-1]


def test_path_directions_are_the_principal_ones(moons):
    _, weights = moons.path
    d, (first, second) = L.path_directions(weights, weights[-1])
    np.testing.assert_allclose(d @ d.T, np.eye(2), atol=1e-9)
    assert 1 >= first >= second >= 0 and first + second <= 1 + 1e-9
    # No other unit direction holds more of the movement than the first.
    moved = weights - weights[-1]
    rng = np.random.default_rng(1)
    for other in rng.standard_normal((20, weights.shape[1])):
        other /= np.linalg.norm(other)
        assert np.sum((moved @ other) ** 2) <= np.sum((moved @ d[0]) ** 2) + 1e-9
    assert (weights[0] - weights[-1]) @ d[0] < 0  # the start lies on the negative side
    # For the moons run, the two directions hold almost all of it: the path lies near the slice.
    land = L.landscape(moons)
    assert sum(land.explained) > 0.8
    np.testing.assert_allclose(land.paths["path"].loss[-1], land.paths["path"].true_loss[-1])


def test_random_directions_are_filter_normalised(moons):
    origin = moons.path[1][-1]
    d = L.random_directions(moons.config, moons.data, origin, seed=3)
    for name, (offset, shape) in moons.params.layout.items():
        block = slice(offset, offset + shape.numel())
        if name.endswith("weight"):
            rows = d[:, block].reshape(2, *shape)
            np.testing.assert_allclose(np.linalg.norm(rows, axis=2),
                                       np.broadcast_to(np.linalg.norm(
                                           origin[block].reshape(shape), axis=1), (2, shape[0])),
                                       rtol=1e-9)
        else:
            assert not d[:, block].any()  # biases stay where they are
    np.testing.assert_array_equal(d, L.random_directions(moons.config, moons.data, origin, 3))
    land = L.landscape(moons, "random")
    assert land.xs[0] <= -1 and land.xs[-1] >= 1  # Li et al.'s unit box at least


def test_grid_rows_are_stacked_models_equal_to_one_at_a_time():
    run = trained(Config(dataset="blobs", n_classes=3, n_samples=300, hidden=(5,),
                         dropout=0.3, optimizer="adam", lr=0.03, epochs=3))
    loss = L.Loss(run.config, run.data)
    rng = np.random.default_rng(2)
    thetas = run.path[1][-1] + 0.3 * rng.standard_normal((7, run.params.theta.numel()))
    stacked = loss(thetas)
    assert stacked.shape == (7,)
    for theta, value in zip(thetas, stacked, strict=True):
        assert value == pytest.approx(loss(theta)[0], rel=1e-5)
        assert value == pytest.approx(direct_loss(run, theta, len(loss.X)), rel=1e-5)  # eval mode


def test_float64_runs_get_a_float64_surface():
    run = trained(LINE.replace(precision="float64"))
    land = L.landscape(run)
    np.testing.assert_allclose(land.paths["path"].true_loss, run.history["train_loss"],
                               rtol=1e-12)


def test_batch_norm_is_refused():
    run = trained(Config(dataset="moons", hidden=(4,), batchnorm=True, epochs=2))
    with pytest.raises(ValueError, match="batch norm"):
        L.landscape(run)


def test_a_run_without_a_path_is_refused():
    with pytest.raises(ValueError, match="no path"):
        L.landscape(Run(LINE))


# ---- what it costs ----------------------------------------------------------------------------
def test_plan_keeps_the_work_bounded():
    assert L.plan(25, 250) == (41, 250)  # the default set-up: everything
    assert L.plan(25, 100_000) == (41, L.MAX_POINTS)
    res, points = L.plan(8_000, 50_000)
    assert res == 41 and L.MIN_POINTS <= points < L.MAX_POINTS
    res, points = L.plan(60_000, 50_000)
    assert res == L.COARSE and points >= L.MIN_POINTS
    for parameters, n in ((300, 400), (8_000, 50_000), (20_000, 50_000)):
        res, points = L.plan(parameters, n, path_models=800)
        assert (res * res + 800) * points * parameters <= L.MAX_WORK
    with pytest.raises(ValueError, match="too many for a loss landscape"):
        L.plan(500_000, 10_000)


def test_a_large_network_is_measured_on_fewer_points():
    run = trained(Config(dataset="spiral", n_samples=4000, hidden=(64, 64, 64), epochs=1,
                         batch_size=200))
    land = L.landscape(run)
    assert L.MIN_POINTS <= land.points < run.data.n_train
    assert land.loss.shape == (41, 41) and np.isfinite(land.loss).all()


# ---- the recorded path ------------------------------------------------------------------------
def test_the_path_is_bounded_and_evenly_spread():
    cfg = Config(dataset="moons", n_samples=400, hidden=(4,), batch_size=1, epochs=5)
    run = trained(cfg)  # 1,000 steps
    steps, weights = run.path
    assert steps[0] == 0 and steps[-1] == run.steps == 1000
    assert len(steps) <= 400 + 1 and weights.shape == (len(steps), run.params.theta.numel())
    gaps = np.diff(steps[:-1])
    assert len(set(gaps.tolist())) == 1  # one stride from the first
    np.testing.assert_array_equal(weights[-1], run.params.theta.numpy())
    run.fit(45)  # ten times longer than planned: thinned, still bounded and from step 0
    steps, _ = run.path
    assert steps[0] == 0 and steps[-1] == 10_000 and len(steps) <= 401


def test_recording_starts_where_it_is_switched_on():
    run = Run(LINE)
    run.fit(3)
    run.record_path = True
    run.fit(5)
    steps, weights = run.path
    assert steps[0] == 3 and steps[-1] == 8  # one batch an epoch
    run.record_path = False
    assert len(run.path[0]) == 0


def test_a_diverged_run_forgets_the_steps_it_lost():
    run = trained(Config(dataset="plane", n_samples=400, hidden=(16, 16), activation="relu",
                         optimizer="sgd", lr=10.0, batch_size=10, epochs=50))
    assert run.status == "diverged"
    steps, weights = run.path
    assert np.isfinite(weights).all() and list(steps) == sorted(set(steps))
    assert steps[-1] == run.steps
    np.testing.assert_array_equal(weights[-1], run.params.theta.numpy())


def test_spread_doubles_its_stride():
    spread = Spread(4, planned=3)
    assert spread.stride == 1
    for i in range(9):
        if spread.wants(i):
            spread.add(i, str(i))
    assert [i for i, _ in spread.items] == [0, 4, 8]
    spread.go_back(5)
    assert [i for i, _ in spread.items] == [0, 4]
    with pytest.raises(ValueError):
        Spread(1)


# ---- several runs on one surface --------------------------------------------------------------
def test_optimizers_race_from_one_start():
    cfg = Config(dataset="moons", n_samples=300, hidden=(6,), lr=0.05, epochs=10)
    configs = L.race_configs(cfg)
    assert list(configs) == ["SGD", "momentum", "Adam", "SGD at 0.5"]
    data = load_data(cfg)
    runs = {}
    for name, c in configs.items():
        runs[name] = Run(c, data)
        runs[name].record_path = True
        runs[name].fit(c.epochs)
    land = L.race(runs)
    start = runs["SGD"].path[1][0]
    np.testing.assert_array_equal(land.origin, start)
    for name, path in land.paths.items():
        np.testing.assert_allclose(path.coords[0], 0.0, atol=1e-9)  # all from the origin
        np.testing.assert_allclose(path.true_loss[-1], runs[name].history["train_loss"][-1],
                                   rtol=1e-5)
    # Momentum at the same rate goes further than plain SGD in the same steps.
    assert np.linalg.norm(land.paths["momentum"].coords[-1]) > \
        np.linalg.norm(land.paths["SGD"].coords[-1])


def test_runs_that_do_not_share_a_start_are_refused():
    a, b = trained(LINE), trained(LINE.replace(seed=1))
    assert L.one_start({"a": a, "b": b}) == "the runs start from different weights"
    c = trained(Config(dataset="line", hidden=(3,), epochs=2))
    assert "different networks" in L.one_start({"a": a, "c": c})
    with pytest.raises(ValueError, match="different"):
        L.race({"a": a, "b": b})


# ---- the figures ------------------------------------------------------------------------------
def test_contour_and_surface_show_the_numbers(moons):
    land = L.landscape(moons)
    fig = landscape_plots.contour(land)
    grid, path, end, start, low = fig.data
    np.testing.assert_allclose(grid.z, np.log10(land.loss))
    np.testing.assert_allclose(grid.customdata, land.loss)
    np.testing.assert_allclose(path.x, land.paths["path"].coords[:, 0])
    np.testing.assert_allclose(end.x, land.paths["path"].coords[-1:, 0])
    assert start.name.startswith("start (loss") and low.name.startswith("lowest point in view")
    x, y, value = land.minimum
    assert (low.x[0], low.y[0]) == (x, y) and value == land.loss.min()
    assert list(fig.layout.xaxis.range) == [land.xs[0], land.xs[-1]]
    surface = landscape_plots.surface(land)
    assert surface.data[0].type == "surface"
    np.testing.assert_allclose(surface.data[1].x, land.paths["path"].coords[:, 0])


def test_the_surface_cuts_a_path_where_it_leaves_the_box():
    high = trained(LINE.replace(lr=0.35, epochs=30))
    land = L.landscape(high)
    path = land.paths["path"]
    inside = (path.coords[:, 0] >= land.xs[0]) & (path.coords[:, 0] <= land.xs[-1]) & \
        (path.coords[:, 1] >= land.ys[0]) & (path.coords[:, 1] <= land.ys[-1])
    assert not inside.all()  # the view follows the climb only so far
    surface = landscape_plots.surface(land)
    drawn = surface.data[1]
    assert len(drawn.x) == int(np.argmin(inside)) and len(drawn.x) >= 2
    contour = landscape_plots.contour(land)
    assert contour.data[-1].name.startswith("least-squares fit (loss")
