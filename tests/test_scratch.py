"""The from-scratch NumPy engine: every gradient against finite differences and torch autograd."""

import numpy as np
import pytest
import torch

from playground import Config, load_data
from playground.nn.losses import LOSSES
from playground.nn.model import ACTIVATIONS as TORCH_ACTIVATIONS
from playground.nn.model import build_model
from playground.nn.optim import OPTIMIZERS
from playground.scratch.gradcheck import gradcheck
from playground.scratch.mlp import (
    ACTIVATIONS,
    SCRATCH_LOSSES,
    SCRATCH_OPTIMIZERS,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    build,
    loss_and_grad,
)

LOSS_TASKS = [("cross_entropy", "binary"), ("cross_entropy", "multiclass"), ("bce", "binary"),
              ("mse", "binary"), ("mse", "multiclass"), ("mse", "regression")]
DATASET_OF = {"binary": "moons", "multiclass": "blobs", "regression": "plane"}


def numerical_grad(f, x, eps=1e-6):
    """Central differences of the scalar f() with respect to every entry of x (changed in place)."""
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        saved = x[idx]
        x[idx] = saved + eps
        up = f()
        x[idx] = saved - eps
        down = f()
        x[idx] = saved
        grad[idx] = (up - down) / (2 * eps)
    return grad


def away_from_zero(shape, rng):
    """Normal entries kept at least 0.1 from 0, where ReLU-like functions have their kink."""
    Z = rng.standard_normal(shape)
    return np.where(Z >= 0, Z + 0.1, Z - 0.1)


# ---- Layers ---------------------------------------------------------------------------------

def test_registries_use_the_torch_engine_names():
    assert set(ACTIVATIONS) <= set(TORCH_ACTIVATIONS)
    assert set(SCRATCH_LOSSES) <= set(LOSSES)
    assert set(SCRATCH_OPTIMIZERS) <= set(OPTIMIZERS)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_backward_matches_finite_differences(name):
    rng = np.random.default_rng(0)
    layer, Z, R = ACTIVATIONS[name](), away_from_zero((5, 4), rng), rng.standard_normal((5, 4))

    def loss():  # L = Σ R ⊙ f(Z), so dL/dA = R
        return float(np.sum(R * layer.forward(Z, train=False)))

    layer.forward(Z)
    np.testing.assert_allclose(layer.backward(R), numerical_grad(loss, Z), rtol=1e-7, atol=1e-9)


def test_linear_backward_matches_finite_differences():
    rng = np.random.default_rng(1)
    layer = Linear(3, 4, rng)
    X, R = rng.standard_normal((6, 3)), rng.standard_normal((6, 4))

    def loss():
        return float(np.sum(R * layer.forward(X, train=False)))

    layer.forward(X)
    dX = layer.backward(R)
    for got, wrt in ((dX, X), (layer.dW, layer.W), (layer.db, layer.b)):
        np.testing.assert_allclose(got, numerical_grad(loss, wrt), rtol=1e-7, atol=1e-9)
    layer.first = True
    assert layer.backward(R) is None  # the first layer skips dL/dX


def test_linear_writes_into_external_transposed_arrays():
    # Torch keeps weights as (out, in); the engine sees them as the (in, out) transpose view.
    weight, bias = torch.randn(4, 3, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
    gweight, gbias = torch.zeros(4, 3, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)
    W, dW = weight.numpy().T, gweight.numpy().T
    assert not W.flags.c_contiguous
    layer = Linear(3, 4, W=W, b=bias.numpy(), dW=dW, db=gbias.numpy())
    X = np.random.default_rng(2).standard_normal((5, 3))
    out = layer.forward(X)
    np.testing.assert_allclose(out, (torch.from_numpy(X) @ weight.T + bias).numpy(), rtol=1e-12)
    dZ = np.ones_like(out)
    layer.backward(dZ)
    assert layer.dW is dW and layer.W is W
    np.testing.assert_allclose(gweight.numpy(), dZ.T @ X, rtol=1e-12)  # torch's own layout
    np.testing.assert_allclose(gbias.numpy(), dZ.sum(0), rtol=1e-12)
    before = weight.clone()
    layer.step(0.5)  # SGD moves the torch tensor itself
    np.testing.assert_allclose(weight.numpy(), (before - 0.5 * gweight).numpy(), rtol=1e-15)


def test_sequential_backward_matches_finite_differences_for_every_parameter():
    net = build([3, 5, 4, 2], "tanh", seed=3)
    rng = np.random.default_rng(3)
    X, R = rng.standard_normal((7, 3)), rng.standard_normal((7, 2))

    def loss():
        return float(np.sum(R * net.forward(X, train=False)))

    net.forward(X)
    net.backward(R)
    for value, grad in net.params():
        np.testing.assert_allclose(grad, numerical_grad(loss, value), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(net.grad, numerical_grad(loss, net.theta), rtol=1e-6, atol=1e-9)


def test_eval_forward_keeps_the_training_cache():
    net = build([2, 6, 1], "relu", seed=0)
    X = np.random.default_rng(0).standard_normal((4, 2))
    net.forward(X)
    net.backward(np.ones((4, 1)))
    expected = net.grad.copy()
    net.forward(X)
    net.forward(np.zeros((9, 2)), train=False)  # e.g. drawing the decision boundary
    net.backward(np.ones((4, 1)))
    np.testing.assert_array_equal(net.grad, expected)


def test_float32_stays_float32():
    net = build([2, 8, 8, 3], "leaky_relu", seed=0, dtype=np.float32)
    X = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    out = net.forward(X)
    _, dout = loss_and_grad("cross_entropy", out, np.array([0, 1, 2, 1, 0]), "multiclass")
    net.backward(dout)
    _, dbinary = loss_and_grad("cross_entropy", out[:, :1], np.ones(5), "binary")  # y (n,) float64
    assert dbinary.shape == (5, 1)
    arrays = [out, dout, dbinary, net.theta, net.grad] + [a for pair in net.params() for a in pair]
    assert all(a.dtype == np.float32 for a in arrays)


# ---- Losses ---------------------------------------------------------------------------------

def loss_inputs(task, rng, n=6, k=3):
    """Moderate outputs (no saturation, so "bce" clipping and torch's log clamp agree)."""
    if task == "multiclass":
        return rng.standard_normal((n, k)), rng.integers(0, k, n)
    out = rng.standard_normal((n, 1))
    if task == "binary":
        return out, (rng.random((n, 1)) > 0.5).astype(np.float64)
    return out, rng.standard_normal((n, 1))


@pytest.mark.parametrize("name, task", LOSS_TASKS)
def test_loss_gradient_matches_finite_differences_and_autograd(name, task):
    out, y = loss_inputs(task, np.random.default_rng(4))
    value, grad = loss_and_grad(name, out, y, task)
    assert isinstance(value, float) and grad.shape == out.shape
    numeric = numerical_grad(lambda: loss_and_grad(name, out, y, task)[0], out)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-10)

    leaf = torch.from_numpy(out.copy()).requires_grad_()
    reference = LOSSES[name].value(leaf, torch.from_numpy(y), task)
    reference.backward()
    assert value == pytest.approx(reference.item(), rel=1e-12)
    np.testing.assert_allclose(grad, leaf.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_losses_stay_finite_when_the_output_saturates():
    out, y = np.array([[-800.0], [800.0], [40.0]]), np.array([[1.0], [0.0], [1.0]])
    value, grad = loss_and_grad("cross_entropy", out, y, "binary")  # stable from logits
    assert value == pytest.approx((800 + 800 + np.log1p(np.exp(-40))) / 3)
    np.testing.assert_allclose(grad, [[-1 / 3], [1 / 3], [0.0]], atol=1e-15)
    # "bce" clips p to [1e-7, 1 - 1e-7]: a finite loss of -log(1e-7) per wrong point, but no
    # gradient once p is beyond the clip, even for the points it gets wrong.
    value, grad = loss_and_grad("bce", out, y, "binary")
    assert np.isfinite(value) and value == pytest.approx(2 * -np.log(1e-7) / 3, rel=1e-6)
    np.testing.assert_array_equal(grad, 0.0)
    value, grad = loss_and_grad("cross_entropy", np.array([[1000.0, 0.0, -1000.0]]),
                                np.array([2]), "multiclass")
    assert value == pytest.approx(2000.0) and np.isfinite(grad).all()


def test_unsupported_loss_task_pair_is_refused():
    with pytest.raises(ValueError, match="bce"):
        loss_and_grad("bce", np.zeros((2, 1)), np.zeros((2, 1)), "regression")


# ---- gradcheck: the whole network against torch autograd on real data -----------------------

@pytest.mark.parametrize("hidden", [(5, 4), ()])
@pytest.mark.parametrize("name, task", LOSS_TASKS)
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_gradcheck_against_torch(activation, name, task, hidden):
    config = Config(dataset=DATASET_OF[task], loss=name, activation=activation, hidden=hidden)
    result = gradcheck(config)
    n_linear = len(hidden) + 1
    assert len(result["layers"]) == 2 * n_linear
    assert result["max"] < 1e-6, result


def test_gradcheck_refuses_what_the_engine_lacks():
    with pytest.raises(ValueError, match="gelu"):
        gradcheck(Config(dataset="moons", activation="gelu"))
    with pytest.raises(ValueError, match="hinge"):
        gradcheck(Config(dataset="moons", loss="hinge"))


# ---- Optimizers -----------------------------------------------------------------------------

def torch_optimizer(name, param):
    if name == "adam":
        return torch.optim.Adam([param], lr=1.0)
    return torch.optim.SGD([param], lr=1.0, momentum=0.0 if name == "sgd" else 0.9,
                           nesterov=name == "nesterov")


@pytest.mark.parametrize("name", list(SCRATCH_OPTIMIZERS))
def test_optimizer_matches_torch_step_by_step(name):
    rng = np.random.default_rng(5)
    start = rng.standard_normal(40)
    flat = torch.tensor(start)  # the app hands the engine numpy views of torch's flat tensor
    theta = flat.numpy()
    ours = SCRATCH_OPTIMIZERS[name](theta, momentum=0.9)
    param = torch.nn.Parameter(torch.tensor(start))
    reference = torch_optimizer(name, param)
    for lr in (0.1, 0.05, 0.2, 0.01, 0.1, 0.3, 0.02, 0.1, 0.07, 0.1):
        g = rng.standard_normal(40)
        ours.step(g, lr)
        param.grad = torch.tensor(g)
        reference.param_groups[0]["lr"] = lr
        reference.step()
        np.testing.assert_allclose(flat.numpy(), param.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert ours.theta is theta  # updated in place, never rebound


@pytest.mark.parametrize("name", list(SCRATCH_OPTIMIZERS))
def test_optimizer_reset_forgets_its_state(name):
    g = np.linspace(-1, 1, 5)
    fresh, used = np.zeros(5), np.zeros(5)
    SCRATCH_OPTIMIZERS[name](fresh).step(g, 0.1)
    opt = SCRATCH_OPTIMIZERS[name](used)
    opt.step(-g, 0.1)
    used[:] = 0.0
    opt.reset()
    opt.step(g, 0.1)
    np.testing.assert_allclose(used, fresh, rtol=1e-15)


# ---- state_dict: the same network as playground.nn.model.build_model ---------------------------

@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_state_dict_round_trip_with_the_torch_model(activation):
    model, flat = build_model(3, (6, 5), 2, activation=activation, init="default",
                              batchnorm=False, dropout=0.0, seed=1, dtype=torch.float64)
    net = build([3, 6, 5, 2], activation, seed=9)
    net.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(net.theta, flat.theta.numpy())  # the same flat layout
    X = np.random.default_rng(6).standard_normal((11, 3))
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net.forward(X, train=False), expected, rtol=1e-10, atol=1e-12)

    other = build([3, 6, 5, 2], activation, seed=10)  # and back, strictly
    model.load_state_dict({k: torch.from_numpy(v) for k, v in other.state_dict().items()},
                          strict=True)
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(other.forward(X, train=False), expected, rtol=1e-10, atol=1e-12)


def test_load_state_dict_refuses_a_different_network():
    state = build([2, 3, 1], "relu").state_dict()
    with pytest.raises(KeyError):
        build([2, 3, 3, 1], "relu").load_state_dict(state)
    with pytest.raises(ValueError):
        build([2, 4, 1], "relu").load_state_dict(state)


def test_build_initialises_like_torch_and_by_seed():
    net = build([4, 100, 1], "relu", seed=0)
    W = net.layers[0].W
    assert W.shape == (4, 100) and np.abs(W).max() <= 0.5 and np.abs(W).max() > 0.49
    assert np.array_equal(build([4, 100, 1], "relu", seed=0).theta, net.theta)
    assert not np.array_equal(build([4, 100, 1], "relu", seed=1).theta, net.theta)
    assert [type(layer) for layer in build([2, 3, 3, 1], "relu").layers] == [
        Linear, ReLU, Linear, ReLU, Linear]


# ---- Training -------------------------------------------------------------------------------

def moons():
    data = load_data(Config(dataset="moons", n_samples=1000, noise=0.1, test_fraction=0.2))
    return data.transform(data.X_train).astype(np.float64), data.y_train.astype(np.float64)


def test_the_tutorials_experiment_learns_the_moons():
    # 2 -> 50 ReLU -> 1 sigmoid, BCE, one random example per step, plain SGD (net.step).
    X, y = moons()
    rng = np.random.default_rng(0)
    net = Sequential([Linear(2, 50, rng), ReLU(), Linear(50, 1, rng)])  # the sigmoid is in "bce"
    for j in rng.integers(0, len(X), 10_000):
        out = net.forward(X[j:j + 1])
        _, dout = loss_and_grad("bce", out, y[j:j + 1, None], "binary")
        net.backward(dout)
        net.step(1e-2)
    p = Sigmoid().forward(net.forward(X, train=False))[:, 0]
    assert ((p > 0.5) == (y > 0.5)).mean() > 0.94  # a straight line manages about 0.90


def test_full_batch_gradient_descent_decreases_the_loss_monotonically():
    X, y = moons()
    net = build([2, 8, 8, 1], "tanh", seed=0)
    opt = SCRATCH_OPTIMIZERS["sgd"](net.theta)
    losses = []
    for _ in range(300):
        value, dout = loss_and_grad("cross_entropy", net.forward(X), y[:, None], "binary")
        net.backward(dout)
        opt.step(net.grad, 0.05)
        losses.append(value)
    assert np.all(np.diff(losses) < 0)
    assert losses[-1] < 0.5 * losses[0]
