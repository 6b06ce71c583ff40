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

from .. import tfplayground
from .activations import ACTIVATIONS


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


def _init_normal(w: Tensor, b: Tensor, gain: float, g: torch.Generator) -> None:
    # Every weight and bias ~ N(0, 1), whatever the layer's size (NumPy's np.random.randn): the
    # simplest choice; a unit with many inputs starts with a large total input.
    w.normal_(0.0, 1.0, generator=g)
    b.normal_(0.0, 1.0, generator=g)


def _init_tfplayground(w: Tensor, b: Tensor, gain: float, g: torch.Generator) -> None:
    # TF Playground's nn.ts: every weight Math.random() - 0.5, every bias 0.1, whatever the size.
    w.uniform_(-0.5, 0.5, generator=g)
    b.fill_(0.1)


def _init_zeros(w: Tensor, b: Tensor, gain: float, g: torch.Generator) -> None:
    # Every weight and bias 0 (TF Playground's initZero): the units of a layer start alike and
    # get alike gradients, so they stay copies of each other.
    w.zero_()
    b.zero_()


@dataclass(frozen=True)
class Init:
    name: str
    help: str
    # (W (out, in), b (out,) or empty, gain, generator) -> None, filling both in place; the
    # exported script copies this function's source.
    fill: Callable[[Tensor, Tensor, float, torch.Generator], None]


INITS: dict[str, Init] = {
    i.name: i
    for i in (
        Init("default", "PyTorch's default: uniform in ±1/√fan_in.", _init_default),
        Init("kaiming", "He: normal with variance 2/fan_in (scaled for the activation); for ReLU "
             "nets.", _init_kaiming),
        Init("xavier", "Glorot: uniform scaled by fan_in + fan_out; for tanh and sigmoid nets.",
             _init_xavier),
        Init("normal", "Standard normal: every weight and bias from N(0, 1), unscaled, as "
             "np.random.randn draws them in a from-scratch network.", _init_normal),
        Init("tfplayground", "TF Playground's: every weight uniform in ±0.5, every bias 0.1; with "
             "a TF Playground seed, its very initial weights, drawn from its random stream.",
             _init_tfplayground),
        Init("zeros", "Every weight and bias 0 (TF Playground's initZero): the neurons of a layer "
             "start identical and stay identical, so the network learns like one neuron per "
             "layer.", _init_zeros),
    )
}


class LayerNorms:
    """Each Linear layer's squared weight-gradient and weight norms, in two kernels, no sync."""

    MATRIX_MAX = 4_000_000  # parameters x Linear layers, for the layer matrix

    def __init__(self, flat: FlatParams):
        self.flat = flat
        weights = [name for name, (o, _) in flat.layout.items() if name.endswith(".weight")
                   and flat.weight_mask[o] == 1]  # the Linear layers' weights, in order
        self.layers = len(weights)
        # (P,) each entry's Linear layer, `layers` for biases and batch norm
        self.layer_of = torch.full(flat.theta.shape, self.layers, dtype=torch.long,
                                   device=flat.theta.device)
        for i, name in enumerate(weights):
            o, shape = flat.layout[name]
            self.layer_of[o:o + shape.numel()] = i
        # (P, L) 0/1 matrix: one matmul sums each layer's squares (6 us on the 2-16-16-1 net
        # against 12 us for index_add_); index_add_ instead where it would be large (> 16 MB).
        self.matrix = None
        if self.layer_of.numel() * self.layers <= self.MATRIX_MAX:
            self.matrix = F.one_hot(self.layer_of, self.layers + 1)[:, :self.layers].to(
                flat.theta.dtype)

    def squares(self) -> Tensor:
        """(2 L,) the L squared gradient norms, then the L squared weight norms."""
        squares = torch.stack([self.flat.grad, self.flat.theta]).square_()  # (2, P)
        if self.matrix is not None:
            return torch.mm(squares, self.matrix).view(-1).float()
        sums = squares.new_zeros(2, self.layers + 1).index_add_(1, self.layer_of, squares)
        return sums[:, :self.layers].flatten().float()


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
    layout: dict[str, tuple[int, torch.Size]] = field(default_factory=dict)  # name -> (offset, shape)

    def value(self, name: str) -> Tensor:
        return self.views[name][0]

    def views_of(self, flat: Tensor) -> dict[str, Tensor]:
        """Each parameter's view into `flat`, a tensor laid out as theta: (P,) gives the
        parameters' own shapes, (K, P) (K models' parameters, one per row) gives (K, *shape)."""
        lead = flat.shape[:-1]
        return {name: flat[..., o:o + shape.numel()].view(*lead, *shape)
                for name, (o, shape) in self.layout.items()}



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
    _initialise(model, flat, act.gain, INITS[init].fill, torch.Generator().manual_seed(seed))
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
    """`build_model` with a config's network fields, for `n_in` inputs. TF Playground's init
    with a TF Playground seed (`c.tf_seed`) takes its weights from TF Playground's own stream,
    where it goes on after drawing the config's points (`tfplayground.initial_layers`)."""
    model, flat = build_model(n_in, c.hidden, c.n_outputs, activation=c.activation, init=c.init,
                              batchnorm=c.batchnorm, dropout=c.dropout, seed=c.seed,
                              device=device, dtype=dtype)
    tf_seed = getattr(c, "tf_seed", "")
    if c.init == "tfplayground" and tf_seed and not c.batchnorm:
        sizes = [n_in, *c.hidden, c.n_outputs]
        layers = tfplayground.initial_layers(c.dataset, c.n_samples, c.noise, tf_seed, sizes)
        values = torch.from_numpy(tfplayground.flat(layers))  # each layer's W, then b: ours
        flat.theta.copy_(values.to(dtype=flat.theta.dtype))
    return model, flat


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
        flat.layout[name] = (offset, p.shape)
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
