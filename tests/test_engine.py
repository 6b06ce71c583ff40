"""The hand-written passes (nn/passes.py) against autograd on the same nn.Sequential, for one
model and for a stack of K."""

import pytest
import torch
from torch import nn

from playground.nn.losses import LOSSES, loss_grad, resolve_loss
from playground.nn.model import ACTIVATIONS, build_model, count_parameters
from playground.nn.passes import DropoutOp, Network


def _net(activation="relu", hidden=(5, 4), n_in=3, n_out=1, batchnorm=False, dropout=0.0,
         init="default", seed=0):
    model, flat = build_model(n_in, hidden, n_out, activation=activation, init=init,
                              batchnorm=batchnorm, dropout=dropout, seed=seed)
    return model, flat, Network.of(model, flat, activation, torch.Generator().manual_seed(seed))


def _autograd_reference(model, caches, ops, x, dout):
    """Forward with autograd through the module (dropout replaced by the engine's own masks)."""
    model.zero_grad(set_to_none=True)
    h = x
    for module, op, cache in zip(model, ops, caches, strict=True):
        h = h * cache if isinstance(op, DropoutOp) else module(h)
    h.backward(dout)
    return {name: p.grad for name, p in model.named_parameters()}, h


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("batchnorm, dropout", [(False, 0.0), (True, 0.0), (False, 0.3),
                                                (True, 0.5)])
def test_gradients_match_autograd(activation, batchnorm, dropout):
    model, flat, net = _net(activation, batchnorm=batchnorm, dropout=dropout, n_out=3)
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(1))
    dout = torch.randn(16, 3, generator=torch.Generator().manual_seed(2))
    running = [b.clone() for b in model.buffers()]
    out, caches = net.forward(x)
    net.backward(dout, caches)
    for buf, saved in zip(model.buffers(), running, strict=True):  # reference updates them again
        buf.copy_(saved)
    grads, ref_out = _autograd_reference(model, caches, net.ops, x, dout)
    torch.testing.assert_close(out, ref_out.detach(), rtol=1e-6, atol=1e-6)
    for name, (_, g) in flat.views.items():
        torch.testing.assert_close(g, grads[name], rtol=1e-5, atol=1e-6, msg=name)


def test_gradients_match_finite_differences_in_float64():
    model, flat = build_model(2, (4,), 1, activation="tanh", init="default", batchnorm=False,
                              dropout=0.0, seed=0, dtype=torch.float64)
    net = Network.of(model, flat, "tanh", torch.Generator())
    x = torch.randn(6, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    y = torch.rand(6, 1, dtype=torch.float64, generator=torch.Generator().manual_seed(4)).round()
    loss = LOSSES["cross_entropy"]

    def value():
        return loss.value(net.forward(x)[0], y, "binary").item()

    out, caches = net.forward(x)
    net.backward(loss_grad(loss, out, y, "binary"), caches)
    eps = 1e-6
    for i in range(flat.theta.numel()):
        saved = flat.theta[i].item()
        flat.theta[i] = saved + eps
        up = value()
        flat.theta[i] = saved - eps
        down = value()
        flat.theta[i] = saved
        assert abs((up - down) / (2 * eps) - flat.grad[i].item()) < 1e-8


def test_parameters_are_views_of_theta():
    model, flat, _ = _net(hidden=(8, 8), batchnorm=True)
    assert flat.theta.numel() == count_parameters([3, 8, 8, 1], batchnorm=True)
    flat.theta.fill_(0.25)
    assert all(torch.all(p == 0.25) for p in model.parameters())
    assert int(flat.weight_mask.sum()) == 3 * 8 + 8 * 8 + 8 * 1  # Linear weights only


def test_same_seed_same_init_and_inits_differ():
    a = _net(seed=3)[1].theta
    assert torch.equal(a, _net(seed=3)[1].theta)
    assert not torch.equal(a, _net(seed=4)[1].theta)
    kaiming = _net(init="kaiming", hidden=(256,), n_in=256)[0]
    w = kaiming[0].weight
    assert abs(w.std().item() - (2 / 256) ** 0.5) < 0.01  # He: std sqrt(2 / fan_in) for ReLU
    assert torch.all(kaiming[0].bias == 0)
    default = _net(hidden=(256,), n_in=100)[0][0].weight
    assert default.abs().max() <= 0.1 and default.abs().max() > 0.09  # U(±1/sqrt(100))
    normal = _net(init="normal", hidden=(256,), n_in=256)[1].theta  # weights and biases alike
    assert abs(normal.mean().item()) < 0.01 and abs(normal.std().item() - 1.0) < 0.01
    assert abs(_net(init="normal", hidden=(256,), n_in=256)[0][0].bias.std().item() - 1) < 0.15


def test_no_hidden_layer_is_a_single_linear_map():
    model, flat, net = _net(hidden=(), n_in=2, n_out=1)
    assert [type(m) for m in model] == [nn.Linear]
    assert flat.theta.numel() == 3


@pytest.mark.parametrize("batchnorm, dropout", [(False, 0.0), (True, 0.0), (False, 0.3)])
def test_infer_is_the_module_in_eval_mode(batchnorm, dropout):
    model, flat, net = _net("gelu", batchnorm=batchnorm, dropout=dropout, n_out=3)
    x = torch.randn(16, 3, generator=torch.Generator().manual_seed(1))
    net.forward(x)  # a training pass moves batch norm's running statistics off their start
    hidden = []
    with torch.no_grad():
        out = net.infer(x, hidden)
        torch.testing.assert_close(out, model.eval()(x), rtol=0, atol=0)
        torch.testing.assert_close(hidden[-1], model[:-1](x), rtol=0, atol=0)
    assert len(hidden) == 2


@pytest.mark.parametrize("activation", ["relu", "tanh", "silu"])
@pytest.mark.parametrize("task, n_out", [("binary", 1), ("multiclass", 4), ("regression", 1)])
def test_a_stack_of_models_computes_each_models_own_gradient(activation, task, n_out):
    """K models with a leading model axis (weights (K, out, in), batches (K, B, in)) get each
    model's own gradient, loss gradient included."""
    K, g = 3, torch.Generator().manual_seed(5)
    built = [_net(activation, n_out=n_out, seed=s)[1:] for s in range(K)]
    theta = torch.stack([flat.theta for flat, _ in built])
    grad = torch.zeros_like(theta)
    flat0 = built[0][0]
    stack = Network(_net(activation, n_out=n_out)[0], activation, flat0.views_of(theta),
                    flat0.views_of(grad))
    x = torch.randn(K, 16, 3, generator=g)
    y = (torch.randint(0, n_out, (K, 16), generator=g) if task == "multiclass" else
         torch.randint(0, 2, (K, 16, 1), generator=g).float())
    loss = resolve_loss("auto", task)
    stack.gradient(x, y, loss, task)
    for k, (flat, net) in enumerate(built):
        net.gradient(x[k], y[k], loss, task)
        torch.testing.assert_close(grad[k], flat.grad, rtol=1e-5, atol=1e-6)
    with torch.no_grad():  # shared inputs (N, in) give (K, N, n_out)
        out = stack.infer(x[0])
        for k, (_, net) in enumerate(built):
            torch.testing.assert_close(out[k], net.infer(x[0]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("task, n_out", [("binary", 1), ("multiclass", 4), ("regression", 1)])
@pytest.mark.parametrize("stacked", [False, True])
def test_a_big_batch_in_chunks_has_the_whole_batchs_gradient(task, n_out, stacked):
    """A step on more rows than fit TRAIN_FLOATS adds up its chunks' gradients, each weighted
    by its share of the batch (a last chunk shorter than the others included)."""
    g, K = torch.Generator().manual_seed(7), 3
    model, flat, net = _net("tanh", n_out=n_out, dropout=0.0)
    x = torch.randn(*((K,) if stacked else ()), 50, 3, generator=g)
    shape = (*x.shape[:-1],)
    y = (torch.randint(0, n_out, shape, generator=g) if task == "multiclass" else
         torch.randint(0, 2, (*shape, 1), generator=g).float())
    if stacked:
        theta = torch.stack([flat.theta] * K)
        grad = torch.zeros_like(theta)
        net = Network(model, "tanh", flat.views_of(theta), flat.views_of(grad))
    else:
        grad = flat.grad
    loss = resolve_loss("auto", task)
    net.gradient(x, y, loss, task)
    whole = grad.clone()
    grad.fill_(123.0)  # the chunks overwrite the old gradient, then add to it
    net.gradient(x, y, loss, task, rows=16)  # 16 + 16 + 16 + 2
    torch.testing.assert_close(grad, whole, rtol=1e-5, atol=1e-7)


def test_chunks_are_sized_by_the_network_and_never_split_batch_norm():
    from playground.nn.passes import TRAIN_FLOATS

    model, flat, net = _net(hidden=(386,) * 8)
    assert net.train_rows == TRAIN_FLOATS // (3 + 386 * 8 + 1)
    assert _net(batchnorm=True)[2].train_rows is None
