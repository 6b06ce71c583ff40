"""Export a Config as a standalone PyTorch script that reaches the same numbers as `train(config)`.

The script needs only numpy and torch (scikit-learn for digits). Its data comes from the
playground's own generator, copied in with `inspect` (one source of truth), then shuffled, split
and standardized as `make_data` does; its `nn.Sequential` is initialised by the playground's own
init function drawing from the same seeded generator in the same order; it trains with the
textbook loop (autograd, torch.optim) on the playground's batches (one `randperm` per epoch).
Only dropout cannot match: its masks come from torch's global generator, not the playground's.
"""

from __future__ import annotations

import ast
import inspect
import json
import sys
import textwrap
from dataclasses import fields
from string import Template
from types import ModuleType
from urllib.parse import quote

import torch.optim

from . import datasets, tfplayground
from .config import Config
from .device import AUTO_CUDA_FLOPS, flops_per_step
from .nn import model, optim
from .nn.activations import ACTIVATIONS
from .nn.losses import HEADS, resolve_loss
from .nn.metrics import METRICS, TASK_METRICS

_KNOWN = {f.name for f in fields(Config)} | {"engine"}  # the fields this exporter writes out
_STDLIB = frozenset(sys.stdlib_module_names)


def to_script(config: Config) -> str:
    """A standalone training script for `config`; ValueError for what it cannot reproduce."""
    _check_exportable(config)
    imports = {"import math", "import numpy as np", "import torch",
               *(["import copy"] if config.patience else []),
               "import torch.nn.functional as F", "from torch import nn"}
    body = _BODY.substitute(**_data(config, imports), **_network(config, imports),
                            **_loss(config), **_optimizer(config, imports), **_training(config))
    return (_docstring(config) + _render_imports(imports) + "\n\n" + _settings(config) + "\n\n\n"
            + body)


def _check_exportable(config: Config) -> None:
    engine = getattr(config, "engine", "torch")
    if engine != "torch":
        raise ValueError(f"cannot export engine={engine!r}: the script trains with PyTorch's "
                         "autograd only; choose engine 'torch' to export")
    default = type(config)()
    unknown = [f.name for f in fields(config) if f.name not in _KNOWN
               and getattr(config, f.name) != getattr(default, f.name)]
    if unknown:
        raise ValueError(f"cannot export {', '.join(unknown)}: the exporter does not know "
                         "these settings yet")
    if datasets.DATASETS[config.dataset].make.__module__ != datasets.__name__:
        raise ValueError(f"cannot export dataset {config.dataset!r}: its generator is not in "
                         "playground/datasets.py")


# ---- Copying the library's own source ------------------------------------------------------

def _embed(module: ModuleType, roots: list[str], imports: set[str]) -> str:
    """Source of the module-level definitions `roots` need (in file order), adding their imports."""
    tree = ast.parse(inspect.getsource(module))
    defs: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            defs[node.targets[0].id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", "") != "__future__":
            defs.update({a.asname or a.name.split(".")[0]: node for a in node.names})
    needed, todo = set(), list(roots)
    while todo:  # follow every name the needed definitions use
        name = todo.pop()
        if name in defs and name not in needed:
            needed.add(name)
            todo += [n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)]
    chunks = []
    for node in tree.body:
        names = [n for n, d in defs.items() if d is node and n in needed]
        if names and isinstance(node, (ast.Import, ast.ImportFrom)):
            if getattr(node, "level", 0):
                raise ValueError(f"cannot export: the copied code imports .{node.module}")
            aliases = [a for a in node.names if (a.asname or a.name.split(".")[0]) in names]
            imports.update(ast.unparse(type(node)(**{**node.__dict__, "names": [a]})) for a in aliases)
        elif names and isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            chunks.append(inspect.getsource(getattr(module, names[0])).rstrip())
        elif names:  # a constant such as a table of centres
            chunks.append(ast.get_source_segment(inspect.getsource(module), node))
    return "\n\n\n".join(chunks)


def _render_imports(imports: set[str]) -> str:
    """Standard library first, then the rest, sorted as isort does; one `from` line per module."""
    merged: dict[str, list[str]] = {}
    for line in sorted(imports):
        key, _, name = line.partition(" import ") if line.startswith("from ") else (line, "", "")
        merged.setdefault(key, []).extend([name] if name else [])
    lines = sorted((k + (" import " + ", ".join(sorted(v)) if v else "") for k, v in merged.items()),
                   key=lambda k: (k.startswith("from "), k.split()[1]))
    groups = [[k for k in lines if (k.split()[1].split(".")[0] in _STDLIB) == std] for std in (1, 0)]
    return "\n\n".join("\n".join(group) for group in groups if group)


def _feature_lambdas() -> str:
    """The FEATURES table's lambdas, copied from datasets.py, as a dict body."""
    source = inspect.getsource(datasets)
    return "\n".join(f'    "{node.args[0].value}": {ast.get_source_segment(source, node.args[2])},'
                     for node in ast.walk(ast.parse(source))
                     if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Feature")


# ---- Header and settings ---------------------------------------------------------------------

def _docstring(c: Config) -> str:
    spec = datasets.DATASETS[c.dataset]
    sklearn = " (and scikit-learn for the digits)" if c.dataset == "digits" else ""
    ends = ("so it ends close to the playground's numbers (dropout's random masks differ)"
            if c.dropout and c.hidden else "so it ends with the same numbers")
    about = (f"Standalone: needs numpy and torch only{sklearn}. It rebuilds the playground's data "
             "with the playground's own generator (copied below), the same network with the same "
             f"initial weights, and trains it with a plain PyTorch loop on the same batches, {ends}.")
    query = "& ".join(f"{k}={quote(v, safe=',')}" for k, v in c.to_query().items())  # as in a URL
    wrap = dict(width=96, break_long_words=False, break_on_hyphens=False)
    return (f'"""{spec.title}: a {" -> ".join(map(str, c.sizes))} {c.activation} MLP trained '
            f"with {c.optimizer}, exported from MLP Playground.\n\n{textwrap.fill(about, **wrap)}"
            "\n\nPlayground settings (the page's URL parameters):\n"
            + textwrap.fill(query or "(all defaults)", initial_indent="    ",
                            subsequent_indent="    ", **wrap).replace("& ", "&")
            + '\nRun it with: python script.py\n"""\n\n')


def _settings(c: Config) -> str:
    spec = datasets.DATASETS[c.dataset]
    rows = [("N_SAMPLES", min(c.n_samples, spec.max_samples or c.n_samples),
             "points in all, train and test together"), ("NOISE", c.noise, ""),
            ("TEST_FRACTION", c.test_fraction, "share held out for testing"),
            ("TF_SEED", c.tf_seed, "TF Playground's seed: its very points, in its order")
            if c.tf_seed else ("DATA_SEED", c.data_seed, "seed of the data")]
    rows += [("N_CLASSES", c.n_classes, "")] if spec.uses_n_classes else []
    rows += [("FEATURES", list(c.features), "the network's inputs")] if spec.dim == 2 else []
    rows += [("HIDDEN", list(c.hidden), "neurons per hidden layer"), ("LR", c.lr, "learning rate")]
    rows += [(name.upper(), getattr(c, name), "") for name, used in (
        ("momentum", "momentum" in optim.OPTIMIZERS[c.optimizer].knobs), ("dropout", c.dropout > 0),
        ("weight_decay", c.weight_decay > 0), ("l1", c.l1 > 0), ("clip", c.clip > 0),
        ("step_size", c.schedule != "none"), ("gamma", c.schedule != "none")) if used]
    rows += [("BATCH_SIZE", c.batch_size, ""), ("EPOCHS", c.epochs, "")]
    rows += [("PATIENCE", c.patience, "early stopping: epochs without a better test loss")
             ] if c.patience else []
    rows += [("SEED", c.seed, "seed of the initial weights and of the batch order")]
    rows += [("DTYPE", _Raw("torch.float64"), "float64: JavaScript's numbers, as TF Playground "
              "computes")] if c.precision == "float64" else [("DTYPE", _Raw("torch.float32"), "")]
    if c.device == "auto" and flops_per_step(c) >= AUTO_CUDA_FLOPS:
        device = '"cuda" if torch.cuda.is_available() else "cpu"  # big enough to gain from a GPU'
    else:
        device = '"cuda"' if c.device == "cuda" else '"cpu"  # small networks train faster on the CPU'
    lines = [f"{name} = {_py(value)}" + (f"  # {note}" if note else "") for name, value, note in rows]
    return _section("Settings (change them and run again)") + "\n".join(lines) + f"\nDEVICE = {device}"


class _Raw(str):
    """A setting's value written as code, not as a literal."""


def _section(title: str) -> str:
    return f"# ---- {title} " + "-" * max(4, 88 - len(title)) + "\n"


def _py(value: object) -> str:
    """A setting as Python source, strings in double quotes."""
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_py, value)) + "]"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


# ---- The script's body: a template, and the pieces that vary ---------------------------------

_BODY = Template('''$data_title$generator


$draw
n_test = max(1, round(N_SAMPLES * TEST_FRACTION))
n_train = N_SAMPLES - n_test
X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]


''' + _section("Features & standardization") + '''$features
$standardize


def inputs(X):
    Z = (features(X) - mean) / std  # in float64, then in DTYPE
    return torch.as_tensor(Z, dtype=DTYPE, device=DEVICE)


def targets(y):
    return $target


X_train, Y_train = inputs(X_train), targets(y_train)
X_test, Y_test = inputs(X_test), targets(y_test)


''' + _section("Model: an nn.Sequential, initialised as the playground does") + '''${model_notes}\
layers, width = [], X_train.shape[1]
for h in HIDDEN:
    layers += [$layer]
    width = h
layers.append(nn.Linear(width, $n_out))  # the head: $head
model = nn.Sequential(*layers).to(DTYPE)


$init_code
model.to(DEVICE)


''' + _section("Loss") + '''def loss_fn(out, y):  # $loss_note
    return $loss


''' + _section("Optimizer") + '''$optimizer


''' + _section("Evaluation: the whole train and test sets after every epoch") + '''\
def measure(out, Y):
    """The loss$what_metrics on one whole set."""
$err    return {
        "loss": loss_fn(out, Y).item(),
        $metrics,
    }


def evaluate():
    """Metrics of the train and test sets, in eval mode."""
    model.eval()$eval_note
    with torch.no_grad():
        train, test = measure(model(X_train), Y_train), measure(model(X_test), Y_test)
    model.train()
    return {f"{split}_{k}": m[k] for k in train for split, m in (("train", train), ("test", test))}


''' + _section("Training: a plain PyTorch loop over mini-batches") + '''\
$order_setup${clamp_setup}print_every = max(1, EPOCHS // 10)
${early_setup}for epoch in range(1, EPOCHS + 1):
$schedule$batches
$skip        loss = loss_fn(model(xb), yb)
$l1        optimizer.zero_grad()
        loss.backward()
$clip$clamp_before        optimizer.step()
$clamp_after
    metrics = evaluate()
    if not all(math.isfinite(v) for v in metrics.values()):
        raise SystemExit(f"Training diverged in epoch {epoch}: try a smaller learning rate.")
    if epoch % print_every == 0:
        print(f"epoch {epoch:5d}  " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
$early
print(f"final: epoch {epoch} " + " ".join(f"{k} {v:.6f}" for k, v in metrics.items()))
''')


def _data(c: Config, imports: set[str]) -> dict[str, str]:
    spec = datasets.DATASETS[c.dataset]
    if spec.dim == 2:
        features = ("FEATURE_MAP = {  # each input as a function of the raw points (n, 2)\n"
                    f"{_feature_lambdas()}\n}}\n\n\n"
                    "def features(X):  # raw points (n, 2) -> inputs (n, n_features), float64\n"
                    "    return np.stack([FEATURE_MAP[f](X) for f in FEATURES], axis=1)"
                    ".astype(np.float64)\n")
    else:
        features = ("def features(X):  # no feature map for data that is not 2-D\n"
                    "    return np.asarray(X, dtype=np.float64)\n")
    standardize = ("\n# mean 0, std 1 per input, measured on the training set only\n"
                   "mean, std = features(X_train).mean(axis=0), features(X_train).std(axis=0)\n"
                   "std = np.where(std > 1e-12, std, 1.0)  # constant inputs (e.g. blank pixels)"
                   if c.standardize else "\nmean, std = 0.0, 1.0  # standardization is off")
    target = ("torch.as_tensor(y, dtype=torch.long, device=DEVICE)  # class indices (n,)"
              if c.task == "multiclass" else
              "torch.as_tensor(y, dtype=DTYPE, device=DEVICE).reshape(-1, 1)  # (n, 1)")
    return dict(**_draw(c, imports), features=features, standardize=standardize, target=target)


def _draw(c: Config, imports: set[str]) -> dict[str, str]:
    """The points: the playground's generator and shuffle, or TF Playground's for its seed."""
    spec = datasets.DATASETS[c.dataset]
    if c.tf_seed:
        labels = ("y = (labels > 0).astype(np.int64)  # TF Playground's classes +1/-1 as 1/0"
                  if spec.task == "binary" else "y = labels  # the regression targets")
        return dict(data_title=_section("Data: TF Playground's own generator (copied from "
                                        "playground/tfplayground.py)"),
                    generator=_embed(tfplayground, ["draw"], imports),
                    draw=f"# TF Playground's points for its seed, shuffled as it shuffles them\n"
                         f"X, labels, tf_stream = draw({c.dataset!r}, N_SAMPLES, NOISE, TF_SEED)"
                         f"\n{labels}")
    what = {"binary": "labels 0/1", "multiclass": "class indices", "regression": "targets"}
    k = "N_CLASSES" if spec.uses_n_classes else "k=None"
    return dict(data_title=_section("Data: the playground's generator (copied from "
                                    "playground/datasets.py)"),
                generator=_embed(datasets, [spec.make.__name__], imports),
                draw="rng = np.random.default_rng(DATA_SEED)  # the data's only source of "
                     f"randomness\nX, y = {spec.make.__name__}(N_SAMPLES, NOISE, rng, {k})  # X "
                     f"(n, {spec.dim}) raw points, y (n,) {what[spec.task]}\n"
                     "order = rng.permutation(N_SAMPLES)  # shuffle, then the first share "
                     "trains\nX, y = X[order], y[order]")


def _network(c: Config, imports: set[str]) -> dict[str, str]:
    act = ACTIVATIONS[c.activation]
    if getattr(model.nn, act.module.__name__, None) is not act.module:
        raise ValueError(f"cannot export activation {c.activation!r}: not a torch.nn module")
    layer = [f"nn.Linear(width, h{', bias=False' if c.batchnorm else ''})"]
    layer += ["nn.BatchNorm1d(h)"] if c.batchnorm else []
    layer += [f"nn.{act.module.__name__}()"] + (["nn.Dropout(DROPOUT)"] if c.dropout else [])
    notes = ["# Batch norm subtracts the batch mean, so the Linear before it needs no bias.\n"
             ] if c.batchnorm else []
    if c.dropout and c.hidden:
        notes.append("# Dropout draws its masks from torch's global generator, not from the "
                     "playground's\n# batch-order generator, so results differ slightly from the "
                     "playground's.\ntorch.manual_seed(SEED)\n")
    if flops_per_step(c) < AUTO_CUDA_FLOPS:
        notes.append('if DEVICE == "cpu":\n    torch.set_num_threads(1)  # tiny tensors: one '
                     "thread is faster, and rounds alike\n")
    return dict(model_notes="".join(notes), layer=", ".join(layer), n_out=str(c.n_outputs),
                head=HEADS[c.task][1], init_code=_init_code(c, act.gain, imports))


def _init_code(c: Config, gain: str, imports: set[str]) -> str:
    if c.init == "tfplayground" and c.tf_seed:
        source = _embed(tfplayground, ["draw_layers"], imports)
        return (f"# TF Playground's initial weights (copied from playground/tfplayground.py): its "
                f"stream goes on\n# from the points to every weight, node by node.\n{source}\n\n\n"
                "linears = [m for m in model if isinstance(m, nn.Linear)]\n"
                "sizes = [linears[0].in_features] + [m.out_features for m in linears]\n"
                "with torch.no_grad():\n"
                "    for layer, (W, b) in zip(linears, draw_layers(tf_stream, sizes)):\n"
                "        layer.weight.copy_(torch.from_numpy(W))\n"
                "        layer.bias.copy_(torch.from_numpy(b))")
    init = model.INITS[c.init].fill
    return (f'# The playground\'s "{c.init}" initialisation (copied from playground/nn/model.py)\n'
            f"{_embed(model, [init.__name__], imports)}\n\n\n"
            "# One generator seeded with SEED draws every initial weight, layer by layer, as the "
            "playground does.\n"
            "init_generator = torch.Generator().manual_seed(SEED)\n"
            "linears = [m for m in model if isinstance(m, nn.Linear)]\n"
            "with torch.no_grad():\n"
            "    for i, layer in enumerate(linears):\n"
            f'        gain = nn.init.calculate_gain("{gain}") if i < len(linears) - 1 else 1.0  '
            "# head: 1\n"
            "        bias = layer.bias if layer.bias is not None else torch.empty(0)  # no bias "
            "before batch norm\n"
            f"        {init.__name__}(layer.weight, bias, gain, init_generator)")


def loss_expression(loss: str, task: str) -> tuple[str, str]:
    """(comment, expression of `out` and `y`) computing the library's mean loss."""
    entry = resolve_loss(loss, task)
    if task not in entry.export:
        raise ValueError(f"cannot export loss {loss!r} for a {task} task")
    return entry.export[task]


def _loss(c: Config) -> dict[str, str]:
    note, expression = loss_expression(c.loss, c.task)
    return dict(loss_note=note, loss=expression)


def _optimizer(c: Config, imports: set[str]) -> dict[str, str]:
    spec = optim.OPTIMIZERS[c.optimizer]
    kind, args = spec.torch, spec.torch_args
    if not isinstance(getattr(torch.optim, kind or "-", None), type):
        raise ValueError(f"cannot export optimizer {c.optimizer!r}: no torch.optim equivalent known")
    lines = ["weights = [m.weight for m in model if isinstance(m, nn.Linear)]  # no biases"
             ] if c.weight_decay or c.l1 else []
    if c.weight_decay:
        decoupled = "; AdamW shrinks them\n# directly (decoupled), not through the gradient"
        lines += ["others = [p for p in model.parameters() if all(p is not w for w in weights)]",
                  "# Weight decay applies to the Linear weights only, as in the playground"
                  + (decoupled if c.optimizer == "adamw" else "") + ".",
                  'groups = [{"params": weights, "weight_decay": WEIGHT_DECAY},\n'
                  '          {"params": others, "weight_decay": 0.0}]',
                  f"optimizer = torch.optim.{kind}(groups, lr=LR{args})"]
    else:
        args += ", weight_decay=0.0)  # AdamW's own default is 0.01" if c.optimizer == "adamw" else ")"
        lines += [f"optimizer = torch.optim.{kind}(model.parameters(), lr=LR{args}"]
    if c.schedule != "none":
        fn = optim.SCHEDULES[c.schedule].factor.__name__
        source = _embed(optim, [fn], imports).replace(f"def {fn}(", "def lr_factor(")
        lines += ["", "", f'# The "{c.schedule}" schedule (copied from playground/nn/optim.py): '
                  "epoch -> multiplier of LR", source]
    return dict(optimizer="\n".join(lines))


def _training(c: Config) -> dict[str, str]:
    def when(flag: object, text: str) -> str:
        return text if flag else ""

    notes = [when(c.dropout, "no dropout"), when(c.batchnorm, "batch norm uses its running means")]
    notes = [n for n in notes if n]
    names = [METRICS[m] for m in TASK_METRICS[c.task]]
    code = [f'"{m.name}": {m.export[c.task]}' for m in names]
    return dict(
        what_metrics=", ".join(["", *(m.label for m in names[:-1])]) + f" and {names[-1].label}",
        err=when(any("err" in line for line in code), "    err = torch.sum((out - Y) ** 2)\n"),
        metrics=",\n        ".join(code), eval_note=when(notes, f"  # {'; '.join(notes)}"),
        schedule=when(c.schedule != "none",
                      "    for group in optimizer.param_groups:  # the learning rate of this epoch\n"
                      '        group["lr"] = LR * lr_factor(epoch - 1, EPOCHS, STEP_SIZE, GAMMA)\n'),
        skip=when(c.batchnorm, "        if n_train - start == 1:  # batch norm cannot normalise "
                               "one point\n            break\n"),
        l1=when(c.l1 and not c.l1_clamp,
                "        loss = loss + L1 * sum(w.abs().sum() for w in weights)  # L1 penalty\n"),
        **_order(c), **_clamp(c),
        clip=when(c.clip, "        nn.utils.clip_grad_norm_(model.parameters(), CLIP)  # rescale "
                          "to norm <= CLIP\n"),
        early_setup=when(c.patience, _EARLY_SETUP), early=when(c.patience, _EARLY))


def _order(c: Config) -> dict[str, str]:
    if c.order == "fixed":
        return dict(
            order_setup="# TF Playground's order: the training points in one fixed order every "
                        "epoch; the points left\n# after the last full batch wait, and join the "
                        "next epoch's first batch.\nbatch = min(BATCH_SIZE, n_train)\n"
                        "carried = 0  # points of the last epoch waiting for their step\n",
            batches="    left, waiting = n_train % batch, carried\n"
                    "    carried = left\n"
                    "    for start in range(0, n_train - left, batch):\n"
                    "        xb, yb = X_train[start:start + batch], Y_train[start:start + batch]\n"
                    "        if start == 0 and waiting:\n"
                    "            xb = torch.cat([X_train[n_train - waiting:], xb])\n"
                    "            yb = torch.cat([Y_train[n_train - waiting:], yb])")
    return dict(order_setup="batch_order = torch.Generator().manual_seed(SEED)  # the playground "
                            "shuffles with this generator\n",
                batches="    perm = torch.randperm(n_train, generator=batch_order).to(DEVICE)  "
                        "# a new order each epoch\n"
                        "    X_epoch, Y_epoch = X_train[perm], Y_train[perm]\n"
                        "    for start in range(0, n_train, BATCH_SIZE):\n"
                        "        xb, yb = X_epoch[start:start + BATCH_SIZE], "
                        "Y_epoch[start:start + BATCH_SIZE]")


def _clamp(c: Config) -> dict[str, str]:
    if not (c.l1 and c.l1_clamp):
        return dict(clamp_setup="", clamp_before="", clamp_after="")
    return dict(
        clamp_setup="# TF Playground's L1: a step of its own after the gradient's; a weight it "
                    "carries across zero\n# is set to 0 and frozen there.\n"
                    "frozen = [torch.zeros_like(w, dtype=torch.bool) for w in weights]\n",
        clamp_before="        with torch.no_grad():\n"
                     "            for w, f in zip(weights, frozen):\n"
                     "                f &= w == 0  # a frozen weight set by hand trains again\n"
                     "                w.grad.masked_fill_(f, 0.0)\n"
                     "            signs = [w.sign() for w in weights]  # before the step\n",
        clamp_after="        with torch.no_grad():\n"
                    "            step = optimizer.param_groups[0][\"lr\"] * L1\n"
                    "            for w, f, sign in zip(weights, frozen, signs):\n"
                    "                after = w - step * sign\n"
                    "                f |= w * after < 0  # crossed zero: frozen at 0\n"
                    "                w.copy_(after.masked_fill_(f, 0.0))\n")


# Early stopping, as the playground does it: the best epoch is the one with the lowest test loss
# (epoch 0 included); after PATIENCE epochs without a new best, its weights are put back.
_EARLY_SETUP = """\
best_loss, best_epoch = evaluate()["test_loss"], 0  # early stopping: the best epoch so far
best_state = copy.deepcopy(model.state_dict())
"""
_EARLY = """\
    if metrics["test_loss"] < best_loss:
        best_loss, best_epoch, best_state = metrics["test_loss"], epoch, copy.deepcopy(
            model.state_dict())
    elif epoch - best_epoch >= PATIENCE:
        print(f"early stop in epoch {epoch}: no better test loss since epoch {best_epoch}; "
              "its weights are put back")
        model.load_state_dict(best_state)
        epoch, metrics = best_epoch, evaluate()  # the final numbers are the best epoch's
        break
"""
