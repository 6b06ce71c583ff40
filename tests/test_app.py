"""The page, driven headless through streamlit.testing.v1.AppTest.

Every test starts a fresh session from a link (query parameters), clicks the page's buttons by
key and reads back the metrics, alerts, widgets, the views' pixels and the curves' data.

The main view (and the digits' mistakes) are st.image elements: AppTest hands each run a fresh
in-memory media store and drops it when the run ends, so the `record_media` fixture keeps the
bytes as the page adds them, and images() decodes what a browser would be sent. The curves are
st.vega_lite_chart elements: their spec is JSON and their data Arrow IPC in the proto.

AppTest cannot click while a script runs, so a mid-run Stop is reproduced at the point where the
page sees it (see test_stop_mid_run_keeps_history_and_train_resumes); test_browser.py clicks it
for real.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from app_utils import assert_ok, click, open_page
from PIL import Image
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from playground import Run, make_data
from playground.datasets import grid
from playground.draw import raster
from playground.ui.live import GRID
from playground.ui.network import NODE_CAPTION

# TF Playground's orange and blue: classes 0 and 1 (points in full colour, backgrounds faded).
ORANGE, BLUE = np.array([245, 147, 34]), np.array([8, 119, 189])
DIGITS_CAPTION = "Test digits the model gets wrong"  # how the caption starts

_MEDIA: dict[str, bytes] = {}  # file id -> bytes, for the test that is running


@pytest.fixture(autouse=True)
def record_media(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every media file the page adds (images() reads them back by the id in their URL)."""
    _MEDIA.clear()
    original = MemoryMediaFileStorage.load_and_get_id

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        if isinstance(path_or_data, bytes):
            _MEDIA[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)


# ---- helpers ---------------------------------------------------------------------------------






def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def epoch(at: AppTest) -> int:
    return int(metrics(at)["Epoch"].replace(",", ""))


def percent(text: str) -> float:
    assert text.endswith("%"), text
    return float(text[:-1])


def outside_panels(at: AppTest, kind: str) -> list:
    """Elements of `kind` in the page's views, leaving out the "under the hood" expander (its
    own tests are in test_app_inside.py)."""
    inside = {id(el) for block in at.expander for el in block.get(kind)}
    return [el for el in at.get(kind) if id(el) not in inside]


def infos(at: AppTest) -> list[str]:
    return [e.value for e in outside_panels(at, "info")]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def warnings(at: AppTest) -> list[str]:
    return [e.value for e in at.warning]


def toggles(at: AppTest) -> set[str]:
    """Keys of the view toggles (the main area's, outside the expanders; the sidebar has its own)."""
    return {t.key for t in outside_panels(at, "toggle") if t in at.main.toggle}


# ---- images: what the page sends, as (height, width, 3) int arrays ---------------------------
def images(at: AppTest) -> list[np.ndarray]:
    out = []
    for element in outside_panels(at, "image"):
        if any(c.startswith(NODE_CAPTION) for c in element.captions):
            continue  # the network section's large neuron picture: test_app_network.py
        (url,) = element.value
        file_id = url.rsplit("/", 1)[-1].split(".")[0]
        assert file_id in _MEDIA, f"no bytes recorded for {url}"
        picture = Image.open(io.BytesIO(_MEDIA[file_id])).convert("RGB")
        out.append(np.asarray(picture, dtype=np.int32))
    return out


def main_view(at: AppTest) -> np.ndarray:
    """The first image: the boundary, the 1-D function or the projection."""
    return images(at)[0]


def blocks(image: np.ndarray, size: int = 8) -> np.ndarray:
    h, w = (image.shape[0] // size) * size, (image.shape[1] // size) * size
    return image[:h, :w].reshape(h // size, size, w // size, size, 3).mean(axis=(1, 3))


def difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(mean, largest) colour difference of two pictures' 8x8 blocks, in levels of 255.

    The page's images arrive as JPEG: against the exact rendering that noise stays under
    1 on average and under 18 in any block (measured on every view), while an older frame
    of the same view differs by 2+ on average and by 23 to 140 somewhere."""
    assert a.shape == b.shape, (a.shape, b.shape)
    d = np.abs(blocks(a) - blocks(b)).max(axis=2)
    return float(d.mean()), float(d.max())


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    mean, largest = difference(a, b)
    return mean < 1.5 and largest < 32


def expected_view(run: Run, *, show_test: bool = True, discretize: bool = False) -> np.ndarray:
    """What raster draws for this run's data and model now, with the page's view options."""
    d = run.data
    if d.dim == 2:
        _, _, points = grid(d.box, GRID)
        p = run.predict(points)
        if run.task == "binary":
            values = p[:, 1].reshape(GRID, GRID)
        elif run.task == "multiclass":
            values = p.reshape(GRID, GRID, -1)
        else:
            values = p.reshape(GRID, GRID)
        targets = np.concatenate([d.y_train, d.y_test])
        value_range = ((float(targets.min()), float(targets.max()))
                       if run.task == "regression" else None)
        image = raster.boundary_image(d.box, values, d.X_train, d.y_train, d.X_test, d.y_test,
                                      task=run.task, n_classes=d.n_classes,
                                      discretize=discretize, show_test=show_test,
                                      value_range=value_range)
    elif d.dim == 1:
        xs, _, points = grid(d.box, GRID)
        image = raster.function_image(d.box, xs, run.predict(points), d.X_train, d.y_train,
                                      d.X_test, d.y_test, task=run.task, n_classes=d.n_classes,
                                      show_test=show_test)
    else:
        image = raster.projection_image(d.X_test, d.y_test, run.predict(d.X_test).argmax(1),
                                        n_classes=d.n_classes,
                                        basis=raster.pca_basis(np.asarray(d.X_train)))
    return np.asarray(image.convert("RGB"), dtype=np.int32)


def assert_shows(image: np.ndarray, run: Run, **options: bool) -> None:
    """The page's view is what raster draws for the session's run (up to JPEG noise)."""
    expected = expected_view(run, **options)
    assert same_picture(image, expected), (
        "the page's view is not the run's rendering: 8x8 blocks differ by "
        "{:.2f} on average, {:.0f} at most".format(*difference(image, expected)))


# Where data coordinates land on a 2-D boundary view (its plot area has equal units).
def canvas(run: Run) -> raster.Canvas:
    box = run.data.box
    return raster.Canvas(box[:2], box[2:], square=True)


def pixel_of(run: Run, x, y) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of data points (x, y) in the boundary view."""
    u, v = canvas(run).px(x, y)
    return np.rint(v / raster.S).astype(int), np.rint(u / raster.S).astype(int)


def patch(image: np.ndarray, run: Run, x: float, y: float, radius: int = 4) -> np.ndarray:
    """Median colour of the (2r+1)² pixels around data point (x, y)."""
    (r,), (c,) = pixel_of(run, [x], [y])
    return np.median(image[r - radius:r + radius + 1, c - radius:c + radius + 1].reshape(-1, 3),
                     axis=0)


def plot_area(run: Run, inset: int = 3) -> tuple[slice, slice]:
    c = canvas(run)
    left, top = round(c.x0 / raster.S) + inset, round(c.y0 / raster.S) + inset
    right, bottom = round((c.x0 + c.w) / raster.S) - inset, round((c.y0 + c.h) / raster.S) - inset
    return slice(top, bottom), slice(left, right)


def drawn_share(image: np.ndarray, run: Run, X: np.ndarray, y: np.ndarray) -> float:
    """Share of the binary points (X, y) whose centre pixel has their class colour: about 0.9
    for the points the view draws (overlaps and JPEG take the rest), near 0 for points it
    does not draw."""
    rows, cols = pixel_of(run, X[:, 0], X[:, 1])
    colour = np.where(np.asarray(y)[:, None] == 1, BLUE, ORANGE)
    return float((np.abs(image[rows, cols] - colour).max(axis=1) < 40).mean())


def background(image: np.ndarray, run: Run) -> np.ndarray:
    """The plot area's pixels (n, 3) away from every data point: the model's output alone."""
    rows, cols = plot_area(run)
    keep = np.zeros(image.shape[:2], dtype=bool)
    keep[rows, cols] = True
    X = np.concatenate([run.data.X_train, run.data.X_test])
    for r, c in zip(*pixel_of(run, X[:, 0], X[:, 1])):
        keep[max(r - 6, 0):r + 7, max(c - 6, 0):c + 7] = False
    return image[keep]


def two_colour_share(pixels: np.ndarray) -> tuple[float, np.ndarray]:
    """Share of pixels within 10 levels of the two commonest colours, and those colours."""
    bins, counts = np.unique(pixels // 4, axis=0, return_counts=True)
    top = bins[np.argsort(counts)[::-1][:2]] * 4 + 2
    nearest = np.abs(pixels[:, None, :] - top[None]).max(axis=2).min(axis=1)
    return float((nearest <= 10).mean()), top


# ---- curves: (spec, data) of the Vega-Lite charts ---------------------------------------------
def charts(at: AppTest) -> list[tuple[dict, pd.DataFrame]]:
    out = []
    for chart in outside_panels(at, "vega_lite_chart"):
        if chart.proto.datasets:  # the network diagram (named datasets); test_app_network.py
            continue
        data = pa.ipc.open_stream(chart.proto.data.data).read_all().to_pandas()
        out.append((json.loads(chart.proto.spec), data))
    return out


def chart_with(at: AppTest, label: str) -> tuple[dict, pd.DataFrame]:
    """The one chart that draws a curve called `label`."""
    found = [(spec, data) for spec, data in charts(at) if label in set(data["curve"])]
    assert len(found) == 1, f"{len(found)} charts with a curve {label!r}"
    return found[0]


def curve(at: AppTest, label: str) -> pd.DataFrame:
    """Rows (epoch, value, shown) of one curve, in epoch order."""
    _, data = chart_with(at, label)
    rows = data[data["curve"] == label].sort_values("epoch")
    return rows.reset_index(drop=True)


def loss_epochs(at: AppTest) -> list[int]:
    return curve(at, "train loss")["epoch"].tolist()


def y_scales(spec: dict) -> list[dict]:
    return [layer["encoding"]["y"]["scale"] for layer in spec["layer"]]


# ---- the landing page ------------------------------------------------------------------------
def test_default_page_renders_ready():
    at = open_page()
    assert [t.value for t in at.sidebar.title] == ["MLP Playground"]
    assert len(images(at)) == 1 and len(charts(at)) == 2
    height, width, _ = main_view(at).shape
    assert height == raster.HEIGHT and 300 < width <= raster.WIDTH  # square plots are trimmed
    assert_shows(main_view(at), at.session_state["run"])
    m = metrics(at)
    assert m["Epoch"] == "0"
    assert m["Status"] == "ready"
    assert list(m) == ["Epoch", "Train loss", "Test loss", "Test accuracy", "Time per epoch",
                       "Status"]
    assert 0.5 < float(m["Train loss"]) < 0.9  # an untrained binary model: about log 2
    assert loss_epochs(at) == [0]
    assert curve(at, "train loss")["value"].iloc[0] == pytest.approx(float(m["Train loss"]),
                                                                     rel=0.01)
    assert curve(at, "test accuracy")["epoch"].tolist() == [0]
    assert toggles(at) == {"show_test", "discretize", "log_loss"}
    assert not at.button(key="train").disabled
    assert at.button(key="stop").disabled
    assert not warnings(at) and not errors(at) and not infos(at)
    assert dict(at.query_params) == {}  # the defaults make a link with no parameters
    assert at.selectbox(key="w_dataset").value == "circle"
    assert at.text_input(key="w_hidden").value == "4, 2"


# ---- Train -----------------------------------------------------------------------------------
def test_train_runs_the_configured_epochs_and_redraws():
    at = open_page()
    before = main_view(at)
    click(at, "train")

    m = metrics(at)
    assert epoch(at) == 200  # the default epochs
    assert m["Status"] == "finished"
    assert percent(m["Test accuracy"]) > 90.0  # 99.6% measured on the default circle
    assert m["Time per epoch"].endswith(" ms")
    assert not at.button(key="train").disabled and at.button(key="stop").disabled

    run = at.session_state["run"]
    boundary = main_view(at)
    assert len(images(at)) == 1
    assert difference(boundary, before)[0] > 5  # it really changed
    assert_shows(boundary, run)
    # The circle: class 1 (blue) in the middle, class 0 (orange) outside; confident both ways.
    centre = patch(boundary, run, 0.0, 0.0)
    assert centre[2] - centre[0] > 80, centre
    x0, x1, y0, y1 = run.data.box
    for x, y in ((x0, y0), (x0, y1), (x1, y0), (x1, y1)):
        corner = patch(boundary, run, 0.92 * x, 0.92 * y)
        assert corner[0] - corner[2] > 100, (x, y, corner)

    loss = curve(at, "train loss")
    assert loss["epoch"].tolist() == list(range(201))
    assert loss["value"].iloc[-1] < 0.3 * loss["value"].iloc[0]
    assert loss["value"].iloc[-1] == pytest.approx(float(m["Train loss"]), rel=0.01)
    assert curve(at, "test loss")["epoch"].iloc[-1] == 200
    accuracy = curve(at, "test accuracy")
    assert accuracy["epoch"].iloc[-1] == 200
    assert accuracy["value"].iloc[-1] == pytest.approx(percent(m["Test accuracy"]) / 100,
                                                       abs=0.001)
    spec, _ = chart_with(at, "test accuracy")
    assert all(s["domain"] == [0.0, 1.0] for s in y_scales(spec))


def test_epochs_widget_sets_the_length_and_train_continues():
    at = open_page()
    at.number_input(key="w_epochs").set_value(30).run()
    assert_ok(at)
    assert dict(at.query_params) == {"epochs": "30"}  # the link follows the widget
    click(at, "train")
    assert epoch(at) == 30 and metrics(at)["Status"] == "finished"
    click(at, "train")  # from where the model is now
    assert epoch(at) == 60
    assert loss_epochs(at) == list(range(61))
    assert curve(at, "test accuracy")["epoch"].tolist() == list(range(61))


def test_long_histories_are_thinned_but_end_at_the_last_epoch():
    at = open_page(epochs="700")
    click(at, "train")
    assert epoch(at) == 700
    for label in ("train loss", "test loss", "train accuracy", "test accuracy"):
        x = curve(at, label)["epoch"]
        assert 300 <= len(x) <= 401, (label, len(x))
        assert x.iloc[0] == 0 and x.iloc[-1] == 700 and x.is_monotonic_increasing, label
    assert curve(at, "test accuracy")["value"].iloc[-1] == pytest.approx(
        percent(metrics(at)["Test accuracy"]) / 100, abs=0.001)


# ---- links -----------------------------------------------------------------------------------
def test_link_parameters_set_the_widgets_and_the_data():
    at = open_page(dataset="xor", hidden="8,8", lr="0.1", optimizer="adam", epochs="20")
    assert at.selectbox(key="w_dataset").value == "xor"
    assert at.text_input(key="w_hidden").value == "8, 8"
    assert at.select_slider(key="w_lr").value == 0.1
    assert at.selectbox(key="w_optimizer").value == "adam"
    assert at.number_input(key="w_epochs").value == 20
    assert not warnings(at)
    assert dict(at.query_params) == {"dataset": "xor", "hidden": "8,8", "lr": "0.1",
                                     "optimizer": "adam", "epochs": "20"}
    run = at.session_state["run"]
    assert run.data.name == "xor" and run.config.hidden == (8, 8)

    # The view draws exactly the xor sample the library makes for these settings, each point
    # in its class colour; another sample of the same dataset does not match it.
    data = make_data("xor", 500, 0.0, 0.5, 0)
    assert np.array_equal(run.data.X_train, data.X_train)
    view = main_view(at)
    assert drawn_share(view, run, data.X_train, data.y_train) > 0.75
    assert drawn_share(view, run, data.X_test, data.y_test) > 0.75
    other = make_data("xor", 500, 0.0, 0.5, 1)
    assert drawn_share(view, run, other.X_train, other.y_train) < 0.3
    class1 = data.X_train[data.y_train == 1]
    assert (class1[:, 0] * class1[:, 1] > 0).all()  # xor: same-sign quadrants are class 1

    click(at, "train")
    assert epoch(at) == 20
    assert percent(metrics(at)["Test accuracy"]) > 90.0  # adam 0.1 on 8,8 learns xor fast
    # The regions follow: blue in the same-sign quadrants, orange in the others.
    view = main_view(at)
    assert_shows(view, run)
    for x, y in ((3, 3), (-3, -3)):
        colour = patch(view, run, x, y)
        assert colour[2] - colour[0] > 80, (x, y, colour)
    for x, y in ((3, -3), (-3, 3)):
        colour = patch(view, run, x, y)
        assert colour[0] - colour[2] > 80, (x, y, colour)


def test_bad_link_parameters_warn_and_fall_back():
    at = open_page(lr="abc", hidden="999", colour="red")
    text = warnings(at)
    assert len(text) == 3
    for name, bad in (("lr", "abc"), ("hidden", "999"), ("colour", "unknown parameter")):
        assert any(f"**{name}**" in w and bad in w for w in text), (name, text)
    assert at.select_slider(key="w_lr").value == 0.03
    assert at.text_input(key="w_hidden").value == "4, 2"
    assert metrics(at)["Status"] == "ready"
    assert dict(at.query_params) == {}  # the bad parameters leave the link
    at.run()
    assert_ok(at)
    assert not warnings(at)  # the notice is shown once


def test_link_with_fields_bad_together_keeps_the_good_ones():
    # Each value is fine alone; batch norm with batch size 1 is not.
    at = open_page(batchnorm="true", batch_size="1", dataset="moons")
    assert at.selectbox(key="w_dataset").value == "moons"
    text = warnings(at)
    assert any("**batch_size**" in w for w in text), text
    assert at.number_input(key="w_batch_size").value == 10
    assert not errors(at)


# ---- Stop, Step, Reset, New data ---------------------------------------------------------------
class Interrupted(Exception):
    """What a Stop click does to the training loop: Streamlit raises inside the callback."""


def test_stop_mid_run_keeps_history_and_train_resumes():
    at = open_page(epochs="50")
    # The page at the moment Stop lands: on_train set the target, the loop trained 7 of 50
    # epochs when the rerun interrupted it (an exception out of Run.fit's callback: the run says
    # "stopped" itself), and the Stop callback cleared `training`.
    run: Run = at.session_state["run"]
    at.session_state["target"] = 50

    def interrupt(r: Run) -> None:
        if r.epoch == 7:
            raise Interrupted

    with pytest.raises(Interrupted):
        run.fit(50, interrupt)
    assert run.status == "stopped"
    at.session_state["training"] = False
    at.run()
    assert_ok(at)
    assert metrics(at)["Status"] == "stopped"
    assert epoch(at) == 7
    assert loss_epochs(at) == list(range(8))  # the partial history is drawn
    assert curve(at, "test accuracy")["epoch"].iloc[-1] == 7
    assert_shows(main_view(at), run)  # the model as it was when stopped
    assert not at.button(key="train").disabled

    click(at, "train")  # resumes to the same target instead of starting 50 more
    assert metrics(at)["Status"] == "finished"
    assert epoch(at) == 50
    assert at.session_state["run"] is run
    assert loss_epochs(at) == list(range(51))


def test_step_trains_exactly_one_epoch_then_train_continues():
    at = open_page(epochs="20")
    click(at, "step")
    assert epoch(at) == 1
    assert loss_epochs(at) == [0, 1]
    assert_shows(main_view(at), at.session_state["run"])
    click(at, "step")
    assert epoch(at) == 2
    click(at, "train")
    assert epoch(at) == 22 and metrics(at)["Status"] == "finished"
    assert loss_epochs(at) == list(range(23))


def test_reset_draws_new_weights_on_the_same_data():
    at = open_page(epochs="20")
    untrained = metrics(at)["Train loss"]
    data_before = at.session_state["run"].data
    click(at, "train")
    assert epoch(at) == 20
    trained_view = main_view(at)
    click(at, "reset")
    assert at.number_input(key="w_seed").value == 1
    assert dict(at.query_params) == {"epochs": "20", "seed": "1"}
    assert epoch(at) == 0 and metrics(at)["Status"] == "ready"
    assert loss_epochs(at) == [0]
    assert metrics(at)["Train loss"] != untrained  # seed 1 starts from other weights
    assert any("seed 1" in i for i in infos(at)), infos(at)
    assert [i.icon for i in outside_panels(at, "info")] == [":material/restart_alt:"]
    run = at.session_state["run"]
    assert run.config.seed == 1
    assert np.array_equal(run.data.X_train, data_before.X_train)
    view = main_view(at)
    assert drawn_share(view, run, data_before.X_train, data_before.y_train) > 0.75
    assert_shows(view, run)  # the new, untrained model
    assert not same_picture(view, trained_view)


def test_new_data_draws_a_new_sample():
    at = open_page(epochs="20")
    before = at.session_state["run"].data
    click(at, "train")
    click(at, "new_data")
    assert at.number_input(key="w_data_seed").value == 1
    assert dict(at.query_params) == {"epochs": "20", "data_seed": "1"}
    assert epoch(at) == 0 and metrics(at)["Status"] == "ready"
    assert any("data seed 1" in i for i in infos(at)), infos(at)
    run = at.session_state["run"]
    after = run.data
    assert after.X_train.shape == before.X_train.shape
    assert not np.allclose(after.X_train, before.X_train)
    view = main_view(at)
    assert_shows(view, run)
    new, old = (drawn_share(view, run, d.X_train, d.y_train) for d in (after, before))
    assert new > 0.75 and old < new - 0.2, (new, old)


def test_learning_rate_changes_live_but_hidden_resets_with_a_notice():
    at = open_page(epochs="20")
    click(at, "train")
    run = at.session_state["run"]
    at.select_slider(key="w_lr").set_value(0.1).run()
    assert_ok(at)
    assert epoch(at) == 20  # a training setting: same model, same history
    assert at.session_state["run"] is run and run.config.lr == 0.1
    assert not infos(at)
    assert at.query_params["lr"] == "0.1"
    click(at, "train")
    assert epoch(at) == 40
    assert loss_epochs(at) == list(range(41))  # one history of 41 points

    at.text_input(key="w_hidden").set_value("8").run()
    assert_ok(at)
    assert epoch(at) == 0 and metrics(at)["Status"] == "ready"
    assert any("hidden" in i.lower() for i in infos(at)), infos(at)
    assert at.session_state["run"].config.hidden == (8,)
    assert at.session_state["run"].config.lr == 0.1  # the live change was kept
    assert loss_epochs(at) == [0]


# ---- invalid settings and divergence ---------------------------------------------------------
def test_invalid_combination_shows_an_error_and_keeps_the_last_valid_config():
    at = open_page(epochs="20", batchnorm="true")
    at.number_input(key="w_batch_size").set_value(1).run()
    assert_ok(at)
    text = errors(at)
    assert len(text) == 1 and "batch_size" in text[0] and "batch norm" in text[0], text
    assert "batch_size" not in at.query_params  # the link keeps the last valid settings
    click(at, "train")
    assert epoch(at) == 20 and metrics(at)["Status"] == "finished"
    assert at.session_state["run"].config.batch_size == 10
    assert errors(at)  # still explained while the widget holds the bad value
    at.number_input(key="w_batch_size").set_value(2).run()
    assert_ok(at)
    assert not errors(at)
    assert epoch(at) == 20  # batch size is a live setting
    assert at.session_state["run"].config.batch_size == 2


def test_unparseable_hidden_layers_show_an_error():
    at = open_page()
    at.text_input(key="w_hidden").set_value("4, two").run()
    assert_ok(at)
    assert any("hidden" in e for e in errors(at)), errors(at)
    assert at.session_state["run"].config.hidden == (4, 2)
    assert metrics(at)["Status"] == "ready"


def test_diverging_config_stops_with_an_explanation():
    at = open_page(dataset="plane", optimizer="sgd", lr="10", hidden="16,16", activation="relu")
    click(at, "train")
    assert metrics(at)["Status"] == "diverged"
    text = errors(at)
    assert len(text) == 1
    assert "diverged" in text[0] and "learning rate" in text[0], text
    assert np.isfinite(float(metrics(at)["Train loss"]))  # the last finite weights came back
    assert not at.button(key="train").disabled
    assert len(images(at)) == 1 and len(charts(at)) == 2  # the views still draw
    assert np.isfinite(curve(at, "train loss")["shown"]).all()


# ---- every kind of view ----------------------------------------------------------------------
VIEWS = {
    # dataset: (extra link parameters, metric label, the metric chart's curves, its toggles)
    "sine": ({}, "Test R²", ("train R²", "test R²"), {"show_test", "log_loss"}),
    "bumps": ({}, "Test accuracy", ("train accuracy", "test accuracy"), {"show_test", "log_loss"}),
    "plane": ({}, "Test R²", ("train R²", "test R²"), {"show_test", "log_loss"}),
    "blobs": ({}, "Test accuracy", ("train accuracy", "test accuracy"),
              {"show_test", "discretize", "log_loss"}),
    "teacher": ({}, "Test accuracy", ("train accuracy", "test accuracy"), {"log_loss"}),
    "digits": ({"n_samples": "400"}, "Test accuracy", ("train accuracy", "test accuracy"),
               {"log_loss"}),
}


@pytest.mark.parametrize("dataset", list(VIEWS))
def test_each_view_renders_after_training(dataset):
    extra, label, labels, view_toggles = VIEWS[dataset]
    at = open_page(dataset=dataset, epochs="20", **extra)
    assert toggles(at) == view_toggles
    click(at, "train")
    m = metrics(at)
    assert epoch(at) == 20 and m["Status"] == "finished", m
    assert label in m
    run = at.session_state["run"]
    pictures = images(at)
    assert len(pictures) == (2 if dataset == "digits" else 1)
    assert pictures[0].shape[0] == raster.HEIGHT and pictures[0].shape[1] <= raster.WIDTH
    assert_shows(pictures[0], run)
    if dataset == "digits":
        (caption,) = at.get("image")[1].captions
        assert caption.startswith(DIGITS_CAPTION), caption
        guess = run.predict(run.data.X_test).argmax(1)
        assert (guess != run.data.y_test).any()  # 20 epochs: some mistakes to show
        expected = raster.digits_image(run.data.X_test, run.data.y_test, guess)
        assert same_picture(pictures[1], np.asarray(expected.convert("RGB"), dtype=np.int32))

    assert loss_epochs(at)[-1] == 20
    spec, data = chart_with(at, labels[1])
    assert set(data["curve"]) == set(labels)
    last = curve(at, labels[1])
    assert last["epoch"].iloc[-1] == 20
    if label == "Test R²":
        assert last["value"].iloc[-1] == pytest.approx(float(m[label]), abs=0.0005)
        assert all(s["domain"] == [-1.0, 1.0] for s in y_scales(spec))
        assert last["shown"].between(-1, 1).all()  # R² below -1 is drawn at -1
    else:
        assert last["value"].iloc[-1] == pytest.approx(percent(m[label]) / 100, abs=0.001)


def test_view_toggles_change_the_views():
    at = open_page(epochs="20")
    click(at, "train")
    run = at.session_state["run"]
    smooth = main_view(at)
    dark = (smooth[plot_area(run)].max(axis=2) < 80).sum()
    assert dark > 300  # the test points' dark rings

    at.toggle(key="discretize").set_value(True).run()
    assert_ok(at)
    hard = main_view(at)
    assert_shows(hard, run, discretize=True)
    share, colours = two_colour_share(background(hard, run))
    assert share > 0.95, share  # two colours only, apart from JPEG noise at the edges
    assert sorted(int(np.sign(c[2] - c[0])) for c in colours) == [-1, 1]  # orange and blue
    assert two_colour_share(background(smooth, run))[0] < 0.9  # shaded: many colours

    at.toggle(key="show_test").set_value(False).run()
    assert_ok(at)
    no_test = main_view(at)
    assert_shows(no_test, run, discretize=True, show_test=False)
    assert (no_test[plot_area(run)].max(axis=2) < 80).sum() < 20  # no dark rings left
    assert drawn_share(no_test, run, run.data.X_train, run.data.y_train) > 0.75

    spec, _ = chart_with(at, "train loss")
    assert {s["type"] for s in y_scales(spec)} == {"linear"}
    at.toggle(key="log_loss").set_value(True).run()
    assert_ok(at)
    spec, data = chart_with(at, "train loss")
    assert {s["type"] for s in y_scales(spec)} == {"log"}
    assert "log" in spec["layer"][0]["encoding"]["y"]["title"]
    assert (data["shown"] > 0).all()
    assert epoch(at) == 20  # view options never touch the model
    assert loss_epochs(at) == list(range(21))
