"""Under the hood: the network's equations, the two engines side by side, the gradient check."""

from __future__ import annotations

import streamlit as st

from playground import Config, ConfigError, Data, charts, scratch, train
from playground.equations import backward_equations, forward_equations

state = st.session_state


def inside_ui(cfg: Config, data: Data) -> None:
    with st.expander("Under the hood: the equations, two engines, the gradient check"):
        equations, engines, check = st.tabs(["Equations", "PyTorch vs NumPy", "Gradient check"])
        with equations:
            _equations(cfg)
        numpy_cfg, why_not = _numpy_version(cfg)
        with engines:
            _engines(cfg, numpy_cfg, why_not, data)
        with check:
            _gradient_check(numpy_cfg, why_not)


def _equations(cfg: Config) -> None:
    st.caption("What the network computes for a batch X (one row per point), and how "
               "backpropagation sends the error back to every weight. n is the batch size; "
               "⊙ multiplies element by element.")
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


def _numpy_version(cfg: Config) -> tuple[Config | None, str]:
    """The current set-up on the NumPy engine, or why it has no NumPy version."""
    try:
        return cfg.replace(engine="numpy", device="auto"), ""
    except ConfigError as e:
        return None, "; ".join(e.errors.values())


def _engines(cfg: Config, numpy_cfg: Config | None, why_not: str, data: Data) -> None:
    st.caption("Train this set-up twice from the same initial weights on the same batches: once "
               "with PyTorch, once with the NumPy engine written from scratch "
               "(playground/scratch.py). The loss curves should lie on top of each other.")
    if numpy_cfg is None:
        st.info(f"This set-up has no NumPy version: {why_not}.")
        return
    if st.button("Train both engines", key="compare_engines"):
        runs = {name: train(c, data=data) for name, c in
                (("PyTorch", numpy_cfg.replace(engine="torch")), ("NumPy", numpy_cfg))}
        state.compare_result = (numpy_cfg, runs)
    result = state.get("compare_result")
    if not result or result[0] != numpy_cfg:
        return
    runs = result[1]
    history = {"epoch": runs["PyTorch"].history["epoch"],
               **{name: run.history["train_loss"] for name, run in runs.items()}}
    frame, spec = charts.curves(history, {"PyTorch": "PyTorch", "NumPy": "NumPy"},
                                title="train loss")
    st.vega_lite_chart(frame, spec, width="stretch", height=260)
    gap = max(abs(a - b) for a, b in zip(history["PyTorch"], history["NumPy"], strict=True))
    cols = st.columns(3)
    cols[0].metric("Largest gap between the curves", f"{gap:.2g}")
    for col, (name, run) in zip(cols[1:], runs.items(), strict=True):
        col.metric(f"{name} training time", f"{run.seconds:.2f} s")


def _gradient_check(numpy_cfg: Config | None, why_not: str) -> None:
    st.caption("Backpropagation by hand (NumPy) against PyTorch's autograd, on the same weights "
               "and the same 16 training points, in float64. Each row is the largest relative "
               "difference between the two gradients of one parameter: below 1e-6 they agree.")
    if numpy_cfg is None:
        st.info(f"This set-up has no NumPy version: {why_not}.")
        return
    if st.button("Check the gradients", key="gradcheck"):
        state.gradcheck_result = (numpy_cfg, scratch.gradcheck(numpy_cfg))
    result = state.get("gradcheck_result")
    if not result or result[0] != numpy_cfg:
        return
    errors = result[1]["layers"]
    rows = [{"parameter": name, "shape": _shape(name, numpy_cfg),
             "relative error": f"{err:.1e}", "agrees": "yes" if err < 1e-6 else "NO"}
            for name, err in errors.items()]
    st.dataframe(rows, hide_index=True, width="stretch")


def _shape(name: str, cfg: Config) -> str:
    """'2.weight' -> its shape, from the layer sizes (torch layout: out x in)."""
    index, kind = name.split(".")
    layer = int(index) // 2  # Linear layers sit at 0, 2, 4, ... with activations between
    n_in, n_out = cfg.sizes[layer], cfg.sizes[layer + 1]
    return f"{n_out} × {n_in}" if kind == "weight" else f"{n_out}"
