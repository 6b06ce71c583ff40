"""MLP Playground: pick data and a network, press Train, watch it learn.

    streamlit run app.py        (or: python3 -m streamlit run app.py)

Streamlit runs this file as the page, once per interaction (playground/ui/page.py). When
`streamlit run` starts, it first imports this file as a module and serves `app`: Streamlit's own
routes and, on the same port, the live view's channel and scripts (playground/ui/server.py).
"""

import streamlit as st

if __name__ == "__main__":
    from playground.ui.page import page

    page()
else:
    from playground.ui.server import routes

    app = st.App(__file__, routes=routes())
