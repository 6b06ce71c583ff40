"""The page, top to bottom: app.py runs `page()` once per interaction."""

from __future__ import annotations

import gc

import streamlit as st
import torch

from playground.datasets import UPLOAD_PREFIX
from playground.ui import lessons, session
from playground.ui.compare import compare_ui, keep_trained
from playground.ui.inside import inside_ui
from playground.ui.live import controls_ui, live_view
from playground.ui.sidebar import sidebar_ui
from playground.ui.sweep import sweep_ui
from playground.ui.takeaway import loaded_note, takeaway_ui
from playground.ui.text import plain
from playground.ui.tfplayground import tfplayground_ui
from playground.ui.upload import upload_ui

GC_YOUNG = 20_000

# Everything the page needs is imported now (torch, plotly, pandas, streamlit: about 260,000
# objects that live as long as the server). A full garbage collection walked them all, holding
# every thread for 0.13 s on an idle machine and 0.2-0.3 s while visitors trained, about every
# 3 s (Streamlit forced one after every script run, which .streamlit/config.toml now turns off:
# runner.postScriptGC): a visible stall of the live view and of Step. Frozen, they are left out
# of every collection from now on. And collections come less often: the youngest generation is
# collected after GC_YOUNG new objects rather than 700 (Python's default), each under 20 ms.
gc.collect()
gc.freeze()
gc.set_threshold(GC_YOUNG, *gc.get_threshold()[1:])

state = st.session_state
STYLE = """<style>
[data-testid='stMainBlockContainer']{padding-top:2.2rem}
/* the live view never fades while the rest of the page reruns: it is live */
.st-key-live [data-stale='true'], [data-testid='stElementContainer']:has([data-testid='mlpLive']) {
  opacity: 1 !important; transition: none !important; }
/* nor goes blank for a frame at a rerun: Streamlit hides an element it keeps for later
   ("retained") and adds a new one, which the view moves to at its mount. Only the element that
   holds the view (marked by playground/ui/static/live.js) is shown: never none, never two. */
.st-key-live [data-testid='stElementContainer'][data-mlp-holder] { display: block !important; }
.st-key-live [data-testid='stElementContainer']:not([data-mlp-holder]) { display: none !important; }
/* a lesson's progress bar takes its Run button's place without making the row taller (the
   button, keyed, is "retained" by Streamlit while the run goes on: it is not shown twice) */
.st-key-lesson_run_slot { height: 2.5rem; justify-content: flex-end; }
.st-key-lesson_run_slot [data-retained='true'] { display: none !important; }
.st-key-lesson_run_slot [data-testid='stProgress'] p {
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
/* the Train button is a fragment of its own (playground/ui/live.py): its wrapper keeps the
   button's width in the row of controls instead of stretching */
.st-key-controls > [data-testid='stLayoutWrapper']:has(.st-key-train),
.st-key-controls > [data-testid='stLayoutWrapper']:has(.st-key-train) > [data-testid='stVerticalBlock'] {
  flex: 0 0 auto !important; width: auto !important; }
</style>"""


def page() -> None:
    torch.set_num_threads(1)  # many small trainings share two cores (playground/device.py)
    st.set_page_config(page_title="MLP Playground", page_icon="🧠", layout="wide")
    st.markdown(STYLE, unsafe_allow_html=True)
    session.start()
    lessons.prepare()
    st.sidebar.title("MLP Playground")
    st.sidebar.caption("Every setting is in the page's link: copy it to share this exact "
                       "experiment.")
    cfg = session.apply(sidebar_ui())
    if state.config_errors:
        st.sidebar.error("These settings are not possible, so the model keeps the last valid "
                         "ones:\n\n" + "\n".join(f"- **{plain(k)}**: {plain(v)}"
                                                 for k, v in state.config_errors.items()),
                         icon="⚠️")
    job = session.current_job(cfg)

    # One row for the title, the lesson menu and sharing: on a laptop's screen the picture
    # below is then whole while it trains, without scrolling.
    title, pick, share = st.columns([2.3, 1.3, 0.8], vertical_alignment="bottom")
    title.markdown("### Watch a neural network learn")
    with pick:
        lesson = lessons.picker()
    with share:
        _share(cfg)
    st.caption("Choose data and a network on the left, press **Train**, and watch the decision "
               "boundary and the loss curves change. Colours show the model's belief at every "
               "point; circles are the data (outlined: test points it never trains on)."
               + (f" {lessons.FREE_PLAY_TEXT}" if lesson == lessons.FREE_PLAY else ""))
    lessons.card(lesson)
    for name, problem in state.link_errors.items():
        st.warning(f"Link parameter {plain(name)} was ignored: {plain(problem)}. The default is "
                   "used.",
                   icon="🔗")
    state.link_errors = {}
    loaded_note()
    if state.notice:
        st.toast(state.notice, icon=":material/restart_alt:")
        state.notice = ""

    controls_ui(job, cfg)
    with st.container(key="live"):
        live_view(job)

    # The panels read the model at length, so they read a still copy of it: the live run is
    # never held from the trainer (a Step clicked meanwhile trains at once).
    with job.reading() as run:
        if not job.playing:
            keep_trained(run)
        still = job.frozen()
    _panels(cfg, still)


def _share(cfg) -> None:
    with st.popover("Share", icon=":material/share:", width="stretch", key="share",
                    help="The link to this exact set-up, to send or to bookmark."):
        st.caption("The link holds every setting; whoever opens it gets this data and network.")
        if cfg.dataset.startswith(UPLOAD_PREFIX):
            st.warning("Your uploaded data is not in the link: whoever opens it gets the "
                       "default data and must upload the file themselves.")
        st.code(session.share_link(cfg), language=None, wrap_lines=True)


def _panels(cfg, run) -> None:
    inside_ui(cfg, run)
    compare_ui(run)
    sweep_ui(cfg, run)
    upload_ui()
    tfplayground_ui(cfg)
    takeaway_ui(cfg, run)
