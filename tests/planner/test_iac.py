"""``keyshift plan --out DIR``: every file, validated with the tools that deploy them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tests.security import tfcheck
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.planner import iam_map

from .plan_helpers import big_policy_repo, fixture_repo, secret_for


def _plan_out(name: str, tmp_path: Path) -> tuple[Path, Path, dict]:  # type: ignore[type-arg]
    root = fixture_repo(name, tmp_path)
    out = tmp_path / "out"
    args = ["plan", str(root), "--format", "json", "--out", str(out), "--exit-zero"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return root, out, json.loads(result.stdout)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:  # type: ignore[type-arg]
    return _plan_out("pipeline", tmp_path_factory.mktemp("pipeline"))


def test_every_file_is_written(pipeline: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, out, _ = pipeline
    folder = out / "ingest-task-role"
    names = {p.name for p in folder.iterdir()}
    assert names >= {
        "policy.json",
        "trust-policy.json",
        "main.tf",
        "cloudformation.json",
        "taskdef-patch.json",
        "report.md",
    }
    assert (out / "plan.json").is_file()


def test_cloudformation_passes_cfn_lint(pipeline: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, out, _ = pipeline
    template = out / "ingest-task-role" / "cloudformation.json"
    exe = shutil.which("cfn-lint")
    command = [exe] if exe else [sys.executable, "-m", "cfnlint"]
    proc = subprocess.run([*command, str(template)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(template.read_text())
    role = data["Resources"]["TaskRole"]
    assert role["Type"] == "AWS::IAM::Role"
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "ecs-tasks.amazonaws.com"
    }


def test_terraform_parses_and_matches_policy(pipeline: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    hcl2 = pytest.importorskip("hcl2")
    _, out, data = pipeline
    folder = out / "ingest-task-role"
    with (folder / "main.tf").open() as handle:
        parsed = hcl2.load(handle)
    resources = tfcheck.resources(parsed)
    role = resources[("aws_iam_role", "ingest_task_role")]
    assert tfcheck.string_value(role["name"]) == "ingest-task-role"
    assert tfcheck.jsonencode_value(role["assume_role_policy"]) == data["roles"][0]["trust_policy"]
    policy = resources[("aws_iam_role_policy", "ingest_task_role")]
    assert tfcheck.jsonencode_value(policy["policy"]) == data["roles"][0]["policy"]
    assert any("task_role_arn" in key for block in parsed["output"] for key in block)
    assert "aws_iam_role.ingest_task_role" in policy["role"]


@pytest.mark.skipif(tfcheck.terraform() is None, reason="no terraform binary on this machine")
def test_terraform_validates(pipeline: tuple[Path, Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    _, out, _ = pipeline
    tfcheck.validate(out / "ingest-task-role", tmp_path)


def test_taskdef_patch_sets_role_and_removes_keys(pipeline: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, out, _ = pipeline
    folder = out / "ingest-task-role"
    summary = json.loads((folder / "taskdef-patch.json").read_text())
    assert summary["taskRoleArn"] == "arn:aws:iam::777788889999:role/ingest-task-role"
    removed = {e["name"] for e in summary["remove_environment"]}
    assert removed == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    (patched,) = list((folder / "taskdefs").iterdir())
    taskdef = json.loads(patched.read_text())
    assert taskdef["taskRoleArn"] == summary["taskRoleArn"]
    names = {e["name"] for c in taskdef["containerDefinitions"] for e in c["environment"]}
    assert names == {"AWS_REGION", "STREAM"}


def test_report_lists_call_sites_and_runbook(pipeline: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, out, data = pipeline
    text = (out / "ingest-task-role" / "report.md").read_text()
    key = data["roles"][0]["credentials"][0]["key_id"]
    assert "pipeline/ingest.py:" in text
    assert "`kinesis:PutRecord`" in text
    assert f"get-access-key-last-used --access-key-id {key}" in text
    assert "update-access-key" in text and "delete-access-key" in text
    assert "BLOCKER" not in text and "## Blockers" in text


def test_no_secret_in_any_written_file(pipeline: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, out, _ = pipeline
    for path in out.rglob("*"):
        if path.is_file():
            assert secret_for("ingest") not in path.read_text()


def test_every_action_in_written_policies_exists(pipeline: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, out, _ = pipeline
    for path in out.rglob("policy*.json"):
        for statement in json.loads(path.read_text())["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all(iam_map.action_exists(a) for a in actions)


def test_large_policy_is_split(tmp_path: Path) -> None:
    from keyshift.planner import render
    from keyshift.planner.build import Grant, RolePlan

    grants = tuple(
        Grant("s3:GetObject", (f"arn:aws:s3:::bucket-{i:04d}/data/*",), (f"x.py:{i}",), "mapped")
        for i in range(400)
    )
    role = RolePlan("big", "big", "", ("AKIA",), "123456789012", "us-east-1", grants, (), (), (), (), ())
    parts = render.policy_parts(role)
    assert len(parts) > 1
    for part in parts:
        assert render.policy_size(part) <= render.MAX_POLICY_CHARS
    assert sum(len(p["Statement"]) for p in parts) == len(render.statements(role))


def test_policy_over_the_inline_limit_becomes_managed_policies(tmp_path: Path) -> None:
    from keyshift.cli import app

    root = big_policy_repo(tmp_path / "big", 250)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", str(root), "--out", str(out), "--exit-zero"])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    template = json.loads((folder / "cloudformation.json").read_text())
    managed = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    assert len(managed) >= 2 and "Policies" not in template["Resources"]["TaskRole"]["Properties"]
    for policy in managed:
        document = policy["Properties"]["PolicyDocument"]
        assert len(json.dumps(document, separators=(",", ":"))) <= 6144
    assert 'resource "aws_iam_policy"' in (folder / "main.tf").read_text()


def test_policy_that_cannot_fit_is_an_error_not_a_file(tmp_path: Path) -> None:
    from keyshift.cli import app

    root = big_policy_repo(tmp_path / "big", 1000, width=40)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", str(root), "--out", str(out)])
    assert result.exit_code == 1
    assert "cannot be deployed" in result.stdout or "managed policies" in result.stdout
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    assert (folder / "report.md").exists()
    assert not (folder / "main.tf").exists() and not (folder / "cloudformation.json").exists()
