"""The generated CloudFormation deploys, and the demo service runs under the role it creates.

``keyshift migrate --write`` runs on a copy of ``fixtures/demo``: the code loses its keys and the
review folder holds the role's template. The template is created as a stack in moto's
CloudFormation on 127.0.0.1 (``CAPABILITY_NAMED_IAM``), the role it made is assumed through moto
STS, and each call the demo code makes runs in a fresh interpreter on the default credential
chain with the role's credentials, against resources created first in the plan's account.

What moto can prove, and what it cannot (moto 5):

- S3 and SQS: moto evaluates the caller's policies against the real resource ARN, so these calls
  run with IAM enforced (``INITIAL_NO_AUTH_ACTION_COUNT=0``): a missing grant fails the test, and
  an action outside the plan is denied.
- DynamoDB and SNS: moto checks identity policies against resource ``*`` only, so a grant scoped
  to a table or topic is denied even when right. These calls run in a setup window, and the
  policy read back from moto IAM must allow the call's action on the ARN moto gave the resource.
- moto's CloudFormation stores an inline ``Policies`` document as a dict where its IAM evaluator
  expects JSON text; the test reads the document back through IAM and puts the same document
  again, so enforcement can read it. Managed policies need no such help.
- moto cannot evaluate a service principal in a trust policy, so the role is assumed in a setup
  window; the trust policy itself is checked by cfn-lint and the CLI tests.
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

from .conftest import MotoServer
from .plan_helpers import REPO, big_bucket, big_policy_repo, git_init

boto3 = pytest.importorskip("boto3")
botocore_exceptions = pytest.importorskip("botocore.exceptions")

SETUP_KEY = {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "setup"}  # AWS's example key


@dataclass(frozen=True)
class Migrated:
    root: Path  # the demo, rewritten onto the default credential chain
    template: str  # the role's cloudformation.json
    role: dict[str, Any]  # the role as plan.json describes it


@dataclass(frozen=True)
class Deployed:
    creds: dict[str, str]  # the assumed role's session
    policies: list[dict[str, Any]]  # the role's policy documents, read back from moto IAM
    arns: dict[str, str]  # resource kind -> the ARN moto gave it


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Migrated:
    base = tmp_path_factory.mktemp("deploy")
    root = base / "demo"
    shutil.copytree(REPO / "fixtures" / "demo", root)
    git_init(root)
    out = base / "review"
    args = ["migrate", str(root), "--out-dir", str(out), "--write", "--exit-zero", "-q", "--no-history"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (role,) = json.loads((out / "roles" / "plan.json").read_text())["roles"]
    template = (out / "roles" / role["name"] / "cloudformation.json").read_text()
    assert "aws_access_key_id" not in (root / "orders" / "storage.py").read_text()
    return Migrated(root, template, role)


def _client(server: MotoServer, service: str, creds: dict[str, str], account: str | None = None) -> Any:
    client = boto3.client(
        service,
        region_name="eu-west-1",
        endpoint_url=server.endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )
    if account:  # setup calls act in the plan's account, as its owner would
        client.meta.events.register(
            "before-sign.*.*", lambda request, **_: request.headers.__setitem__("x-moto-account-id", account)
        )
    return client


def _read_back(iam: Any, role_name: str) -> list[dict[str, Any]]:
    """Every policy document of the role as moto IAM holds it; re-puts inline ones as JSON text."""
    documents: list[dict[str, Any]] = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        raw = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        document = raw if isinstance(raw, dict) else _parse(raw)
        iam.put_role_policy(RoleName=role_name, PolicyName=name, PolicyDocument=json.dumps(document))
        documents.append(document)
    for attached in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        raw = version["PolicyVersion"]["Document"]
        documents.append(raw if isinstance(raw, dict) else _parse(raw))
    return documents


def _parse(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:  # moto renders a CloudFormation-made inline policy as a Python repr
        parsed = ast.literal_eval(text)
    assert isinstance(parsed, dict)
    return parsed


def _deploy(server: MotoServer, template: str, account: str, setup: Any = None) -> Deployed:
    """Create the stack and the demo's resources in ``account``; assume the role; enforce IAM."""
    server.reset()
    server.set_auth("inf")
    try:
        arns = setup(account) if setup else {}
        cfn = _client(server, "cloudformation", SETUP_KEY, account)
        cfn.create_stack(
            StackName="keyshift-role", TemplateBody=template, Capabilities=["CAPABILITY_NAMED_IAM"]
        )
        stack = cfn.describe_stacks(StackName="keyshift-role")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        role_arn = outputs["TaskRoleArn"]
        assert role_arn.startswith(f"arn:aws:iam::{account}:role/")
        iam = _client(server, "iam", SETUP_KEY, account)
        policies = _read_back(iam, role_arn.rsplit("/", 1)[1])
        sts = _client(server, "sts", SETUP_KEY, account)
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="keyshift-e2e")["Credentials"]
        return Deployed(creds, policies, arns)
    finally:
        server.set_auth("0")


# ----- the demo service ------------------------------------------------------------------------


def _demo_resources(server: MotoServer) -> Any:
    def setup(account: str) -> dict[str, str]:
        s3 = _client(server, "s3", SETUP_KEY, account)
        s3.create_bucket(
            Bucket="acme-orders-invoices", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.put_object(Bucket="acme-orders-invoices", Key="invoices/seed.pdf", Body=b"%PDF seed")
        ddb = _client(server, "dynamodb", SETUP_KEY, account)
        table = ddb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "order_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "order_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )["TableDescription"]
        ddb.put_item(TableName="orders", Item={"order_id": {"S": "seed"}})
        queue = _client(server, "sqs", SETUP_KEY, account).create_queue(QueueName="orders-events")
        attributes = _client(server, "sqs", SETUP_KEY, account).get_queue_attributes(
            QueueUrl=queue["QueueUrl"], AttributeNames=["QueueArn"]
        )["Attributes"]
        topic = _client(server, "sns", SETUP_KEY, account).create_topic(Name="orders-nightly-report")
        return {
            "bucket": "arn:aws:s3:::acme-orders-invoices",
            "table": table["TableArn"],
            "queue": attributes["QueueArn"],
            "topic": topic["TopicArn"],
        }

    return setup


@dataclass(frozen=True)
class Call:
    code: str  # run in a fresh interpreter inside the rewritten demo
    action: str
    resource: str  # "<kind>" or "<kind>/<suffix>": the ARN moto gave the resource, plus a path
    enforced: bool  # moto evaluates this service's policies against the resource ARN


CALLS = {
    "db.put_order": Call(
        "from orders import db; db.put_order({'order_id': 'o-1', 'total': '12.50'})",
        "dynamodb:PutItem",
        "table",
        False,
    ),
    "db.get_order": Call(
        "from orders import db; assert db.get_order('seed') == {'order_id': 'seed'}",
        "dynamodb:GetItem",
        "table",
        False,
    ),
    "storage.save_invoice": Call(
        "from orders import storage; storage.save_invoice('o-1', b'%PDF-1.4')",
        "s3:PutObject",
        "bucket/invoices/o-1.pdf",
        True,
    ),
    "storage.load_invoice": Call(
        "from orders import storage; assert storage.load_invoice('seed') == b'%PDF seed'",
        "s3:GetObject",
        "bucket/invoices/seed.pdf",
        True,
    ),
    "events.publish_order_created": Call(
        "from orders import events; events.publish_order_created('o-1')", "sqs:SendMessage", "queue", True
    ),
    "events.send_nightly_report": Call(
        "from orders import events; events.send_nightly_report('all good')", "sns:Publish", "topic", False
    ),
}


def _run(
    server: MotoServer, root: Path, code: str, creds: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The demo's own code, on the default credential chain, holding only the role's session."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"],
            "AWS_ENDPOINT_URL": server.endpoint,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_MAX_ATTEMPTS": "1",
            "PYTHONPATH": str(root),
        }
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _allows(policies: list[dict[str, Any]], action: str, arn: str) -> bool:
    """Whether an Allow statement names ``action`` on ``arn`` (the policies hold no Deny)."""
    for document in policies:
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            if any(fnmatch.fnmatchcase(action, a) for a in actions) and any(
                fnmatch.fnmatchcase(arn, r) for r in resources
            ):
                return True
    return False


def _arn(deployed: Deployed, resource: str) -> str:
    kind, _, suffix = resource.partition("/")
    return deployed.arns[kind] + (f"/{suffix}" if suffix else "")


@pytest.fixture
def demo(moto_server: MotoServer, migrated: Migrated) -> Iterator[Deployed]:
    account = migrated.role["credentials"][0]["account_id"]
    deployed = _deploy(moto_server, migrated.template, account, _demo_resources(moto_server))
    yield deployed


def test_every_planned_action_is_a_call_of_the_demo(migrated: Migrated) -> None:
    planned = {p["action"] for p in migrated.role["permissions"]}
    assert planned == {call.action for call in CALLS.values()}


def test_deployed_role_holds_the_plan(demo: Deployed, migrated: Migrated) -> None:
    """What moto IAM holds after the stack is what the plan says: same actions, same resources."""
    assert len(demo.policies) == 1
    for permission in migrated.role["permissions"]:
        for resource in permission["resources"]:
            assert _allows(demo.policies, permission["action"], resource), permission


@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_call_runs_under_the_role(
    name: str, moto_server: MotoServer, migrated: Migrated, demo: Deployed
) -> None:
    call = CALLS[name]
    assert _allows(demo.policies, call.action, _arn(demo, call.resource))
    if not call.enforced:
        moto_server.set_auth("inf")
    try:
        proc = _run(moto_server, migrated.root, call.code, demo.creds)
    finally:
        moto_server.set_auth("0")
    assert proc.returncode == 0, proc.stderr[-2000:]


OUTSIDE_THE_PLAN = {
    "s3:DeleteObject": "import boto3; boto3.client('s3').delete_object(Bucket='acme-orders-invoices', Key='invoices/seed.pdf')",
    "s3:PutObject outside invoices/": "import boto3; boto3.client('s3').put_object(Bucket='acme-orders-invoices', Key='other/x', Body=b'x')",
    "s3:ListBucket": "import boto3; boto3.client('s3').list_objects_v2(Bucket='acme-orders-invoices')",
    "sqs:ReceiveMessage": (
        "from orders import settings; import boto3; "
        "boto3.client('sqs', region_name='eu-west-1').receive_message(QueueUrl=settings.EVENTS_QUEUE_URL)"
    ),
}


@pytest.mark.parametrize("name", sorted(OUTSIDE_THE_PLAN))
def test_calls_outside_the_plan_are_denied(
    name: str, moto_server: MotoServer, migrated: Migrated, demo: Deployed
) -> None:
    proc = _run(moto_server, migrated.root, OUTSIDE_THE_PLAN[name], demo.creds)
    assert proc.returncode != 0
    assert "AccessDenied" in proc.stderr or "not authorized" in proc.stderr, proc.stderr[-2000:]


@pytest.mark.parametrize("name", sorted(n for n, c in CALLS.items() if c.enforced))
def test_each_enforced_grant_is_needed(name: str, moto_server: MotoServer, migrated: Migrated) -> None:
    """The same template without one action deploys, and the call that needs it is denied."""
    call = CALLS[name]
    template = json.loads(migrated.template)
    for resource in template["Resources"].values():
        for inline in resource["Properties"].get("Policies", []):
            inline["PolicyDocument"] = _without(inline["PolicyDocument"], call.action)
    account = migrated.role["credentials"][0]["account_id"]
    deployed = _deploy(moto_server, json.dumps(template), account, _demo_resources(moto_server))
    proc = _run(moto_server, migrated.root, call.code, deployed.creds)
    assert proc.returncode != 0
    assert "AccessDenied" in proc.stderr or "not authorized" in proc.stderr, proc.stderr[-2000:]


def _without(document: dict[str, Any], action: str) -> dict[str, Any]:
    stripped = copy.deepcopy(document)
    statements = []
    for statement in stripped["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        kept = [a for a in actions if a != action]
        if kept:
            statements.append({**statement, "Action": kept})
    assert len(json.dumps(statements)) < len(json.dumps(stripped["Statement"])), f"{action} not granted"
    stripped["Statement"] = statements
    return stripped


# ----- a role whose policy is split into managed policies ---------------------------------------


def test_split_managed_policies_deploy_and_grant(moto_server: MotoServer, tmp_path: Path) -> None:
    root = big_policy_repo(tmp_path / "big", 250)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["plan", str(root), "--out", str(out), "--exit-zero", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    (role,) = json.loads(result.stdout)["roles"]
    template = (out / role["name"] / "cloudformation.json").read_text()
    managed = [
        r for r in json.loads(template)["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"
    ]
    assert len(managed) >= 2
    account = role["credentials"][0]["account_id"]

    def setup(account: str) -> dict[str, str]:
        s3 = _client(moto_server, "s3", SETUP_KEY, account)
        for bucket in (big_bucket(0), big_bucket(249), "acme-unplanned"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
            s3.put_object(Bucket=bucket, Key="data/report.csv", Body=b"a,b")
        return {}

    deployed = _deploy(moto_server, template, account, setup)
    assert len(deployed.policies) == len(managed)
    for permission in role["permissions"]:
        for resource in permission["resources"]:
            assert _allows(deployed.policies, permission["action"], resource)
    s3 = _client(moto_server, "s3", deployed.creds)
    for bucket in (big_bucket(0), big_bucket(249)):  # first and last statement: first and last policy
        assert s3.get_object(Bucket=bucket, Key="data/report.csv")["Body"].read() == b"a,b"
    with pytest.raises(botocore_exceptions.ClientError) as info:
        s3.get_object(Bucket="acme-unplanned", Key="data/report.csv")
    assert "AccessDenied" in str(info.value)
