"""Read every unit on a process pool, merge the partials, follow temporary-key chains.

Units are submitted through a bounded window, so a tar of a month of trail never has more than a
few members in flight and memory stays flat. Chains need a second look: an ``AssumeRole`` made
with a wanted key names a temporary key whose calls may sit in any later file; those keys are
wanted in a further round, over the files of the days the session could live (36 hours at
most for ``GetSessionToken``), until no new key appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from keyshift import pool
from keyshift.trail.fold import Partial, merge, new_partial, note_issue
from keyshift.trail.sources import Limits, Unit, fast_available, read_unit, units

_INLINE_BYTES = 8 << 20
_DAY = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/[^/]*$")
_ROUNDS = 4


def read_all(
    paths: list[Path],
    wanted: frozenset[str] | None,
    *,
    jobs: int = 0,
    limits: Limits = Limits(),
    app_logs: list[Path] | None = None,
) -> Partial:
    """Every record below ``paths`` folded into one partial (chains of wanted keys followed).

    ``app_logs`` are read as application logs whatever their names.
    """
    skipped: list[tuple[str, str]] = []
    logs = list(app_logs or ())

    def todo(sink: list[tuple[str, str]]) -> Iterator[Unit]:
        # a generator, never a list: members of a compressed tar carry their bytes
        yield from units(paths, sink)
        yield from (replace(u, log=True) for u in units(logs, sink))

    total = new_partial()
    merge(total, _pool(todo(skipped), wanted, jobs, limits))
    total["skipped"] = skipped + total["skipped"]
    if wanted is None:
        return total
    have = set(wanted)
    for _ in range(_ROUNDS):
        fresh = {temp: v for temp, v in total["issued"].items() if temp not in have}
        if not fresh:
            break
        have |= fresh.keys()
        days = _days(v[2] for v in fresh.values())
        again = (u for u in todo([]) if not u.log and _in_days(u, days))
        extra = _pool(again, frozenset(fresh), jobs, limits)
        # the second look reads files already counted: keep only what it adds about the new keys
        total["keys"].update(extra["keys"])
        for temp, entry in extra["issued"].items():
            note_issue(total["issued"], temp, entry)
        for name, reason in extra["skipped"]:
            if (name, reason) not in total["skipped"]:
                total["skipped"].append((name, reason))
    return total


def _days(times: Iterable[str]) -> set[str] | None:
    out: set[str] = set()
    for t in times:
        try:
            d = date.fromisoformat(t[:10])
        except ValueError:
            return None  # unknown issue time: look everywhere
        out |= {(d + timedelta(days=i)).strftime("%Y/%m/%d") for i in range(3)}
    return out


def _in_days(unit: Unit, days: set[str] | None) -> bool:
    if days is None:
        return True
    m = _DAY.search(unit.name.replace("\\", "/"))
    return m is None or "/".join(m.groups()) in days


def _size(unit: Unit) -> int:
    return max(unit.size, 0) if unit.data is None else len(unit.data)


def _pool(todo: Iterable[Unit], wanted: frozenset[str] | None, jobs: int, limits: Limits) -> Partial:
    """Read the units in-process when they are few and small, else on the pool, a few batches
    per worker in flight (``keyshift.pool``), folding each batch's partial as it comes."""
    total = new_partial()
    tasks = ((batch, wanted, limits) for batch in _batches(todo))
    window = 3 * pool.workers(jobs)
    parts = pool.imap(
        _read_task, tasks, jobs=jobs, inline_below=_INLINE_BYTES, weight=_task_bytes, window=window
    )
    for part in parts:
        merge(total, part)
    return total


def _task_bytes(task: tuple[list[Unit], frozenset[str] | None, Limits]) -> int:
    return sum(_size(unit) for unit in task[0])


def _batches(todo: Iterable[Unit]) -> Iterator[list[Unit]]:
    """Groups of small files (fewer round trips); a tar member with its bytes travels alone."""
    per = 32
    batch: list[Unit] = []
    for unit in todo:
        if unit.data is not None:
            yield [unit]
            continue
        batch.append(unit)
        if len(batch) >= per:
            yield batch
            batch = []
    if batch:
        yield batch


def _read_task(task: tuple[list[Unit], frozenset[str] | None, Limits]) -> Partial:
    batch, wanted, limits = task
    total = new_partial()
    rest = batch
    if wanted is None and fast_available():
        from keyshift.trail.batch import read_batch

        rest = read_batch(batch, limits, total)
    for unit in rest:
        merge(total, read_unit(unit, wanted, limits))
    return total
