"""TensorFlow Playground: open one of its links here, or open this set-up there.

A pasted link is a visitor's text: everything taken from it is shown with `st.text` (plain
text, never Markdown). A link that cannot be read changes nothing.
"""

from __future__ import annotations

import streamlit as st

from playground import Config, ConfigError
from playground.ui.sidebar import load_into_widgets

state = st.session_state
RESULT = "tf_link_result"  # session state: ("opened" | "error", lines to show as plain text)


def tfplayground_ui(cfg: Config) -> None:
    with st.expander("TensorFlow Playground links"):
        st.caption("Paste a link from TensorFlow Playground to train its set-up here. With the "
                   "link's seed the playground draws TF Playground's very points, in its order, "
                   "and under TF Playground's training rules it then follows TF Playground's "
                   "very run, epoch for epoch; anything it does differently is listed. Or open "
                   "the set-up on the left there.")
        left, right = st.columns([1.4, 1], gap="medium")
        with left:
            st.text_input("Paste a TensorFlow Playground link", key="tf_link",
                          placeholder="https://playground.tensorflow.org/#activation=tanh&...")
            st.toggle("Train with TF Playground's rules", value=True, key="tf_rules",
                      help="Its initial weights (uniform in ±0.5, biases 0.1, from the link's "
                           "seed), its tanh output and ½(o − t)² loss, its fixed data order, "
                           "its L1 clamp and float64 arithmetic: each is a setting on the left "
                           "too. Off: the playground's own rules (PyTorch's init, "
                           "cross-entropy, a new order every epoch, float32).")
            st.button("Open this link", key="tf_open", on_click=_on_open,
                      icon=":material/download:")
            _result()
        with right:
            _open_there(cfg)


def _on_open() -> None:
    """Runs before the script: the link's set-up goes into the sidebar's widgets."""
    try:
        rules = "tfplayground" if state.get("tf_rules", True) else "playground"
        cfg, unmatched = Config.from_tfplayground(state.get("tf_link") or "", rules)
    except ConfigError as e:
        state[RESULT] = ("error", [f"{name}: {problem}" for name, problem in e.errors.items()])
        return
    load_into_widgets(cfg)
    state[RESULT] = ("opened" if rules == "tfplayground" else "opened_ours",
                     [str(u) for u in unmatched])


def _result() -> None:
    kind, lines = state.get(RESULT, ("", []))
    if kind == "error":
        st.error("Nothing was changed: this link cannot be opened.", icon=":material/error:")
        st.text("\n".join(lines))
    elif kind in ("opened", "opened_ours"):
        rules = ("It trains under TF Playground's rules: with the link's seed, the same points, "
                 "the same initial weights and the same losses as TF Playground, epoch for "
                 "epoch." if kind == "opened" else
                 "It trains under the playground's own rules, listed below where they differ.")
        st.success("The link's set-up is on the left now. " + rules, icon=":material/check:")
        if lines:
            st.caption("Not the same here (yet):")
            st.text("\n".join(f"• {line}" for line in lines))


def _open_there(cfg: Config) -> None:
    url, missing = cfg.to_tfplayground()
    if url is None:
        st.button("Open in TensorFlow Playground", key="tf_there", disabled=True)
    else:
        st.link_button("Open in TensorFlow Playground", url, icon=":material/open_in_new:")
    if missing:
        st.caption("What TF Playground cannot do the same way:")
        st.text("\n".join(f"• {line}" for line in missing))
