"""Bring your own data: a CSV file's bytes -> checked numeric arrays -> a registered dataset.

`read_csv` checks everything a file can get wrong and raises `DataFileError` with one friendly
sentence per problem, so a person can fix the file. `register_upload` adds the result to the
DATASETS registry under a name made from a hash of the bytes, so Config, make_data, the losses,
the split and standardization treat it like any built-in dataset. The registry is one per
process (a hosted app serves many people) and holds uploads weakly: one stays while a session,
a Run or a sweep result holds its spec (see datasets.Registry).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field

import numpy as np

from .config import FIELDS
from .datasets import DATASETS, UPLOAD_PREFIX, DatasetSpec

MAX_ROWS = int(FIELDS["n_samples"].metadata["hi"])  # 200,000: what Config allows at most
MIN_ROWS = int(FIELDS["n_samples"].metadata["lo"])  # 10
MAX_CLASSES = int(FIELDS["n_classes"].metadata["hi"])  # 10
MAX_FEATURES = 64  # as many inputs as the digits; wider tables make the views unreadable
MAX_VALUE = 1e15  # beyond this, float32 training loses the digits that matter or overflows
TASKS = {None: "auto", "auto": "auto", "classification": "classification",
         "regression": "regression"}
_MAGIC = {b"PK\x03\x04": "an Excel workbook or a zip archive", b"%PDF": "a PDF document",
          b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
          b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file"}


# How spreadsheets write a missing number. Read as text (a class may be called "NA" or "None"),
# they count as missing only in a column whose other cells are all numbers.
NA_TEXT = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                     "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a",
                     "nan", "null"})
_SEP_LINE = re.compile(r"sep=(.)")  # Excel's first line naming the separator, e.g. "sep=;"


class DataFileError(ValueError):
    """A file that cannot be used as data; the message says what is wrong and how to fix it."""


@dataclass(frozen=True, eq=False)
class Table:
    """A checked upload: X (n, d) float64, y (n,) int64 labels or float64 targets."""

    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    task: str  # "binary", "multiclass" or "regression", as in datasets.TASKS
    features: tuple[str, ...]
    classes: tuple[str, ...]  # the file's label for each class index; () for regression
    target: str
    digest: str  # hash of the file's bytes, the target and the task choice

    @property
    def n_rows(self) -> int:
        return len(self.y)

    @property
    def name(self) -> str:
        return f"{UPLOAD_PREFIX}{self.digest[:10]}"

    def summary(self) -> str:
        """One sentence: rows, features and what the target is."""
        n = len(self.features)
        head = f"{self.n_rows:,} rows, {n} numeric feature{'s' * (n != 1)}"
        if self.task == "regression":
            return f"{head}; target '{self.target}' is a number (regression)."
        pairs = ", ".join(f"{label} = class {k}" for k, label in enumerate(self.classes))
        return f"{head}; target '{self.target}' has {len(self.classes)} classes ({pairs})."


# ---- reading ---------------------------------------------------------------------------------

def columns(raw: bytes) -> list[str]:
    """The header's column names, checked (for choosing the target before reading it all)."""
    text, sep = _text_and_separator(raw)
    return _header(text, sep)


def read_csv(raw: bytes, target: str | None = None, task: str | None = None) -> Table:
    """Check and read a CSV file: numeric features, one target column (the last by default).

    `task`: None or "auto" decides from the target (text or at most MAX_CLASSES distinct whole
    numbers: classification; otherwise regression); "classification" or "regression" forces it.
    Raises DataFileError with a message for people.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}")
    text, sep = _text_and_separator(raw)
    names = _header(text, sep)
    target = names[-1] if target is None else target
    if target not in names:
        raise DataFileError(f"There is no column named '{target}'. The columns are: "
                            f"{_quoted(names)}.")
    if len(names) - 1 > MAX_FEATURES:
        raise DataFileError(f"The file has {len(names) - 1} feature columns besides the target; "
                            f"at most {MAX_FEATURES} are allowed. Remove some columns.")
    frame = _drop_index(_parse(text, sep), names)
    _check_size(frame)
    _check_missing(frame)
    features = tuple(str(c) for c in frame.columns if c != target)
    if not features:  # e.g. a saved row index (dropped) and the target
        raise DataFileError(f"Besides the target '{target}' the file has no feature column: "
                            "add at least one numeric column for the model to learn from.")
    X = np.stack([_numeric(frame[c], c) for c in features], axis=1)  # (n, d)
    y, kind, classes = _target(frame[target], target, TASKS[task])
    _check_finite(X, features)
    digest = hashlib.sha256(raw + f"\0{target}\0{TASKS[task]}".encode()).hexdigest()
    return Table(X, y, kind, features, classes, target, digest)


def _text_and_separator(raw: bytes) -> tuple[str, str]:
    """The file as text with "\n" line ends, Excel's "sep=" line taken out, and its separator;
    a data line's separator at the very end (a trailing comma on every row) is dropped."""
    text = _decode(raw)
    first, _, rest = text.partition("\n")
    named = _SEP_LINE.fullmatch(first.strip())
    if named:
        text = rest
        if not text.strip():
            raise DataFileError("The file has only its 'sep=' line: add a header line and "
                                "data rows.")
    sep = named.group(1) if named else _separator(text)
    return _trailing_separators(text, sep), sep


def _trailing_separators(text: str, sep: str) -> str:
    """Rows that each end in one separator more than the header has (some exporters write
    "1,2,a," under "x,y,label") lose it, so the values stay under their columns."""
    header, _, body = text.partition("\n")
    lines = body.split("\n")
    rows = [line for line in lines if line.strip()]
    if not rows or not all(line.rstrip(" \t").endswith(sep) for line in rows):
        return text
    if header.rstrip(" \t").endswith(sep):  # the header too: every line has one empty column
        header = header.rstrip(" \t")[:-1]
    elif not all(_count(line, sep) == _count(header, sep) + 1 for line in rows):
        return text
    fixed = [line.rstrip(" \t")[:-1] if line.strip() else line for line in lines]
    return "\n".join([header, *fixed])


def _count(line: str, sep: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=sep))) - 1
    except (csv.Error, StopIteration):
        return -1


def _decode(raw: bytes) -> str:
    if not raw.strip():
        raise DataFileError("The file is empty. Choose a CSV file with a header row and data.")
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise DataFileError(f"This looks like {what}, not a CSV file. Save or export the "
                                "table as CSV (comma-separated values) and upload that.")
    utf16 = _utf16(raw)
    if utf16 is not None:
        return _lines(utf16)
    if b"\0" in raw[:65536]:
        raise DataFileError("This is a binary file, not a CSV file. Upload a text file of "
                            "comma-separated values.")
    try:
        text = raw.decode("utf-8-sig")  # -sig: Excel starts its UTF-8 CSVs with a BOM
    except UnicodeDecodeError:
        text = _legacy_text(raw)
    return _lines(text)


def _lines(text: str) -> str:
    """Windows ("\r\n") and old Mac ("\r") line ends as "\n"; trailing blank lines are not
    empty rows."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n\t ")


def _utf16(raw: bytes) -> str | None:
    """The text of a UTF-16 file (Excel's "Unicode text", PowerShell's default), or None. With
    no byte-order mark, a NUL in every other byte of the start (ASCII text in UTF-16) tells."""
    encoding = None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        head = raw[:4096]
        half = len(head) // 2
        if half >= 4 and head[1::2].count(0) >= 0.9 * half and head[::2].count(0) == 0:
            encoding = "utf-16-le"
        elif half >= 4 and head[::2].count(0) >= 0.9 * half and head[1::2].count(0) == 0:
            encoding = "utf-16-be"
    if encoding is None:
        return None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        raise DataFileError("This file looks like UTF-16 text but does not decode as it. Save "
                            "it as 'CSV UTF-8' and try again.") from None
    return text.lstrip("\ufeff")


def _legacy_text(raw: bytes) -> str:
    # Excel on Windows saves "CSV" as cp1252; accept it when it decodes to plain text.
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = "\0"
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        raise DataFileError("This file is not text in UTF-8 (or Windows-1252), so it is not a "
                            "CSV file this page can read. Save it as 'CSV UTF-8' and try again.")
    return text


def _separator(text: str) -> str:
    start = text.lstrip()
    if start[:1] in "{[" and _is_json(text):
        raise DataFileError("This is a JSON file, not a CSV file (a saved set-up is JSON too, "
                            "but it holds settings, not data). Upload a table of "
                            "comma-separated values.")
    if start[:1] == "<":
        raise DataFileError("This looks like HTML or XML, not a CSV file. Upload a table of "
                            "comma-separated values.")
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}  # commas win ties
    sep = max(counts, key=counts.get)
    if counts[sep] == 0:
        raise DataFileError(f"Only one column was found (header: '{first.strip()[:60]}'). The "
                            "file needs feature columns and a target column, separated by "
                            "commas.")
    return sep


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _header(text: str, sep: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    try:
        names = [n.strip() for n in next(csv.reader([first], delimiter=sep))]
    except csv.Error as e:
        raise DataFileError(f"The header line could not be read ({e}).") from None
    if all(_is_number(n) for n in names):
        raise DataFileError("The first line holds numbers, not column names. Add a header "
                            "line that names each column, e.g. x1,x2,label.")
    unnamed = [i + 1 for i, n in enumerate(names) if not n and i > 0]
    if unnamed:
        raise DataFileError(f"Column {unnamed[0]} has no name in the header line. Give every "
                            "column a name.")
    seen: set[str] = set()
    twice = [n for n in names if n in seen or seen.add(n)]
    if twice:
        raise DataFileError(f"The column name '{twice[0]}' appears more than once in the "
                            "header. Give each column its own name.")
    return [n for n in names if n]  # a nameless first column is an index (see _drop_index)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _parse(text: str, sep: str):
    import pandas as pd  # lazy: only uploads need it

    frame = _read(pd, text, sep, ".")
    if sep == ";" and any(not pd.api.types.is_numeric_dtype(t) for t in frame.dtypes):
        alt = _read(pd, text, sep, ",")  # semicolon files from European Excel: decimal commas
        if sum(map(pd.api.types.is_numeric_dtype, alt.dtypes)) > sum(
                map(pd.api.types.is_numeric_dtype, frame.dtypes)):
            frame = alt
    return frame


def _read(pd, text: str, sep: str, decimal: str):
    try:
        # Only an empty cell is missing here: "NA" or "None" may be a class (_missing decides).
        return pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal, skipinitialspace=True,
                           skip_blank_lines=False, low_memory=False, keep_default_na=False,
                           na_values=[""])
    except pd.errors.ParserError as e:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(e))
        if found:
            want, line, saw = found.groups()
            raise DataFileError(f"Line {line} has {saw} values but the header has {want} "
                                "columns. Every line needs one value per column.") from None
        raise DataFileError(f"The file could not be read as CSV: {e}") from None
    except (ValueError, pd.errors.EmptyDataError, csv.Error, OverflowError) as e:
        raise DataFileError(f"The file could not be read as CSV: {e}") from None


def _drop_index(frame, names: list[str]):
    # pandas names a header's empty first cell "Unnamed: 0": a row index saved by to_csv.
    if len(frame.columns) == len(names) + 1:
        frame = frame.iloc[:, 1:]
    frame.columns = names
    return frame


def _check_size(frame) -> None:
    n = len(frame)
    if n == 0:
        raise DataFileError("The file has a header line but no data rows.")
    if n > MAX_ROWS:
        raise DataFileError(f"The file has {n:,} rows; at most {MAX_ROWS:,} are allowed. Use a "
                            "sample of the rows.")
    if n < MIN_ROWS:
        raise DataFileError(f"The file has only {n} data row{'s' * (n != 1)}; at least "
                            f"{MIN_ROWS} are needed to train on some and test on others.")


def _check_missing(frame) -> None:
    empty = frame.isna().to_numpy()  # (n, columns)
    blank = np.flatnonzero(empty.all(axis=1))
    if len(blank):
        raise DataFileError(f"Line {blank[0] + 2} is empty. Remove blank lines between rows.")
    missing = empty | np.stack([_written_missing(frame[c]) for c in frame.columns], axis=1)
    rows, cols = np.nonzero(missing)
    if len(rows):
        name = frame.columns[cols[0]]
        count = int(missing[:, cols[0]].sum())
        raise DataFileError(f"Column '{name}' has {count} missing value{'s' * (count != 1)} (the "
                            f"first on line {rows[0] + 2}). Fill them in or remove those rows.")


def _written_missing(column) -> np.ndarray:
    """(n,) the cells written as a missing number ("NA", "null", "#N/A"...) in a column whose
    other cells are all numbers; in a column of text they are labels like any other."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return np.zeros(len(column), dtype=bool)  # read as numbers: nothing written as text
    text = column.astype(str).str.strip()
    marked = text.isin(NA_TEXT).to_numpy() & column.notna().to_numpy()
    if not marked.any():
        return marked
    others = column[~marked & column.notna().to_numpy()]
    numbers = pd.to_numeric(others, errors="coerce").notna().all()
    return marked if numbers else np.zeros(len(column), dtype=bool)


def _numeric(column, name: str) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=np.float64)  # True/False -> 1/0
    values = pd.to_numeric(column, errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy())
    if len(bad):
        raise DataFileError(f"Column '{name}' is not numeric: line {bad[0] + 2} has "
                            f"'{column.iloc[bad[0]]}'. Features must be numbers; remove the "
                            "column, or choose it as the target.")
    return values.to_numpy(dtype=np.float64)


def _check_finite(values: np.ndarray, names: tuple[str, ...]) -> None:
    """values (n, d): every entry finite and of a size float32 training can use."""
    bad_rows, bad_cols = np.nonzero(~np.isfinite(values) | (np.abs(values) > MAX_VALUE))
    if len(bad_rows):
        row, col = bad_rows[0], bad_cols[0]
        v = values[row, col]
        what = "an infinite value" if not np.isfinite(v) else f"a value too large ({v:g})"
        raise DataFileError(f"Column '{names[col]}' has {what} on line {row + 2}; values must "
                            f"be finite numbers no larger than {MAX_VALUE:.0e} in size.")


# ---- the target ------------------------------------------------------------------------------

def _target(column, name: str, task: str) -> tuple[np.ndarray, str, tuple[str, ...]]:
    """The target column -> (y, task, class names)."""
    import pandas as pd

    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    if not numeric:
        if task == "regression":
            raise DataFileError(f"The target '{name}' holds text (e.g. '{column.iloc[0]}'), so it "
                                "can be classes but not numbers to predict. Choose 'classes' or "
                                "another target.")
        return _classes([str(v) for v in column], name)
    values = _numeric(column, name)
    _check_finite(values[:, None], (name,))
    whole = np.all(values == np.round(values))
    if task == "classification" or (task == "auto" and whole and
                                     len(np.unique(values)) <= MAX_CLASSES):
        return _classes(values, name)
    if np.all(values == values[0]):
        raise DataFileError(f"The target '{name}' is {values[0]:g} on every row: there is "
                            "nothing to learn. Choose another target.")
    return values, "regression", ()


def _classes(values, name: str) -> tuple[np.ndarray, str, tuple[str, ...]]:
    labels, y = np.unique(np.asarray(values), return_inverse=True)  # sorted: numbers by value
    k = len(labels)
    if k == 1:
        raise DataFileError(f"The target '{name}' has only one class ('{_label(labels[0])}'): "
                            "a model needs at least two to tell apart.")
    if k > MAX_CLASSES:
        raise DataFileError(f"The target '{name}' has {k:,} different values; at most "
                            f"{MAX_CLASSES} classes are allowed. Is '{name}' the right target? "
                            "For numbers to predict, choose 'numbers'.")
    counts = np.bincount(y, minlength=k)
    if counts.min() < 2:
        rare = labels[int(counts.argmin())]
        raise DataFileError(f"Class '{_label(rare)}' of the target '{name}' has only one row; "
                            "every class needs at least two (one may land in the test set).")
    return y.astype(np.int64), "binary" if k == 2 else "multiclass", tuple(map(_label, labels))


def _label(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _quoted(names: list[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:12])
    return shown + (f" and {len(names) - 12} more" if len(names) > 12 else "")


# ---- the registry ----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class _Rows:
    """A generator over fixed rows: n of them, drawn without replacement by the data seed."""

    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)

    def __call__(self, n: int, noise: float, rng: np.random.Generator, k: int):
        idx = rng.choice(len(self.y), size=n, replace=False)  # n <= len(y): spec.max_samples
        return self.X[idx], self.y[idx]  # fancy indexing copies: the rows stay untouched


def register_upload(table: Table, filename: str = "your file") -> DatasetSpec:
    """Add `table` to DATASETS as a dataset named after its hash; returns its spec, which the
    caller must hold for as long as it uses the dataset (the registry holds it weakly)."""
    spec = DatasetSpec(
        table.name, _Rows(table.X, table.y), table.task, table.X.shape[1], _box(table.X),
        f"Your CSV: {filename}", f"From {filename}: {table.summary()}",
        max_samples=table.n_rows, class_names=table.classes, column_names=table.features)
    register(spec)
    return spec


def register(spec: DatasetSpec) -> None:
    """(Re-)register an uploaded dataset. The same bytes uploaded twice (maybe under another
    file name) have the same name and the same rows: the spec already there stays."""
    if not spec.name.startswith(UPLOAD_PREFIX):
        raise ValueError(f"uploaded datasets are named {UPLOAD_PREFIX}..., got {spec.name!r}")
    DATASETS.uploads.setdefault(spec.name, spec)


def forget_all() -> None:
    """Remove every uploaded dataset from the registry (tests use it)."""
    DATASETS.uploads.clear()


def _box(X: np.ndarray) -> tuple[float, ...] | None:
    """A plotting box around 1-D or 2-D data (5% margins); None for more dimensions."""
    if X.shape[1] > 2:
        return None
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, np.maximum(np.abs(lo), 1.0))  # a constant column too
    lo, hi = lo - 0.05 * span, hi + 0.05 * span
    return tuple(float(v) for pair in zip(lo, hi, strict=True) for v in pair)
