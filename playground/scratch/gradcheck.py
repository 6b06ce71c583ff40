"""Check every gradient of the NumPy lesson (mlp.py) against torch autograd on the same network.

Kept apart from mlp.py so that the lesson itself imports nothing but NumPy.
"""

from __future__ import annotations

import numpy as np
import torch

from ..config import Config
from ..nn.losses import resolve_loss
from ..nn.model import model_for
from ..train import load_data
from . import mlp


def gradcheck(config: Config, batch: int = 16, seed: int = 0) -> dict:
    """Max elementwise relative error |a-b| / max(|a|+|b|, 1e-12) of every parameter gradient.

    The torch model of `config` (float64, weights from `seed`) and the NumPy network get the
    same weights and the same `batch` training points; torch differentiates with autograd.
    """
    if config.activation not in mlp.ACTIVATIONS or config.resolved_loss not in mlp.SCRATCH_LOSSES:
        raise ValueError(f"the scratch engine has no {config.activation!r} or {config.loss!r}")
    plain = config.replace(seed=seed, batchnorm=False, dropout=0.0)
    model, _ = model_for(plain, config.sizes[0], dtype=torch.float64)
    net = mlp.build(config.sizes, config.activation)
    net.load_state_dict(model.state_dict())
    data, task = load_data(config), config.task
    rows = np.random.default_rng(seed).permutation(data.n_train)[:batch]
    X = data.transform(data.X_train[rows], np.float64)
    y = data.y_train[rows]
    y = y.astype(np.int64) if task == "multiclass" else y.astype(np.float64).reshape(-1, 1)

    _, dout = mlp.loss_and_grad(config.resolved_loss, net.forward(X), y, task)
    net.backward(dout)
    loss = resolve_loss(config.loss, task).value(model(torch.from_numpy(X)),
                                                 torch.from_numpy(y), task)
    loss.backward()
    errors = {}
    for i, layer in net.linears():
        for name, ours in (("weight", layer.dW.T), ("bias", layer.db)):
            theirs = model.get_parameter(f"{i}.{name}").grad.numpy()
            rel = np.abs(ours - theirs) / np.maximum(np.abs(ours) + np.abs(theirs), 1e-12)
            errors[f"{i}.{name}"] = float(rel.max())
    return {"layers": errors, "max": max(errors.values())}
