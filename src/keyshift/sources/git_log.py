"""Which commit put which blob at which path: one streamed ``git log --raw`` walk, no content diffs.

A raw log only compares tree entries (object ids), so it costs a fraction of ``git log -p``.
``-c`` adds the changes a merge made itself (differs from every parent), so a key typed while
resolving a conflict is attributed to the merge, and a key merged from a side branch stays with
the side-branch commit that introduced it. ``--no-renames`` keeps it cheap: a move is seen as a
delete plus an add in the same commit, and ``history`` treats a value moved that way as carried,
not introduced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from keyshift import gitrun
from keyshift.redact import scrub


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    author: str
    date: str
    order: int  # position in --date-order output: higher is older


@dataclass(frozen=True, slots=True)
class Change:
    """One path changed by one commit; ``srcs`` holds the parents' blob ids ("" if absent)."""

    commit: Commit
    path: str
    status: str  # "A", "M", "D", "T"; combined entries (merges) keep git's per-parent letters
    srcs: tuple[str, ...]
    dst: str  # "" when the path was deleted


def _is_null(sha: str) -> bool:
    return not sha.strip("0")


def log_args(tips: list[str]) -> list[str]:
    return [
        "log",
        "--no-show-signature",
        "--no-color",
        "--no-decorate",
        "--no-mailmap",
        "--date-order",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        "--ignore-submodules=all",
        "-c",
        "--raw",
        "--no-abbrev",
        "--root",
        "-z",
        "--format=%x01%H%x00%an <%ae>%x00%aI",
        *tips,
        "--",
    ]


def _tokens(stream: Iterator[bytes]) -> Iterator[bytes]:
    rest = b""
    for chunk in stream:
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def _chunks(out: gitrun.GitStream) -> Iterator[bytes]:
    while chunk := out.read(1 << 20):
        yield chunk


def parse_raw_log(
    tokens: Iterator[bytes], on_commit: Callable[[Commit], None] | None = None
) -> Iterator[Change]:
    """Changes from a ``log_args`` stream; ``on_commit`` sees every commit, even those with no change."""
    commit: Commit | None = None
    order = 0
    meta: bytes | None = None
    for raw in tokens:
        if meta is not None:
            path = raw.decode("utf-8", "surrogateescape")
            change = parse_change(commit, meta, path) if commit is not None else None
            meta = None
            if change is not None:
                yield change
            continue
        token = raw.lstrip(b"\n")
        if token.startswith(b"\x01"):
            sha = token[1:].decode("ascii")
            author = next(tokens, b"").decode("utf-8", "replace")
            date = next(tokens, b"").decode("ascii", "replace")
            commit = Commit(sha, author, date, order)
            order += 1
            if on_commit is not None:
                on_commit(commit)
        elif token.startswith(b":"):
            meta = token
    return


def parse_change(commit: Commit, meta: bytes, path: str) -> Change | None:
    parents = len(meta) - len(meta.lstrip(b":"))
    fields = meta[parents:].decode("ascii").split()
    # modes (parents + 1), shas (parents + 1), status
    if len(fields) < 2 * (parents + 1) + 1:
        return None
    modes = fields[: parents + 1]
    if "160000" in modes:
        return None  # submodule commits are not blobs
    shas = fields[parents + 1 : 2 * (parents + 1)]
    srcs = tuple("" if _is_null(s) else s for s in shas[:-1])
    dst = "" if _is_null(shas[-1]) else shas[-1]
    status = fields[2 * (parents + 1)]
    return Change(commit, path, status, srcs, dst)


def walk(
    cmd: list[str], tips: list[str], errors: list[str], on_commit: Callable[[Commit], None]
) -> Iterator[Change]:
    """Stream every change on the commits reachable from ``tips``; a git failure goes to ``errors``.

    A git that stays silent past the idle timeout raises ``gitrun.GitTimeout``.
    """
    failed: list[str] = []
    with gitrun.stream([*cmd, *log_args(tips)], errors=failed) as out:
        yield from parse_raw_log(_tokens(_chunks(out)), on_commit)
    for problem in failed:
        errors.append(
            f"git log stopped early ({scrub(problem)}); commits after that point were not attributed"
        )
