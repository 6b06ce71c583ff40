"""Runs side by side: light records of finished runs and their config differences.

A `RunRecord` is what a comparison needs from a `Run` (config, history, status), copied so the
record stays as it was when kept, whatever happens to the run afterwards. No model, no data:
a page can keep many of them cheaply (a long history is thinned to RECORD_POINTS epochs).
`draw.plots.overlay` draws their curves on one chart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import FIELDS, Config
from .draw.charts import thin
from .draw.theme import value_label
from .nn.metrics import score

RECORD_POINTS = 1000  # epochs kept per record (evenly spread): a page keeps up to 20 records
X_AXES = {"epoch": "epoch", "seconds": "training time (s)", "steps": "optimizer steps"}


@dataclass(frozen=True)
class RunRecord:
    key: str
    label: str
    config: Config
    history: dict[str, np.ndarray] = field(repr=False)
    status: str
    task: str
    pinned: bool = False
    held: dict[str, float] = field(default_factory=dict, repr=False)  # Run.final at the copy

    @property
    def metric(self) -> str:
        """The headline test metric's history key: accuracy, or R² for regression."""
        return score(self.task)[0]

    def final(self, key: str) -> float:
        """The value for the weights the run held (after early stopping: the best epoch's)."""
        return float(self.held[key] if self.held else self.history[key][-1])


def record_of(run, key: str, label: str, pinned: bool = False) -> RunRecord:
    """Copy what a comparison needs from `run` (a playground.Run): its history as float arrays,
    thinned to RECORD_POINTS epochs evenly spread (the first and the last always kept)."""
    keep = thin(len(run.history["epoch"]), RECORD_POINTS)
    history = {k: np.asarray(v, dtype=np.float64)[keep] for k, v in run.history.items()}
    return RunRecord(key, label, run.config, history, run.status, run.task, pinned,
                     dict(run.final))


def describe(config: Config) -> str:
    """A short label for a run: data, network and optimizer at a glance."""
    net = f"{'-'.join(map(str, config.hidden))} {config.activation}" if config.hidden else "linear"
    return f"{config.dataset} · {net} · {config.optimizer} lr {config.lr:g}"


def config_diff(configs: list[Config]) -> list[str]:
    """The fields whose values are not the same in every config, in table order."""
    if len(configs) < 2:
        return []
    dicts = [c.to_dict() for c in configs]
    return [name for name in FIELDS if any(d[name] != dicts[0][name] for d in dicts[1:])]


def diff_table(records: list[RunRecord]) -> pd.DataFrame:
    """Rows: the differing fields (all fields for a single run); columns: the runs' labels."""
    names = config_diff([r.config for r in records]) or list(FIELDS)
    columns = unique_labels([r.label for r in records])
    rows = {name: [_show(r.config.to_dict()[name]) for r in records] for name in names}
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def summary_table(records: list[RunRecord]) -> pd.DataFrame:
    """One row per run: its final numbers."""
    rows = []
    for r in records:
        rows.append({"run": r.label, "status": r.status, "epochs": int(r.history["epoch"][-1]),
                     score(r.task)[1]: r.final(r.metric), "test loss": r.final("test_loss"),
                     "train loss": r.final("train_loss"), "seconds": r.final("seconds")})
    return pd.DataFrame(rows)


def unique_labels(labels: list[str]) -> list[str]:
    """Labels made unique (a chart legend and a table need distinct names)."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def _show(value) -> str:
    if isinstance(value, (tuple, list)):
        return ", ".join(map(str, value)) or "none"
    return value_label(value)
