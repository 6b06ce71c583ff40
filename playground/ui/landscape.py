"""Under the hood → Loss landscape: the training loss around the weights with the run's path on
it, and several runs from one start on one surface (four optimizers, or a lesson's runs)."""

from __future__ import annotations

import streamlit as st

from playground import Config, Run, budget
from playground.draw import landscape_plots
from playground.landscape import (
    Landscape,
    landscape,
    one_start,
    plan,
    race,
    race_configs,
    two_parameters,
)
from playground.lessons import LESSONS
from playground.ui.live import train_scheduled
from playground.ui.plot import show
from playground.ui.session import host_profile

state = st.session_state
AUTO_WORK = 4e8  # a landscape this cheap (~0.1 s) is drawn without asking
RACE_EPOCHS = 200  # the four optimizers train at most this many epochs each
THIS_RUN, RACE, LESSON = "This run", "Four optimizers from the same start", "This lesson's runs"
DIRECTIONS = {"path": "Along the path", "random": "Random (filter-normalised)"}
VIEWS = ("Contour", "3-D surface")


def landscape_ui(cfg: Config, run: Run) -> None:
    st.caption("The training loss over a slice of weight space, with the steps the optimizer "
               "took: see it roll downhill, zigzag across a narrow valley, or fly off when the "
               "learning rate is too high.")
    if cfg.batchnorm:
        st.info("The loss landscape is not drawn for networks with batch norm: its running "
                "statistics belong to the weights the run reached, not to the rest of the "
                "slice. Turn batch norm off to see it.")
        return
    lesson_runs = _lesson_runs()
    sources = [THIS_RUN, RACE] + ([LESSON] if lesson_runs else [])
    if state.get("landscape_source") not in sources:
        state.landscape_source = THIS_RUN
    with st.container(horizontal=True, vertical_alignment="bottom"):
        source = st.segmented_control(
            "Paths", sources, key="landscape_source",
            help="Whose steps to draw: the run in the main view; SGD, momentum and Adam (and "
                 "SGD at ten times the rate) trained from the set-up's initial weights; or the "
                 "runs of the lesson you ran.") or THIS_RUN
        exact = two_parameters(run)
        method = "path"
        if not exact:
            method = st.segmented_control(
                "Directions", list(DIRECTIONS), format_func=DIRECTIONS.get, default="path",
                key="landscape_method",
                help="Along the path: the two directions the weights moved most in (their "
                     "principal components), so the path lies close to the slice. Random: two "
                     "random directions, each unit's weights scaled to the size of its own "
                     "(Li et al., 2018): how the loss looks around the weights in general.") \
                or "path"
        view = st.segmented_control("Draw as", VIEWS, default=VIEWS[0],
                                    key="landscape_view") or VIEWS[0]
    if source == THIS_RUN:
        land = _this_run(run, method)
    elif source == RACE:
        land = _race(cfg, run, method)
    else:
        land = _computed(("lesson", id(lesson_runs), method),
                         lambda: race(lesson_runs, method))
    if land is None:
        return
    show(landscape_plots.contour(land) if view == VIEWS[0] else landscape_plots.surface(land),
         "landscape")
    st.caption(_describe(land, len(run.data.y_train)))


def _this_run(run: Run, method: str) -> Landscape | None:
    steps, _ = run.path
    if len(steps) < 2:
        st.info("Train a few steps: the path starts at the weights the model has now.")
        return None
    key = ("run", run.config, run.steps, run.epoch, method)
    kept = state.get("landscape_result")
    if kept is not None and kept[0] == key:
        return kept[1]
    try:
        res, points = plan(run.params.theta.numel(), len(run.data.y_train))
    except ValueError as e:
        st.info(f"No loss landscape for this set-up: {e}.")
        return None
    work = res * res * points * run.params.theta.numel()
    if work > AUTO_WORK and not st.button("Draw the loss landscape", key="landscape_draw",
                                          help="This network is large: drawing its landscape "
                                               "takes a second or so."):
        return None
    return _computed(key, lambda: landscape(run, method))


def _race(cfg: Config, run: Run, method: str) -> Landscape | None:
    epochs = min(cfg.epochs, RACE_EPOCHS)
    configs = {name: c.replace(epochs=epochs) for name, c in race_configs(cfg).items()}
    names = ", ".join(configs)
    capped = f" (the set-up's {cfg.epochs:,}, capped)" if cfg.epochs > epochs else ""
    st.caption(f"{names}: the same data, initial weights and batches, {epochs:,} epochs "
               f"each{capped}. The slice goes through their common start.")
    key = ("race", tuple(configs.values()), method)
    kept = state.get("landscape_race")
    if kept is not None and kept[0] == tuple(configs.values()):
        return _computed(key, lambda: race(kept[1], method))
    too_much = budget.check_click("Training the four",
                                  sum(budget.run_seconds(c) for c in configs.values()),
                                  host_profile())
    if too_much:
        st.info(too_much)
        return None
    if not st.button("Train the four", key="landscape_race_go"):
        return None
    runs = _train(configs, run)
    if runs is None:
        return None
    state.landscape_race = (tuple(configs.values()), runs)
    return _computed(key, lambda: race(runs, method))


def _train(configs: dict[str, Config], shown: Run) -> dict[str, Run] | None:
    def train_all(progress) -> dict[str, Run]:
        runs = {}
        for label, c in configs.items():
            r = Run(c, shown.data)
            r.record_path = True
            runs[label] = r.fit(c.epochs, lambda r, label=label: progress(label, r))
        return runs

    return train_scheduled("Training the four", list(configs), train_all)


def _computed(key: tuple, compute) -> Landscape | None:
    """The landscape for `key`, computed once and kept while the key stays the same."""
    kept = state.get("landscape_result")
    if kept is not None and kept[0] == key:
        return kept[1]
    try:
        land = compute()
    except ValueError as e:
        st.info(f"No loss landscape here: {e}.")
        return None
    state.landscape_result = (key, land)
    return land


def _lesson_runs() -> dict[str, Run] | None:
    """The runs of the lesson picked at the top, when it was run and they share a start."""
    name = state.get("lesson_pick")
    runs = state.get("lesson_runs", {}).get(name) if name in LESSONS else None
    if not runs or len(runs) < 2 or any(r.config.batchnorm for r in runs.values()):
        return None
    return runs if one_start(runs) is None else None


def _describe(land: Landscape, n_train: int) -> str:
    on = (f"the loss on all {n_train:,} training points" if land.points >= n_train else
          f"the loss on {land.points:,} of the {n_train:,} training points (a larger network "
          "gets fewer, to keep this quick)")
    if land.method == "exact":
        where = ("The model has exactly two weights, so this is its whole loss surface: every "
                 "point is one pair of them.")
    elif land.method == "path":
        where = ("A slice through the weights along the two directions they moved most in: the "
                 "path lies close to it (a point's height is the loss on the slice, its hover "
                 "also gives the loss at the recorded weights).")
    else:
        where = ("A slice through the weights along two random directions, scaled to each "
                 "unit's weights: the path is projected onto it, and may lie off it.")
    return f"{where} Colour and height show {on}, on a log scale."
