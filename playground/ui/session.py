"""What one browser session remembers: the current Config, its live job (the Run the view shows),
the URL, pending notices."""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from playground import Config, ConfigError, Data, Run, budget, make_data
from playground.draw.frames import job_frame
from playground.schedule import LiveJob
from playground.train import LIVE_FIELDS, changed_fields
from playground.ui.sidebar import field_label, load_into_widgets, values_to_config

state = st.session_state


_LOG = logging.getLogger(__name__)


def host_profile() -> budget.Profile:
    """What this host allows (playground/budget.py): the profile the environment variable
    PLAYGROUND_PROFILE names, else `profile = "..."` in .streamlit/secrets.toml, else hosted."""
    name = os.environ.get(budget.ENV)
    if not name and st.secrets.load_if_toml_exists():
        name = st.secrets.get("profile")
    try:
        return budget.profile(str(name) if name else None)
    except ValueError as e:
        _LOG.warning("%s; using the hosted profile", e)
        return budget.PROFILES["hosted"]


def fitting(cfg: Config, errors: dict[str, str]) -> Config:
    """A link's set-up that fits the host: the fields it would have to change go back to their
    defaults (each noted in `errors`), or the whole default set-up when that is not enough."""
    too_much = budget.check_config(cfg, host_profile())
    if not too_much:
        return cfg
    default = Config()
    changed = {n: p for n, p in too_much.items() if getattr(cfg, n) != getattr(default, n)}
    errors.update(changed or {"link": next(iter(too_much.values()))})
    try:
        cfg = cfg.replace(**{name: getattr(default, name) for name in changed})
    except ConfigError:
        return default
    return default if budget.check_config(cfg, host_profile()) else cfg


def start() -> None:
    """First script run of a session: the config comes from the link, bad parameters noted."""
    if "cfg" in state:
        return
    cfg, errors = Config.parse_query(st.query_params.to_dict())
    cfg = fitting(cfg, errors)
    state.cfg, state.link_errors, state.config_errors = cfg, errors, {}
    state.job, state.notice = None, ""
    load_into_widgets(cfg)


def apply(values: dict[str, Any]) -> Config:
    """Make the widget values the current config if they are valid; otherwise keep the last one."""
    try:
        cfg = values_to_config(values)
    except ConfigError as e:
        state.config_errors = e.errors
        return state.cfg
    too_much = budget.check_config(cfg, host_profile())
    if too_much:
        state.config_errors = too_much
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
          n_classes: int, features: tuple[str, ...], standardize: bool, tf_seed: str) -> Data:
    return make_data(dataset, n_samples, noise, test_fraction, data_seed, n_classes=n_classes,
                     features=features, standardize=standardize, tf_seed=tf_seed)


def _new_run(cfg: Config) -> Run:
    data = _data(cfg.dataset, cfg.n_samples, cfg.noise, cfg.test_fraction, cfg.data_seed,
                 cfg.n_classes, cfg.features, cfg.standardize, cfg.tf_seed)
    run = Run(cfg, data)
    if data.dim <= 2 and data.box is not None:
        run.record_snapshots = True  # for the replay (bounded: at most ~60 small grids)
    run.record_path = True  # for the loss landscape (bounded: at most a few hundred copies)
    return run


def current_job(cfg: Config) -> LiveJob:
    """The session's live job, holding the Run for `cfg`: the same Run when only training
    settings changed (it carries on with them, even mid-run), else a new one."""
    job: LiveJob | None = state.job
    shown: Run | None = state.pop("pending_run", None)  # a trained run to look at (a lesson's)
    if job is not None and shown is not None and shown.config == cfg:
        job.replace(shown)
        return job
    if job is None:
        job = state.job = LiveJob(_new_run(cfg), job_frame, alive=session_alive())
        return job
    with job.lock:
        run = job.run
        if run.config == cfg:
            return job
        changed = changed_fields(run.config, cfg)
        if set(changed) <= LIVE_FIELDS:
            run.reconfigure(cfg)
            job.touched()
            return job
    state.notice = _reset_notice([n for n in changed if n not in LIVE_FIELDS], cfg)
    job.replace(_new_run(cfg))
    return job


def session_alive():
    """A test of whether this browser session is still open (True where there is no server)."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    session_id = ctx.session_id if ctx is not None else None

    def alive() -> bool:
        if session_id is None or not Runtime.exists():
            return True
        return Runtime.instance().is_active_session(session_id)

    return alive


def _reset_notice(changed: list[str], cfg: Config) -> str:
    if changed == ["seed"]:
        return f"New initial weights (seed {cfg.seed}): same data, training starts again."
    if changed == ["data_seed"]:
        return f"New sample of the data (data seed {cfg.data_seed}): the model starts again."
    if changed == ["tf_seed"] and cfg.tf_seed:  # the seed is a visitor's text: never Markdown
        return "New sample of the data (a new TF Playground seed): the model starts again."
    names = ", ".join(field_label(n).lower() for n in changed)
    return f"The model starts again because you changed: {names}."
