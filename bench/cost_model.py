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
    python3 bench/cost_model.py --page     # the page's script run for big links, estimated
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


# Links whose page is drawn (AppTest, in this process): the largest data the hosted profile lets
# a link open, with networks from tiny to as large as fits its epoch budget.
PAGES = {
    "default": {},
    "spiral 200k, 8, full batch": dict(dataset="spiral", n_samples="200000", hidden="8",
                                        batch_size="200000"),
    "spiral 200k, 64x64, full batch": dict(dataset="spiral", n_samples="200000",
                                            hidden="64,64", batch_size="200000"),
    "plane 200k, 100x100, full batch": dict(dataset="plane", n_samples="200000",
                                             hidden="100,100", batch_size="200000", epochs="20"),
    "circle 20k, 256x3": dict(dataset="circle", n_samples="20000", hidden="256,256,256",
                              batch_size="20000", epochs="20"),
}


def page_seconds(params: dict) -> tuple[float, float, Config]:
    """The page's first script run for a link (new data: its generation counted) and a rerun."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"),
                           default_timeout=600)
    for k, v in params.items():
        at.query_params[k] = v
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    start = time.perf_counter()
    at.run()
    assert not at.exception, at.exception
    job = at.session_state["job"]
    job.pause()
    return first, time.perf_counter() - start, at.session_state["cfg"]


def pages() -> None:
    print("\n| link | page, first script run: measured | estimate | ratio | a rerun |")
    print("|---|---:|---:|---:|---:|")
    page_seconds({"dataset": "moons"})  # imports and caches of any page: not this link's cost
    for name, params in PAGES.items():
        first, again, cfg = page_seconds({**params, "data_seed": "12345"})  # data not cached
        asked, _ = Config.parse_query({**params, "data_seed": "12345"})
        assert cfg == asked, f"the host did not open {name} as asked: {cfg.to_query()}"
        estimate = budget.render_seconds(cfg)
        print(f"| {name} | {first:.2f} s | {estimate:.2f} s | {estimate / first:.2f} | "
              f"{again:.2f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fit", action="store_true")
    parser.add_argument("--page", action="store_true",
                        help="only the page's script run for big links (AppTest)")
    args = parser.parse_args()
    if args.page:
        print("command:", shlex.join([sys.executable, *sys.argv]))
        print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        pages()
        print(f"\nload average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
        return
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
