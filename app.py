"""MLP Playground: pick data and a network, press Train, watch it learn. `streamlit run app.py`"""

import streamlit as st
import torch

from playground.datasets import UPLOAD_PREFIX
from playground.ui import session
from playground.ui.compare import compare_ui
from playground.ui.inside import inside_ui
from playground.ui.lessons import lessons_ui
from playground.ui.live import Views, train_live
from playground.ui.sidebar import sidebar_ui
from playground.ui.sweep import sweep_ui
from playground.ui.takeaway import loaded_note, takeaway_ui
from playground.ui.upload import upload_ui

torch.set_num_threads(1)  # many small trainings share two cores; see GUIDE §4 and train.py

st.set_page_config(page_title="MLP Playground", page_icon="🧠", layout="wide")
st.markdown("<style>[data-testid='stMainBlockContainer']{padding-top:2.2rem}</style>",
            unsafe_allow_html=True)
session.start()
state = st.session_state

st.sidebar.title("MLP Playground")
st.sidebar.caption("Every setting is in the page's link: copy it to share this exact experiment.")
cfg = session.apply(sidebar_ui())
run = session.current_run(cfg)

st.markdown("### Watch a neural network learn")
st.caption("Choose data and a network on the left, press **Train**, and watch the decision "
           "boundary and the loss curves change. Colours show the model's belief at every "
           "point; circles are the data (outlined: test points it never trains on).")
lessons_ui()
for name, problem in state.link_errors.items():
    st.warning(f"Link parameter **{name}** was ignored ({problem}); using the default.", icon="🔗")
state.link_errors = {}
if state.config_errors:
    st.error("These settings are not possible, so the model keeps the last valid ones:\n\n"
             + "\n".join(f"- **{k}**: {v}" for k, v in state.config_errors.items()), icon="⚠️")
loaded_note()
if state.notice:
    st.info(state.notice, icon=":material/restart_alt:")
    state.notice = ""

buttons = st.columns([1.3, 1, 1, 1, 1.2, 2.5])
buttons[0].button("Train", type="primary", on_click=session.on_train, key="train",
                  help=f"Train {cfg.epochs:,} epochs from where the model is now.",
                  use_container_width=True, disabled=state.training)
buttons[1].button("Stop", on_click=session.on_stop, key="stop", use_container_width=True,
                  disabled=not state.training)
buttons[2].button("Step", on_click=session.on_step, key="step", use_container_width=True,
                  help="Train exactly one epoch.")
buttons[3].button("Reset", on_click=session.on_reset, key="reset", use_container_width=True,
                  help="New initial weights, same data.")
buttons[4].button("New data", on_click=session.on_new_data, key="new_data",
                  use_container_width=True, help="Draw a new sample of the dataset.")
with buttons[5].popover("Share this set-up", use_container_width=True):
    st.caption("The link holds every setting; whoever opens it gets this data and network.")
    if cfg.dataset.startswith(UPLOAD_PREFIX):
        st.warning("Your uploaded data is not in the link: whoever opens it gets the default "
                   "data and must upload the file themselves.")
    st.code(session.share_link(cfg), language=None, wrap_lines=True)

note = st.empty()
if not state.training and run.status == "running":
    run.status = "stopped"  # a Stop click interrupted the loop
if state.step_request:
    state.step_request = False
    run.fit(1)
views = Views(run)
inside_ui(cfg, run)
compare_ui(run)
sweep_ui(cfg, run)
upload_ui()
takeaway_ui(cfg, run)

if state.training and run.epoch < state.target:
    train_live(run, views, state.target, note)
    state.training = False
    st.rerun()  # redraw the buttons (Train enabled, Stop disabled)
state.training = False
if run.status == "diverged":
    st.error(run.message, icon="💥")
elif run.status == "early_stopped":
    st.info(run.message, icon=":material/front_hand:")
