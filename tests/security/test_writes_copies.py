"""Attack: secrets in a task definition that keyshift copies into ``roles/*/taskdefs/``.

The copy used to drop only the three standard variable names. A secret under
``BACKUP_AWS_SECRET_ACCESS_KEY``, a token under the legacy ``AWS_SECURITY_TOKEN`` and a secret
inside the container ``command`` are all flagged by ``scan``; every copy (``plan --out``, the
migrate review folder, a sweep) must mask them, in every encoding the redaction knows.
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import pytest
from tests.conftest import git, init_repo
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token

KEY = fake_key_id("123456789012", seed="copies")
SECRET = fake_secret("copies")
BACKUP_KEY = fake_key_id("123456789012", seed="copies-backup")
BACKUP_SECRET = fake_secret("copies-backup")
TOKEN = fake_session_token("copies")
COMMAND_SECRET = fake_secret("copies-command")
SECRETS = (SECRET, BACKUP_SECRET, TOKEN, COMMAND_SECRET)
TASKDEF = {
    "family": "svc",
    "containerDefinitions": [
        {
            "name": "app",
            "image": "app:1",
            "command": [
                "sh",
                "-c",
                f"AWS_ACCESS_KEY_ID={KEY} AWS_SECRET_ACCESS_KEY={COMMAND_SECRET} ./run",
            ],
            "environment": [
                {"name": "AWS_ACCESS_KEY_ID", "value": KEY},
                {"name": "AWS_SECRET_ACCESS_KEY", "value": SECRET},
                {"name": "BACKUP_AWS_ACCESS_KEY_ID", "value": BACKUP_KEY},
                {"name": "BACKUP_AWS_SECRET_ACCESS_KEY", "value": BACKUP_SECRET},
                {"name": "AWS_SECURITY_TOKEN", "value": TOKEN},
                {"name": "STREAM", "value": "clicks"},
            ],
        }
    ],
}
APP = 'import boto3\ns3 = boto3.client("s3")\ns3.get_object(Bucket="b", Key="k")\n'


def _repo(root: Path) -> Path:
    init_repo(root)
    (root / "svc" / "ecs").mkdir(parents=True)
    (root / "svc" / "app.py").write_text(APP)
    (root / "svc" / "Dockerfile").write_text("FROM python:3.12\n")
    (root / "svc" / "ecs" / "task-definition.json").write_text(json.dumps(TASKDEF, indent=2))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "task definition")
    return root


def _forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [
        secret,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        urllib.parse.quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        raw.hex(),
    ]


def _assert_no_secret(folder: Path) -> list[Path]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in SECRETS:
            for form in _forms(secret):
                assert form not in text, f"{path}: {secret[:4]}… leaked"
    return files


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return _repo(tmp_path / "repo")


def test_scanner_flags_every_value_the_copy_holds(repo: Path) -> None:
    result = CliRunner().invoke(app, ["scan", str(repo), "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    from keyshift.redact import sha1_hex

    flagged = {f["value_sha1"] for f in findings if f["path"].endswith("task-definition.json")}
    assert {sha1_hex(s) for s in SECRETS} <= flagged


def _check_copies(roles: Path) -> None:
    copies = list(roles.glob("*/taskdefs/*"))
    assert copies  # one per role that the task definition belongs to
    for copy in copies:
        data = json.loads(copy.read_text())
        assert data["taskRoleArn"].startswith("arn:aws:iam::")
        names = {e["name"] for c in data["containerDefinitions"] for e in c["environment"]}
        assert "AWS_ACCESS_KEY_ID" not in names and "STREAM" in names
        values = {e["name"]: e["value"] for e in data["containerDefinitions"][0]["environment"]}
        assert values["BACKUP_AWS_SECRET_ACCESS_KEY"].startswith("<redacted sha1:")
        assert values["AWS_SECURITY_TOKEN"].startswith("<redacted sha1:")
        assert "<redacted sha1:" in data["containerDefinitions"][0]["command"][2]
        masked = json.loads((copy.parent.parent / "taskdef-patch.json").read_text())["masked"]
        assert {m["kind"] for m in masked} >= {"secret_access_key", "session_token"}


def test_plan_out_copies_are_masked(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", str(repo), "--out", str(out), "--exit-zero"])
    assert result.exit_code == 0, result.output
    _check_copies(out)
    _assert_no_secret(out)


def test_migrate_review_copies_are_masked(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "review"
    result = CliRunner().invoke(app, ["migrate", str(repo), "--out", str(out), "--exit-zero"])
    assert result.exit_code == 0, result.output
    _check_copies(out / "roles")
    _assert_no_secret(out)


def test_sweep_copies_are_masked(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = CliRunner().invoke(app, ["sweep", str(repo.parent), "--out", str(out), "-q", "--exit-zero"])
    assert result.exit_code == 0, result.output
    _check_copies(out / "repos" / "repo" / "roles")
    _assert_no_secret(out / "repos")
