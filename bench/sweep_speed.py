"""How fast is a stacked sweep next to one run, and next to training its models one by one?

All rows train the W1 workload of bench/train_speed.py (moons, 2-16-16-1, Adam, batch 32, 100
epochs) on the same `Data` object, on ONE torch thread, in one process:

- one run:      `playground.train(W1)`;
- sweep 16:     `sweep(W1, {"lr": 4 values}, seeds=4)`: 16 models trained as one stack;
- sequential 16: the same 16 configs through `train()`, one after another;
- sweep 64:     4 learning rates x 16 seeds, one stack (skip with --no-64).

Repeats are interleaved round-robin after a one-epoch warm-up of each, and the medians are
compared. Target (issue 7): sweep 16 within 3x one run. The machine is shared, so absolute
seconds drift; the ratios within one invocation are what count (each ratio also shows its
per-repeat range). The script also checks that the stacked models reach the sequential ones'
test accuracies.

    .venv/bin/python bench/sweep_speed.py             # 5 repeats, about 30 s
    .venv/bin/python bench/sweep_speed.py --quick     # 2 repeats, no 64-model row
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, no install
sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_speed import W1  # noqa: E402

from playground import Data, load_data, train  # noqa: E402
from playground.sweep import sweep  # noqa: E402

LRS = [0.003, 0.01, 0.03, 0.1]
TARGET = 3.0  # sweep 16 / one run


def rows(data: Data, with_64: bool) -> dict[str, Callable[[], object]]:
    configs = sweep(W1.replace(epochs=1), {"lr": LRS}, seeds=4, data=data).configs
    out = {
        "one run": lambda: train(W1, data=data),
        "sweep 16 (stacked)": lambda: sweep(W1, {"lr": LRS}, seeds=4, data=data),
        "16 one after another": lambda: [train(c.replace(epochs=W1.epochs), data=data)
                                         for c in configs],
    }
    if with_64:
        out["sweep 64 (stacked)"] = lambda: sweep(W1, {"lr": LRS}, seeds=16, data=data)
    return out


def measure(fns: dict[str, Callable[[], object]], repeats: int) -> tuple[dict, dict]:
    times: dict[str, list[float]] = {name: [] for name in fns}
    results: dict[str, object] = {}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - start)
    return times, results


def ratio(times: dict[str, list[float]], a: str, b: str) -> str:
    per = [x / y for x, y in zip(times[a], times[b])]
    med = statistics.median(times[a]) / statistics.median(times[b])
    return f"{med:.2f}x (per repeat {min(per):.2f}-{max(per):.2f})"


def accuracy_check(results: dict[str, object]) -> str:
    """Per learning rate, the mean final test accuracy of the stacked models and of their
    train() twins, and how many of the 16 end with the same test accuracy."""
    stacked, runs = results["sweep 16 (stacked)"], results["16 one after another"]
    pairs = [(c.lr, f["test_acc"], r.history["test_acc"][-1])
             for c, f, r in zip(stacked.configs, stacked.final, runs)]
    same = sum(abs(a - b) < 1e-6 for _, a, b in pairs)
    means = "; ".join(f"lr {lr:g}: {statistics.mean(a for l, a, _ in pairs if l == lr):.4f} / "
                      f"{statistics.mean(b for l, _, b in pairs if l == lr):.4f}" for lr in LRS)
    return (f"  mean test accuracy, stacked / train(): {means}\n"
            f"  {same} of 16 models end with exactly train()'s test accuracy (the others part "
            "ways through float32 rounding at the larger learning rates)")


def report(times: dict[str, list[float]], results: dict[str, object]) -> None:
    for name, ts in times.items():
        runs = " ".join(f"{t:.3f}" for t in ts)
        print(f"  {name:<22} median {statistics.median(ts):7.3f} s   runs: {runs}")
    one = statistics.median(times["one run"])
    print(f"\n  sweep 16 / one run:              {ratio(times, 'sweep 16 (stacked)', 'one run')}"
          f"   target <= {TARGET:g}x")
    print(f"  16 one after another / sweep 16: "
          f"{ratio(times, '16 one after another', 'sweep 16 (stacked)')}   (stacking speed-up)")
    if "sweep 64 (stacked)" in times:
        s64 = statistics.median(times["sweep 64 (stacked)"])
        print(f"  sweep 64 / one run:              {ratio(times, 'sweep 64 (stacked)', 'one run')}"
              f"   (64 one after another would be ~{64 * one / s64:.0f}x the sweep)")
    print(accuracy_check(results))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None, help="default 5, or 2 with --quick")
    parser.add_argument("--quick", action="store_true", help="2 repeats and no 64-model row")
    parser.add_argument("--no-64", action="store_true", help="skip the 64-model row")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)
    torch.set_num_threads(1)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"torch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}, "
          f"repeats = {repeats}; W1 = moons, 2-16-16-1, adam, batch 32, {W1.epochs} epochs; "
          f"sweep lr in {LRS}")
    data = load_data(W1)
    fns = rows(data, with_64=not (args.quick or args.no_64))
    warm = {"one run": lambda: train(W1.replace(epochs=1), data=data),
            "sweep": lambda: sweep(W1.replace(epochs=1), {"lr": LRS}, seeds=4, data=data)}
    measure(warm, 1)
    times, results = measure(fns, repeats)
    report(times, results)


if __name__ == "__main__":
    main()
