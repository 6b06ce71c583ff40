"""An MLP from scratch in NumPy: every gradient written out by hand, next to its forward pass.

The plan, as in the tutorial this follows:

1. Layers. Each layer has `forward(X)`, which computes its output and keeps what its backward
   will need, and `backward(dY)`, which turns the gradient of the loss with respect to its
   output, dL/dY, into the gradient with respect to its input, dL/dX (the chain rule, one
   layer at a time), storing on the way the gradients of its own parameters. `step(lr)` then
   moves those parameters a little against their gradients.
2. A `Sequential` runs the layers forwards, then backwards in the reverse order.
3. A loss turns the network output and the targets into one number, and gives the gradient
   that starts the backward pass. The tutorial's binary cross-entropy on a sigmoid output
   is here ("bce"), beside the numerically safer version that works on logits.
4. Optimizers, from plain SGD to Adam, update every parameter at once: `build()` keeps all
   parameters in one flat array, and the layers hold views into it.

Shapes: a batch has n rows. A Linear layer maps (n, in) -> (n, out) with Z = X W + b,
W of shape (in, out) (torch stores the transpose, (out, in), and `state_dict` speaks torch's
layout). `scratch/gradcheck.py` compares every gradient here with torch autograd.

Everything is plain vectorised NumPy: no loop over the points of a batch. For tiny networks
the cost is the number of NumPy calls, not the arithmetic, which is why this engine beats
PyTorch on them.
"""

from __future__ import annotations

import numpy as np

# ---- Layers --------------------------------------------------------------------------------


class Layer:
    """forward(X) -> Y, backward(dL/dY) -> dL/dX, step(lr), params() -> [(value, grad)]."""

    first = False  # set by Sequential: the first layer's dL/dX is never needed

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dY: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return []  # activations have no parameters

    def step(self, lr: float) -> None:
        for value, grad in self.params():
            value -= lr * grad  # in place: the array may be a view shared with someone else


class Linear(Layer):
    """Z = X W + b :  (n, in) @ (in, out) + (out,) -> (n, out)."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator | None = None, *,
                 W=None, b=None, dW=None, db=None, dtype=np.float64):
        if W is None:  # torch's nn.Linear default: W, b ~ U(-1/sqrt(in), 1/sqrt(in))
            rng = np.random.default_rng() if rng is None else rng
            bound = 1.0 / np.sqrt(n_in)
            W = rng.uniform(-bound, bound, (n_in, n_out)).astype(dtype)
            b = rng.uniform(-bound, bound, n_out).astype(dtype) if b is None else b
        # Arrays given by the caller (e.g. views of torch parameters) are used as they are;
        # gradients are always written into dW and db in place, never rebound.
        self.W = W
        self.b = np.zeros(n_out, W.dtype) if b is None else b
        self.dW = np.zeros_like(self.W) if dW is None else dW
        self.db = np.zeros_like(self.b) if db is None else db

    def forward(self, X, train=True):
        if train:
            self.X = X  # (n, in): dL/dW needs it
        return X @ self.W + self.b  # (n, out)

    def backward(self, dZ):
        # Z_ij = Σ_k X_ik W_kj + b_j, so dZ_ij/dW_kj = X_ik and dZ_ij/db_j = 1; sum over the batch:
        np.matmul(self.X.T, dZ, out=self.dW)  # dL/dW = Xᵀ · dL/dZ        (in, out)
        dZ.sum(axis=0, out=self.db)  # dL/db = Σ_rows dL/dZ               (out,)
        if self.first:
            return None  # nothing upstream needs dL/dX
        return dZ @ self.W.T  # dL/dX = dL/dZ · Wᵀ                         (n, in)

    def params(self):
        return [(self.W, self.dW), (self.b, self.db)]


class Activation(Layer):
    """A = f(Z) elementwise, so dL/dZ = dL/dA ⊙ f'(Z), all of shape (n, units).

    Each f' below is written from the cached output A where it can be, as Z is not kept.
    """

    def forward(self, Z, train=True):
        A = self.f(Z)
        if train:
            self.A = A
        return A


class ReLU(Activation):
    def f(self, Z):
        return np.maximum(Z, 0.0)

    def backward(self, dA):
        return dA * (self.A > 0)  # f'(z) = 1 if z > 0 else 0, and z > 0 exactly where a > 0


class LeakyReLU(Activation):
    slope = 0.01

    def f(self, Z):
        return np.where(Z > 0, Z, self.slope * Z)

    def backward(self, dA):
        return np.where(self.A > 0, dA, self.slope * dA)  # f'(z) = 1 if z > 0 else 0.01


class Tanh(Activation):
    def f(self, Z):
        return np.tanh(Z)

    def backward(self, dA):
        return dA * (1.0 - self.A * self.A)  # f'(z) = 1 - tanh(z)² = 1 - a²


def sigmoid(Z: np.ndarray) -> np.ndarray:
    # σ(z) = 1 / (1 + e^-z) = (1 + tanh(z/2)) / 2. The tanh form never overflows, whereas
    # e^-z is inf for z < -709 (the answer, 0, would still be right, but with a warning).
    return 0.5 + 0.5 * np.tanh(0.5 * Z)


class Sigmoid(Activation):
    f = staticmethod(sigmoid)

    def backward(self, dA):
        return dA * self.A * (1.0 - self.A)  # f'(z) = e^-z / (1 + e^-z)² = σ(z)(1 - σ(z))


class Identity(Activation):
    def f(self, Z):
        return Z

    def backward(self, dA):
        return dA  # f'(z) = 1


ACTIVATIONS: dict[str, type[Layer]] = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "tanh": Tanh, "sigmoid": Sigmoid, "identity": Identity,
}

# ---- The network ---------------------------------------------------------------------------


class Sequential:
    """Layers applied in order; the backward pass visits them in reverse."""

    def __init__(self, layers: list[Layer]):
        self.layers = list(layers)
        for i, layer in enumerate(self.layers):
            layer.first = i == 0
        self.theta = self.grad = None  # build() sets these: all parameters in one flat array

    def forward(self, X, train=True):
        for layer in self.layers:
            X = layer.forward(X, train)
        return X

    def backward(self, dout) -> None:
        # dout = dL/d(output) comes from the loss; each layer hands dL/d(its input) to the
        # one before it and keeps the gradients of its own parameters.
        for layer in reversed(self.layers):
            dout = layer.backward(dout)

    def step(self, lr: float) -> None:
        for layer in self.layers:
            layer.step(lr)

    def params(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return [pair for layer in self.layers for pair in layer.params()]

    def linears(self) -> list[tuple[int, Linear]]:
        return [(i, layer) for i, layer in enumerate(self.layers) if isinstance(layer, Linear)]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies in torch's naming and layout: "i.weight" (out, in) and "i.bias" (out,)."""
        state = {}
        for i, layer in self.linears():
            state[f"{i}.weight"] = layer.W.T.copy()
            state[f"{i}.bias"] = layer.b.copy()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Copy weights in from a state dict of numpy arrays or torch tensors (torch's layout)."""
        expected = set(self.state_dict())
        if set(state) != expected:
            raise KeyError(f"state keys {sorted(state)} do not match the network's {sorted(expected)}")
        for i, layer in self.linears():
            W, b = (_numpy(state[f"{i}.{name}"]) for name in ("weight", "bias"))
            if W.shape != layer.W.T.shape or b.shape != layer.b.shape:
                raise ValueError(f"layer {i}: got shapes {W.shape}, {b.shape}")
            layer.W[...] = W.T  # in place: the arrays may be views others hold
            layer.b[...] = b


def _numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)


def build(sizes: list[int], activation: str, *, seed: int = 0, dtype=np.float64) -> Sequential:
    """Linear, activation, Linear, ..., Linear for layer widths `sizes` (no activation at the end).

    All parameters then move into one flat array `net.theta` (gradients into `net.grad`), laid
    out as torch's flat parameters are: each layer's weight (out, in) row by row, then its bias.
    """
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(ACTIVATIONS[activation]())
        layers.append(Linear(n_in, n_out, rng, dtype=dtype))
    net = Sequential(layers)
    total = sum(value.size for value, _ in net.params())
    net.theta, net.grad = np.zeros(total, dtype), np.zeros(total, dtype)
    offset = 0
    for _, layer in net.linears():
        (n_in, n_out), start, offset = layer.W.shape, offset, offset + layer.W.size + layer.b.size
        weights, biases = slice(start, start + n_in * n_out), slice(start + n_in * n_out, offset)
        net.theta[weights] = layer.W.T.ravel()  # torch's (out, in) order
        net.theta[biases] = layer.b
        layer.W, layer.dW = (a[weights].reshape(n_out, n_in).T for a in (net.theta, net.grad))
        layer.b, layer.db = net.theta[biases], net.grad[biases]
    return net


# ---- Losses: the value, and its gradient with respect to the network output ----------------
# out is (n, 1) logits (binary), (n, k) logits (multiclass) or (n, 1) values (regression); y is
# (n, 1) 0/1, (n,) class indices or (n, 1) numbers. Every loss is a mean, so gradients carry 1/n.

EPS = 1e-7  # how far "bce" keeps probabilities from 0 and 1


def _mean(x: np.ndarray) -> float:
    return x.sum() / x.size  # as np.mean(x), which takes four times as long on tiny arrays


def _one_hot(y: np.ndarray, k: int, dtype) -> np.ndarray:
    Y = np.zeros((len(y), k), dtype)
    Y[np.arange(len(y)), y] = 1.0
    return Y  # (n, k)


def _ce_binary(out, y):
    # -[y log σ(z) + (1-y) log(1-σ(z))] = log(1 + e^z) - y z, computed by logaddexp without
    # overflow; its derivative is σ(z) - y.
    value = _mean(np.logaddexp(0.0, out) - y * out)
    return value, (sigmoid(out) - y) / len(out)


def _ce_multiclass(out, y):
    # log softmax(z)_c = z_c - log Σ_j e^(z_j); subtracting max(z) first keeps e^z finite.
    shifted = out - out.max(axis=1, keepdims=True)  # (n, k)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(out)
    value = -_mean(log_p[np.arange(n), y])
    return value, (np.exp(log_p) - _one_hot(y, out.shape[1], out.dtype)) / n  # (p - onehot) / n


def _bce(out, y):
    # The tutorial's way: a sigmoid output unit, then BCE on its probability p. log(0) = -inf
    # (and 1/0 in the gradient) once p rounds to exactly 0 or 1, so p is clipped to
    # [EPS, 1 - EPS] first. The clip changes the gradient near saturation: outside the
    # interval it is flat, so a point the network is confidently wrong about gives no gradient.
    sig = Sigmoid()
    p = sig.forward(out)
    q = np.clip(p, EPS, 1 - EPS)
    value = -_mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    dq = (q - y) / (q * (1 - q)) / len(out)  # d/dq of -[y log q + (1-y) log(1-q)], over n
    dp = dq * ((p > EPS) & (p < 1 - EPS))  # the clip passes gradient only inside
    return value, sig.backward(dp)  # through the sigmoid: dL/dz = dL/dp σ(1-σ)


def _mse(pred, target):
    return _mean((pred - target) ** 2), 2.0 * (pred - target) / pred.size  # dL/dpred


def _mse_binary(out, y):
    sig = Sigmoid()  # compare the probability σ(z) with the 0/1 label
    value, dp = _mse(sig.forward(out), y)
    return value, sig.backward(dp)


def _mse_multiclass(out, y):
    p = np.exp(out - out.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)  # softmax (n, k)
    value, dp = _mse(p, _one_hot(y, out.shape[1], out.dtype))
    # Softmax Jacobian dp_i/dz_j = p_i (δ_ij - p_j), so dL/dz = p ⊙ (dL/dp - Σ_j dL/dp_j p_j).
    return value, p * (dp - (dp * p).sum(axis=1, keepdims=True))


def _square(pred, target):
    # TF Playground's error: half the squared error, so its derivative is (pred - target) / n.
    return 0.5 * _mean((pred - target) ** 2), (pred - target) / pred.size


def _square_binary(out, y):
    o = np.tanh(out)  # a tanh output unit against targets -1/+1
    value, do = _square(o, 2.0 * y - 1.0)
    return value, do * (1.0 - o * o)


_LOSSES = {  # loss -> task -> (out, y) -> (value, dL/dout)
    "cross_entropy": {"binary": _ce_binary, "multiclass": _ce_multiclass},
    "bce": {"binary": _bce},
    "mse": {"regression": _mse, "binary": _mse_binary, "multiclass": _mse_multiclass},
    "square": {"regression": _square, "binary": _square_binary},
}
SCRATCH_LOSSES = tuple(_LOSSES)


def loss_and_grad(name: str, out: np.ndarray, y: np.ndarray, task: str) -> tuple[float, np.ndarray]:
    """The mean loss over the batch, and dL/dout (same shape as out)."""
    fn = _LOSSES.get(name, {}).get(task)
    if fn is None:
        raise ValueError(f"the scratch engine has no loss {name!r} for {task} tasks")
    if task != "multiclass":  # (n, 1) in out's dtype: a (n,) y would broadcast to (n, n)
        y = np.asarray(y, dtype=out.dtype).reshape(out.shape)
    value, grad = fn(out, y)
    return float(value), grad


# ---- Optimizers on one flat parameter array, with torch.optim's exact update rules ---------


class SGD:
    """θ ← θ - lr g"""

    def __init__(self, theta: np.ndarray, momentum: float = 0.0):
        self.theta, self.momentum = theta, momentum
        self.reset()

    def reset(self) -> None:
        pass

    def step(self, grad: np.ndarray, lr: float) -> None:
        self.theta -= lr * grad  # in place: theta may be a view of torch's parameters


class Momentum(SGD):
    """v ← μ v + g (v = g at the first step);  θ ← θ - lr v"""

    def __init__(self, theta: np.ndarray, momentum: float = 0.9):
        super().__init__(theta, momentum)

    def reset(self) -> None:
        self.buf = None

    def _velocity(self, grad):
        if self.buf is None:
            self.buf = grad.copy()
        else:
            self.buf *= self.momentum
            self.buf += grad
        return self.buf

    def step(self, grad, lr):
        self.theta -= lr * self._velocity(grad)


class Nesterov(Momentum):
    """v ← μ v + g;  θ ← θ - lr (g + μ v): the step looks ahead along the velocity."""

    def step(self, grad, lr):
        v = self._velocity(grad)
        self.theta -= lr * (grad + self.momentum * v)


class Adam(SGD):
    """m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;  θ ← θ - lr m̂ / (√v̂ + ε)

    with the bias corrections m̂ = m / (1 - β1^t), v̂ = v / (1 - β2^t) (m and v start at 0).
    """

    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def reset(self) -> None:
        self.m, self.v = np.zeros_like(self.theta), np.zeros_like(self.theta)
        self.tmp = np.empty_like(self.theta)  # scratch space: no allocation per step
        self.t = 0

    def step(self, grad, lr):
        b1, b2, tmp = self.beta1, self.beta2, self.tmp
        self.t += 1
        np.subtract(grad, self.m, out=tmp)  # m ← m + (1-β1)(g - m), torch's lerp
        tmp *= 1 - b1
        self.m += tmp
        np.multiply(grad, grad, out=tmp)  # v ← β2 v + (1-β2) g²
        tmp *= 1 - b2
        self.v *= b2
        self.v += tmp
        np.sqrt(self.v, out=tmp)  # denominator √v / √(1-β2^t) + ε, in torch's order
        tmp /= (1 - b2**self.t) ** 0.5
        tmp += self.eps
        np.divide(self.m, tmp, out=tmp)
        tmp *= -lr / (1 - b1**self.t)
        self.theta += tmp


SCRATCH_OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adam": Adam}
