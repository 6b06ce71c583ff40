"""Streamlit-only code for app.py: the sidebar, the session, the live views. Nothing imports it
but the page."""
