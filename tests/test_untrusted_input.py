"""Input from outside (set-up files, link parameters, CSV files) is answered with the project's
own errors and a message, never another exception: the files and values from issue 12 and a
property test over inputs of any Python type."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import FIELDS, Config, ConfigError, userdata
from playground.config import MAX_SETUP_BYTES, read_setup, said

# The four files that crashed the page's "Load a set-up (JSON)" (issue 12, defect 1).
CRASHING_FILES = {
    "a 401-digit integer": b'{"n_samples": 1' + b"0" * 400 + b"}",
    "a list inside the features": b'{"features": [["x1"]]}',
    "a 5,000-digit integer": b'{"n_samples": ' + b"9" * 5000 + b"}",
    "5,000 nested lists": b'{"lr": ' + b"[" * 5000 + b"]" * 5000 + b"}",
}


@pytest.mark.parametrize("name", list(CRASHING_FILES))
def test_the_files_that_crashed_the_page_are_config_errors(name):
    with pytest.raises(ConfigError) as err:
        read_setup(CRASHING_FILES[name])
    (message,) = err.value.errors.values()
    assert "is not allowed" in message or "not a set-up" in message, message
    assert len(message) < 300


def test_set_up_file_messages_say_what_is_wrong():
    def problem(raw: bytes) -> str:
        with pytest.raises(ConfigError) as err:
            read_setup(raw)
        return " ".join(f"{k}: {v}" for k, v in err.value.errors.items())

    assert "5,000-digit" not in problem(CRASHING_FILES["a 5,000-digit integer"])
    assert "thousands of digits" in problem(CRASHING_FILES["a 5,000-digit integer"])
    assert "nested too deeply" in problem(CRASHING_FILES["5,000 nested lists"])
    assert "a list inside a list is not allowed" in problem(CRASHING_FILES[
        "a list inside the features"])
    assert "a number with more than 18 digits is not allowed" in problem(CRASHING_FILES[
        "a 401-digit integer"])
    assert "not UTF-8" in problem('{"lr": 0.1, "dataset": "café"}'.encode("latin-1"))
    assert "more than a set-up file holds" in problem(b" " * (MAX_SETUP_BYTES + 1))
    assert "not valid JSON (Expecting value at line 1, column 8)" in problem(b'{"lr": }')
    assert "expected an object" in problem(b"[1, 2]")
    assert "unknown field" in problem(b'{"colour": "red"}')
    assert "true or false" in problem(b'{"batchnorm": "yes"}')  # JSON keeps its types
    assert "inf is not allowed" in problem(b'{"lr": Infinity}')
    assert "nan is not allowed" in problem(b'{"noise": NaN}')


def test_a_good_file_reads_with_or_without_a_byte_order_mark():
    cfg = Config(dataset="moons", hidden=(16, 8), lr=0.1)
    assert read_setup(cfg.to_json().encode()) == cfg
    assert read_setup(b"\xef\xbb\xbf" + cfg.to_json().encode()) == cfg


@pytest.mark.parametrize("value, words", [
    (10**400, "a number with more than 18 digits"), (10**5000, "a number with more than 18 digits"),
    ([["x1"]], "a list inside a list"), (["abc"], "'abc'"), ((600,), "600"), ([], "an empty list"),
    ({"a": 1}, "an object"), (None, "null"), (b"8", "a value of type bytes"), (True, "true"),
    (1e-7, "1e-07"), ("x" * 100, repr("x" * 37) + "…"),
    (list(range(20)), "0, 1, 2, 3, 4, 5, 6, 7, …"),
], ids=lambda v: type(v).__name__ if not isinstance(v, str) else None)
def test_values_are_said_in_words(value, words):
    assert said(value) == words


def test_link_errors_say_values_in_words():
    _, errors = Config.parse_query({"hidden": "abc", "lr": "999", "features": ""})
    assert errors["hidden"].startswith("'abc' is not allowed; expected up to 8")
    assert errors["lr"].startswith("999 is not allowed; expected a number from 1e-05 to 10")
    assert errors["features"].startswith("an empty list is not allowed")
    assert not any("[" in e or "(" in e.split(";")[0] for e in errors.values()), errors


@pytest.mark.parametrize("raw", [10**400, 10**5000, -(10**400), [[1, 2], [3]], [["x1"]],
                                 {"a": 1}, None, b"0.1", float("nan"), float("inf"), 1j,
                                 object(), [float("nan")], [10**400], ("8", 8), set()],
                         ids=lambda v: type(v).__name__)
def test_parse_query_takes_any_python_value_as_a_bad_parameter(raw):
    for name in FIELDS:
        cfg, errors = Config.parse_query({name: raw})
        assert isinstance(cfg, Config)
        if name in errors:
            assert isinstance(errors[name], str) and len(errors[name]) < 400


# ---- the property: nothing but the project's own errors -----------------------------------------
SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(-(10**500), 10**500)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
           | st.binary(max_size=10) | st.sampled_from(["x1", "relu", "8,8", "1e400", "nan", "",
                                                      "true", "circle", "upload:abc", "-0"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12)
NAMES = st.sampled_from(list(FIELDS)) | st.text(max_size=12)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats()
                    | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(list(FIELDS)) | st.text(max_size=8), inner,
                                      max_size=4), max_leaves=16)
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.dictionaries(NAMES, VALUES, max_size=6))
def test_no_link_parameters_raise_anything_but_config_errors(params):
    cfg, errors = Config.parse_query(params)
    assert isinstance(cfg, Config) and all(isinstance(m, str) for m in errors.values())
    try:
        Config.from_query(params)
    except ConfigError:
        pass


@SETTINGS
@given(st.dictionaries(st.sampled_from(list(FIELDS)), VALUES, max_size=6))
def test_no_python_values_raise_anything_but_config_errors(values):
    try:
        Config(**values)
    except ConfigError:
        pass


@SETTINGS
@given(JSON | st.binary(max_size=200) | st.text(max_size=200))
def test_no_set_up_file_raises_anything_but_config_errors(content):
    if isinstance(content, bytes):
        raw = content
    elif isinstance(content, str):
        raw = content.encode("utf-8", "surrogatepass")
    else:
        raw = json.dumps(content).encode()
    try:
        read_setup(raw)
    except ConfigError:
        pass


CSV_CELLS = st.sampled_from(["1", "0", "-2.5", "", "NA", "null", "1e400", "nan", "a", "b",
                             "\"x,y\"", "1,5", " ", "inf", "9" * 30, "é"])


@st.composite
def csv_files(draw) -> bytes:
    sep = draw(st.sampled_from([",", ";", "\t"]))
    width = draw(st.integers(1, 4))
    header = draw(st.lists(st.sampled_from(["a", "b", "c", "y", "", "a b", "1"]),
                           min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(CSV_CELLS, min_size=width - 1, max_size=width + 1),
                         max_size=25))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(sep.join(r) for r in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


@SETTINGS
@given(csv_files() | st.binary(max_size=300),
       st.none() | st.sampled_from(["a", "b", "y", "missing"]),
       st.sampled_from([None, "auto", "classification", "regression"]))
def test_no_csv_file_raises_anything_but_data_file_errors(raw, target, task):
    try:
        userdata.columns(raw)
        table = userdata.read_csv(raw, target, task)
    except userdata.DataFileError:
        return
    assert table.X.shape[0] == len(table.y) >= userdata.MIN_ROWS
    assert all(math.isfinite(v) for v in table.X.ravel())
