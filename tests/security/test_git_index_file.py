"""``GIT_INDEX_FILE`` and the other caller variables that redirect what git reads (round 5).

A hook of another repository (or a hostile CI step) exports ``GIT_INDEX_FILE`` naming that
repository's index: ``scan --staged`` then read the other index and reported the commit clean, and
the tree scan listed the wrong names. keyshift keeps the variable only when it names an index
inside the target's own git directory (``git commit -a`` and ``git commit PATH`` run the
pre-commit hook on ``.git/index.lock`` or ``.git/next-index-*.lock``); every other ``GIT_*``
variable outside a short allowlist is dropped.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tests.security.git_hostile import _ENV, KEY, SECRET, app_code, commit, git, init, keyshift


def _repos(tmp_path: Path) -> tuple[Path, Path]:
    target = init(tmp_path / "target")
    commit(target, {"app.py": "print('hello')\n"}, "base")
    other = init(tmp_path / "other")
    commit(other, {"app.py": "print('other')\n"}, "clean")
    return target, other


def _key_ids(stdout: bytes) -> set[str]:
    return {f["key_id"] for f in json.loads(stdout)["findings"] if f.get("key_id")}


def test_staged_scan_never_reads_another_repositorys_index(tmp_path: Path) -> None:
    target, other = _repos(tmp_path)
    (target / "app.py").write_text(app_code(KEY, SECRET))
    git(target, "add", "app.py")
    env = {"GIT_INDEX_FILE": str(other / ".git" / "index")}
    proc = keyshift("scan", "--staged", "--format", "json", ".", cwd=target, env=env)
    assert proc.returncode == 1, proc.stderr
    assert _key_ids(proc.stdout) == {KEY}


def test_tree_scan_never_lists_another_repositorys_index(tmp_path: Path) -> None:
    target, other = _repos(tmp_path)
    commit(target, {"conf/settings.py": app_code(KEY, SECRET)}, "key")
    commit(other, {"elsewhere/only.py": "x = 1\n"}, "other names")
    proc = keyshift(
        "scan", "--format", "json", str(target), env={"GIT_INDEX_FILE": str(other / ".git" / "index")}
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert _key_ids(proc.stdout) == {KEY}
    assert not [s for s in doc.get("skipped", []) if "elsewhere" in s["path"]]


def test_the_hooks_own_temporary_index_is_honoured(tmp_path: Path) -> None:
    """``git commit -a``: the commit is staged in a temporary index inside ``.git``; the real index
    does not hold it, so dropping the variable would miss the key."""
    target, _ = _repos(tmp_path)
    (target / "app.py").write_text(app_code(KEY, SECRET))
    temporary = target / ".git" / "next-index-4242.lock"
    subprocess.run(
        ["git", "-C", str(target), "add", "app.py"],
        env={**os.environ, **_ENV, "GIT_INDEX_FILE": str(temporary)},
        check=True,
        capture_output=True,
    )
    plain = keyshift("scan", "--staged", "--format", "json", ".", cwd=target)
    assert plain.returncode == 0, plain.stderr  # the real index holds no key
    for value in (str(temporary), ".git/next-index-4242.lock"):  # git passes either form
        proc = keyshift(
            "scan", "--staged", "--format", "json", ".", cwd=target, env={"GIT_INDEX_FILE": value}
        )
        assert proc.returncode == 1, (value, proc.stderr)
        assert _key_ids(proc.stdout) == {KEY}


@pytest.mark.parametrize("name", ["GIT_TRACE", "GIT_TRACE2_EVENT", "GIT_TRACE_PERFORMANCE"])
def test_caller_trace_variables_write_nothing(tmp_path: Path, name: str) -> None:
    """A trace file would copy command lines, paths and object names of an untrusted repository
    to wherever the caller's environment says."""
    target, _ = _repos(tmp_path)
    commit(target, {"app.py": app_code(KEY, SECRET)}, "key")
    commit(target, {"app.py": "print('hello')\n"}, "drop")
    env = {name: str(tmp_path / "trace.log")}
    proc = keyshift("scan", "--history", "--format", "json", str(target), env=env)
    assert proc.returncode == 1, proc.stderr
    assert _key_ids(proc.stdout) == {KEY}
    assert not (tmp_path / "trace.log").exists()  # nothing written outside the target
