"""One linear-time check for the hostile-shape tests: a shape built at n and 4n, timed in CPU
seconds (the shared machine's load does not count), with one longer retry before it fails."""

from __future__ import annotations

import time
from collections.abc import Callable

RATIO = 10.0  # for 4x the input: linear is ~4 (up to ~8 on a busy machine), quadratic ~16
FLOOR = 0.03  # seconds below which a run is too short to judge


def cpu(fn: Callable[[], object], runs: int = 2) -> float:
    """The best CPU time of ``runs`` calls of ``fn``."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def assert_linear(make: Callable[[int], Callable[[], object]], n: int) -> None:
    """``make(4 * n)`` costs at most ``RATIO`` times ``make(n)``."""
    small, large = make(n), make(4 * n)
    t_small, t_large = cpu(small), cpu(large)
    if t_large < FLOOR:
        return
    if t_large > RATIO * max(t_small, FLOOR / 4):  # one retry on a noisy machine
        t_small, t_large = cpu(small, 4), cpu(large, 4)
    assert t_large <= RATIO * max(t_small, FLOOR / 4), f"n: {t_small:.3f}s, 4n: {t_large:.3f}s"
