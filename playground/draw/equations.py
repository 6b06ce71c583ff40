"""The current network's forward and backward pass as LaTeX, written the way the tutorials do:
Z1 = X W1 + b1, A1 = ReLU(Z1), ... and back again. Pure functions of a Config."""

from __future__ import annotations

from ..config import Config
from ..nn.activations import ACTIVATIONS
from ..nn.losses import HEADS, resolve_loss


def _names(layer: int) -> tuple[str, str]:
    return f"Z_{{{layer}}}", f"A_{{{layer}}}"


def forward_equations(config: Config) -> list[str]:
    """One line per layer, then the output and the loss."""
    act, depth = ACTIVATIONS[config.activation], len(config.hidden) + 1
    lines = []
    for layer in range(1, depth + 1):
        previous = "X" if layer == 1 else f"A_{{{layer - 1}}}"
        shape = rf"\quad ({config.sizes[layer - 1]} \to {config.sizes[layer]})"
        lines.append(rf"Z_{{{layer}}} = {previous}\, W_{{{layer}}} + b_{{{layer}}}{shape}")
        if layer < depth:
            lines.append(rf"A_{{{layer}}} = {act.formula(*_names(layer))}")
    loss = resolve_loss(config.loss, config.task)
    head = (r"\tanh({z})" if loss.tanh_head and config.task == "binary" else
            HEADS[config.task][0]).replace("{z}", _names(depth)[0])
    lines.append(rf"\hat{{Y}} = {head},\qquad " + loss.tex[config.task])
    return lines


def backward_equations(config: Config) -> list[str]:
    """From the loss back to every weight: the chain rule one layer at a time."""
    depth, task = len(config.hidden) + 1, config.task
    loss, act = resolve_loss(config.loss, task), ACTIVATIONS[config.activation]
    top = rf"\frac{{\partial L}}{{\partial Z_{{{depth}}}}} = "
    lines = [top + loss.grad_tex.get(task, rf"\frac{{\partial L}}{{\partial \hat{{Y}}}}\,"
                                           rf"\frac{{\partial \hat{{Y}}}}{{\partial Z_{{{depth}}}}}")]
    for layer in range(depth, 0, -1):
        previous = "X" if layer == 1 else f"A_{{{layer - 1}}}"
        dz = rf"\frac{{\partial L}}{{\partial Z_{{{layer}}}}}"
        lines.append(rf"\frac{{\partial L}}{{\partial W_{{{layer}}}}} = {previous}^\top {dz},"
                     rf"\qquad \frac{{\partial L}}{{\partial b_{{{layer}}}}} = \sum_i {dz}")
        if layer > 1:
            lines.append(rf"\frac{{\partial L}}{{\partial Z_{{{layer - 1}}}}} = "
                         rf"\Big({dz}\, W_{{{layer}}}^\top\Big) \odot "
                         + act.slope(*_names(layer - 1)))
    return lines
