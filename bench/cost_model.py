"""How well does playground/budget.py predict what an action costs?

For a spread of set-ups (small and large networks, batch 1 to full batch, few and many points)
it times, on ONE torch thread: one epoch of `Run.fit` (training and the evaluation that
follows it), the learning-rate finder, and the memory a full-batch step allocates (measured as
the growth of a fresh subprocess's RSS from what it holds after its imports to its peak after
one step: the data, the model and the step). Each measurement is printed next to the budget's estimate and their
ratio; the budget is meant to be within 2x either way, and rather over than under. The
finder stops early once the loss blows up, so its estimate (all 200 steps) is an upper bound.

    python3 bench/cost_model.py            # about a minute
    python3 bench/cost_model.py --fit      # also print least-squares per-operation costs
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, no install

from playground import Config, Run, budget, load_data  # noqa: E402
from playground.insight import lr_finder  # noqa: E402

SET_UPS = {
    "default": Config(),
    "xor batch 1": Config(dataset="xor", batch_size=1),
    "spiral 8x8": Config(dataset="spiral", hidden=(8, 8), activation="relu", batch_size=10),
    "moons 64x64, 2k": Config(dataset="moons", n_samples=2000, hidden=(64, 64), batch_size=32,
                              optimizer="adam"),
    "circle 256x3, 10k": Config(dataset="circle", n_samples=10_000, hidden=(256,) * 3,
                                batch_size=256, optimizer="adam"),
    "spiral 512x2, 20k full": Config(dataset="spiral", n_samples=20_000, hidden=(512, 512),
                                     epochs=20, batch_size=20_000),
    "digits 128, test 0.9": Config(dataset="digits", n_samples=1797, hidden=(128,),
                                   test_fraction=0.9, batch_size=16),
}
# Memory only: an epoch of this one takes tens of seconds (the 5.4 GB step).
MEMORY_ONLY = {"plane 8x386, 190k full": Config(dataset="plane", n_samples=190_000,
                                                hidden=(386,) * 8, epochs=1,
                                                batch_size=200_000)}


def epoch_seconds(cfg: Config, repeats: int, epochs: int = 5) -> float:
    """Seconds per epoch of a run that goes on (as a live run does): `epochs` at a time."""
    run = Run(cfg, load_data(cfg))
    run.fit(1)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run.fit(run.epoch + epochs)
        times.append((time.perf_counter() - start) / epochs)
    return statistics.median(times)


def finder_seconds(cfg: Config) -> float:
    data = load_data(cfg)
    start = time.perf_counter()
    lr_finder(cfg.replace(epochs=1), data=data)
    return time.perf_counter() - start


_PEAK = """
import sys, torch
torch.set_num_threads(1)
sys.path.insert(0, {root!r})
from playground import Config, Run, load_data
cfg = Config.from_json({cfg!r})
import playground.train  # everything imported: what the page's process holds anyway
small = cfg.replace(n_samples=max(20, cfg.batch_size // 10**6), hidden=cfg.hidden[:1])
warm = Run(small, load_data(small))  # the dataset's and the step's own lazy imports, done
warm.step(*next(iter(warm.batches())), cfg.lr)
del warm
def status(key):  # kB
    return next(int(line.split()[1]) for line in open("/proc/self/status")
                if line.startswith(key + ":"))
with open("/proc/self/clear_refs", "w") as f:  # the peak so far (imports, warm-up) forgotten
    f.write("5")
before = status("VmRSS")
run = Run(cfg, load_data(cfg))
x, y = next(iter(run.batches()))
run.step(x, y, cfg.lr)
print((status("VmHWM") - before) * 1024)
"""


def step_memory(cfg: Config) -> float:
    code = _PEAK.format(root=str(Path(__file__).resolve().parents[1]), cfg=cfg.to_json())
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fit", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(f"torch {torch.__version__}, threads 1, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print("\n| set-up | one epoch: measured | estimate | ratio | LR finder: measured | "
          "estimate | ratio | step memory: measured | estimate | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for name, cfg in {**SET_UPS, **MEMORY_ONLY}.items():
        m, me = step_memory(cfg), budget.step_bytes(cfg)
        ratio = f"{me / m:.2f}" if m >= 10 * 2**20 else "— (too small to measure)"
        memory = f"{m / 2**20:,.0f} MB | {me / 2**20:,.0f} MB | {ratio}"
        ee, fe = budget.epoch_seconds(cfg), budget.lr_finder_seconds(cfg)
        if name in MEMORY_ONLY:
            print(f"| {name} | — | {ee:.1f} s | — | — | {fe:,.0f} s | — | {memory} |")
            continue
        e, f = epoch_seconds(cfg, args.repeats), finder_seconds(cfg)
        rows.append((cfg, e, f))
        print(f"| {name} | {e:.3f} s | {ee:.3f} s | {ee / e:.2f} | {f:.2f} s | {fe:.2f} s | "
              f"{fe / f:.2f} | {memory} |")
    if args.fit:
        A = np.array([budget.epoch_terms(cfg) for cfg, _, _ in rows])
        b = np.array([e for _, e, _ in rows])
        coef, *_ = np.linalg.lstsq(A / b[:, None], np.ones(len(b)), rcond=None)  # relative
        print("\nleast-squares per-operation costs (relative error):",
              dict(zip(budget.TERMS, (f"{c:.3g}" for c in coef), strict=True)))
    print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
