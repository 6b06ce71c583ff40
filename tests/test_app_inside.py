"""The page's "under the hood" panel and the engine choice, through AppTest."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from playground import Config
from playground.equations import backward_equations, forward_equations

APP = Path(__file__).resolve().parent.parent / "app.py"


def open_page(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric_values(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_equations_of_the_current_network():
    at = open_page(dataset="moons", hidden="8,8", activation="relu")
    cfg = Config(dataset="moons", hidden=(8, 8), activation="relu")
    shown = [el.value.strip().strip("$").strip() for el in at.get("latex")]
    assert shown == forward_equations(cfg) + backward_equations(cfg)
    assert shown[0].startswith("Z_{1} = X\\, W_{1} + b_{1}")
    assert any("\\mathbb{1}[Z_{2} > 0]" in line for line in shown)  # ReLU's derivative


def test_both_engines_trace_the_same_curve_on_the_page():
    at = open_page(dataset="moons", hidden="8", epochs="30", optimizer="adam", lr="0.01")
    at.button(key="compare_engines").click().run()
    assert not at.exception
    m = metric_values(at)
    assert float(m["Largest gap between the curves"]) < 1e-4
    assert m["PyTorch training time"].endswith(" s") and m["NumPy training time"].endswith(" s")
    # loss, accuracy, the histogram of the one hidden layer, and the two engines' curves
    assert len(at.get("vega_lite_chart")) == 4


def test_gradient_check_table_agrees_everywhere():
    at = open_page(dataset="blobs", hidden="6,5", activation="tanh")
    at.button(key="gradcheck").click().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["parameter"]) == ["0.weight", "0.bias", "2.weight", "2.bias",
                                        "4.weight", "4.bias"]
    assert list(table["shape"])[:2] == ["6 × 2", "6"]
    assert set(table["agrees"]) == {"yes"}
    assert all(float(e) < 1e-6 for e in table["relative error"])


def test_set_ups_the_numpy_engine_lacks_say_so():
    at = open_page(activation="gelu")
    notes = [i.value for i in at.info]
    assert any("no NumPy version" in n and "gelu" in n for n in notes)


def test_training_with_the_numpy_engine_from_the_sidebar():
    at = open_page(epochs="20", optimizer="adam")
    at.selectbox(key="w_engine").set_value("numpy").run()
    assert not at.exception
    assert at.query_params["engine"] in ("numpy", ["numpy"])
    at.button(key="train").click().run()
    m = metric_values(at)
    assert m["Epoch"] == "20" and m["Status"] == "finished"
    assert at.session_state["run"].config.engine == "numpy"


def test_choosing_numpy_with_an_unsupported_activation_keeps_the_last_valid_set_up():
    at = open_page(activation="gelu")
    at.selectbox(key="w_engine").set_value("numpy").run()
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "numpy engine has no 'gelu'" in errors and "engine 'torch'" in errors
    assert at.session_state["run"].config.engine == "torch"


def test_gradient_flow_and_activations_after_training():
    at = open_page(dataset="moons", hidden="8,8,8,8", activation="sigmoid", epochs="15",
                   optimizer="adam", lr="0.01")
    assert any("Train for a few epochs" in i.value for i in at.info)
    at.button(key="train").click().run()
    assert not at.exception
    specs = [el.proto.spec for el in at.get("vega_lite_chart")]
    # loss, accuracy, gradient norms, weight norms, and one histogram per hidden layer
    assert len(specs) == 2 + 2 + 4
    layers = [m.value for m in at.markdown if m.value.startswith("**Layer")]
    assert len(layers) == 4 and all("saturated:" in text for text in layers)
    relu = open_page(dataset="moons", hidden="6", activation="relu")
    assert any("dead:" in m.value for m in relu.markdown if m.value.startswith("**Layer"))


def test_replay_of_the_boundary():
    at = open_page(epochs="100")
    assert any("Train for a few epochs to record a replay" in i.value for i in at.info)
    at.button(key="train").click().run()
    run = at.session_state["run"]
    epochs = [epoch for epoch, _ in run.snapshots]
    assert epochs[0] == 0 and epochs[-1] == 100 and 20 <= len(epochs) <= 61
    assert at.select_slider(key="replay_epoch").value == 100
    at.select_slider(key="replay_epoch").set_value(epochs[1]).run()
    assert not at.exception
    at.toggle(key="replay_play").set_value(True).run()
    assert not at.exception
    assert len(at.expander[0].get("image")) == 2  # the chosen frame and the animation


def test_learning_rate_finder_suggests_and_sets_a_rate():
    at = open_page(dataset="moons", optimizer="adam", hidden="8")
    at.button(key="lr_finder").click().run()
    assert not at.exception
    use = at.button(key="use_lr")
    suggested = float(use.label.removeprefix("Use learning rate "))
    assert 1e-4 < suggested < 10
    use.click().run()
    assert not at.exception
    assert at.session_state["cfg"].lr == suggested
    assert at.query_params["lr"] in (str(suggested), [str(suggested)], repr(suggested),
                                     [repr(suggested)])
