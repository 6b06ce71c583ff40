"""The live views and the training loop that redraws them between epochs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import streamlit as st

from playground import Run
from playground.datasets import grid
from playground.draw import charts, figures, raster
from playground.ui.network import NetworkView

FRAME_S = 0.12  # start a redraw at most every 120 ms: 5-7 frames a second while training
GRID = figures.GRID  # boundary heatmap resolution (GRID x GRID evaluations per frame)
# Training threads of all sessions share the GIL and two cores: a few at once, the rest wait.
TRAIN_SLOTS = threading.BoundedSemaphore(2)
CURVE_HEIGHT = 270


@contextmanager
def training_slot(note: st.delta_generator.DeltaGenerator) -> Iterator[None]:
    while not TRAIN_SLOTS.acquire(timeout=0.25):
        note.info("Other visitors are training right now; yours starts in a moment.")
    note.empty()
    try:
        yield
    finally:
        TRAIN_SLOTS.release()


class Views:
    """Everything that changes while training. Each element is created by the first draw and
    replaced in place afterwards: an element first created empty (st.empty) would blank in the
    browser at the start of every script run until it is filled."""

    def __init__(self, run: Run):
        data_dim, task = run.data.dim, run.task
        self.areas = {"metrics": st.columns(6)}
        self.progress = st.empty()
        left, right = st.columns([1.1, 1], gap="medium")
        with left:
            boundary = data_dim == 2 and task != "regression"
            row = st.columns(2) if boundary else [st.container(), None]
            show_test = data_dim <= 2 and row[0].toggle(
                "Show test points", value=True, key="show_test",
                help="Held-out points, drawn with a dark ring; the model never trains on them.")
            discretize = boundary and row[1].toggle(
                "Discretize output", key="discretize",
                help="Hard class regions instead of shaded probabilities.")
            self.areas["main"] = st.container()
            self.areas["extra"] = st.container()
        with right:
            log_loss = st.toggle("Log-scale loss", key="log_loss",
                                 help="A log axis shows the late, slow part of training.")
            self.areas["loss"] = st.container()
            self.areas["metric"] = st.container()
        self.options = dict(show_test=show_test, discretize=discretize, log_loss=log_loss)
        self.slots: dict[str, st.delta_generator.DeltaGenerator] = {}
        self.network = NetworkView(run, self._put)
        self._grid_for: tuple | None = None
        self.draw(run)

    def _put(self, name: str, area, method: str, *args, **kwargs) -> None:
        """Create the element on first use, then replace it in place."""
        target = self.slots.get(name, area)
        self.slots[name] = getattr(target, method)(*args, **kwargs)

    def draw(self, run: Run, rate: float | None = None, live: bool = False) -> None:
        """Redraw every view from the run (`live`: while training)."""
        self._metrics(run, rate)
        main = raster.png_bytes(self._main_image(run))
        self._put("main", self.areas["main"], "image", main, width="content", output_format="PNG")
        for name, (data, spec) in (("loss", charts.loss_curves(run.history,
                                                               self.options["log_loss"])),
                                   ("metric", charts.metric_curves(run.history, run.task))):
            self._put(name, self.areas[name], "vega_lite_chart", data, spec, width="stretch",
                      height=CURVE_HEIGHT)
        if run.data.name == "digits":
            guess = run.predict(run.data.X_test).argmax(1)
            mistakes = raster.digits_image(run.data.X_test, run.data.y_test, guess)
            self._put("extra", self.areas["extra"], "image", raster.png_bytes(mistakes),
                      output_format="PNG",
                      caption="Test digits the model gets wrong: true class -> its guess")
        self.network.draw(run, live)

    def _main_image(self, run: Run):
        d, o = run.data, self.options
        cached = self._grid(d.box) if d.dim <= 2 and d.box is not None else None
        basis = _pca(d) if d.dim > 2 and run.task != "regression" else None
        return figures.main_view(run, discretize=o["discretize"], show_test=o["show_test"],
                                 evaluation_grid=cached, basis=basis)

    def _grid(self, box):
        if self._grid_for is None or self._grid_for[0] != box:
            self._grid_for = (box, grid(box, GRID))
        return self._grid_for[1]

    def _metrics(self, run: Run, rate: float | None) -> None:
        h, last = run.history, run.final  # after early stopping: the best epoch's numbers
        per_epoch = run.seconds / run.epoch * 1000 if run.epoch else 0.0
        quality = (("Test R²", f"{last['test_r2']:.3f}", None) if run.task == "regression" else
                   ("Test accuracy", f"{last['test_acc']:.1%}", None))
        cards = [
            ("Epoch", f"{run.epoch:,}", None),
            ("Train loss", f"{last['train_loss']:.3g}", _delta(h["train_loss"])),
            ("Test loss", f"{last['test_loss']:.3g}", _delta(h["test_loss"])),
            quality,
            ("Time per epoch", f"{per_epoch:.2f} ms" if run.epoch else "–",
             f"{rate:,.0f} epochs/s" if rate else None),
            ("Status", run.status, None),
        ]
        for i, (label, value, delta) in enumerate(cards):
            colour = "off" if label in ("Time per epoch", "Status", "Epoch") else "inverse"
            self._put(f"card{i}", self.areas["metrics"][i], "metric", label, value, delta,
                      delta_color=colour)


def _delta(series: list[float]) -> str | None:
    if len(series) < 2:
        return None
    return f"{series[-1] - series[-2]:+.3g}"


_PCA: dict[int, tuple] = {}


def _pca(data) -> tuple:
    # One projection per dataset object (a handful live at once); computed from its train split.
    if id(data) not in _PCA:
        if len(_PCA) > 16:
            _PCA.clear()
        _PCA[id(data)] = raster.pca_basis(np.asarray(data.X_train))
    return _PCA[id(data)]


def train_live(run: Run, views: Views, target: int, note) -> None:
    """Train until epoch `target`, redrawing every FRAME_S; a click elsewhere interrupts it."""
    start_epoch, start = run.epoch, time.perf_counter()
    last_frame = 0.0

    def callback(r: Run) -> bool:
        nonlocal last_frame
        now = time.perf_counter()
        if now - last_frame >= FRAME_S:
            rate = (r.epoch - start_epoch) / (now - start)
            views.draw(r, rate, live=True)
            views.progress.progress((r.epoch - start_epoch) / max(target - start_epoch, 1),
                                    text=f"Training: epoch {r.epoch:,} of {target:,}")
            last_frame = now
        return True

    with training_slot(note):
        run.fit(target - run.epoch, callback)
    rate = (run.epoch - start_epoch) / max(time.perf_counter() - start, 1e-9)
    views.progress.empty()
    views.draw(run, rate, live=True)  # the page reruns next, and draws the interactive diagram
