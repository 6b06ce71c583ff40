"""The training loop: `train(config)` returns a `Run` holding the history, the model and its optimizer.

Each epoch trains on `run.batches()` (one seeded permutation, contiguous slices, see
batches.py), one `run.step` per batch: the hand-written passes (nn/passes.py) fill the flat
gradient and `optim.Update` applies penalties and the optimizer's rule. Every epoch ends with one
evaluation of the train and test sets in eval mode (so BatchNorm uses its running statistics and
dropout is off); that is the only time results leave the device, together with each Linear
layer's gradient and weight norms (history series `grad_norm/<i>`, `weight_norm/<i>`, see
`_norms_setup`). A loss that becomes NaN or infinite stops the run with status "diverged", puts
back the last finite weights and says what to try. With `config.patience` > 0, a test loss that
has not improved for that many epochs stops the run with status "early_stopped" and puts back
the weights of the best epoch (`run.best_epoch`). An exception out of `fit` (a callback's, or an
interruption) leaves status "stopped" with the weights of the last recorded epoch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator

import numpy as np
import torch
from torch import Tensor, nn

from .batches import Batches
from .config import FIELDS, Config
from .datasets import DATASETS, Data, make_data
from .device import choose_device, cpu_threads_for, dtype_for, flush_denormals
from .nn import metrics
from .nn.losses import predictions, resolve_loss, targets
from .nn.model import LayerNorms, model_for
from .nn.optim import OPTIMIZERS, Update, epoch_lr, make_optimizer
from .nn.passes import Network
from .scratch.adapter import NumpyEngine
from .snapshots import Snapshots
from .trajectory import Trajectory

Callback = Callable[["Run"], bool | None]
DATA_FIELDS = tuple(n for n, f in FIELDS.items() if f.metadata["group"] == "Data")

# Fields a running model can take on the fly (TF Playground lets you change the learning rate
# mid-run); any other change means new data or a new network, so a new Run.
LIVE_FIELDS = frozenset({"loss", "optimizer", "lr", "momentum", "weight_decay", "l1", "l1_clamp",
                         "schedule",
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
                     standardize=config.standardize, tf_seed=config.tf_seed)
    if cache is not None:
        cache[key] = data
    return data


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
        dtype = dtype_for(config)
        self.model, self.params = model_for(config, self.data.n_features, device=self.device,
                                            dtype=dtype)
        d = self.data
        self._X_train, self._X_test = self.inputs(d.X_train), self.inputs(d.X_test)
        self._Y_train, self._Y_test = (targets(y, self.task, dtype, self.device)
                                       for y in (d.y_train, d.y_test))
        self._X_all = torch.cat([self._X_train, self._X_test])
        self._order = Batches(self._X_train, self._Y_train, config.seed,
                              fixed=config.order == "fixed")
        # Dropout masks are drawn where the activations live: on the CPU from the batch order's
        # generator, on a GPU from one of its own.
        dropout_generator = (self._order.generator if self.device.type == "cpu" else
                             torch.Generator(device=self.device).manual_seed(config.seed))
        self._generators = list(dict.fromkeys([*self._order.generators, dropout_generator]))
        self._net = Network.of(self.model, self.params, config.activation, dropout_generator)
        self._loss = resolve_loss(config.loss, self.task)
        self._engine_setup(config)
        self.epoch, self.steps, self.seconds = 0, 0, 0.0
        self.status, self.message = "ready", ""
        self._norms_setup()
        self.history: dict[str, list[float]] = {k: [] for k in self._history_keys()}
        self._snapshots: Snapshots | None = None
        self._path: Trajectory | None = None
        self._checkpoint: list[Tensor] = []
        # The epoch with the lowest test loss so far and its weights (early stopping puts them
        # back); `_wait_from` is where the current patience window started.
        self.best_epoch, self._best_loss, self._best_state = 0, math.inf, self._checkpoint
        self._wait_from = 0
        self._record(self._evaluate(), lr=config.lr)

    # ---- public API -------------------------------------------------------------------------
    def fit(self, epochs: int | None = None, callback: Callback | None = None) -> Run:
        """Train `epochs` more epochs (default: the config's), continuing the model and optimizer.

        If anything raises meanwhile (the callback, or an interruption), the run is left
        "stopped" at its last recorded epoch (its weights put back if an epoch was cut short)
        and the exception goes on."""
        epochs = self.config.epochs if epochs is None else int(epochs)
        self.status = "running"
        try:
            with cpu_threads_for(self.config, self.device), flush_denormals():
                self.status = self._fit(epochs, callback)
        except BaseException:
            self._interrupted()
            raise
        return self

    def batches(self) -> Iterator[tuple[Tensor, Tensor]]:
        """The next epoch's batches, in the order the loop trains on them: model inputs
        (B, features) and targets. Iterating draws the next epoch's permutation."""
        return self._order.epoch(self.config.batch_size, skip_single=self.config.batchnorm)

    def step(self, x: Tensor, y: Tensor, lr: float) -> None:
        """One training step on a batch (as `batches()` yields it) with learning rate `lr`."""
        self._gradient(x, y)  # fills self.params.grad
        self._update.step(lr)
        self.steps += 1
        if self._path is not None:
            self._path.record(self)

    @torch.inference_mode()
    def loss(self, x: Tensor, y: Tensor) -> float:
        """The mean loss of the model as it is (eval mode) on a batch of inputs and targets."""
        return float(self._loss.value(self._net.evaluate(x), y, self.task))

    def network(self, state: list[Tensor] | tuple[Tensor, ...] | None = None) -> Network:
        """The model's evaluation pass (`infer`, `evaluate`; batch norm on its running
        statistics, no dropout): with the live weights, or with a `state_tensors()` copy."""
        if state is None:
            return self._net
        theta, *buffers = state
        names = [name for name, _ in self.model.named_buffers()]
        return Network(self.model, self.config.activation, self.params.views_of(theta),
                       buffers=dict(zip(names, buffers, strict=True)))

    def state_tensors(self) -> list[Tensor]:
        """The live tensors that are the model: the flat parameters, then its buffers (batch
        norm's running statistics). Clone them to keep a copy."""
        return [self.params.theta, *self.model.buffers()]

    def savepoint(self) -> Savepoint:
        """Everything training changes, as it is now (between epochs): `restore` brings the run
        back here, and training on from there gives exactly the epochs it would have given.
        Cheap (the optimizer's averages and a few counters are copied; the weights are the
        epoch's checkpoint): the live view keeps one per frame it shows, so that Pause can stop
        the model at the epoch the learner saw."""
        h = self.history
        if (self.epoch, self.steps) != (h["epoch"][-1], h["steps"][-1]):
            raise ValueError("a savepoint is taken between epochs")
        rule = self._update.rule
        holder = getattr(rule, "inner", rule)  # the NumPy engine's optimizer sits inside
        return Savepoint(
            counters=(self.epoch, self.steps, self.seconds, self.best_epoch, self._best_loss,
                      self._best_state, self._wait_from, self._order.carried),
            state=self._checkpoint, grad=self.params.grad.clone(),
            rule=_copied_state(holder, skip=(self.params.theta,)),
            frozen=None if self._update.frozen is None else self._update.frozen.clone(),
            generators=[g.get_state() for g in self._generators],
            rows=len(h["epoch"]),
            spreads=[None if s is None else (s.stride, list(s.items))
                     for s in (self._snapshots, self._path)])

    def restore(self, point: Savepoint) -> None:
        """Bring the run back to `point` (taken by `savepoint` on this run, with no new data,
        network or optimizer since): weights, optimizer, batch order, history and replays.
        The status stays what it is (a run brought back after it was stopped is stopped)."""
        (self.epoch, self.steps, self.seconds, self.best_epoch, self._best_loss, self._best_state,
         self._wait_from, self._order.carried) = point.counters
        for live, saved in zip(self.state_tensors(), point.state, strict=True):
            live.copy_(saved)
        self._checkpoint = point.state
        self.params.grad.copy_(point.grad)
        rule = self._update.rule
        _put_state(getattr(rule, "inner", rule), point.rule)
        if point.frozen is not None and self._update.frozen is not None:
            self._update.frozen.copy_(point.frozen)
        for g, state in zip(self._generators, point.generators, strict=True):
            g.set_state(state)
        for series in self.history.values():
            del series[point.rows:]
        for spread, kept in zip((self._snapshots, self._path), point.spreads, strict=True):
            if spread is not None and kept is not None:
                spread.stride, spread.items = kept[0], list(kept[1])

    def _fit(self, epochs: int, callback: Callback | None) -> str:
        for _ in range(epochs):
            start = time.perf_counter()
            lr = self._train_epoch()
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            self.seconds += time.perf_counter() - start
            values = self._evaluate()
            if not all(math.isfinite(v) for v in values.values()):
                return self._diverged(values, lr)
            self._record(values, lr)
            if self._patience_ran_out():
                return self._early_stopped()
            if callback is not None and callback(self) is False:
                return "stopped"
        return "finished"

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Raw inputs (n, dim) -> class probabilities (n, k) or regression predictions (n,)."""
        inputs = self.inputs(X)
        with torch.inference_mode():
            return predictions(self._net.evaluate(inputs), self.task, self._loss).cpu().numpy()

    def inputs(self, X: np.ndarray) -> Tensor:
        """Raw inputs (n, dim), or (n,) on 1-D data, as the model's inputs (n, features): the
        data's features and standardization, on the run's device, in its float type."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1 and self.data.dim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != self.data.dim:
            raise ValueError(f"expected inputs of shape (n, {self.data.dim}), got {X.shape}")
        dtype = self.params.theta.dtype
        return torch.as_tensor(self.data.transform(X, np.float64 if dtype == torch.float64 else
                                                   np.float32), dtype=dtype, device=self.device)

    def evaluate(self) -> dict[str, float]:
        """The numbers of the weights the model holds now (losses, accuracy or R², norms),
        without recording them: e.g. after a weight was changed by hand."""
        with cpu_threads_for(self.config, self.device):
            return self._evaluate()

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
        else:
            self._update.configure([config])

    def _engine_setup(self, config: Config) -> None:
        """Bind the gradient computation and the optimizer's rule of the chosen engine."""
        p = self.params
        if config.engine == "numpy":
            engine = NumpyEngine(self.model, p, config.activation, config.resolved_loss,
                                 self.task, config.optimizer, config.momentum)
            self._gradient, rule = engine.gradient, engine.optimizer
        else:
            self._gradient = self._torch_gradient
            rule = make_optimizer(config.optimizer, p.theta, config.momentum)
        self._update = Update(p.theta, p.grad, p.weight_mask, rule, [config])

    def _torch_gradient(self, x: Tensor, y: Tensor) -> None:
        self._net.gradient(x, y, self._loss, self.task)

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
    def record_path(self) -> bool:
        """Set True to keep the weights at steps spread evenly over the run (the loss
        landscape draws this path); recording starts at the current weights."""
        return self._path is not None

    @record_path.setter
    def record_path(self, on: bool) -> None:
        self._path = (self._path or Trajectory(self)) if on else None

    @property
    def path(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps (n,), flat weights (n, P)) recorded since `record_path` was set, ending with
        the current weights; empty arrays when nothing is recorded."""
        if self._path is None:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.params.theta.numel()))
        return self._path.points(self)

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
        lr = epoch_lr(self.config, self.epoch)
        for x, y in self.batches():
            self.step(x, y, lr)
        self.epoch += 1
        return lr

    # ---- evaluation and history -------------------------------------------------------------
    @torch.inference_mode()
    def _evaluate(self) -> dict[str, float]:
        # One eval-mode pass over train and test together (rows are independent in eval mode).
        out = self._net.evaluate(self._X_all)
        n_train = len(self._Y_train)
        values: dict[str, Tensor] = {}
        for split, O, Y in (("train", out[:n_train], self._Y_train),
                            ("test", out[n_train:], self._Y_test)):
            values.update({f"{split}_{k}": v
                           for k, v in metrics.evaluate(O, Y, self._loss, self.task).items()})
        # float64 keeps a float64 run's numbers whole (and a float32 run's exactly as they are)
        stacked = torch.cat([torch.stack([v.double() for v in values.values()]),
                             self._layer_norms.squares().double()])
        numbers = stacked.tolist()  # the one sync
        k = len(values)
        numbers[k:] = [math.sqrt(v) for v in numbers[k:]]  # squared norms: fewer kernels
        return dict(zip([*values, *self._norm_keys], numbers, strict=True))

    # ---- gradient flow ----------------------------------------------------------------------
    def _norms_setup(self) -> None:
        """`run.norms` holds, per Linear layer i of the nn.Sequential, `grad_norm/<i>`: the L2 norm
        of the weight gradient of the epoch's last step, as the optimizer received it (after L1,
        clipping and coupled weight decay; epoch 0 has no step yet and records 0.0), and
        `weight_norm/<i>`: the L2 norm of the weights at the end of the epoch. Each series is as
        long as history["epoch"]. A non-finite norm counts as divergence, like a non-finite loss.
        """
        names = [n for n, m in self.model.named_children() if isinstance(m, nn.Linear)]
        self._layer_norms = LayerNorms(self.params)
        self._norm_keys = [f"{kind}_norm/{n}" for kind in ("grad", "weight") for n in names]

    def _history_keys(self) -> list[str]:
        return (["epoch", "train_loss", "test_loss"]
                + [f"{s}_{m}" for m in metrics.TASK_METRICS[self.task] for s in ("train", "test")]
                + ["lr", "steps", "seconds", *self._norm_keys])

    def _record(self, values: dict[str, float], lr: float) -> None:
        row = {**values, "epoch": self.epoch, "lr": lr, "steps": self.steps,
               "seconds": self.seconds}
        for key, series in self.history.items():
            series.append(row[key])
        if self._snapshots is not None:
            self._snapshots.record(self)
        self._checkpoint = [t.clone() for t in self.state_tensors()]
        # Strictly lower: a plateau is no improvement.
        if values["test_loss"] < self._best_loss or not self._best_state:
            self.best_epoch, self._best_loss = self.epoch, values["test_loss"]
            self._best_state = self._checkpoint  # a fresh clone each epoch: safe to keep

    def _put_back(self, state: list[Tensor]) -> None:
        """Make `state` (a copy of state_tensors()) the model's; the optimizer's running averages
        belonged to the weights it replaces, so they go too."""
        for live, saved in zip(self.state_tensors(), state, strict=True):
            live.copy_(saved)
        self._update.rule.reset()
        self._order.forget()

    def _interrupted(self) -> None:
        self.status = "stopped"
        recorded = self.history["epoch"][-1]
        if (self.epoch, self.steps) != (recorded, self.history["steps"][-1]):  # cut mid-epoch
            self._put_back(self._checkpoint)
            self.epoch, self.steps = recorded, self.history["steps"][-1]

    def _diverged(self, values: dict[str, float], lr: float) -> str:
        bad = next(k for k, v in values.items() if not math.isfinite(v))
        self._put_back(self._checkpoint)  # the optimizer's averages hold the overflow too
        good = self.history["epoch"][-1]
        self.epoch = good
        c = self.config
        tips = [f"a learning rate 10x smaller ({lr / 10:g})"]
        if not c.clip:
            tips.append("gradient clipping (e.g. 1)")
        if not OPTIMIZERS[c.optimizer].adaptive:
            tips.append("the adam optimizer")
        self.message = (
            f"Training diverged in epoch {good + 1}: the {bad.replace('_', ' ')} became "
            f"{values[bad]}. Each update overshot the minimum and the weights grew without bound. "
            f"The weights from epoch {good}, the last finite ones, were put back. "
            f"Try {', '.join(tips[:-1]) + ' or ' + tips[-1] if len(tips) > 1 else tips[0]}.")
        return "diverged"

    def _patience_ran_out(self) -> bool:
        patience = self.config.patience
        return bool(patience) and self.epoch - max(self.best_epoch, self._wait_from) >= patience

    def _early_stopped(self) -> str:
        """Put back the best epoch's weights; the history keeps every epoch that was trained."""
        self._put_back(self._best_state)
        self._checkpoint = self._best_state  # the last finite weights are now the best ones
        self._wait_from = self.epoch  # going on gives a fresh window of `patience` epochs
        best, h = self.best_epoch, self.history
        key, label = metrics.score(self.task)
        m = metrics.headline(self.task)
        quality = f"{label} {h[key][best]:{'.1%' if m.percent else '.3f'}}"
        self.message = (
            f"Early stopping after epoch {self.epoch}: the test loss has not improved for "
            f"{self.epoch - best} epochs (patience {self.config.patience}). The weights from "
            f"epoch {best}, the best one (test loss {self._best_loss:.4g}, {quality}), were put "
            "back. The curves still show every epoch trained.")
        return "early_stopped"


class Savepoint:
    """A run's training state at one epoch (see `Run.savepoint`); opaque to its users."""

    __slots__ = ("counters", "state", "grad", "rule", "frozen", "generators", "rows", "spreads")

    def __init__(self, **parts):
        for name, value in parts.items():
            setattr(self, name, value)


def _copied_state(rule: object, skip: tuple[Tensor, ...]) -> dict[str, object]:
    """Copies of an optimizer rule's mutable attributes (its running averages as tensors or
    arrays, step counts), leaving out the weights it updates."""
    kept = {}
    for name, value in vars(rule).items():
        if isinstance(value, Tensor):
            if not any(value is t for t in skip):
                kept[name] = value.clone()
        elif isinstance(value, np.ndarray):
            if not any(np.shares_memory(value, t.numpy()) for t in skip if t.device.type == "cpu"):
                kept[name] = value.copy()
        elif value is None or isinstance(value, (int, float)):
            kept[name] = value
    return kept


def _put_state(rule: object, kept: dict[str, object]) -> None:
    for name, value in kept.items():
        current = getattr(rule, name)
        if isinstance(value, Tensor) and isinstance(current, Tensor) and current.shape == value.shape:
            current.copy_(value)
        elif isinstance(value, np.ndarray) and isinstance(current, np.ndarray) and (
                current.shape == value.shape):
            np.copyto(current, value)
        else:
            setattr(rule, name, value.copy() if isinstance(value, np.ndarray) else
                    value.clone() if isinstance(value, Tensor) else value)
