"""Call shapes of small services whose needs AWS documents beyond the action's own mapping:
roles passed to a service, session tags, WebSocket @connections, ECS task ARNs, re-encryption,
SSE-KMS reads and multipart uploads, Bedrock model ARNs, sibling calls that name what another
leaves out. Each row is a snippet and every (action, resource) pair its plan must grant."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

KEY = "{{key:111122223333:shapes}}"
ACCOUNT = "111122223333"


def client(service: str, region: str = "us-east-1", extra: str = "") -> str:
    return f'import boto3\nc = boto3.client("{service}", region_name="{region}", aws_access_key_id="{KEY}"{extra})\n'


def _pairs(root: Path) -> set[tuple[str, str]]:
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return {(p["action"], r) for role in data["roles"] for p in role["permissions"] for r in p["resources"]}


ROLE = f"arn:aws:iam::{ACCOUNT}:role"
KMS = f"arn:aws:kms:us-east-1:{ACCOUNT}:key"
K1, K2 = "0f8e2c4a-5b6d-4e7f-8a9b-1c2d3e4f5a6b", "a9b8c7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d"
WS = "https://k7x2m9q4ab.execute-api.us-east-1.amazonaws.com/production"
API = f"arn:aws:execute-api:us-east-1:{ACCOUNT}:k7x2m9q4ab/production"
ECS = f"arn:aws:ecs:us-east-1:{ACCOUNT}"

CASES = [
    (
        "scheduler-target-role-is-passed",
        client("scheduler") + 'c.create_schedule(Name="n", GroupName="g", ScheduleExpression="rate(1 day)",'
        f' FlexibleTimeWindow={{"Mode": "OFF"}}, Target={{"Arn": "arn:aws:sqs:us-east-1:{ACCOUNT}:q",'
        f' "RoleArn": "{ROLE}/sched"}})\n',
        {
            ("scheduler:CreateSchedule", f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/g/n"),
            ("iam:PassRole", f"{ROLE}/sched"),
        },
    ),
    (
        "sts-assume-role-names-a-role-it-does-not-pass",
        client("sts") + f'c.assume_role(RoleArn="{ROLE}/r", RoleSessionName="s")\n',
        {("sts:AssumeRole", f"{ROLE}/r")},
    ),
    (
        "session-tags-and-source-identity",
        client("sts")
        + f'c.assume_role(RoleArn="{ROLE}/r", RoleSessionName="s", Tags=[{{"Key": "a", "Value": "b"}}],'
        ' SourceIdentity="job")\n',
        {
            ("sts:AssumeRole", f"{ROLE}/r"),
            ("sts:TagSession", f"{ROLE}/r"),
            ("sts:SetSourceIdentity", f"{ROLE}/r"),
        },
    ),
    (
        "websocket-connections-from-endpoint-url",
        client("apigatewaymanagementapi", extra=f', endpoint_url="{WS}"')
        + 'c.post_to_connection(ConnectionId="x", Data=b"")\nc.get_connection(ConnectionId="x")\n',
        {
            ("execute-api:ManageConnections", f"{API}/POST/@connections/*"),
            ("execute-api:ManageConnections", f"{API}/GET/@connections/*"),
        },
    ),
    (
        "ecs-run-task-family-only-is-any-revision-and-overrides-are-passed",
        client("ecs")
        + f'c.run_task(cluster="jobs", taskDefinition="etl", overrides={{"taskRoleArn": "{ROLE}/etl"}})\n'
        'c.stop_task(cluster="jobs", task="0123abcd")\n',
        {
            ("ecs:RunTask", f"{ECS}:task-definition/etl:*"),
            ("iam:PassRole", f"{ROLE}/etl"),
            ("ecs:StopTask", f"{ECS}:task/jobs/0123abcd"),
        },
    ),
    (
        "re-encrypt-each-side-on-its-own-key",
        client("kms")
        + f'c.re_encrypt(CiphertextBlob=b"", SourceKeyId="{KMS}/{K1}", DestinationKeyId="{K2}")\n',
        {("kms:ReEncryptFrom", f"{KMS}/{K1}"), ("kms:ReEncryptTo", f"{KMS}/{K2}")},
    ),
    (
        "sse-kms-writes-make-reads-of-that-bucket-decrypt",
        client("s3")
        + f'c.put_object(Bucket="b", Key="a", Body=b"", ServerSideEncryption="aws:kms", SSEKMSKeyId="{K1}")\n'
        'c.get_object(Bucket="b", Key="a")\nc.get_object(Bucket="other", Key="a")\n',
        {
            ("s3:PutObject", "arn:aws:s3:::b/a"),
            ("s3:GetObject", "arn:aws:s3:::b/a"),
            ("s3:GetObject", "arn:aws:s3:::other/a"),
            ("kms:GenerateDataKey", f"{KMS}/{K1}"),
            ("kms:Decrypt", f"{KMS}/{K1}"),
        },
    ),
    (
        "sse-kms-multipart-upload-also-decrypts",
        client("s3") + f'c.create_multipart_upload(Bucket="b", Key="a", SSEKMSKeyId="{K1}")\n',
        {
            ("s3:PutObject", "arn:aws:s3:::b/a"),
            ("kms:GenerateDataKey", f"{KMS}/{K1}"),
            ("kms:Decrypt", f"{KMS}/{K1}"),
        },
    ),
    (
        "delete-objects-on-the-keys-listed",
        client("s3")
        + 'c.delete_objects(Bucket="b", Delete={"Objects": [{"Key": "tmp/a"}, {"Key": "tmp/b"}]})\n',
        {("s3:DeleteObject", "arn:aws:s3:::b/tmp/a"), ("s3:DeleteObject", "arn:aws:s3:::b/tmp/b")},
    ),
    (
        "resource-identifier-attributes-keep-their-values",
        f'import boto3\ns3 = boto3.resource("s3", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        'for o in s3.Bucket("src").objects.filter(Prefix="in/"):\n'
        '    s3.Object("dst", "copy").copy_from(CopySource={"Bucket": o.bucket_name, "Key": o.key})\n',
        {
            ("s3:ListBucket", "arn:aws:s3:::src"),
            ("s3:GetObject", "arn:aws:s3:::src/in/*"),
            ("s3:PutObject", "arn:aws:s3:::dst/copy"),
        },
    ),
    (
        "dynamodb-stream-arn-from-describe-table",
        client("dynamodb") + 's = boto3.client("dynamodbstreams", region_name="us-east-1")\n'
        'arn = c.describe_table(TableName="t")["Table"]["LatestStreamArn"]\n'
        's.get_records(ShardIterator=s.get_shard_iterator(StreamArn=arn, ShardId="x",'
        ' ShardIteratorType="LATEST")["ShardIterator"])\n',
        {
            ("dynamodb:DescribeTable", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t"),
            ("dynamodb:GetShardIterator", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t/stream/*"),
            ("dynamodb:GetRecords", f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t/stream/*"),
        },
    ),
    (
        "insights-results-on-the-groups-queried",
        client("logs")
        + 'q = c.start_query(logGroupName="/app", startTime=0, endTime=1, queryString="x")["queryId"]\n'
        "c.get_query_results(queryId=q)\n",
        {
            (action, f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app{tail}")
            for action in ("logs:StartQuery", "logs:GetQueryResults")
            for tail in ("", ":*")
        },
    ),
    (
        "bedrock-foundation-model-and-cross-region-profile",
        client("bedrock-runtime", "us-west-2")
        + 'c.invoke_model(modelId="amazon.titan-text-express-v1", body="{}")\n'
        'c.converse(modelId="us.anthropic.claude-3-haiku-20240307-v1:0", messages=[])\n',
        {
            (
                "bedrock:InvokeModel",
                "arn:aws:bedrock:us-west-2::foundation-model/amazon.titan-text-express-v1",
            ),
            (
                "bedrock:InvokeModel",
                f"arn:aws:bedrock:us-west-2:{ACCOUNT}:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
            ),
            (
                "bedrock:InvokeModel",
                "arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            ),
        },
    ),
    (
        "translate-auto-detect-and-terminology",
        client("translate")
        + 'c.translate_text(Text="x", SourceLanguageCode="auto", TargetLanguageCode="de", TerminologyNames=["t"])\n',
        {
            ("translate:TranslateText", f"arn:aws:translate:us-east-1:{ACCOUNT}:terminology/t"),
            ("comprehend:DetectDominantLanguage", "*"),
        },
    ),
    (
        "translate-from-a-named-language-detects-nothing",
        client("translate")
        + 'c.translate_text(Text="x", SourceLanguageCode="en", TargetLanguageCode="de")\n',
        {("translate:TranslateText", "*")},
    ),
    (
        "sesv2-bulk-template-in-default-content",
        client("sesv2") + 'c.send_bulk_email(FromEmailAddress="a@x.example", BulkEmailEntries=[],'
        ' DefaultContent={"Template": {"TemplateName": "digest"}})\n',
        {
            ("ses:SendBulkEmail", f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/a@x.example"),
            ("ses:SendBulkEmail", f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/x.example"),
            ("ses:SendBulkEmail", f"arn:aws:ses:us-east-1:{ACCOUNT}:template/digest"),
        },
    ),
    (
        "timestream-calls-discover-their-endpoint",
        client("timestream-write") + 'c.write_records(DatabaseName="d", TableName="t", Records=[])\n',
        {
            ("timestream:WriteRecords", f"arn:aws:timestream:us-east-1:{ACCOUNT}:database/d/table/t"),
            ("timestream:DescribeEndpoints", "*"),
        },
    ),
    (
        "data-api-reads-the-secret-it-names",
        client("rds-data")
        + f'c.execute_statement(resourceArn="arn:aws:rds:us-east-1:{ACCOUNT}:cluster:db",'
        f' secretArn="arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf", sql="SELECT 1")\n',
        {
            ("rds-data:ExecuteStatement", f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster:db"),
            ("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf"),
        },
    ),
    (
        "securestring-under-a-customer-key-encrypts-and-decrypts",
        client("ssm")
        + f'c.put_parameter(Name="/app/token", Value="v", Type="SecureString", KeyId="{K1}")\n'
        'c.get_parameter(Name="/app/token", WithDecryption=True)\nc.get_parameter(Name="/other")\n',
        {
            ("ssm:PutParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/token"),
            ("ssm:GetParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app/token"),
            ("ssm:GetParameter", f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/other"),
            ("kms:Encrypt", f"{KMS}/{K1}"),
            ("kms:Decrypt", f"{KMS}/{K1}"),
        },
    ),
    (
        "functools-partial-client-factory",
        'import functools, boto3\nmake = functools.partial(boto3.client, region_name="eu-west-1",'
        f' aws_access_key_id="{KEY}")\nmake("sqs").send_message(QueueUrl="https://sqs.eu-west-1.amazonaws.com/'
        f'{ACCOUNT}/q", MessageBody="x")\n',
        {("sqs:SendMessage", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q")},
    ),
    (
        "region-the-code-sets-for-default-chain-clients",
        f'import os, boto3\nos.environ["AWS_ACCESS_KEY_ID"] = "{KEY}"\n'
        'os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-2")\n'
        'boto3.client("dynamodb").get_item(TableName="t", Key={})\n',
        {("dynamodb:GetItem", f"arn:aws:dynamodb:eu-west-2:{ACCOUNT}:table/t")},
    ),
    (
        "region-of-the-default-session",
        f'import boto3\nboto3.setup_default_session(aws_access_key_id="{KEY}", region_name="ap-south-1")\n'
        'boto3.client("dynamodb").get_item(TableName="t", Key={})\n',
        {("dynamodb:GetItem", f"arn:aws:dynamodb:ap-south-1:{ACCOUNT}:table/t")},
    ),
    (
        "fastapi-depends-provider-builds-the-client",
        "import boto3\nfrom fastapi import Depends, FastAPI\napp = FastAPI()\n"
        f'def sqs():\n    return boto3.client("sqs", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        '@app.post("/x")\ndef handler(client=Depends(sqs)):\n'
        f'    client.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/q", MessageBody="x")\n',
        {("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q")},
    ),
    (
        "timestream-query-selects-and-lists-nothing",
        client("timestream-query") + 'c.query(QueryString="SELECT * FROM db.t")\n',
        {("timestream:Select", "*"), ("timestream:DescribeEndpoints", "*")},
    ),
]


@pytest.mark.parametrize(("name", "code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_shape(
    name: str, code: str, expected: set[tuple[str, str]], repo_factory: Callable[..., Path]
) -> None:
    assert _pairs(repo_factory({"svc/app.py": code})) == expected
