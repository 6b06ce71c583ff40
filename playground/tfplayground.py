"""TensorFlow Playground's randomness, data and initial weights, exactly as its page draws them.

TF Playground seeds one random stream with the `seed` text of its link (the seedrandom library's
ARC4 generator) and draws from it, in this order: the points of the dataset, their shuffle, and
then every weight of the network. `draw` repeats the first two with TF Playground's own
arithmetic, so the points are its very points in its order; `initial_layers` continues the same
stream into the network's weights. Labels keep TF Playground's values here (+1/-1 for the
classes, the target for regression); `datasets.make_data` turns classes into 1/0.

Pure Python and NumPy, with no playground imports: the exported script copies these functions.
"""

from __future__ import annotations

import math

import numpy as np

# The playground's dataset name -> TF Playground's name for it (state.ts: datasets, regDatasets).
TF_DATASETS = {"circle": "circle", "xor": "xor", "gauss": "gauss", "spiral": "spiral",
               "plane": "reg-plane", "multigauss": "reg-gauss"}
TF_SAMPLES = {"classification": 500, "regression": 1200}  # its page's fixed point counts
HALVES = ("circle", "gauss", "spiral")  # drawn as two halves: an odd count would get one more


class SeedRandom:
    """What `Math.random()` returns after `Math.seedrandom(seed)` (seedrandom 2.4.4, ARC4)."""

    def __init__(self, seed: str):
        key = _mix_key(seed) or [0]  # an empty key counts as [0]
        s, j = list(range(256)), 0
        for i in range(256):  # RC4's key schedule
            j = (j + key[i % len(key)] + s[i]) & 255
            s[i], s[j] = s[j], s[i]
        self._s, self._i, self._j = s, 0, 0
        self._bytes(256)  # RC4-drop[256]: the first 256 output bytes are thrown away

    def _bytes(self, count: int) -> int:
        """The next `count` RC4 output bytes as one big-endian integer."""
        s, i, j, r = self._s, self._i, self._j, 0
        for _ in range(count):
            i = (i + 1) & 255
            t = s[i]
            j = (j + t) & 255
            s[i], s[j] = s[j], t
            r = (r << 8) | s[(s[i] + t) & 255]
        self._i, self._j = i, j
        return r

    def random(self) -> float:
        """The next double in [0, 1): 52 random bits and no rounding, built as seedrandom does.

        The numerator starts with six bytes and takes one more byte at a time until it has 52
        significant bits; the last byte is then shifted right with it until the sum fits in 53
        bits. Its denominator is a power of two, so the division is exact, as in JavaScript.
        """
        n, e, x = self._bytes(6), 48, 0  # value (n + x) / 2**e
        while n < 2**52:
            n, e, x = (n + x) << 8, e + 8, self._bytes(1)
        while n >= 2**53:
            n, e, x = n >> 1, e - 1, x >> 1  # n is still even here: nothing is lost
        return (n + x) / 2**e


def _mix_key(seed: str) -> list[int]:
    """seedrandom's mixkey: the seed's UTF-16 code units folded into at most 256 key bytes; past
    256 units, each one is mixed into the byte it lands on again."""
    raw = seed.encode("utf-16-le")
    key: list[int] = []
    smear = 0
    for j in range(len(raw) // 2):
        unit, i = raw[2 * j] | raw[2 * j + 1] << 8, j & 255
        if i < len(key):
            smear ^= key[i] * 19
            key[i] = (smear + unit) & 255
        else:
            key.append((smear + unit) & 255)
    return key


# ---- TF Playground's arithmetic (dataset.ts and the d3 scales it uses) ----------------------

def _uniform(r: SeedRandom, a: float, b: float) -> float:
    return r.random() * (b - a) + a


def _normal(r: SeedRandom, mean: float, variance: float) -> float:
    # The polar Box-Muller method; TF Playground's second argument is a variance, not a std.
    while True:
        v1, v2 = 2 * r.random() - 1, 2 * r.random() - 1
        s = v1 * v1 + v2 * v2
        if s <= 1:
            return mean + math.sqrt(variance) * (math.sqrt(-2 * math.log(s) / s) * v1)


def _scale(x: float, domain: tuple[float, float], span: tuple[float, float],
           clamp: bool = False) -> float:
    """A d3 (version 3) linear scale: x's place in `domain` carried over to `span`."""
    t = (x - domain[0]) / (domain[1] - domain[0])
    if clamp:
        t = max(0.0, min(1.0, t))
    return span[0] * (1 - t) + span[1] * t


def _dist(x: float, y: float, cx: float, cy: float) -> float:
    dx, dy = x - cx, y - cy
    return math.sqrt(dx * dx + dy * dy)


def _half(n: int) -> range:
    return range(math.ceil(n / 2))  # TF's `for (i = 0; i < n / 2; i++)`


# ---- The six datasets: lists of (x, y, label), in the order TF Playground makes them --------

def _circle(n, noise, r):
    points = []
    for r_lo, r_hi in ((0.0, 5 * 0.5), (5 * 0.7, 5.0)):  # the disc first, then the ring
        for _ in _half(n):
            radius, angle = _uniform(r, r_lo, r_hi), _uniform(r, 0.0, 2 * math.pi)
            x, y = radius * math.sin(angle), radius * math.cos(angle)
            nx, ny = _uniform(r, -5.0, 5.0) * noise, _uniform(r, -5.0, 5.0) * noise
            # The label is read at the jittered point; the point itself stays where it was.
            points.append((x, y, 1 if _dist(x + nx, y + ny, 0.0, 0.0) < 5 * 0.5 else -1))
    return points


def _xor(n, noise, r):
    points = []
    for _ in range(n):
        x = _uniform(r, -5.0, 5.0)
        x += 0.3 if x > 0 else -0.3  # keep 0.3 away from the axes
        y = _uniform(r, -5.0, 5.0)
        y += 0.3 if y > 0 else -0.3
        nx, ny = _uniform(r, -5.0, 5.0) * noise, _uniform(r, -5.0, 5.0) * noise
        points.append((x, y, 1 if (x + nx) * (y + ny) >= 0 else -1))
    return points


def _gauss(n, noise, r):
    variance = _scale(noise, (0.0, 0.5), (0.5, 4.0))
    return [(_normal(r, c, variance), _normal(r, c, variance), label)
            for c, label in ((2.0, 1), (-2.0, -1)) for _ in _half(n)]


def _spiral(n, noise, r):
    points, half = [], n / 2
    for delta, label in ((0.0, 1), (math.pi, -1)):
        for i in range(math.ceil(half)):
            radius, t = i / half * 5, 1.75 * i / half * 2 * math.pi + delta
            x = radius * math.sin(t) + _uniform(r, -1.0, 1.0) * noise
            y = radius * math.cos(t) + _uniform(r, -1.0, 1.0) * noise
            points.append((x, y, label))
    return points


def _jittered(n, noise, r, label):
    """The regression sets: x, y ~ U(-6, 6), the target read at a point jittered by U(-6, 6)."""
    points = []
    for _ in range(n):
        x, y = _uniform(r, -6.0, 6.0), _uniform(r, -6.0, 6.0)
        nx, ny = _uniform(r, -6.0, 6.0) * noise, _uniform(r, -6.0, 6.0) * noise
        points.append((x, y, label(x + nx, y + ny)))
    return points


def _plane(n, noise, r):
    return _jittered(n, noise, r, lambda x, y: _scale(x + y, (-10.0, 10.0), (-1.0, 1.0)))


_BUMPS = ((-4.0, 2.5, 1), (0.0, 2.5, -1), (4.0, 2.5, 1),
          (-4.0, -2.5, -1), (0.0, -2.5, 1), (4.0, -2.5, -1))  # (centre x, centre y, sign)


def _bump_label(x: float, y: float) -> float:
    label = 0.0  # the signed bump that is largest in size here; the first one wins ties
    for cx, cy, sign in _BUMPS:
        value = sign * _scale(_dist(x, y, cx, cy), (0.0, 2.0), (1.0, 0.0), clamp=True)
        if abs(value) > abs(label):
            label = value
    return label


def _multigauss(n, noise, r):
    return _jittered(n, noise, r, _bump_label)


_GENERATORS = {"circle": _circle, "xor": _xor, "gauss": _gauss, "spiral": _spiral,
               "plane": _plane, "multigauss": _multigauss}


def _shuffle(items: list, r: SeedRandom) -> None:
    """TF Playground's in-place Fisher-Yates shuffle, from the last item down."""
    counter = len(items)
    while counter > 0:
        index = math.floor(r.random() * counter)
        counter -= 1
        items[counter], items[index] = items[index], items[counter]


# ---- What the library calls ------------------------------------------------------------------

def draw(name: str, n: int, noise: float, seed: str) -> tuple[np.ndarray, np.ndarray, SeedRandom]:
    """TF Playground's `n` points of dataset `name` (a playground name, a key of TF_DATASETS)
    with noise 0-0.5 (its link's noise / 100), shuffled as it shuffles them before splitting.

    Returns xy (n, 2) float64 and labels (n,) float64 (+1/-1, or the regression target), in TF
    Playground's order, and the stream where TF Playground goes on to draw the weights.
    """
    if name not in _GENERATORS:
        raise ValueError(f"TF Playground has no dataset {name!r}; it has {', '.join(TF_DATASETS)}")
    if name in HALVES and n % 2:
        raise ValueError(f"TF Playground draws {name} in two equal halves; {n} points is odd")
    stream = SeedRandom(seed)
    points = _GENERATORS[name](int(n), float(noise), stream)
    _shuffle(points, stream)
    table = np.array(points, dtype=np.float64).reshape(-1, 3)
    return table[:, :2].copy(), table[:, 2].copy(), stream


def draw_layers(stream: SeedRandom, sizes: list[int], init_zero: bool = False
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The network TF Playground builds (nn.ts buildNetwork) for layer sizes `sizes` (inputs
    first), drawing from `stream`: every weight is U(-0.5, 0.5), taken node by node and, within
    a node, link by link from the previous layer's nodes in order; every bias is 0.1. With
    `init_zero` all are 0, yet each weight is still drawn, as TF Playground does.

    Returns one (W, b) per layer as a torch Linear holds them: W (out, in), b (out,).
    """
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = np.array([[stream.random() - 0.5 for _ in range(fan_in)] for _ in range(fan_out)],
                     dtype=np.float64).reshape(fan_out, fan_in)
        b = np.full(fan_out, 0.1)
        layers.append((np.zeros_like(W), np.zeros_like(b)) if init_zero else (W, b))
    return layers


def initial_layers(name: str, n: int, noise: float, seed: str, sizes: list[int],
                   init_zero: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
    """TF Playground's initial network for this data and seed: what its page starts from."""
    return draw_layers(draw(name, n, noise, seed)[2], sizes, init_zero)


def flat(layers: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Layers as one (P,) vector in the playground's parameter order: each layer's W, then b."""
    return np.concatenate([part.ravel() for W, b in layers for part in (W, b)])
