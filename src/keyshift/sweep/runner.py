"""Run the per-repository tasks: local worker processes by default, or a Dask distributed cluster.

Outcomes arrive in completion order and are handed to ``on_done`` as they come (progress bar,
counts); the final list is sorted by name so the summary never depends on scheduling. A worker
process that dies (out of memory, killed) breaks only the tasks it was running: they are retried
in a fresh pool, and a repository that kills workers twice is reported as an error.
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
_MAX_CRASHES = 2


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

    pending = list(tasks)
    crashes: dict[str, int] = {}
    while pending:
        broken: list[RepoTask] = []
        with ProcessPoolExecutor(max_workers=min(workers, len(pending))) as pool:
            futures: dict[Future[Outcome], RepoTask] = {pool.submit(run_task, t): t for t in pending}
            remaining = set(futures)
            while remaining:
                done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                for fut in done:
                    task = futures[fut]
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        broken.append(task)
                        continue
                    outcomes.append(outcome)
                    on_done(outcome)
        pending = []
        for task in broken:
            crashes[task.source.name] = crashes.get(task.source.name, 0) + 1
            if crashes[task.source.name] >= _MAX_CRASHES:
                outcome = _died(task)
                outcomes.append(outcome)
                on_done(outcome)
            else:
                pending.append(task)
    return outcomes


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
