"""Sweep a setting: a grid over one or two knobs x a few seeds, trained together on the current
data, drawn as a heatmap (two knobs) or error bars (one) of the final test metric."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import streamlit as st

from playground import FIELDS, Config, ConfigError, Run, budget
from playground.draw.sweep_plots import sweep_figure
from playground.draw.theme import value_label
from playground.nn import metrics
from playground.sweep import (
    MAX_MODELS,
    SweepResult,
    fallback_reason,
    prepare,
    sweep,
    sweep_hidden,
)
from playground.train import changed_fields
from playground.ui.live import scheduled
from playground.ui.plot import show
from playground.ui.session import host_profile
from playground.ui.sidebar import LR_STEPS, put_in_sidebar
from playground.ui.text import plain

state = st.session_state
# The main training and network knobs. Data knobs are left out: the sweep trains on
# the page's data object, so a data knob would change nothing. Knobs whose sidebar widget can be
# hidden (momentum, step size) are left out too: "Use the best" could not set them.
KNOBS = ("lr", "batch_size", "width", "depth", "activation", "optimizer", "init", "weight_decay",
         "epochs")
NONE = ""  # the second knob's "nothing"
RESULT = "sweep_result"
MAX_SEEDS = 5
FRAME_S = 0.1  # progress bar updates at most this often


def knob_label(name: str) -> str:
    if name in ("width", "depth"):
        return name
    return FIELDS[name].metadata["label"] or name.replace("_", " ")


def _title(name: str) -> str:
    text = knob_label(name) if name else "nothing"
    return text[:1].upper() + text[1:]


# ---- the values of a knob: defaults from the set-up, text parsed like the URL's ----------------
def default_values(name: str, cfg: Config) -> str | list[str]:
    """Text for a numeric knob, a list for a knob with choices; centred on the current set-up."""
    if name == "lr":
        i = int(np.argmin([abs(np.log(s / cfg.lr)) for s in LR_STEPS]))
        start = min(max(i - 2, 0), len(LR_STEPS) - 4)
        return ", ".join(f"{s:g}" for s in LR_STEPS[start:start + 4])
    if name == "batch_size":
        return ", ".join(str(b) for b in dict.fromkeys((1, 8, 32, cfg.n_train)) if b <= cfg.n_train)
    if name == "epochs":
        hi = FIELDS["epochs"].metadata["hi"]
        values = dict.fromkeys(max(1, min(e, hi)) for e in
                               (cfg.epochs // 4, cfg.epochs // 2, cfg.epochs, 2 * cfg.epochs))
        return ", ".join(map(str, values))
    fixed = {"width": "2, 4, 8, 16", "depth": "1, 2, 3", "weight_decay": "0, 0.0001, 0.001, 0.01"}
    if name in fixed:
        return fixed[name]
    current = getattr(cfg, name)
    usual = {"activation": ["tanh", "relu", "sigmoid"], "optimizer": ["sgd", "momentum", "adam"],
             "init": list(FIELDS["init"].metadata["choices"])}[name]
    return list(dict.fromkeys([current, *usual]))


def parse_values(name: str, given: str | list[str], cfg: Config) -> list:
    """The knob's values from comma-separated text (or a chosen list); ConfigError naming the
    knob if one is not allowed."""
    items = given if isinstance(given, list) else [t.strip() for t in given.split(",")]
    items = [t for t in items if t]
    if not items:
        raise ConfigError({knob_label(name): "give at least one value"})
    return [_parse_one(name, t, cfg) for t in items]


def _parse_one(name: str, text: str, cfg: Config) -> Any:
    if name in ("width", "depth"):
        lo, hi = (1, 512) if name == "width" else (0, FIELDS["hidden"].metadata["max_len"])
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not lo <= value <= hi:
            raise ConfigError({name: f"{text!r} is not a whole number from {lo} to {hi}"})
        return value
    if name == "batch_size" and text.lower() == "full":
        return cfg.n_train
    try:
        return getattr(cfg.with_text(name, text), name)
    except ConfigError as e:
        raise ConfigError({knob_label(name): "; ".join(e.errors.values())}) from None


def _values_ui(col, name: str, cfg: Config, slot: str) -> str | list[str]:
    default, k = default_values(name, cfg), f"sweep_values_{name}"
    if isinstance(default, list):
        return col.multiselect(f"{slot} values", FIELDS[name].metadata["choices"], default=default,
                               key=k, help="In the order chosen; the chart keeps it.")
    return col.text_input(f"{slot} values", value=default, key=k,
                          help="Comma-separated, as in the page's link"
                          + (" ('full' is the whole training set)." if name == "batch_size"
                             else "."))


# ---- the panel ------------------------------------------------------------------------------
def sweep_ui(cfg: Config, run: Run) -> None:
    with st.expander("Sweep a setting", key="sweep_panel"):
        st.caption("Train a grid of models on this page's data: one or two settings at a few "
                   "values each, every point with several seeds (initial weights and batch "
                   "order), all with the rest of the sidebar's set-up. The spread over seeds "
                   "shows how much of a difference is luck.")
        plan, go = _form(cfg)
        if plan is not None and go:
            _run(plan, run)
        _result(cfg)


def _form(cfg: Config) -> tuple[SweepResult | None, bool]:
    """The knob pickers, values, seeds and Run button: the checked plan (None after an error,
    which is shown) and whether Run was clicked."""
    cols = st.columns([1, 1.6, 1, 1.6])
    first = cols[0].selectbox("Sweep", KNOBS, key="sweep_knob1", format_func=_title,
                              help="The setting to vary.")
    if state.get("sweep_knob2") == first:
        state.sweep_knob2 = NONE
    second = cols[2].selectbox("Against", (NONE, *[k for k in KNOBS if k != first]),
                               key="sweep_knob2", format_func=_title,
                               help="Optionally a second setting: a heatmap of every pair.")
    given = {first: _values_ui(cols[1], first, cfg, "First")}
    if second:
        given[second] = _values_ui(cols[3], second, cfg, "Second")
    row = st.columns([1.6, 2.6, 1], vertical_alignment="center")
    seeds = row[0].slider("Seeds per point", 1, MAX_SEEDS, 3, key="sweep_seeds",
                          help="Each grid point trains with seeds seed, seed + 1, ...")
    try:
        axes = {n: parse_values(n, text, cfg) for n, text in given.items()}
        if "depth" in axes and "width" not in axes and not cfg.hidden:
            raise ConfigError({"depth": "this network has no hidden layer whose width more "
                               "layers could copy: sweep the width too, or add a hidden layer"})
        plan = prepare(cfg, axes, seeds)
    except ConfigError as e:
        st.error("The sweep cannot run:\n\n" + "\n".join(
            f"- {plain(msg)}" if k == "sweep" else f"- **{plain(k)}**: {plain(msg)}"
            for k, msg in e.errors.items()),  # the messages quote the visitor's typed values
            icon="⚠️")
        plan = None
    too_much = plan and budget.check_click("The sweep", sweep_cost(plan), host_profile(),
                                           "fewer values or seeds, or fewer epochs")
    if plan is not None:
        row[1].markdown(_plan_text(plan))
    go = row[2].button("Run the sweep", key="sweep_run", width="stretch",
                       disabled=plan is None or bool(too_much))
    if too_much:
        st.info(too_much, icon=":material/timer_off:")
    return plan, go


def sweep_cost(plan: SweepResult) -> float:
    """The estimated seconds of the plan's training (playground/budget.py)."""
    return budget.sweep_seconds([[plan.configs[i] for i in index] for index in plan.stacks],
                                [plan.configs[i] for i in plan.fallback])


def _plan_text(plan: SweepResult) -> str:
    n, seeds = len(plan.configs), len(plan.seeds)
    text = (f"**{n} models** ({n // seeds} points × {_count(seeds, 'seed')}, at most "
            f"{MAX_MODELS}), {plan.base.epochs:,} epochs each")
    if why := fallback_reason(plan.base):
        text += f"; with {why} they train one at a time (slower)"
    return text + "."


def _run(plan: SweepResult, run: Run) -> None:
    """Train the plan's models on the page's data (its data knobs are the page's anyway)."""
    bar, note = st.progress(0.0, text="Sweep: starting…"), st.empty()
    n, last = len(plan.configs), [0.0]

    def progress(done: float) -> None:
        now = time.perf_counter()
        if now - last[0] >= FRAME_S:
            bar.progress(done, text=f"Sweep: training {n} models, {done:.0%}")
            last[0] = now

    def train(tick) -> SweepResult:
        def step(done: float) -> None:
            progress(done)
            tick()
        return sweep(plan.base, plan.axes, plan.seeds, callback=step, data=run.data)

    result = scheduled("The sweep", train, note)
    bar.empty()
    if result is not None:
        state[RESULT] = result.drop_weights()  # the panel shows metrics only


# ---- the result -----------------------------------------------------------------------------
def _shown(key: str) -> tuple[str, bool]:
    """A history key's label and whether it shows as a percentage."""
    m = metrics.metric_of(key)
    return metrics.label(key), bool(m and m.percent)


def _result(cfg: Config) -> None:
    result: SweepResult | None = state.get(RESULT)
    if result is None:
        return
    st.divider()
    metric = st.radio("Compare by", [result.default_metric(), "test_loss"], horizontal=True,
                      key="sweep_metric", format_func=lambda m: f"final {_shown(m)[0]}")
    label, percent = _shown(metric)
    summary, best = result.summary(metric), result.best(metric)
    st.markdown(best_text(result, metric))
    st.caption(_setup_text(result) + _staleness(result, cfg))
    titles = {name: _title(name) for name in result.axes}
    show(sweep_figure(summary, result.axes, f"final {label}", percent=percent,
                      lower_better=metric == "test_loss", titles=titles), "sweep_chart")
    if len(result.axes) == 1 and len(result.seeds) > 1:
        st.caption("Dot: the mean over the seeds; shaded bar: ± one standard deviation; thin "
                   "line: from the lowest seed to the highest.")
    _table(summary, result, percent)
    point = best_point(result, best)
    cols = st.columns([1, 1])
    cols[0].button("Use the best: " + _point_text(point), key="sweep_use_best",
                   on_click=use_point, args=(point, result.base), width="stretch",
                   help="Sets these values in the sidebar; the rest of the set-up stays.")
    cols[1].download_button("Download every model's results (CSV)",
                            result.table().to_csv(index=False), "sweep.csv", "text/csv",
                            key="sweep_csv", on_click="ignore", width="stretch")


def best_point(result: SweepResult, best: dict[str, Any]) -> dict[str, Any]:
    """The best row's knob values as given (pandas hands back numpy or float types)."""
    return {name: next(v for v in values if v == best[name])
            for name, values in result.axes.items()}


def _point_text(point: dict[str, Any]) -> str:
    return ", ".join(f"{knob_label(k)} {value_label(v)}" for k, v in point.items())


def best_text(result: SweepResult, metric: str) -> str:
    """'best: learning rate 0.03 — test accuracy 97.8% ± 0.4% over 3 seeds'."""
    label, percent = _shown(metric)
    best, summary = result.best(metric), result.summary(metric)
    show = (lambda v: f"{v:.1%}") if percent else (lambda v: f"{v:.3g}")
    n = int(best["n"])
    spread = "" if n < 2 else f" ± {show(best['std'])}"
    text = (f"**best: {_point_text(best_point(result, best))}** — {label} {show(best['mean'])}"
            f"{spread} over {_count(n, 'seed')}")
    ties = int(np.isclose(summary["mean"], best["mean"], rtol=0, atol=1e-9).sum()) - 1
    if ties:
        text += f" (as good: {_count(ties, 'other point')}; this is the first)"
    diverged = result.status.count("diverged")
    if diverged:
        text += (f". {diverged} of {len(result.configs)} models diverged: they count with their "
                 "last finite weights")
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _setup_text(result: SweepResult) -> str:
    base, n = result.base, len(result.configs)
    net = "-".join(map(str, base.hidden)) or "no hidden layer"
    seconds = f"{result.seconds:.2f}" if result.seconds < 1 else f"{result.seconds:.1f}"
    seeds = (f"seed {result.seeds[0]}" if len(result.seeds) == 1
             else f"seeds {result.seeds[0]}–{result.seeds[-1]}")
    return (f"{n} models in {seconds} s · on {base.dataset}, hidden {net}, {base.activation}, "
            f"{base.optimizer} lr {base.lr:g}, batch {base.batch_size}, {base.epochs:,} epochs, "
            f"{seeds}, except where swept.")


def _swept_fields(result: SweepResult) -> set[str]:
    return {"hidden" if k in ("width", "depth") else k for k in result.axes}


def _staleness(result: SweepResult, cfg: Config) -> str:
    changed = [k for k in changed_fields(result.base, cfg) if k not in _swept_fields(result)]
    if not changed:
        return ""
    names = ", ".join(knob_label(k) for k in changed)
    return (f" This result is for an earlier set-up: since then you changed {names}. Run the "
            "sweep again for the current one.")


def _table(summary, result: SweepResult, percent: bool) -> None:
    table = summary.copy()
    for name in result.axes:
        table[name] = [value_label(v) for v in table[name]]
    stats = ("mean", "std", "min", "max")
    if percent:  # in percentage points, all with one decimal (Streamlit's "percent" trims zeros)
        table[list(stats)] *= 100
    table = table.rename(columns={**{k: _title(k) for k in result.axes}, "n": "seeds"})
    number = st.column_config.NumberColumn(format="%.1f%%" if percent else "%.4g")
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: number for c in stats})


def use_point(point: dict[str, Any], base: Config) -> None:
    """Put a grid point in the sidebar (a button callback: it runs before the script draws the
    widgets). Width and depth become the hidden layers."""
    values = {name: value for name, value in point.items() if name not in ("width", "depth")}
    if "width" in point or "depth" in point:
        values["hidden"] = sweep_hidden(base, point)
    put_in_sidebar(values)
