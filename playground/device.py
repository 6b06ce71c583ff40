"""Where and how a run computes: the CPU or CUDA (`device="auto"` picks by the work per step), on
how many CPU threads, in which float type, with denormal floats flushed to zero. Tiny networks
are launch-bound: their cost is per call, not per number."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from .config import Config

# `device="auto"` trains on CUDA only from this many floating-point operations per step
# (about 6 x batch x weights). Small networks are launch-bound on a GPU: on an H100 the moons
# workload (2-16-16-1, batch 32: 6e4 per step) ran 3x slower on CUDA than on the CPU, while a
# 64-512-512-10 network at batch 1024 (2e9 per step) ran 29x faster.
AUTO_CUDA_FLOPS = 2e7


def flops_per_step(config: Config) -> float:
    sizes = config.sizes
    weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    return 6.0 * min(config.batch_size, config.n_train) * weights


def choose_device(config: Config) -> torch.device:
    if config.engine == "numpy":
        return torch.device("cpu")
    if config.device != "auto":
        return torch.device(config.device)
    big = flops_per_step(config) >= AUTO_CUDA_FLOPS
    return torch.device("cuda" if big and torch.cuda.is_available() else "cpu")


def dtype_for(config: Config) -> torch.dtype:
    """The float type of a run's weights, data and arithmetic (every engine reads it here)."""
    return torch.float64 if config.precision == "float64" else torch.float32


@contextlib.contextmanager
def cpu_threads_for(config: Config, device: torch.device, models: int = 1) -> Iterator[None]:
    """Train small networks (or a small stack of `models` alike) on one CPU thread.

    Their tensors are too small to split, yet some kernels (fused Adam, reductions) still hand
    work to a second thread on every call; when another process holds that core the call waits
    for it. Measured on the moons benchmark (2-16-16-1, batch 32) with one core kept busy:
    0.16 s on one thread against 2-3 s on two.
    """
    if device.type != "cpu" or models * flops_per_step(config) >= AUTO_CUDA_FLOPS:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def flush_denormals() -> Iterator[None]:
    """Flush denormal floats to zero on this thread while training, then restore the setting.

    Adam's running averages of a dead unit's zero gradients decay into denormals, on which each
    CPU operation runs 10-50x slower (deep Adam nets trained ~4x slower); flushed, they shift no
    weight by more than ~1e-30. A no-op where the CPU cannot flush.
    """
    before = denormals_flushed()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(before)


def denormals_flushed() -> bool:
    """Whether this thread flushes denormals (torch has no getter: a product that should be a
    denormal comes out 0)."""
    return (torch.tensor(1e-300, dtype=torch.float64) * 1e-20).item() == 0.0
