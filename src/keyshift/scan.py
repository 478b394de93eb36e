"""The working-tree scan: list files, scan them on every core, apply the policy.

Work is split into batches of files (by count and bytes) handed to worker processes; a small
tree is scanned in-process because starting workers would cost more than the scan.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from keyshift.config import Config
from keyshift.detect.pairing import propagate
from keyshift.errors import KeyshiftError
from keyshift.model import Finding, ScanResult, Skipped
from keyshift.sources.worktree import FileResult, resolve_target, scan_file, walk_tree

_INLINE_BYTES = 4 * 1024 * 1024
_BATCH_FILES = 512
_BATCH_BYTES = 16 * 1024 * 1024


def _scan_batch(root: str, rels: Sequence[str], max_size: int, inline_ignores: bool) -> list[FileResult]:
    return [
        scan_file(os.path.join(root, rel), rel, max_size=max_size, inline_ignores=inline_ignores)
        for rel in rels
    ]


def _size(path: str) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0  # the worker reports why it cannot read the file


def _batches(rels: Sequence[str], sizes: Sequence[int]) -> list[list[str]]:
    out: list[list[str]] = []
    current: list[str] = []
    size = 0
    for rel, nbytes in zip(rels, sizes, strict=True):
        current.append(rel)
        size += nbytes
        if len(current) >= _BATCH_FILES or size >= _BATCH_BYTES:
            out.append(current)
            current, size = [], 0
    if current:
        out.append(current)
    return out


def workers(config: Config) -> int:
    return config.jobs if config.jobs > 0 else (os.cpu_count() or 1)


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
    results: list[FileResult]
    jobs = workers(config)
    sizes = [_size(os.path.join(root, rel)) for rel in rels] if jobs > 1 and len(rels) >= 4 else []
    if sum(sizes) <= _INLINE_BYTES:
        results = _scan_batch(str(root), rels, config.max_file_size, config.inline_ignores)
    else:
        results = []
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [
                pool.submit(_scan_batch, str(root), batch, config.max_file_size, config.inline_ignores)
                for batch in _batches(rels, sizes)
            ]
            for fut in futures:
                results.extend(fut.result())
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
