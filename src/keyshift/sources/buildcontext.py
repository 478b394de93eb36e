"""What a Dockerfile ships: files git ignores but ``docker build`` sends and ``COPY``/``ADD`` copies.

The tree scan reads what git lists (tracked, plus untracked files that are not ignored), which
is what a team means by "the repository". An image is built from something else: the build
context as Docker sends it, filtered by ``.dockerignore`` and not by ``.gitignore``. A local
``.env`` hidden by ``.gitignore`` and copied by ``COPY . /app`` ships its keys in every image.

For each Dockerfile git lists, the context is its folder (what ``docker build DIR`` and most
compose files use). Its files that git does not list are filtered by Docker's own rules
(``.dockerignore`` or ``<Dockerfile>.dockerignore``: ``*``, ``?``, ``**``, ``!`` exceptions,
the last matching line wins, a matched folder takes its contents) and kept when a ``COPY`` or
``ADD`` from the context copies them (a source path, a folder holding them, or a wildcard;
``--from`` stages and URLs copy nothing from the context). Those files are scanned and their
findings say which instruction copies them.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from keyshift.config import Config
from keyshift.detect.carriers import carrier_of
from keyshift.model import ScanResult
from keyshift.scan import collect
from keyshift.sources.worktree import FileResult, is_excluded, list_files, scan_file

_MAX_DOCKERFILE = 1 << 20
_INSTRUCTION = re.compile(r"^[ \t]*(COPY|ADD)[ \t]+(.*)$", re.I | re.S)
_ESCAPE = re.compile(r"\A(?:[ \t]*#[ \t]*\w+[ \t]*=[^\n]*\n)*?[ \t]*#[ \t]*escape[ \t]*=[ \t]*([\\`])", re.I)


@dataclass(frozen=True, slots=True)
class Copy:
    """One COPY/ADD from the build context: its line and the context paths it takes."""

    line: int
    sources: tuple[str, ...]
    excludes: tuple[str, ...] = ()


def _instructions(text: str) -> Iterable[tuple[int, str]]:
    """(first line, joined instruction) with continuation lines joined and comment lines dropped."""
    m = _ESCAPE.match(text)
    escape = m.group(1) if m else "\\"
    start, parts = 0, list[str]()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        stripped = line.strip()
        if parts and (not stripped or stripped.startswith("#")):
            continue  # comment or blank line inside a continuation
        if not parts:
            if not stripped or stripped.startswith("#"):
                continue
            start = number
        if line.rstrip().endswith(escape):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        yield start, " ".join(parts)
        parts = []
    if parts:
        yield start, " ".join(parts)


def parse_copies(text: str) -> list[Copy]:
    """Every COPY/ADD that reads the build context (not ``--from``, not a URL, not a heredoc)."""
    out: list[Copy] = []
    for line, instruction in _instructions(text):
        m = _INSTRUCTION.match(instruction)
        if m is None:
            continue
        args = m.group(2).strip()
        words: list[str]
        if args.startswith("["):
            words = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
            flags: list[str] = []
        else:
            tokens = args.split()
            flags = [t for t in tokens if t.startswith("--")]
            words = [t for t in tokens if not t.startswith("--")]
        if any(f.startswith("--from") for f in flags) or len(words) < 2:
            continue
        excludes = tuple(f.split("=", 1)[1] for f in flags if f.startswith("--exclude="))
        sources = tuple(_clean(s) for s in words[:-1] if "://" not in s and not s.startswith(("<<", "git@")))
        if sources:
            out.append(Copy(line, sources, excludes))
    return out


def _clean(path: str) -> str:
    cleaned = posixpath.normpath(path.strip().lstrip("/") or ".")
    return "." if cleaned in ("", "/") else cleaned.lstrip("/")


def _glob(pattern: str, *, double_star: bool = False) -> re.Pattern[str]:
    """Go ``filepath.Match`` (as COPY uses it): ``*`` and ``?`` stop at ``/``, ``[...]`` classes.

    ``double_star`` adds ``.dockerignore``'s ``**`` (any number of folders, moby/patternmatcher).
    """
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if double_star and pattern.startswith("**", i):
            i += 2
            if i < len(pattern) and pattern[i] == "/":
                i += 1
            out.append(".*" if i >= len(pattern) else "(?:.*/)?")
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[^" + body[1:] + "]" if body.startswith("^") else "[" + body + "]")
                i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _parents(rel: str) -> list[str]:
    """``a/b/c`` -> ``a``, ``a/b``, ``a/b/c``: a matched folder takes everything below it."""
    parts = rel.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def copied_by(rel: str, copy: Copy) -> bool:
    """Does this COPY/ADD take the context file ``rel``?"""
    chain = _parents(rel)
    if copy.excludes and any(_glob(_clean(e)).match(p) for e in copy.excludes for p in chain):
        return False
    return any(src == "." or any(_glob(src).match(p) for p in chain) for src in copy.sources)


class DockerIgnore:
    """``.dockerignore`` as BuildKit reads it (moby/patternmatcher): the last matching line wins."""

    def __init__(self, text: str) -> None:
        self.rules: list[tuple[re.Pattern[str], bool]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            pattern = _clean(line)
            if pattern == ".":
                continue
            self.rules.append((_glob(pattern, double_star=True), exclusion))

    def excludes(self, rel: str) -> bool:
        chain = _parents(rel)
        excluded = False
        for pattern, exclusion in self.rules:
            if any(pattern.match(p) for p in chain):
                excluded = not exclusion
        return excluded


def _read_small(path: Path) -> str | None:
    """A regular file's text (never through a symlink, never a FIFO), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = fh.read(_MAX_DOCKERFILE + 1)
    return None if len(data) > _MAX_DOCKERFILE else data.decode("utf-8", "replace")


def _ignore_for(context: Path, dockerfile: Path) -> DockerIgnore:
    for candidate in (dockerfile.with_name(dockerfile.name + ".dockerignore"), context / ".dockerignore"):
        if candidate.is_file() and not candidate.is_symlink():
            return DockerIgnore(_read_small(candidate) or "")
    return DockerIgnore("")


def scan_build_contexts(root: Path, config: Config) -> ScanResult:
    """Findings in files git does not list but a Dockerfile below ``root`` copies into its image."""
    listed = set(list_files(root, all_files=False, exclude=()))
    results: list[FileResult] = []
    scanned: set[str] = set()
    for rel_dockerfile in sorted(p for p in listed if carrier_of(p) == "dockerfile"):
        dockerfile = root / rel_dockerfile
        if dockerfile.is_symlink() or not dockerfile.is_file():
            continue
        copies = parse_copies(_read_small(dockerfile) or "")
        if not copies:
            continue
        context_rel = posixpath.dirname(rel_dockerfile)
        context = root / context_rel if context_rel else root
        ignore = _ignore_for(context, dockerfile)
        prefix = f"{context_rel}/" if context_rel else ""
        for rel_in_context in list_files(context, all_files=True, exclude=()):
            rel = prefix + rel_in_context
            if rel in listed or rel in scanned or ignore.excludes(rel_in_context):
                continue
            copy = next((c for c in copies if copied_by(rel_in_context, c)), None)
            if copy is None or is_excluded(rel, config.exclude):
                continue
            scanned.add(rel)
            one = scan_file(
                str(root / rel), rel, max_size=config.max_file_size, inline_ignores=config.inline_ignores
            )
            note = f"untracked but copied into the image by {rel_dockerfile}:{copy.line}"
            results.append(replace(one, findings=tuple(replace(f, note=note) for f in one.findings)))
    # own stats only: merged results share one stats mapping, the tree scan's counters must survive
    return replace(collect(str(root), results), stats={"build_context_files": len(scanned)})
