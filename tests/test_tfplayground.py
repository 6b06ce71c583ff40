"""TF Playground's random stream, points and initial weights, against TF Playground's own numbers.

tests/data/tfplayground_reference.json was recorded by running TF Playground's source code (see
tests/data/README.md). Points and weights must match to 1e-12 (they match to the last bit but
for sin, cos and log, whose last bit differs between JavaScript's and C's maths libraries).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from playground import Config, ConfigError, make_data
from playground.datasets import FEATURES
from playground.nn.model import build_model
from playground.tfplayground import SeedRandom, draw, draw_layers, flat, initial_layers
from playground.train import load_data

REFERENCE = json.loads((Path(__file__).parent / "data" / "tfplayground_reference.json").read_text())
LINKS = {link["name"]: link for link in REFERENCE["links"]}
TOL = 1e-12


def opened(link: dict) -> Config:
    return Config.from_tfplayground(link["url"])[0]


@pytest.mark.parametrize("name", LINKS)
def test_first_randoms_bit_for_bit(name):
    link = LINKS[name]
    stream = SeedRandom(link["settings"]["seed"])
    assert [stream.random() for _ in range(8)] == link["first_randoms"]


# Values from seedrandom's own code: 'hello.' is its documentation's example; the others were
# produced by running its algorithm in Node (an empty key, seeds past 256 code units that mix
# into the key twice, letters beyond ASCII and a character made of two UTF-16 units).
SEEDRANDOM_OWN = {
    "hello.": [0.9282578795792454, 0.3752569768646784],
    "": [0.23144008215179881, 0.27404636548159655],
    "x" * 300: [0.952495823023581, 0.9378530102966817],
    "ab" * 200 + "Z": [0.7391590271267429, 0.6957284591741533],
    "héllo wörld": [0.3483436322227877, 0.24320948897894026],
    "seed 🌱 two": [0.8220491807437363, 0.8108343621827926],
    "ÿĀ" * 130: [0.03809144276862584, 0.07926684174656665],
}


@pytest.mark.parametrize("seed", SEEDRANDOM_OWN)
def test_seedrandom_agrees_with_its_own_code(seed):
    stream = SeedRandom(seed)
    assert [stream.random(), stream.random()] == SEEDRANDOM_OWN[seed]


def test_the_stream_is_uniform_on_0_1():
    stream = SeedRandom("many")
    values = np.array([stream.random() for _ in range(20000)])
    assert 0 <= values.min() and values.max() < 1
    assert abs(values.mean() - 0.5) < 0.01 and abs(values.var() - 1 / 12) < 0.003
    assert len(np.unique(values)) == len(values)


@pytest.mark.parametrize("name", LINKS)
def test_points_are_tf_playgrounds_in_its_order(name):
    link = LINKS[name]
    data = load_data(opened(link))
    train, test = np.array(link["train"]), np.array(link["test"])
    assert (data.n_train, data.n_test) == (link["settings"]["numTrain"], link["settings"]["numTest"])
    np.testing.assert_allclose(data.X_train, train[:, :2], rtol=0, atol=TOL)
    np.testing.assert_allclose(data.X_test, test[:, :2], rtol=0, atol=TOL)
    if data.task == "regression":
        np.testing.assert_allclose(data.y_train, train[:, 2], rtol=0, atol=TOL)
        np.testing.assert_allclose(data.y_test, test[:, 2], rtol=0, atol=TOL)
    else:  # TF's +1/-1 are the playground's classes 1/0
        assert np.array_equal(data.y_train, (train[:, 2] > 0).astype(np.int64))
        assert np.array_equal(data.y_test, (test[:, 2] > 0).astype(np.int64))


def model_inputs(cfg: Config, X: np.ndarray) -> np.ndarray:
    """The network's inputs in float64, unstandardized as TF Playground feeds them."""
    return np.stack([FEATURES[f].fn(X) for f in cfg.features], axis=1)


@pytest.mark.parametrize("name", LINKS)
def test_inputs_are_tf_playgrounds(name):
    link = LINKS[name]
    cfg = opened(link)
    data = load_data(cfg)
    expected = np.array(link["inputs_of_first_train_points"])
    np.testing.assert_allclose(model_inputs(cfg, data.X_train[:5]), expected, rtol=0, atol=TOL)
    np.testing.assert_allclose(data.transform(data.X_train[:5]), expected, rtol=1e-6)


@pytest.mark.parametrize("name", LINKS)
def test_initial_weights_node_by_node(name):
    link, cfg = LINKS[name], opened(LINKS[name])
    layers = initial_layers(cfg.dataset, cfg.n_samples, cfg.noise, cfg.tf_seed, cfg.sizes)
    network = link["initial"]["network"]
    assert [W.shape for W, _ in layers] == [(len(layer), len(layer[0]["weights"]))
                                            for layer in network]
    for (W, b), layer in zip(layers, network, strict=True):
        for i, node in enumerate(layer):
            np.testing.assert_allclose(W[i], node["weights"], rtol=0, atol=TOL)
            assert abs(b[i] - node["bias"]) <= TOL


@pytest.mark.parametrize("name", LINKS)
def test_initial_weights_in_the_playgrounds_layout_give_tf_playgrounds_losses(name):
    """Loaded into the playground's own network (flat parameters, Linear weights (out, in)),
    TF Playground's weights give its initial losses: its output unit is tanh for
    classification and linear for regression, its loss the mean of ½ (output - label)²."""
    link, cfg = LINKS[name], opened(LINKS[name])
    layers = initial_layers(cfg.dataset, cfg.n_samples, cfg.noise, cfg.tf_seed, cfg.sizes)
    model, params = build_model(cfg.n_inputs, cfg.hidden, cfg.n_outputs,
                                activation=cfg.activation, init=cfg.init, batchnorm=False,
                                dropout=0.0, seed=0, dtype=torch.float64)
    params.theta.copy_(torch.from_numpy(flat(layers)))
    for split in ("train", "test"):
        points = np.array(link[split])
        with torch.no_grad():
            out = model(torch.from_numpy(model_inputs(cfg, points[:, :2])))[:, 0].numpy()
        out = out if cfg.task == "regression" else np.tanh(out)
        loss = np.mean(0.5 * (out - points[:, 2]) ** 2)
        assert abs(loss - link["initial"][f"{split}_loss"]) <= TOL


def test_init_zero_zeroes_everything_but_still_draws_each_weight():
    _, _, stream = draw("circle", 500, 0.0, "0.5")
    zeros = draw_layers(stream, [2, 4, 2, 1], init_zero=True)
    after_zero = stream.random()
    _, _, stream = draw("circle", 500, 0.0, "0.5")
    draw_layers(stream, [2, 4, 2, 1])
    assert after_zero == stream.random()  # the same number of draws
    assert all(not W.any() and not b.any() for W, b in zeros)
    assert all(not np.signbit(W).any() for W, _ in zeros)  # +0, not -0


def test_flat_is_each_layers_weight_then_bias():
    layers = [(np.arange(6.0).reshape(3, 2), np.array([10.0, 11.0, 12.0])),
              (np.array([[20.0, 21.0, 22.0]]), np.array([30.0]))]
    assert flat(layers).tolist() == [0, 1, 2, 3, 4, 5, 10, 11, 12, 20, 21, 22, 30]


def test_tf_seed_gives_the_same_points_whatever_the_data_seed():
    a = make_data("spiral", 500, 0.1, 0.5, 0, tf_seed="0.77777", standardize=False)
    b = make_data("spiral", 500, 0.1, 0.5, 99, tf_seed="0.77777", standardize=False)
    c = make_data("spiral", 500, 0.1, 0.5, 0, tf_seed="0.77778", standardize=False)
    assert np.array_equal(a.X_train, b.X_train) and np.array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.X_train, c.X_train)
    assert set(np.unique(a.y_train)) == {0, 1}


def test_tf_seed_draws_other_counts_with_tf_playgrounds_code():
    data = make_data("xor", 301, 0.0, 0.3, 0, tf_seed="7")  # xor draws one point at a time
    assert data.n_train + data.n_test == 301
    with pytest.raises(ValueError, match="two equal halves"):
        make_data("circle", 301, 0.0, 0.3, 0, tf_seed="7")
    with pytest.raises(ConfigError) as err:
        Config(tf_seed="7", n_samples=301)
    assert "even number" in err.value.errors["n_samples"]


@pytest.mark.parametrize("dataset", ["moons", "blobs", "teacher", "digits", "sine"])
def test_a_tf_seed_on_data_tf_playground_lacks_is_a_clear_error(dataset):
    with pytest.raises(ConfigError) as err:
        Config(dataset=dataset, tf_seed="0.12345")
    assert set(err.value.errors) == {"tf_seed"}
    assert f"no dataset {dataset!r}" in err.value.errors["tf_seed"]
    with pytest.raises(ValueError, match="TF Playground has no dataset"):
        make_data(dataset, 200, 0.0, 0.5, 0, tf_seed="0.12345")


@pytest.mark.parametrize("seed", ["0.12345", "a b", "é", "x" * 64])
def test_tf_seed_round_trips_through_the_url_and_json(seed):
    cfg = Config(dataset="gauss", tf_seed=seed)
    assert Config.from_query(cfg.to_query()) == cfg and Config.from_json(cfg.to_json()) == cfg


@pytest.mark.parametrize("seed", [" 1", "1 ", "x" * 65, "a\tb", 12345])
def test_bad_tf_seeds_are_refused(seed):
    with pytest.raises(ConfigError) as err:
        Config(tf_seed=seed)
    assert list(err.value.errors) == ["tf_seed"] and "expected text" in err.value.errors["tf_seed"]
