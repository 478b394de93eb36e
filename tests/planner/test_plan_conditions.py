"""Grants narrowed by condition keys, end to end through ``keyshift plan --out``.

``head_object`` and the ``object_exists`` waiter get ``s3:ListBucket`` on the bucket with an
``s3:prefix`` condition listing the key patterns the code checks there (none when a key's shape
is unknown); SSE-KMS with a key alias grants KMS on the account's keys with
``kms:ResourceAliases`` naming the alias, never on ``*``. The generated Terraform and
CloudFormation carry the same conditions (terraform validate and cfn-lint when present).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.security import tfcheck
from typer.testing import CliRunner

from keyshift.cli import app

from .plan_helpers import make_repo

CREDS = 'region_name="eu-west-1", aws_access_key_id="{{key:111122223333:cond}}", aws_secret_access_key="{{secret:cond}}"'
APP = f"""import boto3
s3 = boto3.client("s3", {CREDS})


def save(name, data):
    s3.put_object(Bucket="acme-docs", Key=f"reports/{{name}}.pdf", Body=data,
                  ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/docs")


def load(name):
    return s3.get_object(Bucket="acme-docs", Key=f"reports/{{name}}.pdf")["Body"].read()


def exists(name):
    s3.head_object(Bucket="acme-docs", Key=f"reports/{{name}}.pdf")
    s3.get_waiter("object_exists").wait(Bucket="acme-docs", Key="inbox/" + name)
    s3.head_object(Bucket="acme-cache", Key=name)
"""
FILES = {"Dockerfile": 'FROM python:3.12\nCOPY app.py /app.py\nCMD ["python", "/app.py"]\n', "app.py": APP}
KEYS = "arn:aws:kms:eu-west-1:111122223333:key/*"
VIA = {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}
ALIAS = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/docs"}, **VIA}


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    root = make_repo(tmp_path_factory.mktemp("cond") / "svc", FILES)
    out = root.parent / "out"
    args = ["plan", str(root), "--format", "json", "--out", str(out), "--exit-zero"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    (role,) = data["roles"]
    return role, out / role["name"]


def _grants(role: dict[str, Any]) -> list[tuple[str, list[str], Any]]:
    return [(p["action"], p["resources"], p.get("condition")) for p in role["permissions"]]


def test_list_bucket_is_scoped_by_prefix_and_kms_by_alias(planned: tuple[dict[str, Any], Path]) -> None:
    role, _ = planned
    grants = _grants(role)
    listing = [(r, c) for a, r, c in grants if a == "s3:ListBucket"]
    assert sorted(listing, key=str) == sorted(
        [
            (["arn:aws:s3:::acme-cache"], None),  # any key: no condition
            (["arn:aws:s3:::acme-docs"], {"StringLike": {"s3:prefix": ["inbox/*", "reports/*"]}}),
        ],
        key=str,
    )
    kms = {a: (r, c) for a, r, c in grants if a.startswith("kms:")}
    assert kms == {"kms:GenerateDataKey": ([KEYS], ALIAS), "kms:Decrypt": ([KEYS], ALIAS)}
    assert all(r != ["*"] for _, r, _ in grants)


def test_policy_files_carry_the_conditions(planned: tuple[dict[str, Any], Path]) -> None:
    role, folder = planned
    policy = json.loads((folder / "policy.json").read_text())
    assert policy == role["policy"]
    conditions = [s.get("Condition") for s in policy["Statement"]]
    assert {"StringLike": {"s3:prefix": ["inbox/*", "reports/*"]}} in conditions and ALIAS in conditions
    template = json.loads((folder / "cloudformation.json").read_text())
    (inline,) = template["Resources"]["TaskRole"]["Properties"]["Policies"]
    assert inline["PolicyDocument"] == policy
    exe = shutil.which("cfn-lint")
    command = [exe] if exe else [sys.executable, "-m", "cfnlint"]
    proc = subprocess.run(
        [*command, str(folder / "cloudformation.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_terraform_carries_the_conditions(planned: tuple[dict[str, Any], Path], tmp_path: Path) -> None:
    hcl2 = pytest.importorskip("hcl2")
    role, folder = planned
    with (folder / "main.tf").open() as handle:
        parsed = hcl2.load(handle)
    (policy,) = [b for (k, _), b in tfcheck.resources(parsed).items() if k == "aws_iam_role_policy"]
    assert tfcheck.jsonencode_value(policy["policy"]) == role["policy"]
    if tfcheck.terraform() is not None:
        tfcheck.validate(folder, tmp_path)


def test_alias_arn_and_key_arn(tmp_path: Path) -> None:
    """An alias ARN is the same alias; a key ARN names the key itself (no alias condition)."""
    arn = "arn:aws:kms:eu-west-1:111122223333"
    for key, expected in (
        (f"{arn}:alias/docs", ([KEYS], ALIAS)),
        (
            f"{arn}:key/0f1e2d3c-aaaa-bbbb-cccc-000011112222",
            ([f"{arn}:key/0f1e2d3c-aaaa-bbbb-cccc-000011112222"], VIA),
        ),
    ):
        text = APP.replace('SSEKMSKeyId="alias/docs"', f'SSEKMSKeyId="{key}"')
        root = make_repo(tmp_path / key.rsplit("/", 1)[-1], {**FILES, "app.py": text})
        result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
        (role,) = json.loads(result.stdout)["roles"]
        kms = {a: (r, c) for a, r, c in _grants(role) if a.startswith("kms:")}
        assert kms == {"kms:GenerateDataKey": expected, "kms:Decrypt": expected}


SERVICES = f"""import boto3
ssm = boto3.client("ssm", {CREDS})
sm = boto3.client("secretsmanager", {CREDS})


def run():
    ssm.put_parameter(Name="/app/token", Value="v", Type="SecureString", KeyId="alias/params")
    ssm.get_parameter(Name="/app/token", WithDecryption=True)
    sm.create_secret(Name="app/db", SecretString="v", KmsKeyId="alias/secrets")
    sm.get_secret_value(SecretId="app/db")
    sm.create_secret(Name="app/other", SecretString="v",
                     KmsKeyId="arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000011112222")
"""


def _aliased(alias: str, service: str) -> dict[str, Any]:
    return {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": alias},
        "StringEquals": {"kms:ViaService": f"{service}.eu-west-1.amazonaws.com"},
    }


def test_parameters_and_secrets_under_a_key_alias(tmp_path: Path) -> None:
    """SSM SecureString and Secrets Manager writes under a customer managed key need KMS on it
    (Encrypt; GenerateDataKey and Decrypt), and reads of what they wrote need Decrypt: by alias,
    on the account's keys with kms:ResourceAliases; a Secrets Manager key ARN on that key."""
    root = make_repo(tmp_path / "svc", {**FILES, "app.py": SERVICES})
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    (role,) = json.loads(result.stdout)["roles"]
    kms = sorted(
        (p["action"], p["resources"], json.dumps(p.get("condition"), sort_keys=True))
        for p in role["permissions"]
        if p["action"].startswith("kms:")
    )
    key = "arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-aaaa-bbbb-cccc-000011112222"
    via_sm = {"StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}
    expected = [
        ("kms:Decrypt", [KEYS], _aliased("alias/params", "ssm")),
        ("kms:Decrypt", [KEYS], _aliased("alias/secrets", "secretsmanager")),
        ("kms:Decrypt", [key], via_sm),
        ("kms:Encrypt", [KEYS], _aliased("alias/params", "ssm")),
        ("kms:GenerateDataKey", [KEYS], _aliased("alias/secrets", "secretsmanager")),
        ("kms:GenerateDataKey", [key], via_sm),
    ]
    assert kms == sorted((a, r, json.dumps(c, sort_keys=True)) for a, r, c in expected)
