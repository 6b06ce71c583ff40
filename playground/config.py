"""The one Config: every knob with its default, limits and help, validated once, to and from URLs and JSON.

The class body below is the table. Each field's metadata (`knob(...)`) carries its group, help
sentence, allowed values or range; validation, `from_query`/`to_query`, JSON and the app's
sidebar all read it. Allowed names come from the registries (datasets, activations, inits,
losses, optimizers, schedules): validation reads the registry itself, so a name registered there
is valid everywhere, and `field_help` adds each option's own help to the field's.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, fields
from typing import Any

from . import tflink
from .datasets import DATASETS, FEATURES, UPLOAD_PREFIX, n_classes_of
from .nn.losses import LOSSES, auto_loss
from .nn.model import ACTIVATIONS, INITS, count_parameters, layer_sizes
from .nn.optim import OPTIMIZERS, SCHEDULES
from .scratch.adapter import unsupported
from .tfplayground import HALVES, TF_DATASETS

GROUPS = ("Data", "Network", "Training")
MAX_STEPS = 2_000_000  # optimizer steps in one run: about two minutes on a 2-core machine
MAX_WORK = 2e11  # training points x epochs x parameters in one run (multiply-adds / 3)
MAX_SETUP_BYTES = 20_000  # a set-up file: a Config's JSON is well under 2 KB
DEVICES = ("auto", "cpu", "cuda")
ENGINES = ("torch", "numpy")
ORDERS = ("shuffle", "fixed")
PRECISIONS = ("float32", "float64")


class ConfigError(ValueError):
    """A bad configuration: `errors` maps each bad field to what was given and what is allowed."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        lines = "\n".join(f"- {name}: {msg}" for name, msg in self.errors.items())
        super().__init__(f"invalid configuration:\n{lines}")


def knob(default: Any, group: str, help: str, *, choices: tuple | dict | None = None,
         lo: float | None = None, hi: float | None = None, max_len: int | None = None,
         log: bool = False, label: str | None = None) -> Any:
    """One field of the table. `choices` may be a registry (name -> record): the field then
    lists its names as they are now and accepts any name registered later."""
    registry = choices if isinstance(choices, dict) else None
    meta = dict(group=group, help=help, choices=None if choices is None else tuple(choices),
                registry=registry, lo=lo, hi=hi, max_len=max_len, log=log, label=label)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True)
class Config:
    # Data
    dataset: str = knob("circle", "Data", "The points to learn from: 2-D toy sets, 1-D curves, "
                        "or higher-dimensional data.", choices=DATASETS)
    n_samples: int = knob(500, "Data", "How many points to generate (train and test together).",
                          lo=10, hi=200_000, label="samples")
    noise: float = knob(0.0, "Data", "How much the data is blurred: more noise means overlapping "
                        "classes and noisier targets.", lo=0.0, hi=0.5)
    test_fraction: float = knob(0.5, "Data", "Share of the points held out to test the model; it "
                                "never trains on them.", lo=0.05, hi=0.9, label="test share")
    n_classes: int = knob(3, "Data", "Number of classes for the blobs and spirals data.", lo=2,
                          hi=10, label="classes")
    features: tuple[str, ...] = knob(("x1", "x2"), "Data", "Which functions of the two coordinates "
                                     "the network sees as inputs (2-D data only).",
                                     choices=tuple(FEATURES), max_len=len(FEATURES))
    standardize: bool = knob(True, "Data", "Rescale every input to mean 0 and standard deviation "
                             "1 on the training set, which makes learning rates comparable.")
    data_seed: int = knob(0, "Data", "Seed of the data: change it for a new sample of points.",
                          lo=0, hi=2**31 - 1)
    tf_seed: str = knob("", "Data", "A TensorFlow Playground seed, as in its links (e.g. 0.12345): "
                        "its six datasets then get its very points, in its order; empty for ours.",
                        max_len=64, label="TF Playground seed")
    # Network
    hidden: tuple[int, ...] = knob((4, 2), "Network", "Neurons in each hidden layer, e.g. 8,8; "
                                   "empty for no hidden layer (a linear model).", lo=1, hi=512,
                                   max_len=8, label="hidden layers")
    activation: str = knob("tanh", "Network", "The non-linearity applied by every hidden neuron.",
                           choices=ACTIVATIONS)
    init: str = knob("default", "Network", "How the initial weights are drawn.",
                     choices=INITS, label="initialization")
    batchnorm: bool = knob(False, "Network", "Normalise each hidden layer's inputs over the batch "
                           "(BatchNorm1d) before the activation.", label="batch norm")
    dropout: float = knob(0.0, "Network", "Chance of switching off each hidden neuron on each "
                          "training step, to fight overfitting.", lo=0.0, hi=0.9)
    # Training
    loss: str = knob("auto", "Training", "What training minimises: how wrong the outputs are.",
                     choices=LOSSES)
    optimizer: str = knob("sgd", "Training", "The rule that turns gradients into weight updates.",
                          choices=OPTIMIZERS)
    lr: float = knob(0.03, "Training", "Learning rate: how big a step each update takes.",
                     lo=1e-5, hi=10.0, log=True, label="learning rate")
    momentum: float = knob(0.9, "Training", "How much of the previous step the momentum and "
                           "nesterov optimizers keep.", lo=0.0, hi=0.999)
    weight_decay: float = knob(0.0, "Training", "L2 penalty: pulls every weight towards zero in "
                               "proportion to its size.", lo=0.0, hi=1.0, label="L2 (weight decay)")
    l1: float = knob(0.0, "Training", "L1 penalty: pushes weights to exactly zero, keeping few.",
                     lo=0.0, hi=1.0, label="L1")
    l1_clamp: bool = knob(False, "Training", "TF Playground's L1 rule: the penalty takes its own "
                          "step after the gradient's, and a weight it pushes across zero is set "
                          "to 0 and frozen there for good.", label="L1 clamps at zero")
    schedule: str = knob("none", "Training", "How the learning rate changes over the epochs.",
                         choices=SCHEDULES, label="LR schedule")
    step_size: int = knob(50, "Training", "Epochs between learning-rate drops (step schedule).",
                          lo=1, hi=10_000)
    gamma: float = knob(0.5, "Training", "Factor applied at each drop (step schedule).", lo=0.01,
                        hi=1.0)
    clip: float = knob(0.0, "Training", "Largest allowed gradient norm; 0 turns clipping off.",
                       lo=0.0, hi=100.0, label="gradient clipping")
    batch_size: int = knob(10, "Training", "Points per update: 1 is pure SGD; the training-set "
                           "size or more is full-batch gradient descent.", lo=1, hi=200_000,
                           label="batch size")
    order: str = knob("shuffle", "Training", "The order of the training points: shuffle "
                      "reshuffles them every epoch; fixed keeps one order (TF Playground's), "
                      "and the points left over after the last full batch join the next "
                      "epoch's first batch.", choices=ORDERS, label="data order")
    epochs: int = knob(200, "Training", "Passes over the training set in one round of training.",
                       lo=1, hi=10_000)
    patience: int = knob(0, "Training", "Early stopping: stop once the test loss has not improved "
                         "for this many epochs and put back the best epoch's weights; 0 is off.",
                         lo=0, hi=1000, label="early-stopping patience")
    seed: int = knob(0, "Training", "Seed of the initial weights, the batch order and dropout.",
                     lo=0, hi=2**31 - 1)
    device: str = knob("auto", "Training", "Where to train: auto uses a GPU only when the network "
                       "and batch are big enough to gain from it.", choices=DEVICES)
    precision: str = knob("float32", "Training", "The float type of the weights, data and "
                          "arithmetic: float64 computes as JavaScript does (TF Playground's "
                          "very numbers), about as fast on these tiny networks.",
                          choices=PRECISIONS)
    engine: str = knob("torch", "Training", "Which code trains the network: PyTorch, or the NumPy "
                       "engine written from scratch (playground/scratch/mlp.py).", choices=ENGINES)

    def __post_init__(self):
        values, errors = {}, {}
        for f in fields(self):
            try:
                values[f.name] = _coerce(f, getattr(self, f.name))
            except ValueError as e:
                errors[f.name] = str(e)
        if errors:
            raise ConfigError(errors)
        for name, value in values.items():
            object.__setattr__(self, name, value)
        errors = _check_together(self)
        if errors:
            raise ConfigError(errors)

    # Derived facts the rest of the library reads
    @property
    def task(self) -> str:
        return DATASETS[self.dataset].task

    @property
    def resolved_loss(self) -> str:
        return auto_loss(self.task) if self.loss == "auto" else self.loss

    @property
    def n_inputs(self) -> int:
        spec = DATASETS[self.dataset]
        return len(self.features) if spec.dim == 2 else spec.dim

    @property
    def n_outputs(self) -> int:
        k = n_classes_of(self.dataset, self.n_classes)
        return k if self.task == "multiclass" else 1

    @property
    def sizes(self) -> list[int]:
        return layer_sizes(self.n_inputs, self.hidden, self.n_outputs)

    @property
    def n_train(self) -> int:
        n = min(self.n_samples, DATASETS[self.dataset].max_samples or self.n_samples)
        return n - max(1, round(n * self.test_fraction))

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    def with_text(self, name: str, raw: str) -> Config:
        """This config with field `name` set from text in the URL syntax ("0.1", "8,8", "relu");
        ConfigError naming the field if the text or the result is not valid."""
        f = next((f for f in fields(self) if f.name == name), None)
        if f is None:
            raise ConfigError({name: "unknown parameter"})
        try:
            value = _coerce(f, _from_text(f, raw))
        except ValueError as e:
            raise ConfigError({name: str(e)}) from None
        return self.replace(**{name: value})

    # TensorFlow Playground's links (read and written by playground/tflink.py)
    @classmethod
    def from_tfplayground(cls, url_or_hash: str, rules: str = "tfplayground"
                          ) -> tuple[Config, list[tflink.Unmatched]]:
        """The set-up of a TF Playground link (its address, or what follows its '#'), and what in
        it has no counterpart here; ConfigError naming the link's parameter for anything wrong.
        `rules`: train under TF Playground's rules (its init, loss, data order, L1 clamp and
        float64: its very run, with the link's seed) or the playground's own ("playground")."""
        link = tflink.read(url_or_hash, rules)
        if link.errors:
            raise ConfigError(link.errors)
        try:
            return cls(**link.values), link.unmatched
        except ConfigError as e:
            raise ConfigError(tflink.explain(e.errors, link)) from None

    def to_tfplayground(self) -> tuple[str | None, list[str]]:
        """TF Playground's link for this set-up (None when it lacks the data) and, in words,
        what of the set-up the link cannot carry or TF Playground does differently."""
        return tflink.write(self)

    # URLs and JSON
    @classmethod
    def from_query(cls, params: dict[str, Any]) -> Config:
        """Strict: any unknown or bad parameter raises ConfigError naming it."""
        config, errors = cls.parse_query(params)
        if errors:
            raise ConfigError(errors)
        return config

    @classmethod
    def parse_query(cls, params: dict[str, Any]) -> tuple[Config, dict[str, str]]:
        """Lenient: bad parameters fall back to their defaults; returns the config and the errors."""
        known = {f.name: f for f in fields(cls)}
        values, errors = {}, {}
        for name, raw in params.items():
            if name not in known:
                errors[name] = "unknown parameter"
                continue
            try:
                value = _from_text(known[name], raw)
                _check_link_dataset(known[name], value)
                values[name] = _coerce(known[name], value)
            except ValueError as e:
                errors[name] = str(e)
        try:
            return cls(**values), errors
        except ConfigError as e:  # fields fine alone but not together: drop those fields
            errors.update(e.errors)
            kept = {k: v for k, v in values.items() if k not in e.errors}
            try:
                return cls(**kept), errors
            except ConfigError:
                return cls(), errors

    def to_query(self, full: bool = False) -> dict[str, str]:
        """Field name -> text; only fields that differ from the defaults unless `full`."""
        default = Config()
        return {f.name: _to_text(getattr(self, f.name)) for f in fields(self)
                if full or getattr(self, f.name) != getattr(default, f.name)}

    def to_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v)
                for f in fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Config:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError({"json": f"not valid JSON ({e.msg} at line {e.lineno}, column "
                                       f"{e.colno})"}) from None
        except RecursionError:
            raise ConfigError({"json": "not a set-up: its lists or objects are nested too "
                                       "deeply"}) from None
        except ValueError:  # Python refuses to read integers of more than 4,300 digits
            raise ConfigError({"json": "not a set-up: a number in it has thousands of "
                                       "digits"}) from None
        except TypeError:
            raise ConfigError({"json": "not text"}) from None
        if not isinstance(data, dict):
            raise ConfigError({"json": "expected an object of field names to values"})
        unknown = {k: "unknown field" for k in data if k not in FIELDS}
        if unknown:
            raise ConfigError(unknown)
        return cls(**data)


FIELDS: dict[str, dataclasses.Field] = {f.name: f for f in fields(Config)}


def field_help(name: str, values: dict[str, Any] | None = None) -> str:
    """A field's help with what depends on the set-up `values` (field -> value): for a choice
    of registry entries, each option's own help (a Markdown list; losses: those that fit the
    dataset's task); for noise, what it does to the chosen dataset."""
    meta, values = FIELDS[name].metadata, values or {}
    spec = DATASETS.get(values.get("dataset", ""))
    if name == "noise" and spec is not None:
        return f"{meta['help']} {spec.title}: noise {spec.noise_help}."
    if name == "dataset" or meta["registry"] is None:
        return meta["help"]  # a dataset's help is shown beside the data itself
    options = [n for n, entry in meta["registry"].items()
               if name != "loss" or spec is None or spec.task in entry.tasks]
    return meta["help"] + "\n\n" + "\n".join(f"- **{n}**: {meta['registry'][n].help}"
                                               for n in options)


def read_setup(raw: bytes) -> Config:
    """A set-up file's bytes (the JSON `Config.to_json` writes) -> Config, for the page and the
    command line alike. Anything else raises ConfigError saying what is wrong: too large, not
    UTF-8 text, not JSON, nested too deeply, unknown fields, bad values."""
    if len(raw) > MAX_SETUP_BYTES:
        raise ConfigError({"file": f"{len(raw):,} bytes is more than a set-up file holds "
                                   f"(at most {MAX_SETUP_BYTES:,})"})
    try:
        text = raw.decode("utf-8-sig")  # an editor's byte-order mark is fine
    except UnicodeDecodeError:
        raise ConfigError({"file": "not UTF-8 text, so not a saved set-up"}) from None
    return Config.from_json(text)


def said(value: Any) -> str:
    """A value as a message shows it, in words rather than Python's notation, and short:
    'abc', 600, 8, 8 (a list), an empty list, a list inside a list, a number with more than
    18 digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**18 else "a number with more than 18 digits"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:37]) + "…"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        if not value:
            return "an empty list"
        if any(isinstance(v, (list, tuple, dict)) for v in value):
            return "a list inside a list"
        text = ", ".join(said(v) for v in value[:8]) + (", …" if len(value) > 8 else "")
        return text if len(text) <= 60 else text[:59] + "…"
    if isinstance(value, dict):
        return "an object"
    return f"a value of type {type(value).__name__}"


def _describe_allowed(f: dataclasses.Field) -> str:
    m = f.metadata
    if f.type == "str" and not m["choices"]:
        return (f"text of at most {m['max_len']} printable characters, without spaces at either "
                "end, or nothing")
    if m["choices"] and f.type in ("str",):
        return "one of " + ", ".join(m["choices"])
    if m["choices"]:
        return "a comma-separated subset of " + ", ".join(m["choices"])
    if f.type == "bool":
        return "true or false"
    if f.type == "tuple[int, ...]":
        return f"up to {m['max_len']} comma-separated whole numbers from {m['lo']} to {m['hi']}"
    kind = "a whole number" if f.type == "int" else "a number"
    return f"{kind} from {m['lo']:g} to {m['hi']:g}"


def _coerce(f: dataclasses.Field, value: Any) -> Any:
    """Check one field's value alone and return it in its canonical type, or raise ValueError."""
    m = f.metadata
    bad = ValueError(f"{said(value)} is not allowed; expected {_describe_allowed(f)}")
    if f.type == "str" and not m["choices"]:
        if (not isinstance(value, str) or len(value) > m["max_len"] or not value.isprintable()
                or value != value.strip()):
            raise bad
        return value
    if f.type == "str":
        # The live registry where there is one (uploaded files join the datasets at run time).
        allowed = m["registry"] if m["registry"] is not None else m["choices"]
        if not isinstance(value, str) or value not in allowed:
            raise bad
        return value
    if f.type == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if f.type == "tuple[str, ...]":
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise bad
        if not value or not all(isinstance(v, str) and v in m["choices"] for v in value):
            raise bad
        if len(set(value)) != len(value):
            raise bad
        return tuple(k for k in m["choices"] if k in value)  # canonical order
    if f.type == "tuple[int, ...]":
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or len(value) > m["max_len"]:
            raise bad
        return tuple(_number(v, int, m["lo"], m["hi"], bad) for v in value)
    return _number(value, int if f.type == "int" else float, m["lo"], m["hi"], bad)


def _number(value: Any, kind: type, lo: float, hi: float, bad: ValueError) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad
    if isinstance(value, float) and not math.isfinite(value):
        raise bad  # (ints are exact at any size; float() of a huge one would overflow)
    if not lo <= value <= hi:
        raise bad
    if kind is int:
        if value != int(value):
            raise bad
        return int(value)
    return float(value)


def _check_link_dataset(f: dataclasses.Field, value: Any) -> None:
    """Links name built-in datasets only: uploaded data lives in one server's memory, for the
    session that uploaded it, and a link must mean the same thing wherever it is opened."""
    if (f.name == "dataset" and isinstance(value, str) and value not in f.metadata["choices"]
            and (value in DATASETS or value.startswith(UPLOAD_PREFIX))):
        raise ValueError(f"{said(value)} is data uploaded from a file, which links do not carry; "
                         "upload the file again")


def _from_text(f: dataclasses.Field, raw: Any) -> Any:
    """URL text -> a Python value of the field's kind (a list's first item if given several)."""
    if isinstance(raw, (list, tuple)) and f.type not in ("tuple[str, ...]", "tuple[int, ...]"):
        raw = raw[-1] if raw else ""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if f.type == "bool":
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        return text
    if f.type.startswith("tuple"):
        items = [t.strip() for t in text.split(",") if t.strip()]
        return [_parse_number(t) for t in items] if "int" in f.type else items
    if f.type in ("int", "float"):
        return _parse_number(text)
    return text


def _parse_number(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "e" not in text.lower() else number


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


def _check_together(c: Config) -> dict[str, str]:
    """Rules that involve more than one field."""
    errors: dict[str, str] = {}
    spec, loss = DATASETS[c.dataset], LOSSES[c.loss]
    if c.task not in loss.tasks:
        kinds = {"regression": "numbers (regression)", "binary": "two classes",
                 "multiclass": "several classes"}
        fits = [n for n, entry in LOSSES.items() if c.task in entry.tasks]
        errors["loss"] = (f"{c.loss!r} does not fit dataset {c.dataset!r}, whose targets are "
                          f"{kinds[c.task]}; use one of {', '.join(fits)}")
    if c.tf_seed and c.dataset not in TF_DATASETS:
        errors["tf_seed"] = (f"TF Playground has no dataset {c.dataset!r}, so its seed cannot "
                             f"draw it; use one of {', '.join(TF_DATASETS)} or no TF seed")
    elif c.tf_seed and c.dataset in HALVES and c.n_samples % 2:
        errors["n_samples"] = (f"TF Playground draws {c.dataset} in two equal halves, so its "
                               "seed needs an even number of samples")
    if spec.max_samples and c.n_samples > spec.max_samples:
        errors["n_samples"] = (f"{c.n_samples} is more than dataset {c.dataset!r} has; "
                               f"at most {spec.max_samples}")
    if c.batchnorm and c.batch_size == 1:
        errors["batch_size"] = "batch norm needs at least 2 points per batch; use 2 or more"
    if c.batchnorm and c.init == "tfplayground" and c.tf_seed:
        errors["init"] = ("TF Playground's initial weights come with its network, which has no "
                          "batch norm; turn batch norm off or choose another initialization")
    if c.engine == "numpy":
        errors.update(unsupported(c.activation, c.resolved_loss, c.optimizer, c.batchnorm,
                                  c.dropout, c.device))
    if c.device == "cuda" and "device" not in errors:
        import torch

        if not torch.cuda.is_available():
            errors["device"] = "'cuda' was asked for but this machine has no CUDA GPU; use auto or cpu"
    errors.update(_check_budget(c))
    return errors


def cost(c: Config) -> tuple[int, float]:
    """What a run of `c` costs: optimizer steps, and training points x epochs x parameters (the
    two budgets MAX_STEPS and MAX_WORK bound)."""
    steps = math.ceil(c.n_train / min(c.batch_size, c.n_train)) * c.epochs
    return steps, float(c.n_train * c.epochs * count_parameters(c.sizes, c.batchnorm))


def _check_budget(c: Config) -> dict[str, str]:
    if c.n_train < 2:
        return {"test_fraction": "leaves fewer than 2 training points; lower it or add samples"}
    steps, work = cost(c)
    if steps > MAX_STEPS:
        msg = (f"{steps:,} optimizer steps is more than the limit of {MAX_STEPS:,}; use fewer "
               "epochs, fewer samples or a larger batch")
        return {"epochs": msg, "batch_size": msg}
    if work > MAX_WORK:
        msg = (f"this run would cost {work:.2g} point-epoch-weights, more than the limit of "
               f"{MAX_WORK:.0g}; use fewer epochs, samples or neurons")
        return {"epochs": msg, "hidden": msg}
    return {}
