"""End to end through the CLI: ``keyshift scan --history / --since / --staged``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from history_helpers import Repo, py_client
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

K1, S1 = fake_key_id("111122223333", seed="c1"), fake_secret("c1")
K2, S2 = fake_key_id("444455556666", seed="c2"), fake_secret("c2")

runner = CliRunner()


def _history_repo(repo: Repo) -> dict[str, str]:
    repo.write("README.md", "service\n")
    first = repo.commit("init")
    repo.write("app/aws.py", py_client(K1, S1))
    leaked = repo.commit("add client")
    repo.write("app/aws.py", "import boto3\n\nclient = boto3.client('s3')\n")
    repo.commit("use the task role")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("ops/.env", f"AWS_ACCESS_KEY_ID={K2}\nAWS_SECRET_ACCESS_KEY={S2}\n")
    side = repo.commit("ops env")
    repo.git("checkout", "-q", "main")
    return {"first": first, "leaked": leaked, "side": side}


def test_history_json(repo: Repo) -> None:
    commits = _history_repo(repo)
    result = runner.invoke(app, ["scan", "--history", str(repo.path), "--format", "json", "--quiet"])
    assert result.exit_code == 1, result.output
    assert S1 not in result.output and S2 not in result.output
    doc = json.loads(result.stdout)
    history = [f for f in doc["findings"] if f["source"] == "history"]
    got = sorted((f["path"], f["kind"], f["commit"], f["history"]["in_head"]) for f in history)
    assert got == [
        ("app/aws.py", "access_key_id", commits["leaked"], False),
        ("app/aws.py", "secret_access_key", commits["leaked"], False),
        ("ops/.env", "access_key_id", commits["side"], False),
        ("ops/.env", "secret_access_key", commits["side"], False),
    ]
    assert {f["history"]["author"] for f in history} == {"Dev One <dev1@example.invalid>"}


def test_history_text_says_history_only(repo: Repo) -> None:
    _history_repo(repo)
    result = runner.invoke(app, ["scan", "--history", str(repo.path), "--quiet"])
    assert result.exit_code == 1
    assert K1 in result.stdout
    assert "history only" in result.stdout
    assert S1 not in result.output


def test_since_gate_for_pull_requests(repo: Repo) -> None:
    commits = _history_repo(repo)
    clean = runner.invoke(
        app, ["scan", "--history", str(repo.path), "--since", "side", "--format", "json", "--quiet"]
    )
    # the working tree is clean and nothing after `side` adds a key
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout)["findings"] == []
    gate = runner.invoke(
        app, ["scan", "--history", str(repo.path), "--since", commits["leaked"], "--format", "json", "-q"]
    )
    assert gate.exit_code == 1
    found = {(f["path"], f["commit"]) for f in json.loads(gate.stdout)["findings"]}
    assert found == {("ops/.env", commits["side"])}


def test_staged_for_pre_commit(repo: Repo) -> None:
    repo.write("README.md", "x\n")
    repo.commit("init")
    ok = runner.invoke(app, ["scan", "--staged", str(repo.path), "--quiet"])
    assert ok.exit_code == 0, ok.output
    repo.write("deploy.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    repo.git("add", "deploy.env")
    bad = runner.invoke(app, ["scan", "--staged", str(repo.path), "--format", "json", "--quiet"])
    assert bad.exit_code == 1
    [finding] = json.loads(bad.stdout)["findings"]
    assert (finding["path"], finding["key_id"], finding["commit"]) == ("deploy.env", K1, None)


def _module(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keyshift", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_not_a_repository_exits_2(tmp_path: Path) -> None:
    proc = _module("scan", "--history", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2
    assert "not a git repository" in proc.stderr
    assert proc.stdout == ""


def test_safe_directory_exits_2_with_the_fix(repo: Repo) -> None:
    _history_repo(repo)
    proc = _module("scan", "--history", ".", cwd=repo.path, env={"GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"})
    assert proc.returncode == 2
    assert "safe.directory" in proc.stderr


def test_shallow_clone_warns_on_stderr(repo: Repo, tmp_path: Path) -> None:
    _history_repo(repo)
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    proc = _module("scan", "--history", ".", "--format", "json", cwd=clone)
    assert proc.returncode == 2  # nothing found in what could be read: incomplete, never clean
    assert "shallow clone" in proc.stderr
    assert "--unshallow" in proc.stderr
    assert S1 not in proc.stdout + proc.stderr


def test_parallel_readers_through_the_cli(repo: Repo) -> None:
    """Over one chunk (16 MB) of blobs: worker processes, each with its own cat-file, via the real CLI."""
    import random

    rng = random.Random(5)
    alphabet = "abcdefghij klmnop\nqrstuvwxyz token = None\n"
    for i in range(36):
        repo.write(f"data/part{i}.txt", "".join(rng.choice(alphabet) for _ in range(1 << 14)) * 32)
    repo.write("data/late.env", f"AWS_ACCESS_KEY_ID={K2}\n")
    added = repo.commit("bulk")
    proc = _module("scan", "--history", ".", "--jobs", "2", "--format", "json", "--quiet", cwd=repo.path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    history = [f for f in doc["findings"] if f["source"] == "history"]
    assert [(f["path"], f["commit"]) for f in history] == [("data/late.env", added)]
