"""Uploaded CSV files: every bad file gets its own message, good ones train like any dataset."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

from playground import DATASETS, FIELDS, Config, ConfigError, Run, make_data, train, userdata
from playground.datasets import n_classes_of
from playground.draw import diagram, raster
from playground.sweep import sweep
from playground.userdata import DataFileError, read_csv, register_upload

BUILT_IN = tuple(DATASETS)


@pytest.fixture(autouse=True)
def clean_registry():
    """Uploads join the process-wide registry: leave it as the other tests expect it."""
    yield
    userdata.forget_all()
    assert tuple(DATASETS) == BUILT_IN


def csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def blobs(n: int = 300, dim: int = 4, seed: int = 0) -> pd.DataFrame:
    """Three well separated Gaussian clouds with word labels."""
    rng = np.random.default_rng(seed)
    label = np.arange(n) % 3
    X = rng.normal(size=(n, dim)) + 4.0 * np.eye(3, dim)[label]
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(dim)])
    frame["species"] = np.array(["setosa", "versicolor", "virginica"])[label]
    return frame


def rows(header: str, *lines: str, repeat: int = 1) -> bytes:
    return ("\n".join([header, *lines * repeat]) + "\n").encode()


GOOD = ["1,2,a", "3,4,b", "5,6,a", "7,8,b", "9,1,a", "2,3,b"]  # 6 rows, 2 classes
BAD_FILES = {  # case: (file bytes, read_csv keyword arguments, the message's telling part)
    "empty": (b"", {}, "The file is empty"),
    "blank": (b" \n\n  \n", {}, "The file is empty"),
    "binary": (b"\x00\x01\x02\x03hello", {}, "This is a binary file, not a CSV file"),
    "excel": (b"PK\x03\x04\x14\x00rest", {}, "looks like an Excel workbook or a zip archive"),
    "png": (b"\x89PNG\r\n\x1a\nrest", {}, "looks like a PNG image"),
    "not utf-8": (b"a,b\n\x81\x8d\x01,2\n", {}, "not text in UTF-8"),
    "json": (b'{"dataset": "moons", "lr": 0.1}', {}, "This is a JSON file, not a CSV file"),
    "json list": (b'[[1, 2], [3, 4]]', {}, "This is a JSON file"),
    "html": (b"<html><body>hi</body></html>", {}, "looks like HTML or XML"),
    "one column": (rows("x", "1", "2"), {}, "Only one column was found (header: 'x')"),
    "header only": (b"a,b,label\n", {}, "has a header line but no data rows"),
    "no header": (rows("1,2,3", "4,5,6"), {}, "The first line holds numbers"),
    "duplicate names": (rows("a,b,a", *GOOD, repeat=2), {}, "'a' appears more than once"),
    "nameless column": (rows("a,,label", *GOOD, repeat=2), {}, "Column 2 has no name"),
    "target not found": (rows("a,b,label", *GOOD, repeat=2), {"target": "colour"},
                         "There is no column named 'colour'. The columns are: 'a', 'b', 'label'."),
    "ragged line": (rows("a,b,label", "1,2,a", "3,4,b,9", *GOOD), {},
                    "Line 3 has 4 values but the header has 3 columns"),
    "missing values": (rows("a,b,label", *GOOD, "1,,a", "2,NA,b", *GOOD), {},
                       "Column 'b' has 2 missing values (the first on line 8)"),
    "blank line": (rows("a,b,label", *GOOD[:3], "", *GOOD[3:], *GOOD), {},
                   "Line 5 is empty"),
    "non-numeric feature": (rows("colour,b,label", "red,2,a", "blue,4,b", *GOOD, *GOOD), {},
                            "Column 'colour' is not numeric: line 2 has 'red'"),
    "infinite value": (rows("a,b,label", *GOOD, "inf,1,a", *GOOD), {},
                       "Column 'a' has an infinite value on line 8"),
    "huge value": (rows("a,b,label", *GOOD, "1e20,1,a", *GOOD), {},
                   "Column 'a' has a value too large (1e+20) on line 8"),
    "too few rows": (rows("a,b,label", *GOOD[:5]), {},
                     "only 5 data rows; at least 10 are needed"),
    "one class": (rows("a,b,label", "1,2,yes", repeat=12), {},
                  "The target 'label' has only one class ('yes')"),
    "too many classes": (rows("a,b,name", *[f"{i},{i},n{i}" for i in range(20)]), {},
                         "The target 'name' has 20 different values; at most 10 classes"),
    "a class with one row": (rows("a,b,label", *GOOD, *GOOD, "0,0,c"), {},
                             "Class 'c' of the target 'label' has only one row"),
    "text target as numbers": (rows("a,b,label", *GOOD, repeat=2), {"task": "regression"},
                               "holds text (e.g. 'a'), so it can be classes but not numbers"),
    "constant numeric target": (rows("a,b,y", "1,2,3.5", "2,1,3.5", repeat=6),
                                {"task": "regression"}, "The target 'y' is 3.5 on every row"),
    "numbers forced to classes": (rows("a,y", *[f"{i},{i * 0.1}" for i in range(30)]),
                                  {"task": "classification"},
                                  "The target 'y' has 30 different values"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_every_bad_file_gets_its_own_message(case):
    raw, kwargs, message = BAD_FILES[case]
    with pytest.raises(DataFileError) as info:
        read_csv(raw, **kwargs)
    assert message in str(info.value)


def test_too_many_rows_and_columns():
    assert userdata.MAX_ROWS == FIELDS["n_samples"].metadata["hi"] == 200_000
    many = rows("a,b", "1,0", "2,1", repeat=userdata.MAX_ROWS // 2 + 1)
    with pytest.raises(DataFileError, match=r"has 200,002 rows; at most 200,000 are allowed"):
        read_csv(many)
    wide = pd.DataFrame(np.ones((12, 66)), columns=[f"c{i}" for i in range(66)])
    with pytest.raises(DataFileError, match="65 feature columns besides the target; at most 64"):
        read_csv(csv(wide))


def test_at_most_64_features_read():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(20, 65)), columns=[f"c{i}" for i in range(65)])
    table = read_csv(csv(wide))
    assert table.X.shape == (20, 64) and table.task == "regression" and table.target == "c64"


def test_a_bad_task_argument_is_a_programming_error():
    with pytest.raises(ValueError, match="task must be one of"):
        read_csv(rows("a,b,label", *GOOD, repeat=2), task="binary")


def test_word_labels_become_classes_in_sorted_order():
    table = read_csv(csv(blobs()))
    assert table.task == "multiclass" and table.target == "species"
    assert table.features == ("f0", "f1", "f2", "f3")
    assert table.classes == ("setosa", "versicolor", "virginica")
    assert table.X.dtype == np.float64 and table.X.shape == (300, 4)
    assert table.y.dtype == np.int64 and list(table.y[:4]) == [0, 1, 2, 0]
    assert table.summary() == ("300 rows, 4 numeric features; target 'species' has 3 classes "
                               "(setosa = class 0, versicolor = class 1, virginica = class 2).")


def test_the_target_can_be_any_column_and_decides_the_task():
    frame = blobs(60).drop(columns="species")
    frame["grade"] = np.arange(60) % 3
    frame["size"] = np.linspace(0.0, 1.0, 60)
    raw = csv(frame)
    assert read_csv(raw).task == "regression"  # the last column: many distinct numbers
    table = read_csv(raw, target="grade")
    assert table.task == "multiclass" and table.features == ("f0", "f1", "f2", "f3", "size")
    assert table.classes == ("0", "1", "2")


def test_few_whole_numbers_are_classes_unless_told_otherwise():
    raw = rows("a,b,grade", "1,2,3", "2,3,7", "3,1,3", "4,4,7", repeat=3)
    table = read_csv(raw)
    assert table.task == "binary" and table.classes == ("3", "7") and set(table.y) == {0, 1}
    forced = read_csv(raw, task="regression")
    assert forced.task == "regression" and forced.classes == () and set(forced.y) == {3.0, 7.0}
    assert forced.name != table.name  # the task choice is part of the dataset's identity


def test_true_false_targets_and_features():
    raw = rows("a,flag,label", "1,True,False", "2,False,True", repeat=6)
    table = read_csv(raw)
    assert table.task == "binary" and table.classes == ("False", "True")
    assert set(table.X[:, 1]) == {0.0, 1.0}


def test_files_from_spreadsheets():
    # Excel's BOM, Windows line ends, cp1252 accents, a saved index, tabs, semicolons with
    # decimal commas, spaces after the commas.
    text = "\ufeffx,y,label\r\n" + "1.5,2,a\r\n2.5,1,b\r\n" * 6
    assert read_csv(text.encode("utf-8")).features == ("x", "y")
    accents = ("poids,taille,catégorie\n" + "1,2,é\n3,4,è\n" * 6).encode("cp1252")
    assert read_csv(accents).classes == ("è", "é")
    indexed = csv(blobs(30)).replace(b"f0,", b",f0,", 1)
    indexed = b"\n".join([indexed.split(b"\n")[0]] + [
        f"{i},".encode() + line for i, line in enumerate(indexed.split(b"\n")[1:]) if line])
    assert read_csv(indexed).features == ("f0", "f1", "f2", "f3")
    tabs = read_csv(rows("a\tb\tlabel", "1\t2\ta", "3\t4\tb", repeat=6))
    assert tabs.X.shape == (12, 2)
    semis = read_csv(rows("a;b;label", "1,5;2;a", "3,25;4;b", repeat=6))
    assert semis.X[0, 0] == 1.5 and semis.X[1, 0] == 3.25
    spaced = read_csv(rows("a, b, label", "1, 2, a", "3, 4, b", repeat=6))
    assert spaced.features == ("a", "b") and spaced.classes == ("a", "b")


def test_na_none_and_null_are_classes_in_a_text_target():
    raw = rows("a,b,region", "1,2,NA", "3,4,EU", "5,6,None", "7,8,null", repeat=3)
    table = read_csv(raw)
    assert table.task == "multiclass" and table.classes == ("EU", "NA", "None", "null")
    assert list(table.y[:4]) == [1, 0, 2, 3]


def test_missing_numbers_written_as_text_are_missing_values():
    raw = rows("a,b,label", *GOOD, "4,NA,a", "5,null,b", "6,#N/A,a", *GOOD)
    with pytest.raises(DataFileError, match=r"Column 'b' has 3 missing values \(the first on "
                                            r"line 8\)"):
        read_csv(raw)
    target = rows("a,b,y", "1,2,0.5", "2,3,1.5", "3,4,NA", "4,5,2.5", repeat=3)
    with pytest.raises(DataFileError, match=r"Column 'y' has 3 missing values \(the first on "
                                            r"line 4\)"):
        read_csv(target)


def test_a_trailing_comma_on_every_data_line_keeps_the_columns():
    raw = rows("x1,x2,label", "1,2,a,", "3,4,b,", "5,6,a,", "7,8,b,", repeat=3)
    table = read_csv(raw)
    assert table.features == ("x1", "x2") and table.classes == ("a", "b")
    np.testing.assert_array_equal(table.X[:2], [[1, 2], [3, 4]])
    everywhere = rows("x1,x2,label,", "1,2,a,", "3,4,b,", repeat=6)
    assert read_csv(everywhere).features == ("x1", "x2")
    assert userdata.columns(everywhere) == ["x1", "x2", "label"]
    # An extra value that is not empty is still an error, on the line where it is.
    with pytest.raises(DataFileError, match="Line 3 has 4 values but the header has 3"):
        read_csv(rows("x1,x2,label", "1,2,a", "3,4,b,9", *GOOD))


def test_old_mac_line_ends():
    raw = ("x,y,label\r" + "1,2,a\r3,4,b\r" * 6).encode()
    table = read_csv(raw)
    assert table.X.shape == (12, 2) and table.classes == ("a", "b")


def test_excels_sep_line_names_the_separator():
    raw = ("sep=;\n" + "a;b;label\n" + "1,5;2;a\n3,25;4;b\n" * 6).encode()
    table = read_csv(raw)
    assert table.features == ("a", "b") and table.X[0, 0] == 1.5
    assert userdata.columns(raw) == ["a", "b", "label"]
    comma = read_csv(("sep=,\r\n" + "a,b,label\r\n" + "1,2,a\r\n3,4,b\r\n" * 6).encode())
    assert comma.X.shape == (12, 2)
    with pytest.raises(DataFileError, match="only its 'sep=' line"):
        read_csv(b"sep=;\n")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_files_are_read(encoding):
    text = "x\ty\tcatégorie\r\n" + "1.5\t2\té\r\n2.5\t1\tè\r\n" * 6
    table = read_csv(text.encode(encoding))  # "utf-16" writes a byte-order mark
    assert table.features == ("x", "y") and table.classes == ("è", "é")
    assert table.X[0, 0] == 1.5


def test_columns_reads_the_header_only():
    assert userdata.columns(csv(blobs(30))) == ["f0", "f1", "f2", "f3", "species"]
    with pytest.raises(DataFileError, match="JSON"):
        userdata.columns(b'{"a": 1}')


def test_names_come_from_the_bytes_and_the_target():
    raw = csv(blobs(60).drop(columns="species"))
    name = read_csv(raw).name
    assert read_csv(raw).name == name and name.startswith("csv-") and len(name) == 14
    assert read_csv(raw, target="f0").name != name
    assert read_csv(raw + b"1,2,3,4\n").name != name


# ---- the registered dataset ------------------------------------------------------------------

def test_an_upload_is_a_dataset_the_library_understands():
    table = read_csv(csv(blobs(300)))
    spec = register_upload(table, "flowers.csv")
    assert DATASETS[spec.name] is spec and spec.title == "Your CSV: flowers.csv"
    assert spec.task == "multiclass" and spec.dim == 4 and spec.box is None
    assert spec.max_samples == 300 and n_classes_of(spec.name, 7) == 3
    cfg = Config(dataset=spec.name, n_samples=300)
    assert (cfg.task, cfg.n_inputs, cfg.n_outputs, cfg.resolved_loss) == (
        "multiclass", 4, 3, "cross_entropy")
    with pytest.raises(ConfigError, match="at most 300"):
        Config(dataset=spec.name, n_samples=301)
    data = make_data(spec.name, 300, 0.0, 0.25, seed=3)
    assert (data.n_train, data.n_test) == (225, 75) and data.class_names == table.classes
    rows_seen = np.concatenate([data.X_train, data.X_test])
    assert len(np.unique(rows_seen, axis=0)) == 300  # every row once: a split, not a resample
    again = make_data(spec.name, 300, 0.0, 0.25, seed=3)
    assert np.array_equal(again.X_train, data.X_train)  # the data seed decides the split
    fewer = make_data(spec.name, 100, 0.0, 0.5, seed=0)
    assert fewer.n_train + fewer.n_test == 100


def test_training_on_an_upload_learns_it():
    spec = register_upload(read_csv(csv(blobs(300))), "flowers.csv")
    run = train(Config(dataset=spec.name, n_samples=300, hidden=(8,), activation="relu",
                       optimizer="adam", lr=0.01, batch_size=32, epochs=60))
    assert run.history["test_acc"][-1] > 0.9
    assert run.predict(np.zeros((2, 4))).shape == (2, 3)
    # The file's own names label the inputs and the outputs (the network diagram shows them).
    assert run.data.input_names() == ("f0", "f1", "f2", "f3")
    names = diagram.unit_names(run)
    assert names[0] == ["f0", "f1", "f2", "f3"]
    assert names[-1] == ["P(setosa)", "P(versicolor)", "P(virginica)"]


def test_training_a_two_dimensional_regression_upload():
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(400, 2)) * [100.0, 0.01]  # very different scales
    frame = pd.DataFrame({"u": X[:, 0], "v": X[:, 1], "t": X[:, 0] / 100 - X[:, 1] * 100})
    spec = register_upload(read_csv(csv(frame)), "plane.csv")
    assert spec.task == "regression" and spec.dim == 2
    x0, x1, y0, y1 = spec.box
    assert x0 < X[:, 0].min() and x1 > X[:, 0].max() and y0 < X[:, 1].min() < y1
    run = train(Config(dataset=spec.name, n_samples=400, hidden=(8,), optimizer="adam",
                       lr=0.01, batch_size=32, epochs=60))
    assert run.history["test_r2"][-1] > 0.9


def test_one_dimensional_uploads_get_a_box_and_wider_ones_none():
    one = register_upload(read_csv(rows("x,y", *[f"{i},{i % 2}" for i in range(20)])))
    assert one.dim == 1 and one.box == pytest.approx((-0.95, 19.95))
    assert register_upload(read_csv(csv(blobs(30, dim=5)))).box is None


def test_the_registry_holds_uploads_while_something_uses_them():
    table = read_csv(rows("a,b,label", *GOOD, *GOOD))
    spec = register_upload(table, "mine.csv")
    name = spec.name
    assert name in DATASETS and DATASETS[name] is spec and DATASETS.get(name) is spec
    assert tuple(DATASETS) == BUILT_IN  # iteration lists the built-ins only
    run = Run(Config(dataset=name, n_samples=spec.max_samples, hidden=(3,), epochs=1))
    sweep_result = sweep(Config(dataset=name, n_samples=spec.max_samples, hidden=(3,),
                                epochs=1), {"lr": [0.1, 0.3]}, seeds=1)
    del spec
    gc.collect()
    assert name in DATASETS  # the Run and the sweep result hold it
    run.fit(1)  # looks the dataset up again (the network's sizes)
    assert diagram.unit_names(run)[0] == ["a", "b"]
    del run
    gc.collect()
    assert sweep_result.default_metric() == "test_acc" and name in DATASETS
    del sweep_result
    gc.collect()
    assert name not in DATASETS and DATASETS.get(name) is None  # nothing uses it: gone
    with pytest.raises(KeyError):
        DATASETS[name]
    again = register_upload(table, "again.csv")  # uploaded again: back, same name
    assert again.name == name and DATASETS[name] is again
    other = register_upload(table, "copy.csv")  # the same bytes under another file name
    assert DATASETS[name] is again and other.title == "Your CSV: copy.csv"
    with pytest.raises(ValueError, match="named csv-"):
        userdata.register(DATASETS["moons"])


def test_links_never_carry_uploaded_data():
    spec = register_upload(read_csv(csv(blobs(60))), "flowers.csv")
    for name in (spec.name, "csv-0123456789"):  # known to this server or not
        cfg, errors = Config.parse_query({"dataset": name, "hidden": "8,8"})
        assert cfg.dataset == "circle" and cfg.hidden == (8, 8)  # the rest of the link stays
        assert "links do not carry" in errors["dataset"] and "upload the file again" in (
            errors["dataset"])
    cfg, errors = Config.parse_query({"dataset": "nonsense"})
    assert "expected one of circle" in errors["dataset"]
    with pytest.raises(ConfigError, match="is not allowed"):
        Config(dataset="csv-0123456789")  # not registered here
    assert FIELDS["dataset"].metadata["choices"] == BUILT_IN  # what the page advertises


def test_the_views_draw_lopsided_and_wide_uploads():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(50, 2)) * [100.0, 0.01]  # 10,000 times wider than tall
    box = userdata._box(X)
    image = raster.boundary_image(box, np.full((20, 20), 0.5), X, (X[:, 0] > 0).astype(int),
                                  task="binary", n_classes=2)
    assert image.width > 400 and image.height > 400  # not squeezed to equal units
    y = rng.normal(size=80)
    fit = raster.fit_image(y, y + rng.normal(scale=0.1, size=80))  # regression beyond 2-D
    assert fit.width > 400 and fit.height > 400


def test_a_file_with_only_the_target_named_says_it_has_no_features():
    raw = rows(",t", *[f"{i},{i % 2}" for i in range(20)])  # a saved index and the target
    with pytest.raises(DataFileError, match="no feature column"):
        read_csv(raw)
