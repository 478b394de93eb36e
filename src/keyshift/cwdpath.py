"""How a path is named to a person: relative to the current directory when under it, else absolute.

Stages keep paths relative to the root they scanned (that is what JSON, SARIF, baselines and
fingerprints hold, so they do not depend on where a command ran). Text printed on a terminal
is different: a reader copies ``orders/db.py:14`` into an editor or ``git add``, so every
command names a file the same way from wherever it is run, and ``scan`` and ``fix`` agree.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from keyshift.model import Finding, ScanResult, SourceKind

# sources whose paths are files under the scanned root (image paths live inside a layer,
# unreachable ones are blob IDs)
ON_DISK = (SourceKind.WORKTREE, SourceKind.DOCKERFILE, SourceKind.HISTORY)


def shown(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> str:
    """``path`` (relative to ``root`` when given) as the reader should see it, ``/``-separated."""
    full = os.path.abspath(os.path.join(root, path) if root is not None else path)
    try:
        rel = os.path.relpath(full)
    except ValueError:  # pragma: no cover - another drive on Windows
        return Path(full).as_posix()
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return Path(full).as_posix()
    return Path(rel).as_posix()


Key = tuple[SourceKind, str, int, int | None, str, str]


def _key(f: Finding) -> Key:
    loc = f.location
    return (f.source, loc.path, loc.line, loc.column, f.value_sha1, f.rule_id)


class Renamer:
    """Remembers, per scan root, how each finding's path is shown; applied to the merged result.

    The merged result has one root while ``scan a b`` scans two, and the baseline and pairing must
    see root-relative paths, so the names are taken from each source's result before the merge and
    put on the findings only when the report is rendered as text.
    """

    def __init__(self, results: Sequence[ScanResult]) -> None:
        self._findings: dict[Key, str] = {}
        self._skipped: dict[str, str] = {}
        for result in results:
            for f in (*result.findings, *result.suppressed):
                if f.source in ON_DISK and f.location.path:
                    self._findings.setdefault(_key(f), shown(PurePosixPath(f.location.path), result.root))
            for s in result.skipped:
                if not s.path.startswith(("blob ", "<")):
                    self._skipped.setdefault(s.path, shown(PurePosixPath(s.path), result.root))

    def result(self, result: ScanResult) -> ScanResult:
        """``result`` with finding and skipped paths named from the current directory."""
        return replace(
            result,
            findings=tuple(self._finding(f) for f in result.findings),
            suppressed=tuple(self._finding(f) for f in result.suppressed),
            skipped=tuple(replace(s, path=self._skipped.get(s.path, s.path)) for s in result.skipped),
        )

    def _finding(self, f: Finding) -> Finding:
        path = self._findings.get(_key(f))
        return f if path is None else replace(f, location=replace(f.location, path=path))
