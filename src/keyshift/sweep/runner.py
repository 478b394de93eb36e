"""Run the per-repository tasks: local worker processes by default, or a Dask distributed cluster.

Outcomes arrive in completion order and are handed to ``on_done`` as they come (progress bar,
counts). A worker process that dies (out of memory, killed) fails every task still in the
pool; those run again in a fresh pool, and any lost a second time run alone in a one-worker pool,
so only the repository that kills its own worker is reported as an error and the others finish.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from keyshift.errors import KeyshiftError
from keyshift.sweep.task import RepoTask, run_task

Outcome = dict[str, Any]


def _died(task: RepoTask) -> Outcome:
    return {
        "name": task.source.name,
        "location": task.source.location,
        "status": "error",
        "error": "the worker process died while scanning this repository",
        "cached": False,
        "seconds": 0.0,
    }


def run_local(
    tasks: Sequence[RepoTask], workers: int, on_done: Callable[[Outcome], None] = lambda _: None
) -> list[Outcome]:
    """Every task on ``workers`` processes (``workers == 1``: in this process, no pool)."""
    outcomes: list[Outcome] = []
    if workers <= 1:
        for task in tasks:
            outcome = run_task(task)
            outcomes.append(outcome)
            on_done(outcome)
        return outcomes
    # import the pipeline once here, so every forked worker starts warm instead of importing it itself
    import keyshift.migrate.pipeline  # noqa: F401

    broken = _pool_round(tasks, workers, outcomes, on_done)
    if broken:  # a dead worker fails every queued task too: most of them finish in a second round
        broken = _pool_round(broken, workers, outcomes, on_done)
    # a dead worker fails every task in flight with it; retry each alone to find the one that kills
    for task in sorted(broken, key=lambda t: t.source.name):
        with ProcessPoolExecutor(max_workers=1) as single:
            try:
                outcome = single.submit(run_task, task).result()
            except BrokenProcessPool:
                outcome = _died(task)
        outcomes.append(outcome)
        on_done(outcome)
    return outcomes


def _pool_round(
    tasks: Sequence[RepoTask], workers: int, outcomes: list[Outcome], on_done: Callable[[Outcome], None]
) -> list[RepoTask]:
    """Run ``tasks`` on a fresh pool; returns those lost to a broken pool."""
    broken: list[RepoTask] = []
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
        futures: dict[Future[Outcome], RepoTask] = {pool.submit(run_task, t): t for t in tasks}
        remaining = set(futures)
        while remaining:
            done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
            for fut in done:
                try:
                    outcome = fut.result()
                except BrokenProcessPool:
                    broken.append(futures[fut])
                    continue
                outcomes.append(outcome)
                on_done(outcome)
    return broken


def run_dask(
    tasks: Sequence[RepoTask],
    address: str,
    on_done: Callable[[Outcome], None] = lambda _: None,
    timeout: float = 30.0,
) -> list[Outcome]:
    """The same tasks on an existing Dask distributed scheduler at ``address``."""
    try:
        from distributed import Client, as_completed  # type: ignore[import-not-found]
    except ImportError as exc:
        raise KeyshiftError(
            "--dask needs the 'distributed' package: pip install 'dask[distributed]'"
        ) from exc
    try:
        client = Client(address, timeout=timeout)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise KeyshiftError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    outcomes: list[Outcome] = []
    try:
        futures = client.map(
            run_task, list(tasks), pure=False, key=[f"keyshift-{t.source.name}" for t in tasks]
        )
        names = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        for fut in as_completed(futures):  # type: ignore[no-untyped-call]
            try:
                outcome = fut.result()
            except Exception:  # a lost worker: the repository is reported, the sweep goes on
                outcome = _died(names[fut.key])
            outcomes.append(outcome)
            on_done(outcome)
    finally:
        client.close()  # type: ignore[no-untyped-call]
    return outcomes


def default_workers() -> int:
    return os.cpu_count() or 1
