"""playground.draw.diagram: the network diagram's tables, pictures, spec and still image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground import Config, insight, train
from playground.datasets import grid
from playground.draw import diagram, raster
from playground.draw.colours import diverging_rgb


@pytest.fixture(scope="module")
def spiral():
    return train(Config(dataset="spiral", hidden=(12, 3), features=("x1", "x2", "sin_x1"),
                        epochs=3))


def linears(run):
    return [m for m in run.model if isinstance(m, torch.nn.Linear)]


def test_node_grids_are_the_nodes_own_outputs(spiral):
    _, _, points = grid(spiral.data.box, 20)
    features = spiral.data.transform(points)
    np.testing.assert_allclose(diagram.node_grid(spiral, 0, 2, 20).ravel(), features[:, 2],
                               rtol=1e-6)
    for layer, unit in ((1, 0), (1, 11), (2, 2)):
        np.testing.assert_allclose(diagram.node_grid(spiral, layer, unit, 20),
                                   insight.neuron_grid(spiral, layer - 1, unit, 20), rtol=1e-6)
    np.testing.assert_allclose(diagram.node_grid(spiral, 3, 0, 20).ravel(),
                               spiral.predict(points)[:, 1], rtol=1e-6)
    with pytest.raises(ValueError, match="no unit 12 in layer 1"):
        diagram.node_grid(spiral, 1, 12)


def test_edges_are_the_weights_of_the_drawn_units(spiral):
    tables = diagram.diagram(spiral)
    nodes, edges = tables["nodes"], tables["edges"]
    assert nodes.groupby("x").size().tolist() == [3, 7, 3, 1]  # 12 wide: 7 drawn
    assert "+ 5 more" in tables["labels"]["text"].tolist()
    W = [m.weight.detach().numpy() for m in linears(spiral)]
    assert len(edges) == 3 * 7 + 7 * 3 + 3 * 1
    names = diagram.unit_names(spiral)
    for _, e in edges.iterrows():
        src = nodes[(nodes.x == e.x) & (nodes.y == e.y)].name.item()
        dst = nodes[(nodes.x == e.x2) & (nodes.y == e.y2)].name.item()
        assert e.link == f"{src} → {dst}"
        layer = int(e.x)
        i, j = names[layer].index(src), names[layer + 1].index(dst)
        assert e.weight == pytest.approx(W[layer][j, i], abs=1e-6)
    assert set(edges.colour[edges.weight >= 0]) <= {diagram.POSITIVE}
    assert set(edges.colour[edges.weight < 0]) <= {diagram.NEGATIVE}
    widths = diagram.edge_width(np.array([0.0, 0.5, 1.0, 2.5, 10.0]))
    assert widths[0] == 0.5 and widths[-1] == widths[-2] == 7.0 and np.all(np.diff(widths) >= 0)


def test_first_layer_edges_match_the_first_weight_matrix(spiral):
    edges = diagram.diagram(spiral)["edges"]
    first = edges[edges.x == 0]
    W = linears(spiral)[0].weight.detach().numpy()[:7]  # the 7 drawn units, all 3 inputs
    np.testing.assert_allclose(first.weight.to_numpy(), W.ravel(), atol=1e-7)


def test_node_tooltips_carry_biases(spiral):
    nodes = diagram.diagram(spiral)["nodes"]
    b = linears(spiral)[0].bias.detach().numpy()
    tip = nodes[nodes.name == "h1.4"].tooltip.item()
    assert tip == f"h1.4 · bias {b[3]:+.3f}"


def test_pictures_follow_the_nodes_and_show_their_values(spiral):
    pixels = diagram.pictures(spiral)
    tables = diagram.diagram(spiral)
    assert len(pixels) == len(tables["nodes"])
    assert all(u.startswith("data:image/png;base64,") for u in tables["nodes"].url)
    values = diagram.node_grid(spiral, 1, 0, diagram.THUMB)
    expected = diverging_rgb(0.5 + 0.5 * values / np.abs(values).max())[::-1]
    np.testing.assert_array_equal(pixels[3], expected)  # after the three inputs


def test_higher_dimensional_data_gets_plain_nodes():
    run = train(Config(dataset="digits", hidden=(16,), epochs=1, n_samples=300))
    assert diagram.pictures(run) is None
    tables = diagram.diagram(run)
    assert set(tables["nodes"].url) == {""}
    assert tables["nodes"].groupby("x").size().tolist() == [7, 7, 10]  # 64 inputs, 10 classes
    assert tables["inputs"].name.tolist()[:2] == ["pixel 0", "pixel 1"]


def test_the_spec_draws_the_tables_it_names(spiral):
    spec = diagram.spec(4, diagram.n_rows(spiral), with_pictures=True)
    names = {layer["data"]["name"] for layer in spec["layer"]}
    assert names == set(diagram.diagram(spiral))
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks[:2] == ["rule", "image"]
    assert diagram.n_rows(spiral) == 8  # 7 drawn units and the '+ 5 more' note


def test_the_still_image_draws_edges_and_pictures_where_the_chart_does(spiral):
    tables = diagram.diagram(spiral, urls=False)
    pixels = diagram.pictures(spiral)
    rows = diagram.n_rows(spiral)
    image = np.asarray(diagram.image(tables, pixels, 4, rows, width=700))
    assert image.shape == (diagram.height(rows), 700, 3)
    (x0, x1), (y0, y1) = diagram.x_domain(4), diagram.y_domain(rows)
    node = tables["nodes"].iloc[3]  # h1.1: its picture's centre pixel
    u = round((node.x - x0) / (x1 - x0) * 700)
    v = round((node.y - y0) / (y1 - y0) * image.shape[0])
    centre = pixels[3][diagram.THUMB // 2, diagram.THUMB // 2]
    assert np.abs(image[v, u].astype(int) - centre.astype(int)).max() < 40


def test_one_dimensional_data_draws_curves():
    run = train(Config(dataset="sine", hidden=(4,), epochs=2))
    pixels = diagram.pictures(run)
    assert len(pixels) == 1 + 4 + 1 and pixels[0].shape == (diagram.THUMB_1D,) * 2 + (3,)
    big = raster.node_image(run.data.box, diagram.node_grid(run, 1, 0, 100), title="h1.1")
    assert big.size[0] > 300


def test_the_large_node_picture_is_the_nodes_values(spiral):
    values = diagram.node_grid(spiral, 1, 2, 60)
    image = np.asarray(raster.node_image(spiral.data.box, values, title="h1.3"))
    colours = diverging_rgb(0.5 + 0.5 * values / np.abs(values).max()).reshape(-1, 3)
    # every background colour drawn is one of the values' colours (up to smoothing)
    sample = image[200:260:7, 200:260:7].reshape(-1, 3).astype(int)
    nearest = np.abs(sample[:, None, :] - colours[None].astype(int)).sum(2).min(1)
    assert np.median(nearest) < 12


def test_output_pictures_show_probabilities_on_a_fixed_scale(spiral):
    values = diagram.node_grid(spiral, 3, 0, 30)  # P(class 1) over the plane
    pixels, ends = diagram.node_pixels(spiral, 3, 0, values)
    np.testing.assert_array_equal(pixels[::-1], diverging_rgb(values))  # 0 orange, 1 blue
    assert [label for label, _ in ends] == ["0", "1"]
    hidden, ends = diagram.node_pixels(spiral, 1, 0, diagram.node_grid(spiral, 1, 0, 30))
    assert [label for label, _ in ends] == ["below 0", "above 0"]
    blobs = train(Config(dataset="blobs", n_classes=3, hidden=(4,), epochs=2))
    p = diagram.node_grid(blobs, 2, 2, 20)  # P(class 2): white to the class's colour
    pixels, ends = diagram.node_pixels(blobs, 2, 2, p)
    assert ends[1][1] == tuple(np.array([44, 160, 44]))  # class 2's green
    assert pixels.shape == (20, 20, 3)
