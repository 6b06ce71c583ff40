"""The training loop: `train(config)` returns a `Run` holding the history, the model and its optimizer.

No DataLoader: the data lives as whole tensors on the device and each epoch is one seeded
permutation followed by contiguous slices. Every epoch ends with one evaluation of the train
and test sets in eval mode (so BatchNorm uses its running statistics and dropout is off); that
is the only time results leave the device, together with each Linear layer's gradient and weight
norms (history series `grad_norm/<i>`, `weight_norm/<i>`, see `_norms_setup`). A loss that becomes NaN or infinite stops the run
with status "diverged", puts back the last finite weights and says what to try. With
`config.patience` > 0, a test loss that has not improved for that many epochs stops the run with
status "early_stopped" and puts back the weights of the best epoch (`run.best_epoch`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from .config import FIELDS, Config
from .datasets import DATASETS, Data, make_data
from .device import choose_device, cpu_threads_for
from .nn.losses import loss_grad, predictions, resolve_loss
from .nn.model import model_for
from .nn.optim import lr_factor, make_optimizer
from .nn.passes import Network
from .scratch.adapter import NumpyEngine
from .snapshots import Snapshots

EVAL_CHUNK = 65_536  # rows per forward pass when evaluating, to bound memory on large data
NORM_MATRIX_MAX = 4_000_000  # parameters x Linear layers, for the gradient-norm matrix

Callback = Callable[["Run"], bool | None]
DATA_FIELDS = tuple(n for n, f in FIELDS.items() if f.metadata["group"] == "Data")

# Fields a running model can take on the fly (TF Playground lets you change the learning rate
# mid-run); any other change means new data or a new network, so a new Run.
LIVE_FIELDS = frozenset({"loss", "optimizer", "lr", "momentum", "weight_decay", "l1", "schedule",
                         "step_size", "gamma", "clip", "batch_size", "epochs", "patience"})


def changed_fields(old: Config, new: Config) -> list[str]:
    return [k for k, v in new.to_dict().items() if old.to_dict()[k] != v]


def load_data(config: Config, cache: dict[tuple, Data] | None = None) -> Data:
    """The config's data. With `cache` (a dict the caller keeps), configs that differ only
    outside the Data fields share one Data object: the same points, fairly compared."""
    key = data_key(config)
    if cache is not None and key in cache:
        return cache[key]
    data = make_data(config.dataset, config.n_samples, config.noise, config.test_fraction,
                     config.data_seed, n_classes=config.n_classes, features=config.features,
                     standardize=config.standardize)
    if cache is not None:
        cache[key] = data
    return data


def score(task: str, split: str = "test") -> tuple[str, str]:
    """A task's headline quality metric on a split: its history key and its label (accuracy,
    or R² for regression)."""
    name, label = ("r2", "R²") if task == "regression" else ("acc", "accuracy")
    return f"{split}_{name}", f"{split} {label}"


def data_key(config: Config) -> tuple:
    """The values of the config's Data fields: equal keys, equal data."""
    return tuple(getattr(config, name) for name in DATA_FIELDS)


def train(config: Config, callback: Callback | None = None, data: Data | None = None) -> Run:
    """Build the data and model for `config` and train for `config.epochs` epochs.

    `callback(run)` runs after every epoch; returning False stops training ("stopped").
    """
    return Run(config, data).fit(config.epochs, callback)


class Run:
    """A model being trained: its config, data, history, status, and the way to go on training."""

    def __init__(self, config: Config, data: Data | None = None):
        self.config = config
        # Hold the dataset's spec: an uploaded one stays in the registry while a Run uses it.
        self._dataset_spec = DATASETS[config.dataset]
        self.data = data if data is not None else load_data(config)
        self.task = self.data.task
        self.device = choose_device(config)
        self.model, self.params = model_for(config, self.data.n_features, device=self.device)
        # Batch order comes from a CPU generator, so every device sees the same batches;
        # dropout masks are drawn where the activations live.
        self._generator = torch.Generator().manual_seed(config.seed)
        dropout_generator = (self._generator if self.device.type == "cpu" else
                             torch.Generator(device=self.device).manual_seed(config.seed))
        self._net = Network(self.model, self.params, dropout_generator)
        self._loss = resolve_loss(config.loss, self.task)
        self._engine_setup(config)
        d = self.data
        self._X_train, self._Y_train = self._tensors(d.transform(d.X_train), d.y_train)
        self._X_test, self._Y_test = self._tensors(d.transform(d.X_test), d.y_test)
        self._X_all = torch.cat([self._X_train, self._X_test])
        self.epoch, self.steps, self.seconds = 0, 0, 0.0
        self.status, self.message = "ready", ""
        self._norms_setup()
        self.history: dict[str, list[float]] = {k: [] for k in self._history_keys()}
        self._snapshots: Snapshots | None = None
        self._checkpoint: list[Tensor] = []
        # The epoch with the lowest test loss so far and its weights (early stopping puts them
        # back); `_wait_from` is where the current patience window started.
        self.best_epoch, self._best_loss, self._best_state = 0, math.inf, self._checkpoint
        self._wait_from = 0
        self._record(self._evaluate(), lr=config.lr)

    # ---- public API -------------------------------------------------------------------------
    def fit(self, epochs: int | None = None, callback: Callback | None = None) -> Run:
        """Train `epochs` more epochs (default: the config's), continuing the model and optimizer."""
        epochs = self.config.epochs if epochs is None else int(epochs)
        self.status = "running"
        with cpu_threads_for(self.config, self.device):
            self.status = self._fit(epochs, callback)
        return self

    def _fit(self, epochs: int, callback: Callback | None) -> str:
        for _ in range(epochs):
            start = time.perf_counter()
            lr = self._train_epoch()
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            self.seconds += time.perf_counter() - start
            metrics = self._evaluate()
            if not all(math.isfinite(v) for v in metrics.values()):
                return self._diverged(metrics, lr)
            self._record(metrics, lr)
            if self._patience_ran_out():
                return self._early_stopped()
            if callback is not None and callback(self) is False:
                return "stopped"
        return "finished"

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Raw inputs (n, dim) -> class probabilities (n, k) or regression predictions (n,)."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1 and self.data.dim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != self.data.dim:
            raise ValueError(f"expected inputs of shape (n, {self.data.dim}), got {X.shape}")
        inputs = torch.from_numpy(self.data.transform(X)).to(self.device)
        return predictions(self._forward_eval(inputs), self.task).cpu().numpy()

    def reconfigure(self, config: Config) -> None:
        """Carry on with new training settings (LIVE_FIELDS only): same weights, same data."""
        fixed = [k for k in changed_fields(self.config, config) if k not in LIVE_FIELDS]
        if fixed:
            raise ValueError(f"changing {', '.join(fixed)} needs a new Run")
        optimizer_changed = (config.optimizer, config.momentum) != (self.config.optimizer,
                                                                     self.config.momentum)
        if config.patience != self.config.patience:
            self._wait_from = self.epoch  # a new patience counts from now, not from the best epoch
        self._loss = resolve_loss(config.loss, self.task)
        self.config = config
        if optimizer_changed or config.engine == "numpy":
            self._engine_setup(config)

    def _engine_setup(self, config: Config) -> None:
        """Bind the gradient computation and the optimizer of the chosen engine."""
        if config.engine == "numpy":
            engine = NumpyEngine(self.model, self.params, config.activation,
                                 config.resolved_loss, self.task, config.optimizer,
                                 config.momentum)
            self._gradient, self._optimizer = engine.gradient, engine.optimizer
        else:
            self._gradient = self._torch_gradient
            self._optimizer = make_optimizer(config.optimizer, self.params.theta,
                                             config.momentum)

    @property
    def record_snapshots(self) -> bool:
        """Set True to keep replay snapshots of the model's output (2-D and 1-D data only)."""
        return self._snapshots is not None

    @record_snapshots.setter
    def record_snapshots(self, on: bool) -> None:
        if on and self._snapshots is None:
            if self.data.dim > 2 or self.data.box is None:
                raise ValueError("snapshots need 1-D or 2-D data with a plotting box")
            self._snapshots = Snapshots(self)
            self._snapshots.record(self)  # the current epoch, so the replay starts here
        elif not on:
            self._snapshots = None

    @property
    def snapshots(self) -> list[tuple[int, np.ndarray]]:
        """(epoch, uint8 grid) pairs evenly spread over the run, ending at the current epoch."""
        return [] if self._snapshots is None else self._snapshots.frames(self)

    @property
    def norms(self) -> dict[str, list[float]]:
        """The gradient-flow series of the history: grad_norm/<i> and weight_norm/<i>."""
        return {k: self.history[k] for k in self._norm_keys}

    @property
    def last(self) -> dict[str, float]:
        """The latest value of every history series."""
        return {k: v[-1] for k, v in self.history.items()}

    @property
    def final(self) -> dict[str, float]:
        """The history row of the weights the model holds: the latest epoch's, or after early
        stopping the best epoch's (whose weights were put back)."""
        if self.status != "early_stopped":
            return self.last
        row = self.history["epoch"].index(self.best_epoch)
        return {k: v[row] for k, v in self.history.items()}

    # ---- training ---------------------------------------------------------------------------
    def _train_epoch(self) -> float:
        c = self.config
        lr = c.lr * lr_factor(c.schedule, self.epoch, c.epochs, c.step_size, c.gamma)
        n = self._X_train.shape[0]
        size = min(c.batch_size, n)
        perm = torch.randperm(n, generator=self._generator).to(self.device, non_blocking=True)
        X, Y = self._X_train[perm], self._Y_train[perm]  # one gather, then contiguous slices
        step = self._step
        for start in range(0, n, size):
            if c.batchnorm and n - start == 1:
                break  # BatchNorm cannot normalise a batch of one point: skip the remainder
            step(X[start:start + size], Y[start:start + size], lr)
            self.steps += 1
        self.epoch += 1
        return lr

    def _torch_gradient(self, x: Tensor, y: Tensor) -> None:
        out, caches = self._net.forward(x)
        self._net.backward(loss_grad(self._loss, out, y, self.task), caches)

    def _step(self, x: Tensor, y: Tensor, lr: float) -> None:
        self._gradient(x, y)  # fills self.params.grad
        g, theta, c = self.params.grad, self.params.theta, self.config
        mask = self.params.weight_mask
        if c.l1:  # d/dw of l1 |w| is l1 sign(w), part of the gradient before clipping
            g.addcmul_(mask, theta.sign(), value=c.l1)
        if c.clip:  # rescale the whole gradient to norm <= clip, as clip_grad_norm_ does
            g.mul_(torch.clamp(c.clip / (g.norm() + 1e-6), max=1.0))
        if c.weight_decay and self._optimizer.decoupled_decay:
            theta.addcmul_(mask, theta, value=-lr * c.weight_decay)  # AdamW shrinks the weights
        elif c.weight_decay:  # coupled L2 as torch.optim adds it: g + wd w, after clipping
            g.addcmul_(mask, theta, value=c.weight_decay)
        self._optimizer.step(g, lr)

    # ---- evaluation and history -------------------------------------------------------------
    @torch.inference_mode()
    def _forward_eval(self, X: Tensor) -> Tensor:
        self.model.eval()
        try:
            return torch.cat([self.model(X[i:i + EVAL_CHUNK]) for i in range(0, len(X), EVAL_CHUNK)])
        finally:
            self.model.train()

    @torch.inference_mode()
    def _evaluate(self) -> dict[str, float]:
        # One eval-mode pass over train and test together (rows are independent in eval mode).
        out = self._forward_eval(self._X_all)
        n_train = len(self._Y_train)
        values: dict[str, Tensor] = {}
        for split, O, Y in (("train", out[:n_train], self._Y_train),
                            ("test", out[n_train:], self._Y_test)):
            values[f"{split}_loss"] = self._loss.value(O, Y, self.task)
            if self.task == "regression":
                err = torch.sum((O - Y) ** 2)
                values[f"{split}_r2"] = 1 - err / torch.sum((Y - Y.mean()) ** 2).clamp_min(1e-12)
                values[f"{split}_rmse"] = torch.sqrt(err / len(Y))
            else:
                guess = O.argmax(1) if self.task == "multiclass" else (O[:, 0] > 0).long()
                truth = Y if self.task == "multiclass" else Y[:, 0].long()
                values[f"{split}_acc"] = (guess == truth).float().mean()
        stacked = torch.cat([torch.stack([v.float() for v in values.values()]), self._norms()])
        numbers = stacked.tolist()  # the one sync
        k = len(values)
        numbers[k:] = [math.sqrt(v) for v in numbers[k:]]  # squared norms: fewer kernels
        return dict(zip([*values, *self._norm_keys], numbers, strict=True))

    # ---- gradient flow ----------------------------------------------------------------------
    def _norms_setup(self) -> None:
        """Map every Linear weight entry of the flat parameters to its layer, for `_norms`.

        `run.norms` holds, per Linear layer i of the nn.Sequential, `grad_norm/<i>`: the L2 norm
        of the weight gradient of the epoch's last step, as the optimizer received it (after L1,
        clipping and coupled weight decay; epoch 0 has no step yet and records 0.0), and
        `weight_norm/<i>`: the L2 norm of the weights at the end of the epoch. Each series is as
        long as history["epoch"]. A non-finite norm counts as divergence, like a non-finite loss.
        """
        names = [n for n, m in self.model.named_children() if isinstance(m, nn.Linear)]
        layer_of = torch.full_like(self.params.theta, len(names), dtype=torch.long)
        offset = 0
        for name, (value, _) in self.params.views.items():
            module, attr = name.rsplit(".", 1)
            if attr == "weight" and module in names:
                layer_of[offset:offset + value.numel()] = names.index(module)
            offset += value.numel()
        # (P, L) 0/1 matrix: one matmul sums each layer's squares (6 us on W1 against 12 us for
        # index_add_); index_add_ instead where the matrix would be large (over 16 MB).
        self._layer_of = layer_of  # (P,) layer index, len(names) for biases and BatchNorm
        n = len(names)
        self._layer_matrix = None
        if layer_of.numel() * n <= NORM_MATRIX_MAX:
            self._layer_matrix = torch.nn.functional.one_hot(layer_of, n + 1)[:, :n].to(
                self.params.theta.dtype)
        self._norm_keys = [f"{kind}_norm/{n}" for kind in ("grad", "weight") for n in names]

    def _norms(self) -> Tensor:
        """(2 L,) the L squared grad norms then the L squared weight norms; no sync."""
        squares = torch.stack([self.params.grad, self.params.theta]).square_()  # (2, P)
        if self._layer_matrix is not None:
            return torch.mm(squares, self._layer_matrix).view(-1).float()
        n_layers = len(self._norm_keys) // 2
        sums = squares.new_zeros(2, n_layers + 1).index_add_(1, self._layer_of, squares)
        return sums[:, :n_layers].flatten().float()

    def _history_keys(self) -> list[str]:
        metric = ["acc"] if self.task != "regression" else ["r2", "rmse"]
        return (["epoch", "train_loss", "test_loss"]
                + [f"{s}_{m}" for m in metric for s in ("train", "test")]
                + ["lr", "steps", "seconds", *self._norm_keys])

    def _record(self, metrics: dict[str, float], lr: float) -> None:
        row = {**metrics, "epoch": self.epoch, "lr": lr, "steps": self.steps,
               "seconds": self.seconds}
        for key, series in self.history.items():
            series.append(row[key])
        if self._snapshots is not None:
            self._snapshots.record(self)
        self._checkpoint = [t.clone() for t in self._state_tensors()]
        # Strictly lower: a plateau is no improvement.
        if metrics["test_loss"] < self._best_loss or not self._best_state:
            self.best_epoch, self._best_loss = self.epoch, metrics["test_loss"]
            self._best_state = self._checkpoint  # a fresh clone each epoch: safe to keep

    def _state_tensors(self) -> list[Tensor]:
        return [self.params.theta, *self.model.buffers()]

    def _diverged(self, metrics: dict[str, float], lr: float) -> str:
        bad = next(k for k, v in metrics.items() if not math.isfinite(v))
        for live, saved in zip(self._state_tensors(), self._checkpoint, strict=True):
            live.copy_(saved)
        self._optimizer.reset()  # its running averages hold the overflow too
        good = self.history["epoch"][-1]
        self.epoch = good
        c = self.config
        tips = [f"a learning rate 10x smaller ({lr / 10:g})"]
        if not c.clip:
            tips.append("gradient clipping (e.g. 1)")
        if c.optimizer in ("sgd", "momentum", "nesterov"):
            tips.append("the adam optimizer")
        self.message = (
            f"Training diverged in epoch {good + 1}: the {bad.replace('_', ' ')} became "
            f"{metrics[bad]}. Each update overshot the minimum and the weights grew without bound. "
            f"The weights from epoch {good}, the last finite ones, were put back. "
            f"Try {', '.join(tips[:-1]) + ' or ' + tips[-1] if len(tips) > 1 else tips[0]}.")
        return "diverged"

    def _patience_ran_out(self) -> bool:
        patience = self.config.patience
        return bool(patience) and self.epoch - max(self.best_epoch, self._wait_from) >= patience

    def _early_stopped(self) -> str:
        """Put back the best epoch's weights; the history keeps every epoch that was trained."""
        for live, saved in zip(self._state_tensors(), self._best_state, strict=True):
            live.copy_(saved)
        self._checkpoint = self._best_state  # the last finite weights are now the best ones
        self._optimizer.reset()  # its running averages belong to the weights just discarded
        self._wait_from = self.epoch  # going on gives a fresh window of `patience` epochs
        best, h = self.best_epoch, self.history
        quality = (f"test accuracy {h['test_acc'][best]:.1%}" if "test_acc" in h
                   else f"test R² {h['test_r2'][best]:.3f}")
        self.message = (
            f"Early stopping after epoch {self.epoch}: the test loss has not improved for "
            f"{self.epoch - best} epochs (patience {self.config.patience}). The weights from "
            f"epoch {best}, the best one (test loss {self._best_loss:.4g}, {quality}), were put "
            "back. The curves still show every epoch trained.")
        return "early_stopped"

    def _tensors(self, X: np.ndarray, y: np.ndarray) -> tuple[Tensor, Tensor]:
        Xt = torch.as_tensor(X, dtype=torch.float32, device=self.device)
        if self.task == "multiclass":
            return Xt, torch.as_tensor(y, dtype=torch.long, device=self.device)
        return Xt, torch.as_tensor(y, dtype=torch.float32, device=self.device).reshape(-1, 1)
