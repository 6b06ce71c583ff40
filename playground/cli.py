"""The command line: `python -m playground train --dataset spiral --hidden 8,8 --epochs 300`.

`train` has one option per Config field, made from the FIELDS table (its help, limits and
default), and parses them with `Config.from_query`, so the syntax is the page's URL syntax:
lists are comma-separated (`--hidden 8,8`; `--hidden ""` for no hidden layer), booleans are
true/false. `datasets` lists the datasets; `export` prints a standalone PyTorch script.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import textwrap
import time
from pathlib import Path
from typing import TextIO

from .config import (
    FIELDS,
    GROUPS,
    MAX_SETUP_BYTES,
    Config,
    ConfigError,
    _describe_allowed,
    _to_text,
    read_setup,
)
from .datasets import DATASETS
from .nn.metrics import score

PROG = "python -m playground"
PROGRESS_INTERVAL_S = 0.1  # redraw the progress bar at most ten times a second


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 diverged, 2 bad usage or settings)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as e:
        print(f"{PROG} {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    fields_by_group = "\n".join(textwrap.fill(
        f"{g}: " + ", ".join(n for n, f in FIELDS.items() if f.metadata["group"] == g), 78,
        initial_indent="  ", subsequent_indent="    ") for g in GROUPS)
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="MLP Playground on the command line: train a small neural network on toy "
                    "data and print its metrics.",
        epilog=f"settings (options of `train` and `export`, e.g. --hidden 8,8):\n{fields_by_group}"
               f"\n\nexample:\n  {PROG} train --dataset spiral --hidden 8,8 --optimizer adam \\\n"
               "      --lr 0.01 --epochs 300 --out runs/spiral")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    train = commands.add_parser("train", help="train a network and print its final metrics",
                                description="Train a network with the given settings; progress "
                                            "goes to stderr, the final metrics to stdout.")
    _add_config_options(train)
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument("--out", metavar="DIR", help="save history.csv, config.json, weights.pt "
                       "(the model's state_dict), the figures model.png, loss.png and "
                       "accuracy.png (r2.png) and script.py (a standalone script) there")
    train.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    train.set_defaults(run=_train)
    export = commands.add_parser("export", help="print a standalone PyTorch training script",
                                 description="Print a script that trains the same network on the "
                                             "same data with plain PyTorch (numpy and torch only).")
    _add_config_options(export)
    export.set_defaults(run=_export)
    commands.add_parser("datasets", help="list the datasets").set_defaults(run=_datasets)
    return parser


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE.json",
                        help="start from the settings in this JSON file (as config.json from "
                             "--out); options given here override them")
    parser.add_argument("--tfplayground", metavar="LINK",
                        help="start from the set-up of this TensorFlow Playground link (quote "
                             "it: it holds '&'); what differs here is listed on stderr; options "
                             "given here override it")
    for group in GROUPS:
        options = parser.add_argument_group(f"{group.lower()} settings")
        for name, f in FIELDS.items():
            if f.metadata["group"] != group:
                continue
            flags = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
            default = _to_text(f.default) or '""'
            allowed = _describe_allowed(f)
            text = f"{f.metadata['help']} {allowed[0].upper()}{allowed[1:]}; default {default}."
            options.add_argument(*flags, dest=name, default=None, metavar=_metavar(f),
                                 help=text.replace("%", "%%"),
                                 **({"nargs": "?", "const": "true"} if f.type == "bool" else {}))


def _metavar(f) -> str:
    if f.type == "bool":
        return "true|false"
    if f.metadata["choices"] and f.type == "str":
        return "NAME"
    if f.type == "str":
        return "TEXT"
    return "LIST" if f.type.startswith("tuple") else ("N" if f.type == "int" else "X")


def config_from_args(args: argparse.Namespace) -> Config:
    """The --config file's settings (if any), overridden by the options given; ConfigError if bad."""
    params: dict[str, str] = {}
    if args.config:
        try:
            with open(args.config, "rb") as f:
                raw = f.read(MAX_SETUP_BYTES + 1)  # enough to know it is too large
        except OSError as e:
            raise ConfigError({"config": f"cannot read {args.config}: {e.strerror}"}) from None
        try:
            params = read_setup(raw).to_query(full=True)
        except ConfigError as e:
            raise ConfigError({f"{args.config}: {k}": v for k, v in e.errors.items()}) from None
    if args.tfplayground:
        cfg, unmatched = Config.from_tfplayground(args.tfplayground)
        params = cfg.to_query(full=True)
        for item in unmatched:
            print(f"not the same here: {item}", file=sys.stderr)
    params.update({name: value for name in FIELDS if (value := getattr(args, name)) is not None})
    return Config.from_query(params)


class Progress:
    """A one-line progress bar redrawn in place with \\r, at most every PROGRESS_INTERVAL_S."""

    def __init__(self, epochs: int, stream: TextIO, width: int = 24):
        self.epochs, self.stream, self.width = epochs, stream, width
        self.first_epoch: int | None = None
        self.last_draw, self.drawn = float("-inf"), 0

    def __call__(self, run) -> None:
        if self.first_epoch is None:
            self.first_epoch = run.epoch - 1
        done = run.epoch - self.first_epoch
        now = time.monotonic()
        if done < self.epochs and now - self.last_draw < PROGRESS_INTERVAL_S:
            return
        self.last_draw = now
        filled = round(self.width * done / max(self.epochs, 1))
        key = score(run.task)[0]
        line = (f"epoch {run.epoch}/{self.first_epoch + self.epochs} "
                f"[{'#' * filled}{'.' * (self.width - filled)}] "
                f"loss {run.history['train_loss'][-1]:.4g} {key} {run.history[key][-1]:.4g}")
        self.stream.write("\r" + line.ljust(self.drawn))
        self.stream.flush()
        self.drawn = len(line)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def save_figures(run, out: Path) -> list[str]:
    """model.png (the boundary, function or projection), loss.png and accuracy.png (or r2.png)."""
    from .draw.figures import curves_image, main_view, metric_series

    series, name = metric_series(run.task)
    figures = {
        "model.png": main_view(run),
        "loss.png": curves_image(run.history, {"train_loss": "train loss",
                                               "test_loss": "test loss"}, ylabel="loss"),
        f"{'r2' if run.task == 'regression' else 'accuracy'}.png": curves_image(
            run.history, series, ylabel=name)}
    for filename, image in figures.items():
        image.save(out / filename)
    return list(figures)


def save_run(run, out: Path) -> list[str]:
    """Write history.csv, config.json, weights.pt, the figures and script.py into `out`; returns
    the names."""
    import torch

    from .export import to_script

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "history.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(run.history)
        writer.writerows(zip(*run.history.values(), strict=True))
    (out / "config.json").write_text(run.config.to_json() + "\n")
    # Own copies on the CPU: the live parameters are views into one flat tensor.
    state = {k: v.detach().cpu().clone() for k, v in run.model.state_dict().items()}
    torch.save(state, out / "weights.pt")
    written = ["history.csv", "config.json", "weights.pt", *save_figures(run, out)]
    try:
        (out / "script.py").write_text(to_script(run.config))
        written.append("script.py")
    except ValueError as e:
        print(f"note: no script.py: {e}", file=sys.stderr)
    return written


def _train(args: argparse.Namespace) -> int:
    from .train import train

    config = config_from_args(args)
    progress = None if args.quiet else Progress(config.epochs, sys.stderr)
    try:
        run = train(config, callback=progress)
    finally:
        if progress is not None:
            progress.close()
    if args.out:
        save_run(run, Path(args.out))
    if run.status == "diverged":
        print(run.message, file=sys.stderr)
        return 1
    if run.status == "early_stopped":
        print(run.message, file=sys.stderr)  # the model now holds the best epoch's weights
    metrics = {"status": run.status, **run.final}  # after early stopping: the best epoch's
    print(json.dumps(metrics) if args.json else format_metrics(metrics))
    return 0


def format_metrics(metrics: dict) -> str:
    """`final: epoch 100 train_loss 0.0783 test_loss 0.0441 train_acc 0.9675 test_acc 0.9850 ...`"""
    scores = " ".join(f"{k} {v:.4f}" for k, v in metrics.items()
                      if k not in ("status", "epoch", "lr", "steps", "seconds"))
    return (f"final: epoch {metrics['epoch']} {scores} "
            f"({metrics['steps']} steps in {metrics['seconds']:.2f} s)")


def _export(args: argparse.Namespace) -> int:
    from .export import to_script

    config = config_from_args(args)
    try:
        print(to_script(config), end="")
    except ValueError as e:
        print(f"{PROG} export: error: {e}", file=sys.stderr)
        return 2
    return 0


def _datasets(args: argparse.Namespace) -> int:
    width = max(map(len, DATASETS)) + 2
    for name, spec in DATASETS.items():
        shape = f"{spec.task}, {spec.dim}-D"
        print(f"{name:<{width}}{shape:<18}{spec.help}")
    return 0
