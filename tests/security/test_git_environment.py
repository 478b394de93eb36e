"""Variables that point git elsewhere, and ``info/grafts`` (round 4 attack pass).

A hook of some other repository exports ``GIT_DIR`` (and friends); keyshift run from it, on
another target, read the hook's repository and reported the target clean. A repository's own
``.git/info/grafts`` hid the commit that added a key from the walk, like a replace ref.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.security.git_hostile import KEY, SECRET, app_code, commit, git, init, keyshift


def _target(tmp_path: Path) -> Path:
    repo = init(tmp_path / "target")
    commit(repo, {"app.py": "print('hello')\n"}, "base")
    commit(repo, {"app.py": app_code(KEY, SECRET)}, "key")
    commit(repo, {"app.py": "print('hello')\n"}, "drop")
    return repo


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("GIT_DIR", ".git"),
        ("GIT_WORK_TREE", ""),
        ("GIT_OBJECT_DIRECTORY", ".git/objects"),
        ("GIT_COMMON_DIR", ".git"),
        ("GIT_ALTERNATE_OBJECT_DIRECTORIES", ".git/objects"),
        ("GIT_SHALLOW_FILE", ".git/fake-shallow"),
        ("GIT_NAMESPACE", "elsewhere"),
    ],
)
def test_caller_variables_never_point_the_scan_elsewhere(tmp_path: Path, name: str, where: str) -> None:
    target = _target(tmp_path)
    other = init(tmp_path / "other")
    commit(other, {"app.py": "print('other')\n"}, "clean")  # same file names, nothing found
    (other / ".git" / "fake-shallow").write_text(git(target, "rev-parse", "HEAD"))
    value = where if name == "GIT_NAMESPACE" else str(other / where)
    proc = keyshift("scan", "--history", "--format", "json", str(target), env={name: value})
    assert proc.returncode == 1, proc.stderr
    assert {f["key_id"] for f in json.loads(proc.stdout)["findings"] if f.get("key_id")} == {KEY}


def test_grafts_do_not_hide_a_commit(tmp_path: Path) -> None:
    target = _target(tmp_path)
    head, base = git(target, "rev-parse", "HEAD").strip(), git(target, "rev-parse", "HEAD~2").strip()
    (target / ".git" / "info").mkdir(exist_ok=True)
    (target / ".git" / "info" / "grafts").write_text(f"{head} {base}\n")
    proc = keyshift("scan", "--history", "--format", "json", str(target))
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)["findings"]
    assert findings and all(f["source"] == "history" for f in findings)
