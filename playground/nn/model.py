"""Build the torch MLP for a Config: activations and initialisations by name, parameters in one flat tensor.

The model is a plain `nn.Sequential` of Linear, optional BatchNorm1d, activation and optional
Dropout layers, followed by a Linear head. Its parameters are views into one flat tensor
`FlatParams.theta` (and their gradients into `FlatParams.grad`), so an optimizer updates the
whole network in a few calls and `run.model` always shows the current weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import torch
import torch.nn.functional as F
from torch import Tensor, nn

aten = torch.ops.aten


@dataclass(frozen=True)
class Activation:
    name: str
    module: Callable[[], nn.Module]
    forward: Callable[[Tensor], Tensor]
    # backward(dA, Z, A) -> dZ = dA * f'(Z); the aten kernels are the ones autograd itself uses.
    backward: Callable[[Tensor, Tensor, Tensor], Tensor]
    derivative: str  # f'(z) as a learner would write it
    gain: str  # nonlinearity name for nn.init.calculate_gain
    help: str


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("relu", nn.ReLU, torch.relu,
                   lambda d, z, a: aten.threshold_backward(d, a, 0), "1 if z > 0 else 0", "relu",
                   "max(0, z): cheap and fast to train; a unit whose input stays negative is dead."),
        Activation("leaky_relu", nn.LeakyReLU, F.leaky_relu,
                   lambda d, z, a: aten.leaky_relu_backward(d, z, 0.01, False),
                   "1 if z > 0 else 0.01", "leaky_relu",
                   "Like ReLU but with slope 0.01 for negative inputs, so units cannot die."),
        Activation("elu", nn.ELU, F.elu,
                   lambda d, z, a: aten.elu_backward(d, 1.0, 1.0, 1.0, True, a),
                   "1 if z > 0 else e^z", "relu",
                   "Smooth ReLU that bends to -1 for negative inputs."),
        Activation("gelu", nn.GELU, F.gelu,
                   lambda d, z, a: aten.gelu_backward(d, z), "Φ(z) + z φ(z)", "relu",
                   "z times the Gaussian CDF of z: a smooth ReLU used in transformers."),
        Activation("silu", nn.SiLU, F.silu,
                   lambda d, z, a: aten.silu_backward(d, z), "σ(z) (1 + z (1 - σ(z)))", "relu",
                   "z times sigmoid(z) (swish): smooth, slightly negative for small negative z."),
        Activation("tanh", nn.Tanh, torch.tanh,
                   lambda d, z, a: aten.tanh_backward(d, a), "1 - tanh(z)²", "tanh",
                   "S-shaped, from -1 to 1: zero-centred, but saturates (flat) for large |z|."),
        Activation("sigmoid", nn.Sigmoid, torch.sigmoid,
                   lambda d, z, a: aten.sigmoid_backward(d, a), "σ(z) (1 - σ(z))", "sigmoid",
                   "S-shaped, from 0 to 1; its slope is at most 1/4, so deep stacks vanish gradients."),
        Activation("identity", nn.Identity, lambda z: z,
                   lambda d, z, a: d, "1", "linear",
                   "No non-linearity: any stack of layers collapses to one linear map."),
    )
}


def _init_default(w: Tensor, b: Tensor, gain: float, g: torch.Generator) -> None:
    # nn.Linear's own reset_parameters: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    bound = w.shape[1] ** -0.5
    w.uniform_(-bound, bound, generator=g)
    b.uniform_(-bound, bound, generator=g)


def _init_kaiming(w: Tensor, b: Tensor, gain: float, g: torch.Generator) -> None:
    # He: W ~ N(0, gain² / fan_in) keeps the activations' variance constant from layer to layer.
    w.normal_(0.0, gain * w.shape[1] ** -0.5, generator=g)
    b.zero_()


def _init_xavier(w: Tensor, b: Tensor, gain: float, g: torch.Generator) -> None:
    # Glorot: W ~ U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)), balancing forward and backward.
    bound = gain * (6.0 / (w.shape[0] + w.shape[1])) ** 0.5
    w.uniform_(-bound, bound, generator=g)
    b.zero_()


INITS: dict[str, tuple[str, Callable]] = {
    "default": ("PyTorch's default: uniform in ±1/√fan_in.", _init_default),
    "kaiming": ("He: normal with variance 2/fan_in (scaled for the activation); for ReLU nets.",
                _init_kaiming),
    "xavier": ("Glorot: uniform scaled by fan_in + fan_out; for tanh and sigmoid nets.", _init_xavier),
}


def layer_sizes(n_in: int, hidden: tuple[int, ...], n_out: int) -> list[int]:
    return [n_in, *hidden, n_out]


def count_parameters(sizes: list[int], batchnorm: bool = False) -> int:
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    hidden = sum(sizes[1:-1])  # a bias each, or BatchNorm's scale and shift instead
    return weights + sizes[-1] + (2 * hidden if batchnorm else hidden)


@dataclass
class FlatParams:
    """All parameters in one flat tensor; each module parameter is a view into it."""

    theta: Tensor  # (P,) every parameter
    grad: Tensor  # (P,) their gradients, same layout
    weight_mask: Tensor  # (P,) 1 on Linear weights, 0 on biases and BatchNorm scales
    views: dict[str, tuple[Tensor, Tensor]] = field(default_factory=dict)  # name -> (value, grad)

    def value(self, name: str) -> Tensor:
        return self.views[name][0]


def build_model(n_in: int, hidden: tuple[int, ...], n_out: int, *, activation: str, init: str,
                batchnorm: bool, dropout: float, seed: int, device: torch.device | str = "cpu",
                dtype: torch.dtype = torch.float32) -> tuple[nn.Sequential, FlatParams]:
    """The network, initialised on the CPU from `seed` alone (so every device starts alike)."""
    act = ACTIVATIONS[activation]
    layers: list[nn.Module] = []
    width = n_in
    for h in hidden:
        # BatchNorm subtracts the batch mean, so a bias before it would do nothing: its true
        # gradient is zero and adaptive optimizers would turn rounding noise into steps.
        layers.append(nn.Linear(width, h, bias=not batchnorm, device="meta"))
        if batchnorm:
            layers.append(nn.BatchNorm1d(h, device="meta"))
        layers.append(act.module())
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, n_out, device="meta"))
    model = nn.Sequential(*layers).to_empty(device="cpu").to(dtype)
    flat = _flatten(model, torch.device("cpu"), dtype)
    _initialise(model, flat, act.gain, INITS[init][1], torch.Generator().manual_seed(seed))
    device = torch.device(device)
    if device.type != "cpu":
        theta = flat.theta
        model.to(device)  # BatchNorm running statistics
        flat = _flatten(model, device, dtype)
        flat.theta.copy_(theta)
    return model, flat


class Shape(Protocol):
    """What the network is made of: a Config has these fields (duck-typed, so this module
    needs no Config)."""

    hidden: tuple[int, ...]
    activation: str
    init: str
    batchnorm: bool
    dropout: float
    seed: int

    @property
    def n_outputs(self) -> int: ...


def model_for(c: Shape, n_in: int, *, device: torch.device | str = "cpu",
              dtype: torch.dtype = torch.float32) -> tuple[nn.Sequential, FlatParams]:
    """`build_model` with a config's network fields, for `n_in` inputs."""
    return build_model(n_in, c.hidden, c.n_outputs, activation=c.activation, init=c.init,
                       batchnorm=c.batchnorm, dropout=c.dropout, seed=c.seed, device=device,
                       dtype=dtype)


def _flatten(model: nn.Sequential, device: torch.device, dtype: torch.dtype) -> FlatParams:
    named = list(model.named_parameters())
    total = sum(p.numel() for _, p in named)
    flat = FlatParams(*(torch.zeros(total, device=device, dtype=dtype) for _ in range(3)))
    offset = 0
    for name, p in named:
        n = p.numel()
        value = flat.theta[offset:offset + n].view(p.shape)
        module_name, attr = name.rsplit(".", 1)
        module = model.get_submodule(module_name)
        module._parameters[attr] = nn.Parameter(value)  # shares theta's storage
        if isinstance(module, nn.Linear) and attr == "weight":
            flat.weight_mask[offset:offset + n] = 1.0
        flat.views[name] = (value, flat.grad[offset:offset + n].view(p.shape))
        offset += n
    return flat


def _initialise(model: nn.Sequential, flat: FlatParams, gain_name: str, init: Callable,
                g: torch.Generator) -> None:
    linears = [name for name, m in model.named_children() if isinstance(m, nn.Linear)]
    for i, name in enumerate(linears):
        gain = nn.init.calculate_gain(gain_name) if i < len(linears) - 1 else 1.0
        bias = flat.views.get(f"{name}.bias", (torch.empty(0),))[0]
        init(flat.value(f"{name}.weight"), bias, gain, g)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.weight.data.fill_(1.0)
            m.bias.data.zero_()
            m.reset_running_stats()
