"""Unit tests for the throughput measurement of lecture 05."""

import torch

from aicourse.gpus import cpu_name, matmul_gflops


def test_cpu_name_is_a_non_empty_string():
    name = cpu_name()
    assert isinstance(name, str) and name.strip()


def test_matmul_gflops_is_positive_and_consistent_with_a_timed_product(monkeypatch):
    # With a fake clock that advances 1 s per reading, one product takes exactly 1 s / inner:
    # the result must then be 2n³·inner / 1e9.
    import aicourse.gpus as g

    ticks = iter(range(10_000))
    monkeypatch.setattr(g.time, "perf_counter", lambda: float(next(ticks)))
    n = 512
    inner = max(1, int(2e8 // (2 * n**3)))
    assert abs(matmul_gflops(n, "cpu", repeats=2) - 2 * n**3 * inner / 1e9) < 1e-9


def test_real_measurement_is_finite_and_positive():
    torch.manual_seed(0)
    value = matmul_gflops(64, "cpu", repeats=1)
    assert 0 < value < 1e6
