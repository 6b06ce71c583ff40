"""Speed of the from-scratch NumPy engine (playground/scratch/mlp.py) against scikit-learn and TF Playground.

Two measurements, each interleaved round-robin in one process (medians of --repeats):

- W1 (moons, 1000 points noise 0.2, 800 train, 2-16-16-1 ReLU, Adam lr 0.01, batch 32, 100
  epochs): the NumPy engine alone (a plain loop: shuffle, slice, forward, loss gradient,
  backward, one flat Adam update), the NumPy engine inside `playground.train` (which also
  evaluates train and test sets after every epoch), the PyTorch engine inside `playground.train`,
  and scikit-learn's MLPClassifier with the same layers, Adam, learning rate, batch and epochs.
  Target: the engine at least 2x faster than scikit-learn.
- Single-example steps per second on xor (250 train points, 2-8-8-1 ReLU, SGD lr 0.03, batch 1):
  the engine alone and inside `playground.train`, against TensorFlow Playground's 8,150 steps/s
  (measured in headless Chromium on these machines by the issue's author, drawing included).

    python3 bench/scratch_speed.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, no install
from train_speed import run_sklearn  # noqa: E402

from playground import Config, Data, load_data, train  # noqa: E402
from playground.scratch import mlp

W1 = Config(dataset="moons", n_samples=1000, noise=0.2, test_fraction=0.2, hidden=(16, 16),
            activation="relu", optimizer="adam", lr=0.01, batch_size=32, epochs=100, seed=0)
XOR = Config(dataset="xor", n_samples=500, test_fraction=0.5, hidden=(8, 8), activation="relu",
             optimizer="sgd", lr=0.03, batch_size=1, epochs=20, seed=0)
TF_PLAYGROUND_STEPS = 8150


def scratch_alone(cfg: Config, data: Data) -> tuple[float, int]:
    """The engine in the plainest loop; returns (test accuracy, steps taken)."""
    net = mlp.build(cfg.sizes, cfg.activation, seed=cfg.seed)
    opt = mlp.SCRATCH_OPTIMIZERS[cfg.optimizer](net.theta)
    X, y = data.transform(data.X_train).astype(np.float64), data.y_train.astype(np.float64)
    y = y.reshape(-1, 1)
    rng, steps = np.random.default_rng(cfg.seed), 0
    for _ in range(cfg.epochs):
        order = rng.permutation(len(X))
        Xs, ys = X[order], y[order]
        for start in range(0, len(X), cfg.batch_size):
            out = net.forward(Xs[start:start + cfg.batch_size])
            _, grad = mlp.loss_and_grad("cross_entropy", out,
                                            ys[start:start + cfg.batch_size], "binary")
            net.backward(grad)
            opt.step(net.grad, cfg.lr)
            steps += 1
    guess = net.forward(data.transform(data.X_test).astype(np.float64), train=False)[:, 0] > 0
    return float(np.mean(guess == data.y_test)), steps


def in_playground(engine: str) -> Callable[[Config, Data], tuple[float, int]]:
    def run(cfg: Config, data: Data) -> tuple[float, int]:
        result = train(cfg.replace(engine=engine), data=data)
        return result.history["test_acc"][-1], result.steps
    return run


def sklearn(cfg: Config, data: Data) -> tuple[float, int]:
    return run_sklearn(cfg, data), 0


def interleaved(impls: dict, cfg: Config, repeats: int) -> dict[str, dict]:
    data = load_data(cfg)
    for impl in impls.values():
        impl(cfg.replace(epochs=1), data)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in impls}
    out: dict[str, dict] = {}
    for _ in range(repeats):
        for name, impl in impls.items():
            start = time.perf_counter()
            acc, steps = impl(cfg, data)
            times[name].append(time.perf_counter() - start)
            out[name] = {"acc": acc, "steps": steps}
    for name in impls:
        out[name]["median"] = statistics.median(times[name])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the playground does for small networks
    print(f"command: {' '.join(sys.argv)}; repeats {args.repeats}; torch {torch.__version__}")
    w1 = interleaved({"numpy engine alone": scratch_alone,
                      "numpy engine in playground.train": in_playground("numpy"),
                      "torch engine in playground.train": in_playground("torch"),
                      "scikit-learn MLPClassifier": sklearn}, W1, args.repeats)
    reference = w1["scikit-learn MLPClassifier"]["median"]
    print("\n| W1 implementation | seconds | × faster than scikit-learn | test acc |")
    print("|---|---:|---:|---:|")
    for name, r in w1.items():
        print(f"| {name} | {r['median']:.3f} | {reference / r['median']:.2f}× | {r['acc']:.3f} |")
    xor = interleaved({"numpy engine alone": scratch_alone,
                       "numpy engine in playground.train": in_playground("numpy")},
                      XOR, args.repeats)
    print("\n| xor 2-8-8-1, batch 1 | single-example steps/s | × TF Playground (8,150/s) |")
    print("|---|---:|---:|")
    for name, r in xor.items():
        rate = r["steps"] / r["median"]
        print(f"| {name} | {rate:,.0f} | {rate / TF_PLAYGROUND_STEPS:.1f}× |")


if __name__ == "__main__":
    main()
