"""Which AWS API calls a repository's Python code makes, and with which client.

A whole-program abstract interpreter, in parts with one job each: ``statements`` (names and
statements of a scope), ``interp`` (Python values: attributes, calls, imports, classes),
``strings`` (names assembled from pieces), ``sdk`` (what boto3 objects do), ``envmodel``
(environment, framework entry points, keys leaving the SDK), ``program`` (modules, passes to a
fixpoint, guards), ``fixpoint`` (which units a pass can replay instead of running) and
``records`` (what is handed forward).
This module is the entry point the planner calls.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from keyshift.planner.program import Analyzer
from keyshift.planner.records import UNKNOWN, Analysis, ApiCall, Func, Unresolved

__all__ = [
    "UNKNOWN",
    "Analysis",
    "Analyzer",
    "ApiCall",
    "Func",
    "Unresolved",
    "analyze",
    "is_test_path",
    "iter_python_files",
]


def is_test_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1]
    return (
        any(p in ("tests", "test", "testing") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def analyze(
    root: Path, files: list[str], env_lookup: Any = None, trees: dict[str, ast.Module] | None = None
) -> Analysis:
    """Analyze ``files`` (repo-relative ``.py`` paths) under ``root``."""
    return Analyzer(root, files, env_lookup, trees).run()


def iter_python_files(paths: Iterable[str]) -> Iterator[str]:
    for path in paths:
        if path.endswith(".py") and not is_test_path(path):
            yield path
