"""Settings files the code reads at run time: ``json.load(open("/app/common/config.json"))``.

Small services often keep their bucket, queue and region names in a JSON or YAML file of the
repository and read it at start-up; the values are then literals the planner can scope grants
to. The file is found by the path the code opens: a repository file whose path is the longest
tail of it (the container's ``/app/common/config.json`` is the repository's
``common/config.json``), or the path relative to the reading module's folder. Only regular
files inside the repository, at most ``MAX_BYTES``, are read (never through a symlink), and
only their literal strings, numbers and nesting up to ``MAX_DEPTH`` become values.
"""

from __future__ import annotations

import json
import os
import stat
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from keyshift.planner.values import Const, DictV, ListV, Value

MAX_BYTES = 256 * 1024
MAX_DEPTH = 6
MAX_ITEMS = 2_000
_SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def load(root: Path, module: str, opened: str) -> Value | None:
    """The literal content of the repository file ``opened`` names, read from ``module``."""
    kind = _SUFFIXES.get(PurePosixPath(opened).suffix.lower())
    if kind is None or "\x00" in opened:
        return None
    found = _find(root, module, opened)
    return None if found is None else _read(str(root), found, kind)


def _find(root: Path, module: str, opened: str) -> str | None:
    parts = [p for p in PurePosixPath(opened).parts if p not in ("/", ".")]
    if ".." in parts or not parts:
        return None
    here = [p for p in PurePosixPath(module).parent.parts if p != "."]
    candidates = ["/".join(here + parts)] if not opened.startswith("/") else []
    candidates += ["/".join(parts[i:]) for i in range(len(parts))]
    for candidate in candidates:
        try:
            info = os.lstat(root / candidate)
        except (OSError, ValueError):
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_BYTES and _inside(root, candidate):
            return candidate
    return None


def _inside(root: Path, relpath: str) -> bool:
    """No folder on the way is a symlink (the file itself was checked with lstat)."""
    current = root
    for part in PurePosixPath(relpath).parts[:-1]:
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return False
        except OSError:
            return False
    return True


@lru_cache(maxsize=256)
def _read(root: str, relpath: str, kind: str) -> Value | None:
    try:
        text = (Path(root) / relpath).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    try:
        if kind == "json":
            data = json.loads(text)
        else:
            import yaml  # type: ignore[import-untyped]

            data = yaml.safe_load(text)
    except Exception:
        return None
    budget = [MAX_ITEMS]
    return _value(data, 0, budget)


def _value(data: Any, depth: int, budget: list[int]) -> Value | None:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        return None
    if isinstance(data, bool) or data is None:
        return None
    if isinstance(data, str | int | float):
        return Const(str(data))
    if isinstance(data, dict):
        items = []
        for key, inner in data.items():
            value = _value(inner, depth + 1, budget)
            if isinstance(key, str) and value is not None:
                items.append((key, frozenset({value})))
        return DictV(tuple(sorted(items, key=lambda kv: kv[0])))
    if isinstance(data, list):
        values = [v for v in (_value(item, depth + 1, budget) for item in data) if v is not None]
        return ListV(frozenset(values))
    return None
