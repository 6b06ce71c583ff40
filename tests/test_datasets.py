"""Tests for playground.datasets: shapes, determinism, TF Playground fidelity, splits, features."""

import time

import numpy as np
import pytest

from playground.datasets import DATASETS, FEATURES, Data, grid, make_data, n_classes_of

ORDER = ["circle", "xor", "gauss", "spiral", "plane", "multigauss", "moons", "blobs", "spirals",
         "checkerboard", "random", "teacher", "teacher_balanced", "bumps", "bumps_even", "steps",
         "line", "sine", "digits"]
NAMES = list(DATASETS)
LOW_DIM = [n for n in NAMES if DATASETS[n].dim <= 2]


def gen(name, n=400, noise=0.0, seed=0, k=3):
    """Raw generator output, before make_data's shuffle and split."""
    return DATASETS[name].make(n, noise, np.random.default_rng(seed), k)


def all_arrays(d: Data):
    return [d.X_train, d.y_train, d.X_test, d.y_test, d.mean, d.std]


# --- Registry -------------------------------------------------------------------------------

def test_registry_order_and_fields():
    assert NAMES == ORDER
    for name, spec in DATASETS.items():
        assert spec.name == name
        assert spec.task in ("binary", "multiclass", "regression")
        if spec.dim == 2:
            assert len(spec.box) == 4 and spec.box[0] < spec.box[1] and spec.box[2] < spec.box[3]
        elif spec.dim == 1:
            assert len(spec.box) == 2 and spec.box[0] < spec.box[1]
        else:
            assert spec.box is None
        assert spec.title and spec.help.endswith(".") and spec.help.count(". ") == 0
        assert spec.noise_help
    assert [n for n, s in DATASETS.items() if s.uses_n_classes] == ["blobs", "spirals"]
    assert [n for n, s in DATASETS.items() if s.max_samples is not None] == ["digits"]
    assert DATASETS["digits"].max_samples == 1797
    assert DATASETS["random"].noise_help == "ignored"
    for name in ("circle", "xor", "gauss", "spiral", "plane", "multigauss"):
        assert DATASETS[name].box == (-6, 6, -6, 6)


def test_n_classes_of():
    expected = {"circle": 2, "xor": 2, "gauss": 2, "spiral": 2, "plane": 1, "multigauss": 1,
                "moons": 2, "blobs": 7, "spirals": 7, "checkerboard": 2, "random": 2,
                "teacher": 5, "teacher_balanced": 5, "bumps": 2, "bumps_even": 2, "steps": 3, "line": 1, "sine": 1, "digits": 10}
    assert {n: n_classes_of(n, 7) for n in NAMES} == expected
    assert n_classes_of("blobs", 2) == 2 and n_classes_of("steps", 7) == 3


def test_features_registry():
    assert list(FEATURES) == ["x1", "x2", "x1sq", "x2sq", "x1x2", "sin_x1", "sin_x2"]
    labels = [f.label for f in FEATURES.values()]
    assert labels == ["x₁", "x₂", "x₁²", "x₂²", "x₁x₂", "sin(x₁)", "sin(x₂)"]
    X = np.array([[2.0, -3.0], [0.5, 1.0]])
    got = np.stack([FEATURES[k].fn(X) for k in FEATURES], axis=1)
    want = np.array([[2, -3, 4, 9, -6, np.sin(2), np.sin(-3)],
                     [0.5, 1, 0.25, 1, 0.5, np.sin(0.5), np.sin(1)]])
    np.testing.assert_allclose(got, want)


# --- Every dataset ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_shapes_dtypes_labels(name):
    spec = DATASETS[name]
    X, y = gen(name, n=301, noise=0.2, k=4)
    assert X.shape == (301, spec.dim) and X.dtype == np.float64
    assert y.shape == (301,)
    assert np.isfinite(X).all() and np.isfinite(y).all()
    if spec.task == "regression":
        assert y.dtype == np.float64
    else:
        k = n_classes_of(name, 4)
        assert y.dtype == np.int64
        assert y.min() >= 0 and y.max() < k


@pytest.mark.parametrize("name", NAMES)
def test_make_data_deterministic_and_seeded(name):
    kw = dict(n_classes=4, features=("x1", "x2", "x1x2"))
    a = make_data(name, 300, 0.1, 0.3, 7, **kw)
    b = make_data(name, 300, 0.1, 0.3, 7, **kw)
    c = make_data(name, 300, 0.1, 0.3, 8, **kw)
    for u, v in zip(all_arrays(a), all_arrays(b)):
        assert u.dtype == v.dtype and u.tobytes() == v.tobytes()
    assert not np.array_equal(a.X_train, c.X_train)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "random"])
def test_noise_changes_something(name):
    X0, y0 = gen(name, noise=0.0, seed=3)
    X1, y1 = gen(name, noise=0.3, seed=3)
    assert not (np.array_equal(X0, X1) and np.array_equal(y0, y1))


def test_random_ignores_noise_and_is_balanced():
    X0, y0 = gen("random", n=4000, noise=0.0)
    X1, y1 = gen("random", n=4000, noise=0.5)
    assert np.array_equal(X0, X1) and np.array_equal(y0, y1)
    assert X0.shape == (4000, 20)
    assert 0.45 < y0.mean() < 0.55
    # no signal: each input's correlation with the label is at chance level (|r| ~ 1/sqrt(n))
    r = [np.corrcoef(X0[:, j], y0)[0, 1] for j in range(20)]
    assert max(abs(v) for v in r) < 0.08


@pytest.mark.parametrize("name", LOW_DIM)
def test_points_inside_box_without_noise(name):
    X, _ = gen(name, n=2000, noise=0.0, k=5)
    box = DATASETS[name].box
    assert (X[:, 0] >= box[0]).all() and (X[:, 0] <= box[1]).all()
    if len(box) == 4:
        assert (X[:, 1] >= box[2]).all() and (X[:, 1] <= box[3]).all()


def test_generators_are_vectorised():
    start = time.perf_counter()
    for name in NAMES[:-1]:  # digits is capped at 1797 samples
        X, y = gen(name, n=200_000, noise=0.2, k=5)
        assert len(X) == len(y) == 200_000
    assert time.perf_counter() - start < 5.0  # ~0.6 s measured; a per-point loop takes far longer


# --- TF Playground fidelity ------------------------------------------------------------------

def test_circle_tf():
    X, y = gen("circle", n=1000)
    r = np.linalg.norm(X, axis=1)
    assert np.array_equal(y, (r < 2.5).astype(np.int64))
    assert ((r < 2.5) | ((r >= 3.5) & (r <= 5))).all()
    assert y.sum() == 500
    _, y_noisy = gen("circle", n=1000, noise=0.5)
    assert 0 < np.sum(y_noisy != y) < 500  # the stored points are the same, some labels flip


def test_xor_tf():
    X, y = gen("xor", n=1000)
    assert (np.abs(X) >= 0.3).all() and (np.abs(X) <= 5.3).all()
    assert np.array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(np.int64))


def test_gauss_tf():
    X, y = gen("gauss", n=4000)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [2, 2], atol=0.1)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), [-2, -2], atol=0.1)
    np.testing.assert_allclose(X[y == 1].var(axis=0), [0.5, 0.5], rtol=0.15)  # a variance, as TF
    Xn, yn = gen("gauss", n=4000, noise=0.5)
    np.testing.assert_allclose(Xn[yn == 1].var(axis=0), [4, 4], rtol=0.15)


def test_spiral_tf():
    X, y = gen("spiral", n=500)
    r = np.linalg.norm(X, axis=1)
    assert (r <= 5).all() and np.bincount(y).tolist() == [250, 250]
    t = 1.75 * 2 * np.pi * r / 5  # t = 3.5 pi i/n and r = 5 i/n on both arms
    sign = np.where(y == 1, 1.0, -1.0)[:, None]  # the negative arm is the positive one + pi
    np.testing.assert_allclose(X, sign * r[:, None] * np.stack([np.sin(t), np.cos(t)], 1), atol=1e-9)
    Xn, _ = gen("spiral", n=500, noise=0.5)
    assert np.abs(Xn - X).max() <= 0.5


def test_plane_tf():
    X, y = gen("plane", n=1000)
    assert (np.abs(X) <= 6).all()
    np.testing.assert_allclose(y, (X[:, 0] + X[:, 1]) / 10)
    _, yn = gen("plane", n=1000, noise=0.5)
    assert np.abs(yn - y).max() <= 0.6 + 1e-12 and np.abs(yn - y).max() > 0.3


def test_multigauss_tf():
    X, y = gen("multigauss", n=3000)
    assert (np.abs(X) <= 6).all() and (np.abs(y) <= 1).all()
    centres = np.array([[-4, 2.5], [0, 2.5], [4, 2.5], [-4, -2.5], [0, -2.5], [4, -2.5]])
    signs = np.array([1, -1, 1, -1, 1, -1])
    d = np.linalg.norm(X[:, None] - centres[None], axis=2)
    nearest = d.argmin(axis=1)  # the largest |f| belongs to the nearest centre
    want = signs[nearest] * np.clip(1 - d.min(axis=1) / 2, 0, 1)
    np.testing.assert_allclose(y, want, atol=1e-12)
    assert (y > 0.5).any() and (y < -0.5).any() and (y == 0).any()
    _, yn = gen("multigauss", n=3000, noise=0.5)
    assert (np.abs(yn) <= 1).all()


# --- Our datasets ----------------------------------------------------------------------------

def test_moons_construction():
    X, y = gen("moons", n=1001)
    assert np.bincount(y).tolist() == [500, 501]  # n // 2 outer, as make_moons
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0)  # outer: (cos t, sin t)
    inner = X[y == 1] - [1.0, 0.5]  # inner: (1 - cos t, 0.5 - sin t)
    np.testing.assert_allclose(np.linalg.norm(inner, axis=1), 1.0)
    assert (X[y == 0, 1] >= 0).all() and (inner[:, 1] <= 1e-12).all()
    Xn, _ = gen("moons", n=4000, noise=0.2)
    X0, _ = gen("moons", n=4000, noise=0.0)
    assert abs((Xn - X0).std() - 0.2) < 0.02


@pytest.mark.parametrize("k", [2, 3, 6])
def test_blobs(k):
    X, y = gen("blobs", n=600 * k, k=k)
    assert sorted(np.unique(y)) == list(range(k))
    means = np.stack([X[y == j].mean(axis=0) for j in range(k)])
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 4.0, atol=0.1)
    sep = min(np.linalg.norm(means[a] - means[b]) for a in range(k) for b in range(a))
    assert sep / X[y == 0].std(axis=0).max() > 4  # noise 0: well separated
    Xn, yn = gen("blobs", n=600 * k, noise=0.5, k=k)
    assert (Xn[yn == 0].std(axis=0) > 3 * X[y == 0].std(axis=0)).all()


@pytest.mark.parametrize("k", [2, 3, 5])
def test_spirals(k):
    X, y = gen("spirals", n=300 * k, k=k)
    assert np.bincount(y).tolist() == [300] * k
    r = np.linalg.norm(X, axis=1)
    assert (r <= 5).all()
    for j in range(k):  # arm j is arm 0 rotated by 2 pi j / k
        t = 0.7 * np.pi * r[y == j] + 2 * np.pi * j / k
        want = r[y == j, None] * np.stack([np.sin(t), np.cos(t)], 1)
        np.testing.assert_allclose(X[y == j], want, atol=1e-9)
    assert make_data("spirals", 200, 0, 0.2, 0, n_classes=2).task == "multiclass"


@pytest.mark.parametrize("name", ["blobs", "spirals"])
def test_class_count_must_be_at_least_two(name):
    with pytest.raises(ValueError):
        make_data(name, 100, 0.0, 0.2, 0, n_classes=1)


def test_checkerboard_rule():
    X, y = gen("checkerboard", n=2000)
    assert (np.abs(X) <= 6).all()
    i, j = np.floor((X + 6) / 3).T  # square indices 0..3
    assert np.array_equal(y, ((i + j) % 2 == 0).astype(np.int64))
    assert 0.4 < y.mean() < 0.6
    _, yn = gen("checkerboard", n=2000, noise=0.5)
    assert 0.05 < np.mean(yn != y) < 0.5


@pytest.mark.parametrize("name", ["teacher", "teacher_balanced"])
def test_teacher(name):
    X, y = gen(name, n=3000, seed=5)
    X2, y2 = gen(name, n=3000, seed=5)
    assert X.shape == (3000, 16) and np.array_equal(X, X2) and np.array_equal(y, y2)
    _, y_other = gen(name, n=3000, seed=6)
    assert not np.array_equal(y, y_other)
    Xn, yn = gen(name, n=3000, noise=0.5, seed=5)
    assert np.array_equal(Xn, X)  # noise touches labels only
    assert 0.3 < np.mean(yn != y) < 0.5  # replaced with prob 0.5, kept by chance 1/5 of those


def rebuilt_teacher(n, seed):
    """The teacher as a from-scratch script builds it: inputs first, then W1 and W2 (He)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 16))
    W1 = rng.normal(0, np.sqrt(2 / 16), size=(16, 32))
    W2 = rng.normal(0, np.sqrt(2 / 32), size=(32, 5))
    return X, W1, W2


def test_teacher_has_zero_biases():
    X, y = gen("teacher", n=500, seed=1)
    X_, W1, W2 = rebuilt_teacher(500, 1)
    np.testing.assert_array_equal(X, X_)
    np.testing.assert_array_equal(y, (np.maximum(X @ W1, 0) @ W2).argmax(axis=1))


def test_balanced_teacher_centres_its_outputs():
    X, y = gen("teacher_balanced", n=500, seed=1)
    X_, W1, W2 = rebuilt_teacher(500, 1)
    b2 = -(np.linalg.norm(W1, axis=0) / np.sqrt(2 * np.pi)) @ W2  # minus E[relu(X W1)] W2
    np.testing.assert_array_equal(y, (np.maximum(X @ W1, 0) @ W2 + b2).argmax(axis=1))
    largest = [np.bincount(gen(name, n=3000, seed=s)[1], minlength=5).max() / 3000
               for name in ("teacher", "teacher_balanced") for s in range(10)]
    assert np.mean(largest[10:]) < 0.32 < 0.4 < np.mean(largest[:10])  # balanced vs not


@pytest.mark.parametrize("name", ["bumps", "bumps_even"])
def test_bumps_rule(name):
    X, y = gen(name, n=3000)
    x = X[:, 0]
    assert (np.abs(x) <= 20).all()
    want = ((x > -10) & (x < -5)) | ((x > 5) & (x < 10))
    assert np.array_equal(y, want.astype(np.int64))
    _, yn = gen(name, n=3000, noise=0.5)
    assert 0 < np.mean(yn != y) < 0.3


def test_even_bumps_are_evenly_spaced_ends_included():
    X, y = gen("bumps_even", n=100, seed=3)
    assert np.array_equal(X, gen("bumps_even", n=100, seed=4)[0])  # no randomness in x
    np.testing.assert_allclose(np.diff(X[:, 0]), 40 / 99)
    assert (X[0, 0], X[-1, 0]) == (-20.0, 20.0) and y.sum() == 26


def test_steps_rule():
    X, y = gen("steps", n=3000)
    x = X[:, 0]
    assert (np.abs(x) <= 2).all()
    assert np.array_equal(y, np.where(x < -1, 0, np.where(x < 1, 1, 2)))
    _, yn = gen("steps", n=3000, noise=0.5)
    assert 0 < np.mean(yn != y) < 0.3 and (np.abs(yn - y) <= 1).all()


def test_line_and_sine():
    X, y = gen("line", n=4000)
    np.testing.assert_allclose(y, -3 * X[:, 0] + 1)
    _, yn = gen("line", n=4000, noise=0.5)
    assert abs((yn - y).std() - 3.0) < 0.15
    X, y = gen("sine", n=4000)
    assert (np.abs(X) <= 3).all()
    np.testing.assert_allclose(y, np.sin(2 * X[:, 0]))


def test_digits():
    d = make_data("digits", 5000, 0.0, 0.2, 0)
    assert d.n_train + d.n_test == 1797 and d.n_test == round(1797 * 0.2)
    assert d.task == "multiclass" and d.n_classes == 10 and d.box is None
    assert d.X_train.shape == (d.n_train, 64) and d.features == tuple(f"x{i}" for i in range(1, 65))
    assert set(np.unique(np.concatenate([d.y_train, d.y_test]))) == set(range(10))
    assert (d.X_train == np.round(d.X_train)).all() and d.X_train.max() <= 16
    assert np.isfinite(d.transform(d.X_test)).all()  # blank pixels: std 1, no division by 0
    assert d.input_names()[:2] == ("pixel 0", "pixel 1") and len(d.input_names()) == 64
    small = make_data("digits", 100, 0.3, 0.2, 0)
    assert small.n_train + small.n_test == 100
    assert small.X_train.min() >= 0 and small.X_train.max() <= 16
    assert (small.X_train != np.round(small.X_train)).any()  # pixel noise


# --- make_data: splits, standardization, features --------------------------------------------

@pytest.mark.parametrize("n,f", [(500, 0.5), (500, 0.3), (10, 0.05), (7, 0.0), (101, 0.25), (3, 0.3)])
def test_split_sizes(n, f):
    d = make_data("circle", n, 0.0, f, 0)
    assert d.n_test == max(1, round(n * f)) and d.n_train == n - d.n_test
    assert d.X_train.shape == (d.n_train, 2) and d.X_test.shape == (d.n_test, 2)
    assert d.y_train.shape == (d.n_train,) and d.y_test.shape == (d.n_test,)


def test_split_is_shuffled_and_partitions_the_data():
    d = make_data("gauss", 400, 0.0, 0.5, 2)
    X, y = gen("gauss", n=400, seed=2)  # same rng stream, before the shuffle
    both = np.concatenate([d.X_train, d.X_test])
    assert sorted(map(tuple, both)) == sorted(map(tuple, X))
    assert 0.3 < d.y_train.mean() < 0.7  # not the positive block first, as generated


@pytest.mark.parametrize("n,f", [(2, 0.5), (3, 0.5), (100, 1.0), (100, -0.1)])
def test_split_guards(n, f):
    with pytest.raises(ValueError):
        make_data("circle", n, 0.0, f, 0)


@pytest.mark.parametrize("features", [(), ("x3",), ("x1", "x1")])
def test_bad_features(features):
    with pytest.raises(ValueError):
        make_data("circle", 100, 0.0, 0.2, 0, features=features)


def test_unknown_dataset():
    with pytest.raises(ValueError):
        make_data("nope", 100, 0.0, 0.2, 0)


def test_standardization_and_transform():
    feats = ("x1", "x1sq", "x1x2", "sin_x2")
    d = make_data("circle", 600, 0.1, 0.25, 4, features=feats)
    assert d.features == feats and d.n_features == 4 and d.dim == 2
    Z = d.transform(d.X_train)
    assert Z.dtype == np.float32 and Z.shape == (d.n_train, 4)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=0), 1, atol=1e-5)
    x1, x2 = d.X_test.T
    raw = np.stack([x1, x1**2, x1 * x2, np.sin(x2)], axis=1)
    np.testing.assert_allclose(d.transform(d.X_test), (raw - d.mean) / d.std, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(d.mean[1], np.mean(d.X_train[:, 0] ** 2))  # train statistics
    assert d.input_names() == ("x₁", "x₁²", "x₁x₂", "sin(x₂)")
    with pytest.raises(ValueError):
        d.transform(np.zeros((3, 3)))


def test_no_standardization():
    d = make_data("xor", 200, 0.0, 0.2, 0, features=("x2", "x2sq"), standardize=False)
    assert np.array_equal(d.mean, [0, 0]) and np.array_equal(d.std, [1, 1])
    want = np.stack([d.X_test[:, 1], d.X_test[:, 1] ** 2], 1).astype(np.float32)
    np.testing.assert_array_equal(d.transform(d.X_test), want)


@pytest.mark.parametrize("name,dim", [("line", 1), ("bumps", 1), ("teacher", 16), ("random", 20)])
def test_features_ignored_beyond_2d(name, dim):
    d = make_data(name, 200, 0.1, 0.2, 0, features=("x1sq", "sin_x2"))
    assert d.features == tuple(f"x{i}" for i in range(1, dim + 1)) and d.n_features == dim
    Z = d.transform(d.X_train)
    assert Z.shape == (d.n_train, dim)
    np.testing.assert_allclose(Z, (d.X_train - d.mean) / d.std, rtol=1e-5, atol=1e-5)
    assert len(d.input_names()) == dim
    if dim == 1:
        assert d.box == DATASETS[name].box


def test_data_metadata():
    d = make_data("blobs", 300, 0.0, 0.2, 0, n_classes=4)
    assert (d.name, d.task, d.n_classes, d.box) == ("blobs", "multiclass", 4, (-6, 6, -6, 6))
    assert make_data("plane", 300, 0.0, 0.2, 0).n_classes == 1
    assert make_data("moons", 300, 0.0, 0.2, 0).n_classes == 2


# --- grid ------------------------------------------------------------------------------------

def test_grid_2d_layout():
    xs, ys, P = grid((-1.0, 3.0, -2.0, 2.0), 5)
    np.testing.assert_allclose(xs, [-1, 0, 1, 2, 3])
    np.testing.assert_allclose(ys, [-2, -1, 0, 1, 2])
    assert P.shape == (25, 2)
    for i in range(5):
        for j in range(5):
            assert tuple(P[i * 5 + j]) == (xs[j], ys[i])
    img = P[:, 1].reshape(5, 5)  # row i of a heatmap image is y = ys[i]
    assert np.array_equal(img[:, 0], ys)


def test_grid_1d_and_guards():
    xs, ys, P = grid((-2.2, 2.2), 7)
    assert ys is None and P.shape == (7, 1)
    np.testing.assert_allclose(P[:, 0], np.linspace(-2.2, 2.2, 7))
    assert xs[0] == -2.2 and xs[-1] == 2.2
    with pytest.raises(ValueError):
        grid(None, 10)
    with pytest.raises(ValueError):
        grid((0.0, 1.0), 1)
