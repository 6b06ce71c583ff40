"""The panels' Plotly figures (draw/plots.py, error_plots.py, sweep_plots.py, theme.py): every
trace checked against the numbers it draws, computed again from the run or the sweep."""

import json

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest

from playground import Config, insight, train
from playground.draw import error_plots, plots, sweep_plots, theme
from playground.sweep import sweep


# ---- theme: numbers, escaping, legends ---------------------------------------------------------
@pytest.mark.parametrize("value, shown", [
    (0, "0"), (1e-5, "0.00001"), (0.0031, "0.0031"), (100, "100"), (12.5, "12.5"),
    (12_500, "12,500"), (1234.5, "1,230"), (-0.25, "−0.25"), (1.5e-8, "1.5×10⁻⁸"),
    (0.1 + 0.2, "0.3"), (float("nan"), "nan")])
def test_numbers_read_as_people_write_them(value, shown):
    assert theme.number(value) == shown


def test_knob_values_keep_their_digits_without_exponents():
    assert [theme.value_label(v) for v in (0.003, 1e-5, 0.0001, 32, "relu")] == [
        "0.003", "0.00001", "0.0001", "32", "relu"]


def test_visitor_text_is_shown_not_rendered_and_long_names_wrap():
    name = theme.legend_name("<b>my run</b> & " + "x" * 60)
    assert "<b>" not in name and "&lt;b&gt;my run&lt;/b&gt; &amp;" in name
    assert all(len(line) <= theme.LEGEND_CHARS + 20 for line in name.split("<br>"))
    assert name.count("<br>") >= 1  # wrapped, not cut
    assert theme.text("a<br>b") == "a&lt;br&gt;b"


def test_log_axes_label_decades_over_a_wide_range_and_1_2_5_over_a_narrow_one():
    assert theme.log_axis([1e-5, 10]) == {"type": "log", "tickformat": "~g", "dtick": 1}
    # Over fewer decades: 1, 2 and 5 of each (plotly would label every digit, piled up).
    assert theme.log_axis([0.035, 0.72])["tickvals"] == [0.05, 0.1, 0.2, 0.5]
    assert theme.log_axis([0.3, 0.7])["tickvals"] == [0.3, 0.4, 0.5, 0.6]
    assert "tickvals" not in theme.log_axis([1.0, 1.01])  # too narrow for two: plotly's own
    assert theme.log_axis([0.0, -1.0]) == {"type": "log", "tickformat": "~g"}  # nothing to show


def test_every_figure_carries_the_page_look():
    fig = theme.figure(200)
    spec = json.loads(pio.to_json(fig, validate=False))
    assert spec["layout"]["template"]["layout"]["font"]["family"] == theme.FONT
    assert spec["layout"]["height"] == 200


# ---- curves ----------------------------------------------------------------------------------
def history(n):
    epochs = list(range(n))
    return {"epoch": epochs, "train_loss": [1 / (e + 1) for e in epochs],
            "test_loss": [0.0] + [1.1 / (e + 1) for e in epochs[1:]]}


def test_lines_thin_long_histories_and_leave_out_what_a_log_axis_cannot_show():
    h = history(10_000)
    fig = plots.pair(h, {"train_loss": "train", "test_loss": "test"}, title="loss")
    train_line, test_line = fig.data
    assert len(train_line.x) <= 401 and train_line.x[0] == 0 and train_line.x[-1] == 9_999
    np.testing.assert_allclose(train_line.y, 1 / (np.asarray(train_line.x) + 1))
    assert test_line.line.dash == "dash" and train_line.line.dash == "solid"
    logged = plots.lines([("test", h["epoch"], h["test_loss"])], x_title="epoch",
                         y_title="loss", log_y=True)
    assert logged.data[0].x[0] > 0 and np.all(logged.data[0].y > 0)  # epoch 0's loss 0 is out


def test_gradient_flow_names_the_weights_and_draws_their_norms():
    run = train(Config(dataset="moons", hidden=(8, 8), epochs=6, optimizer="adam"))
    fig = plots.layer_norms(run.history, "grad_norm", title="gradient norm")
    assert [t.name for t in fig.data] == ["W₁", "W₂", "W₃"]
    assert fig.layout.yaxis.type == "log"
    for trace, key in zip(fig.data, ("grad_norm/0", "grad_norm/2", "grad_norm/4"), strict=True):
        np.testing.assert_allclose(trace.y, run.history[key][1:])  # epoch 0 has no gradient
        np.testing.assert_array_equal(trace.x, run.history["epoch"][1:])


def test_activation_histogram_bars_are_the_counts_and_say_the_layer():
    run = train(Config(dataset="moons", hidden=(8,), activation="relu", epochs=3))
    (layer,) = insight.activation_stats(run)
    counts, edges = layer["histogram"]
    (bars,) = plots.histogram(counts, edges, layer="h1").data
    np.testing.assert_array_equal(bars.y, counts)
    np.testing.assert_allclose(bars.x, (edges[:-1] + edges[1:]) / 2)
    np.testing.assert_allclose(bars.width, np.diff(edges))
    assert bars.hovertemplate.startswith("h1: ")


def test_lr_finder_marker_is_its_suggestion():
    result = insight.lr_finder(Config(dataset="moons", hidden=(8,), optimizer="adam"))
    fig = plots.lr_range(result["lrs"], result["losses"], result["suggested"])
    curve, marker = fig.data
    np.testing.assert_allclose(curve.x, result["lrs"])
    np.testing.assert_allclose(curve.y, result["losses"])
    assert marker.x == (result["suggested"],)
    assert marker.y == (result["losses"][result["lrs"].index(result["suggested"])],)
    (line,) = fig.layout.shapes
    assert line.x0 == line.x1 == result["suggested"] and fig.layout.xaxis.type == "log"
    no_suggestion = plots.lr_range([1e-5, 1e-4], [0.7, 0.7], float("nan"))
    assert len(no_suggestion.data) == 1 and not no_suggestion.layout.shapes


# ---- errors: the figures' numbers against insight's and a direct computation -----------------
def _classifier():
    return train(Config(dataset="blobs", n_classes=3, noise=0.3, hidden=(8,), epochs=4,
                        lr=0.03, optimizer="adam", seed=1))


def test_confusion_matrix_equals_insight_confusion():
    run = _classifier()
    matrix, names = insight.confusion(run, "test"), insight.class_names(run.data)
    diagonal, off = error_plots.confusion_matrix(matrix, names).data
    guess, y = run.predict(run.data.X_test).argmax(1), run.data.y_test
    for trace in (diagonal, off):
        np.testing.assert_array_equal(trace.customdata, matrix)
        assert list(trace.x) == list(trace.y) == names  # rows = true, columns = guess
    for t in range(3):
        for p in range(3):
            assert matrix[t, p] == np.sum((y == t) & (guess == p))
            share = np.sum((y == t) & (guess == p)) / np.sum(y == t)
            on = diagonal if t == p else off
            assert on.z[t][p] == pytest.approx(share) and on.text[t][p] == str(matrix[t, p])
            assert np.isnan((off if t == p else diagonal).z[t][p])
    assert matrix.sum() == run.data.n_test


def test_class_accuracy_bars_equal_per_class_accuracy():
    run = _classifier()
    matrix = insight.confusion(run, "train")
    acc = insight.per_class_accuracy(run, "train")
    overall = np.trace(matrix) / matrix.sum()
    fig = error_plots.class_accuracy(acc, matrix.sum(axis=1), insight.class_names(run.data),
                                     overall)
    guess, y = run.predict(run.data.X_train).argmax(1), run.data.y_train
    (bars,) = fig.data
    np.testing.assert_allclose(bars.x, [np.mean(guess[y == k] == k) for k in range(3)])
    assert list(bars.customdata) == [int(np.sum(y == k)) for k in range(3)]
    assert abs(overall - run.history["train_acc"][-1]) < 1e-6
    assert fig.layout.shapes[0].x0 == overall


def test_class_names_from_a_file_are_shown_as_text():
    fig = error_plots.confusion_matrix(np.array([[3, 1], [0, 4]]), ["<i>cat</i>", "dog"])
    assert fig.data[0].x[0] == "&lt;i&gt;cat&lt;/i&gt;"
    assert "3 class &lt;i&gt;cat&lt;/i&gt; points predicted as class &lt;i&gt;cat" in (
        fig.data[0].hovertext[0][0])


def test_predicted_vs_actual_and_residuals_equal_the_predictions():
    run = train(Config(dataset="sine", hidden=(8,), epochs=5, lr=0.01, optimizer="adam"))
    y, yhat = insight.residuals(run, "test")
    direct = run.predict(run.data.X_test)
    np.testing.assert_array_equal(yhat, direct)
    diagonal, points = error_plots.predicted_vs_actual(y, yhat).data
    np.testing.assert_array_equal(points.x, run.data.y_test)
    np.testing.assert_array_equal(points.y, direct)
    np.testing.assert_allclose(points.customdata[:, 2], run.data.y_test - direct)
    rmse = np.sqrt(np.mean(points.customdata[:, 2] ** 2))
    assert abs(rmse - run.history["test_rmse"][-1]) < 1e-4 * rmse
    assert diagonal.x == diagonal.y  # the line y = x, past every point
    assert diagonal.x[0] < min(y.min(), yhat.min()) and diagonal.x[1] > max(y.max(), yhat.max())
    fig = error_plots.residual_plot(y, yhat)
    np.testing.assert_allclose(fig.data[0].y, y - yhat)
    np.testing.assert_array_equal(fig.data[0].x, yhat)
    assert fig.layout.shapes[0].y0 == fig.layout.shapes[0].y1 == 0


def test_scatter_figures_thin_large_sets_evenly():
    y = np.arange(10_000, dtype=float)
    (points,) = error_plots.residual_plot(y, y + 1).data
    assert len(points.x) <= error_plots.MAX_SCATTER + 1
    assert points.customdata[0, 0] == 0 and points.customdata[-1, 0] == 9_999
    assert np.all(points.y == -1)


# ---- sweeps: the figure's numbers are SweepResult.summary's ------------------------------
def _sweep(axes, seeds=2):
    base = Config(dataset="xor", n_samples=120, hidden=(4,), epochs=5, optimizer="adam")
    return sweep(base, axes, seeds=seeds)


def test_sweep_heatmap_z_is_the_means_in_the_given_order_and_cells_say_the_spread():
    result = _sweep({"width": [8, 2, 4], "lr": [0.1, 0.01]})
    (cells,) = sweep_plots.sweep_figure(result.summary(), result.axes, "test accuracy",
                                        percent=True).data
    assert list(cells.y) == ["8", "2", "4"] and list(cells.x) == ["0.1", "0.01"]
    np.testing.assert_allclose(cells.z, result.pivot().to_numpy())
    std = result.pivot(stat="std").to_numpy()
    assert cells.text[0][0] == f"{100 * cells.z[0][0]:.1f}% ± {100 * std[0, 0]:.1f}"
    assert "lowest seed" in cells.hovertext[0][0] and "width 8, lr 0.1" in cells.hovertext[0][0]


def test_sweep_heatmap_of_a_loss_reverses_the_ramp_and_one_seed_has_no_spread():
    summary = pd.DataFrame({"a": [1, 1, 2, 2], "b": ["x", "y", "x", "y"],
                            "mean": [0.1, 0.2, 0.3, 0.9], "std": [0.0, 0.1, np.nan, 0.1],
                            "min": [0.1, 0.1, 0.3, 0.8], "max": [0.1, 0.3, 0.3, 1.0],
                            "n": [2, 2, 1, 2]})
    (cells,) = sweep_plots.sweep_figure(summary, {"a": [1, 2], "b": ["x", "y"]}, "test loss",
                                        lower_better=True).data
    assert cells.reversescale is True
    np.testing.assert_allclose(cells.z, [[0.1, 0.2], [0.3, 0.9]])
    assert cells.text[1][0] == "0.3"


def test_sweep_of_one_knob_draws_means_with_spreads_on_a_log_lr_axis():
    result = _sweep({"lr": [0.003, 0.03, 0.3]}, seeds=3)
    summary = result.summary()
    fig = sweep_plots.sweep_figure(summary, result.axes, "test accuracy", percent=True)
    spread, band, mean = fig.data
    np.testing.assert_allclose(mean.y, summary["mean"])
    np.testing.assert_allclose(mean.x, [0.003, 0.03, 0.3])
    np.testing.assert_allclose(mean.y + spread.error_y.array, summary["max"])
    np.testing.assert_allclose(mean.y - spread.error_y.arrayminus, summary["min"])
    np.testing.assert_allclose(mean.y + band.error_y.array,
                               (summary["mean"] + summary["std"]).clip(0, 1))
    np.testing.assert_allclose(mean.y - band.error_y.arrayminus,
                               (summary["mean"] - summary["std"]).clip(0, 1))
    assert fig.layout.xaxis.type == "log" and list(fig.layout.xaxis.ticktext) == [
        "0.003", "0.03", "0.3"]
    assert mean.mode == "lines+markers"


def test_sweep_of_a_category_keeps_the_given_order_without_a_line():
    result = _sweep({"activation": ["tanh", "relu", "sigmoid"]}, seeds=1)
    fig = sweep_plots.sweep_figure(result.summary(), result.axes, "test accuracy", percent=True)
    assert fig.layout.xaxis.type == "category"
    assert list(fig.layout.xaxis.categoryarray) == ["tanh", "relu", "sigmoid"]
    assert fig.data[2].mode == "markers"
    assert result.summary()["std"].isna().all()  # one seed: the bands have no height
    np.testing.assert_allclose(fig.data[1].error_y.array, 0)
