"""sweep never reuses a result or a clone that does not match what it is asked to scan.

- another URL with the same base name is another clone and another result;
- an edit to an untracked or already-modified file invalidates the cache (a content hash that
  keyshift computes itself, not ``git status``, which would run the repository's filters);
- the settings file's content is part of the key;
- a ``--history`` sweep never reads an earlier shallow clone;
- a state file of the wrong shape is rebuilt with a message, never a crash.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keyshift.fakes import fake_key_id, fake_secret

from .git_hostile import KEY, OLD_KEY, OLD_SECRET, SECRET, app_code, commit, git, init, keyshift, payload, ran


def _sweep(*args: str, cwd: Path) -> tuple[int, dict, str]:
    proc = keyshift("sweep", *args, "-j", "1", cwd=cwd)
    err = proc.stderr.decode(errors="replace")
    assert b"Traceback" not in proc.stderr, err
    out = Path(args[args.index("--out") + 1])
    summary = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
    return proc.returncode, summary, err


def _counts(err: str) -> str:
    return [line for line in err.splitlines() if line.startswith("keyshift sweep:")][-1]


def test_same_base_name_other_url_is_another_repository(tmp_path: Path) -> None:
    dirty = init(tmp_path / "a" / "app")
    commit(dirty, {"app.py": app_code(KEY, SECRET)}, "key")
    clean = init(tmp_path / "b" / "app")
    commit(clean, {"app.py": "print('hello')\n"}, "clean")
    out = tmp_path / "out"
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{clean.as_uri()}\n")
    code, _, err = _sweep(str(listing), "--out", str(out), cwd=tmp_path)
    assert code == 0, err
    listing.write_text(f"{dirty.as_uri()}\n")  # same name "app", another repository
    code, summary, err = _sweep(str(listing), "--out", str(out), cwd=tmp_path)
    assert code == 1, err
    assert "1 scanned, 0 cached" in _counts(err)
    assert summary["repositories"][0]["keys"] == 1
    listing.write_text(f"{clean.as_uri()}\n")
    code, _, err = _sweep(str(listing), "--out", str(out), cwd=tmp_path)
    assert code == 0, err


@pytest.mark.parametrize("edit", ["untracked", "modified-again", "config"])
def test_edits_invalidate_the_cache(edit: str, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    repo = init(fleet / "svc")
    commit(repo, {"app.py": "print('a')\n", "notes.txt": "x\n"}, "start")
    (repo / "notes.txt").write_text("modified, no key\n")  # already modified before the first sweep
    (repo / "scratch.txt").write_text("untracked, no key\n")
    config = tmp_path / "keyshift.toml"
    config.write_text('[tool.keyshift]\nexclude = ["leak.env"]\n')
    (repo / "leak.env").write_text(f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n")
    out = tmp_path / "out"
    args = (str(fleet), "--out", str(out), "--config", str(config))
    code, _, err = _sweep(*args, cwd=tmp_path)
    assert code == 0, err
    code, _, err = _sweep(*args, cwd=tmp_path)
    assert "0 scanned, 1 cached" in _counts(err)
    if edit == "untracked":
        (repo / "scratch.txt").write_text(f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n")
    elif edit == "modified-again":
        (repo / "notes.txt").write_text(f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n")
    else:
        config.write_text("[tool.keyshift]\nexclude = []\n")  # same path, new content
    code, _, err = _sweep(*args, cwd=tmp_path)
    assert "1 scanned, 0 cached" in _counts(err), err
    assert code == 1, err


def test_history_sweep_never_reuses_a_shallow_clone(tmp_path: Path) -> None:
    repo = init(tmp_path / "src" / "svc")
    commit(repo, {"old.py": app_code(OLD_KEY, OLD_SECRET)}, "old key")
    git(repo, "rm", "-q", "old.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "drop")
    commit(repo, {"app.py": "print('hello')\n"}, "clean head")
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{repo.as_uri()}\n")
    out = tmp_path / "out"
    code, _, err = _sweep(str(listing), "--out", str(out), "--no-history", cwd=tmp_path)
    assert code == 0, err  # shallow: HEAD only, nothing found
    code, summary, err = _sweep(str(listing), "--out", str(out), "--history", cwd=tmp_path)
    assert code == 1, err
    assert "1 scanned, 0 cached" in _counts(err)
    row = summary["repositories"][0]
    assert row["keys_history_only"] >= 1, row


BAD_STATES = {
    "not json": "{not json",
    "a list": "[]",
    "keys is a string": {"keys": "AKIA"},
    "totals is a list": {"totals": []},
    "name is a number": {"name": 3},
    "roles of numbers": {"roles": [1, 2]},
    "key entry without key": {"keys": [{"account_id": "1"}]},
    "seconds is text": {"seconds": "fast"},
}


@pytest.mark.parametrize("case", sorted(BAD_STATES))
def test_bad_state_file_is_rebuilt_with_a_message(case: str, tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    repo = init(fleet / "svc")
    commit(repo, {"app.py": app_code(KEY, SECRET)}, "key")
    out = tmp_path / "out"
    code, _, err = _sweep(str(fleet), "--out", str(out), cwd=tmp_path)
    assert code == 1, err
    state = out / "repos" / "svc.json"
    good = json.loads(state.read_text())
    bad = BAD_STATES[case]
    state.write_text(bad if isinstance(bad, str) else json.dumps({**good, **bad}))
    code, summary, err = _sweep(str(fleet), "--out", str(out), cwd=tmp_path)
    assert code == 1, err
    assert "1 scanned, 0 cached" in _counts(err)
    assert "state file svc.json" in err and "rebuilt" in err
    assert json.loads(state.read_text())["status"] == "ok"
    assert summary["repositories"][0]["keys"] >= 1


def test_cache_key_never_runs_the_repository_filters(tmp_path: Path) -> None:
    """The cache key is computed by keyshift: a clean/process filter in .gitattributes never runs."""
    fleet = tmp_path / "fleet"
    repo = init(fleet / "svc")
    commit(repo, {".gitattributes": "* filter=evil\n", "app.py": "print('a')\n"}, "start")
    markers = tmp_path / "markers"
    script = payload(markers)
    for key in ("clean", "smudge", "process"):
        git(repo, "config", f"filter.evil.{key}", f"{script} {key}")
    (repo / "app.py").write_text("print('b')\n")  # modified: git status would run the clean filter
    out = tmp_path / "out"
    for _ in range(2):
        _sweep(str(fleet), "--out", str(out), cwd=tmp_path)
    assert ran(markers) == []


def test_sources_list_with_secret_like_names_is_fine(tmp_path: Path) -> None:
    """Sanity: a fleet of two repositories with different keys reports both (no cross-talk)."""
    fleet = tmp_path / "fleet"
    one = init(fleet / "one")
    commit(one, {"a.py": app_code(KEY, SECRET)}, "k")
    two = init(fleet / "two")
    other = fake_key_id("210987654321", seed="two")
    commit(two, {"a.py": app_code(other, fake_secret("two"))}, "k")
    code, summary, err = _sweep(str(fleet), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert code == 1, err
    assert {r["name"]: r["keys"] for r in summary["repositories"]} == {"one": 1, "two": 1}
