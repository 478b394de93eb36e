"""The per-repository task: fetch (if remote), check the cache, run the migrate pipeline, save atomically.

The same top-level function runs in a local worker process or on a Dask worker. It never raises
for a problem with one repository: that becomes an outcome with ``status: "error"``. A finished
repository's state file is written last and atomically, so a sweep killed at any point resumes
with every finished repository intact, and a re-run skips repositories whose HEAD is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyshift import __version__
from keyshift.redact import scrub
from keyshift.sweep.sources import ALLOWED_PROTOCOLS, RepoSource

GIT_TIMEOUT = 600


@dataclass(frozen=True, slots=True)
class RepoTask:
    source: RepoSource
    out: str  # the sweep folder: repos/<name>.json (state) and repos/<name>/ (review folder)
    clones: str  # where remote repositories are cloned
    history: bool = False
    config_file: str | None = None
    verify_endpoint: str | None = None
    verify: bool = False
    region: str = "us-east-1"

    def options_key(self) -> str:
        """What besides HEAD changes a result: the tool version and the options."""
        data = {"v": __version__, "history": self.history, "config": self.config_file, "verify": self.verify}
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode(), usedforsecurity=False).hexdigest()[:12]


class RepoError(Exception):
    """A problem with one repository (clone failed, not a repository, ...)."""


def _git(*args: str, cwd: str | None = None) -> str:
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    cmd = ["git", *(["-C", cwd] if cwd else []), "-c", "core.hooksPath=/dev/null", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=GIT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RepoError(f"git {args[0]} timed out") from exc
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        message = (fatal or lines or [f"exit {proc.returncode}"])[0]
        raise RepoError(f"git {args[0]} failed: {scrub(message)}")
    return proc.stdout


def state_path(task: RepoTask) -> Path:
    return Path(task.out) / "repos" / f"{task.source.name}.json"


def _load_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write-then-rename: a killed sweep leaves the old state or the new one, never half a file.

    No fsync: resuming after an interrupted process needs atomicity, not durability against power
    loss, and an fsync per repository serialises the workers on the disk's journal.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remote_head(task: RepoTask) -> str | None:
    """HEAD of a remote without fetching it (``git ls-remote``), or None when unknown."""
    try:
        out = _git("ls-remote", "--", task.source.location, "HEAD")
    except RepoError:
        return None
    first = out.split()
    return first[0] if first else None


def checkout(task: RepoTask) -> Path:
    """The local working tree for the repository, cloning or refreshing a remote one."""
    src = task.source
    if not src.remote:
        path = Path(src.location)
        if not path.is_dir():
            raise RepoError(f"not a directory: {src.location}")
        if local_head(path) is None:
            raise RepoError(f"not a git repository with commits: {src.location}")
        return path
    target = Path(task.clones) / src.name
    depth = [] if task.history else ["--depth", "1"]
    if (target / ".git").is_dir():
        try:
            _git("fetch", "--quiet", "--no-tags", *depth, "origin", "HEAD", cwd=str(target))
            _git("checkout", "--quiet", "--force", "--detach", "FETCH_HEAD", cwd=str(target))
            _git("clean", "--quiet", "-fdx", cwd=str(target))
            return target
        except RepoError:
            shutil.rmtree(target, ignore_errors=True)  # a clone left broken: start again
    target.parent.mkdir(parents=True, exist_ok=True)
    # clone beside the cache entry and rename: a sweep killed mid-clone leaves no half repository
    staging = Path(tempfile.mkdtemp(prefix=f".{src.name}.", suffix=".clone", dir=target.parent))
    try:
        _git("clone", "--quiet", "--no-tags", *depth, "--", src.location, str(staging / "repo"))
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging / "repo", target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def local_head(path: Path) -> str | None:
    try:
        return _git("rev-parse", "--verify", "--quiet", "HEAD", cwd=str(path)).strip() or None
    except RepoError:
        return None


def tree_state(path: Path) -> str | None:
    """HEAD, plus a hash of ``git status`` when a local working tree has uncommitted changes."""
    head = local_head(path)
    if head is None:
        return None
    try:
        status = _git("status", "--porcelain=v1", "-z", "--untracked-files=normal", cwd=str(path))
    except RepoError:
        return None
    if not status:
        return head
    return f"{head}+{hashlib.sha1(status.encode(), usedforsecurity=False).hexdigest()[:12]}"


def run_task(task: RepoTask) -> dict[str, Any]:
    """Scan and plan one repository; returns its outcome (a JSON-able dict) and saves it if it succeeded."""
    started = time.perf_counter()
    base: dict[str, Any] = {"name": task.source.name, "location": task.source.location}
    try:
        state = state_path(task)
        previous = _load_state(state)
        key_suffix = task.options_key()
        if previous is not None and previous.get("status") == "ok":
            state_now = remote_head(task) if task.source.remote else tree_state(Path(task.source.location))
            if state_now is not None and previous.get("cache_key") == f"{state_now}:{key_suffix}":
                return {**previous, "cached": True, "seconds": time.perf_counter() - started}
        path = checkout(task)
        head = local_head(path)
        before = tree_state(path)  # taken before the scan: a change during it means a rescan next time
        outcome = _migrate(task, path)
        outcome.update(base)
        outcome["head"] = head
        outcome["cache_key"] = f"{before}:{key_suffix}" if before else None
        outcome["status"] = "ok"
        outcome["seconds"] = round(time.perf_counter() - started, 4)
        save_atomic(state, outcome)
        return {**outcome, "cached": False}
    except Exception as exc:  # one repository must never stop the sweep
        reason = str(exc) if isinstance(exc, RepoError) else f"{type(exc).__name__}: {exc}"
        return {
            **base,
            "status": "error",
            "error": scrub(reason),
            "cached": False,
            "seconds": time.perf_counter() - started,
        }


def _migrate(task: RepoTask, path: Path) -> dict[str, Any]:
    from keyshift.config import load_config
    from keyshift.migrate.pipeline import run_migration
    from keyshift.migrate.report_md import totals
    from keyshift.migrate.review import key_json, write_review

    config = load_config(path, Path(task.config_file) if task.config_file else None)
    check = None
    if task.verify:
        from keyshift.verify import verifier

        # one STS call per key for the whole sweep, whichever worker meets it first
        check = verifier(task.verify_endpoint, task.region, rate=2.0, cache_dir=Path(task.out) / "verify")
    result = run_migration(path, config, history=task.history, jobs=1, verifier=check)
    folder = Path(task.out) / "repos" / task.source.name
    write_review(result, folder)
    # the summary is built in another process, which never sees this repository's secrets
    outcome: dict[str, Any] = result.scrubber.scrub_data(
        {
            "totals": totals(result),
            "keys": [{k: v for k, v in key_json(key).items() if k in _KEY_FIELDS} for key in result.keys],
            "roles": [r.name for r in result.plan.roles],
            "report": f"repos/{task.source.name}/report.md",
            "notes": list(result.notes),
            "errors": list(result.errors),
        }
    )
    return outcome


_KEY_FIELDS = ("key", "key_id", "account_id", "at_head", "history_only", "in_image", "roles", "verify")


def save_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text`` (summaries are rewritten at the end of every run)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
