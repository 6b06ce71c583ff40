"""How much does flushing denormal floats to zero during `Run.fit` save on a deep Adam network?

Adam's running averages of a dead ReLU unit's zero gradients shrink by a constant factor every
step until they are denormal floats, on which each CPU operation runs many times slower.
`Run.fit` flushes them to zero (`device.flush_denormals`). This script trains the same deep
network (8 hidden layers of 118 ReLU units, Adam) with the flush and, by replacing it with a
no-op, without, on one torch thread, interleaved round-robin after a warm-up, and prints the
medians and their ratio. It also checks that both end on the same test accuracy to 0.01.

    python3 bench/denormal_speed.py              # 5 repeats
    python3 bench/denormal_speed.py --repeats 3 --epochs 20
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, no install

from playground import Config, load_data, train  # noqa: E402

train_module = importlib.import_module("playground.train")  # the module, not the function

DEEP = Config(dataset="spiral", n_samples=500, noise=0.1, hidden=(118,) * 8, activation="relu",
              optimizer="adam", lr=0.01, batch_size=1, epochs=400, seed=0)


def timed(config: Config, data, flush: bool) -> tuple[float, float]:
    saved = train_module.flush_denormals
    if not flush:
        train_module.flush_denormals = contextlib.nullcontext
    try:
        start = time.perf_counter()
        run = train(config, data=data)
        return time.perf_counter() - start, run.history["test_acc"][-1]
    finally:
        train_module.flush_denormals = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=DEEP.epochs)
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = DEEP.replace(epochs=args.epochs)
    data = load_data(config)
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(f"torch {torch.__version__}, 1 thread; {config.dataset}, "
          f"{'-'.join(map(str, config.sizes))} relu, adam lr {config.lr}, batch "
          f"{config.batch_size}, {config.epochs} epochs ({config.n_train} training points)")
    timed(config.replace(epochs=1), data, True)  # warm-up
    times: dict[bool, list[float]] = {True: [], False: []}
    accuracy: dict[bool, float] = {}
    for _ in range(args.repeats):
        for flush in (True, False):
            seconds, accuracy[flush] = timed(config, data, flush)
            times[flush].append(seconds)
    for flush, label in ((True, "flushed (Run.fit)"), (False, "not flushed")):
        runs = " ".join(f"{t:.2f}" for t in times[flush])
        print(f"  {label:<18} median {statistics.median(times[flush]):6.2f} s   test acc "
              f"{accuracy[flush]:.4f}   runs: {runs}")
    ratios = [b / a for a, b in zip(times[True], times[False], strict=True)]
    print(f"  not flushed / flushed: {statistics.median(times[False]) / statistics.median(times[True]):.2f}x"
          f" (per repeat {min(ratios):.2f}-{max(ratios):.2f})")
    if abs(accuracy[True] - accuracy[False]) > 0.01:
        print("  NOTE: the test accuracies differ by more than 0.01")


if __name__ == "__main__":
    main()
