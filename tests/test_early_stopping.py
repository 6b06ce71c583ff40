"""Early stopping: `patience` epochs without a lower test loss stop the run and put back the best
epoch's weights, while the history keeps every epoch that was trained."""

import numpy as np
import pytest
import torch

from playground import Config, Run, train
from playground.train import LIVE_FIELDS

# A wide net on 100 noisy xor points overfits fast: the test loss bottoms out near epoch 10,
# then climbs while the train loss keeps falling.
OVERFIT = Config(dataset="xor", noise=0.2, n_samples=200, hidden=(128, 128), activation="relu",
                 optimizer="adam", lr=0.01, batch_size=10, epochs=40)


def expected_stop(test_loss: list[float], patience: int) -> tuple[int, int]:
    """(stop epoch, best epoch) worked out by hand from a full run's test-loss curve."""
    best = 0
    for epoch, loss in enumerate(test_loss):
        if loss < test_loss[best]:
            best = epoch
        if epoch - best >= patience:
            return epoch, best
    raise AssertionError("the full run never ran out of patience")


def weights(run: Run) -> torch.Tensor:
    return run.params.theta.detach().clone()


@pytest.fixture(scope="module")
def full() -> Run:
    return train(OVERFIT)


def test_the_case_really_overfits(full):
    loss = np.array(full.history["test_loss"])
    best = int(loss.argmin())
    assert 3 <= best <= 20 and loss[-1] > 1.5 * loss[best]
    assert full.history["train_loss"][-1] < full.history["train_loss"][best]


@pytest.mark.parametrize("patience", [1, 5, 10])
def test_stops_at_the_first_epoch_without_patience_left(full, patience):
    run = train(OVERFIT.replace(patience=patience))
    stop, best = expected_stop(full.history["test_loss"], patience)
    assert run.status == "early_stopped"
    assert (run.epoch, run.best_epoch) == (stop, best)
    # Same seed, same batches: the history is the full run's, cut after the stopping epoch.
    assert run.history["epoch"] == list(range(stop + 1))
    assert run.history["test_loss"] == full.history["test_loss"][:stop + 1]
    assert f"weights from epoch {best}" in run.message


def test_the_best_epochs_weights_are_put_back(full):
    run = train(OVERFIT.replace(patience=5))
    best_only = train(OVERFIT.replace(epochs=run.best_epoch))  # trained up to the best epoch
    assert torch.equal(weights(run), weights(best_only))
    # The model now scores what the history recorded at the best epoch, not at the last one.
    d = run.data
    probs = run.predict(d.X_test)[:, 1]
    assert np.mean((probs > 0.5) == d.y_test) == pytest.approx(
        run.history["test_acc"][run.best_epoch])


def test_off_by_default(full):
    assert Config().patience == 0
    assert full.status == "finished" and full.epoch == OVERFIT.epochs
    assert full.best_epoch == int(np.argmin(full.history["test_loss"]))  # tracked all the same


def test_going_on_after_a_stop_gives_a_fresh_window():
    run = train(OVERFIT.replace(patience=5))
    first_stop = run.epoch
    run.fit(100)  # from the best weights, with the optimizer's running averages reset
    assert run.status == "early_stopped" and run.best_epoch > first_stop  # it found a new best
    assert run.epoch == run.best_epoch + 5
    assert len(run.history["epoch"]) == run.epoch + 1  # every trained epoch is in the history


def test_going_on_without_a_new_best_puts_the_same_weights_back():
    # Random labels: any training raises the test loss, so the initial weights stay the best.
    cfg = Config(dataset="random", n_samples=200, hidden=(64,), activation="relu",
                 optimizer="adam", lr=0.01, batch_size=20, patience=4)
    run = train(cfg)
    assert (run.status, run.epoch, run.best_epoch) == ("early_stopped", 4, 0)
    run.fit(100)
    assert (run.status, run.epoch, run.best_epoch) == ("early_stopped", 8, 0)
    assert torch.equal(weights(run), weights(Run(cfg)))


def test_patience_can_change_on_a_running_model():
    assert "patience" in LIVE_FIELDS
    run = Run(OVERFIT)
    run.fit(30)  # well past the best epoch, with patience off
    assert run.status == "finished"
    run.reconfigure(OVERFIT.replace(patience=3))
    run.fit(30)  # the window starts now, so three more epochs, then the best weights
    assert run.status == "early_stopped" and run.epoch == 33
    assert run.best_epoch < 30


def test_query_json_and_cli_know_patience():
    from playground.cli import build_parser, config_from_args

    cfg = Config.from_query({"patience": "7"})
    assert cfg.patience == 7 and cfg.to_query() == {"patience": "7"}
    assert Config.from_json(cfg.to_json()) == cfg
    args = build_parser().parse_args(["train", "--patience", "12"])
    assert config_from_args(args).patience == 12
    with pytest.raises(ValueError):
        Config(patience=-1)


def test_final_is_the_row_of_the_weights_put_back():
    run = train(Config(dataset="circle", n_samples=120, noise=0.3, hidden=(64, 64),
                       activation="relu", optimizer="adam", lr=0.01, batch_size=10, epochs=60,
                       patience=5))
    assert run.status == "early_stopped"
    best = run.history["epoch"].index(run.best_epoch)
    assert run.final == {k: v[best] for k, v in run.history.items()}
    assert run.final["epoch"] == run.best_epoch < run.last["epoch"] == run.epoch
    # The numbers are the held model's: evaluating it again gives the same test accuracy.
    probs = run.predict(run.data.X_test)
    accuracy = float(((probs[:, 1] > 0.5) == run.data.y_test).mean())
    assert accuracy == pytest.approx(run.final["test_acc"], abs=1e-6)  # float32 on the device
    plain = train(Config(dataset="circle", n_samples=120, epochs=3))
    assert plain.final == plain.last
