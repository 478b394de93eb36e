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
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyshift import __version__, gitrun
from keyshift.errors import KeyshiftError
from keyshift.redact import scrub
from keyshift.safefs import open_output_dir
from keyshift.sweep.cache import clone_dir, config_digest, tree_digest, valid_state
from keyshift.sweep.sources import RepoSource

GIT_TIMEOUT = 600


@dataclass(frozen=True, slots=True)
class RepoTask:
    source: RepoSource
    out: str  # the sweep folder: repos/<name>.json (state) and repos/<name>/ (review folder)
    clones: str  # where remote repositories are cloned
    history: bool = False
    config_file: str | None = None
    verify_endpoint: str | None = None
    verify_insecure: bool = False
    verify: bool = False
    region: str = "us-east-1"

    def options_key(self) -> str:
        """What besides the content changes a result: the tool version, the options, the settings' content.

        ``history`` also decides shallow (``--depth 1``) or full clones, so a ``--history`` sweep never
        reuses a result computed from a shallow clone. The location is in it too: another URL that
        happens to get the same name is another repository.
        """
        data = {
            "v": __version__,
            "location": self.source.location,
            "history": self.history,
            "shallow": not self.history,
            "config": self.config_file,
            "config_sha": config_digest(self.config_file),
            "verify": self.verify,
            "endpoint": self.verify_endpoint,
            "region": self.region,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


class RepoError(Exception):
    """A problem with one repository (clone failed, not a repository, ...)."""


def _git(*args: str, cwd: str | None = None, network: bool = False) -> str:
    """One git command through the hardened runner; ``network`` only for clone, fetch and ls-remote."""
    try:
        proc = gitrun.run(
            gitrun.command(*args, cwd=cwd, network=network), timeout=GIT_TIMEOUT, network=network
        )
    except KeyshiftError as exc:
        raise RepoError(str(exc)) from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        fatal = [line for line in lines if line.startswith(("fatal:", "error:"))]
        message = (fatal or lines or [f"exit {proc.returncode}"])[0]
        raise RepoError(f"git {args[0]} failed: {scrub(message)}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def state_path(task: RepoTask) -> Path:
    return Path(task.out) / "repos" / f"{task.source.name}.json"


def _load_state(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """The saved outcome, or None with the reason it cannot be used (then the repository is rescanned)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"state file {path.name} unreadable ({exc.strerror}); rebuilt"
    try:
        with os.fdopen(fd, "rb") as handle:
            if not os.path.isfile(path) or os.fstat(handle.fileno()).st_size > 64 * 1024 * 1024:
                return None, f"state file {path.name} is not a small regular file; rebuilt"
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        return None, f"state file {path.name} is not valid JSON ({type(exc).__name__}); rebuilt"
    problem = valid_state(data)
    if problem:
        return None, f"state file {path.name} is malformed ({problem}); rebuilt"
    return data, None


def save_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write-then-rename: a killed sweep leaves the old state or the new one, never half a file.

    No fsync: resuming after an interrupted process needs atomicity, not durability against power
    loss, and an fsync per repository serialises the workers on the disk's journal.
    """
    save_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def remote_head(task: RepoTask) -> str | None:
    """HEAD of a remote without fetching it (``git ls-remote``), or None when unknown."""
    try:
        out = _git("ls-remote", "--", task.source.location, "HEAD", network=True)
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
    # keyed by the URL (and full vs shallow), never by the base name: another URL named alike is
    # another clone, and a --history sweep never sees a shallow clone
    target = clone_dir(Path(task.clones), src.name, src.location, shallow=not task.history)
    depth = [] if task.history else ["--depth", "1"]
    if (target / ".git").is_dir():
        try:
            shallow = _git("rev-parse", "--is-shallow-repository", cwd=str(target)).strip()
            if task.history and shallow != "false":
                raise RepoError("cached clone is shallow")
            # fetch the URL itself, not whatever "origin" the cached clone's config names
            _git(
                "fetch", "--quiet", "--no-tags", *depth, "--", src.location, "HEAD",
                cwd=str(target), network=True,
            )  # fmt: skip
            _git("checkout", "--quiet", "--force", "--detach", "FETCH_HEAD", cwd=str(target))
            _git("clean", "--quiet", "-fdx", cwd=str(target))
            return target
        except RepoError:
            shutil.rmtree(target, ignore_errors=True)  # a clone left broken: start again
    target.parent.mkdir(parents=True, exist_ok=True)
    # clone beside the cache entry and rename: a sweep killed mid-clone leaves no half repository
    staging = Path(tempfile.mkdtemp(prefix=f".{src.name}.", suffix=".clone", dir=target.parent))
    try:
        _git(
            "clone", "--quiet", "--no-tags", "--template=", *depth, "--", src.location, str(staging / "repo"),
            network=True,
        )  # fmt: skip
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


def tree_state(path: Path, *, history: bool = False) -> str | None:
    """HEAD plus a hash of the content of every file a scan would read (``sweep.cache.tree_digest``).

    Never ``git status``: it runs the repository's clean/process filter drivers, and it misses
    edits to files that were already modified or untracked.
    """
    head = local_head(path)
    if head is None:
        return None
    return f"{head}+{tree_digest(path, refs=history)}"


def run_task(task: RepoTask) -> dict[str, Any]:
    """Scan and plan one repository; returns its outcome (a JSON-able dict) and saves it if it succeeded."""
    started = time.perf_counter()
    base: dict[str, Any] = {"name": task.source.name, "location": task.source.location}
    try:
        state = state_path(task)
        previous, problem = _load_state(state)
        if problem:
            base["notes"] = [problem]
            print(f"keyshift sweep: {task.source.name}: {problem}", file=sys.stderr)
        key_suffix = task.options_key()
        if previous is not None and previous.get("status") == "ok":
            if task.source.remote:
                state_now = remote_head(task)
            else:
                state_now = tree_state(Path(task.source.location), history=task.history)
            if state_now is not None and previous.get("cache_key") == f"{state_now}:{key_suffix}":
                return {**previous, "cached": True, "seconds": time.perf_counter() - started}
        path = checkout(task)
        head = local_head(path)
        # taken before the scan: a change during it means a rescan next time
        before = head if task.source.remote else tree_state(path, history=task.history)
        outcome = _migrate(task, path)
        outcome.update({k: v for k, v in base.items() if k != "notes"})
        outcome["notes"] = [*base.get("notes", []), *outcome.get("notes", [])]
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

    # a fleet audit: a repository's own settings never allowlist or exclude its own keys
    config = load_config(path, Path(task.config_file) if task.config_file else None, repo_config=False)
    check = None
    if task.verify:
        from keyshift.verify import verifier

        # one STS call per key for the whole sweep, whichever worker meets it first
        check = verifier(
            task.verify_endpoint,
            task.region,
            rate=2.0,
            cache_dir=Path(task.out) / "verify",
            insecure=task.verify_insecure,
        )
    result = run_migration(path, config, history=task.history, jobs=1, verifier=check)
    folder = Path(task.out) / "repos" / task.source.name
    write_review(result, folder)
    # the summary is built in another process, which never sees this repository's secrets
    outcome: dict[str, Any] = result.scrubber.scrub_data(
        {
            "totals": totals(result),
            "keys": [{k: v for k, v in key_json(key).items() if k in _KEY_FIELDS} for key in result.keys],
            "roles": [r.name for r in result.plan.roles],
            "sources": list(result.sources),  # what was really scanned: "clean" needs every source
            "report": f"repos/{task.source.name}/report.md",
            "notes": list(result.notes),
            "errors": list(result.errors),
        }
    )
    return outcome


_KEY_FIELDS = ("key", "key_id", "account_id", "at_head", "history_only", "in_image", "roles", "verify")


def save_text(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text`` (summaries are rewritten at the end of every run).

    The folder is opened without following symlinks and the temporary is unpredictable
    (``keyshift.safefs``).
    """
    with open_output_dir(path.parent) as folder:
        folder.write_text(path.name, text)
