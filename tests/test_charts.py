"""The chart specs (draw/charts.py): data rows, thinning, scales; the error charts' numbers against
insight's and against a direct computation from run.predict."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from playground import Config, insight, train
from playground.datasets import make_data
from playground.draw import charts
from playground.sweep import sweep


def history(n):
    epochs = list(range(n))
    return {"epoch": epochs, "train_loss": [1 / (e + 1) for e in epochs],
            "test_loss": [1.1 / (e + 1) for e in epochs], "train_acc": [0.5] * n,
            "test_acc": [0.25] * n, "train_r2": [-5.0] + [0.5] * (n - 1),
            "test_r2": [0.4] * n}


def test_loss_curves_rows_and_labels():
    data, spec = charts.loss_curves(history(30))
    assert list(data.columns) == ["epoch", "value", "shown", "curve"]
    assert len(data) == 60 and set(data["curve"]) == {"train loss", "test loss"}
    train = data[data["curve"] == "train loss"]
    assert np.allclose(train["value"], [1 / (e + 1) for e in range(30)])
    assert spec["layer"][0]["encoding"]["y"]["scale"]["type"] == "linear"
    assert charts.loss_curves(history(30), log_y=True)[1]["layer"][0]["encoding"]["y"][
        "scale"]["type"] == "log"


def test_long_histories_are_thinned_keeping_the_ends():
    data, _ = charts.loss_curves(history(10_000))
    epochs = data[data["curve"] == "test loss"]["epoch"].to_numpy()
    assert len(epochs) <= charts.MAX_POINTS + 1
    assert epochs[0] == 0 and epochs[-1] == 9_999 and np.all(np.diff(epochs) > 0)


def test_accuracy_is_a_percentage_between_0_and_1():
    data, spec = charts.metric_curves(history(5), "binary")
    y = spec["layer"][0]["encoding"]["y"]
    assert y["scale"]["domain"] == [0.0, 1.0] and y["axis"]["format"] == ".0%"
    assert set(data["curve"]) == {"train accuracy", "test accuracy"}


def test_r2_below_minus_one_is_drawn_at_minus_one_but_hovers_true():
    data, spec = charts.metric_curves(history(5), "regression")
    first = data[(data["curve"] == "train R²") & (data["epoch"] == 0)].iloc[0]
    assert first["value"] == -5.0 and first["shown"] == -1.0
    tooltip = spec["layer"][1]["encoding"]["tooltip"]
    assert any(t["field"] == "value" for t in tooltip)


# ---- errors: the charts' data against insight's numbers and a direct computation -----------
def _classifier():
    return train(Config(dataset="blobs", n_classes=3, noise=0.3, hidden=(8,), epochs=4,
                        lr=0.03, optimizer="adam", seed=1))


def _regressor():
    return train(Config(dataset="sine", hidden=(8,), epochs=5, lr=0.01, optimizer="adam"))


def test_confusion_matrix_cells_count_the_test_points():
    run = _classifier()
    matrix, names = insight.confusion(run, "test"), insight.class_names(run.data)
    data, spec = charts.confusion_matrix(matrix, names)
    guess, y = run.predict(run.data.X_test).argmax(1), run.data.y_test
    assert names == ["class 0", "class 1", "class 2"] and len(data) == 9
    for row in data.itertuples():
        t, p = names.index(row.true), names.index(row.predicted)
        assert row.count == matrix[t, p] == np.sum((y == t) & (guess == p))
        assert row.share == np.sum((y == t) & (guess == p)) / np.sum(y == t)
        assert row.correct == (t == p)
    assert data["count"].sum() == run.data.n_test
    x, y_enc = spec["layer"][2]["encoding"]["x"], spec["layer"][2]["encoding"]["y"]
    assert (x["field"], y_enc["field"]) == ("predicted", "true")  # rows = true, columns = guess
    assert x["sort"] == y_enc["sort"] == names
    assert spec["layer"][2]["encoding"]["text"]["field"] == "count"


def test_class_accuracy_bars_equal_per_class_accuracy():
    run = _classifier()
    matrix = insight.confusion(run, "train")
    acc = insight.per_class_accuracy(run, "train")
    overall = np.trace(matrix) / matrix.sum()
    data, spec = charts.class_accuracy(acc, matrix.sum(axis=1), insight.class_names(run.data),
                                       overall)
    guess, y = run.predict(run.data.X_train).argmax(1), run.data.y_train
    np.testing.assert_allclose(data["accuracy"], [np.mean(guess[y == k] == k) for k in range(3)])
    assert list(data["points"]) == [int(np.sum(y == k)) for k in range(3)]
    assert overall == np.mean(guess == y)
    assert abs(overall - run.history["train_acc"][-1]) < 1e-6
    assert spec["layer"][2]["data"]["values"] == [{"overall": overall}]


def test_predicted_vs_actual_and_residuals_equal_the_predictions():
    run = _regressor()
    y, yhat = insight.residuals(run, "test")
    direct = run.predict(run.data.X_test)
    np.testing.assert_array_equal(yhat, direct)
    data, spec = charts.predicted_vs_actual(y, yhat)
    np.testing.assert_array_equal(data["actual"], run.data.y_test)
    np.testing.assert_array_equal(data["predicted"], direct)
    np.testing.assert_allclose(data["residual"], run.data.y_test - direct)
    rmse = np.sqrt(np.mean(data["residual"] ** 2))
    assert abs(rmse - run.history["test_rmse"][-1]) < 1e-4 * rmse
    line = spec["layer"][0]["data"]["values"]
    assert [p["actual"] for p in line] == [p["predicted"] for p in line]  # the diagonal y = x
    assert line[0]["actual"] < min(y.min(), yhat.min()) and line[1]["actual"] > max(y.max(),
                                                                                   yhat.max())
    res_data, res_spec = charts.residual_plot(y, yhat)
    np.testing.assert_allclose(res_data["residual"], y - yhat)
    np.testing.assert_array_equal(res_data["predicted"], yhat)
    assert res_spec["layer"][1]["data"]["values"] == [{"zero": 0}]


def test_scatter_charts_thin_large_sets_evenly():
    y = np.arange(10_000, dtype=float)
    data, _ = charts.residual_plot(y, y + 1)
    assert len(data) <= charts.MAX_SCATTER + 1
    assert data["actual"].iloc[0] == 0 and data["actual"].iloc[-1] == 9_999
    assert np.all(data["residual"] == -1)


def test_class_names_default_and_digits():
    assert insight.class_names(make_data("xor", 40, 0.0, 0.5, 0)) == ["class 0", "class 1"]
    digits = make_data("digits", 200, 0.0, 0.5, 0)
    assert insight.class_names(digits) == [str(k) for k in range(10)]
    uploaded = SimpleNamespace(name="csv-pets", n_classes=2, class_names=("cat", "dog"))
    assert insight.class_names(uploaded) == ["cat", "dog"]  # the data's own labels win


# ---- sweeps: the chart's numbers are SweepResult.summary's ---------------------------------
def _sweep(axes, seeds=2):
    base = Config(dataset="xor", n_samples=120, hidden=(4,), epochs=5, optimizer="adam")
    return sweep(base, axes, seeds=seeds)


def _same_numbers(data, summary, axes):
    for name in axes:
        assert data[name].tolist() == summary[name].tolist()
    for column in ("mean", "std", "min", "max", "n"):
        np.testing.assert_allclose(data[column], summary[column], equal_nan=True)


def test_sweep_heatmap_cells_follow_the_given_order_and_say_mean_and_spread():
    result = _sweep({"width": [8, 2, 4], "lr": [0.1, 0.01]})
    summary = result.summary()
    data, spec = charts.sweep_chart(summary, result.axes, "test accuracy", percent=True)
    _same_numbers(data, summary, result.axes)
    rect, text = spec["layer"]
    assert rect["mark"]["type"] == "rect"
    assert rect["encoding"]["y"]["sort"] == ["8", "2", "4"]  # first knob down, as given
    assert rect["encoding"]["x"]["sort"] == ["0.1", "0.01"]
    assert rect["encoding"]["color"]["field"] == "mean"
    first = data.iloc[0]
    assert first["text"] == f"{100 * first['mean']:.1f}% ± {100 * first['std']:.1f}"
    tips = {t["field"] for t in rect["encoding"]["tooltip"]}
    assert {"mean", "std", "min", "max", "n"} <= tips


def test_sweep_heatmap_darkest_cell_is_the_best_and_loss_reverses_the_ramp():
    summary = pd.DataFrame({"a": [1, 1, 2, 2], "b": ["x", "y", "x", "y"],
                            "mean": [0.1, 0.2, 0.3, 0.9], "std": [0.0, 0.1, np.nan, 0.1],
                            "min": [0.1, 0.1, 0.3, 0.8], "max": [0.1, 0.3, 0.3, 1.0],
                            "n": [2, 2, 1, 2]})
    axes = {"a": [1, 2], "b": ["x", "y"]}
    data, spec = charts.sweep_chart(summary, axes, "test loss", lower_better=True)
    assert data["dark"].tolist() == [True, True, True, False]
    assert spec["layer"][0]["encoding"]["color"]["scale"]["reverse"] is True
    assert data["text"].tolist()[2] == "0.3"  # one seed: no spread


def test_sweep_of_one_knob_draws_means_with_spreads_on_a_log_lr_axis():
    result = _sweep({"lr": [0.003, 0.03, 0.3]}, seeds=3)
    summary = result.summary()
    data, spec = charts.sweep_chart(summary, result.axes, "test accuracy", percent=True)
    _same_numbers(data, summary, result.axes)
    mean, std = summary["mean"], summary["std"]
    np.testing.assert_allclose(data["low"], (mean - std).clip(0, 1))
    np.testing.assert_allclose(data["high"], (mean + std).clip(0, 1))
    spread, band, line, point = spec["layer"]
    assert spread["encoding"]["y"]["field"] == "min" and spread["encoding"]["y2"]["field"] == "max"
    assert point["encoding"]["x"]["scale"]["type"] == "log"
    assert line["mark"]["type"] == "line"


def test_sweep_of_a_category_is_nominal_in_the_given_order_without_a_line():
    result = _sweep({"activation": ["tanh", "relu", "sigmoid"]}, seeds=1)
    data, spec = charts.sweep_chart(result.summary(), result.axes, "test accuracy", percent=True)
    x = spec["layer"][0]["encoding"]["x"]
    assert x["type"] == "nominal" and x["sort"] == ["tanh", "relu", "sigmoid"]
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rule", "rule", "point"]
    assert data["std"].isna().all()  # one seed
