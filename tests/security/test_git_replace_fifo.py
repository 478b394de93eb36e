"""History cannot be hidden by ``refs/replace``, and a FIFO inside ``.git`` cannot hang keyshift.

- A published replace ref swaps a commit that added a key for one that did not. git honours it
  unless told not to; keyshift must report the key, attributed to the real commit, in a mirror,
  a bare repository and a work tree.
- git opens ``HEAD``, ``packed-refs``, loose refs and ``objects/info/alternates`` with a blocking
  ``open``: one FIFO among them hangs it. keyshift must refuse such a repository quickly with a
  message naming the FIFO, exit 2 for history, and still scan a tree (never "clean").
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from keyshift import gitrun
from keyshift.errors import KeyshiftError

from .git_hostile import KEY, OLD_KEY, OLD_SECRET, app_code, commit, git, init, keyshift

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")


def _replaced_repo(root: Path) -> tuple[Path, str]:
    """A repository whose commit adding OLD_KEY is replaced by an innocent-looking twin."""
    repo = init(root)
    commit(repo, {"README.md": "x\n"}, "start")
    commit(repo, {"old.py": app_code(OLD_KEY, OLD_SECRET)}, "add key")
    bad = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "rm", "-q", "old.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "remove key")
    # the twin: same parent and message, a tree without the key
    parent = git(repo, "rev-parse", f"{bad}^").strip()
    tree = git(repo, "rev-parse", f"{parent}^{{tree}}").strip()
    twin = git(repo, "commit-tree", tree, "-p", parent, "-m", "add key").strip()
    git(repo, "replace", bad, twin)
    assert "old.py" not in git(repo, "log", "--all", "--name-only", "--format=")  # git is fooled
    return repo, bad


@pytest.mark.parametrize("shape", ["mirror", "bare", "worktree"])
def test_replace_ref_does_not_hide_a_committed_key(shape: str, tmp_path: Path) -> None:
    repo, bad = _replaced_repo(tmp_path / "src")
    target = repo
    if shape != "worktree":
        target = tmp_path / f"{shape}.git"
        flag = "--mirror" if shape == "mirror" else "--bare"
        git(tmp_path, "clone", "-q", flag, str(repo), str(target))
        if shape == "bare":  # a bare clone does not copy refs/replace: publish it like a push would
            git(repo, "push", "-q", str(target), "refs/replace/*:refs/replace/*")
        assert git(target, "for-each-ref", "refs/replace").strip()
    proc = keyshift("scan", str(target), "--history", "--format", "json")
    assert proc.returncode == 1, proc.stderr.decode(errors="replace")
    findings = json.loads(proc.stdout)["findings"]
    hits = [f for f in findings if f["key_id"] == OLD_KEY]
    assert hits, "the replaced commit's key was not reported"
    assert {f["commit"] for f in hits} == {bad}


def _fifo_repo(root: Path, where: str) -> Path:
    repo = init(root)
    commit(repo, {"app.py": app_code(KEY, "x" * 0 + OLD_SECRET)}, "app")
    git(repo, "pack-refs", "--all")
    target = repo / ".git" / where
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    os.mkfifo(target)
    return repo


FIFO_PLACES = ["packed-refs", "objects/info/alternates", "refs/heads/feature", "info/attributes", "HEAD"]


@pytest.mark.parametrize("where", FIFO_PLACES)
def test_fifo_inside_git_never_hangs_history(where: str, tmp_path: Path) -> None:
    repo = _fifo_repo(tmp_path / "repo", where)
    started = time.monotonic()
    proc = keyshift("scan", str(repo), "--history", timeout=120)
    assert time.monotonic() - started < 60
    assert proc.returncode == 2, proc.stdout.decode(errors="replace")
    message = proc.stderr.decode(errors="replace")
    assert "FIFO" in message and where.split("/")[-1] in message
    assert b"No AWS credentials found" not in proc.stdout


@pytest.mark.parametrize("where", FIFO_PLACES)
@pytest.mark.parametrize("command", ["scan", "migrate", "verify", "sweep"])
def test_fifo_inside_git_commands_finish_and_never_say_clean(
    where: str, command: str, tmp_path: Path
) -> None:
    repo = _fifo_repo(tmp_path / "fleet" / "repo", where)
    args = {
        "scan": ["scan", str(repo)],
        "migrate": ["migrate", str(repo), "--out", str(tmp_path / "review")],
        "verify": ["verify", str(repo), "--endpoint-url", "https://127.0.0.1:9", "--timeout", "1"],
        "sweep": ["sweep", str(repo.parent), "--out", str(tmp_path / "sweep"), "-j", "1"],
    }[command]
    started = time.monotonic()
    proc = keyshift(*args, timeout=120)
    assert time.monotonic() - started < 90
    assert proc.returncode in (1, 2), proc.stderr.decode(errors="replace")[-2000:]
    assert b"Traceback" not in proc.stderr
    assert b"No AWS credentials found" not in proc.stdout
    if command == "scan":  # the tree needs no git: it is still scanned, and the refusal is said
        assert proc.returncode == 1 and KEY.encode() in proc.stdout
        assert b"FIFO" in proc.stderr + proc.stdout


def test_timeout_backstop_when_preflight_misses_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the preflight misses, a git call that blocks is stopped after its timeout."""
    repo = _fifo_repo(tmp_path / "repo", "packed-refs")
    monkeypatch.setattr(gitrun, "preflight", lambda start: None)
    monkeypatch.setenv("KEYSHIFT_GIT_TIMEOUT", "2")
    monkeypatch.setenv("KEYSHIFT_GIT_IDLE_TIMEOUT", "2")
    started = time.monotonic()
    with pytest.raises(gitrun.GitTimeout, match="did not finish within 2 s"):
        gitrun.run(gitrun.command("for-each-ref", cwd=repo))
    with (
        pytest.raises(gitrun.GitTimeout, match="sent nothing for 2 s"),
        gitrun.stream(gitrun.command("for-each-ref", cwd=repo)) as out,
    ):
        out.read()
    assert time.monotonic() - started < 30


def test_preflight_names_the_fifo(tmp_path: Path) -> None:
    repo = _fifo_repo(tmp_path / "repo", "objects/info/alternates")
    gitrun.forget_preflight()
    with pytest.raises(KeyshiftError, match=r"alternates is a FIFO inside the git directory"):
        gitrun.run(gitrun.command("rev-parse", "HEAD", cwd=repo))


def test_output_is_bounded(tmp_path: Path) -> None:
    repo = init(tmp_path / "repo")
    commit(repo, {f"f{i}.txt": "x\n" for i in range(50)}, "many")
    with pytest.raises(gitrun.GitOutputTooLarge):
        gitrun.run(gitrun.command("ls-files", cwd=repo), max_output=64)
    assert subprocess.run(["git", "--version"], capture_output=True, check=False).returncode == 0
