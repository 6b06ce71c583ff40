"""The app's script runs under AppTest without raising. Real app tests come later."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

# AppTest resolves relative paths against this file, not the working directory.
APP = Path(__file__).resolve().parent.parent / "app.py"


def test_app_runs_and_shows_title():
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["MLP Playground"]
