"""Under the hood: replay, errors, loss landscape, learning-rate finder, equations, gradient
flow, activations, the two engines side by side, the gradient check."""

from __future__ import annotations

import numpy as np
import streamlit as st

from playground import Config, ConfigError, Data, Run, budget, insight, train
from playground.draw import error_plots, plots
from playground.draw.equations import backward_equations, forward_equations
from playground.scratch.gradcheck import gradcheck
from playground.ui.landscape import landscape_ui
from playground.ui.live import scheduled
from playground.ui.plot import show
from playground.ui.session import host_profile
from playground.ui.sidebar import put_in_sidebar

state = st.session_state
STATS_POINTS = 2000  # activation statistics on at most this many training points (every rerun)
LR_KEY = 0.01  # any valid rate: the finder's result is kept per set-up with this rate in place


def inside_ui(cfg: Config, run: Run) -> None:
    data = run.data
    with st.expander("Under the hood: replay, errors, loss landscape, learning rate, equations, "
                     "gradients, activations, two engines"):
        replay, errors, land, finder, equations, flow, acts, engines, check = st.tabs(
            ["Replay", "Errors", "Loss landscape", "Learning-rate finder", "Equations",
             "Gradient flow", "Activations", "PyTorch vs NumPy", "Gradient check"])
        with replay:
            _replay(run)
        with errors:
            _errors(run)
        with land:
            landscape_ui(cfg, run)
        with finder:
            _lr_finder(cfg, data)
        with equations:
            _equations(cfg)
        with flow:
            _gradient_flow(run)
        with acts:
            _activations(run)
        numpy_cfg, why_not = _numpy_version(cfg)
        with engines:
            _engines(cfg, numpy_cfg, why_not, data)
        with check:
            _gradient_check(numpy_cfg, why_not)


def _equations(cfg: Config) -> None:
    st.caption("What the network computes for a batch X (one row per point), and how "
               "backpropagation sends the error back to every weight. n is the batch size; "
               "⊙ multiplies element by element. Change the layers or the activation in the "
               "sidebar and these follow.")
    if cfg.batchnorm or cfg.dropout:
        st.caption("Batch norm and dropout layers are left out of these equations.")
    left, right = st.columns(2)
    with left:
        st.markdown("**Forward**")
        for line in forward_equations(cfg):
            st.latex(line)
    with right:
        st.markdown("**Backward**")
        for line in backward_equations(cfg):
            st.latex(line)


def _replay(run: Run) -> None:
    st.caption("How the model's output changed while it trained: snapshots spread evenly over the "
               "run (at most about 60). Drag the slider or play the animation: watch when the "
               "boundary (or curve) takes shape, and whether it later bends around single "
               "points (overfitting).")
    frames = run.snapshots
    if run.data.dim > 2:
        st.info("Replays are for 1-D and 2-D data, where the whole output can be drawn.")
        return
    if len(frames) < 2:
        st.info("Train for a few epochs to record a replay.")
        return
    epochs = [epoch for epoch, _ in frames]
    left, right = st.columns([1.3, 1])
    with left:
        # The slider follows the newest snapshot unless the learner moved it back.
        if state.get("replay_epoch") in (None, state.get("replay_end")) or (
                state.get("replay_epoch") not in epochs):
            state.replay_epoch = epochs[-1]
        state.replay_end = epochs[-1]
        chosen = st.select_slider("Epoch", epochs, key="replay_epoch")
        grid_u8 = frames[epochs.index(chosen)][1]
        st.image(insight.snapshot_image(run, chosen, grid_u8), width="content")
    with right:
        if st.toggle("Play", key="replay_play", help="The whole replay as an animation."):
            st.image(insight.snapshots_gif(run), width="content")
        st.download_button("Download the replay (GIF)", lambda: insight.snapshots_gif(run),
                           "replay.gif", "image/gif", key="download_gif", on_click="ignore")


def _errors(run: Run) -> None:
    st.caption("Where the model goes wrong, point by point. On the test points by default; a "
               "model much better on its training points than on test ones has overfitted.")
    split = st.radio("Points", ["test", "train"], horizontal=True, key="errors_split",
                     format_func=lambda s: f"{s} points", label_visibility="collapsed")
    if run.task == "regression":
        _regression_errors(run, split)
    else:
        _class_errors(run, split)


def _class_errors(run: Run, split: str) -> None:
    matrix = insight.confusion(run, split)
    names = insight.class_names(run.data)
    right, total = int(np.trace(matrix)), int(matrix.sum())
    st.markdown(f"**{right:,} of {total:,} {split} points predicted right "
                f"({right / max(total, 1):.1%})** · epoch {run.epoch:,}")
    left, right_col = st.columns([1.2, 1], gap="medium")
    with left:
        st.caption("Confusion matrix: rows are the true classes, columns the model's guesses, "
                   "each cell a count shaded by its share of the row. A good model fills the "
                   "blue diagonal; a dark orange cell is a pair of classes it mixes up.")
        show(error_plots.confusion_matrix(matrix, names), "errors_confusion")
    with right_col:
        st.caption("Each class's share of points predicted right; the dashed line is the "
                   "overall accuracy. A class far below it is one the model has not learned.")
        show(error_plots.class_accuracy(insight.class_accuracy(matrix), matrix.sum(axis=1),
                                        names, right / max(total, 1)), "errors_classes")


def _regression_errors(run: Run, split: str) -> None:
    y, yhat = insight.residuals(run, split)
    rmse = float(np.sqrt(np.mean((y - yhat) ** 2)))
    r2 = 1 - float(np.sum((y - yhat) ** 2)) / max(float(np.sum((y - y.mean()) ** 2)), 1e-12)
    st.markdown(f"**RMSE {rmse:.3g} · R² {r2:.3f} on {len(y):,} {split} points** · "
                f"epoch {run.epoch:,}")
    left, right = st.columns(2, gap="medium")
    with left:
        st.caption("Each point's prediction against its true target. A perfect model puts "
                   "every point on the dashed diagonal; a flat cloud means it predicts about "
                   "the average everywhere.")
        show(error_plots.predicted_vs_actual(y, yhat), "errors_predicted")
    with right:
        st.caption("Each point's error (actual − prediction) against the prediction. Look for a "
                   "shapeless band around zero; a curve or a funnel is a pattern the model "
                   "misses in part of the range.")
        show(error_plots.residual_plot(y, yhat), "errors_residuals")


def _lr_finder(cfg: Config, data: Data) -> None:
    st.caption("A short test run from this set-up's initial weights whose learning rate grows "
               "exponentially, from 0.00001 to 10 over 200 steps. The loss first barely moves, then "
               "falls, then blows up; a good rate sits where it falls fastest (the dashed line).")
    # The range test ignores the set-up's own rate: keep its result when only that changes
    # (as "Use learning rate" does).
    result = _on_click("Find a learning rate", "lr_finder", cfg.replace(lr=LR_KEY), "",
                       lambda tick: insight.lr_finder(cfg, data=data, callback=tick),
                       cost=("The learning-rate finder", budget.lr_finder_seconds(cfg)))
    if result is None:
        return
    show(plots.lr_range(result["lrs"], result["losses"], result["suggested"]), "lr_range")
    suggested = float(f"{result['suggested']:.2g}")
    st.button(f"Use learning rate {suggested:g}", key="use_lr", on_click=_use_lr,
              args=(suggested,), help="Sets the learning rate in the sidebar.")


def _use_lr(lr: float) -> None:
    put_in_sidebar({"lr": lr})


def _gradient_flow(run: Run) -> None:
    st.caption("Each layer's gradient norm (at the last step of each epoch) and weight norm, on a "
               "log scale. Lines far below the others mean vanishing gradients (try a deep "
               "sigmoid network); lines that climb fast mean exploding ones (try a high "
               "learning rate). Updated when training stops.")
    if run.epoch == 0:
        st.info("Train for a few epochs to see the gradients flow.")
        return
    for prefix, title in (("grad_norm", "gradient norm"), ("weight_norm", "weight norm")):
        show(plots.layer_norms(run.history, prefix, title=title), f"flow_{prefix}")


def _activations(run: Run) -> None:
    st.caption("What each hidden layer outputs over all the training points. A ReLU unit that is "
               "never positive is dead: it passes no gradient and never recovers. A tanh or "
               "sigmoid unit stuck at its flat ends is saturated and learns slowly.")
    stats = insight.activation_stats(run, run.data.X_train[:STATS_POINTS])
    if not stats:
        st.info("This network has no hidden layer.")
        return
    columns = st.columns(min(len(stats), 4))
    for i, layer in enumerate(stats):
        with columns[i % len(columns)]:
            notes = [f"{layer['width']} units"]
            for kind in ("dead", "saturated"):
                if layer[kind] is not None:
                    notes.append(f"{kind}: {layer[kind]:.0%}"
                                 + _units(i, layer[f"{kind}_units"]))
            st.markdown(f"**Layer {i + 1}** · " + " · ".join(notes))
            show(plots.histogram(*layer["histogram"], layer=f"h{i + 1}"), f"activations_{i}")


def _units(layer: int, units: list[int], limit: int = 6) -> str:
    """' (h1.2, h1.5)': the units named as the network diagram names them, the first few."""
    if not units:
        return ""
    names = [f"h{layer + 1}.{u + 1}" for u in units[:limit]]
    return f" ({', '.join(names)}{', …' if len(units) > limit else ''})"


def _numpy_version(cfg: Config) -> tuple[Config | None, str]:
    """The current set-up on the NumPy engine, or why it has no NumPy version."""
    try:
        return cfg.replace(engine="numpy", device="auto"), ""
    except ConfigError as e:
        return None, "; ".join(e.errors.values())


def _engines(cfg: Config, numpy_cfg: Config | None, why_not: str, data: Data) -> None:
    st.caption("Train this set-up twice from the same initial weights on the same batches: once "
               "with PyTorch, once with the NumPy engine written from scratch "
               "(playground/scratch/mlp.py). The loss curves should lie on top of each other.")
    runs = _on_click("Train both engines", "compare_engines", numpy_cfg, why_not, lambda tick: {
        name: train(c, tick, data=data)
        for name, c in (("PyTorch", numpy_cfg.replace(engine="torch")), ("NumPy", numpy_cfg))},
        cost=("Training both engines", 2 * budget.run_seconds(cfg)))
    if runs is None:
        return
    history = {"epoch": runs["PyTorch"].history["epoch"],
               **{name: run.history["train_loss"] for name, run in runs.items()}}
    show(plots.pair(history, {"PyTorch": "PyTorch", "NumPy": "NumPy"},
                    title="train loss"), "engines_curves")
    gap = max(abs(a - b) for a, b in zip(history["PyTorch"], history["NumPy"], strict=True))
    cols = st.columns(3)
    cols[0].metric("Largest gap between the curves", f"{gap:.2g}")
    for col, (name, run) in zip(cols[1:], runs.items(), strict=True):
        col.metric(f"{name} training time", f"{run.seconds:.2f} s")


def _gradient_check(numpy_cfg: Config | None, why_not: str) -> None:
    st.caption("Backpropagation by hand (NumPy) against PyTorch's autograd, on the same weights "
               "and the same 16 training points, in float64. Each row is the largest relative "
               "difference between the two gradients of one parameter: below 1e-6 they agree.")
    result = _on_click("Check the gradients", "gradcheck", numpy_cfg, why_not,
                       lambda tick: gradcheck(numpy_cfg), cost=("The gradient check", 0.0))
    if result is None:
        return
    errors = result["layers"]
    rows = [{"parameter": name, "shape": _shape(name, numpy_cfg),
             "relative error": f"{err:.1e}", "agrees": "yes" if err < 1e-6 else "NO"}
            for name, err in errors.items()]
    st.dataframe(rows, hide_index=True, width="stretch")


def _on_click(label: str, name: str, cfg: Config | None, why_not: str, compute,
              cost: tuple[str, float] | None = None):
    """A button that computes something for `cfg` (`compute(tick)`, in the turns the training
    workers give it: playground/ui/live.py's `scheduled`); the result is kept (per browser
    session) and shown again on later reruns until the set-up changes. None when there is
    nothing yet. `cost`: (what it is, its estimated seconds), checked against the host's budget
    first."""
    if cfg is None:
        st.info(f"This set-up has no NumPy version: {why_not}.")
        return None
    too_much = cost and budget.check_click(*cost, host_profile())
    if too_much:
        st.info(too_much)
        return None
    if st.button(label, key=name):
        result = scheduled(cost[0] if cost else label, compute)
        if result is not None:
            state[f"{name}_result"] = (cfg, result)
    kept = state.get(f"{name}_result")
    return kept[1] if kept and kept[0] == cfg else None


def _shape(name: str, cfg: Config) -> str:
    """'2.weight' -> its shape, from the layer sizes (torch layout: out x in)."""
    index, kind = name.split(".")
    layer = int(index) // 2  # Linear layers sit at 0, 2, 4, ... with activations between
    n_in, n_out = cfg.sizes[layer], cfg.sizes[layer + 1]
    return f"{n_out} × {n_in}" if kind == "weight" else f"{n_out}"
