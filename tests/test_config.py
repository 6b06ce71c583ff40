"""Config: the field table, validation, and the URL and JSON round trips."""

import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import (
    ACTIVATIONS,
    DATASETS,
    FEATURES,
    FIELDS,
    GROUPS,
    INITS,
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    Config,
    ConfigError,
)
from playground.config import MAX_STEPS, said


def test_defaults_are_pinned():
    # Links leave out default values, so changing a default changes what old links mean.
    assert Config().to_dict() == {
        "dataset": "circle", "n_samples": 500, "noise": 0.0, "test_fraction": 0.5,
        "n_classes": 3, "features": ["x1", "x2"], "standardize": True, "data_seed": 0,
        "tf_seed": "",
        "hidden": [4, 2], "activation": "tanh", "init": "default", "batchnorm": False,
        "dropout": 0.0, "loss": "auto", "optimizer": "sgd", "lr": 0.03, "momentum": 0.9,
        "weight_decay": 0.0, "l1": 0.0, "l1_clamp": False, "schedule": "none", "step_size": 50,
        "gamma": 0.5, "clip": 0.0, "batch_size": 10, "order": "shuffle", "epochs": 200,
        "patience": 0, "seed": 0, "device": "auto", "precision": "float32", "engine": "torch",
    }


def test_every_field_is_documented_and_grouped():
    for name, f in FIELDS.items():
        assert f.metadata["group"] in GROUPS, name
        help_text = f.metadata["help"]
        assert help_text.endswith(".") and 20 < len(help_text) < 200, name
        if f.type in ("int", "float"):
            lo, hi = f.metadata["lo"], f.metadata["hi"]
            assert lo <= f.default <= hi, name


def test_choices_come_from_the_registries():
    assert FIELDS["dataset"].metadata["choices"] == tuple(DATASETS)
    assert FIELDS["activation"].metadata["choices"] == tuple(ACTIVATIONS)
    assert FIELDS["init"].metadata["choices"] == tuple(INITS)
    assert FIELDS["loss"].metadata["choices"] == tuple(LOSSES)
    assert FIELDS["optimizer"].metadata["choices"] == tuple(OPTIMIZERS)
    assert FIELDS["schedule"].metadata["choices"] == tuple(SCHEDULES)
    assert FIELDS["features"].metadata["choices"] == tuple(FEATURES)


def test_issue_example_from_query():
    cfg = Config.from_query({"dataset": "xor", "hidden": "8,8", "lr": "0.03"})
    assert (cfg.dataset, cfg.hidden, cfg.lr) == ("xor", (8, 8), 0.03)
    assert cfg.to_query() == {"dataset": "xor", "hidden": "8,8"}  # lr 0.03 is the default


def test_empty_hidden_means_no_hidden_layer():
    cfg = Config.from_query({"hidden": ""})
    assert cfg.hidden == ()
    assert cfg.to_query() == {"hidden": ""}
    assert Config.from_query(cfg.to_query()) == cfg


def test_query_parses_every_kind():
    cfg = Config.from_query({
        "features": "x1,x2,sin_x1", "standardize": "false", "batchnorm": "1", "epochs": "30",
        "noise": "0.25", "lr": "3e-4", "optimizer": "adam",
    })
    assert cfg.features == ("x1", "x2", "sin_x1")
    assert cfg.standardize is False and cfg.batchnorm is True
    assert cfg.epochs == 30 and cfg.noise == 0.25 and cfg.lr == 3e-4


def test_query_accepts_repeated_values_taking_the_last():
    assert Config.from_query({"lr": ["0.1", "0.2"]}).lr == 0.2


configs = st.builds(
    Config,
    dataset=st.sampled_from(["circle", "xor", "moons", "spiral", "checkerboard", "gauss"]),
    n_samples=st.integers(50, 5000),
    noise=st.floats(0, 0.5),
    test_fraction=st.floats(0.05, 0.9),
    features=st.lists(st.sampled_from(list(FEATURES)), min_size=1, max_size=7, unique=True),
    hidden=st.lists(st.integers(1, 64), max_size=4).map(tuple),
    activation=st.sampled_from(list(ACTIVATIONS)),
    optimizer=st.sampled_from(list(OPTIMIZERS)),
    lr=st.floats(1e-5, 10),
    batchnorm=st.booleans(),
    batch_size=st.integers(2, 500),
    epochs=st.integers(1, 100),
    seed=st.integers(0, 2**31 - 1),
    order=st.sampled_from(["shuffle", "fixed"]), l1_clamp=st.booleans(),
    precision=st.sampled_from(["float32", "float64"]),
)


@settings(max_examples=150, deadline=None)
@given(configs)
def test_url_and_json_round_trip(cfg):
    assert Config.from_query(cfg.to_query()) == cfg
    assert Config.from_query(cfg.to_query(full=True)) == cfg
    assert Config.from_json(cfg.to_json()) == cfg
    assert all(isinstance(v, str) for v in cfg.to_query().values())


BAD_VALUES = {
    "dataset": "mnist", "n_samples": 5, "noise": 0.9, "test_fraction": 1.0, "n_classes": 1,
    "features": ("x3",), "standardize": "maybe", "data_seed": -1, "tf_seed": "line\nbreak",
    "hidden": (0,),
    "activation": "softplus", "init": "orthogonal", "batchnorm": 2, "dropout": 1.0,
    "loss": "kl", "optimizer": "lbfgs", "lr": 0.0, "momentum": 1.5, "weight_decay": -0.1,
    "l1": 2.0, "schedule": "exp", "step_size": 0, "gamma": 0.0, "clip": -1.0, "batch_size": 0,
    "epochs": 0, "patience": -1, "seed": 1.5, "device": "tpu", "engine": "jax",
    "l1_clamp": "maybe", "order": "random", "precision": "float16",
}


def test_every_field_has_a_bad_value_in_this_test():
    assert set(BAD_VALUES) == set(FIELDS)


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_bad_value_names_the_field_the_value_and_what_is_allowed(name):
    with pytest.raises(ConfigError) as err:
        Config(**{name: BAD_VALUES[name]})
    assert list(err.value.errors) == [name]
    message = err.value.errors[name]
    assert said(BAD_VALUES[name]) in message and "expected" in message
    assert name in str(err.value)


def test_all_bad_fields_are_reported_at_once():
    with pytest.raises(ConfigError) as err:
        Config(lr=-1, epochs=0, activation="nope")
    assert set(err.value.errors) == {"lr", "epochs", "activation"}
    assert isinstance(err.value, ValueError)


def test_hidden_limits():
    assert Config(hidden=(512,) * 8).hidden == (512,) * 8
    with pytest.raises(ConfigError, match="hidden"):
        Config(hidden=(8,) * 9)
    with pytest.raises(ConfigError, match="hidden"):
        Config(hidden=(513,))
    with pytest.raises(ConfigError, match="hidden"):
        Config(hidden="8,8")


@pytest.mark.parametrize("dataset, loss", [
    ("plane", "cross_entropy"), ("line", "hinge"), ("sine", "bce"), ("blobs", "bce"),
    ("digits", "bce"),
])
def test_loss_must_fit_the_task(dataset, loss):
    with pytest.raises(ConfigError) as err:
        Config(dataset=dataset, loss=loss)
    assert list(err.value.errors) == ["loss"]
    assert dataset in err.value.errors["loss"]


@pytest.mark.parametrize("dataset, loss", [
    ("moons", "bce"), ("moons", "hinge"), ("moons", "mse"), ("blobs", "cross_entropy"),
    ("blobs", "huber"), ("plane", "l1"), ("plane", "huber"), ("line", "auto"),
])
def test_sensible_losses_are_accepted(dataset, loss):
    assert Config(dataset=dataset, loss=loss).loss == loss


def test_cross_field_rules():
    with pytest.raises(ConfigError, match="batch norm"):
        Config(batchnorm=True, batch_size=1)
    with pytest.raises(ConfigError, match="1797"):
        Config(dataset="digits", n_samples=1800)
    assert Config(dataset="digits", n_samples=1797).n_train == 1797 - round(1797 * 0.5)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_config_error():
    with pytest.raises(ConfigError) as err:
        Config(device="cuda")
    assert "no CUDA GPU" in err.value.errors["device"]


def test_budget_limits_name_the_fields():
    with pytest.raises(ConfigError) as err:
        Config(n_samples=200_000, batch_size=1, epochs=100, test_fraction=0.5)
    assert {"epochs", "batch_size"} <= set(err.value.errors)
    assert f"{MAX_STEPS:,}" in err.value.errors["epochs"]
    with pytest.raises(ConfigError) as err:
        Config(n_samples=200_000, hidden=(512,) * 8, batch_size=1000, epochs=1000)
    assert {"epochs", "hidden"} <= set(err.value.errors)


def test_parse_query_falls_back_per_field_and_reports():
    cfg, errors = Config.parse_query({"lr": "fast", "hidden": "8,8", "colour": "red",
                                      "epochs": "-3"})
    assert cfg.hidden == (8, 8)
    assert cfg.lr == Config().lr and cfg.epochs == Config().epochs
    assert set(errors) == {"lr", "colour", "epochs"}
    assert "unknown" in errors["colour"] and "'fast'" in errors["lr"]


def test_parse_query_drops_fields_that_clash():
    cfg, errors = Config.parse_query({"dataset": "plane", "loss": "cross_entropy"})
    assert cfg.dataset == "plane" and cfg.loss == "auto"
    assert set(errors) == {"loss"}


def test_from_query_is_strict():
    with pytest.raises(ConfigError) as err:
        Config.from_query({"lr": "abc", "bogus": "1"})
    assert set(err.value.errors) == {"lr", "bogus"}


def test_json_errors():
    with pytest.raises(ConfigError, match="not valid JSON"):
        Config.from_json("{nope")
    with pytest.raises(ConfigError, match="object"):
        Config.from_json("[1, 2]")
    with pytest.raises(ConfigError) as err:
        Config.from_json(json.dumps({"lr": 0.1, "colour": "red"}))
    assert list(err.value.errors) == ["colour"]
    with pytest.raises(ConfigError) as err:
        Config.from_json(json.dumps({"lr": "0.1"}))  # JSON keeps types: a string is not a number
    assert list(err.value.errors) == ["lr"]


def test_canonical_forms():
    cfg = Config(features=["x2", "x1"], hidden=[8.0, 4], lr=1, epochs=10.0)
    assert cfg.features == ("x1", "x2") and cfg.hidden == (8, 4)
    assert isinstance(cfg.lr, float) and isinstance(cfg.epochs, int)
    assert hash(cfg) == hash(Config(features=("x1", "x2"), hidden=(8, 4), lr=1.0, epochs=10))


def test_replace_validates():
    assert Config().replace(lr=0.1).lr == 0.1
    with pytest.raises(ConfigError):
        Config().replace(lr=100)


def test_derived_sizes():
    assert Config(dataset="moons", hidden=(16, 16)).sizes == [2, 16, 16, 1]
    assert Config(dataset="blobs", n_classes=4, hidden=()).sizes == [2, 4]
    assert Config(features=("x1", "x2", "x1x2")).n_inputs == 3
    assert Config(dataset="digits", hidden=(32,), n_samples=1000).sizes == [64, 32, 10]
    assert Config(dataset="teacher", features=("x1",)).n_inputs == 16  # features: 2-D data only
    assert Config(dataset="plane").task == "regression"
    assert Config(dataset="plane").resolved_loss == "mse"


def test_numpy_engine_names_what_it_lacks_and_suggests_torch():
    with pytest.raises(ConfigError) as err:
        Config(engine="numpy", activation="gelu", optimizer="rmsprop", batchnorm=True,
               dropout=0.2, loss="hinge", dataset="moons")
    assert set(err.value.errors) == {"activation", "optimizer", "batchnorm", "dropout", "loss"}
    assert all("engine 'torch'" in m for m in err.value.errors.values())
    assert Config(engine="numpy", activation="relu", optimizer="adam").engine == "numpy"
    with pytest.raises(ConfigError, match="CPU only"):
        Config(engine="numpy", device="cuda")


def test_with_text_sets_one_field_from_url_syntax():
    base = Config(dataset="xor")
    assert base.with_text("lr", "0.3") == base.replace(lr=0.3)
    assert base.with_text("hidden", "8,8").hidden == (8, 8)
    with pytest.raises(ConfigError) as bad:
        base.with_text("lr", "fast")
    assert list(bad.value.errors) == ["lr"]
    with pytest.raises(ConfigError) as unknown:
        base.with_text("colour", "red")
    assert unknown.value.errors == {"colour": "unknown parameter"}
    with pytest.raises(ConfigError):  # fine alone, not for this dataset (1,797 digits)
        Config(dataset="digits", n_samples=500).with_text("n_samples", "5000")
