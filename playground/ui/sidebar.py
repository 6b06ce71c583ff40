"""The sidebar: one widget per Config field, drawn from the field table, returning plain values."""

from __future__ import annotations

from typing import Any

import streamlit as st

from playground import DATASETS, FEATURES, FIELDS, GROUPS, LOSSES, Config, userdata
from playground.config import field_help
from playground.datasets import UPLOAD_PREFIX, DatasetSpec
from playground.nn.optim import OPTIMIZERS, SCHEDULES
from playground.ui.text import plain

MY_DATASETS = "my_datasets"  # session state: this session's uploads, name -> DatasetSpec
LR_STEPS = (1e-5, 3e-5, 1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
PENALTY_STEPS = (0.0, 1e-5, 1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def my_datasets() -> dict[str, DatasetSpec]:
    """This session's uploaded datasets, oldest first (ui/upload.py adds them)."""
    return st.session_state.setdefault(MY_DATASETS, {})


def _dataset_spec(name: str) -> DatasetSpec:
    # The session's own spec: the shared registry may hold another upload of the same bytes
    # under another file name.
    return my_datasets().get(name) or DATASETS[name]


LABELS = {"dataset": lambda name: _dataset_spec(name).title,
          "features": lambda k: FEATURES[k].label}


def key(name: str) -> str:
    return f"w_{name}"


# The set-up the sidebar shows lives in the session's own state, field -> widget value: Streamlit
# drops a widget's value in any run that does not draw it (features on 1-D data, momentum under
# Adam), and a widget that comes back would start empty or from an older value. `PENDING` names
# the widgets whose value must be fed from the set-up before they are drawn: hidden last time,
# or set by a callback (a link, Reset, a lesson, a loaded file, "Use the best").
SETUP, PENDING = "setup", "setup_pending"


def _setup() -> dict[str, Any]:
    return st.session_state.setdefault(SETUP, {})


def _pending() -> set[str]:
    return st.session_state.setdefault(PENDING, set())


def _widget_form(name: str, value: Any) -> Any:
    if name == "hidden":
        return ", ".join(map(str, value))
    return list(value) if name == "features" else value


def widget_value(cfg: Config, name: str) -> Any:
    return _widget_form(name, getattr(cfg, name))


def put_in_sidebar(values: dict[str, Any]) -> None:
    """Put Config values (field -> value) in the sidebar; call from a callback or before the
    sidebar is drawn."""
    setup, pending = _setup(), _pending()
    for name, value in values.items():
        setup[name] = _widget_form(name, value)
        pending.add(name)


def load_into_widgets(cfg: Config) -> None:
    """Show all of `cfg` in the sidebar (first visit, a lesson, a loaded set-up file)."""
    put_in_sidebar({name: getattr(cfg, name) for name in FIELDS})


def _shown(name: str, values: dict[str, Any]) -> bool:
    spec = DATASETS[values.get("dataset", "circle")]
    return {
        "noise": not spec.name.startswith(UPLOAD_PREFIX),  # a file's rows are what they are
        "n_classes": spec.uses_n_classes,
        "features": spec.dim == 2,
        "momentum": "momentum" in OPTIMIZERS[values.get("optimizer", "sgd")].knobs,
        "step_size": "step_size" in SCHEDULES[values.get("schedule", "none")].knobs,
        "gamma": "gamma" in SCHEDULES[values.get("schedule", "none")].knobs,
        "l1_clamp": bool(values.get("l1")),  # TF Playground's L1 rule: only with an L1 penalty
    }.get(name, True)


def field_label(name: str) -> str:
    text = FIELDS[name].metadata["label"] or name.replace("_", " ")
    return text[:1].upper() + text[1:]


def _steps_with(steps: tuple[float, ...], value: float) -> list[float]:
    return sorted({*steps, value})


def _loss_options(values: dict[str, Any]) -> list[str]:
    task = DATASETS[values["dataset"]].task
    return [n for n, loss in LOSSES.items() if task in loss.tasks]


def _dataset_options() -> list[str]:
    """The built-in datasets, then this session's uploads (never another session's)."""
    return [*FIELDS["dataset"].metadata["choices"], *my_datasets()]


def _samples_hi(values: dict[str, Any]) -> int:
    return int(DATASETS[values["dataset"]].max_samples or FIELDS["n_samples"].metadata["hi"])


def _fitted(name: str, value: Any, values: dict[str, Any]) -> Any:
    """What the widget can hold next to the fields above it: a loss that fits the data, a
    dataset this session offers (a set-up file may name someone's upload), no more samples
    than the dataset has."""
    if name == "loss":
        return value if value in _loss_options(values) else "auto"
    if name == "dataset":
        options = _dataset_options()
        return value if value in options else options[0]
    if name == "n_samples":
        return min(int(value), _samples_hi(values))
    return value


def _draw(name: str, values: dict[str, Any]) -> Any:
    """Feed the widget from the set-up when its own value may be gone, draw it, keep its value."""
    k, setup, pending = key(name), _setup(), _pending()
    current = setup[name] if name in pending or k not in st.session_state else st.session_state[k]
    value = _fitted(name, current, values)
    if name in pending or value != current:
        st.session_state[k] = value
    setup[name] = _widget(name, values)
    pending.discard(name)
    return setup[name]


def _widget(name: str, values: dict[str, Any]) -> Any:
    """One widget; its options and limits come from the field's metadata."""
    f, k = FIELDS[name], key(name)
    meta, label, help_text = f.metadata, field_label(name), field_help(name, values)
    if name == "loss":
        return st.selectbox(label, _loss_options(values), key=k, help=help_text)
    if name == "hidden":
        return st.text_input("Neurons per hidden layer", key=k, help=help_text,
                             placeholder="none: a linear model")
    if name == "dataset":
        return st.selectbox(label, _dataset_options(), key=k, format_func=LABELS["dataset"],
                            help=help_text + " Or bring your own CSV file: see 'Bring your own "
                            "data' below the charts.")
    if meta["choices"] and f.type == "str":
        fmt = LABELS.get(name, str)
        return st.selectbox(label, meta["choices"], key=k, help=help_text, format_func=fmt)
    if meta["choices"]:
        return st.multiselect(label, meta["choices"], key=k, help=help_text,
                              format_func=LABELS.get(name, str))
    if f.type == "bool":
        return st.toggle(label, key=k, help=help_text)
    if f.type == "str":  # free text, e.g. a TF Playground seed
        return st.text_input(label, key=k, help=help_text, max_chars=meta["max_len"])
    if name == "lr":
        return st.select_slider(label, _steps_with(LR_STEPS, st.session_state[k]), key=k,
                                help=help_text)
    if name in ("weight_decay", "l1"):
        return st.select_slider(label, _steps_with(PENALTY_STEPS, st.session_state[k]), key=k,
                                help=help_text)
    if f.type == "float":
        return st.slider(label, float(meta["lo"]), float(meta["hi"]), key=k, help=help_text,
                         step=0.01 if meta["hi"] <= 1 else 0.1)
    hi = _samples_hi(values) if name == "n_samples" else int(meta["hi"])
    return st.number_input(label, int(meta["lo"]), hi, key=k, help=help_text, step=1)


def _dataset_caption(name: str) -> str:
    if name in my_datasets():  # the file's name, columns and labels are the visitor's text
        return (plain(_dataset_spec(name).help) + " Your data stays in this browser session: "
                "share links do not carry it.")
    return DATASETS[name].help


def sidebar_ui() -> dict[str, Any]:
    """Draw every knob, grouped; return the values (hidden knobs keep the set-up's)."""
    for spec in my_datasets().values():
        userdata.register(spec)  # the shared registry holds uploads weakly: keep ours in it
    values: dict[str, Any] = {}
    for group in GROUPS:
        with st.sidebar.expander(group, expanded=True):
            for name, f in FIELDS.items():
                if f.metadata["group"] != group:
                    continue
                if _shown(name, values):
                    values[name] = _draw(name, values)
                    if name == "dataset":
                        st.caption(_dataset_caption(values[name]))
                else:
                    values[name] = _setup()[name]
                    _pending().add(name)  # Streamlit forgets the widget's value this run
    return values


def values_to_config(values: dict[str, Any]) -> Config:
    """Widget values -> Config (raises ConfigError); the hidden-layer text is parsed here."""
    values = dict(values)
    text = str(values["hidden"]).replace(" ", "")
    try:
        values["hidden"] = tuple(int(t) for t in text.split(",") if t)
    except ValueError:
        values["hidden"] = text  # let Config explain what it expects
    return Config(**values)
