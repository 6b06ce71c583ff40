"""How fast is `playground.train` next to the usual ways of training the same small MLP?

Three implementations train the same network on the same data for the same number of epochs:

- playground:    `playground.train(cfg)`; it also evaluates train and test metrics every epoch.
- tutorial loop: the loop PyTorch tutorials teach: TensorDataset + DataLoader(shuffle=True),
                 nn.Sequential, torch.optim.Adam, zero_grad/backward/step, loss.item() each batch.
- scikit-learn:  MLPClassifier(solver="adam") with early stopping and tolerance switched off,
                 so it runs exactly `epochs` passes.

All three get identical standardized inputs (`load_data(cfg)` then `data.transform`; playground
receives that same `Data` object, so data generation is timed for none of them). Runs are
interleaved round-robin (repeat 1: A, B, C; repeat 2: A, B, C; ...) after one short warm-up run
of each, so that machine noise hits all of them alike.

How to read it: on a shared, noisy machine the absolute seconds drift from run to run; the
ratios ("x faster than ...", computed from the medians) are what is meaningful. Each block also
shows the range of the per-repeat ratios as a hint of how noisy they are. The test accuracies
(deterministic: every implementation is seeded) are there to check that the speed is not bought
with worse results; a note is printed when playground is more than 0.03 below a reference.
A single repeat far off the others usually means another process took a core for a while; the
median absorbs one such outlier. With two cores, `--threads 1` keeps torch from waiting on a
descheduled second thread and tends to give steadier numbers.

    .venv/bin/python bench/train_speed.py            # full run (5 repeats, about 2-3 minutes)
    .venv/bin/python bench/train_speed.py --quick    # 2 repeats, W2 with 200 epochs
    .venv/bin/python bench/train_speed.py --only W1,W3 --repeats 3 --threads 1
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere, no install

from playground import Config, Data, load_data, train  # noqa: E402

W1 = Config(dataset="moons", n_samples=1000, noise=0.2, test_fraction=0.2, hidden=(16, 16),
            activation="relu", optimizer="adam", lr=0.01, batch_size=32, epochs=100, seed=0)
WORKLOADS: dict[str, tuple[str, Config]] = {
    "W1": ("moons, 2-16-16-1, batch 32, 100 epochs", W1),
    "W2": ("moons, 2-16-16-1, full batch (800), 1000 epochs", W1.replace(batch_size=800, epochs=1000)),
    "W3": ("teacher, 16-64-5, batch 128, 25 epochs",
           Config(dataset="teacher", n_samples=3000, noise=0.0, test_fraction=0.2, hidden=(64,),
                  activation="relu", optimizer="adam", lr=1e-3, batch_size=128, epochs=25, seed=0)),
}
QUICK_W2_EPOCHS = 200
ACC_GAP = 0.03  # playground this far below a reference's test accuracy gets a note
NOISY = 1.5  # slowest / fastest repeat of one implementation above this gets a note

Impl = Callable[[Config, Data], float]  # trains, returns the final test accuracy


# ---- the three implementations ---------------------------------------------------------------
def run_playground(cfg: Config, data: Data) -> float:
    run = train(cfg, data=data)
    if run.status != "finished":
        raise RuntimeError(f"playground run ended with status {run.status!r}: {run.message}")
    return run.history["test_acc"][-1]


def _targets(y: np.ndarray, binary: bool) -> torch.Tensor:
    if binary:
        return torch.as_tensor(y, dtype=torch.float32).reshape(-1, 1)
    return torch.as_tensor(y, dtype=torch.long)


def _sequential(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
        layers += [nn.Linear(n_in, n_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-2], sizes[-1]))


def run_tutorial(cfg: Config, data: Data) -> float:
    binary = data.task == "binary"
    X_train = torch.from_numpy(data.transform(data.X_train))
    loader = DataLoader(TensorDataset(X_train, _targets(data.y_train, binary)),
                        batch_size=cfg.batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(cfg.seed))
    torch.manual_seed(cfg.seed)
    model = _sequential(cfg.sizes)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    loss_fn = nn.BCEWithLogitsLoss() if binary else nn.CrossEntropyLoss()
    for _epoch in range(cfg.epochs):
        running = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            running += loss.item()
    with torch.no_grad():
        out = model(torch.from_numpy(data.transform(data.X_test)))
    guess = (out[:, 0] > 0).long() if binary else out.argmax(1)
    return (guess.numpy() == data.y_test).mean().item()


def run_sklearn(cfg: Config, data: Data) -> float:
    clf = MLPClassifier(hidden_layer_sizes=cfg.hidden, activation="relu", solver="adam",
                        learning_rate_init=cfg.lr, batch_size=cfg.batch_size,
                        max_iter=cfg.epochs, tol=0.0, n_iter_no_change=10**9,
                        early_stopping=False, alpha=0.0, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(data.transform(data.X_train), data.y_train)
    return clf.score(data.transform(data.X_test), data.y_test)


IMPLS: dict[str, Impl] = {"playground": run_playground, "tutorial": run_tutorial,
                          "sklearn": run_sklearn}


# ---- timing ----------------------------------------------------------------------------------
def timed(impl: Impl, cfg: Config, data: Data) -> tuple[float, float]:
    start = time.perf_counter()
    acc = impl(cfg, data)
    return time.perf_counter() - start, acc


def bench_workload(cfg: Config, repeats: int) -> dict[str, dict]:
    """Warm up each implementation, then time them round-robin `repeats` times."""
    data = load_data(cfg)
    for impl in IMPLS.values():
        impl(cfg.replace(epochs=1), data)  # warm-up: first calls pay one-off costs
    times: dict[str, list[float]] = {name: [] for name in IMPLS}
    accs: dict[str, float] = {}
    for _rep in range(repeats):
        for name, impl in IMPLS.items():
            seconds, accs[name] = timed(impl, cfg, data)
            times[name].append(seconds)
    return {name: {"times": times[name], "median": statistics.median(times[name]),
                   "acc": accs[name]} for name in IMPLS}


# ---- reporting -------------------------------------------------------------------------------
def ratio_range(res: dict[str, dict], ref: str) -> str:
    ratios = [r / p for r, p in zip(res[ref]["times"], res["playground"]["times"])]
    return f"{min(ratios):.2f}-{max(ratios):.2f}"


def print_block(key: str, title: str, cfg: Config, res: dict[str, dict]) -> None:
    print(f"\n## {key}: {title}  ({cfg.n_train} train points, {len(res['playground']['times'])} "
          "repeats)")
    for name, r in res.items():
        runs = " ".join(f"{t:.3f}" for t in r["times"])
        print(f"  {name:<11} median {r['median']:7.3f} s   test acc {r['acc']:.4f}   runs: {runs}")
        if max(r["times"]) > NOISY * min(r["times"]):
            print(f"  NOTE: {name}'s repeats differ {max(r['times']) / min(r['times']):.1f}x: the "
                  "machine was busy; distrust these ratios, rerun (or try --threads 1)")
    for ref in ("tutorial", "sklearn"):
        ratio = res[ref]["median"] / res["playground"]["median"]
        print(f"  {ref} / playground time: {ratio:.2f}x (> 1: playground is faster; "
              f"per-repeat ratios {ratio_range(res, ref)})")
        gap = res[ref]["acc"] - res["playground"]["acc"]
        if gap > ACC_GAP:
            print(f"  NOTE: playground test accuracy {res['playground']['acc']:.4f} is {gap:.4f} "
                  f"below {ref}'s {res[ref]['acc']:.4f}")


def markdown_table(rows: list[tuple[str, dict[str, dict]]]) -> str:
    lines = ["| workload | playground (s) | tutorial loop (s) | scikit-learn (s) "
             "| × faster than tutorial | × faster than scikit-learn "
             "| test acc playground / tutorial / sklearn |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for label, res in rows:
        p, t, s = (res[name] for name in ("playground", "tutorial", "sklearn"))
        lines.append(f"| {label} | {p['median']:.3f} | {t['median']:.3f} | {s['median']:.3f} "
                     f"| {t['median'] / p['median']:.2f}× | {s['median'] / p['median']:.2f}× "
                     f"| {p['acc']:.3f} / {t['acc']:.3f} / {s['acc']:.3f} |")
    return "\n".join(lines)


# ---- command line ----------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per "
                        "implementation and workload (default 5, or 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="2 repeats and W2 with "
                        f"{QUICK_W2_EPOCHS} epochs, for fast iteration")
    parser.add_argument("--only", default=",".join(WORKLOADS), help="comma-separated "
                        "workloads to run, e.g. W1,W3")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N) "
                        "before timing (default: leave torch's setting)")
    args = parser.parse_args(argv)
    args.only = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in args.only if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def workload(key: str, quick: bool) -> tuple[str, Config]:
    title, cfg = WORKLOADS[key]
    if quick and key == "W2":
        title = title.replace(f"{cfg.epochs} epochs", f"{QUICK_W2_EPOCHS} epochs (--quick)")
        cfg = cfg.replace(epochs=QUICK_W2_EPOCHS)
    return title, cfg


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(f"torch {torch.__version__}, torch.get_num_threads() = {torch.get_num_threads()}, "
          f"repeats = {args.repeats}{' (--quick)' if args.quick else ''}")
    rows = []
    for key in args.only:
        title, cfg = workload(key, args.quick)
        res = bench_workload(cfg, args.repeats)
        print_block(key, title, cfg, res)
        rows.append((f"{key}: {title}", res))
    print("\n" + markdown_table(rows))


if __name__ == "__main__":
    main()
