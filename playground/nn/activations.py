"""Activations by name: one record holds everything about each.

The forward and backward kernels (the backward the aten kernel autograd itself uses), the
`torch.nn` module the model and the exported script are built from, the initialisation gain,
the formula and its slope as TeX (`{z}` and `{a}` stand for the layer's Z and A), how a unit of
it can be stuck (dead, or saturated), and the help the page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

aten = torch.ops.aten


@dataclass(frozen=True)
class Activation:
    name: str
    module: Callable[[], nn.Module]  # a torch.nn class: run.model and the exported script
    forward: Callable[[Tensor], Tensor]
    backward: Callable[[Tensor, Tensor, Tensor], Tensor]  # (dA, Z, A) -> dZ = dA ⊙ f'(Z)
    gain: str  # nonlinearity name for nn.init.calculate_gain
    help: str
    tex: str  # A = f(Z)
    slope_tex: str  # f'(Z), written to follow "⊙" (a single factor, or in brackets)
    # A unit is dead when its output is never > 0 on any point: meaningful for activations with
    # a floor at (or near) zero. Plain ReLU's dead units also get no gradient at all.
    can_die: bool = False
    # Where an output sits on a flat part of the curve (slope under ~1/50 of its peak), or None.
    flat: Callable[[np.ndarray], np.ndarray] | None = None

    def formula(self, z: str, a: str) -> str:
        return self.tex.replace("{z}", z).replace("{a}", a)

    def slope(self, z: str, a: str) -> str:
        return self.slope_tex.replace("{z}", z).replace("{a}", a)


_CASES = r"\begin{cases}%s & {z} > 0\\ %s & \text{else}\end{cases}"

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("relu", nn.ReLU, torch.relu,
                   lambda d, z, a: aten.threshold_backward(d, a, 0), "relu",
                   "max(0, z): cheap and fast to train; a unit whose input stays negative is dead.",
                   r"\max(0,\, {z})", r"\mathbb{1}[{z} > 0]", can_die=True),
        Activation("leaky_relu", nn.LeakyReLU, F.leaky_relu,
                   lambda d, z, a: aten.leaky_relu_backward(d, z, 0.01, False), "leaky_relu",
                   "Like ReLU but with slope 0.01 for negative inputs, so units cannot die.",
                   r"\max(0.01\,{z},\, {z})", _CASES % ("1", "0.01"), can_die=True),
        Activation("elu", nn.ELU, F.elu,
                   lambda d, z, a: aten.elu_backward(d, 1.0, 1.0, 1.0, True, a), "relu",
                   "Smooth ReLU that bends to -1 for negative inputs.",
                   _CASES % ("{z}", "e^{{z}} - 1"), _CASES % ("1", "{a} + 1"), can_die=True),
        Activation("gelu", nn.GELU, F.gelu, lambda d, z, a: aten.gelu_backward(d, z), "relu",
                   "z times the Gaussian CDF of z: a smooth ReLU used in transformers.",
                   r"{z}\,\Phi({z})", r"\big(\Phi({z}) + {z}\,\varphi({z})\big)", can_die=True),
        Activation("silu", nn.SiLU, F.silu, lambda d, z, a: aten.silu_backward(d, z), "relu",
                   "z times sigmoid(z) (swish): smooth, slightly negative for small negative z.",
                   r"{z}\,\sigma({z})", r"\sigma({z})\,\big(1 + {z}\,(1 - \sigma({z}))\big)",
                   can_die=True),
        Activation("tanh", nn.Tanh, torch.tanh, lambda d, z, a: aten.tanh_backward(d, a), "tanh",
                   "S-shaped, from -1 to 1: zero-centred, but saturates (flat) for large |z|.",
                   r"\tanh({z})", r"(1 - {a}^{2})", flat=lambda a: np.abs(a) > 0.99),
        Activation("sigmoid", nn.Sigmoid, torch.sigmoid,
                   lambda d, z, a: aten.sigmoid_backward(d, a), "sigmoid",
                   "S-shaped, from 0 to 1; its slope is at most 1/4, so deep stacks vanish "
                   "gradients.",
                   r"\sigma({z}) = \frac{1}{1 + e^{-{z}}}", r"{a} \odot (1 - {a})",
                   flat=lambda a: (a < 0.01) | (a > 0.99)),
        Activation("identity", nn.Identity, lambda z: z, lambda d, z, a: d, "linear",
                   "No non-linearity: any stack of layers collapses to one linear map.",
                   "{z}", "1"),
    )
}
