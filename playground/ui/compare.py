"""Compare runs: the session keeps its last runs; pin, overlay, see the config differences, A/B."""

from __future__ import annotations

import dataclasses
import itertools
import weakref

import pandas as pd
import streamlit as st

from playground import FIELDS, Config, ConfigError, Run, budget
from playground.compare import (
    X_AXES,
    RunRecord,
    config_diff,
    describe,
    diff_table,
    record_of,
    summary_table,
)
from playground.draw.plots import overlay
from playground.nn.losses import LOSSES, resolve_loss
from playground.nn.metrics import score
from playground.ui.live import train_scheduled
from playground.ui.plot import show
from playground.ui.session import host_profile
from playground.ui.sidebar import field_label
from playground.ui.text import plain

state = st.session_state
MAX_UNPINNED = 8  # the oldest unpinned run goes when a ninth arrives; pinned ones stay
MAX_PINNED = 12
_serial = itertools.count(1)


def _records() -> list[RunRecord]:
    return state.setdefault("kept_runs", [])


def _run_keys() -> weakref.WeakKeyDictionary:
    """This session's record key of each Run it kept (a Run that is gone drops out)."""
    return state.setdefault("run_keys", weakref.WeakKeyDictionary())


def _run_key(run: Run, key: str | None = None) -> str:
    """The key `run`'s record is kept under: `key` from now on if given, else its own."""
    keys = _run_keys()
    if key is not None or run not in keys:
        keys[run] = key or f"run{next(_serial)}"
    return keys[run]


def remember(run: Run, label: str | None = None, *, pinned: bool = False,
             key: str | None = None) -> None:
    """Keep a copy of `run`'s config and history in this session (updated if already kept;
    `key` names the record, so a run under an old record's key replaces it).

    Without a label the run is named after its set-up, renamed as its settings change."""
    records, key = _records(), _run_key(run, key)
    old = next((r for r in records if r.key == key), None)
    custom = state.setdefault("custom_labels", {})
    if label is not None:
        custom[key] = label
    number = old.label.split(" ", 1)[0] if old else f"#{_next_number()}"
    name = custom.get(key) or f"{number} {describe(run.config)}"
    record = record_of(run, key, name, pinned=pinned or (old is not None and old.pinned))
    if old is not None:
        records[records.index(old)] = record
    else:
        records.append(record)
        state.setdefault("shown_runs", set()).add(key)
    _trim(records)


def _changed_since_kept(run: Run) -> bool:
    """Whether `run` trained since it was last kept (a live setting change alone is no news)."""
    key = _run_keys().get(run)
    old = next((r for r in _records() if r.key == key), None)
    return old is None or old.history["epoch"][-1] != run.epoch or old.status != run.status


def _next_number() -> int:
    state.run_number = state.get("run_number", 0) + 1
    return state.run_number


def _trim(records: list[RunRecord]) -> None:
    """Keep at most MAX_PINNED pinned runs (the oldest pins lapse: A/B and lessons pin their
    runs) and MAX_UNPINNED others (the oldest go)."""
    pinned = [i for i, r in enumerate(records) if r.pinned]
    for i in pinned[:max(0, len(pinned) - MAX_PINNED)]:
        records[i] = dataclasses.replace(records[i], pinned=False)
    unpinned = [r for r in records if not r.pinned]
    for r in unpinned[:max(0, len(unpinned) - MAX_UNPINNED)]:
        records.remove(r)


def keep_trained(run: Run) -> None:
    """Remember the live `run` if it trained since it was last kept (call it at rest only: a
    half-trained copy is no run)."""
    if run.epoch > 0 and _changed_since_kept(run):
        remember(run)


def compare_ui(run: Run) -> None:
    records = _records()
    # The key keeps the panel's identity (and so its open state) as the count in its title changes.
    with st.expander(f"Compare runs ({len(records)} kept)", key="compare_panel"):
        st.caption("Every run you train is kept here for this browser session (the last "
                   f"{MAX_UNPINNED}, plus any you pin). Tick runs to overlay their curves and "
                   "see exactly which settings differ; rename a run by editing its name.")
        if records:
            _table(records)
            shown = [r for r in records if r.key in state.get("shown_runs", set())]
            _overlay(shown)
        _ab_ui(run)


def _table(records: list[RunRecord]) -> None:
    shown = state.setdefault("shown_runs", set())
    table = summary_table(records)
    table.insert(0, "pin", [r.pinned for r in records])
    table.insert(0, "show", [r.key in shown for r in records])
    table.index = [r.key for r in records]
    edited = st.data_editor(
        table, key="kept_runs_table", hide_index=True, width="stretch",
        disabled=[c for c in table.columns if c not in ("show", "pin", "run")],
        column_config={
            "show": st.column_config.CheckboxColumn("show", help="Overlay this run's curves."),
            "pin": st.column_config.CheckboxColumn("pin", help="Pinned runs are never dropped."),
            "run": st.column_config.TextColumn("run", width="large"),
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "test R²": st.column_config.NumberColumn(format="%.3f"),
            "test loss": st.column_config.NumberColumn(format="%.4g"),
            "train loss": st.column_config.NumberColumn(format="%.4g"),
            "seconds": st.column_config.NumberColumn(format="%.2f")})
    _apply_edits(records, edited)
    if st.button("Forget unpinned runs", key="forget_runs"):
        records[:] = [r for r in records if r.pinned]
        st.rerun()


def _apply_edits(records: list[RunRecord], edited: pd.DataFrame) -> None:
    shown, custom = state.shown_runs, state.setdefault("custom_labels", {})
    pinned = sum(r.pinned for r in records)
    for i, r in enumerate(records):
        row = edited.loc[r.key]
        (shown.add if row["show"] else shown.discard)(r.key)
        label = str(row["run"]).strip() or r.label
        pin = bool(row["pin"])
        if pin and not r.pinned and pinned >= MAX_PINNED:
            st.warning(f"At most {MAX_PINNED} runs can be pinned; unpin one first.")
            pin = False
        pinned += pin - r.pinned
        if label != r.label:
            custom[r.key] = label
        records[i] = dataclasses.replace(r, label=label, pinned=pin)


def _overlay(shown: list[RunRecord]) -> None:
    if not shown:
        st.caption("Tick **show** on a run to draw its curves.")
        return
    left, right = st.columns([2, 1])
    x = left.radio("Horizontal axis", list(X_AXES), horizontal=True, key="compare_x",
                   format_func=lambda k: X_AXES[k],
                   help="Per epoch compares how much each run learns from the same data; "
                        "per second compares what it costs.")
    split = right.radio("Curves of the", ["test", "train"], horizontal=True,
                        key="compare_split", format_func=lambda s: f"{s} set")
    charts = st.columns(2)
    with charts[0]:
        show(overlay(shown, f"{split}_loss", x=x, title=f"{split} loss", log_y=True),
             "compare_loss")
    tasks = {r.task for r in shown}
    with charts[1]:
        if len(tasks) == 1:
            key, title = score(next(iter(tasks)), split)
            show(overlay(shown, key, x=x, title=title, percent=tasks != {"regression"}),
                 "compare_metric")
        else:
            st.caption("Accuracy and R² cannot share an axis: show runs of one kind.")
    _differences(shown)


def _differences(shown: list[RunRecord]) -> None:
    table = diff_table(shown)
    if len(shown) == 1:
        st.caption("One run shown: its full set-up.")
    elif not config_diff([r.config for r in shown]):
        st.caption("The shown runs have the same settings (they may differ in how long they "
                   "trained): here is the set-up.")
    else:
        st.caption(f"Settings that differ between the shown runs ({len(table)} of "
                   f"{len(FIELDS)}; all others are the same). Highlighted: differs from the "
                   "first run.")
    table.index = [field_label(n) for n in table.index]
    first = table.columns[0]
    styled = table.style.apply(
        lambda row: ["" if v == row[first] else "background-color: #fde7cf" for v in row],
        axis=1)
    st.dataframe(styled, width="stretch")


# ---- A/B: one knob changed, same data, same initial weights ------------------------------------
AB_KNOBS = tuple(n for n, f in FIELDS.items() if f.metadata["group"] == "Training"
                 and n not in ("seed", "device")) + ("activation", "dropout")
AB_DEFAULT = "optimizer"  # the first choice that differs from A always changes the training


def _ab_ui(run: Run) -> None:
    cfg = state.cfg
    st.markdown("**A/B test: change one setting, keep everything else**")
    st.caption("Trains the current set-up (A) and a copy with one setting changed (B) from the "
               "same initial weights on the same data, with the same batches, so any "
               "difference in the curves comes from that one setting.")
    cols = st.columns([1, 1, 1])
    knob = cols[0].selectbox("Setting", AB_KNOBS, key="ab_knob", format_func=field_label,
                             index=AB_KNOBS.index(AB_DEFAULT))
    value = _value_widget(cols[1], knob, cfg)
    cols[2].markdown("<div style='height:1.75rem'></div>", unsafe_allow_html=True)
    verdict = state.get("ab_verdict")
    if verdict and verdict[0] == cfg:  # only under the set-up it was for
        st.info(verdict[1], icon=":material/compare_arrows:")
    go = cols[2].button("Run A and B", key="ab_run", width="stretch",
                        help=f"Trains both for {cfg.epochs:,} epochs.")
    if not go:
        return
    try:
        b = cfg.with_text(knob, value)
    except ConfigError as e:
        st.error("B is not a valid set-up: " + "; ".join(map(plain, e.errors.values())))
        return
    if b == cfg:
        st.warning(f"B has the same {field_label(knob).lower()} as A: choose another value.")
        return
    host = host_profile()
    unfit = budget.check_config(b, host)
    too_much = (f"B does not fit this server: {next(iter(unfit.values()))}" if unfit else
                budget.check_click("The A/B test",
                                   budget.run_seconds(cfg) + budget.run_seconds(b), host))
    if too_much:
        st.info(too_much)
        return
    _run_ab(cfg, b, knob, run)


def _value_widget(col, knob: str, cfg: Config) -> str:
    f, current = FIELDS[knob], getattr(cfg, knob)
    if f.metadata["choices"] and f.type == "str":
        options = [c for c in f.metadata["choices"] if _differs(knob, c, cfg)] or [current]
        return col.selectbox("B's value", options, key=f"ab_value_{knob}")
    if f.type == "bool":
        return str(col.selectbox("B's value", [not current, current], key=f"ab_value_{knob}"))
    return col.text_input("B's value", key=f"ab_value_{knob}", placeholder=f"A has {current:g}",
                          help=f.metadata["help"])


def _differs(knob: str, value: str, cfg: Config) -> bool:
    """Whether B = `value` is a real change: a loss must suit the task and not be the one
    'auto' already picks (cross-entropy is 'auto' on classes, MSE on numbers)."""
    if knob != "loss":
        return value != getattr(cfg, knob)
    loss = LOSSES[value]
    return cfg.task in loss.tasks and resolve_loss(value, cfg.task).name != cfg.resolved_loss


def _run_ab(a: Config, b: Config, knob: str, run: Run) -> None:
    def train_both(progress) -> list[Run]:
        # The same data object; the same seed gives the same initial weights and batches.
        return [Run(c, run.data).fit(callback=lambda r, name=name: progress(name, r))
                for name, c in (("A", a), ("B", b))]

    runs = train_scheduled("The A/B test", ["A", "B"], train_both)
    if runs is None:
        return
    keys = []
    for name, r in zip("AB", runs, strict=True):
        shown_value = getattr(r.config, knob)
        remember(r, f"{name}: {field_label(knob).lower()} = {shown_value}", pinned=True)
        keys.append(_run_key(r))
    state.shown_runs = set(keys)  # overlay just the pair
    state.ab_verdict = (a, _verdict(runs, knob))
    st.rerun()


def _verdict(runs: list[Run], knob: str) -> str:
    a, b = runs
    metric, name = score(a.task)
    show = (lambda v: f"{v:.3f}") if a.task == "regression" else (lambda v: f"{v:.1%}")
    va, vb = a.final[metric], b.final[metric]
    better = "B" if vb > va else "A" if va > vb else "neither"
    for which, r in (("A", a), ("B", b)):
        if r.status == "diverged":
            better = f"{which} diverged (its last finite weights are shown)"
    return (f"With {field_label(knob).lower()} = {getattr(b.config, knob)} (B) instead of "
            f"{getattr(a.config, knob)} (A): {name} {show(vb)} against {show(va)}, test loss "
            f"{b.final['test_loss']:.3g} against {a.final['test_loss']:.3g}; {better} did better. "
            f"Time: {b.seconds:.2f} s against {a.seconds:.2f} s.")
