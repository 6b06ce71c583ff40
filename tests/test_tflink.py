"""Reading TF Playground links into Configs, and writing them back."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import Config, ConfigError
from playground.tflink import ACTIVATIONS, INPUTS, PROPS, TF_RULES, js_number, js_text, read
from playground.tfplayground import TF_DATASETS

REFERENCE = json.loads((Path(__file__).parent / "data" / "tfplayground_reference.json").read_text())
LINKS = {link["name"]: link for link in REFERENCE["links"]}


@pytest.mark.parametrize("name", LINKS)
def test_every_reference_link_opens_as_tf_playground_read_it(name):
    link = LINKS[name]
    s = link["settings"]
    cfg, _ = Config.from_tfplayground(link["url"])
    tf_name = s["dataset"] if s["problem"] == "classification" else s["regDataset"]
    assert TF_DATASETS[cfg.dataset] == tf_name
    assert (cfg.n_samples, cfg.n_train) == (s["numSamples"], s["numTrain"])
    assert cfg.features == tuple(INPUTS[k] for k in s["inputs"])
    assert cfg.hidden == tuple(s["networkShape"]) and cfg.tf_seed == s["seed"]
    assert ACTIVATIONS[s["activation"]] == cfg.activation
    assert (cfg.lr, cfg.batch_size, cfg.noise) == (s["learningRate"], s["batchSize"],
                                                   s["noise"] / 100)
    assert (cfg.optimizer, cfg.standardize) == ("sgd", False)
    # nn.ts steps by lr x rate x the penalty's derivative after the mean gradient's step
    rate = s["regularizationRate"]
    assert cfg.l1 == (rate if s["regularization"] == "L1" else 0.0)
    assert cfg.weight_decay == (rate if s["regularization"] == "L2" else 0.0)
    # the link opens under TF Playground's training rules
    assert (cfg.init, cfg.loss, cfg.order, cfg.l1_clamp, cfg.precision) == (
        "zeros" if s["initZero"] else "tfplayground", "square", "fixed", True, "float64")
    assert Config.from_tfplayground("#" + link["hash"])[0] == cfg  # the '#' part alone
    assert Config.from_tfplayground(f"  {link['hash']}\n")[0] == cfg  # without the '#' too


@pytest.mark.parametrize("name", LINKS)
def test_reference_links_round_trip(name):
    link = LINKS[name]
    cfg, _ = Config.from_tfplayground(link["url"])
    url, _ = cfg.to_tfplayground()
    # The way back writes every parameter in TF Playground's order, as it does itself; it shows
    # the test points, as the playground always does.
    assert url == link["url"].replace("showTestData=false", "showTestData=true")
    assert Config.from_tfplayground(url)[0] == cfg


@pytest.mark.parametrize("name", LINKS)
def test_what_has_no_counterpart_is_named(name):
    link = LINKS[name]
    _, unmatched = Config.from_tfplayground(link["url"])
    named = {(u.param, u.kind) for u in unmatched}
    assert ("showTestData", "view") in named  # under TF Playground's rules no rule differs
    assert not any(kind == "rule" for _, kind in named)
    assert all(u.text and str(u).startswith(u.param) for u in unmatched)


@pytest.mark.parametrize("name", LINKS)
def test_under_the_playgrounds_rules_each_rule_that_differs_is_named(name):
    link = LINKS[name]
    ours, unmatched = Config.from_tfplayground(link["url"], rules="playground")
    named = {(u.param, u.kind) for u in unmatched}
    assert {("problem", "rule"), ("seed", "rule"), ("batchSize", "rule"),
            ("showTestData", "view")} <= named
    assert (("regularization", "rule") in named) == (link["settings"]["regularization"] == "L1")
    theirs, _ = Config.from_tfplayground(link["url"])
    kept = ("init", "loss", "order", "l1_clamp", "precision")
    assert ours == theirs.replace(**{k: getattr(Config(), k) for k in kept})


def test_rules_must_be_one_of_the_two():
    with pytest.raises(ConfigError) as e:
        Config.from_tfplayground("#seed=1", rules="keras")
    assert "rules" in e.value.errors


def test_every_tf_playground_parameter_is_read_or_named():
    every = "&".join(f"{name}={value}" for name, value in [
        ("activation", "sigmoid"), ("regularization", "L2"), ("batchSize", "5"),
        ("dataset", "xor"), ("regDataset", "reg-gauss"), ("learningRate", "0.3"),
        ("regularizationRate", "0.03"), ("noise", "35"), ("networkShape", "3,1"),
        ("seed", "abc"), ("showTestData", "true"), ("discretize", "true"),
        ("percTrainData", "70"), ("x", "false"), ("y", "true"), ("xTimesY", "true"),
        ("xSquared", "true"), ("ySquared", "false"), ("cosX", "true"), ("sinX", "true"),
        ("cosY", "false"), ("sinY", "true"), ("collectStats", "true"), ("tutorial", "spiral"),
        ("problem", "classification"), ("initZero", "true"), ("hideText", "true"),
        ("noise_hide", "true"), ("wibble", "3")])
    cfg, unmatched = Config.from_tfplayground(every)
    assert (cfg.dataset, cfg.activation, cfg.batch_size, cfg.lr, cfg.hidden, cfg.tf_seed) == (
        "xor", "sigmoid", 5, 0.3, (3, 1), "abc")
    assert cfg.features == ("x2", "x1sq", "x1x2", "sin_x1", "sin_x2") and cfg.noise == 0.35
    assert cfg.n_train == 350 and cfg.weight_decay == 0.03 and cfg.l1 == 0
    assert cfg.init == "zeros"
    named = {u.param: u.kind for u in unmatched}
    assert named == {"discretize": "view", "hideText": "view", "collectStats": "view",
                     "tutorial": "view", "noise_hide": "view", "cosX": "unused",
                     "regDataset": "unused", "wibble": "unknown"}
    mapped = {"activation", "regularization", "batchSize", "dataset", "learningRate",
              "regularizationRate", "noise", "networkShape", "seed", "percTrainData", "problem",
              "initZero", *INPUTS}
    assert {name for name, _, _ in PROPS} <= mapped | set(named) | {"showTestData", "cosY"}


def test_a_link_without_seed_says_its_points_are_new_each_time():
    cfg, unmatched = Config.from_tfplayground("https://playground.tensorflow.org/")
    # TF Playground's defaults are the playground's, but for its rules and raw inputs
    assert cfg == Config(standardize=False, **TF_RULES)
    assert [u.kind for u in unmatched if u.param == "seed"] == ["data"]


def test_switches_and_numbers_are_read_as_tf_playground_reads_them():
    cfg, _ = Config.from_tfplayground("#x=0&y=no&sinX=false&learningRate= 0.1 &batchSize=0x10"
                                      "&noise=&networkShape=")
    assert cfg.features == ("x1", "x2")  # anything but "false" switches on
    assert (cfg.lr, cfg.batch_size, cfg.noise, cfg.hidden) == (0.1, 16, 0.0, ())
    assert Config.from_tfplayground("#batchSize=3&batchSize=7")[0].batch_size == 7  # last wins


BAD = {
    "": "link", "just some words": "link", "https://example.com/?lr=1": "link",
    "#learningRate=fast": "learningRate", "#networkShape=4,two": "networkShape",
    "#networkShape": "networkShape", "#activation=swish": "activation",
    "#dataset=moons": "dataset", "#problem=ranking": "problem", "#learningRate=50": "learningRate",
    "#batchSize=0": "batchSize", "#batchSize=2.5": "batchSize", "#networkShape=4,0": "networkShape",
    "#percTrainData=100": "percTrainData", "#noise=80": "noise", "#x=false&y=false": "x",
    "#regularization=L1&regularizationRate=1e9": "regularizationRate", "#seed=" + "9" * 65: "seed",
}


@pytest.mark.parametrize("text", BAD)
def test_bad_links_are_a_config_error_naming_the_parameter(text):
    with pytest.raises(ConfigError) as err:
        Config.from_tfplayground(text)
    assert list(err.value.errors) == [BAD[text]]
    if "=" in text and BAD[text] not in ("link", "x"):  # the message quotes what the link says
        assert text.split("=")[-1][:20] in err.value.errors[BAD[text]]


@pytest.mark.parametrize("text, value", [
    ("1", 1.0), (" 2.5 ", 2.5), (".5", 0.5), ("5.", 5.0), ("-3e2", -300.0), ("0x1F", 31.0),
    ("0b101", 5.0), ("0o17", 15.0), ("", 0.0), ("Infinity", math.inf), ("-Infinity", -math.inf),
])
def test_js_number_reads_what_javascript_reads(text, value):
    assert js_number(text) == value


@pytest.mark.parametrize("text", ["abc", "1_000", "nan", "inf", "1e", "--1", "0x", "-0x10", "1,2"])
def test_js_number_is_nan_where_javascript_is(text):
    assert math.isnan(js_number(text))


@pytest.mark.parametrize("value, text", [(0.03, "0.03"), (10.0, "10"), (1e-5, "0.00001"),
                                         (1e-7, "1e-7"), (2.5e21, "2.5e+21"), (-0.0, "0")])
def test_js_text_writes_what_javascript_writes(value, text):
    assert js_text(value) == text


tf_configs = st.builds(
    Config,
    dataset=st.sampled_from(list(TF_DATASETS)), n_samples=st.just(500),
    noise=st.integers(0, 50).map(lambda k: k / 100),
    test_fraction=st.integers(10, 90).map(lambda k: k / 100),
    features=st.lists(st.sampled_from(list(INPUTS.values())), min_size=1, unique=True),
    standardize=st.just(False), tf_seed=st.from_regex(r"[0-9a-z.]{1,12}", fullmatch=True),
    hidden=st.lists(st.integers(1, 8), max_size=6).map(tuple),
    activation=st.sampled_from(list(ACTIVATIONS.values())),
    lr=st.sampled_from([1e-5, 1e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]),
    batch_size=st.integers(1, 30), weight_decay=st.sampled_from([0.0, 0.001, 0.003, 0.01, 0.03]),
    init=st.sampled_from(["tfplayground", "zeros"]), loss=st.just("square"),
    order=st.just("fixed"), l1_clamp=st.just(True), precision=st.just("float64"),
).map(lambda c: c.replace(n_samples=1200) if c.task == "regression" else c)


@settings(max_examples=80, deadline=None)
@given(tf_configs)
def test_what_tf_playground_can_express_comes_back_the_same(cfg):
    url, missing = cfg.to_tfplayground()
    back, _ = Config.from_tfplayground(url)
    assert back == cfg
    assert not any(m.startswith(("samples", "test share", "activation", "hidden", "TF Playground "
                                 "seed", "standardized", "dataset", "loss", "initialization",
                                 "data order", "L1", "precision")) for m in missing)


def test_what_tf_playground_cannot_express_is_said():
    url, missing = Config(dataset="moons").to_tfplayground()
    assert url is None and "dataset moons" in missing[0]
    cfg = Config(activation="gelu", optimizer="adam", hidden=(16, 4), n_samples=300,
                 batchnorm=True, l1=0.001, weight_decay=0.01, tf_seed="a&b", patience=5)
    url, missing = cfg.to_tfplayground()
    text = "\n".join(missing)
    for words in ("activation gelu", "optimizer adam", "at most 6 layers of 8", "samples 300",
                  "batch norm", "early stopping", "L1 and L2", "standardized", "seed",
                  "initialization default", "data order", "loss cross_entropy",
                  "precision float32", "L1: TF Playground sets"):
        assert words in text, words
    assert "seed=" not in url and "regularization=L2" in url and "activation=tanh" in url
    assert "networkShape=16,4" in url


def test_read_keeps_the_raw_text_and_names_errors_without_raising():
    link = read("#learningRate=abc&batchSize=3")
    assert link.values == {} and set(link.errors) == {"learningRate"}
    assert link.raw["batchSize"] == "3"
