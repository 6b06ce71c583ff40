"""What one browser session remembers: the current Config, the Run, the URL, pending notices."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import streamlit as st

from playground import Config, ConfigError, Data, Run, make_data
from playground.train import LIVE_FIELDS, changed_fields
from playground.ui.sidebar import field_label, load_into_widgets, put_in_sidebar, values_to_config

state = st.session_state


def start() -> None:
    """First script run of a session: the config comes from the link, bad parameters noted."""
    if "cfg" in state:
        return
    cfg, errors = Config.parse_query(st.query_params.to_dict())
    state.cfg, state.link_errors, state.config_errors = cfg, errors, {}
    state.run, state.training, state.target, state.notice = None, False, 0, ""
    state.step_request = False
    load_into_widgets(cfg)


def apply(values: dict[str, Any]) -> Config:
    """Make the widget values the current config if they are valid; otherwise keep the last one."""
    try:
        cfg = values_to_config(values)
    except ConfigError as e:
        state.config_errors = e.errors
        return state.cfg
    state.config_errors = {}
    if cfg != state.cfg:
        state.cfg = cfg
    query = cfg.to_query()
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    return cfg


def share_link(cfg: Config) -> str:
    base = st.context.url or "http://localhost:8501/"
    query = urlencode(cfg.to_query())
    return f"{base}?{query}" if query else base


@st.cache_data(max_entries=64, show_spinner=False)
def _data(dataset: str, n_samples: int, noise: float, test_fraction: float, data_seed: int,
          n_classes: int, features: tuple[str, ...], standardize: bool) -> Data:
    return make_data(dataset, n_samples, noise, test_fraction, data_seed, n_classes=n_classes,
                     features=features, standardize=standardize)


def _new_run(cfg: Config) -> Run:
    data = _data(cfg.dataset, cfg.n_samples, cfg.noise, cfg.test_fraction, cfg.data_seed,
                 cfg.n_classes, cfg.features, cfg.standardize)
    run = Run(cfg, data)
    if data.dim <= 2 and data.box is not None:
        run.record_snapshots = True  # for the replay (bounded: at most ~60 small grids)
    return run


def current_run(cfg: Config) -> Run:
    """The session's Run for `cfg`: the same one when only training settings changed."""
    run: Run | None = state.run
    if run is None:
        run = _new_run(cfg)
    elif run.config != cfg:
        changed = changed_fields(run.config, cfg)
        if set(changed) <= LIVE_FIELDS:
            run.reconfigure(cfg)
        else:
            state.notice = _reset_notice([n for n in changed if n not in LIVE_FIELDS], cfg)
            state.training = False
            run = _new_run(cfg)
    state.run = run
    return run


def _reset_notice(changed: list[str], cfg: Config) -> str:
    if changed == ["seed"]:
        return f"New initial weights (seed {cfg.seed}): same data, training starts again."
    if changed == ["data_seed"]:
        return f"New sample of the data (data seed {cfg.data_seed}): the model starts again."
    names = ", ".join(field_label(n).lower() for n in changed)
    return f"The model starts again because you changed: {names}."


# ---- button callbacks: they run before the script, so they may set widget values ----------
def on_train() -> None:
    run: Run | None = state.run
    resuming = run is not None and run.status == "stopped" and run.epoch < state.target
    if run is not None and not resuming:
        state.target = run.epoch + state.cfg.epochs
    state.training = True


def on_stop() -> None:
    state.training = False


def on_step() -> None:
    state.training = False
    state.step_request = True


def on_reset() -> None:
    state.training = False
    put_in_sidebar({"seed": (state.cfg.seed + 1) % (2**31)})


def on_new_data() -> None:
    state.training = False
    put_in_sidebar({"data_seed": (state.cfg.data_seed + 1) % (2**31)})
