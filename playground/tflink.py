"""TensorFlow Playground links: read one into the playground's settings, and write one back.

A link keeps its settings after the '#': `name=value` pairs joined by '&', read by its
`state.ts` with JavaScript's rules (numbers with `+value`, a switch is on unless it says
"false", a parameter missing or blank keeps its default). `read` reads them the same way,
starting from TF Playground's own defaults, and maps each to the matching Config field:

    activation -> activation (linear is identity)     learningRate -> lr
    batchSize -> batch_size                            noise (0-50) -> noise / 100
    problem, dataset, regDataset -> dataset            networkShape -> hidden
    percTrainData -> test_fraction (same split)        seed -> tf_seed (its very points)
    x, y, xSquared, ySquared, xTimesY, sinX, sinY -> features x1, x2, x1sq, x2sq, x1x2, ...
    regularization, regularizationRate -> l1 or weight_decay (the same rate)
    initZero -> init "zeros"

TF Playground steps each weight by the batch's mean gradient and then by lr x rate x the
penalty's derivative at the weight before the step: for L2 exactly the playground's coupled
weight decay with coefficient `rate`. Its inputs are never standardized, it trains by plain SGD,
on 500 points (1,200 for regression).

Its training rules (`TF_RULES`) are Config fields too, and a link opens with them by default
(`rules="tfplayground"`): its initial weights (init "tfplayground", drawn from the link's seed),
its tanh output and ½(o − t)² loss ("square"), its fixed data order with the leftover points
carried into the next epoch, its L1 clamp, and float64 arithmetic as in JavaScript. Under them
the playground follows TF Playground's very run, epoch after epoch (tests/test_tfrules.py).
`rules="playground"` keeps the playground's own rules, and says what then differs.
What has no counterpart is returned as `Unmatched` records, each in words, never dropped.

No import of `config`: `Config.from_tfplayground` and `Config.to_tfplayground` call in here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .tfplayground import TF_DATASETS, TF_SAMPLES

URL = "https://playground.tensorflow.org/"
ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "linear": "identity"}
INPUTS = {"x": "x1", "y": "x2", "xSquared": "x1sq", "ySquared": "x2sq", "xTimesY": "x1x2",
          "sinX": "sin_x1", "sinY": "sin_x2"}  # TF Playground's input order, which is ours
_CHOICES = {"activation": tuple(ACTIVATIONS), "regularization": ("none", "L1", "L2"),
            "dataset": ("circle", "xor", "gauss", "spiral"), "regDataset": ("reg-plane", "reg-gauss"),
            "problem": ("classification", "regression")}
# state.ts's PROPS, in the order it writes them: (name, kind, default)
PROPS = (
    ("activation", "choice", "tanh"), ("regularization", "choice", "none"),
    ("batchSize", "number", 10), ("dataset", "choice", "circle"),
    ("regDataset", "choice", "reg-plane"), ("learningRate", "number", 0.03),
    ("regularizationRate", "number", 0), ("noise", "number", 0),
    ("networkShape", "numbers", (4, 2)), ("seed", "text", None),
    ("showTestData", "switch", False), ("discretize", "switch", False),
    ("percTrainData", "number", 50), ("x", "switch", True), ("y", "switch", True),
    ("xTimesY", "switch", False), ("xSquared", "switch", False), ("ySquared", "switch", False),
    ("cosX", "switch", False), ("sinX", "switch", False), ("cosY", "switch", False),
    ("sinY", "switch", False), ("collectStats", "switch", False), ("tutorial", "text", None),
    ("problem", "choice", "classification"), ("initZero", "switch", False),
    ("hideText", "switch", False),
)
_KINDS = {name: kind for name, kind, _ in PROPS}
_DEFAULTS = {name: default for name, _, default in PROPS}
# Config field -> the link parameter it comes from, to name it in messages
SOURCES = {"dataset": "dataset", "n_samples": "problem", "noise": "noise",
           "test_fraction": "percTrainData", "features": "x", "tf_seed": "seed",
           "hidden": "networkShape", "activation": "activation", "lr": "learningRate",
           "batch_size": "batchSize", "weight_decay": "regularizationRate",
           "l1": "regularizationRate"}


@dataclass(frozen=True)
class Unmatched:
    """Something in a TF Playground link, or in its run, that the playground does not match.

    kind: "rule" (how TF Playground trains: its output and loss, initial weights, data order,
    L1 clamp), "view" (how its page looks), "data" (its points cannot be reproduced),
    "unused" (TF Playground itself ignores it) or "unknown" (no TF Playground parameter).
    """

    param: str  # the parameter's name in the link
    value: str  # its text in the link ("" when the link leaves it out)
    kind: str
    text: str  # what differs, in words

    def __str__(self) -> str:
        shown = f"{self.param}={self.value}" if self.value else self.param
        return f"{shown}: {self.text}"


@dataclass(frozen=True)
class Link:
    """A read link: Config field values, what has no counterpart, and the errors by parameter."""

    values: dict[str, Any]
    unmatched: list[Unmatched]
    errors: dict[str, str]
    raw: dict[str, str | None]  # parameter -> its text in the link


# ---- JavaScript's way with numbers -----------------------------------------------------------
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_PREFIXED = re.compile(r"0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+")


def js_number(text: str) -> float:
    """JavaScript's `+text`: blank is 0, "0x1f" and "Infinity" are numbers, the rest NaN."""
    t = text.strip()
    if not t:
        return 0.0
    if _DECIMAL.fullmatch(t):
        return float(t)
    if _PREFIXED.fullmatch(t):
        return float(int(t, 0))
    return {"Infinity": math.inf, "+Infinity": math.inf, "-Infinity": -math.inf}.get(t, math.nan)


def js_text(x: float) -> str:
    """A finite number as JavaScript writes it: the shortest digits that read back the same, in
    fixed notation from 1e-6 up to 1e21."""
    if x == int(x) and abs(x) < 1e21:
        return str(int(x))
    if 1e-6 <= abs(x) < 1e21:
        return format(Decimal(repr(x)), "f")
    mantissa, exponent = repr(x).split("e")
    return f"{mantissa}e{int(exponent):+d}"


def _tidy(x: float) -> float:
    return float(f"{x:.12g}")  # drop float noise such as 0.003 / 10 = 0.00030000000000000003


# ---- Reading a link --------------------------------------------------------------------------

def _pairs(text: str) -> dict[str, str | None]:
    """The link's parameters as state.ts splits them (the last of a repeated name wins)."""
    text = text.strip()
    if not text:
        raise ValueError("nothing was given; paste a TensorFlow Playground link")
    if "#" in text:
        text = text.split("#", 1)[1]
    elif "://" in text or text.startswith("www."):
        if "playground.tensorflow.org" not in text.split("?")[0]:
            raise ValueError("this is not a TensorFlow Playground link: its settings come after "
                             "a '#' in playground.tensorflow.org/#...")
        text = ""  # TF Playground's own page with no settings: all its defaults
    pairs: dict[str, str | None] = {}
    for item in text.split("&"):
        name, *rest = item.split("=")
        if name:
            pairs[name] = rest[0] if rest else None
    known = [n for n in pairs if n in _KINDS or n.endswith("_hide")]
    if pairs and not known:
        raise ValueError("none of its parameters is a TensorFlow Playground setting (such as "
                         "activation, learningRate or networkShape)")
    return pairs


def _read_value(name: str, raw: str | None) -> Any:
    kind = _KINDS[name]
    if kind == "numbers":  # TF reads the list even when blank: no hidden layer
        if raw is None:
            raise ValueError("has no value; expected comma-separated layer sizes such as 4,2")
        numbers = [js_number(t) for t in raw.split(",")] if raw.strip() else []
        if any(math.isnan(v) for v in numbers):
            raise ValueError(f"{raw!r} is not a list of numbers; expected e.g. 4,2")
        return tuple(numbers)
    if kind == "choice" and raw not in _CHOICES[name]:
        raise ValueError(f"{raw!r} is not one TF Playground knows; expected one of "
                         + ", ".join(_CHOICES[name]))
    if kind == "number" and math.isnan(js_number(raw)):
        raise ValueError(f"{raw!r} is not a number")
    return {"number": js_number, "switch": lambda t: t != "false"}.get(kind, str)(raw)


def _state(pairs: dict[str, str | None]) -> tuple[dict[str, Any], dict[str, str]]:
    """TF Playground's settings for these parameters: its defaults, then the link's values."""
    state, errors = dict(_DEFAULTS), {}
    for name, kind, _ in PROPS:
        raw = pairs.get(name)
        given = name in pairs if kind == "numbers" else raw is not None and raw.strip() != ""
        if given:
            try:
                state[name] = _read_value(name, raw)
            except ValueError as e:
                errors[name] = str(e)
    if not any(state[k] for k in INPUTS) and not errors:
        errors["x"] = ("no input feature is on (x, y, xSquared, ySquared, xTimesY, sinX, sinY): "
                       "the network would have no inputs")
    return state, errors


def _test_share(n: int, perc: float) -> float:
    """The test share that splits n points where TF Playground does: floor(n * perc / 100)."""
    return (n - math.floor(n * perc / 100)) / n if math.isfinite(perc) else perc


RULES = ("tfplayground", "playground")
# TF Playground's training rules as Config values (the init is "zeros" for its initZero)
TF_RULES = {"init": "tfplayground", "loss": "square", "order": "fixed", "l1_clamp": True,
            "precision": "float64"}


def _values(s: dict[str, Any], rules: str) -> dict[str, Any]:
    n = TF_SAMPLES[s["problem"]]
    tf_name = s["regDataset"] if s["problem"] == "regression" else s["dataset"]
    batch = s["batchSize"]
    rate = s["regularizationRate"]
    own = {**TF_RULES, "init": "zeros" if s["initZero"] else "tfplayground"} \
        if rules == "tfplayground" else {}
    return dict(**own,
        dataset=next(ours for ours, theirs in TF_DATASETS.items() if theirs == tf_name),
        n_samples=n, noise=s["noise"] / 100, test_fraction=_test_share(n, s["percTrainData"]),
        features=tuple(ours for theirs, ours in INPUTS.items() if s[theirs]),
        standardize=False, tf_seed=s["seed"] or "", hidden=s["networkShape"],
        activation=ACTIVATIONS[s["activation"]], optimizer="sgd", lr=s["learningRate"],
        batch_size=batch, weight_decay=rate if s["regularization"] == "L2" else 0.0,
        l1=rate if s["regularization"] == "L1" else 0.0)


def read(text: str, rules: str = "tfplayground") -> Link:
    """Read a TF Playground link (a whole address, or what follows its '#'), to train under TF
    Playground's rules ("tfplayground") or the playground's own ("playground")."""
    if rules not in RULES:
        return Link({}, [], {"rules": f"{rules!r} is not one of {', '.join(RULES)}"}, {})
    try:
        pairs = _pairs(text)
    except ValueError as e:
        return Link({}, [], {"link": str(e)}, {})
    state, errors = _state(pairs)
    if errors:
        return Link({}, [], errors, pairs)
    return Link(_values(state, rules), _unmatched(pairs, state, rules), {}, pairs)


def explain(errors: dict[str, str], link: Link) -> dict[str, str]:
    """Config's errors for the values of a read link, keyed by the link parameter behind each."""
    out = {}
    for field, message in errors.items():
        param = SOURCES.get(field)
        if param is None:
            out[field] = message
            continue
        raw = link.raw.get(param)
        given = f"{param}={raw}" if raw is not None else f"TF Playground's default {param}"
        out[param] = f"{message} (the playground's {field}, from {given})"
    return out


def _unmatched(pairs: dict[str, str | None], s: dict[str, Any], rules: str) -> list[Unmatched]:
    notes: list[Unmatched] = []

    def add(param: str, kind: str, text: str) -> None:
        notes.append(Unmatched(param, pairs.get(param) or "", kind, text))

    if not s["seed"]:
        add("seed", "data", "the link has no seed: TF Playground draws new points (and initial "
            "weights) each time it opens it, so the playground draws its own")
    if rules == "playground":
        add("problem", "rule", _OUTPUT_RULE[s["problem"]])
        if s["initZero"]:
            add("initZero", "rule", "TF Playground starts every weight and bias at 0; the "
                "playground draws its own initial weights")
        elif s["seed"]:
            add("seed", "rule", "TF Playground's initial weights (uniform in ±0.5, biases 0.1, "
                "drawn from this seed after the points) are not used: the playground draws its "
                "own")
        add("batchSize", "rule", _ORDER_RULE)
        if s["regularization"] == "L1":
            add("regularization", "rule", _L1_RULE)
        add("problem", "rule", "TF Playground computes in float64 (JavaScript's numbers); the "
            "playground in float32")
    for param, on, text in _VIEWS:
        if bool(s[param]) == on:
            add(param, "view", text)
    for param in pairs:
        if param.endswith("_hide") and pairs[param] == "true":
            add(param, "view", f"TF Playground hides its {param[:-5]} control; the playground "
                "shows every setting")
    for param in ("cosX", "cosY"):
        if s[param]:
            add(param, "unused", "this version of TF Playground has no cos input, so the switch "
                "changes nothing there, nor here")
    other = "regDataset" if s["problem"] == "classification" else "dataset"
    if pairs.get(other) not in (None, _DEFAULTS[other]):
        add(other, "unused", f"TF Playground does not use it for {s['problem']}")
    for param in pairs:
        if param not in _KINDS and not param.endswith("_hide"):
            add(param, "unknown", "not a TF Playground setting: TF Playground ignores it, and so "
                "does the playground")
    return notes


_OUTPUT_RULE = {
    "classification": "TF Playground's output is a tanh unit trained on ½(o − t)² with targets "
                      "−1 and +1; the playground trains a logit on cross-entropy",
    "regression": "TF Playground's loss is ½(o − t)², half the playground's squared error, so "
                  "its steps are half as large"}
_ORDER_RULE = ("TF Playground visits the training points in one fixed order and carries an "
               "incomplete last batch into the next epoch; the playground reshuffles every epoch")
_L1_RULE = ("TF Playground sets a weight that L1 pushes across zero to exactly 0 and freezes it "
            "there; the playground's L1 does not")
_VIEWS = (  # (parameter, value that makes a difference, the difference)
    ("showTestData", False, "TF Playground hides the test points; the playground always shows "
                            "them, outlined"),
    ("discretize", True, "TF Playground shows its output in two colours only; the playground "
                         "shades it by confidence"),
    ("hideText", True, "TF Playground hides the text below its page; the playground has no "
                       "such switch"),
    ("collectStats", True, "TF Playground's statistics switch has no counterpart here"),
    ("tutorial", True, "TF Playground shows this tutorial beside its page; the playground has "
                       "its own lessons instead"),
)


# ---- Writing a link --------------------------------------------------------------------------



def write(c: Any) -> tuple[str | None, list[str]]:
    """TF Playground's link for Config `c`, and what of `c` it cannot express, in words. The
    link is None when TF Playground does not have `c`'s data at all."""
    if c.dataset not in TF_DATASETS:
        return None, [f"dataset {c.dataset}: TF Playground has only "
                      + ", ".join(TF_DATASETS) + "; it cannot show this data"]
    missing: list[str] = []
    state = dict(_DEFAULTS)
    state.update(_data_state(c, missing), **_network_state(c, missing))
    missing += _rules_missing(c)
    parts = []
    for name, kind, _ in PROPS:
        value = state[name]
        if value is None or (name == "regularization" and value == "none"):
            continue  # TF Playground leaves these out too
        text = {"numbers": lambda v: ",".join(js_text(x) for x in v), "number": js_text,
                "switch": lambda v: "true" if v else "false"}.get(kind, str)(value)
        parts.append(f"{name}={text}")
    return URL + "#" + "&".join(parts), missing


# What an address's '#' part carries unchanged, less the '&' and '=' that TF Playground splits on
_SAFE_SEED = re.compile(r"[A-Za-z0-9._~!$'()*+,;:@/?%-]+")


def _data_state(c: Any, missing: list[str]) -> dict[str, Any]:
    problem = "regression" if c.task == "regression" else "classification"
    n = TF_SAMPLES[problem]
    state: dict[str, Any] = {"problem": problem, "noise": _tidy(c.noise * 100),
                             "showTestData": True}
    state["regDataset" if problem == "regression" else "dataset"] = TF_DATASETS[c.dataset]
    state.update({theirs: ours in c.features for theirs, ours in INPUTS.items()})
    if c.n_samples != n:
        missing.append(f"samples {c.n_samples}: TF Playground always draws {n} points for "
                       f"{problem}")
    n_train = n - max(1, round(n * c.test_fraction))
    perc = _tidy(100 * n_train / n)
    state["percTrainData"] = perc
    if math.floor(n * perc / 100) != n_train:
        missing.append(f"test share {c.test_fraction:g}: TF Playground cannot split {n} points "
                       f"into {n_train} to train on")
    if c.tf_seed and _SAFE_SEED.fullmatch(c.tf_seed):
        state["seed"] = c.tf_seed
    elif c.tf_seed:
        missing.append("TF Playground seed: spaces, '&', '=', '#' and letters beyond ASCII do "
                       "not travel in its address unchanged, so the link leaves the seed out")
    else:
        missing.append("no TF Playground seed: TF Playground will draw other points; set one "
                       "to get the very same points in both")
    if c.standardize:
        missing.append("standardized inputs: TF Playground feeds its inputs as they are")
    return state


def _network_state(c: Any, missing: list[str]) -> dict[str, Any]:
    theirs = {ours: name for name, ours in ACTIVATIONS.items()}
    if c.activation not in theirs:
        missing.append(f"activation {c.activation}: TF Playground has only "
                       + ", ".join(ACTIVATIONS) + "; the link keeps tanh")
    if len(c.hidden) > 6 or any(h > 8 for h in c.hidden):
        missing.append("hidden layers: TF Playground's page offers at most 6 layers of 8 "
                       "neurons; it builds this network from the link, but cannot edit it")
    state = {"activation": theirs.get(c.activation, "tanh"), "networkShape": tuple(c.hidden),
             "learningRate": c.lr, "batchSize": c.batch_size}
    if c.l1 and c.weight_decay:
        missing.append("L1 and L2 together: TF Playground has one regularization at a time; "
                       "the link keeps L2")
    if c.weight_decay or c.l1:
        state["regularization"] = "L2" if c.weight_decay else "L1"
        state["regularizationRate"] = c.weight_decay or c.l1
    state["initZero"] = c.init == "zeros"
    return state


def _rules_missing(c: Any) -> list[str]:
    """What of `c`'s training TF Playground does differently, or cannot do at all."""
    found = [f"{label}: TF Playground has none" for label, on in (
        ("batch norm", c.batchnorm), (f"dropout {c.dropout:g}", c.dropout),
        (f"LR schedule {c.schedule}", c.schedule != "none"),
        (f"gradient clipping {c.clip:g}", c.clip), (f"early stopping {c.patience}", c.patience))
        if on]
    if c.optimizer != "sgd":
        found.append(f"optimizer {c.optimizer}: TF Playground trains with plain SGD")
    loss = c.resolved_loss
    if loss != "square" and c.task != "regression":
        found.append(f"loss {loss}: TF Playground's output is a tanh unit trained on ½(o − t)² "
                     "with targets −1 and +1 (the loss 'square')")
    elif loss != "square":
        found.append(f"loss {loss}: " + (_OUTPUT_RULE["regression"] if loss == "mse" else
                                         "TF Playground trains on ½(o − t)² (the loss 'square')"))
    if c.init not in ("tfplayground", "zeros"):
        found.append(f"initialization {c.init}: TF Playground draws every weight uniform in ±0.5 "
                     "and sets every bias to 0.1 (the initialization 'tfplayground')")
    if c.order != "fixed":
        found.append("data order: " + _ORDER_RULE + " (the data order 'fixed')")
    if c.l1 and not c.l1_clamp:
        found.append("L1: " + _L1_RULE + " (the switch 'L1 clamps at zero')")
    if c.precision != "float64":
        found.append(f"precision {c.precision}: TF Playground computes in float64, so the two "
                     "runs part after some epochs")
    return found
