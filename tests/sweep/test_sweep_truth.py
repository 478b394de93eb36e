"""sweep tells the truth: history by default, "clean" only when every source was scanned,
keys shared across repositories, and progress between two sweeps into the same folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keyshift.fakes import fake_key_id, fake_secret
from keyshift.migrate.synth import commit_all, make_clean_repo, make_repo


def sweep(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "keyshift", "sweep", *args, "--workers", "1", "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def history_only_repo(path: Path) -> str:
    """A repository whose only key was committed and then deleted: clean at HEAD, not in history."""
    make_clean_repo(path)
    key = fake_key_id("444455556666", seed=f"{path.name}:gone")
    (path / "old.py").write_text(f'KEY = "{key}"\nSECRET = "{fake_secret(path.name)}"\n')
    commit_all(path, "add a script")
    (path / "old.py").unlink()
    commit_all(path, "remove it")
    return key


def rows(out: Path) -> dict[str, dict[str, object]]:
    data = json.loads((out / "summary.json").read_text())
    return {r["name"]: r for r in data["repositories"]}


@pytest.mark.parametrize(
    ("flags", "risk", "not_scanned"),
    [
        ([], "history", []),  # the default, as in migrate: history scanned, the key found
        (["--no-history"], "partial", ["history"]),  # opted out: never "clean"
    ],
)
def test_history_only_key_is_never_clean(
    tmp_path: Path, flags: list[str], risk: str, not_scanned: list[str]
) -> None:
    fleet = tmp_path / "fleet"
    history_only_repo(fleet / "legacy")
    out = tmp_path / "out"
    proc = sweep(str(fleet), "--out", str(out), *flags)
    assert proc.returncode in (0, 1), proc.stderr
    row = rows(out)["legacy"]
    assert row["risk"] == risk
    assert row["not_scanned"] == not_scanned
    summary = (out / "summary.md").read_text()
    if not_scanned:
        assert "not scanned: history" in summary
        assert "1 not fully scanned" in proc.stdout
    assert json.loads((out / "summary.json").read_text())["totals"]["clean"] == 0


@pytest.mark.parametrize(("flags", "risk"), [([], "clean"), (["--no-history"], "partial")])
def test_clean_needs_every_source(tmp_path: Path, flags: list[str], risk: str) -> None:
    fleet = tmp_path / "fleet"
    make_clean_repo(fleet / "tidy")
    out = tmp_path / "out"
    proc = sweep(str(fleet), "--out", str(out), *flags)
    assert proc.returncode == 0, proc.stderr
    row = rows(out)["tidy"]
    assert row["risk"] == risk
    assert row["scanned"] == (["worktree", "history"] if not flags else ["worktree"])
    html = (out / "summary.html").read_text()
    assert ("not scanned: history" in html) == bool(flags)


def test_shared_keys_and_progress(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet"
    one = make_repo(fleet / "one", services=1, seed="shared", history_key=False)
    make_repo(fleet / "two", services=1, seed="shared", history_key=False)  # same seed: the same key
    out = tmp_path / "out"
    first = sweep(str(fleet), "--out", str(out))
    assert first.returncode == 1, first.stderr
    data = json.loads((out / "summary.json").read_text())
    assert data["progress"] is None
    shared = data["shared_keys"]
    assert len(shared) == 1 and shared[0]["repositories"] == ["one", "two"]
    key = shared[0]["key"]
    assert "Keys shared across repositories" in (out / "summary.md").read_text()

    # repository one removes every key file from HEAD; the key stays in its history
    for path in list(one.rglob("*")):
        if path.is_file() and ".git" not in path.parts and key in path.read_text(errors="ignore"):
            path.unlink()
    commit_all(one, "use the task role")
    second = sweep(str(fleet), "--out", str(out))
    assert second.returncode == 1, second.stderr
    data = json.loads((out / "summary.json").read_text())
    assert data["progress"]["previous_keys"] == 1
    assert data["progress"]["new"] == [] and data["progress"]["gone"] == []
    assert "Progress since the last sweep" in (out / "summary.md").read_text()
    states = {k["key"]: k for k in data["keys"]}
    assert states[key]["state"] == "head"  # still at HEAD in repository two
    assert rows(out)["one"]["keys_at_head"] == 0
