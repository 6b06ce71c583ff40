"""Task metrics by name (accuracy, R², RMSE), and which one is each task's headline.

Every number a run reports per split is computed here: the loss and the task's metrics, from
outputs (n, n_out), or (K, n, n_out) for a stack of K models with shared targets, giving one
value per model. History keys are "<split>_<name>": train_loss, test_acc, test_r2, ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from .losses import Loss


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    value: Callable[[Tensor, Tensor, str], Tensor]  # (out, target, task) -> per model
    higher_is_better: bool
    percent: bool  # shown as a percentage
    domain: tuple[float, float]  # the range a curve of it shows (values outside at the edge)
    export: dict[str, str]  # task -> code of `out`, `Y` and `err` (the sum of squared errors)


def _accuracy(out: Tensor, target: Tensor, task: str) -> Tensor:
    guess = out.argmax(-1) if task == "multiclass" else (out[..., 0] > 0).long()
    truth = target if task == "multiclass" else target[..., 0].long()
    return (guess == truth).float().mean(-1)


def _squared_error(out: Tensor, target: Tensor) -> Tensor:
    return ((out - target) ** 2).sum((-2, -1))


def _r2(out: Tensor, target: Tensor, task: str) -> Tensor:
    spread = ((target - target.mean((-2, -1), keepdim=True)) ** 2).sum((-2, -1))
    return 1 - _squared_error(out, target) / spread.clamp_min(1e-12)


def _rmse(out: Tensor, target: Tensor, task: str) -> Tensor:
    return (_squared_error(out, target) / out.shape[-2]).sqrt()


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("acc", "accuracy", _accuracy, True, True, (0.0, 1.0), {
            "binary": "((out[:, 0] > 0).long() == Y[:, 0].long()).float().mean().item()",
            "multiclass": "(out.argmax(1) == Y).float().mean().item()"}),
        # R² starts far below 0 for an untrained model: its curve shows -1 to 1
        Metric("r2", "R²", _r2, True, False, (-1.0, 1.0), {
            "regression": "(1 - err / torch.sum((Y - Y.mean()) ** 2).clamp_min(1e-12)).item()"}),
        Metric("rmse", "RMSE", _rmse, False, False, (0.0, float("inf")), {
            "regression": "torch.sqrt(err / len(Y)).item()"}),
    )
}
TASK_METRICS = {"binary": ("acc",), "multiclass": ("acc",), "regression": ("r2", "rmse")}


def headline(task: str) -> Metric:
    """The one number that says how good a model of this task is: accuracy, or R²."""
    return METRICS[TASK_METRICS[task][0]]


def score(task: str, split: str = "test") -> tuple[str, str]:
    """A task's headline metric on a split: its history key and its label ("test accuracy")."""
    m = headline(task)
    return f"{split}_{m.name}", f"{split} {m.label}"


def metric_keys(task: str, splits: tuple[str, ...] = ("train", "test")) -> list[str]:
    """The history keys of a split's numbers: its loss, then the task's metrics."""
    return [f"{split}_{m}" for split in splits for m in ("loss", *TASK_METRICS[task])]


def metric_of(key: str) -> Metric | None:
    """The metric of a history key ("test_r2" -> R²); None for a loss."""
    return METRICS.get(key.split("_", 1)[-1])


def lower_is_better(key: str) -> bool:
    m = metric_of(key)
    return m is None or not m.higher_is_better


def label(key: str) -> str:
    """"test_acc" -> "test accuracy", "train_loss" -> "train loss"."""
    split, _, name = key.partition("_")
    m = metric_of(key)
    return f"{split} {m.label if m else name}"


def evaluate(out: Tensor, target: Tensor, loss: Loss, task: str) -> dict[str, Tensor]:
    """The loss and the task's metrics ("loss", "acc", ...), each () or (K,)."""
    return {"loss": loss.value(out, target, task),
            **{name: METRICS[name].value(out, target, task) for name in TASK_METRICS[task]}}
