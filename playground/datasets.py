"""Toy datasets: pure generators, the DATASETS registry, feature maps and train/test splits.

Every generator is `make(n, noise, rng, n_classes) -> (X, y)`: X (n, dim) float64, y (n,) int64
class labels or float64 regression targets. Randomness comes only from the `rng` argument, so
`make_data` is a pure function of its arguments. TF Playground's six datasets follow its
`dataset.ts` (labels +1/-1 there become 1/0 here); the rest are ours.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import tfplayground

TASKS = ("binary", "multiclass", "regression")
_BOX6 = (-6.0, 6.0, -6.0, 6.0)


def _labels(positive: np.ndarray) -> np.ndarray:
    return positive.astype(np.int64)


# --- TF Playground's six (dataset.ts) ---------------------------------------------------------

def _circle(n, noise, rng, k):
    # Half inside radius 2.5, half in the ring 3.5..5; the label is read at a jittered point, so
    # noise flips labels near the boundary while the stored point stays noise-free.
    n_in = n - n // 2
    r = np.concatenate([rng.uniform(0.0, 2.5, n_in), rng.uniform(3.5, 5.0, n // 2)])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)  # (n, 2)
    jitter = rng.uniform(-5.0, 5.0, size=(n, 2)) * noise
    return X, _labels(np.linalg.norm(X + jitter, axis=1) < 2.5)


def _xor(n, noise, rng, k):
    X = rng.uniform(-5.0, 5.0, size=(n, 2))
    X = X + np.where(X > 0, 0.3, -0.3)  # keep every point 0.3 away from the axes (TF padding)
    Xj = X + rng.uniform(-5.0, 5.0, size=(n, 2)) * noise  # where the label is read
    return X, _labels(Xj[:, 0] * Xj[:, 1] >= 0)


def _gauss(n, noise, rng, k):
    # TF's normalRandom takes a variance, not a std: variance 0.5 at noise 0, 4 at noise 0.5.
    std = np.sqrt(0.5 + 7.0 * noise)
    pos = np.arange(n) < n - n // 2
    centre = np.where(pos, 2.0, -2.0)[:, None]  # (n, 1): (2, 2) or (-2, -2)
    return centre + rng.normal(0.0, std, size=(n, 2)), _labels(pos)


def _arms(n, noise, rng, offsets):
    # Interleaved spiral arms: arm j has m_j points at r = 5 i/m_j, t = 3.5 pi i/m_j + offset_j.
    k = len(offsets)
    arm = np.arange(n) % k
    i = np.arange(n) // k
    m = np.bincount(arm, minlength=k)[arm]  # (n,) size of each point's arm
    r = 5.0 * i / m
    t = 1.75 * (i / m) * 2 * np.pi + np.asarray(offsets)[arm]
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return X + rng.uniform(-1.0, 1.0, size=(n, 2)) * noise, arm


def _spiral(n, noise, rng, k):
    X, arm = _arms(n, noise, rng, [0.0, np.pi])
    return X, _labels(arm == 0)  # the arm with delta = 0 is TF's positive one


def _jittered_uniform(n, noise, rng):
    # TF's regression sets: x, y ~ U(-6, 6), the target is read at a point jittered by U(-6, 6)*noise.
    X = rng.uniform(-6.0, 6.0, size=(n, 2))
    return X, X + rng.uniform(-6.0, 6.0, size=(n, 2)) * noise


def _plane(n, noise, rng, k):
    X, Xj = _jittered_uniform(n, noise, rng)
    return X, (Xj[:, 0] + Xj[:, 1]) / 10.0  # TF's linear scale [-10, 10] -> [-1, 1]


_GAUSSIANS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                       [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=np.float64)


def _multigauss(n, noise, rng, k):
    X, Xj = _jittered_uniform(n, noise, rng)
    d = np.linalg.norm(Xj[:, None, :] - _GAUSSIANS[None, :, :2], axis=2)  # (n, 6)
    f = np.clip(1.0 - d / 2.0, 0.0, 1.0) * _GAUSSIANS[:, 2]  # signed bump of each centre
    best = np.argmax(np.abs(f), axis=1)  # TF keeps the first centre with the largest |f|
    return X, f[np.arange(n), best] + 0.0  # + 0.0 turns -0.0 into 0.0


# --- Our 2-D datasets -------------------------------------------------------------------------

def _moons(n, noise, rng, k):
    # scikit-learn's make_moons construction, with random angles instead of a linspace.
    t = rng.uniform(0.0, np.pi, size=n)
    outer = np.arange(n) < n // 2  # the outer moon is class 0, as in scikit-learn
    x = np.where(outer, np.cos(t), 1.0 - np.cos(t))
    y = np.where(outer, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([x, y], axis=1) + rng.normal(0.0, noise, size=(n, 2))
    return X, _labels(~outer)


def _blobs(n, noise, rng, k):
    _check_k(k)
    label = np.arange(n) % k
    angle = 2 * np.pi * label / k
    centres = 4.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2) on a circle
    return centres + rng.normal(0.0, 0.5 + 3.0 * noise, size=(n, 2)), label.astype(np.int64)


def _spirals(n, noise, rng, k):
    _check_k(k)
    X, arm = _arms(n, noise, rng, 2 * np.pi * np.arange(k) / k)
    return X, arm.astype(np.int64)


def _checkerboard(n, noise, rng, k):
    # 4x4 squares of side 3 on [-6, 6]^2; the label is read at a point jittered by up to one
    # square side times noise (TF-style positional noise: it flips labels near the edges).
    X = rng.uniform(-6.0, 6.0, size=(n, 2))
    cell = np.floor((X + rng.uniform(-3.0, 3.0, size=(n, 2)) * noise) / 3.0)
    return X, _labels(cell.sum(axis=1) % 2 == 0)


# --- Higher-dimensional and 1-D datasets ------------------------------------------------------

def _random(n, noise, rng, k):
    X = rng.normal(size=(n, 20))
    return X, rng.integers(0, 2, size=n).astype(np.int64)  # independent of X: nothing to learn


def _teacher_net(n, rng, centred):
    """Gaussian inputs (n, 16) labelled by a random ReLU net 16 -> 32 -> 5 with He-scaled weights
    and zero biases, drawn after the inputs from the same rng (so the teacher changes with the
    seed). ReLU outputs have a positive mean, so with zero biases some classes are rare; the
    `centred` variant's output bias subtracts that mean exactly (E relu(z) = |w| / sqrt(2 pi)
    for z ~ N(0, |w|^2)), which keeps every class common."""
    X = rng.normal(size=(n, 16))
    W1 = rng.normal(0.0, np.sqrt(2.0 / 16), size=(16, 32))
    W2 = rng.normal(0.0, np.sqrt(2.0 / 32), size=(32, 5))
    b2 = -(np.linalg.norm(W1, axis=0) / np.sqrt(2 * np.pi)) @ W2 if centred else np.zeros(5)
    return X, np.argmax(np.maximum(X @ W1, 0.0) @ W2 + b2, axis=1)  # (n, 16), (n,)


def _relabel(y, noise, rng, k):
    flip = rng.random(len(y)) < noise  # that share of labels becomes a random class
    return np.where(flip, rng.integers(0, k, size=len(y)), y).astype(np.int64)


def _teacher(n, noise, rng, k):
    X, y = _teacher_net(n, rng, centred=False)
    return X, _relabel(y, noise, rng, 5)


def _teacher_balanced(n, noise, rng, k):
    X, y = _teacher_net(n, rng, centred=True)
    return X, _relabel(y, noise, rng, 5)


def _bump_labels(x, noise, rng):
    a = np.abs(x + rng.uniform(-5.0, 5.0, size=len(x)) * noise)  # read at a jittered point
    return _labels((a > 5.0) & (a < 10.0))


def _bumps(n, noise, rng, k):
    x = rng.uniform(-20.0, 20.0, size=n)
    return x[:, None], _bump_labels(x, noise, rng)


def _bumps_even(n, noise, rng, k):
    x = np.linspace(-20.0, 20.0, n)  # evenly spaced, ends included
    return x[:, None], _bump_labels(x, noise, rng)


def _steps(n, noise, rng, k):
    x = rng.uniform(-2.0, 2.0, size=n)
    xj = x + rng.uniform(-1.0, 1.0, size=n) * noise
    return x[:, None], ((xj >= -1.0).astype(np.int64) + (xj >= 1.0))


def _line(n, noise, rng, k):
    x = rng.uniform(-3.0, 3.0, size=n)
    return x[:, None], -3.0 * x + 1.0 + rng.normal(size=n) * 6.0 * noise


def _sine(n, noise, rng, k):
    x = rng.uniform(-3.0, 3.0, size=n)
    return x[:, None], np.sin(2.0 * x) + rng.normal(size=n) * 2.0 * noise


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # lazy: importing scikit-learn costs ~1 s

    bunch = load_digits()
    return bunch.data.astype(np.float64), bunch.target.astype(np.int64)  # (1797, 64), (1797,)


def _digits(n, noise, rng, k):
    images, target = _digits_arrays()
    if n > len(target):
        raise ValueError(f"digits has only {len(target)} samples, asked for {n}")
    idx = rng.choice(len(target), size=n, replace=False)
    X = images[idx]  # fancy indexing copies, so the cache is never touched
    if noise > 0:
        X = np.clip(X + rng.normal(0.0, 16.0 * noise, size=X.shape), 0.0, 16.0)
    return X, target[idx].copy()


def _check_k(k: int) -> None:
    if int(k) != k or k < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {k!r}")


# --- Registry ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DatasetSpec:
    name: str
    make: Callable[[int, float, np.random.Generator, int], tuple[np.ndarray, np.ndarray]]
    task: str
    dim: int
    box: tuple[float, ...] | None
    title: str
    help: str
    max_samples: int | None = None
    uses_n_classes: bool = False
    noise_help: str = "ignored"
    class_names: tuple[str, ...] = ()  # the data's own class labels (an uploaded file's)
    column_names: tuple[str, ...] = ()  # the raw inputs' own names (an uploaded file's)


_FLIPS, _JIT, _TARGETS = "flips labels near the boundary", "jitters the points", "adds noise to the targets"
_RELABEL = "replaces that share of labels with random classes"
_SPECS = [  # (name, make, task, dim, box, title, help, **extras); this order is the UI's
    DatasetSpec("circle", _circle, "binary", 2, _BOX6, "Circle", "A disc inside a ring: no straight line separates them, but x₁² + x₂² does.", noise_help=_FLIPS),
    DatasetSpec("xor", _xor, "binary", 2, _BOX6, "Exclusive or", "Opposite quadrants share a class: one line cannot do it, x₁x₂ or a hidden layer can.", noise_help=_FLIPS),
    DatasetSpec("gauss", _gauss, "binary", 2, _BOX6, "Gaussian", "Two Gaussian clouds that one straight line separates: the easiest set.", noise_help="widens the clouds until they overlap"),
    DatasetSpec("spiral", _spiral, "binary", 2, _BOX6, "Spiral", "Two interleaved spiral arms: the hardest classic, it needs depth or sin features.", noise_help=_JIT),
    DatasetSpec("plane", _plane, "regression", 2, _BOX6, "Plane", "The target rises linearly along the diagonal: a single linear unit fits it.", noise_help=_TARGETS),
    DatasetSpec("multigauss", _multigauss, "regression", 2, _BOX6, "Multi-Gaussian", "Six signed bumps on a flat floor: the net has to carve out each bump.", noise_help=_TARGETS),
    DatasetSpec("moons", _moons, "binary", 2, (-2.0, 3.0, -2.25, 2.75), "Two moons", "Two interlocking half circles: curved but smooth, a small hidden layer suffices.", noise_help=_JIT),
    DatasetSpec("blobs", _blobs, "multiclass", 2, _BOX6, "Blobs", "Gaussian blobs on a circle, one per class: separable wedges, a first softmax task.", uses_n_classes=True, noise_help="widens the blobs until they overlap"),
    DatasetSpec("spirals", _spirals, "multiclass", 2, _BOX6, "Spirals", "One spiral arm per class: more classes pack the arms tighter and make it much harder.", uses_n_classes=True, noise_help=_JIT),
    DatasetSpec("checkerboard", _checkerboard, "binary", 2, _BOX6, "Checkerboard", "A 4×4 checkerboard: many sharp corners, so it needs many units (or sin features).", noise_help=_FLIPS),
    DatasetSpec("random", _random, "binary", 20, None, "Random labels", "20-D noise with coin-flip labels: a big net memorises the train set, yet test accuracy stays at chance."),
    DatasetSpec("teacher", _teacher, "multiclass", 16, None, "Teacher network", "16-D Gaussian inputs labelled by a hidden random ReLU net 16 → 32 → 5 with zero biases: some classes are much rarer than others.", noise_help=_RELABEL),
    DatasetSpec("teacher_balanced", _teacher_balanced, "multiclass", 16, None, "Teacher network, balanced classes", "The teacher network with an output bias that centres its outputs, so all 5 classes are about equally common.", noise_help=_RELABEL),
    DatasetSpec("bumps", _bumps, "binary", 1, (-22.0, 22.0), "Bumps", "1-D, x drawn uniformly in [-20, 20]: two intervals are class 1; each needs two 'edges', so about four units.", noise_help=_FLIPS),
    DatasetSpec("bumps_even", _bumps_even, "binary", 1, (-22.0, 22.0), "Bumps, evenly spaced", "The bumps on evenly spaced x from -20 to 20 (100 points is the classic course exercise).", noise_help=_FLIPS),
    DatasetSpec("steps", _steps, "multiclass", 1, (-2.2, 2.2), "Steps", "1-D: three classes in a row, a first look at softmax with two thresholds.", noise_help=_FLIPS),
    DatasetSpec("line", _line, "regression", 1, (-3.3, 3.3), "Line", "1-D: y = -3x + 1 plus noise; a model with no hidden layer is exactly right.", noise_help=_TARGETS),
    DatasetSpec("sine", _sine, "regression", 1, (-3.3, 3.3), "Sine", "1-D: y = sin(2x); ReLU nets fit it with line segments, tanh nets with smooth curves.", noise_help=_TARGETS),
    DatasetSpec("digits", _digits, "multiclass", 64, None, "Digits (8×8)", "Real handwritten digits, 8×8 pixels (64 inputs), 10 classes: small, but real data.", max_samples=1797, noise_help="adds pixel noise"),
]
UPLOAD_PREFIX = "csv-"  # names of uploaded files' datasets (playground/userdata.py adds them)


class Registry(dict):
    """The built-in datasets, and uploaded ones held weakly in `uploads`: an upload can be
    looked up (`DATASETS[name]`, `name in DATASETS`, `.get`) while anything holds its spec (a
    page session, a Run, a sweep result) and goes when nothing does, so a hosted app's registry
    stays bounded by what its sessions use. Iterating lists the built-ins only."""

    def __init__(self, specs: list[DatasetSpec]):
        super().__init__((s.name, s) for s in specs)
        self.uploads: weakref.WeakValueDictionary[str, DatasetSpec] = (
            weakref.WeakValueDictionary())

    def __missing__(self, name: str) -> DatasetSpec:
        return self.uploads[name]  # KeyError when it is not (or no longer) there

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self.uploads

    def get(self, name: str, default=None):
        return self[name] if name in self else default


DATASETS = Registry(_SPECS)
_FIXED_CLASSES = {"teacher": 5, "teacher_balanced": 5, "steps": 3, "digits": 10}


def n_classes_of(name: str, n_classes: int) -> int:
    """Output classes of a dataset: 2 binary, k multiclass, 1 regression (one output unit)."""
    spec = DATASETS[name]
    if spec.task == "binary":
        return 2
    if spec.task == "regression":
        return 1
    if spec.uses_n_classes:
        return int(n_classes)
    return len(spec.class_names) or _FIXED_CLASSES[name]


# --- Feature maps -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    fn: Callable[[np.ndarray], np.ndarray]  # (n, 2) -> (n,)


FEATURES: dict[str, Feature] = {f.key: f for f in [
    Feature("x1", "x₁", lambda X: X[:, 0]),
    Feature("x2", "x₂", lambda X: X[:, 1]),
    Feature("x1sq", "x₁²", lambda X: X[:, 0] ** 2),
    Feature("x2sq", "x₂²", lambda X: X[:, 1] ** 2),
    Feature("x1x2", "x₁x₂", lambda X: X[:, 0] * X[:, 1]),
    Feature("sin_x1", "sin(x₁)", lambda X: np.sin(X[:, 0])),
    Feature("sin_x2", "sin(x₂)", lambda X: np.sin(X[:, 1])),
]}
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _apply_features(X: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """Raw (n, dim) -> (n, n_features) float64; the feature map exists only for 2-D data."""
    if X.shape[1] != 2:
        return np.asarray(X, dtype=np.float64)
    return np.stack([FEATURES[f].fn(X) for f in features], axis=1).astype(np.float64)


@dataclass(frozen=True, eq=False)
class Data:
    name: str
    task: str
    n_classes: int
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    features: tuple[str, ...]
    mean: np.ndarray
    std: np.ndarray
    box: tuple[float, ...] | None
    class_names: tuple[str, ...] = ()  # the labels of classes 0, 1, ... when the data has them
    column_names: tuple[str, ...] = ()  # the raw inputs' names when the data has them

    @property
    def dim(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_features(self) -> int:
        return len(self.features)

    @property
    def n_train(self) -> int:
        return len(self.y_train)

    @property
    def n_test(self) -> int:
        return len(self.y_test)

    def transform(self, X: np.ndarray, dtype: type = np.float32) -> np.ndarray:
        """Raw inputs (n, dim) -> model inputs (n, n_features), standardized: computed in
        float64, then given in `dtype` (float32, or float64 for a run in float64)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise ValueError(f"expected raw inputs of shape (n, {self.dim}), got {X.shape}")
        return ((_apply_features(X, self.features) - self.mean) / self.std).astype(dtype)

    def input_names(self) -> tuple[str, ...]:
        """Display labels of the model inputs, in column order."""
        plain = self.features == tuple(f"x{i + 1}" for i in range(self.dim))
        if self.column_names and plain:  # an uploaded file's own column names
            return self.column_names
        if self.dim == 2:
            return tuple(FEATURES[f].label for f in self.features)
        if self.name == "digits":  # pixels in row-major order of the 8x8 image
            return tuple(f"pixel {i}" for i in range(self.dim))
        if self.dim == 1:
            return ("x",)
        return tuple(f"x{i + 1}".translate(_SUB) for i in range(self.dim))


def _check_features(features: tuple[str, ...]) -> tuple[str, ...]:
    features = tuple(features)
    unknown = [f for f in features if f not in FEATURES]
    if not features or unknown or len(set(features)) != len(features):
        raise ValueError(f"features must be distinct keys of {list(FEATURES)}, got {features}")
    return features


def _points(spec: DatasetSpec, n: int, noise: float, seed: int, n_classes: int
            ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X, y = spec.make(n, float(noise), rng, n_classes)
    order = rng.permutation(n)  # TF Playground: shuffle, then the first share trains
    return X[order], y[order]


def _tf_points(name: str, n: int, noise: float, tf_seed: str) -> tuple[np.ndarray, np.ndarray]:
    X, labels, _ = tfplayground.draw(name, n, noise, tf_seed)  # shuffled as TF Playground does
    return X, (labels > 0).astype(np.int64) if DATASETS[name].task == "binary" else labels


def make_data(name: str, n_samples: int, noise: float, test_fraction: float, seed: int, *,
              n_classes: int = 3, features: tuple[str, ...] = ("x1", "x2"),
              standardize: bool = True, tf_seed: str = "") -> Data:
    """Generate, shuffle and split a dataset; a pure function of its arguments. With `tf_seed`
    (TF Playground's own seed text) one of its six datasets has its very points in its order,
    and `seed` is not used."""
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from {list(DATASETS)}")
    spec = DATASETS[name]
    features = _check_features(features)
    if spec.dim != 2:
        features = tuple(f"x{i + 1}" for i in range(spec.dim))  # feature map only for 2-D data
    n = int(n_samples) if spec.max_samples is None else min(int(n_samples), spec.max_samples)
    if not 0.0 <= test_fraction < 1.0 or noise < 0:
        raise ValueError(f"need 0 <= test_fraction < 1 and noise >= 0, got {test_fraction}, {noise}")
    n_test = max(1, round(n * test_fraction))
    if n - n_test < 2:
        raise ValueError(f"{n} samples with test fraction {test_fraction} leave < 2 to train on")
    X, y = _tf_points(name, n, noise, tf_seed) if tf_seed else _points(spec, n, noise, seed,
                                                                         n_classes)
    n_train = n - n_test
    F = _apply_features(X[:n_train], features)  # (n_train, n_features)
    mean = F.mean(axis=0) if standardize else np.zeros(F.shape[1])
    std = F.std(axis=0) if standardize else np.ones(F.shape[1])
    std = np.where(std > 1e-12, std, 1.0)  # constant features (e.g. blank digit pixels)
    return Data(name, spec.task, n_classes_of(name, n_classes), X[:n_train], y[:n_train],
                X[n_train:], y[n_train:], features, mean, std, spec.box, spec.class_names,
                spec.column_names)


def grid(box: tuple[float, ...], resolution: int) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Evaluation grid over a plotting box, for heatmaps and 1-D curves.

    2-D box: xs (r,), ys (r,), points (r*r, 2) with points[i*r + j] = (xs[j], ys[i]), i.e. row i
    of a heatmap image is y = ys[i]. 1-D box: xs (r,), None, points (r, 1).
    """
    if box is None or len(box) not in (2, 4) or int(resolution) < 2:
        raise ValueError(f"need a 1-D or 2-D box and resolution >= 2, got {box}, {resolution}")
    r = int(resolution)
    xs = np.linspace(box[0], box[1], r)
    if len(box) == 2:
        return xs, None, xs[:, None]
    ys = np.linspace(box[2], box[3], r)
    gx, gy = np.meshgrid(xs, ys)  # (r, r) each, gx[i, j] = xs[j], gy[i, j] = ys[i]
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)
