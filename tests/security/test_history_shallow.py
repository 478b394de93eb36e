"""A shallow history, real or written by hand, is never reported clean (round 5 attack pass).

``.git/shallow`` makes git treat the commits it lists as having no parents. A real shallow clone
lacks everything behind them; a hand-written file hides history that is present (the commit that
added a key). ``scan --history`` warned and exited 0 when it found nothing. Now every boundary
commit the scan reached is listed as not read and a scan that found nothing exits 2, like a corrupt
object. A ``--since`` range whose walk never reaches the boundary (a CI checkout deep enough for
the pull request) is whole and keeps its verdict.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from tests.security.git_hostile import KEY, SECRET, app_code, commit, git, init, keyshift


def _history(tmp_path: Path) -> Path:
    repo = init(tmp_path / "repo")
    commit(repo, {"app.py": "print('hello')\n"}, "base")
    commit(repo, {"app.py": app_code(KEY, SECRET)}, "key")
    commit(repo, {"app.py": "print('hello')\n"}, "drop")
    for i in range(3):
        commit(repo, {"notes.txt": f"{i}\n"}, f"later {i}")
    return repo


def _shallow_clone(repo: Path, tmp_path: Path, depth: int) -> Path:
    clone = tmp_path / f"clone{depth}"
    subprocess.run(
        ["git", "clone", "-q", "--no-local", f"--depth={depth}", f"file://{repo}", str(clone)],
        check=True,
        capture_output=True,
    )
    return clone


def _not_read(doc: dict[str, object]) -> list[dict[str, str]]:
    return [s for s in doc["skipped"] if s["reason"].startswith("unreadable: shallow")]  # type: ignore[attr-defined,index]


@pytest.mark.parametrize("fake", [True, False], ids=["hand-written", "real-clone"])
@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
def test_shallow_history_that_found_nothing_is_not_clean(tmp_path: Path, fake: bool, fmt: str) -> None:
    repo = _history(tmp_path)
    if fake:  # the key commit is present, but git is told HEAD~1 has no parents
        (repo / ".git" / "shallow").write_text(git(repo, "rev-parse", "HEAD~1"))
        target = repo
    else:
        target = _shallow_clone(repo, tmp_path, 2)
    proc = keyshift("scan", "--history", "--format", fmt, str(target))
    assert proc.returncode == 2, proc.stderr
    assert b"shallow" in proc.stderr
    assert b"could not be read" in proc.stderr
    assert SECRET.encode() not in proc.stdout + proc.stderr
    if fmt == "json":
        boundary = git(target, "rev-parse", "HEAD~1").strip()
        assert [s["path"] for s in _not_read(json.loads(proc.stdout))] == [f"commit {boundary}"]
    if fmt == "text":
        assert b"No AWS credentials found" not in proc.stdout


def test_shallow_history_with_findings_still_reports_them(tmp_path: Path) -> None:
    repo = _history(tmp_path)
    commit(repo, {"live.py": app_code(KEY, SECRET)}, "key again")
    clone = _shallow_clone(repo, tmp_path, 1)
    proc = keyshift("scan", "--history", "--format", "json", str(clone))
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert {f["key_id"] for f in doc["findings"] if f.get("key_id")} == {KEY}
    assert len(_not_read(doc)) == 1


def test_a_gate_range_short_of_the_boundary_is_whole(tmp_path: Path) -> None:
    repo = _history(tmp_path)
    clone = _shallow_clone(repo, tmp_path, 3)  # boundary at HEAD~2; the range is HEAD~1..HEAD
    proc = keyshift("scan", "--history", "--since", "HEAD~1..HEAD", "--format", "json", ".", cwd=clone)
    assert proc.returncode == 0, proc.stderr
    assert _not_read(json.loads(proc.stdout)) == []
    # a range that runs into the boundary is cut: not clean
    base = git(clone, "rev-parse", "HEAD~2").strip()
    (clone / ".git" / "shallow").write_text(git(clone, "rev-parse", "HEAD~1"))
    proc = keyshift("scan", "--history", "--since", f"{base}..HEAD", "--format", "json", ".", cwd=clone)
    assert proc.returncode == 2, proc.stderr
    assert len(_not_read(json.loads(proc.stdout))) == 1


def test_a_long_hand_written_shallow_file_is_summarised(tmp_path: Path) -> None:
    repo = _history(tmp_path)
    head = git(repo, "rev-parse", "HEAD~1").strip()
    lines = [head] + [f"{i:040x}" for i in range(1, 4_000)]  # made-up ids: git ignores missing ones
    (repo / ".git" / "shallow").write_text("\n".join(lines) + "\n")
    proc = keyshift("scan", "--history", "--format", "json", str(repo))
    assert proc.returncode == 2, proc.stderr
    skipped = _not_read(json.loads(proc.stdout))
    assert len(skipped) == 21
    assert "3980 more shallow commits" in {s["path"] for s in skipped}


@pytest.mark.parametrize("shape", ["50,000 lines", "fifo", "symlink"])
def test_a_shallow_file_git_cannot_read_in_bounded_time_is_refused(tmp_path: Path, shape: str) -> None:
    """git re-reads .git/shallow in every command that loads commits and slows super-linearly on
    a long one (10 s for one rev-parse at 50,000 lines); a FIFO would block it. Refused before git
    reads it: a clear message, exit 2, in seconds."""
    repo = _history(tmp_path)
    head = git(repo, "rev-parse", "HEAD~1").strip()
    shallow = repo / ".git" / "shallow"
    if shape == "fifo":
        os.mkfifo(shallow)
    elif shape == "symlink":
        (tmp_path / "elsewhere").write_text(head + "\n")
        shallow.symlink_to(tmp_path / "elsewhere")
    else:
        shallow.write_text("\n".join([head] + [f"{i:040x}" for i in range(1, 50_000)]) + "\n")
    started = time.monotonic()
    proc = keyshift("scan", "--history", "--format", "json", str(repo))
    assert proc.returncode == 2, proc.stderr
    assert b"was not read" in proc.stderr
    assert b"No AWS credentials found" not in proc.stdout + proc.stderr
    assert time.monotonic() - started < 60
