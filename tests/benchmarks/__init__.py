"""Benchmarks: each figure is printed as a ratio against a baseline measured in the same run,
because these machines are noisy and absolute times drift. Run with `make bench`.

A benchmark module is `tests/benchmarks/bench_<topic>.py` with a `main()` that calls `report`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

RESULTS: list[tuple[str, float, float, float | None]] = []


def measure(fn: Callable[[], object], repeat: int = 7, number: int = 1) -> float:
    """Median seconds per call over `repeat` rounds of `number` calls (after one warm-up round)."""
    fn()
    rounds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - t0) / number)
    return statistics.median(rounds)


def report(name: str, value_s: float, baseline_s: float, target_ratio: float | None = None,
           baseline_name: str = "baseline") -> float:
    """Print one figure with its baseline and ratio; returns the ratio."""
    ratio = value_s / baseline_s if baseline_s else float("inf")
    verdict = "" if target_ratio is None else ("  OK" if ratio <= target_ratio else "  OVER TARGET")
    target = "" if target_ratio is None else f" (target <= {target_ratio:g}x)"
    print(f"{name}: {value_s * 1000:.2f} ms vs {baseline_name} {baseline_s * 1000:.2f} ms "
          f"= {ratio:.2f}x{target}{verdict}", flush=True)
    RESULTS.append((name, value_s, baseline_s, target_ratio))
    return ratio
