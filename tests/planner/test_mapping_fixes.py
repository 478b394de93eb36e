"""Mapping fixes measured on real code: existence checks, fallbacks, PartiQL, keys sent elsewhere,
and writes to resources the code does not name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

from .plan_helpers import substitute

KEY = "{{key:111122223333:map}}"
HEAD = f'import os, boto3\ns3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
DDB = f'import boto3\nddb = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
TABLE = "arn:aws:dynamodb:us-east-1:111122223333:table"


def _plan(root: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout)


def _pairs(data: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(p["action"], r) for role in data["roles"] for p in role["permissions"] for r in p["resources"]}


CASES = [
    (
        "head-object-also-lists-the-bucket",
        HEAD + 's3.head_object(Bucket="reports", Key="daily.csv")\n',
        {("s3:GetObject", "arn:aws:s3:::reports/daily.csv"), ("s3:ListBucket", "arn:aws:s3:::reports")},
    ),
    (
        "object-exists-waiter-also-lists-the-bucket",
        HEAD + 's3.get_waiter("object_exists").wait(Bucket="drop", Key="in/a.json")\n',
        {("s3:GetObject", "arn:aws:s3:::drop/in/a.json"), ("s3:ListBucket", "arn:aws:s3:::drop")},
    ),
    (
        "or-fallback-keeps-both-alternatives",
        HEAD + 'def save(day=None):\n    s3.get_object(Bucket="logs", Key=f"{day or \'undated\'}/log.txt")\n',
        {("s3:GetObject", "arn:aws:s3:::logs/*/log.txt")},
    ),
    (
        "partiql-by-verb-and-table",
        DDB + "ddb.execute_statement(Statement=\"INSERT INTO orders VALUE {'id': ?}\")\n"
        "ddb.execute_statement(Statement='UPDATE \"users\" SET a=1 WHERE id=?')\n"
        'ddb.batch_execute_statement(Statements=[{"Statement": "DELETE FROM carts WHERE id=?"}])\n'
        'ddb.execute_statement(Statement="SELECT * FROM orders WHERE id=?")\n',
        {
            ("dynamodb:PartiQLInsert", f"{TABLE}/orders"),
            ("dynamodb:PartiQLUpdate", f"{TABLE}/users"),
            ("dynamodb:PartiQLDelete", f"{TABLE}/carts"),
            ("dynamodb:PartiQLSelect", f"{TABLE}/orders"),
        },
    ),
    (
        "query-on-a-secondary-index-needs-only-the-index",
        DDB + 'ddb.query(TableName="orders", IndexName="by-customer", KeyConditionExpression="c = :c")\n'
        'ddb.query(TableName="orders", KeyConditionExpression="id = :i")\n'
        'ddb.scan(TableName="users", IndexName="by-email")\n',
        {
            ("dynamodb:Query", f"{TABLE}/orders/index/by-customer"),
            ("dynamodb:Query", f"{TABLE}/orders"),
            ("dynamodb:Scan", f"{TABLE}/users/index/by-email"),
        },
    ),
    (
        "put-metric-data-is-granted-on-any-resource-not-a-placeholder-dataset",
        f'import boto3\ncw = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        'cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "orders", "Value": 1}])\n',
        {("cloudwatch:PutMetricData", "*")},
    ),
    (
        "rekognition-and-textract-read-the-s3-object-as-the-caller",
        f'import boto3\nrk = boto3.client("rekognition", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        f'tx = boto3.client("textract", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        'rk.detect_labels(Image={"S3Object": {"Bucket": "photos", "Name": "in/a.jpg"}})\n'
        'tx.start_document_analysis(DocumentLocation={"S3Object": {"Bucket": "docs", "Name": "f.pdf"}},'
        ' FeatureTypes=["TABLES"])\n'
        'rk.detect_text(Image={"Bytes": b""})\n',
        {
            ("rekognition:DetectLabels", "*"),
            ("rekognition:DetectText", "*"),
            ("textract:StartDocumentAnalysis", "*"),
            ("s3:GetObject", "arn:aws:s3:::photos/in/a.jpg"),
            ("s3:GetObject", "arn:aws:s3:::docs/f.pdf"),
        },
    ),
    (
        "environment-read-or-literal-takes-the-literal-when-no-deployment-file-sets-it",
        HEAD + 'BUCKET = os.getenv("REPORTS_BUCKET") or "reports"\n'
        's3.get_object(Bucket=BUCKET, Key="a.csv")\n'
        's3.put_object(Bucket=os.environ.get("DROP") or os.environ.get("DROP2") or "drop", Key="b", Body=b"")\n',
        {("s3:GetObject", "arn:aws:s3:::reports/a.csv"), ("s3:PutObject", "arn:aws:s3:::drop/b")},
    ),
    (
        "sms-publish-is-granted-on-any-resource-not-a-placeholder-topic",
        f'import boto3\nsns = boto3.client("sns", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        'sns.publish(PhoneNumber="+15555550100", Message="code 1234")\n'
        'sns.publish(TopicArn="arn:aws:sns:us-east-1:111122223333:alerts", Message="x")\n',
        {("sns:Publish", "*")},
    ),
    (
        "queue-of-another-account-named-by-owner-id",
        f'import boto3\nsqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        'sqs.get_queue_url(QueueName="partner-in", QueueOwnerAWSAccountId="444455556666")\n'
        'sqs.get_queue_url(QueueName="own")\n',
        {
            ("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:444455556666:partner-in"),
            ("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:111122223333:own"),
        },
    ),
    (
        "url-of-another-accounts-queue-names-that-account",
        f'import boto3\nsqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        'url = sqs.get_queue_url(QueueName="inbox", QueueOwnerAWSAccountId="444455556666")["QueueUrl"]\n'
        'sqs.send_message(QueueUrl=url, MessageBody="x")\n',
        {
            ("sqs:GetQueueUrl", "arn:aws:sqs:us-east-1:444455556666:inbox"),
            ("sqs:SendMessage", "arn:aws:sqs:us-east-1:444455556666:inbox"),
        },
    ),
    (
        "kms-key-named-by-alias-is-any-key-of-the-account-requested-by-that-alias",
        f'import boto3\nkms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        'kms.encrypt(KeyId="alias/app-key", Plaintext=b"x")\n'
        'kms.decrypt(KeyId="arn:aws:kms:us-east-1:111122223333:alias/app-key", CiphertextBlob=b"x")\n',
        {
            ("kms:Encrypt", "arn:aws:kms:us-east-1:111122223333:key/*"),
            ("kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/*"),
        },
    ),
    (
        "aioboto3-session-and-aiobotocore-client",
        "import aioboto3\nfrom aiobotocore.session import get_session\n"
        f'session = aioboto3.Session(aws_access_key_id="{KEY}", region_name="us-east-1")\n'
        "async def put(body):\n"
        '    async with session.client("s3") as s3:\n'
        '        await s3.put_object(Bucket="async-bucket", Key="a.bin", Body=body)\n'
        '    async with session.resource("dynamodb") as ddb:\n'
        '        table = await ddb.Table("jobs")\n'
        '        await table.put_item(Item={"id": "1"})\n'
        "async def send():\n"
        '    async with get_session().create_client("sqs", region_name="us-east-1",'
        f' aws_access_key_id="{KEY}") as sqs:\n'
        '        await sqs.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/111122223333/q",'
        ' MessageBody="x")\n',
        {
            ("s3:PutObject", "arn:aws:s3:::async-bucket/a.bin"),
            ("dynamodb:PutItem", f"{TABLE}/jobs"),
            ("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q"),
        },
    ),
]


@pytest.mark.parametrize(("name", "code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_mapping(
    name: str, code: str, expected: set[tuple[str, str]], repo_factory: Callable[..., Path]
) -> None:
    code_, data = _plan(repo_factory({"svc/app.py": code}))
    assert _pairs(data) == expected
    assert code_ == 0, data


def test_write_to_an_unnamed_bucket_gets_a_placeholder(repo_factory: Callable[..., Path]) -> None:
    code = HEAD + 's3.put_object(Bucket=os.environ["AWS_STORAGE_BUCKET_NAME"], Key="media/a.png", Body=b"")\n'
    root = repo_factory({"svc/app.py": code})
    exit_code, data = _plan(root)
    assert _pairs(data) == {("s3:PutObject", "arn:aws:s3:::<AWS_STORAGE_BUCKET_NAME>/media/a.png")}
    assert exit_code == 1
    assert any("<AWS_STORAGE_BUCKET_NAME>" in item for item in data["roles"][0]["unresolved"])
    exit_code, data = _plan(root, "--allow-wildcards")
    assert _pairs(data) == {("s3:PutObject", "*")}
    assert exit_code == 0


def test_key_sent_to_a_third_party_is_reported(repo_factory: Callable[..., Path]) -> None:
    code = (
        HEAD
        + "import requests\n"
        + f'KEY = "{KEY}"\n'
        + 's3.get_object(Bucket="b", Key="k")\n'
        + 'requests.post("https://partner.example/hook", json={"aws_key": KEY})\n'
    )
    exit_code, data = _plan(repo_factory({"svc/app.py": code}))
    assert exit_code == 1
    (item,) = [u for u in data["roles"][0]["unresolved"] if "used outside AWS" in u]
    assert substitute(KEY) in item and "requests.post" in item and "a task role cannot replace it" in item


def test_alias_grant_is_conditioned_on_the_alias(repo_factory: Callable[..., Path]) -> None:
    code = f'import boto3\nkms = boto3.client("kms", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
    code += 'kms.generate_data_key(KeyId="alias/app-key", KeySpec="AES_256")\n'
    _, data = _plan(repo_factory({"svc/app.py": code}))
    (statement,) = data["roles"][0]["policy"]["Statement"]
    assert statement["Resource"] == "arn:aws:kms:us-east-1:111122223333:key/*"
    assert statement["Condition"] == {"StringEquals": {"kms:RequestAlias": "alias/app-key"}}
