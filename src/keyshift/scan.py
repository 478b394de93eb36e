"""The working-tree scan: list files, scan them on every core, apply the policy.

Work is split into batches of files (by count and bytes) handed to worker processes through
``keyshift.pool``; a tree under 4 MiB is scanned in-process because starting workers would cost
more than the scan.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from keyshift import pool
from keyshift.config import Config
from keyshift.cwdpath import ON_DISK
from keyshift.detect.pairing import propagate
from keyshift.errors import KeyshiftError
from keyshift.model import Finding, ScanResult, Skipped
from keyshift.sources.worktree import FileResult, resolve_target, scan_file, walk_tree

_INLINE_BYTES = 4 * 1024 * 1024
_BATCH_FILES = 512
_BATCH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Batch:
    """Files for one worker round trip, with their bytes (the pool's measure of work)."""

    root: str
    rels: list[str]
    size: int
    max_size: int
    inline_ignores: bool


def _scan_batch(batch: _Batch) -> list[FileResult]:
    return [
        scan_file(
            os.path.join(batch.root, rel), rel, max_size=batch.max_size, inline_ignores=batch.inline_ignores
        )
        for rel in batch.rels
    ]


def _bytes(batch: _Batch) -> int:
    return batch.size


def _size(path: str) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0  # the worker reports why it cannot read the file


def _batches(root: str, rels: Sequence[str], sizes: Sequence[int], config: Config) -> Iterator[_Batch]:
    current: list[str] = []
    size = 0
    for rel, nbytes in zip(rels, sizes, strict=True):
        current.append(rel)
        size += nbytes
        if len(current) >= _BATCH_FILES or size >= _BATCH_BYTES:
            yield _Batch(root, current, size, config.max_file_size, config.inline_ignores)
            current, size = [], 0
    if current:
        yield _Batch(root, current, size, config.max_file_size, config.inline_ignores)


def workers(config: Config) -> int:
    return pool.workers(config.jobs)


def scan_tree(target: Path, config: Config) -> ScanResult:
    """Scan a directory (git work tree or plain) or a single file.

    A symlink named as the target is resolved (``keyshift scan link/`` scans the tree it points
    to); symlinks inside the tree are never followed.
    """
    target = resolve_target(target)
    if not target.exists() and not target.is_symlink():
        raise KeyshiftError(f"path does not exist: {target}")
    if target.is_file() or target.is_symlink():
        return scan_relpaths(target.parent, [target.name], config)
    if not target.is_dir():
        raise KeyshiftError(f"not a file or directory: {target}")
    listing = walk_tree(target, all_files=config.all_files, exclude=config.exclude)
    result = scan_relpaths(target, listing.files, config)
    if not listing.skipped and not listing.notes:
        return result
    skipped = (*listing.skipped, *result.skipped)
    reasons = Counter(s.reason.split(":")[0].split(" (")[0] for s in skipped)
    return replace(
        result,
        skipped=skipped,
        errors=(*listing.notes, *result.errors),
        stats={**result.stats, "skipped_by_reason": dict(sorted(reasons.items()))},
    )


def scan_relpaths(root: Path, rels: Sequence[str], config: Config) -> ScanResult:
    """Scan the given paths below ``root`` (used by the tree scan and by ``scan FILE...``)."""
    jobs = workers(config)
    sizes = [_size(os.path.join(root, rel)) for rel in rels] if jobs > 1 and len(rels) >= 4 else []
    if not sizes:
        sizes = [0] * len(rels)  # one batch per 512 files, scanned in this process
    results: list[FileResult] = []
    batches = _batches(str(root), rels, sizes, config)
    for part in pool.imap(
        _scan_batch, batches, jobs=jobs, inline_below=_INLINE_BYTES + 1, weight=_bytes, order="submission"
    ):
        results.extend(part)
    return collect(str(root), results)


def collect(root: str, results: Iterable[FileResult]) -> ScanResult:
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    scanned = 0
    nbytes = 0
    for r in results:
        findings.extend(r.findings)
        if r.skipped is not None:
            skipped.append(r.skipped)
        else:
            scanned += 1
        nbytes += r.size
    reasons = Counter(s.reason.split(":")[0].split(" (")[0] for s in skipped)
    return ScanResult(
        root=root,
        findings=tuple(findings),
        skipped=tuple(skipped),
        files_scanned=scanned,
        bytes_scanned=nbytes,
        stats={"skipped_by_reason": dict(sorted(reasons.items()))},
    )


def sort_key(f: Finding) -> tuple[str, int, int, str, str, str]:
    return (f.location.path, f.location.line, f.location.column or 0, f.rule_id, f.kind.value, f.commit or "")


def merge(results: Sequence[ScanResult], root: str) -> ScanResult:
    """Combine tree, history and image results into one."""
    return ScanResult(
        root=root,
        findings=tuple(f for r in results for f in r.findings),
        suppressed=tuple(f for r in results for f in r.suppressed),
        skipped=tuple(s for r in results for s in r.skipped),
        files_scanned=sum(r.files_scanned for r in results),
        bytes_scanned=sum(r.bytes_scanned for r in results),
        errors=tuple(e for r in results for e in r.errors),
        stats={k: v for r in results for k, v in r.stats.items()},
    )


def rebase(result: ScanResult, root: str) -> ScanResult:
    """``result`` with on-disk paths relative to ``root``, an ancestor of its own root.

    ``scan a b`` merges two trees into one report with one root: without this, both trees'
    ``Dockerfile`` would be the same path in JSON, SARIF and baselines.
    """
    prefix = Path(os.path.relpath(os.path.abspath(result.root), os.path.abspath(root))).as_posix()
    if prefix == ".":
        return result

    def moved(f: Finding) -> Finding:
        if f.source not in ON_DISK or not f.location.path:
            return f
        return replace(f, location=replace(f.location, path=f"{prefix}/{f.location.path}"))

    return replace(
        result,
        root=root,
        findings=tuple(moved(f) for f in result.findings),
        suppressed=tuple(moved(f) for f in result.suppressed),
        skipped=tuple(
            s if s.path.startswith(("blob ", "<")) else replace(s, path=f"{prefix}/{s.path}")
            for s in result.skipped
        ),
    )


def apply_policy(result: ScanResult, config: Config, baseline: object | None = None) -> ScanResult:
    """Pair across files, then move example keys, inline-allowed, allowlisted and baselined findings aside."""
    allow = {a.strip() for a in config.allowlist}
    active: list[Finding] = []
    suppressed: list[Finding] = []
    for f in propagate((*result.findings, *result.suppressed)):
        reason = f.suppressed
        if reason in ("example-key", "placeholder") and config.allow_example_keys:
            reason = None
        if reason is None and (f.value_sha1 in allow or (f.key_id is not None and f.key_id in allow)):
            reason = "allowlist"
        if reason is None and baseline is not None and baseline.contains(f):  # type: ignore[attr-defined]
            reason = "baseline"
        if reason is None:
            active.append(replace(f, suppressed=None))
        else:
            suppressed.append(replace(f, suppressed=reason))
    return replace(
        result,
        findings=tuple(sorted(active, key=sort_key)),
        suppressed=tuple(sorted(suppressed, key=sort_key)),
    )
