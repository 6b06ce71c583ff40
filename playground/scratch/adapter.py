"""Run the from-scratch NumPy engine (mlp.py) inside the training loop of train.py.

The NumPy layers work directly on the memory of the torch model's flat parameter tensor: a
torch Linear weight is (out, in), the lesson's W is (in, out), so each layer sees the transpose
of a numpy view of it. Both engines therefore share one set of weights, `run.model` always shows
the current ones, and the loop's data order, evaluation and history are the same for both.
"""

from __future__ import annotations

from torch import Tensor, nn

from ..nn.model import FlatParams
from . import mlp


class NumpyEngine:
    """`gradient(x, y)` fills the flat gradient; `optimizer` updates the flat parameters."""

    def __init__(self, model: nn.Sequential, flat: FlatParams, activation: str, loss: str,
                 task: str, optimizer: str, momentum: float):
        layers: list[mlp.Layer] = []
        for name, module in model.named_children():
            if isinstance(module, nn.Linear):
                (w, gw), (b, gb) = flat.views[f"{name}.weight"], flat.views[f"{name}.bias"]
                layers.append(mlp.Linear(
                    module.in_features, module.out_features, W=w.numpy().T, b=b.numpy(),
                    dW=gw.numpy().T, db=gb.numpy(), dtype=w.numpy().dtype))
            else:
                layers.append(mlp.ACTIVATIONS[activation]())
        self.net = mlp.Sequential(layers)
        self.loss, self.task = loss, task
        self.optimizer = _FlatOptimizer(
            mlp.SCRATCH_OPTIMIZERS[optimizer](flat.theta.numpy(), momentum))

    def gradient(self, x: Tensor, y: Tensor) -> None:
        out = self.net.forward(x.numpy())
        target = y.numpy()
        _, dout = mlp.loss_and_grad(self.loss, out, target, self.task)
        self.net.backward(dout.astype(out.dtype, copy=False))


class _FlatOptimizer:
    """The training loop hands torch tensors; the NumPy optimizer updates their memory."""

    decoupled_decay = False

    def __init__(self, inner):
        self.inner = inner

    def step(self, g: Tensor, lr: float) -> None:
        self.inner.step(g.numpy(), lr)

    def reset(self, model: int | None = None) -> None:
        self.inner.reset()  # one model: all of it


def unsupported(activation: str, loss: str, optimizer: str, batchnorm: bool, dropout: float,
                device: str) -> dict[str, str]:
    """What the NumPy engine cannot do, by Config field, each with what to do instead."""
    torch_hint = "; choose engine 'torch' for it"
    errors = {}
    if activation not in mlp.ACTIVATIONS:
        errors["activation"] = (f"the numpy engine has no {activation!r} (it has "
                                f"{', '.join(mlp.ACTIVATIONS)}){torch_hint}")
    if loss not in mlp.SCRATCH_LOSSES:
        errors["loss"] = (f"the numpy engine has no {loss!r} loss (it has "
                          f"{', '.join(mlp.SCRATCH_LOSSES)}){torch_hint}")
    if optimizer not in mlp.SCRATCH_OPTIMIZERS:
        errors["optimizer"] = (f"the numpy engine has no {optimizer!r} (it has "
                               f"{', '.join(mlp.SCRATCH_OPTIMIZERS)}){torch_hint}")
    if batchnorm:
        errors["batchnorm"] = "the numpy engine has no batch norm" + torch_hint
    if dropout:
        errors["dropout"] = "the numpy engine has no dropout" + torch_hint
    if device == "cuda":
        errors["device"] = "the numpy engine runs on the CPU only" + torch_hint
    return errors

