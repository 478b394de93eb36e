"""Opening a git repository for a history scan, with a clear message for every way that fails.

A scan that silently reads zero commits would report "clean" on exactly the repositories that
need looking at (wrong path, ownership refusal), so every refusal becomes a ``KeyshiftError``.
"""

from __future__ import annotations

import itertools
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from keyshift import gitrun
from keyshift.errors import KeyshiftError
from keyshift.model import Skipped
from keyshift.redact import scrub


@dataclass(frozen=True, slots=True)
class GitRepo:
    """A repository that git agreed to open."""

    toplevel: Path  # work tree root (or the git dir itself for a bare repository)
    git_dir: Path
    shallow: bool
    has_head: bool

    def cmd(self, *args: str) -> list[str]:
        """A hardened git command line (``gitrun.command``) run against this repository."""
        return gitrun.command(*args, cwd=self.toplevel)


def git_env() -> dict[str, str]:
    """The environment every git command runs with (``gitrun.env``)."""
    return gitrun.env()


def run_git(args: list[str], *, check: bool = True, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Run one short git command through ``gitrun.run``; with ``check`` a failure becomes a KeyshiftError."""
    proc = gitrun.run(args, input=stdin)
    if check and proc.returncode != 0:
        raise KeyshiftError(_explain(proc.stderr.decode("utf-8", "replace"), proc.args))
    return proc


def _where(args: list[str]) -> str:
    for flag, value in itertools.pairwise(args):
        if flag == "-C":
            return value
    return "."


def _sub(args: list[str]) -> str:
    i = 1
    while i < len(args):
        if args[i] in ("-C", "-c"):
            i += 2
        elif args[i].startswith("-"):
            i += 1
        else:
            return " ".join(args[i : i + 2])
    return ""


def _explain(stderr: str, args: list[str]) -> str:
    text = scrub(stderr.strip())
    if "dubious ownership" in text:
        where = text.split("repository at", 1)[-1].split("\n", 1)[0].strip().strip("'")
        return (
            f"git refused to open {where} because it is owned by another user (safe.directory). "
            f"If you trust this repository, run: git config --global --add safe.directory {where}"
        )
    if "not a git repository" in text:
        return f"{_where(args)} is not a git repository (--history and --staged need one)"
    first = text.splitlines()[0] if text else "no message"
    return f"git {_sub(args)} failed: {first}"


def open_repo(root: Path) -> GitRepo:
    """Find the repository holding ``root`` and check that git will read it."""
    if not root.exists():
        raise KeyshiftError(f"{root} does not exist")
    where = root if root.is_dir() else root.parent
    base = gitrun.command(cwd=where)
    out = run_git([*base, "rev-parse", "--is-bare-repository", "--absolute-git-dir", "--git-common-dir"])
    lines = out.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 3:
        raise KeyshiftError(f"git rev-parse gave unexpected output for {where}")
    bare, git_dir = lines[0] == "true", Path(lines[1])
    _check_shallow_file(where / lines[2])  # before any git command that reads it (absolute stays)
    probe = run_git([*base, "rev-parse", "--is-shallow-repository"])
    shallow = probe.stdout.decode("utf-8", "surrogateescape").strip() == "true"
    if bare:
        toplevel = git_dir
    else:
        top = run_git([*base, "rev-parse", "--show-toplevel"])
        toplevel = Path(top.stdout.decode("utf-8", "surrogateescape").strip())
    head = run_git([*base, "rev-parse", "--verify", "--quiet", "HEAD^{commit}"], check=False)
    return GitRepo(toplevel=toplevel, git_dir=git_dir, shallow=shallow, has_head=head.returncode == 0)


def resolve_commit(repo: GitRepo, rev: str) -> str:
    """Full SHA of ``rev``; a clear error when it does not name a commit (e.g. not fetched in CI)."""
    if rev.startswith("-"):
        raise KeyshiftError(f"--since {rev!r}: a revision cannot start with '-'")
    proc = run_git(
        repo.cmd("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"), check=False
    )
    if proc.returncode != 0:
        raise KeyshiftError(
            f"--since {rev!r} does not name a commit in this repository "
            "(in CI, fetch it first, e.g. actions/checkout with fetch-depth: 0)"
        )
    return proc.stdout.decode("ascii").strip()


def empty_tree(repo: GitRepo) -> str:
    """The empty tree's id in this repository's hash (SHA-1 or SHA-256)."""
    proc = run_git(repo.cmd("hash-object", "-t", "tree", "--no-filters", "--stdin"), check=True)
    return proc.stdout.decode("ascii").strip()


def stash_tips(repo: GitRepo) -> list[str]:
    """Every stash entry (``--all`` only sees the newest one, ``refs/stash`` itself)."""
    proc = run_git(repo.cmd("log", "--walk-reflogs", "--format=%H", "refs/stash", "--"), check=False)
    if proc.returncode != 0:
        return []
    return sorted(set(proc.stdout.decode("ascii").split()))


# git re-reads .git/shallow in every command that loads commits and slows super-linearly on a
# long one (``rev-parse --is-shallow-repository``: 10 s at 50,000 lines, minutes beyond); a real
# clone's cut is a handful of commits, so a longer file is refused before git reads it
MAX_SHALLOW_BYTES = 5_000 * 41


def _check_shallow_file(git_dir: Path) -> None:
    """Refuse a ``shallow`` file git cannot read in bounded time (too long, or not a file)."""
    try:
        info = os.lstat(git_dir / "shallow")
    except OSError:
        return  # none: not shallow (or git will say)
    if not stat.S_ISREG(info.st_mode):
        raise KeyshiftError(f"{git_dir / 'shallow'} is not a regular file; the history was not read")
    if info.st_size > MAX_SHALLOW_BYTES:
        raise KeyshiftError(
            f"{git_dir / 'shallow'} lists about {info.st_size // 41} shallow commits (more than "
            f"{MAX_SHALLOW_BYTES // 41}); git slows super-linearly on such a file, "
            "so the history was not read"
        )


_SHALLOW_READ = 64 << 20  # a shallow file larger than this is read in part (git would choke first)
SHALLOW_SHOWN = 20  # boundary commits named one by one; the rest are counted


def shallow_boundary(repo: GitRepo) -> list[str]:
    """The commits git treats as having no parents (``.git/shallow``), in file order.

    A shallow clone lists its cut here, and so can anyone who writes the file by hand: either way
    the commits behind them are not walked, so a history scan that reaches one is incomplete.
    """
    if not repo.shallow:
        return []
    where = run_git(repo.cmd("rev-parse", "--path-format=absolute", "--git-path", "shallow"), check=False)
    path = Path(where.stdout.decode("utf-8", "surrogateescape").strip() or repo.git_dir / "shallow")
    try:
        with open(path, "rb") as fh:
            text = fh.read(_SHALLOW_READ).decode("ascii", "replace")
    except OSError:
        return ["(unknown)"]  # git says shallow: never treated as whole
    shas = [line.strip() for line in text.splitlines() if line.strip()]
    return shas or ["(unknown)"]


def shallow_skips(boundary: list[str]) -> list[Skipped]:
    """``unreadable`` entries for the boundary commits a scan reached (never "clean": exit 2)."""
    reason = (
        "unreadable: shallow boundary; the commits before it are not in this clone (or are hidden by "
        ".git/shallow) and were not scanned; run `git fetch --unshallow`"
    )
    out = [Skipped(f"commit {printable_sha(sha)}", reason) for sha in boundary[:SHALLOW_SHOWN]]
    if len(boundary) > SHALLOW_SHOWN:
        out.append(Skipped(f"{len(boundary) - SHALLOW_SHOWN} more shallow commits", reason))
    return out


def printable_sha(text: str) -> str:
    """A boundary line as written in ``.git/shallow`` (hostile: kept to hex, bounded)."""
    return "".join(c for c in text[:64] if c in "0123456789abcdef") or "(unknown)"
