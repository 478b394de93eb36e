"""Every output format end to end: a real git repository, the real CLI, real detect-secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token
from keyshift.redact import mask_key_id, sha1_hex
from keyshift.report.json import schema

from .gitutil import git, init_repo

KEY = fake_key_id("123456789012", seed="cli-a")
SECRET = fake_secret("cli-a")
OLD_KEY = fake_key_id("210987654321", seed="cli-old")
OLD_SECRET = fake_secret("cli-old")
NEW_KEY = fake_key_id("123456789012", seed="cli-new")
TOKEN = fake_session_token("cli-a")

runner = CliRunner()


@cache
def _sarif_validator() -> jsonschema.Draft4Validator:
    path = Path(__file__).with_name("sarif-schema-2.1.0.json")
    return jsonschema.Draft4Validator(json.loads(path.read_text(encoding="utf-8")))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A service whose history once held another key, and whose HEAD holds one pair in two places."""
    repo = init_repo(tmp_path / "svc")
    (repo / "app").mkdir()
    (repo / "app" / "old.py").write_text(
        f'import boto3\nclient = boto3.client("s3", aws_access_key_id="{OLD_KEY}",\n'
        f'    aws_secret_access_key="{OLD_SECRET}")\n',
        encoding="utf-8",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "old client")
    (repo / "app" / "old.py").unlink()
    (repo / "app" / "settings.py").write_text(
        f'import boto3\n\nAWS_ACCESS_KEY_ID = "{KEY}"\naws_secret_access_key = "{SECRET}"\n', encoding="utf-8"
    )
    (repo / "Dockerfile").write_text(
        f'FROM python:3.12-slim\nENV AWS_ACCESS_KEY_ID={KEY}\nCMD ["python", "-m", "app"]\n',
        encoding="utf-8",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "settings")
    return repo


def _scan(*args: str) -> Any:
    result = runner.invoke(app, ["scan", *args, "--quiet", "--jobs", "1"])
    assert SECRET not in result.output and OLD_SECRET not in result.output
    return result


def test_text(repo: Path) -> None:
    result = _scan(str(repo))
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert f"{KEY}  account 123456789012  long-term access key (IAM user)" in out
    assert f"secret sha1:{sha1_hex(SECRET)[:12]}" in out
    assert "app/settings.py:3:" in out and "Dockerfile:2:" in out
    assert out.rstrip().splitlines()[-1].startswith("1 credential, ")
    assert "\x1b[" not in out  # not a terminal: no colour


def test_text_redacted_with_history(repo: Path) -> None:
    result = _scan(str(repo), "--history", "--redact")
    assert result.exit_code == 1, result.output
    assert KEY not in result.stdout and OLD_KEY not in result.stdout
    assert mask_key_id(OLD_KEY) in result.stdout
    assert "removing it from HEAD is not enough — revoke the key" in result.stdout


def test_json(repo: Path) -> None:
    result = _scan(str(repo), "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema()).validate(document)
    got = {(f["path"], f["kind"], f["source"], f["key_id"]) for f in document["findings"]}
    assert ("app/settings.py", "secret_access_key", "worktree", KEY) in got
    assert ("app/settings.py", "access_key_id", "worktree", KEY) in got
    assert ("Dockerfile", "access_key_id", "dockerfile", KEY) in got
    secret = next(f for f in document["findings"] if f["kind"] == "secret_access_key")
    assert secret["secret_sha1"] == sha1_hex(SECRET)
    assert secret["account_id"] == "123456789012"
    assert document["summary"]["credentials"] == 1


def test_sarif_with_history_run(repo: Path) -> None:
    plain = _scan(str(repo), "--format", "sarif", "--history")
    assert plain.exit_code == 1, plain.output
    document = json.loads(plain.stdout)
    assert not list(_sarif_validator().iter_errors(document))
    assert [r["automationDetails"]["id"] for r in document["runs"]] == ["keyshift/worktree/"]
    with_history = _scan(str(repo), "--format", "sarif", "--history", "--sarif-history")
    document = json.loads(with_history.stdout)
    assert not list(_sarif_validator().iter_errors(document))
    runs = {r["automationDetails"]["id"]: r for r in document["runs"]}
    old = [r for r in runs["keyshift/history/"]["results"] if r["properties"].get("keyId") == OLD_KEY]
    assert old and all(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/old.py" for r in old
    )


def _detect_secrets(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("detect-secrets")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "detect_secrets"]
    if args and args[0] == "hook":
        hook = Path(sys.executable).with_name("detect-secrets-hook")
        command, args = (
            ([str(hook)] if hook.exists() else [sys.executable, "-m", "detect_secrets.pre_commit_hook"]),
            args[1:],
        )
    return subprocess.run([*command, *args], cwd=repo, capture_output=True, text=True, timeout=120)


def test_baseline_written_then_honoured_by_both_tools(repo: Path) -> None:
    baseline = repo / ".secrets.baseline"
    written = _scan(str(repo), "--format", "baseline", "--output", str(baseline))
    assert written.exit_code == 1, written.output  # findings exist; the file is still written
    document = json.loads(baseline.read_text(encoding="utf-8"))
    assert document["version"] == "1.5.0"
    assert {i["hashed_secret"] for items in document["results"].values() for i in items} == {
        sha1_hex(KEY),
        sha1_hex(SECRET),
    }
    # keyshift: everything known, nothing to report
    again = _scan(str(repo), "--baseline", str(baseline), "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["summary"]["suppressed"] >= 3
    # detect-secrets' own pre-commit hook accepts the same file and finds nothing new
    hook = _detect_secrets(repo, "hook", "--baseline", ".secrets.baseline", "app/settings.py", "Dockerfile")
    assert hook.returncode == 0, hook.stdout + hook.stderr
    report = _detect_secrets(repo, "audit", "--report", ".secrets.baseline")
    assert report.returncode == 0, report.stderr
    # a new key is new to both
    (repo / "app" / "more.py").write_text(f'KEY = "{NEW_KEY}"\n', encoding="utf-8")
    git(repo, "add", "-A")
    fresh = _scan(str(repo), "--baseline", str(baseline), "--format", "json")
    assert fresh.exit_code == 1
    assert [f["key_id"] for f in json.loads(fresh.stdout)["findings"]] == [NEW_KEY]
    hook = _detect_secrets(repo, "hook", "--baseline", ".secrets.baseline", "app/more.py")
    assert hook.returncode == 1


def test_detect_secrets_baseline_suppresses(repo: Path) -> None:
    (repo / "Dockerfile").unlink()  # keep to a file both tools read the same way
    git(repo, "add", "-A")
    made = _detect_secrets(repo, "scan")
    assert made.returncode == 0, made.stderr
    (repo / "ds.baseline").write_text(made.stdout, encoding="utf-8")
    result = _scan(str(repo), "--baseline", str(repo / "ds.baseline"), "--format", "json")
    assert result.exit_code == 0, result.output
    reasons = {
        f["suppressed"]
        for f in json.loads(
            _scan(
                str(repo), "--baseline", str(repo / "ds.baseline"), "--format", "json", "--show-suppressed"
            ).stdout
        )["suppressed"]
    }
    assert reasons == {"baseline"}


def test_unknown_baseline_version_exits_2(repo: Path) -> None:
    bad = repo / "future.baseline"
    bad.write_text('{"version": "7.0.0", "results": {}}\n', encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "keyshift", "scan", str(repo), "--baseline", str(bad), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "7.0.0" in proc.stderr
    assert proc.stdout == ""


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def image_tar(tmp_path: Path) -> Path:
    """A docker-save archive: the key pair in a layer file a later layer deletes, and in the config Env."""
    import hashlib

    env = f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n".encode()
    layers = [_tar([("app/.env", env)]), _tar([("app/.wh..env", b"")])]
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin", f"AWS_ACCESS_KEY_ID={KEY}", f"AWS_SECRET_ACCESS_KEY={SECRET}"]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(b).hexdigest() for b in layers]},
        "history": [{"created_by": "COPY . /"}, {"created_by": "RUN rm app/.env"}],
    }
    config_bytes = json.dumps(config).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": ["orders:1.4"], "Layers": ["0/layer.tar", "1/layer.tar"]}]
    path = tmp_path / "orders.tar"
    path.write_bytes(
        _tar(
            [
                ("manifest.json", json.dumps(manifest).encode()),
                (config_name, config_bytes),
                ("0/layer.tar", layers[0]),
                ("1/layer.tar", layers[1]),
            ]
        )
    )
    return path


def test_image_json_and_sarif(image_tar: Path) -> None:
    result = _scan("--image", str(image_tar), "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema()).validate(document)
    config = [f for f in document["findings"] if f["image"]["field"] == "env"]
    layer = [f for f in document["findings"] if f["image"]["field"] is None]
    assert config and all(f["path"] is None and f["rule"] == "KS103" for f in config)
    assert layer and all(f["path"] == "app/.env" and f["image"]["deleted"] for f in layer)
    sarif = json.loads(_scan("--image", str(image_tar), "--format", "sarif").stdout)
    assert not list(_sarif_validator().iter_errors(sarif))
    # an image-only scan must not send an empty worktree run: that would close every worktree alert
    assert [r["automationDetails"]["id"] for r in sarif["runs"]] == ["keyshift/image/"]
    text = _scan("--image", str(image_tar)).stdout
    assert "deleted by layer 1 but still in the image" in text and "config env[1]" in text
