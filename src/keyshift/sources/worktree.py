"""The working tree: which files to read, and reading each one safely.

In a git work tree the file list comes from ``git ls-files`` (tracked plus untracked files
that are not ignored), which is both what a team means by "the repository" and much faster
than walking ``node_modules``. ``--all-files`` or a plain directory walks everything. Symlinks
are never followed; binary, oversized and unreadable files are skipped with a counted reason.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from keyshift.detect import detect_bytes, might_contain
from keyshift.detect.lines import count_breaks
from keyshift.detect.textkind import as_scannable, text_kind, utf16_decoder
from keyshift.model import Finding, Skipped, SourceKind

CHUNK = 8 * 1024 * 1024  # files above this are read in windows
OVERLAP = 64 * 1024  # a credential never spans more than this across a window edge
_SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True, slots=True)
class FileResult:
    findings: tuple[Finding, ...]
    skipped: Skipped | None
    size: int


def _glob_regex(pattern: str) -> str:
    """gitignore-flavoured globs: ``*`` within a segment, ``**`` across, bare names match anywhere."""
    pattern = pattern.strip()
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.strip("/")
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    prefix = "" if anchored else "(?:.*/)?"
    return f"{prefix}{body}(?:/.*)?"


@lru_cache(maxsize=64)
def exclude_matcher(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{_glob_regex(p)})" for p in patterns if p.strip()) + r"\Z")


def is_excluded(rel: str, patterns: tuple[str, ...]) -> bool:
    matcher = exclude_matcher(patterns)
    return matcher is not None and matcher.match(rel) is not None


def _git_files(root: Path) -> list[str] | None:
    """Tracked and untracked-not-ignored files below ``root``, or None outside a work tree."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            check=False,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _walk(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            yield name if rel_dir == "." else f"{rel_dir}/{name}".replace(os.sep, "/")


def list_files(root: Path, *, all_files: bool, exclude: tuple[str, ...]) -> list[str]:
    """Repo-relative POSIX paths to scan below ``root`` (a directory)."""
    names = None if all_files else _git_files(root)
    if names is None:
        names = list(_walk(root))
    return [n for n in names if not is_excluded(n, exclude)]


def scan_file(
    full: str, rel: str, *, max_size: int, inline_ignores: bool, source: SourceKind = SourceKind.WORKTREE
) -> FileResult:
    """Read and scan one file; every failure becomes a skip reason, never an exception."""
    try:
        st = os.lstat(full)
    except OSError as exc:
        return FileResult((), Skipped(rel, f"unreadable: {exc.strerror or type(exc).__name__}"), 0)
    if stat.S_ISLNK(st.st_mode):
        return FileResult((), Skipped(rel, "symlink (not followed)"), 0)
    if not stat.S_ISREG(st.st_mode):
        return FileResult((), Skipped(rel, "not a regular file"), 0)
    if st.st_size > max_size:
        return FileResult((), Skipped(rel, f"larger than max-file-size ({max_size} bytes)"), 0)
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            if st.st_size <= CHUNK:
                data = fh.read()
                return _scan_data(data, rel, inline_ignores, source)
            return _scan_windows(fh, rel, inline_ignores, source)
    except OSError as exc:
        return FileResult((), Skipped(rel, f"unreadable: {exc.strerror or type(exc).__name__}"), 0)


def _scan_data(data: bytes, rel: str, inline_ignores: bool, source: SourceKind) -> FileResult:
    size = len(data)
    scannable = as_scannable(data)  # UTF-16 decoded; stray NULs in text do not make it binary
    if scannable is None:
        return FileResult((), Skipped(rel, "binary"), size)
    data = scannable
    if not might_contain(data):
        return FileResult((), None, size)
    found = detect_bytes(data, rel, source=source, inline_ignores=inline_ignores)
    return FileResult(tuple(found), None, size)


def _scan_windows(fh: BinaryIO, rel: str, inline_ignores: bool, source: SourceKind) -> FileResult:
    """Scan a large file in overlapping windows so memory stays bounded."""
    import dataclasses

    read = fh.read
    findings: dict[tuple[int, int, str], Finding] = {}
    carry = b""
    lines_before = 0  # newlines before the start of the current window
    total = 0
    decoder = None
    first = True
    while True:
        block = read(CHUNK)
        if not block:
            break
        total += len(block)
        if first:
            kind = text_kind(block)
            if kind.encoding is None:
                return FileResult((), Skipped(rel, "binary"), len(block))
            if kind.encoding != "utf-8":
                decoder = utf16_decoder(kind.encoding)
        first = False
        if decoder is not None:
            block = decoder.decode(block).encode("utf-8")
        window = carry + block
        if might_contain(window):
            for f in detect_bytes(window, rel, source=source, inline_ignores=inline_ignores):
                line = f.location.line + lines_before
                key = (line, f.location.column or 0, f.value_sha1)
                findings.setdefault(
                    key, dataclasses.replace(f, location=dataclasses.replace(f.location, line=line))
                )
        cut = max(0, len(window) - OVERLAP)
        newline = window.rfind(b"\n", 0, cut)
        if newline != -1:
            cut = newline + 1
        lines_before += count_breaks(window, 0, cut)
        carry = window[cut:]
    return FileResult(tuple(findings.values()), None, total)
