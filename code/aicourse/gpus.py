"""Measuring matrix-multiplication speed: what lecture 05's figure and notebook both run.

Kept apart from the experiment so that a notebook can import it without the site's figure style.
"""

from __future__ import annotations

import platform
import time

import torch


def cpu_name() -> str:
    """The CPU model as the operating system reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return " ".join(line.split(":", 1)[1].split())
    except OSError:
        pass
    return platform.processor() or platform.machine() or "CPU"


def matmul_gflops(n: int, device: str, repeats: int) -> float:
    """Best-of-``repeats`` throughput of an n×n float32 matrix product, in GFLOP/s (2n³ operations)."""
    gen = torch.Generator().manual_seed(n)
    a = torch.randn(n, n, generator=gen).to(device)
    b = torch.randn(n, n, generator=gen).to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    a @ b  # warm-up: the first call pays for setting things up
    sync()
    inner = max(1, int(2e8 // (2 * n**3)))  # small products are repeated so the clock can see them
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(inner):
            a @ b
        sync()  # a GPU works asynchronously: wait until it has really finished
        best = min(best, (time.perf_counter() - start) / inner)
    return 2 * n**3 / best / 1e9
