"""The generated role really is enough, and nothing in it is spare: proven against moto with IAM on.

The demo service in fixtures/plan/moto_demo is planned through the CLI; the role is created in a
moto server on 127.0.0.1 (``INITIAL_NO_AUTH_ACTION_COUNT=0``), assumed, and the service's own
code runs with the role's credentials. Then one action is removed and the same code must fail
with AccessDenied. moto enforces resource ARNs for S3 and SQS, which is what the demo uses.
"""

from __future__ import annotations

import copy
import importlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

from .conftest import MotoServer
from .plan_helpers import fixture_repo

boto3 = pytest.importorskip("boto3")
botocore_exceptions = pytest.importorskip("botocore.exceptions")

ACCOUNT = "123456789012"  # moto's default account, and the account of the demo's fake key
ROLE = "reports-task-role"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, Any], Any]]:
    root = fixture_repo("moto_demo", tmp_path_factory.mktemp("moto"))
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json"])
    assert result.exit_code == 0, result.output
    (role,) = json.loads(result.stdout)["roles"]
    assert role["name"] == ROLE
    sys.path.insert(0, str(root / "reports"))
    try:
        for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
            del sys.modules[name]
        jobs = importlib.import_module("app.jobs")
        yield role, jobs
    finally:
        sys.path.remove(str(root / "reports"))
        for name in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
            del sys.modules[name]


def _client(service: str, server: MotoServer, creds: dict[str, str]) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=server.endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


def _setup(server: MotoServer, policy: dict[str, Any], trust: dict[str, Any]) -> dict[str, str]:
    """Create buckets, queue, role and a test user in a setup window; returns the user's key."""
    server.reset()
    server.set_auth("inf")
    try:
        anyone = {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "setup"}  # moto ignores it here
        iam = _client("iam", server, anyone)
        _client("s3", server, anyone).create_bucket(Bucket="reports-bucket")
        _client("sqs", server, anyone).create_queue(QueueName="report-jobs")
        # moto 5 cannot evaluate a service principal in a trust policy (its principal check only
        # reads "AWS" and fails on {"Service": ...}); the role trusts the test user instead, and the
        # generated trust policy is checked by the CLI and cfn-lint tests.
        del trust
        iam.create_user(UserName="tester")
        tester = f"arn:aws:iam::{ACCOUNT}:user/tester"
        test_trust = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": tester}, "Action": "sts:AssumeRole"}],
        }
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(test_trust))
        iam.put_role_policy(RoleName=ROLE, PolicyName="task", PolicyDocument=json.dumps(policy))
        iam.put_user_policy(
            UserName="tester",
            PolicyName="assume",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Resource": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}",
                        }
                    ],
                }
            ),
        )
        key = iam.create_access_key(UserName="tester")["AccessKey"]
        return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}
    finally:
        server.set_auth("0")


def _run_as_role(server: MotoServer, user: dict[str, str], jobs: Any) -> list[str]:
    sts = _client("sts", server, user)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/{ROLE}", RoleSessionName="e2e")[
        "Credentials"
    ]
    result: list[str] = jobs.run(_client("s3", server, creds), _client("sqs", server, creds))
    return result


def _without(policy: dict[str, Any], action: str) -> dict[str, Any]:
    stripped = copy.deepcopy(policy)
    statements = []
    removed = 0
    for statement in stripped["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        kept = [a for a in actions if a != action]
        removed += len(actions) - len(kept)
        if kept:
            statement["Action"] = kept
            statements.append(statement)
    assert removed, f"{action} not in policy"
    stripped["Statement"] = statements
    return stripped


def test_generated_role_runs_the_service(moto_server: MotoServer, demo: tuple[dict[str, Any], Any]) -> None:
    role, jobs = demo
    user = _setup(moto_server, role["policy"], role["trust_policy"])
    assert _run_as_role(moto_server, user, jobs) == ["reports/daily.csv"]


def test_enforcement_is_on(moto_server: MotoServer, demo: tuple[dict[str, Any], Any]) -> None:
    role, _ = demo
    user = _setup(moto_server, role["policy"], role["trust_policy"])
    with pytest.raises(botocore_exceptions.ClientError):
        _client("s3", moto_server, user).list_buckets()


@pytest.mark.parametrize("action", ["s3:PutObject", "s3:ListBucket", "sqs:SendMessage", "sqs:ReceiveMessage"])
def test_each_action_is_needed(
    action: str, moto_server: MotoServer, demo: tuple[dict[str, Any], Any]
) -> None:
    role, jobs = demo
    user = _setup(moto_server, _without(role["policy"], action), role["trust_policy"])
    with pytest.raises(botocore_exceptions.ClientError) as info:
        _run_as_role(moto_server, user, jobs)
    assert "AccessDenied" in str(info.value) or "not authorized" in str(info.value)


def test_resources_are_scoped(moto_server: MotoServer, demo: tuple[dict[str, Any], Any]) -> None:
    role, jobs = demo
    policy = copy.deepcopy(role["policy"])
    for statement in policy["Statement"]:
        if statement["Action"] == "s3:PutObject" or "s3:PutObject" in statement["Action"]:
            statement["Resource"] = "arn:aws:s3:::reports-bucket/elsewhere/*"
    user = _setup(moto_server, policy, role["trust_policy"])
    with pytest.raises(botocore_exceptions.ClientError) as info:
        _run_as_role(moto_server, user, jobs)
    assert "AccessDenied" in str(info.value)
