"""Attack: a repository commits the folders keyshift writes as symlinks to somewhere else.

``keyshift-review`` (migrate's default folder), ``roles`` inside it, a role folder, ``taskdefs``,
``plan --out`` and the sweep folder's ``repos`` are each planted as a symlink to a victim
directory outside the target. Every run must write nothing there and say why (exit 2 for a
command's own folder; a sweep names the repository as failed). Temporary files are unpredictable
and created with ``O_EXCL``: a symlink planted at the temporary name is never followed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.conftest import git, init_repo
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

KEY = fake_key_id("123456789012", seed="links")
SECRET = fake_secret("links")
APP = (
    "import boto3\n"
    f's3 = boto3.client("s3", aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n'
    's3.get_object(Bucket="b", Key="k")\n'
)
TASKDEF = {"family": "svc", "containerDefinitions": [{"name": "app", "image": "app:1", "environment": []}]}


def _repo(root: Path, links: dict[str, Path]) -> Path:
    """A service with a key and a task definition, and the given paths committed as symlinks."""
    init_repo(root)
    (root / "svc" / "ecs").mkdir(parents=True)
    (root / "svc" / "app.py").write_text(APP)
    (root / "svc" / "Dockerfile").write_text("FROM python:3.12\n")
    (root / "svc" / "ecs" / "task-definition.json").write_text(json.dumps(TASKDEF))
    for name, target in links.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / name)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "links")
    return root


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    folder = tmp_path / "victim"
    folder.mkdir()
    return folder


def _nothing_in(victim: Path) -> None:
    assert list(victim.rglob("*")) == []


@pytest.mark.parametrize(
    ("link", "out"),
    [
        ("keyshift-review", "keyshift-review"),  # the default folder, run from the repository
        ("keyshift-review/roles", "keyshift-review"),
        ("keyshift-review/roles/svc-task-role", "keyshift-review"),
        ("keyshift-review/roles/svc-task-role/taskdefs", "keyshift-review"),
        ("nested/review", "nested/review/deeper"),
    ],
)
def test_migrate_never_writes_through_a_committed_symlink(
    link: str, out: str, tmp_path: Path, victim: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path / "repo", {link: victim})
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["migrate", ".", "--out", out, "--exit-zero"])
    assert result.exit_code == 2, result.output
    assert "symlink" in result.stderr
    _nothing_in(victim)


@pytest.mark.parametrize("link", ["plan-out", "plan-out/svc-task-role", "plan-out/svc-task-role/taskdefs"])
def test_plan_out_never_writes_through_a_committed_symlink(link: str, tmp_path: Path, victim: Path) -> None:
    root = _repo(tmp_path / "repo", {link: victim})
    result = CliRunner().invoke(app, ["plan", str(root), "--out", str(root / "plan-out"), "--exit-zero"])
    assert result.exit_code == 2, result.output
    assert "refusing to write through a symlink" in result.stderr
    _nothing_in(victim)


def test_plan_out_inside_the_target_still_works(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", {})
    result = CliRunner().invoke(app, ["plan", str(root), "--out", str(root / "a" / "b"), "--exit-zero"])
    assert result.exit_code == 0, result.output
    assert (root / "a" / "b" / "svc-task-role" / "main.tf").is_file()


def test_dangling_symlink_is_not_created_through(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    root = _repo(tmp_path / "repo", {"keyshift-review": gone})
    result = CliRunner().invoke(app, ["migrate", str(root), "--out", str(root / "keyshift-review")])
    assert result.exit_code == 2, result.output
    assert not gone.exists()


def test_sweep_repos_folder_symlink(tmp_path: Path, victim: Path) -> None:
    _repo(tmp_path / "fleet" / "svc", {})
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / "repos")
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "fleet"), "--out", str(out), "-q"])
    assert result.exit_code == 2, result.output
    assert "symlink" in result.stderr
    _nothing_in(victim)


def test_sweep_review_folder_symlink(tmp_path: Path, victim: Path) -> None:
    _repo(tmp_path / "fleet" / "svc", {})
    out = tmp_path / "out"
    (out / "repos").mkdir(parents=True)
    os.symlink(victim, out / "repos" / "svc")
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "fleet"), "--out", str(out), "-q"])
    assert result.exit_code == 1, result.output
    summary = json.loads((out / "summary.json").read_text())
    (repo,) = summary["repositories"]
    assert repo["risk"] == "error"
    _nothing_in(victim)


def test_report_temporary_is_unpredictable_and_exclusive(
    tmp_path: Path, victim: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import secrets

    root = _repo(tmp_path / "repo", {})
    names = iter(["planted", "fresh"])
    monkeypatch.setattr(secrets, "token_hex", lambda _: next(names))
    report = tmp_path / "report.json"
    os.symlink(victim / "stolen", tmp_path / ".report.json.planted.tmp")  # a symlink at the temporary's name
    os.symlink(victim / "guessed", tmp_path / f".report.json.{os.getpid()}.tmp")  # the old, predictable name
    result = CliRunner().invoke(app, ["scan", str(root), "--format", "json", "--output", str(report)])
    assert result.exit_code == 1, result.output
    assert json.loads(report.read_text())["findings"]
    _nothing_in(victim)
    assert not (tmp_path / ".report.json.fresh.tmp").exists()


def test_sweep_fresh_never_deletes_through_a_symlink(tmp_path: Path, victim: Path) -> None:
    _repo(tmp_path / "fleet" / "svc", {})
    (victim / "precious.json").write_text("{}")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / "verify")
    result = CliRunner().invoke(app, ["sweep", str(tmp_path / "fleet"), "--out", str(out), "-q", "--fresh"])
    assert result.exit_code == 2, result.output
    assert "symlink" in result.stderr
    assert (victim / "precious.json").read_text() == "{}"
