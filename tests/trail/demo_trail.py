"""Builds ``fixtures/demo-trail``: the demo service's trail, in the delivered S3 layout.

It tells three stories the static plan cannot: an aws-cli on a laptop (198.51.100.7) also uses
the orders key (and assumes an ops role with it); the service calls Secrets Manager on a code
path the analysis does not see; after the cutover the new role is denied ``dynamodb:UpdateItem``
(in CloudTrail and in the service's own log). ``authorization-details.json`` is the account's IAM
export, for the blast radius of the key's user. Run ``python tests/trail/demo_trail.py`` to
regenerate; ``test_demo_fixture_is_current`` fails when the committed copy drifts.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from keyshift.fakes import fake_key_id  # noqa: E402
from keyshift.trail import gen  # noqa: E402

ACCOUNT = "111122223333"
ORDERS_KEY = "AKIARTX3GSDS7HNK5FSF"  # the key hardcoded in fixtures/demo
ROLE = "orders-service-task-role"  # the role keyshift plans for the demo workload
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders"
SECRET = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:orders/payment-api-Xk9fQ2"
TEMP_CLI = fake_key_id(ACCOUNT, prefix="ASIA", seed="demo-cli-session")
TEMP_ROLE = fake_key_id(ACCOUNT, prefix="ASIA", seed="demo-task-session")
DENIAL = (
    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/4b8f6d2a9c0e4f1b is not authorized to perform: "
    f"dynamodb:UpdateItem on resource: {TABLE} because no identity-based policy allows the "
    "dynamodb:UpdateItem action"
)


def records() -> list[dict[str, Any]]:
    app = gen.Actor(ACCOUNT, ORDERS_KEY, "203.0.113.10", gen.BOTO3_UA, user="orders-service")
    laptop = gen.Actor(ACCOUNT, ORDERS_KEY, "198.51.100.7", gen.CLI_UA, user="orders-service")
    ops = gen.Actor(ACCOUNT, TEMP_CLI, "198.51.100.7", gen.CLI_UA, role="orders-ops", session="jdoe")
    task = gen.Actor(ACCOUNT, TEMP_ROLE, "203.0.113.10", gen.BOTO3_UA, role=ROLE, session="4b8f6d2a9c0e4f1b")
    out: list[dict[str, Any]] = []
    for day, hour in (("02", 9), ("02", 15), ("03", 9), ("03", 16)):
        t = f"2026-11-{day}T{hour:02d}:1"
        out.append(gen.record(app, "dynamodb.amazonaws.com", "PutItem", time=t + "0:00Z",
                              params={"tableName": "orders"}, resources=[{"type": "AWS::DynamoDB::Table", "ARN": TABLE}],
                              version="1.08", seed="demo"))  # fmt: skip
        out.append(gen.record(app, "dynamodb.amazonaws.com", "GetItem", time=t + "1:00Z",
                              params={"tableName": "orders"}, resources=[{"type": "AWS::DynamoDB::Table", "ARN": TABLE}],
                              version="1.09", seed="demo"))  # fmt: skip
        key = f"invoices/2026/11/{day}/{hour}.pdf"
        out.append(gen.record(app, "s3.amazonaws.com", "PutObject", time=t + "2:00Z",
                              params={"bucketName": "acme-orders-invoices", "key": key},
                              resources=[{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::acme-orders-invoices/{key}"}],
                              version="1.10", seed="demo"))  # fmt: skip
        out.append(gen.record(app, "secretsmanager.amazonaws.com", "GetSecretValue", time=t + "3:00Z",
                              params={"secretId": SECRET}, version="1.08", seed="demo"))  # fmt: skip
    # someone's laptop: the same key in ~/.aws/credentials
    out.append(gen.record(laptop, "sts.amazonaws.com", "GetCallerIdentity", time="2026-11-02T21:40:00Z",
                          params={}, response={}, version="1.08", seed="demo"))  # fmt: skip
    out.append(gen.record(laptop, "sts.amazonaws.com", "AssumeRole", time="2026-11-02T21:41:00Z",
                          params={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/orders-ops", "roleSessionName": "jdoe"},
                          response={"credentials": {"accessKeyId": TEMP_CLI, "expiration": "Nov 2, 2026, 10:41:00 PM",
                                                    "sessionToken": "HIDDEN_DUE_TO_SECURITY_REASONS"},
                                    "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEID:jdoe",
                                                        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/orders-ops/jdoe"}},
                          version="1.08", seed="demo"))  # fmt: skip
    out.append(gen.record(ops, "s3.amazonaws.com", "ListBuckets", time="2026-11-02T21:42:00Z",
                          params={"Host": "s3.eu-west-1.amazonaws.com"}, version="1.08", seed="demo"))  # fmt: skip
    # after the cutover: the task role, one denial
    out.append(gen.record(task, "dynamodb.amazonaws.com", "PutItem", time="2026-11-04T10:05:00Z",
                          params={"tableName": "orders"}, resources=[{"type": "AWS::DynamoDB::Table", "ARN": TABLE}],
                          version="1.10", seed="demo"))  # fmt: skip
    out.append(gen.record(task, "dynamodb.amazonaws.com", "UpdateItem", time="2026-11-04T10:06:00Z",
                          params={"tableName": "orders"}, error=("AccessDeniedException", DENIAL),
                          version="1.10", seed="demo"))  # fmt: skip
    return out


APP_LOG = (
    "2026-11-04 10:06:00,412 ERROR orders.db status update failed: botocore.exceptions.ClientError: "
    "An error occurred (AccessDeniedException) when calling the UpdateItem operation: " + DENIAL + "\n"
)


def authorization_details() -> dict[str, Any]:
    """The account's ``aws iam get-account-authorization-details`` export (the part that matters)."""
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    return {
        "UserDetailList": [
            {
                "Path": "/",
                "UserName": "orders-service",
                "UserId": "AIDAEXAMPLEORDERS01",
                "Arn": f"arn:aws:iam::{ACCOUNT}:user/orders-service",
                "CreateDate": "2019-04-01T10:00:00Z",
                "GroupList": ["legacy-services"],
                "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess", "PolicyArn": admin}],
                "UserPolicyList": [],
                "Tags": [],
            }
        ],
        "GroupDetailList": [
            {
                "Path": "/",
                "GroupName": "legacy-services",
                "GroupId": "AGPAEXAMPLELEGACY01",
                "Arn": f"arn:aws:iam::{ACCOUNT}:group/legacy-services",
                "CreateDate": "2019-04-01T10:00:00Z",
                "GroupPolicyList": [
                    {
                        "PolicyName": "orders-data",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [
                                {"Effect": "Allow", "Action": ["s3:*", "dynamodb:*"], "Resource": "*"}
                            ],
                        },
                    }
                ],
                "AttachedManagedPolicies": [],
            }
        ],
        "RoleDetailList": [],
        "Policies": [
            {
                "PolicyName": "AdministratorAccess",
                "PolicyId": "ANPAIWMBCKSKIEE64ZLYK",
                "Arn": admin,
                "Path": "/",
                "DefaultVersionId": "v1",
                "AttachmentCount": 1,
                "IsAttachable": True,
                "PolicyVersionList": [
                    {
                        "Document": {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                        },
                        "VersionId": "v1",
                        "IsDefaultVersion": True,
                    }
                ],
            }
        ],
    }


def build(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    gen.write_delivered(root, records(), per_file=8)
    (root / "authorization-details.json").write_text(
        json.dumps(authorization_details(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    (root / "orders-service.log").write_text(
        "2026-11-04 10:05:59,870 INFO orders.db order 1042 stored\n" + APP_LOG, encoding="utf-8"
    )


if __name__ == "__main__":
    build(ROOT / "fixtures" / "demo-trail")
