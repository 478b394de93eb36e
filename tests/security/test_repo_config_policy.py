"""A scanned repository's own settings never hide its keys silently (round 5 attack pass).

``[tool.keyshift]`` in the scanned repository's ``pyproject.toml`` could allowlist its own key IDs,
name a baseline holding their hashes, exclude every file or set a one-byte size limit: the scan
said "No AWS credentials found" and exited 0. Policy: those settings still apply (a team's own
repository configures its own scan), but every finding they suppress is counted and located in
the report (text, JSON ``errors`` and ``stats``, stderr), so are their excludes and size limit;
``--no-repo-config`` ignores the file; ``sweep`` never reads it; a gate takes it from the base.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.security.git_hostile import KEY, SECRET, app_code, commit, init, keyshift

from keyshift.fakes import fake_key_id, fake_secret

WARNING = "settings from the scanned repository"


def _repo(tmp_path: Path, settings: str) -> Path:
    repo = init(tmp_path / "repo")
    commit(
        repo,
        {"app/aws.py": app_code(KEY, SECRET), "pyproject.toml": f"[tool.keyshift]\n{settings}\n"},
        "settings",
    )
    return repo


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        (f'allowlist = ["{KEY}"]', "suppressed by them (allowlist: 3) at app/aws.py:3, pyproject.toml:2"),
        ('exclude = ["**"]', "they exclude '**'"),
        ("max-file-size = 1", "they skip files over 1 bytes"),
    ],
    ids=["allowlist", "exclude", "size"],
)
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_what_the_repository_hides_is_said(tmp_path: Path, settings: str, said: str, fmt: str) -> None:
    repo = _repo(tmp_path, settings)
    proc = keyshift("scan", "--format", fmt, str(repo))
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, err  # the repository's settings apply...
    assert WARNING in out + err and said in out + err  # ...never silently
    assert "--no-repo-config" in out + err
    assert "No AWS credentials found." not in out
    assert SECRET not in out + err
    if fmt == "json":
        doc = json.loads(out)
        assert any(WARNING in e for e in doc["errors"])
        if "allowlist" in settings:
            assert doc["stats"]["suppressed_by_repository_settings"] == 3  # key ID and secret, and the key ID in the allowlist itself
    # an audit ignores the repository's own settings
    audit = keyshift("scan", "--format", "json", "--no-repo-config", str(repo))
    assert audit.returncode == 1, audit.stderr
    assert KEY in {f.get("key_id") for f in json.loads(audit.stdout)["findings"]}
    assert WARNING.encode() not in audit.stdout + audit.stderr


def test_the_repositorys_own_baseline_is_said(tmp_path: Path) -> None:
    repo = _repo(tmp_path, 'baseline = ".secrets.baseline"')
    written = keyshift(
        "scan", "--format", "baseline", "--no-repo-config", "-o", str(repo / ".secrets.baseline"), str(repo)
    )
    assert written.returncode == 1, written.stderr
    proc = keyshift("scan", "--format", "json", ".", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    errors = json.loads(proc.stdout)["errors"]
    assert any(WARNING in e and "baseline: 2" in e for e in errors), errors


def test_the_users_own_settings_are_not_flagged(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "")
    mine = tmp_path / "mine.toml"
    mine.write_text(f'[tool.keyshift]\nallowlist = ["{KEY}"]\n')
    proc = keyshift("scan", "--format", "json", "--config", str(mine), str(repo))
    assert proc.returncode == 0, proc.stderr
    assert WARNING.encode() not in proc.stdout + proc.stderr


def test_migrate_names_what_the_repository_hides(tmp_path: Path) -> None:
    other = fake_key_id("123456789012", seed="repo-config-other")
    repo = _repo(tmp_path, f'allowlist = ["{KEY}"]')
    commit(repo, {"app/other.py": app_code(other, fake_secret("repo-config-other"))}, "second key")
    review = tmp_path / "review"
    proc = keyshift("migrate", "--no-history", "--format", "json", "--out", str(review), str(repo))
    assert proc.returncode == 1, proc.stderr
    assert WARNING.encode() in proc.stdout + proc.stderr


def test_sweep_never_reads_the_repositorys_settings(tmp_path: Path) -> None:
    repo = _repo(tmp_path, f'allowlist = ["{KEY}"]\nexclude = ["**"]')
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{repo.as_uri()}\n")
    out = tmp_path / "out"
    proc = keyshift("sweep", str(listing), "--out", str(out), "--no-history", "-j", "1", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["repositories"][0]["keys"] == 1
