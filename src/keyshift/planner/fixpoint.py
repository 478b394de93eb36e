"""What one unit of a pass (a module body or a function) read and did, so the next pass can skip it.

A pass interprets every module body and every function against the previous pass's ``State``.
A unit's run depends only on its code and on what it reads: entries of the previous state, its
own module's globals as the pass has built them when it starts (module bodies run in the
current state), the default regions seen so far and the class hierarchy (itself read from the
previous state). When none of that changed since the unit last ran, running it again would do
exactly what it did then, so the pass replays what the unit wrote instead (``UnitLog.writes``,
in order) and keeps what it recorded (calls, gaps, key uses). A fixpoint of many passes then
costs about one pass plus the units whose inputs still move.

Read keys (``UnitLog.reads``) name one entry each:

- ``("n", module, name)`` a module global, ``("l", function, name)`` an enclosing function's local,
- ``("p", (function, parameter))``, ``("r", function)``, ``("a", (class, site, attribute))``,
- ``("aa", class, attribute)`` an attribute over every construction site of the class,
- ``("s", function)`` the call sites of a function, ``("first",)`` whether the state is empty.
"""

from __future__ import annotations

from typing import Any

from keyshift.planner.records import ApiCall, State, Unresolved
from keyshift.planner.values import Origin, Values

# write operations a unit logs (``UnitLog.writes``), replayed in order by ``Analyzer.replay``
NAME, PARAM, RETURN, ATTR, SITE, TOUCH, HIERARCHY = range(7)
Write = tuple[Any, ...]


class UnitLog:
    """One unit's last run: what it read, wrote and recorded (see the module docstring)."""

    __slots__ = (
        "calls",
        "env_start",
        "errors",
        "hierarchy",
        "locals",
        "outside",
        "reads",
        "regions",
        "regions_start",
        "sessions",
        "unresolved",
        "writes",
    )

    def __init__(self, regions_start: int = 0, env_start: dict[str, Values] | None = None) -> None:
        self.reads: set[tuple[Any, ...]] = set()
        self.writes: list[Write] = []
        self.locals: dict[str, Values] | None = None  # a function's own ``State.locals`` entry
        self.env_start = env_start  # a module body: its globals in the current state at its start
        self.regions = False  # read the default regions (their number at its start: below)
        self.regions_start = regions_start
        self.hierarchy = False  # used the class hierarchy
        self.errors: list[str] = []
        # what it recorded, made when it records something (most units record nothing)
        self.calls: set[ApiCall] | None = None
        self.unresolved: set[Unresolved] | None = None
        self.sessions: set[tuple[str, Origin]] | None = None
        self.outside: set[tuple[str, int, str, str]] | None = None


def compact(writes: list[Write]) -> list[Write]:
    """The same writes with each entry written once, where it was first written (its values
    unioned): merges are unions, so the state they leave is the same, in the same key order.
    A function body runs twice per context, so most of its writes repeat."""
    out: list[Write] = []
    at: dict[tuple[Any, ...], int] = {}
    for write in writes:
        kind = write[0]
        key = write[:3] if kind in (NAME, SITE) else write[:2]
        index = at.get(key)
        if index is None:
            at[key] = len(out)
            out.append(write)
        elif kind == SITE:
            merged = dict(out[index][3])
            for name, values in write[3]:
                merged[name] = merged[name] | values if name in merged else values
            out[index] = (SITE, write[1], write[2], tuple(merged.items()))
        elif kind not in (TOUCH, HIERARCHY):
            out[index] = (*write[:-1], out[index][-1] | write[-1])
    return out


def _table(changed: set[tuple[Any, ...]], tag: str, old: dict[Any, Any], new: dict[Any, Any]) -> None:
    for key in old.keys() | new.keys():
        before, after = old.get(key), new.get(key)
        if before is not after and before != after:
            changed.add((tag, key))


def _nested(
    changed: set[tuple[Any, ...]], tag: str, old: dict[Any, dict[str, Any]], new: dict[Any, dict[str, Any]]
) -> None:
    for outer in old.keys() | new.keys():
        before, after = old.get(outer) or {}, new.get(outer) or {}
        if before is after or before == after:
            continue
        for name in before.keys() | after.keys():
            was, now = before.get(name), after.get(name)
            if was is not now and was != now:
                changed.add((tag, outer, name))


def changed_keys(old: State, new: State) -> set[tuple[Any, ...]]:
    """The read keys whose value differs between two states (the next pass reads ``new``)."""
    changed: set[tuple[Any, ...]] = set()
    _nested(changed, "n", old.names, new.names)
    _nested(changed, "l", old.locals, new.locals)
    _table(changed, "p", old.params, new.params)
    _table(changed, "r", old.returns, new.returns)
    _table(changed, "s", old.sites, new.sites)
    for key in old.attrs.keys() | new.attrs.keys():
        before, after = old.attrs.get(key), new.attrs.get(key)
        if before is not after and before != after:
            changed.add(("a", key))
            changed.add(("aa", key[0], key[2]))
    if bool(old.params or old.sites) != bool(new.params or new.sites):
        changed.add(("first",))
    return changed
