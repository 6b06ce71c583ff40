"""The current network's forward and backward pass as LaTeX, written the way the tutorials do:
Z1 = X W1 + b1, A1 = ReLU(Z1), ... and back again. Pure functions of a Config."""

from __future__ import annotations

from ..config import Config

# activation name -> (forward of Z, derivative written with Z or A, the layer's output)
ACTIVATION_TEX = {
    "relu": (r"\max(0,\, {z})", r"\mathbb{{1}}[{z} > 0]"),
    "leaky_relu": (r"\max(0.01\,{z},\, {z})", r"\begin{{cases}}1 & {z} > 0\\ 0.01 & \text{{else}}\end{{cases}}"),
    "elu": (r"\begin{{cases}}{z} & {z} > 0\\ e^{{{z}}} - 1 & \text{{else}}\end{{cases}}",
            r"\begin{{cases}}1 & {z} > 0\\ {a} + 1 & \text{{else}}\end{{cases}}"),
    "gelu": (r"{z}\,\Phi({z})", r"\Phi({z}) + {z}\,\varphi({z})"),
    "silu": (r"{z}\,\sigma({z})", r"\sigma({z})\,(1 + {z}\,(1 - \sigma({z})))"),
    "tanh": (r"\tanh({z})", r"1 - {a}^{{2}}"),
    "sigmoid": (r"\sigma({z}) = \frac{{1}}{{1 + e^{{-{z}}}}}", r"{a} \odot (1 - {a})"),
    "identity": (r"{z}", r"1"),
}


def _names(layer: int) -> dict[str, str]:
    return {"z": f"Z_{{{layer}}}", "a": f"A_{{{layer}}}"}


def forward_equations(config: Config) -> list[str]:
    """One line per layer, then the output and the loss."""
    act, depth = config.activation, len(config.hidden) + 1
    lines = []
    for layer in range(1, depth + 1):
        previous = "X" if layer == 1 else f"A_{{{layer - 1}}}"
        shape = rf"\quad ({config.sizes[layer - 1]} \to {config.sizes[layer]})"
        lines.append(rf"Z_{{{layer}}} = {previous}\, W_{{{layer}}} + b_{{{layer}}}{shape}")
        if layer < depth:
            formula = ACTIVATION_TEX[act][0].format(**_names(layer))
            lines.append(rf"A_{{{layer}}} = {formula}")
    lines.append(_output_and_loss(config, depth))
    return lines


def _output_and_loss(config: Config, depth: int) -> str:
    z, task, loss = f"Z_{{{depth}}}", config.task, config.resolved_loss
    if task == "regression":
        head = rf"\hat{{Y}} = {z}"
    elif task == "binary":
        head = rf"\hat{{Y}} = \sigma({z})"
    else:
        head = rf"\hat{{Y}} = \operatorname{{softmax}}({z})"
    formulas = {
        "cross_entropy": r"L = -\frac{1}{n}\sum_i \log \hat{Y}_{i,\,y_i}",
        "bce": r"L = -\frac{1}{n}\sum_i y_i \log \hat{y}_i + (1 - y_i)\log(1 - \hat{y}_i)",
        "mse": r"L = \frac{1}{n}\sum_i \lVert \hat{Y}_i - Y_i \rVert^2",
        "l1": r"L = \frac{1}{n}\sum_i \lvert \hat{Y}_i - Y_i \rvert",
        "huber": r"L = \frac{1}{n}\sum_i \operatorname{huber}(\hat{Y}_i - Y_i)",
        "hinge": r"L = \frac{1}{n}\sum_i \max(0,\, 1 - s_i\, z_i)",
    }
    if task == "binary" and loss == "cross_entropy":
        formulas["cross_entropy"] = formulas["bce"]
    return head + r",\qquad " + formulas[loss]


def backward_equations(config: Config) -> list[str]:
    """From the loss back to every weight: the chain rule one layer at a time."""
    depth, loss, task = len(config.hidden) + 1, config.resolved_loss, config.task
    top = f"Z_{{{depth}}}"
    if loss in ("cross_entropy", "bce"):
        lines = [rf"\frac{{\partial L}}{{\partial {top}}} = \frac{{1}}{{n}}(\hat{{Y}} - Y)"]
    elif loss == "mse" and task == "regression":
        lines = [rf"\frac{{\partial L}}{{\partial {top}}} = \frac{{2}}{{n}}(\hat{{Y}} - Y)"]
    else:
        lines = [rf"\frac{{\partial L}}{{\partial {top}}} = "
                 rf"\frac{{\partial L}}{{\partial \hat{{Y}}}}\,\frac{{\partial \hat{{Y}}}}{{\partial {top}}}"]
    for layer in range(depth, 0, -1):
        previous = "X" if layer == 1 else f"A_{{{layer - 1}}}"
        dz = rf"\frac{{\partial L}}{{\partial Z_{{{layer}}}}}"
        lines.append(rf"\frac{{\partial L}}{{\partial W_{{{layer}}}}} = {previous}^\top {dz},"
                     rf"\qquad \frac{{\partial L}}{{\partial b_{{{layer}}}}} = \sum_i {dz}")
        if layer > 1:
            derivative = ACTIVATION_TEX[config.activation][1].format(**_names(layer - 1))
            lines.append(rf"\frac{{\partial L}}{{\partial Z_{{{layer - 1}}}}} = "
                         rf"\Big({dz}\, W_{{{layer}}}^\top\Big) \odot {derivative}")
    return lines
