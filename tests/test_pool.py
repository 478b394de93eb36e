"""keyshift.pool: inline below the threshold, a bounded window above it, both orders, lost
items, workers that leave Ctrl-C to the parent and stop when the caller stops reading."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool

import pytest

from keyshift import pool


def square(n: int) -> int:
    return n * n


def pid(_: int) -> int:
    return os.getpid()


def slow_first(n: int) -> int:
    """The first item finishes last, so completion order differs from submission order."""
    if n == 0:
        time.sleep(0.3)
    return n


def dies_on_three(n: int) -> int:
    if n == 3:
        os._exit(1)
    return n


def sigint_ignored(_: int) -> bool:
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def reports(n: int) -> int:
    for _ in range(n):
        pool.report(10)
    return n


def reports_then_sleeps(n: int) -> float:
    """Reports before a long pause: the parent must hear of it during the pause."""
    pool.report(n)
    time.sleep(1.0)
    return time.monotonic()


def sleeps_after_first(n: int) -> int:
    if n > 0:
        time.sleep(30)
    return n


@pytest.mark.parametrize(
    ("jobs", "inline_below", "order"),
    [
        (1, 2, "completion"),
        (1, 2, "submission"),
        (2, 2, "completion"),
        (2, 2, "submission"),
        (2, 100, "submission"),  # below the threshold: inline
        (3, 1, "completion"),
    ],
)
def test_every_item_once(jobs: int, inline_below: int, order: pool.Order) -> None:
    got = list(pool.imap(square, range(20), jobs=jobs, inline_below=inline_below, order=order))
    if order == "submission":
        assert got == [n * n for n in range(20)]
    else:
        assert sorted(got) == [n * n for n in range(20)]


@pytest.mark.parametrize(
    ("jobs", "items", "inline_below", "inline"),
    [
        (1, 10, 1, True),  # one worker: never a pool
        (2, 3, 4, True),  # the stream ends below the threshold
        (2, 4, 4, False),  # reaches it
        (2, 1, 1, False),
    ],
)
def test_threshold_decides_inline(jobs: int, items: int, inline_below: int, inline: bool) -> None:
    pids = set(pool.imap(pid, range(items), jobs=jobs, inline_below=inline_below))
    assert (pids == {os.getpid()}) is inline


def test_weight_counts_toward_the_threshold() -> None:
    sizes = [10, 10, 10]
    pids = set(pool.imap(pid, sizes, jobs=2, inline_below=25, weight=lambda n: n))
    assert os.getpid() not in pids
    pids = set(pool.imap(pid, sizes, jobs=2, inline_below=31, weight=lambda n: n))
    assert pids == {os.getpid()}


def test_submission_order_whatever_finishes_first() -> None:
    got = list(pool.imap(slow_first, range(6), jobs=2, inline_below=1, order="submission"))
    assert got == list(range(6))
    got = list(pool.imap(slow_first, range(6), jobs=2, inline_below=1, order="completion"))
    assert got[-1] == 0 and sorted(got) == list(range(6))


def test_window_bounds_what_is_read_ahead() -> None:
    pulled = 0

    def items() -> Iterator[int]:
        nonlocal pulled
        for n in range(1000):
            pulled += 1
            yield n

    stream = pool.imap(square, items(), jobs=2, inline_below=1, window=3)
    next(stream)
    assert pulled <= 3
    stream.close()


def test_a_lost_item_goes_to_lost_or_raises() -> None:
    got = list(pool.imap(dies_on_three, range(6), jobs=2, inline_below=1, lost=lambda n: -n))
    assert -3 in got
    assert sorted(abs(n) for n in got) == list(range(6))
    with pytest.raises(BrokenProcessPool):
        list(pool.imap(dies_on_three, range(6), jobs=2, inline_below=1))


def test_isolate_uses_a_process_even_for_one_worker() -> None:
    assert list(pool.imap(dies_on_three, [3], jobs=1, isolate=True, lost=lambda n: -n)) == [-3]


def test_no_items_start_no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*_: object) -> Iterator[int]:
        raise AssertionError("a pool was started for nothing")

    monkeypatch.setattr(pool, "_pooled", no_pool)
    assert list(pool.imap(pid, [], jobs=2, isolate=True)) == []
    assert list(pool.imap(pid, [], jobs=2)) == []


def test_workers_leave_ctrl_c_to_the_parent() -> None:
    assert all(pool.imap(sigint_ignored, range(4), jobs=2, inline_below=1))
    assert signal.getsignal(signal.SIGINT) != signal.SIG_IGN


def test_closing_early_stops_busy_workers() -> None:
    before = _children()
    started = time.monotonic()
    stream = pool.imap(sleeps_after_first, range(100), jobs=2, inline_below=1, window=3)
    assert next(stream) == 0
    assert _children() - before  # the pool's workers are busy with 30-second items
    stream.close()  # what a KeyboardInterrupt in the caller's loop does too
    deadline = time.monotonic() + 10
    while not _children() <= before and time.monotonic() < deadline:
        time.sleep(0.05)  # a stopped worker is reaped a moment after its pool returns
    assert _children() <= before
    assert time.monotonic() - started < 15


@pytest.mark.parametrize(("jobs", "order"), [(1, "completion"), (2, "completion"), (2, "submission")])
def test_progress_reaches_the_caller(jobs: int, order: pool.Order) -> None:
    said: list[int] = []
    got = list(pool.imap(reports, range(8), jobs=jobs, inline_below=1, order=order, progress=said.append))
    assert sorted(got) == list(range(8))
    assert sum(said) == 10 * sum(range(8))


def test_progress_arrives_while_items_are_in_flight() -> None:
    heard: list[tuple[int, float]] = []
    stream = pool.imap(
        reports_then_sleeps,
        [5, 7],
        jobs=2,
        inline_below=1,
        progress=lambda n: heard.append((n, time.monotonic())),
        tick=0.05,
    )
    finished = min(stream)
    assert sum(n for n, _ in heard) == 12
    assert heard[0][1] < finished  # told before the first item even returned


def test_report_outside_imap_goes_nowhere() -> None:
    pool.report(5)  # no caller listening: nothing happens, nothing raises


def _children() -> set[int]:
    import multiprocessing

    return {p.pid for p in multiprocessing.active_children() if p.pid is not None}


@pytest.mark.parametrize(
    ("jobs", "expected"), [(3, 3), (1, 1), (0, os.cpu_count() or 1), (-1, os.cpu_count() or 1)]
)
def test_workers_from_jobs(jobs: int, expected: int) -> None:
    assert pool.workers(jobs) == expected
