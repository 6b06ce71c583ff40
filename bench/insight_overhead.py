"""What does seeing inside the network cost the training loop?

The page turns on `run.record_snapshots` (the replay) for 1-D and 2-D data, and every run records
each Linear layer's gradient and weight norm once per epoch (the gradient-flow chart). The issue's
budget: recording these must not slow training by more than 10% on the benchmark workloads.

Variants, each timed as `Run(cfg, data)` + switches + `fit()` on the same pre-built data:

- plain:      what every run does (norms recorded, no snapshots);
- snapshots:  plain + `run.record_snapshots = True`, as the page does;
- no norms:   a Run subclass with the norm recording cut out (the library has no switch for it:
              this variant exists only here, to price the norms).

Runs are interleaved (repeat 1: A, B, C; repeat 2: C, B, A; ...) after a warm-up of each, with
one torch thread by default, so machine noise hits all variants alike. Printed per workload: each
variant's median seconds, its per-repeat times, and the median of the per-repeat ratios against
plain (steadier than the ratio of medians on a busy machine). W3 has 16-D inputs: no replay.
"Time inside the recording" sums the time spent switching it on and in `Snapshots.record`: its own
cost, without the noise of whole runs. "Reading the replay" is the one-off cost of the first
`run.snapshots` read after training (grids of snapshots kept as parameters are drawn then).

    .venv/bin/python bench/insight_overhead.py                 # 9 repeats, W1-W3 (~1-2 min)
    .venv/bin/python bench/insight_overhead.py --only W1 --repeats 5
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, no install

from playground import Config, Data, Run, load_data  # noqa: E402
from playground import snapshots as snapshots_module  # noqa: E402

W1 = Config(dataset="moons", n_samples=1000, noise=0.2, test_fraction=0.2, hidden=(16, 16),
            activation="relu", optimizer="adam", lr=0.01, batch_size=32, epochs=100, seed=0)
WORKLOADS: dict[str, tuple[str, Config]] = {  # the same three as bench/train_speed.py
    "W1": ("moons, 2-16-16-1, batch 32, 100 epochs", W1),
    "W2": ("moons, 2-16-16-1, full batch (800), 1000 epochs", W1.replace(batch_size=800,
                                                                         epochs=1000)),
    "W3": ("teacher, 16-64-5, batch 128, 25 epochs",
           Config(dataset="teacher", n_samples=3000, noise=0.0, test_fraction=0.2, hidden=(64,),
                  activation="relu", optimizer="adam", lr=1e-3, batch_size=128, epochs=25, seed=0)),
}
BUDGET = 1.10
RECORDING = [0.0]  # seconds spent inside Snapshots.record, summed (see timed_record)


def timed_record(record):
    """Snapshots.record, adding its time to RECORDING: the recording's own cost, read apart
    from the noise of whole runs (which also includes any indirect cost, e.g. on caches)."""
    def wrapper(self, run):
        start = time.perf_counter()
        record(self, run)
        RECORDING[0] += time.perf_counter() - start
    return wrapper


snapshots_module.Snapshots.record = timed_record(snapshots_module.Snapshots.record)


class NoNormsRun(Run):
    """A Run that records no gradient or weight norms (for pricing them; not a library feature)."""

    def _norms_setup(self) -> None:
        super()._norms_setup()
        self._norm_keys = []

    def _norms(self) -> torch.Tensor:
        return torch.empty(0)


def plain(cfg: Config, data: Data) -> Run:
    return Run(cfg, data).fit()


def snapshots(cfg: Config, data: Data) -> Run:
    run = Run(cfg, data)
    start = time.perf_counter()
    run.record_snapshots = True  # sets up the grid's inputs, then records epoch 0
    RECORDING[0] += time.perf_counter() - start
    return run.fit()


def no_norms(cfg: Config, data: Data) -> Run:
    return NoNormsRun(cfg, data).fit()


def variants(data: Data) -> dict:
    out = {"plain": plain, "no norms": no_norms}
    if data.dim <= 2 and data.box is not None:
        out["snapshots"] = snapshots
    return out


def bench(cfg: Config, repeats: int) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per variant, its seconds per repeat; and for each snapshots run, the seconds spent
    switching on and recording ("recording") and reading the replay afterwards ("read")."""
    data = load_data(cfg)
    impls = variants(data)
    for impl in impls.values():
        impl(cfg.replace(epochs=2), data)  # warm-up
    times: dict[str, list[float]] = {name: [] for name in impls}
    extra: dict[str, list[float]] = {"recording": [], "read": []}
    for rep in range(repeats):
        order = list(impls) if rep % 2 == 0 else list(impls)[::-1]
        for name in order:
            RECORDING[0] = 0.0
            start = time.perf_counter()
            run = impls[name](cfg, data)
            times[name].append(time.perf_counter() - start)
            if name == "snapshots":
                extra["recording"].append(RECORDING[0])
                start = time.perf_counter()
                run.snapshots  # noqa: B018 (draws the grids not drawn yet)
                extra["read"].append(time.perf_counter() - start)
    return times, extra


def report(key: str, title: str, times: dict[str, list[float]],
           extra: dict[str, list[float]]) -> None:
    print(f"\n## {key}: {title}")
    base = times["plain"]
    for name, series in times.items():
        ratios = [t / b for t, b in zip(series, base, strict=True)]
        ratio = statistics.median(ratios)
        verdict = "" if name == "plain" else (
            f"   x{ratio:.3f} of plain (median per-repeat ratio; range "
            f"{min(ratios):.3f}-{max(ratios):.3f})")
        runs = " ".join(f"{t:.3f}" for t in series)
        print(f"  {name:<10} median {statistics.median(series):7.3f} s{verdict}\n"
              f"             runs: {runs}")
    if "snapshots" in times:
        ratio = statistics.median(t / b for t, b in zip(times["snapshots"], base, strict=True))
        note = "within" if ratio <= BUDGET else "OVER"
        own = statistics.median(r / b for r, b in zip(extra["recording"], base, strict=True))
        print(f"  snapshots: {(ratio - 1) * 100:+.1f}% ({note} the 10% budget); time inside "
              f"the recording itself: {statistics.median(extra['recording']) * 1000:.1f} ms "
              f"= {own * 100:.1f}% of plain; reading the replay after training: "
              f"{statistics.median(extra['read']) * 1000:.1f} ms (medians)")
    else:
        print("  snapshots: n/a (no replay for data of more than 2 dimensions)")
    norms = statistics.median(b / t for b, t in zip(base, times["no norms"], strict=True))
    print(f"  norm recording: {(norms - 1) * 100:+.1f}% (plain against no norms)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"repeats {args.repeats}")
    for key in (w.strip().upper() for w in args.only.split(",") if w.strip()):
        title, cfg = WORKLOADS[key]
        report(key, title, *bench(cfg, args.repeats))


if __name__ == "__main__":
    main()
