"""The page's network section through AppTest: the diagram's tables are the model's weights,
and the large picture is the chosen node's output."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
from app_utils import assert_ok, click, open_page
from PIL import Image
from test_app import _MEDIA, record_media  # noqa: F401 (record_media is a fixture)

from playground.draw import diagram, raster
from playground.ui.network import BIG, NODE_CAPTION


def network_tables(at) -> dict:
    (chart,) = [c for c in at.get("vega_lite_chart") if c.proto.datasets]
    return {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in chart.proto.datasets}


def node_picture(at) -> tuple[str, np.ndarray]:
    (image,) = [i for i in at.get("image") if any(c.startswith(NODE_CAPTION)
                                                    for c in i.captions)]
    (url,) = image.value
    data = _MEDIA[url.rsplit("/", 1)[-1].split(".")[0]]
    return image.captions[0], np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def test_the_diagram_shows_the_trained_weights():
    at = open_page(dataset="xor", hidden="4,3", epochs="30")
    click(at, "train")
    run = at.session_state["run"]
    tables = network_tables(at)
    expected = diagram.diagram(run)
    for name in ("nodes", "edges", "labels", "inputs"):
        assert tables[name].shape == expected[name].shape
    np.testing.assert_allclose(tables["edges"]["weight"], expected["edges"]["weight"])
    assert tables["nodes"]["name"].tolist() == ["x₁", "x₂", "h1.1", "h1.2", "h1.3", "h1.4",
                                                "h2.1", "h2.2", "h2.3", "P(class 1)"]
    assert all(u.startswith("data:image/png;base64,") for u in tables["nodes"]["url"])


def test_look_closer_draws_the_chosen_node():
    at = open_page(dataset="circle", hidden="5", epochs="10")
    click(at, "train")
    caption, _ = node_picture(at)
    assert caption.endswith(": h1.1")
    at.selectbox(key="closer_node").set_value((1, 3)).run()
    assert_ok(at)
    caption, pixels = node_picture(at)
    assert caption.endswith(": h1.4")
    run = at.session_state["run"]
    expected = raster.node_image(run.data.box, diagram.node_grid(run, 1, 3, BIG),
                                 run.data.X_train, run.data.y_train, task=run.task, title="h1.4")
    np.testing.assert_array_equal(pixels, np.asarray(expected.convert("RGB")))


def test_high_dimensional_data_has_a_diagram_without_pictures():
    at = open_page(dataset="teacher", hidden="32", epochs="2")
    click(at, "train")
    tables = network_tables(at)
    assert set(tables["nodes"]["url"]) == {""}
    assert "+ 25 more" in tables["labels"]["text"].tolist()
    assert not [s for s in at.selectbox if s.key == "closer_node"]
