"""``keyshift plan`` end to end on the demo repositories in fixtures/plan, against golden files.

Regenerate the golden files with ``KEYSHIFT_REGEN=1`` and review the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.planner import iam_map

from .plan_helpers import FIXTURES, fixture_repo, secret_for

DEMOS = (
    "shop",
    "pipeline",
    "moto_demo",
    "services",
    "categories",
    "monorepo",
    "lambda_eks",
    "taskdef_secrets",
    "china",
    "drf_fstring",
    "iac_taskdefs",
)


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("name", DEMOS)
def test_json_matches_golden(name: str, tmp_path: Path) -> None:
    root = fixture_repo(name, tmp_path)
    code, out, _ = _run(["plan", str(root), "--format", "json", "--exit-zero"])
    assert code == 0
    golden = FIXTURES / name / "expected.json"
    if os.environ.get("KEYSHIFT_REGEN") == "1":
        golden.write_text(out, encoding="utf-8")
    assert json.loads(out) == json.loads(golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", DEMOS)
def test_output_shape_and_actions(name: str, tmp_path: Path) -> None:
    root = fixture_repo(name, tmp_path)
    _, out, _ = _run(["plan", str(root), "--format", "json", "--exit-zero"])
    data = json.loads(out)
    for role in data["roles"]:
        assert set(role) >= {"name", "credentials", "policy", "trust_policy", "permissions", "unresolved"}
        assert {"key_id", "account_id"} <= set(role["credentials"][0])
        for statement in role["policy"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                assert iam_map.action_exists(action), action
            assert statement["Sid"].isalnum()
        for permission in role["permissions"]:
            assert {"action", "resources", "because"} <= set(permission)
            assert permission["because"]
            if permission["resources"] == ["*"]:
                assert permission["why_any_resource"]
        assert role["permissions"], "an empty role is never written"
        trust = role["trust_policy"]["Statement"][0]
        principal = {
            "ecs": "ecs-tasks.amazonaws.com",
            "lambda": "lambda.amazonaws.com",
            "eks": "pods.eks.amazonaws.com",
        }[role["target"]]
        assert trust["Principal"] == {"Service": principal}
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == role["credentials"][0]["account_id"]
        if role["target"] == "ecs":
            arn = trust["Condition"]["ArnLike"]["aws:SourceArn"]
            assert arn.startswith(f"arn:{role['partition']}:ecs:")


def test_monorepo_shared_helper_goes_to_each_service_without_leaks(tmp_path: Path) -> None:
    root = fixture_repo("monorepo", tmp_path)
    data = json.loads(_run(["plan", str(root), "--format", "json", "--exit-zero"])[1])
    roles = {r["name"]: r for r in data["roles"]}
    # the shared helper folder and the compose database are not workloads
    assert set(roles) == {"billing-task-role", "reports-task-role"}
    pairs = {
        n: {(p["action"], x) for p in r["permissions"] for x in p["resources"]} for n, r in roles.items()
    }
    assert pairs["billing-task-role"] == {("s3:PutObject", "arn:aws:s3:::acme-billing-invoices/uploads/*")}
    assert pairs["reports-task-role"] == {
        ("s3:PutObject", "arn:aws:s3:::acme-reports/uploads/*"),
        ("sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:reports-done"),
    }


def test_lambda_and_eks_get_no_ecs_role(tmp_path: Path) -> None:
    root = fixture_repo("lambda_eks", tmp_path)
    data = json.loads(_run(["plan", str(root), "--format", "json", "--exit-zero"])[1])
    targets = {r["name"]: r["target"] for r in data["roles"]}
    assert targets == {"thumbs-lambda-role": "lambda", "k8s-api-pod-role": "eks"}
    out = tmp_path / "out"
    _run(["plan", str(root), "--out", str(out), "--exit-zero"])
    patch = json.loads((out / "thumbs-lambda-role" / "taskdef-patch.json").read_text())
    assert not (out / "thumbs-lambda-role" / "taskdefs").exists() and patch["remove_environment"] == []


def test_taskdef_secrets_block_and_are_removed_and_execution_role_written(tmp_path: Path) -> None:
    root = fixture_repo("taskdef_secrets", tmp_path)
    code, out, _ = _run(["plan", str(root), "--format", "json"])
    assert code == 1  # the secret still injects the key
    (role,) = json.loads(out)["roles"]
    assert ("ecs/taskdef.json", "AWS_SECRET_ACCESS_KEY") in {(b["path"], b["name"]) for b in role["blockers"]}
    assert role["execution_role"]["written_by_keyshift"] is True
    folder = tmp_path / "out"
    _run(["plan", str(root), "--out", str(folder), "--exit-zero"])
    (patched,) = (folder / "jobs-worker-task-role" / "taskdefs").iterdir()
    container = json.loads(patched.read_text())["containerDefinitions"][0]
    assert [s["name"] for s in container["secrets"]] == ["DB_PASSWORD"]
    assert [e["name"] for e in container["environment"]] == ["AWS_REGION"]
    taskdef = json.loads(patched.read_text())
    assert taskdef["taskRoleArn"].endswith(":role/jobs-worker-task-role")
    assert taskdef["executionRoleArn"].endswith(":role/jobs-worker-task-role-execution")
    template = json.loads((folder / "jobs-worker-task-role" / "cloudformation.json").read_text())
    execution = template["Resources"]["ExecutionRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    actions = {
        a
        for s in execution["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {
        "ecr:BatchGetImage",
        "logs:PutLogEvents",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameters",
    } <= actions
    assert "CAPABILITY_NAMED_IAM" in template["Description"]


def test_china_partition_everywhere(tmp_path: Path) -> None:
    root = fixture_repo("china", tmp_path)
    folder = tmp_path / "out"
    _run(["plan", str(root), "--out", str(folder), "--exit-zero"])
    text = "".join(p.read_text() for p in (folder / "cn-ingest-task-role").rglob("*") if p.is_file())
    assert "arn:aws:" not in text
    assert "arn:aws-cn:iam::111122223333:role/cn-ingest-task-role" in text


def test_shop_roles(tmp_path: Path) -> None:
    root = fixture_repo("shop", tmp_path)
    data = json.loads(_run(["plan", str(root), "--format", "json", "--exit-zero"])[1])
    roles = {r["name"]: r for r in data["roles"]}
    assert set(roles) == {"orders-task-role", "mailer-task-role"}
    orders = {p["action"] for p in roles["orders-task-role"]["permissions"]}
    mailer = {p["action"] for p in roles["mailer-task-role"]["permissions"]}
    assert not orders & mailer
    # HeadObject needs s3:GetObject only, never the retention/legal-hold reads
    assert "s3:GetObjectRetention" not in orders and "s3:GetObject" in orders
    # the call only a test makes is never granted
    assert "s3:DeleteBucket" not in mailer
    assert [b["name"] for b in roles["mailer-task-role"]["blockers"]] == [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ]


def test_secrets_never_printed_and_output_is_deterministic(tmp_path: Path) -> None:
    root = fixture_repo("shop", tmp_path)
    first = _run(["plan", str(root), "--format", "json", "--exit-zero"])
    second = _run(["plan", str(root), "--format", "json", "--exit-zero"])
    text = _run(["plan", str(root), "--exit-zero"])
    assert first == second
    for output in (first[1], first[2], text[1], text[2]):
        for seed in ("orders", "mailer"):
            assert secret_for(seed) not in output


def test_exit_codes(tmp_path: Path) -> None:
    root = fixture_repo("shop", tmp_path)
    assert _run(["plan", str(root)])[0] == 1  # Dockerfile ENV key blocks the task role
    clean = fixture_repo("moto_demo", tmp_path)
    assert _run(["plan", str(clean)])[0] == 0
    assert _run(["plan", str(clean), "--format", "yaml"])[0] != 0
    assert _run(["plan", str(tmp_path / "missing")])[0] != 0


def test_json_shorthand(tmp_path: Path) -> None:
    root = fixture_repo("moto_demo", tmp_path)
    assert _run(["plan", str(root), "--json"])[1] == _run(["plan", str(root), "--format", "json"])[1]


def test_role_name_template(tmp_path: Path) -> None:
    root = fixture_repo("moto_demo", tmp_path)
    args = ["plan", str(root), "--format", "json", "--role-name-template", "prod-{service}"]
    data = json.loads(_run(args)[1])
    assert [r["name"] for r in data["roles"]] == ["prod-reports"]


def test_python_dash_m_subprocess(tmp_path: Path) -> None:
    root = fixture_repo("moto_demo", tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "keyshift", "plan", str(root), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["roles"][0]["name"] == "reports-task-role"


FORBIDDEN_ACTIONS = {"*", "ecr:CreateRepository", "iam:PassRole", "sts:GetCallerIdentity"}


@pytest.mark.parametrize("name", DEMOS)
def test_no_forbidden_grant(name: str, tmp_path: Path) -> None:
    """No wildcard action, no IAM rights, nothing an operation may be authorised by but does not need."""
    root = fixture_repo(name, tmp_path)
    data = json.loads(_run(["plan", str(root), "--format", "json", "--exit-zero"])[1])
    for role in data["roles"]:
        for permission in role["permissions"]:
            action = permission["action"]
            assert "*" not in action and action not in FORBIDDEN_ACTIONS, (role["name"], action)
            assert not action.startswith("iam:"), (role["name"], action)
            for resource in permission["resources"]:
                # an S3 ARN never carries an account: a bucket of another account is named the same way
                if resource.startswith("arn:aws:s3:::"):
                    assert resource.count(":") == 5, resource


CATEGORY_PAIRS = {
    "svc-xacct-task-role": {
        ("s3:PutObject", "arn:aws:s3:::partner-dropbox-prod/acme/reports/*"),
        ("s3:PutObject", "arn:aws:s3:::partner-dropbox-prod/acme/bulk/export.csv.gz"),
        ("s3:PutObjectAcl", "arn:aws:s3:::partner-dropbox-prod/acme/reports/*"),
        ("s3:PutObjectAcl", "arn:aws:s3:::partner-dropbox-prod/acme/bulk/export.csv.gz"),
    },
    "svc-resmodel-task-role": {
        ("s3:ListBucket", "arn:aws:s3:::acme-logs"),
        ("s3:DeleteObject", "arn:aws:s3:::acme-logs/tmp/*"),
        ("s3:GetObject", "arn:aws:s3:::acme-config/service/config.json"),
        ("sqs:SendMessage", "arn:aws:sqs:us-west-2:210987654321:notifications"),
        ("dynamodb:PutItem", "arn:aws:dynamodb:us-west-2:210987654321:table/audit"),
        ("dynamodb:BatchWriteItem", "arn:aws:dynamodb:us-west-2:210987654321:table/audit"),
    },
    "svc-sesv2-task-role": {
        ("ses:SendEmail", "arn:aws:ses:eu-west-1:210987654321:identity/welcome@mail.acme.example"),
        ("ses:SendEmail", "arn:aws:ses:eu-west-1:210987654321:identity/mail.acme.example"),
        ("ses:SendEmail", "arn:aws:ses:eu-west-1:210987654321:template/welcome"),
    },
}


@pytest.mark.parametrize("role_name", sorted(CATEGORY_PAIRS))
def test_category_roles(role_name: str, tmp_path: Path) -> None:
    root = fixture_repo("categories", tmp_path)
    data = json.loads(_run(["plan", str(root), "--format", "json", "--exit-zero"])[1])
    [role] = [r for r in data["roles"] if r["name"] == role_name]
    pairs = {(p["action"], r) for p in role["permissions"] for r in p["resources"]}
    assert pairs == CATEGORY_PAIRS[role_name]
    assert role["unresolved"] == []


def test_task_definitions_in_terraform_cloudformation_and_copilot(tmp_path: Path) -> None:
    root = fixture_repo("iac_taskdefs", tmp_path)
    data = json.loads(_run(["plan", str(root), "--format", "json", "--exit-zero"])[1])
    roles = {r["name"]: r for r in data["roles"]}
    # named after the family each file declares; each file's credential settings are blockers
    assert set(roles) == {"acme-api-task-role", "acme-worker-task-role", "web-task-role"}
    sources = {n: {b["path"] for b in r["blockers"]} for n, r in roles.items()}
    assert sources == {
        "acme-api-task-role": {"api/terraform/main.tf"},
        "acme-worker-task-role": {"worker/deploy/template.yaml"},
        "web-task-role": {"copilot/web/manifest.yml"},
    }
    assert [p["action"] for p in roles["web-task-role"]["permissions"]] == ["s3:GetObject"]
