"""``--since``, ``--staged`` and every way a repository can be bad."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from history_helpers import Repo, by_key, scan

from keyshift.errors import KeyshiftError
from keyshift.fakes import fake_key_id
from keyshift.model import SourceKind

K1 = fake_key_id("111122223333", seed="m1")
K2 = fake_key_id("444455556666", seed="m2")
K3 = fake_key_id("777788889999", seed="m3")


def test_since_reports_only_what_the_new_commits_add(repo: Repo) -> None:
    repo.write("old.cfg", f"key={K1}\nx=1\n")
    base = repo.commit("base with a legacy key")
    repo.git("checkout", "-q", "-b", "pr")
    repo.write("old.cfg", f"key={K1}\nx=2\n")  # touches the legacy file, adds nothing
    repo.commit("edit legacy file")
    repo.write("new.env", f"AWS_ACCESS_KEY_ID={K2}\n")
    added = repo.commit("adds a key")
    result = scan(repo.path, since=base)
    assert {k: v[0].location.commit for k, v in by_key(result).items()} == {K2: added}
    assert result.stats["commits"] == 2
    full = scan(repo.path)
    assert set(by_key(full)) == {K1, K2}


def test_since_range_ignores_other_branches(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "someone-else")
    repo.write("their.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    repo.commit("a key on another branch")
    repo.git("checkout", "-q", "-b", "mine", base)
    repo.write("mine.env", f"AWS_ACCESS_KEY_ID={K2}\n")
    mine = repo.commit("my pull request")
    assert set(by_key(scan(repo.path, since=base))) == {K1, K2}
    ranged = scan(repo.path, since=f"{base}..HEAD")
    assert {k: v[0].location.commit for k, v in by_key(ranged).items()} == {K2: mine}
    assert set(by_key(scan(repo.path, since=f"{base}..someone-else"))) == {K1}
    assert scan(repo.path, since=f"{mine}..").findings == ()
    with pytest.raises(KeyshiftError, match="symmetric"):
        scan(repo.path, since=f"{base}...HEAD")


def test_since_with_nothing_new_is_clean(repo: Repo) -> None:
    repo.write("old.cfg", f"key={K1}\n")
    head = repo.commit("base")
    result = scan(repo.path, since=head)
    assert result.findings == ()
    assert result.stats["commits"] == 0
    assert result.errors == ()


def test_since_unknown_revision_is_an_error(repo: Repo) -> None:
    repo.write("a", "a\n")
    repo.commit("a")
    with pytest.raises(KeyshiftError, match="does not name a commit"):
        scan(repo.path, since="origin/does-not-exist")
    with pytest.raises(KeyshiftError, match="cannot start with"):
        scan(repo.path, since="--all")


def test_staged_reports_new_values_in_the_index_only(repo: Repo) -> None:
    repo.write("legacy.cfg", f"key={K1}\n")
    repo.commit("legacy")
    repo.write("legacy.cfg", f"key={K1}\nmore=1\n")
    repo.write("new.py", f'KEY = "{K2}"\n')
    repo.write("unstaged.txt", f"key={K3}\n")
    repo.git("add", "legacy.cfg", "new.py")
    result = scan(repo.path, staged=True)
    [finding] = [f for f in result.findings if f.suppressed is None]
    assert (finding.key_id, finding.path, finding.line) == (K2, "new.py", 1)
    assert finding.location.commit is None
    assert finding.history is None
    assert finding.source is SourceKind.WORKTREE
    assert result.files_scanned == 2


def test_staged_in_a_repository_without_commits(repo: Repo) -> None:
    repo.write("first.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    repo.git("add", "first.env")
    assert set(by_key(scan(repo.path, staged=True))) == {K1}


def test_staged_move_is_not_a_new_key(repo: Repo) -> None:
    repo.write("a/conf.cfg", f"key={K1}\n")
    repo.commit("legacy")
    (repo.path / "b").mkdir()
    repo.git("mv", "a/conf.cfg", "b/conf.cfg")
    assert scan(repo.path, staged=True).findings == ()


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(KeyshiftError, match="not a git repository"):
        scan(tmp_path)
    with pytest.raises(KeyshiftError, match="does not exist"):
        scan(tmp_path / "missing")


def test_empty_repository_is_not_silently_clean(repo: Repo) -> None:
    with pytest.raises(KeyshiftError, match="no commits"):
        scan(repo.path)


def test_safe_directory_refusal_names_the_fix(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("a", "a\n")
    repo.commit("a")
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
    with pytest.raises(KeyshiftError) as info:
        scan(repo.path)
    message = str(info.value)
    assert "safe.directory" in message
    assert f"git config --global --add safe.directory {repo.path}" in message


def test_shallow_clone_is_partial_with_a_reason(repo: Repo, tmp_path: Path) -> None:
    repo.write("old.cfg", f"key={K1}\n")
    repo.commit("old key")
    repo.write("old.cfg", "key=\n")
    repo.commit("scrubbed")
    repo.write("new.cfg", f"key={K2}\n")
    repo.commit("new key")
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    result = scan(clone)
    assert set(by_key(result)) == {K2}
    assert any("shallow clone" in e and "--unshallow" in e for e in result.errors)


def _loose_path(repo: Repo, sha: str) -> Path:
    return repo.path / ".git" / "objects" / sha[:2] / sha[2:]


def test_corrupt_object_is_counted_and_the_rest_is_scanned(repo: Repo) -> None:
    repo.write("good.cfg", f"key={K1}\n")
    repo.write("bad.cfg", f"key={K2}\n")
    repo.write("also-good.cfg", f"key={K3}\n")
    repo.commit("three files")
    bad = repo.git("rev-parse", "HEAD:bad.cfg").strip()
    loose = _loose_path(repo, bad)
    loose.chmod(0o644)
    loose.write_bytes(b"\x78\x9c this is not a zlib stream")
    result = scan(repo.path)
    assert set(by_key(result)) == {K1, K3}
    assert result.stats["unreadable"] == 1
    assert [(s.path, s.reason) for s in result.skipped] == [(f"blob {bad}", "corrupt object")]
    assert any("partial" in e for e in result.errors)


def test_missing_object_in_since_range(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    base = repo.commit("base")
    repo.write("gone.cfg", f"key={K1}\n")
    repo.write("kept.cfg", f"key={K2}\n")
    repo.commit("two keys")
    missing = repo.git("rev-parse", "HEAD:gone.cfg").strip()
    _loose_path(repo, missing).unlink()
    result = scan(repo.path, since=base)
    assert set(by_key(result)) == {K2}
    assert (f"blob {missing}", "missing object") in [(s.path, s.reason) for s in result.skipped]


def test_git_not_installed(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(KeyshiftError, match="git is not installed"):
        scan(repo.path)


def test_bare_repository(repo: Repo, tmp_path: Path) -> None:
    repo.write("k.cfg", f"key={K1}\n")
    added = repo.commit("k")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    assert by_key(scan(bare))[K1][0].location.commit == added
    shutil.rmtree(bare)


def test_subdirectory_scan_reports_paths_relative_to_it(repo: Repo) -> None:
    repo.write("services/api/.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    repo.write("services/web/.env", f"AWS_ACCESS_KEY_ID={K2}\n")
    api = repo.commit("two services")
    (repo.path / "services/api/.env").unlink()
    repo.commit("remove")
    result = scan(repo.path / "services" / "api")
    assert {k: (v[0].path, v[0].location.commit) for k, v in by_key(result).items()} == {K1: (".env", api)}
    repo.write("services/api/new.cfg", f"key={K3}\n")
    repo.write("services/web/new.cfg", f"key={K3}\n")
    repo.git("add", "-A")
    staged = scan(repo.path / "services" / "web", staged=True)
    assert [(f.key_id, f.path) for f in staged.findings] == [(K3, "new.cfg")]


def test_missing_tree_makes_the_walk_partial_not_silent(repo: Repo) -> None:
    repo.write("old/a.cfg", f"key={K1}\n")
    repo.commit("old")
    repo.write("new.cfg", f"key={K2}\n")
    newest = repo.commit("new")
    old_tree = repo.git("rev-parse", "HEAD~1:old").strip()
    _loose_path(repo, old_tree).unlink()
    result = scan(repo.path)
    assert {k: v[0].location.commit for k, v in by_key(result).items()} == {K2: newest}
    assert any("git log stopped early" in e for e in result.errors)
    assert any("could not be attributed" in e for e in result.errors)
