"""Blobs no ref reaches, through the CLI: suppressed like the rest, named once, findings on request.

Each case builds a real repository whose object database holds blobs that no ref reaches
(written with ``hash-object -w``, or left behind by a dropped stash) next to ordinary history.
"""

from __future__ import annotations

import json

import pytest
from history_helpers import Repo
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

K1, S1 = fake_key_id("111122223333", seed="u1"), fake_secret("u1")
K2 = fake_key_id("444455556666", seed="u2")
K3 = fake_key_id("777788889999", seed="u3")
EXAMPLE = "AKIAIOSFODNN7EXAMPLE"

runner = CliRunner()


def _repo(repo: Repo) -> dict[str, str]:
    repo.write("README.md", "service\n")
    repo.commit("init")
    blobs = {}
    for name, text in (
        ("real", f"aws_access_key_id = {K1}\naws_secret_access_key = {S1}\n"),
        ("example", f"aws_access_key_id = {EXAMPLE}\n"),
        ("allowed", f"key = {K2}  # keyshift: allow\n"),
        ("allowlisted", f"key = {K3}\n"),
    ):
        blobs[name] = repo.git("hash-object", "-w", "--stdin", input=text.encode()).strip()
    repo.write("pyproject.toml", f'[tool.keyshift]\nallowlist = ["{K3}"]\n')
    repo.commit("config")
    return blobs


def test_warning_names_each_remaining_key_and_blob_once(repo: Repo) -> None:
    blobs = _repo(repo)
    result = runner.invoke(app, ["scan", "--history", str(repo.path)])
    assert result.exit_code == 0, result.output
    out = result.stdout + (result.stderr or "")
    assert out.count(K1) == 1 and out.count(blobs["real"]) == 1
    for quiet in ("example", "allowed", "allowlisted"):
        assert blobs[quiet] not in out
    assert EXAMPLE not in out and K2 not in out and K3 not in out
    assert "git reflog expire --expire-unreachable=now --all && git gc --prune=now" in out
    assert "Loose" in out or "loose" in out
    assert S1 not in out


def test_warning_is_printed_once_with_a_file_report(repo: Repo) -> None:
    _repo(repo)
    report = repo.path.parent / "report.json"
    result = runner.invoke(app, ["scan", "--history", str(repo.path), "-f", "json", "-o", str(report)])
    assert result.exit_code == 0, result.output
    assert (result.stdout + (result.stderr or "")).count(K1) == 1
    doc = json.loads(report.read_text())
    assert doc["findings"] == []
    assert any(K1 in e for e in doc["errors"])


def test_unreachable_flag_reports_findings(repo: Repo) -> None:
    blobs = _repo(repo)
    result = runner.invoke(
        app, ["scan", "--history", "--unreachable", str(repo.path), "-f", "json", "--show-suppressed"]
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    active = sorted((f["source"], f["path"], f["kind"], f["commit"]) for f in doc["findings"])
    assert active == [
        ("unreachable", blobs["real"], "access_key_id", None),
        ("unreachable", blobs["real"], "secret_access_key", None),
    ]
    suppressed = {f["path"]: f["suppressed"] for f in doc.get("suppressed", [])}
    assert suppressed.get(blobs["allowlisted"]) == "allowlist"
    # a blob whose only key IDs are documentation examples is not worth attributing at all
    assert blobs["example"] not in suppressed and blobs["example"] not in result.stdout
    assert not any(K1 in e for e in doc["errors"])
    assert S1 not in result.stdout


def test_dropped_stash_is_found(repo: Repo) -> None:
    repo.write("app.cfg", "x=1\n")
    repo.commit("init")
    repo.write("app.cfg", f"x=1\nkey={K1}\n")
    repo.git("stash", "push", "-q", "-m", "oops")
    repo.git("stash", "drop", "-q")
    result = runner.invoke(app, ["scan", "--history", str(repo.path), "--unreachable", "-f", "json"])
    assert result.exit_code == 1, result.output
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "access_key_id"]
    assert finding["source"] == "unreachable" and finding["commit"] is None


@pytest.mark.parametrize("mode", ["since", "staged"])
def test_gates_never_warn(repo: Repo, mode: str) -> None:
    _repo(repo)
    repo.write("new.txt", "nothing\n")
    if mode == "since":
        repo.commit("more")
        args = ["scan", "--history", "--since", "HEAD~1..HEAD", str(repo.path)]
    else:
        repo.git("add", "new.txt")
        args = ["scan", "--staged", str(repo.path)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = result.stdout + (result.stderr or "")
    assert K1 not in out and "no ref reaches" not in out
