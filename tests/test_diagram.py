"""playground.draw.diagram: which units are drawn, their names, the node grids, edge widths."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground import Config, insight, train
from playground.datasets import grid
from playground.draw import diagram


@pytest.fixture(scope="module")
def spiral():
    return train(Config(dataset="spiral", hidden=(12, 3), features=("x1", "x2", "sin_x1"),
                        epochs=3))


def linears(run):
    return [m for m in run.model if isinstance(m, torch.nn.Linear)]


def test_node_grids_are_the_nodes_own_outputs(spiral):
    _, _, points = grid(spiral.data.box, 20)
    features = spiral.data.transform(points)
    np.testing.assert_allclose(insight.node_grid(spiral, 0, 2, 20).ravel(), features[:, 2],
                               rtol=1e-6)
    for layer, unit in ((1, 0), (1, 11), (2, 2)):
        np.testing.assert_allclose(insight.node_grid(spiral, layer, unit, 20),
                                   insight.neuron_grid(spiral, layer - 1, unit, 20), rtol=1e-6)
    np.testing.assert_allclose(insight.node_grid(spiral, 3, 0, 20).ravel(),
                               spiral.predict(points)[:, 1], rtol=1e-6)
    with pytest.raises(ValueError, match="no unit 12 in layer 1"):
        insight.node_grid(spiral, 1, 12)


def test_wide_layers_show_their_first_units_and_the_rest_is_counted(spiral):
    assert diagram.widths(spiral) == [3, 12, 3, 1]
    assert diagram.layer_units(spiral) == [[0, 1, 2], list(range(7)), [0, 1, 2], [0]]
    assert diagram.shown_units(8) == list(range(8)) and diagram.shown_units(9) == list(range(8))[:7]
    names = diagram.unit_names(spiral)
    assert names[0] == ["x₁", "x₂", "sin(x₁)"] and names[1][11] == "h1.12"
    assert names[-1] == ["P(class 1)"]
    assert diagram.layer_names(spiral) == ["Input", "Hidden 1", "Hidden 2", "Output"]
    assert len(diagram.linear_layers(spiral.model)) == 3


def test_edge_width_grows_with_the_weight_on_an_absolute_scale():
    np.testing.assert_allclose(diagram.edge_width(np.array([0.0, -1.25, 2.5, 40.0])),
                               [0.5, 3.75, 7.0, 7.0])


def test_multiclass_outputs_are_named_after_their_classes():
    run = train(Config(dataset="blobs", n_classes=4, hidden=(3,), epochs=1))
    assert diagram.unit_names(run)[-1] == [f"P(class {k})" for k in range(4)]
    assert diagram.layer_units(run)[-1] == [0, 1, 2, 3]
