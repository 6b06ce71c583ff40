"""How long does a loss landscape take, against evaluating its grid one model at a time?

Rows, each on ONE torch thread in one process, interleaved round-robin, medians compared:

- default slice: the 41 x 41 slice along the path of the page's default set-up (circle,
  2-4-2-1 tanh, 200 epochs), `landscape.landscape(run)`: each grid row is one stacked model;
- 2-parameter surface: the learning-rate lesson's line (slope and bias, no hidden layer),
  `landscape.landscape(run)` over its exact 41 x 41 surface;
- spiral 16, 16: a larger slice (2-16-16-1 ReLU on 1,000 training points), for scale.

Each is compared with a reference computed in the same run: the same grid evaluated one grid
point at a time, each point's weights loaded into the run's own `nn.Sequential` through
`torch.func.functional_call` (what a straightforward implementation does). Both give the same
numbers (checked). Targets: the default slice within 1 s, the 2-parameter surface within 0.3 s.

    python3 bench/landscape_speed.py               # 5 repeats
    python3 bench/landscape_speed.py --repeats 3
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.func import functional_call

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, no install

from playground import Config, Run, load_data  # noqa: E402
from playground import landscape as L  # noqa: E402
from playground.lessons import LESSONS  # noqa: E402
from playground.nn.losses import resolve_loss, targets  # noqa: E402

TARGETS = {"default slice": 1.0, "2-parameter surface": 0.3}


def trained(cfg: Config) -> Run:
    run = Run(cfg, load_data(cfg))
    run.record_path = True
    return run.fit(cfg.epochs)


def workloads() -> dict[str, Run]:
    line = LESSONS["learning-rate"].configs["rate 0.15 (about right)"]
    spiral = Config(dataset="spiral", n_samples=2000, hidden=(16, 16), activation="relu",
                    optimizer="adam", lr=0.01, batch_size=32, epochs=30)
    return {"default slice": trained(Config()), "2-parameter surface": trained(line),
            "spiral 16, 16": trained(spiral)}


def reference(run: Run, land: L.Landscape) -> np.ndarray:
    """The landscape's grid, one grid point at a time through the run's own module."""
    X = torch.from_numpy(run.data.transform(run.data.X_train[:land.points]))
    Y = targets(run.data.y_train[:land.points], run.task, torch.float32, "cpu")
    loss = resolve_loss(run.config.loss, run.task)
    layout = run.params.layout
    run.model.eval()
    out = np.empty((len(land.ys), len(land.xs)))
    with torch.inference_mode():
        for i, y in enumerate(land.ys):
            for j, x in enumerate(land.xs):
                theta = torch.from_numpy(land.origin + x * land.directions[0]
                                         + y * land.directions[1]).float()
                params = {name: theta[o:o + shape.numel()].view(shape)
                          for name, (o, shape) in layout.items()}
                out[i, j] = float(loss.value(functional_call(run.model, params, (X,)), Y,
                                             run.task))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print(f"torch {torch.__version__}, threads 1, repeats {args.repeats}, load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    runs = workloads()
    times = {name: {"landscape": [], "one at a time": []} for name in runs}
    lands = {name: L.landscape(run) for name, run in runs.items()}  # warm-up
    for _ in range(args.repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            lands[name] = L.landscape(run)
            times[name]["landscape"].append(time.perf_counter() - start)
            start = time.perf_counter()
            slow = reference(run, lands[name])
            times[name]["one at a time"].append(time.perf_counter() - start)
            np.testing.assert_allclose(slow, lands[name].loss, rtol=2e-4, atol=1e-6)
    print()
    print("| workload | parameters | training points | grid | landscape | one at a time | "
          "speed-up | target |")
    print("|---|---:|---:|---|---:|---:|---:|---|")
    for name, run in runs.items():
        fast = statistics.median(times[name]["landscape"])
        slow = statistics.median(times[name]["one at a time"])
        land = lands[name]
        target = TARGETS.get(name)
        verdict = "" if target is None else \
            f"<= {target:g} s: {'met' if fast <= target else 'NOT met'}"
        print(f"| {name} | {run.params.theta.numel():,} | {land.points:,} | "
              f"{len(land.xs)} x {len(land.ys)} | {fast:.3f} s | {slow:.3f} s | "
              f"{slow / fast:.1f}x | {verdict} |")
    print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
