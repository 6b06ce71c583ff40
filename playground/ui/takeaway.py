"""Take it away: the set-up as JSON (down and up), the trained weights, the data, the code."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
import torch

from playground import Config, ConfigError, Run
from playground.config import read_setup
from playground.datasets import UPLOAD_PREFIX
from playground.export import to_script
from playground.ui.sidebar import load_into_widgets, my_datasets
from playground.ui.text import plain

state = st.session_state


def takeaway_ui(cfg: Config, run: Run) -> None:
    with st.expander("Save, load and take away"):
        left, right = st.columns(2)
        with left:
            st.download_button("Set-up (JSON)", cfg.to_json(), "playground-config.json",
                               "application/json", key="download_config", on_click="ignore",
                               help="Every setting; load it back here or with Config.from_json.")
            # Callables: made only when clicked, not on every rerun.
            st.download_button("Trained weights (state_dict)", lambda: _weights(run), "weights.pt",
                               key="download_weights", on_click="ignore",
                               help="Load with torch.load(path, weights_only=True).")
            st.download_button("Data (CSV, train and test)", lambda: _data_csv(run), "data.csv",
                               "text/csv", key="download_data", on_click="ignore")
        with right:
            st.file_uploader("Load a set-up (JSON)", type=["json"], key="upload_config",
                             on_change=_on_upload, help="A file saved with the button on the left.")
            if state.get("upload_error"):
                st.error(plain(state.upload_error))
        _code(cfg)


def _on_upload() -> None:
    """Runs before the script: a good file sets the widgets, a bad one changes nothing."""
    file = state.get("upload_config")
    if file is None:
        return
    try:
        cfg = read_setup(file.getvalue())
        if cfg.dataset.startswith(UPLOAD_PREFIX) and cfg.dataset not in my_datasets():
            raise ConfigError({"dataset": f"'{cfg.dataset}' is not loaded here"})
    except ConfigError as e:
        if f"'{UPLOAD_PREFIX}" in e.errors.get("dataset", ""):  # an upload unknown here
            state.upload_error = ("Nothing was changed: this set-up trains on data uploaded from "
                                  "a file, which set-up files do not carry. Upload that file "
                                  "under 'Bring your own data' first, then load the set-up.")
            return
        problems = "; ".join(f"{k}: {v}" for k, v in e.errors.items())
        state.upload_error = f"Nothing was changed. The file has problems: {problems}"
        return
    load_into_widgets(cfg)
    state.upload_error = ""
    state.loaded_note = f"Loaded the set-up from {file.name}."


def loaded_note() -> None:
    """Say at the top of the page that a set-up was loaded (the panel may be closed by then)."""
    if state.get("loaded_note"):
        st.success(plain(state.loaded_note), icon=":material/upload_file:")
        state.loaded_note = ""


def _code(cfg: Config) -> None:
    if not st.toggle("Show the code", key="show_code",
                     help="A standalone PyTorch script that rebuilds this data and network and "
                          "trains it to the same numbers."):
        return  # generating the script takes ~25 ms: only when asked, not on every rerun
    if cfg.dataset.startswith(UPLOAD_PREFIX):
        st.caption("No standalone script for your own data: the script rebuilds its data from "
                   "the playground's generators, and a file is not one of them.")
        return
    try:
        script = to_script(cfg)
    except ValueError as e:
        st.caption(f"No standalone script for this set-up: {e}")
        return
    st.download_button("Download script.py", script, "script.py", "text/x-python",
                       key="download_script", on_click="ignore")
    st.code(script, language="python")


def _weights(run: Run) -> bytes:
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().clone() for k, v in run.model.state_dict().items()}, buffer)
    return buffer.getvalue()


def _data_csv(run: Run) -> str:
    d = run.data
    names = [f"x{i + 1}" for i in range(d.dim)]
    rows = []
    for split, X, y in (("train", d.X_train, d.y_train), ("test", d.X_test, d.y_test)):
        block = np.column_stack([X, y]).astype(object)
        rows += [[split, *map(_number, row)] for row in block]
    header = ",".join(["split", *names, "target" if d.task == "regression" else "label"])
    return header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"


def _number(v) -> str:
    return str(int(v)) if float(v).is_integer() and abs(float(v)) < 1e15 else repr(float(v))
