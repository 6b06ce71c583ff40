"""One record per name: every registry entry is complete, and every place that looks a name up
finds it (equations, insight, the exported script, both engines, the stacked sweep), including
a name registered after the fact."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from playground import Config, ConfigError, insight, train
from playground.config import FIELDS, field_help
from playground.draw.equations import backward_equations, forward_equations
from playground.export import to_script
from playground.nn.activations import ACTIVATIONS, Activation
from playground.nn.losses import HEADS, LOSSES, TASKS, loss_grad, resolve_loss
from playground.nn.metrics import METRICS, TASK_METRICS, evaluate, headline, score
from playground.nn.model import INITS
from playground.nn.optim import OPTIMIZERS, SCHEDULES
from playground.sweep import sweep

DATASET_OF = {"binary": "moons", "multiclass": "blobs", "regression": "sine"}
SMALL = dict(n_samples=80, hidden=(5,), epochs=2, batch_size=16)


def top_level(tex: str) -> str:
    """The TeX with every bracketed group, cases block and command removed."""
    tex = re.sub(r"\\begin\{cases\}.*?\\end\{cases\}", "C", tex)
    tex = re.sub(r"\\[bB]ig[lr]?", "", tex)
    while True:
        shorter = re.sub(r"\([^()]*\)|\{[^{}]*\}|\[[^\[\]]*\]", "G", tex)
        if shorter == tex:
            return re.sub(r"\\[a-zA-Z]+", "", tex)
        tex = shorter


def test_the_bracket_checker():
    assert "-" in top_level("1 - A^{2}") and "-" not in top_level("(1 - A^{2})")
    assert "+" not in top_level(r"\begin{cases}1 & z > 0\\ a + 1 & \text{else}\end{cases}")


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_every_activation_is_complete(name):
    act = ACTIVATIONS[name]
    assert act.name == name and len(act.help) > 20
    assert issubclass(act.module, nn.Module) and getattr(nn, act.module.__name__) is act.module
    z = torch.linspace(-3, 3, 41, dtype=torch.float64, requires_grad=True)
    a = act.forward(z)
    torch.testing.assert_close(a, act.module()(z))
    (slope,) = torch.autograd.grad(a.sum(), z)
    torch.testing.assert_close(act.backward(torch.ones_like(z), z.detach(), a.detach()), slope)
    nn.init.calculate_gain(act.gain)
    assert "{z}" in act.tex and act.slope_tex
    # "dL/dZ = (dL/dA) ⊙ f'(Z)": a sum after ⊙ must be bracketed
    assert not re.search(r"[+-]", top_level(act.slope("Z_{1}", "A_{1}"))), act.slope_tex
    if act.flat is not None:
        assert act.flat(np.array([0.0])).dtype == bool


@pytest.mark.parametrize("name", [n for n in LOSSES if n != "auto"])
def test_every_loss_is_complete_and_works_on_a_stack(name):
    loss, g = LOSSES[name], torch.Generator().manual_seed(0)
    assert loss.tasks and set(loss.tasks) <= set(TASKS) and len(loss.help) > 20
    assert set(loss.tex) == set(loss.export) == set(loss.tasks)
    assert set(loss.grad_tex) <= set(loss.tasks)
    for task in loss.tasks:
        assert loss.tex[task].startswith("L = ") and all(loss.export[task])
        k = 4 if task == "multiclass" else 1
        out = torch.randn(3, 9, k, generator=g)  # 3 stacked models
        y = (torch.randint(0, k, (9,), generator=g) if task == "multiclass" else
             torch.randint(0, 2, (9, 1), generator=g).float())
        each = loss.value(out, y, task)  # shared targets: one mean per model
        ys = y.expand(3, *y.shape)
        grads = loss_grad(loss, out, ys, task)
        for m in range(3):
            torch.testing.assert_close(each[m], loss.value(out[m], y, task))
            torch.testing.assert_close(grads[m], loss_grad(loss, out[m], y, task))
    auto = LOSSES["auto"]
    assert set(auto.tasks) == set(TASKS) and all(resolve_loss("auto", t).name != "auto"
                                                 for t in TASKS)


def test_every_task_has_a_head_and_metrics_that_work_on_a_stack():
    g = torch.Generator().manual_seed(1)
    assert set(HEADS) == set(TASK_METRICS) == set(TASKS)
    for task in TASKS:
        assert "{z}" in HEADS[task][0] and headline(task).name == TASK_METRICS[task][0]
        assert score(task)[0] == f"test_{headline(task).name}"
        k = 3 if task == "multiclass" else 1
        out = torch.randn(2, 12, k, generator=g)
        y = (torch.randint(0, k, (12,), generator=g) if task == "multiclass" else
             torch.randn(12, 1, generator=g))
        if task == "binary":
            y = (y > 0).float()
        both = evaluate(out, y, resolve_loss("auto", task), task)
        for m in range(2):
            one = evaluate(out[m], y, resolve_loss("auto", task), task)
            for key in one:
                torch.testing.assert_close(both[key][m], one[key])
        for name in TASK_METRICS[task]:
            assert METRICS[name].export[task]


def test_every_optimizer_init_and_schedule_is_complete():
    for name, spec in OPTIMIZERS.items():
        assert spec.name == name and len(spec.help) > 20
        assert isinstance(getattr(torch.optim, spec.torch), type)
        assert set(spec.knobs) <= set(FIELDS)
    for registry in (INITS, SCHEDULES):
        for name, entry in registry.items():
            assert entry.name == name and len(entry.help) > 20
            assert set(getattr(entry, "knobs", ())) <= set(FIELDS)
    w, b = torch.empty(3, 4), torch.empty(3)
    for init in INITS.values():
        init.fill(w, b, 1.0, torch.Generator().manual_seed(0))
        assert torch.isfinite(w).all() and torch.isfinite(b).all()
    assert all(s.factor(0, 10, 5, 0.5) == 1.0 for s in SCHEDULES.values())


def test_every_option_help_is_in_its_fields_help():
    for field, registry in (("activation", ACTIVATIONS), ("init", INITS), ("loss", LOSSES),
                            ("optimizer", OPTIMIZERS), ("schedule", SCHEDULES)):
        text = field_help(field)
        assert all(f"**{name}**: {entry.help}" in text for name, entry in registry.items())
    regression = field_help("loss", {"dataset": "sine"})
    assert "**mse**" in regression and "**hinge**" not in regression
    assert field_help("noise", {"dataset": "circle"}).endswith(
        "Circle: noise flips labels near the boundary.")


def check_every_place_finds(config: Config) -> None:
    """Equations, insight, the exported script, a torch run, the stacked sweep (against that
    run) and the NumPy engine (trains, or is refused with a ConfigError naming it)."""
    assert forward_equations(config) and backward_equations(config)
    compile(to_script(config), "script.py", "exec")
    run = train(config)
    assert run.status == "finished"
    if config.hidden:
        stats = insight.activation_stats(run)
        assert len(stats) == len(config.hidden)
    result = sweep(config, {"lr": [config.lr, config.lr / 2]}, seeds=1)
    assert not result.fallback
    for key, value in result.final[0].items():
        assert value == pytest.approx(run.final[key], abs=1e-4), key
    try:
        numpy_config = config.replace(engine="numpy")
    except ConfigError as e:
        assert all("numpy engine" in msg for msg in e.errors.values())
    else:
        assert train(numpy_config).status == "finished"


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation_works_everywhere(activation):
    check_every_place_finds(Config(dataset="moons", activation=activation, **SMALL))


@pytest.mark.parametrize("name, task", [(n, t) for n, entry in LOSSES.items()
                                        for t in entry.tasks])
def test_every_loss_works_everywhere(name, task):
    check_every_place_finds(Config(dataset=DATASET_OF[task], loss=name, **SMALL))


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_every_optimizer_works_everywhere(optimizer):
    check_every_place_finds(Config(dataset="moons", optimizer=optimizer, lr=0.01,
                                   schedule="step", step_size=1, **SMALL))


def test_a_newly_registered_activation_works_everywhere_or_is_refused(monkeypatch):
    softsign = Activation(
        "softsign", nn.Softsign, F.softsign, lambda d, z, a: d / (1 + z.abs()).square(),
        "linear", "z / (1 + |z|): like tanh, but it approaches ±1 slowly, so it saturates less.",
        r"\frac{{z}}{1 + \lvert {z} \rvert}", r"\frac{1}{(1 + \lvert {z} \rvert)^2}")
    monkeypatch.setitem(ACTIVATIONS, "softsign", softsign)
    config = Config(dataset="moons", activation="softsign", **SMALL)
    check_every_place_finds(config)
    assert r"\lvert Z_{1} \rvert" in forward_equations(config)[1]
    with pytest.raises(ConfigError, match="numpy engine has no 'softsign'"):
        config.replace(engine="numpy")
    assert "**softsign**" in field_help("activation")
