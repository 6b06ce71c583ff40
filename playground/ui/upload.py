"""Bring your own data: upload a CSV file, choose its target column, train on it.

A good file becomes a dataset of this session (ui/sidebar.py offers it) and the model starts
again on it; a bad one shows what is wrong and changes nothing, so the data and the model
already on the page stay.
"""

from __future__ import annotations

import streamlit as st

from playground import LOSSES, Config, ConfigError, userdata
from playground.datasets import DatasetSpec
from playground.ui.sidebar import my_datasets, put_in_sidebar
from playground.ui.text import plain

state = st.session_state
MAX_PER_SESSION = 5  # uploads a session keeps offering; each holds its rows in memory
TASK_LABELS = {"auto": "Decide for me", "classification": "Classes", "regression": "Numbers"}


def upload_ui() -> None:
    with st.expander("Bring your own data"):
        st.caption(f"A CSV file with a header line: numeric feature columns and one target "
                   f"column, either numbers to predict or up to {userdata.MAX_CLASSES} classes "
                   f"(numbers or words). At most {userdata.MAX_ROWS:,} rows, "
                   f"{userdata.MAX_FEATURES} features and 5 MB. The file stays in this browser "
                   "session on the server; it is not stored, and share links do not carry it.")
        left, right = st.columns([1.2, 1], gap="medium")
        with left:
            # Any file type: a wrong one (an .xlsx, a saved set-up) gets a message saying
            # what it is and what to do, where a type filter would only refuse it.
            file = st.file_uploader("CSV file", key="upload_data", on_change=_on_new_file)
        if file is not None:
            with right:
                _choices(file.getvalue())
        if state.get("upload_data_error"):
            st.error(plain(state.upload_data_error), icon=":material/error:")


def _choices(raw: bytes) -> None:
    """The target and task pickers and the button, once the header has been read."""
    try:
        names = userdata.columns(raw)
    except userdata.DataFileError as e:
        state.upload_data_error = str(e)  # shown below the uploader by upload_ui
        return
    st.selectbox("Target column (what to predict)", names, index=len(names) - 1,
                 key="upload_target", help="Every other column is a feature.")
    st.radio("The target is", list(TASK_LABELS), format_func=TASK_LABELS.get, horizontal=True,
             key="upload_task", help="Decide for me: text, or at most "
             f"{userdata.MAX_CLASSES} different whole numbers, are classes; anything else is "
             "numbers (regression).")
    st.button("Use this data", key="upload_use", on_click=_on_use, icon=":material/upload:",
              help="Check the whole file and start the model again on it.")


# ---- callbacks: they run before the script, so they may set the sidebar's widgets ----------
def _on_new_file() -> None:
    state.upload_data_error = ""
    state.pop("upload_target", None)  # a new file has new columns: default to its last one


def _on_use() -> None:
    """Read, check and register the file; on any problem say so and change nothing."""
    file = state.get("upload_data")
    if file is None:
        return
    try:
        table = userdata.read_csv(file.getvalue(), state.get("upload_target"),
                                  state.get("upload_task", "auto"))
        spec = userdata.register_upload(table, file.name)  # Config looks names up there
        cfg = _config_for(table)
    except userdata.DataFileError as e:
        state.upload_data_error = f"Nothing was changed. {e}"
        return
    _remember(spec)
    put_in_sidebar({"dataset": cfg.dataset, "n_samples": cfg.n_samples, "loss": cfg.loss})
    state.upload_data_error = ""
    state.loaded_note = f"Now learning from your file {file.name}: {table.summary()}"


def _config_for(table: userdata.Table) -> Config:
    """The current settings on all the file's rows; raises DataFileError if they cannot be."""
    cfg: Config = state.cfg
    loss = cfg.loss if table.task in LOSSES[cfg.loss].tasks else "auto"
    try:
        return cfg.replace(dataset=table.name, n_samples=table.n_rows, loss=loss)
    except ConfigError as e:
        problems = "; ".join(f"{k}: {v}" for k, v in e.errors.items())
        raise userdata.DataFileError(f"The file is fine, but the current settings do not fit "
                                     f"it: {problems}") from None


def _remember(spec: DatasetSpec) -> None:
    """Offer `spec` in the sidebar; drop the oldest offers beyond MAX_PER_SESSION."""
    mine = my_datasets()
    mine.pop(spec.name, None)
    mine[spec.name] = spec  # the newest last
    keep = (state.cfg.dataset, spec.name)
    while len(mine) > MAX_PER_SESSION:
        del mine[next(n for n in mine if n not in keep)]
