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

DEMOS = ("shop", "pipeline", "moto_demo", "services", "categories")


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
        trust = role["trust_policy"]["Statement"][0]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == role["credentials"][0]["account_id"]
        assert "aws:SourceArn" in trust["Condition"]["ArnLike"]


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
