"""A visitor's text (link parameters, file names, CSV column names and cells, typed values) shown
on the page as text. Streamlit reads the body of st.warning, st.error, st.caption, st.success and
st.markdown as Markdown: a link's `[click](https://…)` would become a live link in the app's own
warning, `![x](http://…)` an image fetched by everyone who opens it, and even a bare address is
linked (escaping punctuation does not stop GitHub-style autolinks). So visitor text goes in a
code span, where Markdown, autolinks and Streamlit's `:colour[…]` and `$…$` are not read."""

from __future__ import annotations

import re


def plain(text: object) -> str:
    """`text` (on one line) as a Markdown code span that shows exactly those characters."""
    one_line = " ".join(str(text).split()) or " "
    fence = "`" * (max((len(r) for r in re.findall(r"`+", one_line)), default=0) + 1)
    pad = " " if one_line.startswith("`") or one_line.endswith("`") else ""
    return f"{fence}{pad}{one_line}{pad}{fence}"
