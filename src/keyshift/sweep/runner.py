"""Run the per-repository tasks: local worker processes by default, or a Dask distributed cluster.

Outcomes arrive in completion order and are handed to ``on_done`` as they come (progress bar,
counts). A worker process that dies (out of memory, killed) fails every task still in the
pool; those run again in a fresh pool, and any lost a second time run alone in a one-worker pool,
so only the repository that kills its own worker is reported as an error and the others finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from keyshift import pool
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

    def finish(outcome: Outcome | None) -> None:
        if outcome is not None:
            outcomes.append(outcome)
            on_done(outcome)

    if workers <= 1:
        for task in tasks:
            finish(run_task(task))
        return outcomes
    broken = _pool_round(tasks, workers, finish)
    if broken:  # a dead worker fails every queued task too: most of them finish in a second round
        broken = _pool_round(broken, workers, finish)
    # a dead worker fails every task in flight with it; retry each alone to find the one that kills
    for task in sorted(broken, key=lambda t: t.source.name):
        for outcome in pool.imap(run_task, [task], jobs=1, isolate=True, lost=_died):
            finish(outcome)
    return outcomes


def _warm() -> None:
    """Import the pipeline once here, so every forked worker starts warm instead of importing it."""
    import keyshift.migrate.pipeline  # noqa: F401


def _pool_round(
    tasks: Sequence[RepoTask], workers: int, finish: Callable[[Outcome | None], None]
) -> list[RepoTask]:
    """Run ``tasks`` on a fresh pool, outcomes in completion order; returns those lost to a broken pool."""
    broken: list[RepoTask] = []

    def lose(task: RepoTask) -> Outcome | None:
        broken.append(task)
        return None

    jobs = max(1, min(workers, len(tasks)))
    for outcome in pool.imap(run_task, tasks, jobs=jobs, inline_below=1, isolate=True, lost=lose, warm=_warm):
        finish(outcome)
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
    return pool.workers(0)
