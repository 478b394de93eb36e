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
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from keyshift import gitrun
from keyshift.detect import detect_bytes, might_contain
from keyshift.detect.lines import count_breaks
from keyshift.detect.textkind import as_scannable, text_kind, utf16_decoder
from keyshift.errors import KeyshiftError
from keyshift.model import Finding, Skipped, SourceKind

CHUNK = 8 * 1024 * 1024  # files above this are read in windows
OVERLAP = 64 * 1024  # a credential never spans more than this across a window edge
_SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
#: Installed dependencies and caches: not the project's code. A work tree's ``.gitignore`` keeps
#: them out of ``git ls-files``; the plain walk passes over them too (named in ``skipped``), so
#: scan, fix and plan read the same files in and out of git. ``--all-files`` walks them.
DEPENDENCY_DIRS = frozenset(
    {"node_modules", ".venv", "venv", "site-packages", "__pycache__", ".tox", ".mypy_cache"}
)


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


@dataclass(frozen=True, slots=True)
class Listing:
    """The files a scan of a tree reads, and what it passed over while listing them (never silent)."""

    files: tuple[str, ...]
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()


_NESTED_DEPTH = 8  # nested repositories inside nested repositories: enough for real trees, bounded


def _git_files(root: Path, notes: list[str]) -> list[str] | None:
    """Tracked and untracked-not-ignored entries below ``root``, or None outside a work tree.

    Untracked nested repositories and checked-out submodules come back as directories (``sub/``
    or ``sub``); ``_expand`` lists their files.
    """
    if not gitrun.find_git_dirs(root):
        return None
    try:
        proc = gitrun.run(
            gitrun.command("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=root)
        )
    except KeyshiftError as exc:
        notes.append(
            f"git could not list {root} ({exc}); every file was walked instead, ignored ones included"
        )
        return None
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


#: What an ignored local settings file can be: dotenv files, Python settings modules and
#: configuration files. Logs, databases, build outputs and compiled files are never read.
_LOCAL_SUFFIXES = frozenset(
    {".py", ".env", ".ini", ".cfg", ".conf", ".toml", ".yml", ".yaml", ".json", ".properties"}
)
_LOCAL_SKIP_DIRS = DEPENDENCY_DIRS | {"build", "dist", ".eggs", "env", "ENV", "htmlcov"}
LOCAL_MAX_FILES = 200
LOCAL_MAX_BYTES = 256 * 1024


def _local_settings_name(rel: str) -> bool:
    parts = rel.split("/")
    if any(p in _LOCAL_SKIP_DIRS or p.endswith(".egg-info") for p in parts[:-1]):
        return False
    name = parts[-1]
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return True
    return os.path.splitext(name)[1].lower() in _LOCAL_SUFFIXES


def ignored_local_files(root: Path) -> list[str]:
    """Files git ignores that a running app still reads: ``.env``, ``local_settings.py``,
    ``.config.yml`` (``plan`` needs them: that is where a checkout keeps its key).

    Only files ignored one by one (an ignored folder is one entry and is not entered), outside
    dependency and build folders, regular, at most ``LOCAL_MAX_BYTES`` and ``LOCAL_MAX_FILES`` of
    them; nothing outside a work tree (a plain walk already lists them)."""
    if not gitrun.find_git_dirs(root):
        return []
    try:
        proc = gitrun.run(
            gitrun.command(
                "ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory", cwd=root
            )
        )
    except (KeyshiftError, OSError):
        return []
    if proc.returncode != 0:
        return []
    out: list[str] = []
    for name in sorted(set(proc.stdout.decode("utf-8", "surrogateescape").split("\0"))):
        if not name or name.endswith("/") or not _local_settings_name(name):
            continue
        try:
            st = os.lstat(root / name)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_size <= LOCAL_MAX_BYTES:
            out.append(name)
            if len(out) >= LOCAL_MAX_FILES:
                break
    return out


def _walk(root: Path, skipped: list[Skipped], *, everything: bool) -> Iterator[str]:
    """Every entry below ``root`` except VCS folders (and, unless ``everything``, dependency and
    cache folders); those, symlinked and unreadable folders go to ``skipped``."""

    def unreadable(exc: OSError) -> None:
        rel = os.path.relpath(exc.filename, root) if exc.filename else "."
        skipped.append(Skipped(_posix(rel), f"unreadable directory: {exc.strerror or type(exc).__name__}"))

    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unreadable):
        rel_dir = os.path.relpath(dirpath, root)
        keep = []
        for d in sorted(dirnames):
            rel = d if rel_dir == "." else _posix(f"{rel_dir}/{d}")
            if d in _SKIP_DIRS:
                continue
            if d in DEPENDENCY_DIRS and not everything:
                skipped.append(Skipped(rel, "dependency or cache folder (not walked; --all-files walks it)"))
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                skipped.append(Skipped(rel, "symlink (not followed)"))
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            yield name if rel_dir == "." else _posix(f"{rel_dir}/{name}")


def _posix(rel: str) -> str:
    return rel.replace(os.sep, "/")


def _expand(root: Path, names: list[str], skipped: list[Skipped], notes: list[str], depth: int) -> list[str]:
    """Files for git's entries: directories (nested repositories, submodules) are listed in turn."""
    out: list[str] = []
    for name in names:
        rel = name.rstrip("/")
        full = root / rel
        try:
            st = os.lstat(full)
        except OSError:
            out.append(rel)  # scan_file names why it cannot be read
            continue
        if not stat.S_ISDIR(st.st_mode):
            out.append(rel)
            continue
        if depth >= _NESTED_DEPTH:
            skipped.append(
                Skipped(rel, f"nested repository deeper than {_NESTED_DEPTH} levels (not scanned)")
            )
            continue
        inner = _list(full, all_files=False, skipped_out=[], notes=notes, depth=depth + 1)
        skipped.extend(Skipped(f"{rel}/{s.path}", s.reason) for s in inner[1])
        out.extend(f"{rel}/{f}" for f in inner[0])
    return out


def _list(
    root: Path, *, all_files: bool, skipped_out: list[Skipped], notes: list[str], depth: int
) -> tuple[list[str], list[Skipped]]:
    skipped = skipped_out
    names = None if all_files else _git_files(root, notes)
    if names is None:
        return list(_walk(root, skipped, everything=all_files)), skipped
    return _expand(root, names, skipped, notes, depth), skipped


def walk_tree(root: Path, *, all_files: bool, exclude: tuple[str, ...]) -> Listing:
    """The files to scan below ``root`` (a directory), as repo-relative POSIX paths.

    In a work tree: ``git ls-files`` (tracked and untracked-not-ignored), through the hardened
    runner; untracked nested repositories and submodules are listed with their own ``ls-files``.
    Otherwise, or with ``all_files``, a walk that never follows symlinks. What is passed over
    (symlinked or unreadable folders, git refusing the repository) is in ``skipped``/``notes``.
    """
    notes: list[str] = []
    files, skipped = _list(root, all_files=all_files, skipped_out=[], notes=notes, depth=0)
    kept = [n for n in files if not is_excluded(n, exclude)]
    return Listing(tuple(kept), tuple(s for s in skipped if not is_excluded(s.path, exclude)), tuple(notes))


def list_files(root: Path, *, all_files: bool, exclude: tuple[str, ...]) -> list[str]:
    """Repo-relative POSIX paths to scan below ``root`` (``walk_tree`` without what it skipped)."""
    return list(walk_tree(root, all_files=all_files, exclude=exclude).files)


def resolve_target(target: Path) -> Path:
    """The path a user named, with a symlink they named resolved: ``keyshift scan link/`` scans the tree.

    Symlinks *inside* a tree are never followed; the one on the command line is the user's choice.
    """
    if target.is_symlink() or any(p.is_symlink() for p in (target, *target.parents)):
        try:
            return target.resolve(strict=True)
        except (OSError, RuntimeError):
            return target  # a dangling or looping link: the caller reports it does not exist
    return target


def scan_file(
    full: str, rel: str, *, max_size: int, inline_ignores: bool, source: SourceKind = SourceKind.WORKTREE
) -> FileResult:
    """Read and scan one file; every failure becomes a skip reason, never an exception.

    Only regular files are read. The file is opened first (``O_NONBLOCK`` so a FIFO cannot block
    the open, ``O_NOFOLLOW`` so a symlink swapped in cannot redirect it) and then checked with
    ``fstat`` on what was opened, so nothing can change between the check and the read.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(full, flags)
    except OSError as exc:
        return FileResult((), _open_failure(full, rel, exc), 0)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return FileResult((), Skipped(rel, f"not a regular file ({_kind(st.st_mode)})"), 0)
        if st.st_size > max_size:
            return FileResult((), Skipped(rel, f"larger than max-file-size ({max_size} bytes)"), 0)
        if not _inside(full, rel):
            return FileResult(
                (), Skipped(rel, "outside the tree through a symlinked folder (not followed)"), 0
            )
        with os.fdopen(fd, "rb") as fh:
            fd = -1
            if st.st_size <= CHUNK:
                return _scan_data(fh.read(), rel, inline_ignores, source)
            return _scan_windows(fh, rel, inline_ignores, source)
    except OSError as exc:
        return FileResult((), Skipped(rel, f"unreadable: {exc.strerror or type(exc).__name__}"), 0)
    finally:
        if fd >= 0:
            os.close(fd)


def _open_failure(full: str, rel: str, exc: OSError) -> Skipped:
    try:
        mode = os.lstat(full).st_mode
    except OSError:
        mode = 0
    if stat.S_ISLNK(mode):
        return Skipped(rel, "symlink (not followed)")
    if mode and not stat.S_ISREG(mode):  # a socket (ENXIO), a FIFO or device refused by open
        return Skipped(rel, f"not a regular file ({_kind(mode)})")
    return Skipped(rel, f"unreadable: {exc.strerror or type(exc).__name__}")


def _kind(mode: int) -> str:
    return gitrun.special_kind(mode) or ("directory" if stat.S_ISDIR(mode) else "special file")


def _inside(full: str, rel: str) -> bool:
    """False when a folder on the way to ``rel`` is a symlink (the file is somewhere else)."""
    if "/" not in rel:
        return True
    base = full[: len(full) - len(rel)] or "."
    return _real(os.path.dirname(full)) == os.path.join(_real(base), os.path.dirname(rel))


def _real(folder: str) -> str:
    # cached by absolute path: a relative one means another folder once the working directory
    # changes (a library caller, a test, a sweep)
    return _real_abs(os.path.abspath(folder))


@lru_cache(maxsize=4096)
def _real_abs(folder: str) -> str:
    return os.path.realpath(folder)


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
