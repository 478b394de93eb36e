"""Opening a git repository for a history scan, with a clear message for every way that fails.

A scan that silently reads zero commits would report "clean" on exactly the repositories that
need looking at (wrong path, ownership refusal), so every refusal becomes a ``KeyshiftError``.
"""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass
from pathlib import Path

from keyshift import gitrun
from keyshift.errors import KeyshiftError
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
    out = run_git(
        [*base, "rev-parse", "--is-bare-repository", "--absolute-git-dir", "--is-shallow-repository"]
    )
    lines = out.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 3:
        raise KeyshiftError(f"git rev-parse gave unexpected output for {where}")
    bare, git_dir, shallow = lines[0] == "true", Path(lines[1]), lines[2] == "true"
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
