"""The network section of the page: the live diagram and one neuron's picture, large."""

from __future__ import annotations

import time

import streamlit as st

from playground import Run
from playground.draw import diagram, raster

BIG = 90  # grid points per axis of the large picture
NODE_CAPTION = "What it outputs"
LIVE_FRAME_S = 0.3  # while training, redraw one of this section's two parts at most this often


class NetworkView:
    """Drawn under the main views; `draw(run)` updates both parts in place."""

    def __init__(self, run: Run, put):
        self._put = put  # Views._put: create on the first draw, replace in place afterwards
        d = run.data
        self.pictures = d.box is not None and d.dim <= 2
        self.last_live, self.turn = 0.0, False
        section = st.container(key="network")  # class st-key-network, for the browser tests
        section.markdown("##### The network")
        left, right = section.columns([2.4, 1], gap="medium")
        left.caption("Every line is a weight: blue positive, orange negative, thicker when "
                     "larger. " + ("Each square shows what that node outputs over the input "
                               "space (blue above 0, orange below), as the network learns. "
                               if self.pictures else "")
                     + "Hover over a line or a node for its value (when training stops).")
        self.spec = diagram.spec(len(run.config.hidden) + 2, diagram.n_rows(run),
                                 with_pictures=self.pictures)
        self.height = diagram.height(diagram.n_rows(run))
        self.node = _choose_node(run, right) if self.pictures else None
        self.areas = {"diagram": left.container(), "node": right.container()}
        if not self.pictures:
            right.caption("Pictures of each neuron need 1-D or 2-D data. Wide layers show their "
                          f"first {diagram.MAX_UNITS - 1} units and say how many more there are.")

    def draw(self, run: Run, live: bool = False) -> None:
        """Live (while training): a picture of the diagram, since the interactive chart would
        reload every node picture at every frame and blank; at rest: the chart, with hover.
        While training, the diagram and the large picture take turns, one every LIVE_FRAME_S."""
        now = time.perf_counter()
        if live and now - self.last_live < LIVE_FRAME_S:
            return
        self.last_live = now if live else 0.0
        self.turn = not self.turn if live else True
        if not live:
            tables = diagram.diagram(run, urls=self.pictures)
            self._put("diagram", self.areas["diagram"], "vega_lite_chart",
                      spec={**self.spec, "datasets": tables}, width="stretch",
                      height=self.height)
        elif self.turn or self.node is None:
            tables = diagram.diagram(run, urls=False)
            pixels = diagram.pictures(run) if self.pictures else None
            picture = diagram.image(tables, pixels, len(run.config.hidden) + 2,
                                    diagram.n_rows(run))
            self._put("diagram", self.areas["diagram"], "image", raster.png_bytes(picture),
                      width="stretch", output_format="PNG")
            return
        if self.node is not None:
            self._draw_node(run)

    def _draw_node(self, run: Run) -> None:
        layer, unit, name = self.node
        d = run.data
        values = diagram.node_grid(run, layer, unit, BIG if d.dim == 2 else 200)
        pixels, ends = diagram.node_pixels(run, layer, unit, values)
        image = raster.node_image(d.box, values, d.X_train, d.y_train, task=run.task, title=name,
                                  background=pixels[::-1] if d.dim == 2 else None, ends=ends)
        self._put("node", self.areas["node"], "image", raster.png_bytes(image), width="stretch",
                  output_format="PNG",
                  caption=f"{NODE_CAPTION} at each point of the input space: {name}")


def _choose_node(run: Run, col) -> tuple[int, int, str]:
    """The node to show large: every input, hidden unit and output, wide layers included."""
    names = diagram.unit_names(run)
    options = [(layer, unit) for layer, units in enumerate(names) for unit in range(len(units))]
    labels = {(layer, unit): names[layer][unit] for layer, unit in options}
    default = (1, 0) if len(names) > 2 else (0, 0)  # the first hidden neuron
    if st.session_state.get("closer_node") not in labels:
        st.session_state["closer_node"] = default
    layer, unit = col.selectbox(
        "Look closer at", options, key="closer_node", format_func=labels.get,
        help="Any input, hidden neuron or output: its output over the input space, large.")
    return layer, unit, labels[(layer, unit)]
