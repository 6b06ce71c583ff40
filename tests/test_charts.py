"""The main view's curve specs (draw/charts.py): data rows, thinning, scales."""

import numpy as np

from playground.draw import charts


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
