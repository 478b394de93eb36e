"""Opening a git repository for a history scan, with a clear message for every way that fails.

A scan that silently reads zero commits would report "clean" on exactly the repositories that
need looking at (wrong path, ownership refusal), so every refusal becomes a ``KeyshiftError``.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

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
        """A git command line run against this repository, never paging, never prompting."""
        return ["git", "-C", str(self.toplevel), "--no-pager", *args]


def git_env() -> dict[str, str]:
    """The caller's environment (GIT_INDEX_FILE matters inside hooks) minus prompts and locale noise."""
    env = dict(os.environ)
    env.update({"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"})
    return env


def run_git(args: list[str], *, check: bool = True, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Run one short git command and capture its output; a failure becomes a KeyshiftError."""
    try:
        proc = subprocess.run(args, input=stdin, capture_output=True, env=git_env(), check=False)
    except FileNotFoundError as exc:
        raise KeyshiftError("git is not installed or not on PATH; --history needs git") from exc
    if check and proc.returncode != 0:
        raise KeyshiftError(_explain(proc.stderr.decode("utf-8", "replace"), args))
    return proc


def _explain(stderr: str, args: list[str]) -> str:
    text = scrub(stderr.strip())
    if "dubious ownership" in text:
        where = text.split("repository at", 1)[-1].split("\n", 1)[0].strip().strip("'")
        return (
            f"git refused to open {where} because it is owned by another user (safe.directory). "
            f"If you trust this repository, run: git config --global --add safe.directory {where}"
        )
    if "not a git repository" in text:
        return (
            f"{args[2] if len(args) > 2 else '.'} is not a git repository (--history and --staged need one)"
        )
    first = text.splitlines()[0] if text else "no message"
    return f"git {' '.join(args[4:6])} failed: {first}"


def open_repo(root: Path) -> GitRepo:
    """Find the repository holding ``root`` and check that git will read it."""
    if not root.exists():
        raise KeyshiftError(f"{root} does not exist")
    where = root if root.is_dir() else root.parent
    base = ["git", "-C", str(where), "--no-pager"]
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
    proc = run_git(repo.cmd("hash-object", "-t", "tree", "--stdin"), check=True)
    return proc.stdout.decode("ascii").strip()


def stash_tips(repo: GitRepo) -> list[str]:
    """Every stash entry (``--all`` only sees the newest one, ``refs/stash`` itself)."""
    proc = run_git(repo.cmd("log", "--walk-reflogs", "--format=%H", "refs/stash", "--"), check=False)
    if proc.returncode != 0:
        return []
    return sorted(set(proc.stdout.decode("ascii").split()))
