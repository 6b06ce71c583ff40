"""Guided lessons: set-ups that each show one idea, with a promise that `check` tests on real runs.

A `Lesson` holds one or several Configs (labelled), what to try, what to look for, the promised
outcome in one sentence, and `check(runs)`, which says in words whether trained runs kept that
promise. `run_lesson` trains every set-up; set-ups on the same data get the very same `Data`
object, and the lessons keep seeds and architecture equal wherever they compare, so differences
in the curves come from the one setting that changed. The numbers in the promises were measured
(tests/test_lessons.py runs every lesson and checks them).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .config import Config
from .datasets import Data
from .landscape import race
from .train import Run, load_data

Check = Callable[[dict[str, "Run"]], tuple[bool, str]]


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    configs: dict[str, Config]  # label -> set-up, in the order they are trained and shown
    text: str  # what to try
    look_for: str
    promise: str  # one sentence; `check` tests exactly this
    check: Check
    view: str | None = None  # the "Under the hood" tab to open, e.g. "Gradient flow"


def run_lesson(lesson: Lesson, callback: Callable[[str, Run], bool | None] | None = None,
               *, replay: bool = False) -> dict[str, Run]:
    """Train every set-up of `lesson`; `callback(label, run)` runs after each epoch. With
    `replay`, runs on 1-D or 2-D data keep their replay snapshots."""
    shared: dict[tuple, Data] = {}  # set-ups with equal Data fields share one Data object
    runs: dict[str, Run] = {}
    for label, cfg in lesson.configs.items():
        run = Run(cfg, load_data(cfg, shared))
        run.record_path = True  # the loss landscape draws it (and a check may read it)
        if replay and run.data.dim <= 2 and run.data.box is not None:
            run.record_snapshots = True
        step = None if callback is None else (lambda r, label=label: callback(label, r))
        runs[label] = run.fit(cfg.epochs, step)
    return runs


# ---- reading trained runs ----------------------------------------------------------------------
def final(run: Run, key: str) -> float:
    """A history value for the weights the run ends with (the best epoch's after early stopping)."""
    return float(run.final[key])


def late(run: Run, key: str, epochs: int = 10) -> float:
    """Median over the last `epochs` epochs: steadier than the last value for bumpy curves."""
    return float(statistics.median(run.history[key][-epochs:]))


def first_layer_gradient(run: Run) -> float:
    """Median over the epochs of the first Linear layer's gradient norm (epoch 0 has none)."""
    key = next(k for k in run.history if k.startswith("grad_norm/"))
    return float(statistics.median(run.history[key][1:]))


def seconds_per_epoch(run: Run) -> float:
    """The median epoch's training time: one epoch that waited for a busy machine (another
    visitor, the browser) does not decide the comparison."""
    seconds = run.history["seconds"]
    times = [b - a for a, b in zip(seconds, seconds[1:])]
    return float(statistics.median(times)) if times else 0.0


def _pct(value: float) -> str:
    return f"{value:.1%}"


def _verdict(parts: list[tuple[bool, str]]) -> tuple[bool, str]:
    """All conditions must hold; the explanation lists each one, marking the ones that failed."""
    ok = all(good for good, _ in parts)
    words = "; ".join(text if good else f"NOT as promised: {text}" for good, text in parts)
    return ok, words[:1].upper() + words[1:] + "."


# ---- the checks ------------------------------------------------------------------------------
def _check_random(runs):
    run = runs["random labels"]
    train, test = final(run, "train_acc"), final(run, "test_acc")
    return _verdict([
        (train >= 0.95, f"train accuracy reached {_pct(train)} (promised at least 95%)"),
        (abs(test - 0.5) <= 0.1, f"test accuracy ended at {_pct(test)} (promised 40–60%, a coin "
                                  "flip)"),
    ])


def _check_teacher(runs):
    run = runs["teacher data"]
    start, test, train = run.history["test_acc"][0], final(run, "test_acc"), final(run, "train_acc")
    return _verdict([
        (start <= 0.35 and 0.70 <= test <= 0.85, f"test accuracy climbed from {_pct(start)} to "
                                                  f"{_pct(test)} (promised 70–85%)"),
        (abs(train - test) <= 0.07, f"train and test accuracy differ by {abs(train - test):.1%} "
                                    "(promised at most 7 points)"),
    ])


def _check_moons(runs):
    scratch, torch_run = runs["NumPy engine"], runs["PyTorch"]
    gap = max(abs(a - b) for a, b in zip(scratch.history["train_loss"],
                                          torch_run.history["train_loss"]))
    return _verdict([
        (min(final(r, "test_acc") for r in runs.values()) >= 0.98,
         f"test accuracy {_pct(final(scratch, 'test_acc'))} with NumPy and "
         f"{_pct(final(torch_run, 'test_acc'))} with PyTorch (promised at least 98%)"),
        (gap <= 1e-4, f"their train-loss curves differ by at most {gap:.1e} (promised 1e-4)"),
    ])


def _check_blocks(runs):
    bn, plain = late(runs["with BatchNorm"], "test_r2"), late(runs["without BatchNorm"], "test_r2")
    return _verdict([
        (bn >= 0.7, f"with BatchNorm the test R² settles around {bn:.2f} (promised at least 0.7)"),
        (plain <= 0.5, f"without it, around {plain:.2f} (promised at most 0.5)"),
    ])


def _check_hidden(runs):
    lin, deep = final(runs["xor, no hidden layer"], "test_acc"), \
        final(runs["xor, 4 hidden units"], "test_acc")
    steps, bumps = final(runs["steps, no hidden layer"], "test_acc"), \
        final(runs["bumps, 9 sigmoid units"], "train_acc")
    return _verdict([
        (lin <= 0.65, f"logistic regression gets {_pct(lin)} on xor (promised at most 65%)"),
        (deep >= 0.9, f"one hidden layer of 4 gets {_pct(deep)} (promised at least 90%)"),
        (steps >= 0.95, f"softmax regression gets {_pct(steps)} on steps (promised 95%)"),
        (bumps == 1.0, f"9 sigmoid units fit {_pct(bumps)} of the bumps' training points "
                       "(promised all)"),
    ])


def _check_batches(runs):
    sgd, mini, full = runs.values()
    losses = [final(r, "train_loss") for r in (sgd, mini, full)]
    times = [seconds_per_epoch(r) * 1000 for r in (sgd, mini, full)]
    return _verdict([
        (losses[0] < losses[1] < losses[2], "per epoch, the final train losses are "
         + ", ".join(f"{v:.3f}" for v in losses) + " (promised smallest batch lowest)"),
        (times[0] >= 3 * times[1] and times[1] >= 2 * times[2], "an epoch took "
         + ", ".join(f"{t:.2f} ms" for t in times) + " (promised pure SGD at least 3x "
         "mini-batch, mini-batch at least 2x full batch)"),
    ])


def _check_rates(runs):
    land = race(runs)  # the exact surface: the model has two weights
    slope, _, best = land.optimum
    slow, good, zigzag, high = (land.paths[label] for label in runs)
    steps = np.diff(high.true_loss)
    crossings = np.diff(np.sign(zigzag.coords[:, 0] - slope)) != 0

    def never_rises(path) -> bool:
        return bool((np.diff(path.true_loss) <= 1e-6 * path.true_loss[0]).all())

    return _verdict([
        (good.true_loss[-1] <= 1.001 * best, f"at 0.15 the loss ends at {good.true_loss[-1]:.4f} "
         f"against the least-squares {best:.4f} (promised within 0.1%)"),
        (slow.true_loss[-1] >= 1.2 * best, f"at 0.02 it ends at {slow.true_loss[-1]:.4f}, "
         f"{slow.true_loss[-1] / best - 1:.0%} above (promised at least 20%)"),
        (bool(crossings.all()) and never_rises(zigzag), f"at 0.3 the slope crossed its best "
         f"value in {int(crossings.sum())} of {len(crossings)} steps, and the loss "
         f"{'never rose' if never_rises(zigzag) else 'rose'} (promised every step, never)"),
        (bool((steps > 0).all()), f"at 0.35 the loss rose in {int((steps > 0).sum())} of "
         f"{len(steps)} steps, to {high.true_loss[-1]:,.0f} (promised every step)"),
    ])


def _check_vanishing(runs):
    sig, relu = runs["sigmoid"], runs["ReLU"]
    g_sig, g_relu = first_layer_gradient(sig), first_layer_gradient(relu)
    a_sig, a_relu = final(sig, "test_acc"), final(relu, "test_acc")
    return _verdict([
        (g_relu >= 100 * g_sig, f"the first layer's gradient norm is {g_sig:.1e} with sigmoid "
         f"against {g_relu:.1e} with ReLU, a ratio of {g_relu / max(g_sig, 1e-30):,.0f} "
         "(promised at least 100)"),
        (a_sig <= 0.6 and a_relu >= 0.95, f"test accuracy {_pct(a_sig)} with sigmoid, "
         f"{_pct(a_relu)} with ReLU (promised at most 60% and at least 95%)"),
    ])


def _check_regularization(runs):
    plain, *fixes = runs.items()
    loss, acc = final(plain[1], "test_loss"), final(plain[1], "test_acc")
    best = min(plain[1].history["test_loss"])
    parts = [(loss >= 1.5 * best, f"the plain net ends with test loss {loss:.3f}, against "
              f"{best:.3f} at its best epoch (promised at least 1.5x: it overfits)")]
    for label, run in fixes:
        parts.append((final(run, "test_loss") < loss,
                      f"{label} ends at {final(run, 'test_loss'):.3f} "
                      f"({_pct(final(run, 'test_acc'))} test accuracy)"))
    top = max(final(run, "test_acc") for _, run in fixes)
    parts.append((top >= acc + 0.02, f"the best of them has {_pct(top)} test accuracy against "
                  f"the plain net's {_pct(acc)} (promised at least 2 points more)"))
    return _verdict(parts)


def _check_spiral(runs):
    accs = {label: final(run, "test_acc") for label, run in runs.items()}
    *small, (winner, top) = accs.items()
    return _verdict([
        (top >= 0.95, f"{winner} reaches {_pct(top)} test accuracy (promised at least 95%)"),
        (all(a < 0.95 for _, a in small), "the smaller ones stop at "
         + ", ".join(f"{_pct(a)} ({label})" for label, a in small) + " (promised below 95%)"),
    ])


# ---- the lessons -------------------------------------------------------------------------------
def _same_but(base: Config, **variants: dict) -> dict[str, Config]:
    """Labelled set-ups that differ from `base` only in the fields given (fair comparisons)."""
    return {label: base.replace(**changes) for label, changes in variants.items()}


_RANDOM = Config(dataset="random", n_samples=1000, test_fraction=0.2, hidden=(64, 32),
                 activation="relu", optimizer="adam", lr=0.003, batch_size=32, epochs=100)
_TEACHER = Config(dataset="teacher", n_samples=3000, test_fraction=0.2, hidden=(64,),
                  activation="relu", init="kaiming", standardize=False, optimizer="adam",
                  lr=1e-3, batch_size=128, epochs=25)
# 1,000 training points, one at a time, for 10 epochs: 10,000 single-example SGD steps.
_MOONS = Config(dataset="moons", n_samples=2000, noise=0.1, hidden=(50,), activation="relu",
                init="normal", standardize=False, loss="bce", optimizer="sgd", lr=0.01,
                batch_size=1, epochs=10)
# The course's bump exercise: 100 evenly spaced points (80 train), a full batch, Adam 0.1.
_BUMPS = Config(dataset="bumps_even", n_samples=100, test_fraction=0.2, hidden=(9,),
                activation="sigmoid", standardize=False, loss="bce", optimizer="adam", lr=0.1,
                batch_size=100, epochs=600)
_SINE = Config(dataset="sine", n_samples=1000, hidden=(32, 32, 32), activation="sigmoid",
               loss="l1", optimizer="adam", lr=0.003, batch_size=64, epochs=80)
_XOR = Config(dataset="xor", n_samples=1000, hidden=(), activation="tanh", optimizer="adam",
              lr=0.03, batch_size=10, epochs=40)
_BATCH = Config(dataset="moons", n_samples=500, noise=0.2, hidden=(8,), activation="tanh",
                optimizer="sgd", lr=0.1, epochs=40)
# A straight line by gradient descent on all 250 training points: two weights, so the loss over
# every (slope, intercept) can be drawn whole. Raw inputs (x in [-3, 3]) make the bowl three
# times steeper along the slope than along the intercept; seed 5 starts away from both.
_LINE = Config(dataset="line", n_samples=500, noise=0.2, hidden=(), standardize=False,
               optimizer="sgd", batch_size=250, epochs=30, seed=5)
_DEEP = Config(dataset="circle", n_samples=500, hidden=(16,) * 6, optimizer="sgd", lr=0.3,
               batch_size=20, epochs=40)
_WIDE = Config(dataset="circle", noise=0.3, n_samples=200, hidden=(128, 128), activation="relu",
               optimizer="adam", lr=0.01, batch_size=10, epochs=100)
_SPIRAL = Config(dataset="spiral", n_samples=500, activation="relu", optimizer="adam", lr=0.02,
                 batch_size=10, epochs=300)

_ALL = [
    Lesson(
        "random-labels", "Memorising is not learning",
        {"random labels": _RANDOM},
        "The inputs are 20 random numbers and each label is a coin flip: there is no rule to "
        "find. Train the 20 → 64 → 32 → 1 network for 100 epochs and follow both accuracy curves.",
        "Train accuracy goes all the way to 100%: with about 3,500 weights the net can store 800 "
        "labels. Test accuracy does not move from 50%, and the test loss grows all the time.",
        "Train accuracy reaches at least 95% while test accuracy stays at chance (40–60%).",
        _check_random),
    Lesson(
        "teacher", "A two-layer MLP learns a teacher network",
        {"teacher data": _TEACHER},
        "The labels come from a hidden random ReLU network, 16 → 32 → 5 with He-scaled weights "
        "and zero biases, fed 16 Gaussian numbers; without biases some classes are much "
        "commoner than others. The student is 16 → 64 → 5 with He initialization and zero "
        "biases, learning from 2,400 of the 3,000 points (the raw inputs) with Adam (learning "
        "rate 0.001) on batches of 128. Read its forward pass, then train 25 epochs.",
        "Unlike random labels, train and test accuracy rise together: there is a real rule, and "
        "what the net learns carries over to new points. The curve is still rising at epoch 25; "
        "press Train again to see how far it goes. Each seed makes another teacher: over ten "
        "seeds the student ends between 71% and 82%, 78% on average.",
        "Test accuracy climbs from chance (about 20%) to between 70% and 85% in 25 epochs, "
        "within 7 points of train accuracy.",
        _check_teacher, "Equations"),
    Lesson(
        "moons-scratch", "Two moons, from scratch in NumPy",
        _same_but(_MOONS, **{"NumPy engine": dict(engine="numpy"),
                             "PyTorch": dict(engine="torch")}),
        "A 2 → 50 → 1 ReLU network with a sigmoid output and binary cross-entropy, every weight "
        "and bias drawn from N(0, 1) as a from-scratch NumPy network draws them, trained by "
        "plain SGD (learning rate 0.01) on one example at a time: 10 epochs of 1,000 training "
        "points, on the raw coordinates. The first set-up runs on the NumPy engine written by "
        "hand (playground/scratch/mlp.py), the second on PyTorch, from the same initial weights.",
        "The replay shows the boundary bending around the moons as it forms. With one example "
        "per step the loss curve is rough. Run both set-ups: their curves lie on top of each "
        "other, because hand-written backpropagation computes the same gradients as autograd.",
        "Both engines reach at least 98% test accuracy, and their train-loss curves agree "
        "within 1e-4.",
        _check_moons, "Replay"),
    Lesson(
        "building-blocks", "Building blocks: BatchNorm, Adam and an L1 loss",
        _same_but(_SINE, **{"with BatchNorm": dict(batchnorm=True),
                            "without BatchNorm": dict(batchnorm=False)}),
        "Three sigmoid layers of 32 units fit y = sin(2x) with Adam and the mean absolute error "
        "(L1) loss. The first set-up normalises each hidden layer's inputs over the batch; the "
        "second is the same network without it. Then try ReLU instead of sigmoid in both.",
        "Without BatchNorm the sigmoids saturate and the fit creeps along; with it the curve "
        "takes shape within a few dozen epochs. Its test curve is bumpy: at test time BatchNorm "
        "uses running averages that lag behind the changing weights. With ReLU the gap closes.",
        "With BatchNorm the test R² settles at 0.7 or more within 80 epochs, while the same net "
        "without it stays at 0.5 or less.",
        _check_blocks, "Activations"),
    Lesson(
        "no-hidden-layer", "What a hidden layer adds",
        {"xor, no hidden layer": _XOR,
         "xor, 4 hidden units": _XOR.replace(hidden=(4,)),
         "steps, no hidden layer": Config(dataset="steps", n_samples=600, hidden=(),
                                          optimizer="adam", lr=0.1, batch_size=50, epochs=100),
         "bumps, 9 sigmoid units": _BUMPS},
        "Without a hidden layer a network is logistic regression (two classes) or softmax "
        "regression (several): one straight boundary per pair of classes. Load each set-up in "
        "turn: xor with and without a hidden layer of 4 tanh units, the 1-D steps, then the 1-D "
        "bumps as the course sets them: 100 evenly spaced points from -20 to 20 (80 train, 20 "
        "test), 9 sigmoid units and a sigmoid output with binary cross-entropy, Adam (learning "
        "rate 0.1) on the full batch for 600 epochs.",
        "On xor the linear model's loss stays at ln 2 ≈ 0.69, the loss of guessing: no single "
        "line splits the quadrants. Four hidden units solve it. Steps in a row need only "
        "thresholds, so softmax regression is enough. Each bump needs a rising and a falling "
        "edge, which a few sigmoid units provide; the test points lie between the training "
        "points, so one right at an edge can still be wrong.",
        "Logistic regression stays at or below 65% on xor while 4 hidden units reach 90%; "
        "softmax regression reaches 95% on steps, and 9 sigmoid units fit every training point "
        "of the bumps.",
        _check_hidden, "Equations"),
    Lesson(
        "batch-size", "Pure SGD, mini-batches and full batch",
        _same_but(_BATCH, **{"batch 1 (pure SGD)": dict(batch_size=1),
                             "batch 16 (mini-batch)": dict(batch_size=16),
                             "batch 250 (full batch)": dict(batch_size=250)}),
        "The same network, data, initial weights and learning rate, trained with 1, 16 and all "
        "250 training points per update. Run all three and overlay their curves, first against "
        "epochs, then against training time.",
        "Per epoch, pure SGD makes 250 updates and full batch one, so pure SGD's loss falls "
        "first, though noisily. Per second the picture changes: every update has a fixed cost, "
        "so an epoch of pure SGD takes far longer, and its curve stretches out to the right.",
        "Per epoch, the smaller the batch the lower the final train loss, while an epoch of pure "
        "SGD takes at least 3 times one of mini-batches, and that one at least twice full batch.",
        _check_batches),
    Lesson(
        "learning-rate", "Why the learning rate matters",
        _same_but(_LINE, **{"rate 0.02 (too small)": dict(lr=0.02),
                            "rate 0.15 (about right)": dict(lr=0.15),
                            "rate 0.3 (zigzag)": dict(lr=0.3),
                            "rate 0.35 (too high)": dict(lr=0.35)}),
        "Fit a line y = w·x + b to 250 noisy points by plain gradient descent, every step on "
        "all the points. With only a slope and an intercept to learn, the loss over every pair "
        "of them is a bowl that can be drawn whole. The four set-ups start from the same weights "
        "and differ only in the learning rate: run them all, then follow their paths.",
        "The inputs are left raw (x from −3 to 3), so the bowl is far steeper across the slope "
        "than along the intercept. At 0.02 the path creeps downhill; at 0.15 it is near the "
        "bottom within a few steps; at 0.3 every step jumps across the valley, landing a "
        "little lower each time; at 0.35 every jump lands higher than the last and the weights "
        "fly off. Turn on Standardize inputs and the bowl becomes round.",
        "After 30 steps the rate 0.15 is within 0.1% of the least-squares loss and 0.02 still "
        "20% or more above it; at 0.3 the slope overshoots its best value at every step while "
        "the loss still falls; at 0.35 the loss rises at every step.",
        _check_rates, "Loss landscape"),
    Lesson(
        "vanishing-gradients", "Vanishing gradients",
        _same_but(_DEEP, sigmoid=dict(activation="sigmoid"), ReLU=dict(activation="relu")),
        "Six hidden layers of 16 units with plain SGD, once with sigmoid and once with ReLU; "
        "everything else, initial weights included, is the same. Train one, then the other.",
        "A sigmoid's slope is at most 1/4, so each layer the error passes back through shrinks "
        "it: the first layer's gradient ends up over 10,000 times smaller than the last one's, and "
        "the sigmoid net never leaves 50%. ReLU passes the gradient through unchanged where it "
        "is active, and that net learns the circle.",
        "The sigmoid net's first-layer gradient is at least 100 times smaller than the ReLU "
        "net's; it stays at 60% test accuracy or less while the ReLU net reaches 95%.",
        _check_vanishing, "Gradient flow"),
    Lesson(
        "regularization", "Overfitting, and three ways to fight it",
        _same_but(_WIDE, **{"no regularization": {},
                            "L2 (weight decay 0.003)": dict(weight_decay=0.003),
                            "dropout 0.5": dict(dropout=0.5),
                            "early stopping (patience 10)": dict(patience=10)}),
        "A network with 17,000 weights learns from 100 noisy points. First train it plainly, "
        "then with a small L2 penalty, with dropout, and with early stopping, which stops once "
        "the test loss has not improved for 10 epochs and keeps the best epoch's weights.",
        "The plain net's train loss heads to zero while its test loss turns and climbs after a "
        "few epochs: it is learning the noise, and its boundary wraps around single points. "
        "Each remedy keeps the test loss lower. Early stopping here watches the test set, so "
        "its score is slightly optimistic; a real project keeps a separate validation set.",
        "The plain net ends with a test loss at least 1.5 times its best; L2, dropout and early "
        "stopping each end lower, and the best of them gains 2 points of test accuracy or more.",
        _check_regularization),
    Lesson(
        "spiral", "The spiral challenge: the smallest network that solves it",
        _same_but(_SPIRAL, **{"4, 2 (the playground's default size)": dict(hidden=(4, 2)),
                              "6, 6": dict(hidden=(6, 6)),
                              "8, 8": dict(hidden=(8, 8))}),
        "TensorFlow Playground's hardest set, with only x₁ and x₂ as inputs. Three sizes of "
        "ReLU network get the same data, optimizer and 300 epochs. Then try to beat 8, 8: other "
        "seeds, tanh, a third layer, or the sin features.",
        "The two small nets draw a few straight cuts and give up. At 8, 8 (105 weights) the "
        "boundary follows the arms, and the replay shows it winding outwards. So close to the limit, "
        "luck matters: with some initial weights (seed 2) even 8, 8 fails.",
        "Only 8, 8 of the three sizes reaches 95% test accuracy.",
        _check_spiral, "Replay"),
]
LESSONS: dict[str, Lesson] = {lesson.name: lesson for lesson in _ALL}
