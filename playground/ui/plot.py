"""Showing a library figure on the page: every Plotly chart goes through `show`."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from playground.draw.theme import CONFIG


def show(fig: go.Figure, key: str) -> None:
    """Draw `fig` at its own height, as wide as its column, in its own look (theme=None: the
    figure carries the page's font and colours). plotly.js comes with Streamlit's frontend."""
    st.plotly_chart(fig, key=key, theme=None, config=CONFIG, width="stretch", height="content")
