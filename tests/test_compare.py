"""playground.compare: run records, config differences, and their curves overlaid (plots.overlay)."""

from __future__ import annotations

import numpy as np

from playground import Config, train
from playground.compare import (
    RECORD_POINTS,
    X_AXES,
    config_diff,
    describe,
    diff_table,
    record_of,
    summary_table,
)
from playground.draw.plots import overlay

BASE = Config(dataset="xor", hidden=(4,), epochs=5, n_samples=100)


def test_a_record_is_a_copy_that_later_training_does_not_change():
    run = train(BASE)
    record = record_of(run, "k", "first")
    run.fit(3)
    assert len(record.history["epoch"]) == 6 and record.final("epoch") == 5
    assert record.metric == "test_acc" and record.final("test_acc") == run.history["test_acc"][5]


def test_long_histories_are_thinned_keeping_the_first_and_last_epochs():
    run = train(BASE.replace(epochs=2500, n_samples=40, hidden=(2,)))
    record = record_of(run, "k", "long")
    epochs = record.history["epoch"]
    assert RECORD_POINTS <= len(epochs) <= RECORD_POINTS + 1
    assert epochs[0] == 0 and epochs[-1] == 2500 and np.all(np.diff(epochs) > 0)
    keep = epochs.astype(int)
    np.testing.assert_array_equal(record.history["test_loss"],
                                  np.asarray(run.history["test_loss"])[keep])


def test_config_diff_names_exactly_the_fields_that_differ():
    a, b, c = BASE, BASE.replace(lr=0.3), BASE.replace(lr=0.3, activation="relu")
    assert config_diff([a]) == [] and config_diff([a, a]) == []
    assert config_diff([a, b]) == ["lr"]
    assert config_diff([a, b, c]) == ["activation", "lr"]  # table order: network, then training


def test_diff_table_shows_each_runs_value_and_makes_labels_unique():
    runs = [record_of(train(c), str(i), "same")
            for i, c in enumerate((BASE, BASE.replace(lr=0.3)))]
    table = diff_table(runs)
    assert list(table.index) == ["lr"] and list(table.columns) == ["same", "same (2)"]
    assert table.loc["lr"].tolist() == ["0.03", "0.3"]
    full = diff_table(runs[:1])  # one run: its whole set-up
    assert full.loc["hidden"].iloc[0] == "4" and full.loc["dataset"].iloc[0] == "xor"


def test_summary_and_overlay_carry_the_histories():
    records = [record_of(train(BASE.replace(lr=lr)), f"k{lr}", f"lr {lr}") for lr in (0.03, 0.3)]
    summary = summary_table(records)
    assert summary["test accuracy"].tolist() == [r.final("test_acc") for r in records]
    assert summary["epochs"].tolist() == [5, 5]
    for x in ("epoch", "seconds", "steps"):
        fig = overlay(records, "test_loss", x=x, title="test loss", log_y=True)
        assert fig.layout.yaxis.type == "log" and fig.layout.xaxis.title.text == X_AXES[x]
        for r, trace in zip(records, fig.data, strict=True):
            np.testing.assert_allclose(trace.x, r.history[x])
            np.testing.assert_allclose(trace.y, r.history["test_loss"])
    assert [t.name for t in fig.data] == ["lr 0.03", "lr 0.3"]


def test_describe_names_data_network_and_optimizer():
    assert describe(BASE) == "xor · 4 tanh · sgd lr 0.03"
    assert describe(BASE.replace(hidden=())) == "xor · linear · sgd lr 0.03"
