"""Usage analysis: every way code reaches a client ends in the right (action, resource) grants.

Each case is a small real git repository; the plan is made through the CLI and compared with the
exact set of (action, resource) pairs a careful engineer would grant.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.planner import iam_map

from .plan_helpers import substitute

KEY = "{{key:111122223333:a}}"
KEY2 = "{{key:444455556666:b}}"
SECRET = "{{secret:a}}"
DOCKERFILE = "FROM python:3.12\nENV AWS_REGION=us-east-1\n"

Pairs = set[tuple[str, str]]


def _plan(root: Path) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return data


def _pairs(role: dict) -> Pairs:  # type: ignore[type-arg]
    return {(p["action"], r) for p in role["permissions"] for r in p["resources"]}


CASES: list[tuple[str, dict[str, str], Pairs]] = [
    (
        "local-variable-and-head-object",
        {
            "svc/app.py": f'import boto3\ns3 = boto3.client("s3", aws_access_key_id="{KEY}", '
            f'aws_secret_access_key="{SECRET}")\n'
            'def f():\n    s3.head_object(Bucket="b1", Key="x/y.txt")\n',
        },
        # a missing object is a 404 only for a caller that may list the bucket
        {("s3:GetObject", "arn:aws:s3:::b1/x/y.txt"), ("s3:ListBucket", "arn:aws:s3:::b1")},
    ),
    (
        "self-attribute-and-constructor-argument",
        {
            "svc/clients.py": f'import boto3\nKEY = "{KEY}"\ndef make():\n'
            '    return boto3.client("sqs", aws_access_key_id=KEY, region_name="eu-west-1")\n',
            "svc/worker.py": "from clients import make\n"
            "class Worker:\n    def __init__(self, client):\n        self.client = client\n"
            '    def run(self):\n        self.client.send_message(QueueUrl="https://sqs.eu-west-1.amazonaws.com/'
            '111122223333/jobs", MessageBody="x")\n'
            "Worker(make()).run()\n",
        },
        {("sqs:SendMessage", "arn:aws:sqs:eu-west-1:111122223333:jobs")},
    ),
    (
        "paginator-waiter-presigned",
        {
            "svc/app.py": f'import boto3\nc = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            'c.get_paginator("list_objects_v2").paginate(Bucket="logs", Prefix="2024/")\n'
            'c.get_waiter("bucket_exists").wait(Bucket="logs")\n'
            'c.generate_presigned_url("put_object", Params={"Bucket": "up", "Key": "in/a.bin"})\n'
            'c.generate_presigned_post("up", "forms/${filename}")\n',
        },
        {
            ("s3:ListBucket", "arn:aws:s3:::logs"),
            ("s3:PutObject", "arn:aws:s3:::up/in/a.bin"),
            ("s3:PutObject", "arn:aws:s3:::up/forms/*"),
        },
    ),
    (
        "transfer-helpers-and-extras",
        {
            "svc/app.py": f'import boto3\nc = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            'c.download_file("src", "data/in.csv", "/tmp/in.csv")\n'
            'c.upload_file("/tmp/o", "dst", "out/o.csv", ExtraArgs={"Tagging": "a=b"})\n'
            'c.copy({"Bucket": "src", "Key": "data/in.csv"}, "dst", "copy/in.csv")\n'
            'c.get_object(Bucket="src", Key="v.txt", VersionId="3")\n',
        },
        {
            ("s3:GetObject", "arn:aws:s3:::src/data/in.csv"),
            ("s3:PutObject", "arn:aws:s3:::dst/out/o.csv"),
            ("s3:PutObjectTagging", "arn:aws:s3:::dst/out/o.csv"),
            ("s3:PutObject", "arn:aws:s3:::dst/copy/in.csv"),
            ("s3:GetObjectVersion", "arn:aws:s3:::src/v.txt"),
        },
    ),
    (
        "resource-models",
        {
            "svc/Dockerfile": DOCKERFILE,
            "svc/app.py": f'import boto3\nddb = boto3.resource("dynamodb", aws_access_key_id="{KEY}")\n'
            't = ddb.Table("orders")\nt.put_item(Item={})\nt.wait_until_exists()\n'
            f's3 = boto3.resource("s3", aws_access_key_id="{KEY}")\n'
            's3.Bucket("tmpb").objects.filter(Prefix="tmp/").delete()\n'
            f'sqs = boto3.resource("sqs", aws_access_key_id="{KEY}")\n'
            'sqs.Queue("https://sqs.us-east-1.amazonaws.com/111122223333/q1").send_message(MessageBody="m")\n',
        },
        {
            ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111122223333:table/orders"),
            ("dynamodb:DescribeTable", "arn:aws:dynamodb:us-east-1:111122223333:table/orders"),
            ("s3:ListBucket", "arn:aws:s3:::tmpb"),
            ("s3:DeleteObject", "arn:aws:s3:::tmpb/tmp/*"),
            ("sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:q1"),
        },
    ),
    (
        "assumed-role-calls-do-not-belong-to-the-key",
        {
            "svc/app.py": f'import boto3\nsts = boto3.client("sts", aws_access_key_id="{KEY}")\n'
            'c = sts.assume_role(RoleArn="arn:aws:iam::999999999999:role/up",\n'
            '    RoleSessionName="s")["Credentials"]\n'
            'other = boto3.Session(aws_access_key_id=c["AccessKeyId"],\n'
            '    aws_secret_access_key=c["SecretAccessKey"])\n'
            'other.client("s3").delete_bucket(Bucket="theirs")\n',
        },
        {("sts:AssumeRole", "arn:aws:iam::999999999999:role/up")},
    ),
    (
        "implicit-key-from-env-file-and-unknown-name-is-star",
        {
            "svc/.env": f"AWS_ACCESS_KEY_ID={KEY}\nAWS_DEFAULT_REGION=us-east-2\n",
            "svc/app.py": 'import boto3, sys\nsm = boto3.client("secretsmanager")\n'
            'sm.get_secret_value(SecretId="prod/db")\nsm.get_secret_value(SecretId=sys.argv[1])\n',
        },
        {("secretsmanager:GetSecretValue", "*")},
    ),
    (
        "environment-read-resolved-by-compose",
        {
            "docker-compose.yml": "services:\n  api:\n    build: ./api\n    environment:\n"
            f"      AWS_ACCESS_KEY_ID: {KEY}\n      AWS_REGION: ap-south-1\n      TABLE: users\n",
            "api/app.py": 'import os, boto3\nd = boto3.client("dynamodb")\n'
            'd.query(TableName=os.environ["TABLE"], IndexName="by-email")\n',
        },
        {("dynamodb:Query", "arn:aws:dynamodb:ap-south-1:111122223333:table/users/index/by-email")},
    ),
]


@pytest.mark.parametrize(("name", "files", "expected"), CASES, ids=[c[0] for c in CASES])
def test_case(name: str, files: dict[str, str], expected: Pairs, repo_factory: Callable[..., Path]) -> None:
    data = _plan(repo_factory(files))
    assert len(data["roles"]) == 1, data["roles"]
    assert _pairs(data["roles"][0]) == expected
    for permission in data["roles"][0]["permissions"]:
        assert iam_map.action_exists(permission["action"])


MORE_CASES: list[tuple[str, dict[str, str], Pairs]] = [
    (
        "key-in-a-config-file-read-at-run-time",
        {
            "svc/Dockerfile": DOCKERFILE,
            "svc/config.yaml": f"aws:\n  access_key_id: {KEY}\n  secret_access_key: {SECRET}\n",
            "svc/app.py": "import boto3, yaml\ncfg = yaml.safe_load(open('config.yaml'))['aws']\n"
            'k = boto3.client("kinesis", aws_access_key_id=cfg["access_key_id"],\n'
            '    aws_secret_access_key=cfg["secret_access_key"])\n'
            'k.put_record(StreamName="clicks", Data=b"", PartitionKey="p")\n'
            'it = k.get_shard_iterator(StreamName="clicks", ShardId="0", ShardIteratorType="LATEST")\n'
            'k.get_records(ShardIterator=it["ShardIterator"])\n',
        },
        {
            ("kinesis:PutRecord", "arn:aws:kinesis:us-east-1:111122223333:stream/clicks"),
            ("kinesis:GetShardIterator", "arn:aws:kinesis:us-east-1:111122223333:stream/clicks"),
            ("kinesis:GetRecords", "arn:aws:kinesis:us-east-1:111122223333:stream/clicks"),
        },
    ),
    (
        "repo-level-env-file-and-transactions",
        {
            ".env": f"AWS_ACCESS_KEY_ID={KEY}\nAWS_REGION=us-east-1\n",
            "api/Dockerfile": "FROM python:3.12\n",
            "api/app.py": 'import boto3\nd = boto3.client("dynamodb")\n'
            'd.transact_write_items(TransactItems=[{"Put": {"TableName": "a", "Item": {}}},\n'
            '    {"Update": {"TableName": "b", "Key": {}}}])\n',
        },
        {
            ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111122223333:table/a"),
            ("dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:111122223333:table/b"),
            ("dynamodb:UpdateItem", "arn:aws:dynamodb:us-east-1:111122223333:table/a"),
            ("dynamodb:UpdateItem", "arn:aws:dynamodb:us-east-1:111122223333:table/b"),
        },
    ),
]


MORE_CASES += [
    (
        "factory-per-service-and-dict-kwargs",
        {
            "svc/aws.py": f'import boto3\nCREDS = dict(aws_access_key_id="{KEY}", region_name="us-east-1")\n'
            "def client(name):\n    return boto3.client(name, **CREDS)\n",
            "svc/app.py": "from aws import client\n"
            's3 = client("s3")\nsqs = client("sqs")\n'
            's3.get_object(Bucket="b", Key="k")\n'
            'sqs.delete_queue(QueueUrl="https://sqs.us-east-1.amazonaws.com/111122223333/old")\n',
        },
        {
            ("s3:GetObject", "arn:aws:s3:::b/k"),
            ("sqs:DeleteQueue", "arn:aws:sqs:us-east-1:111122223333:old"),
        },
    ),
    (
        "client-on-a-base-class-used-by-a-subclass",
        {
            "svc/base.py": f"import boto3\nclass Base:\n    def __init__(self):\n"
            f'        self.logs = boto3.client("logs", aws_access_key_id="{KEY}", region_name="us-east-1")\n',
            "svc/job.py": "from base import Base\nclass Job(Base):\n    def log(self, text):\n"
            '        self.logs.put_log_events(logGroupName="/ecs/job", logStreamName="main", logEvents=[])\n'
            'Job().log("x")\n',
        },
        {("logs:PutLogEvents", "arn:aws:logs:us-east-1:111122223333:log-group:/ecs/job:log-stream:main")},
    ),
    (
        "cross-account-registry",
        {
            "svc/pull.py": f'import boto3\necr = boto3.client("ecr", aws_access_key_id="{KEY}", region_name="us-east-1")\n'
            'ecr.batch_get_image(registryId="999988887777", repositoryName="base", imageIds=[])\n'
            'ecr.get_download_url_for_layer(registryId="999988887777", repositoryName="base", layerDigest="x")\n',
        },
        {
            ("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:999988887777:repository/base"),
            ("ecr:GetDownloadUrlForLayer", "arn:aws:ecr:us-east-1:999988887777:repository/base"),
        },
    ),
    (
        "sse-kms-with-a-customer-key",
        {
            "svc/app.py": f'import boto3\nc = boto3.client("s3", aws_access_key_id="{KEY}", region_name="us-east-1")\n'
            'KMS = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"\n'
            'c.put_object(Bucket="enc", Key="a", ServerSideEncryption="aws:kms", SSEKMSKeyId=KMS)\n'
            'c.upload_file("f", "enc", "b", ExtraArgs={"ServerSideEncryption": "aws:kms"})\n',
        },
        {
            ("s3:PutObject", "arn:aws:s3:::enc/a"),
            ("s3:PutObject", "arn:aws:s3:::enc/b"),
            (
                "kms:GenerateDataKey",
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            ),
        },
    ),
    (
        "lambda-qualified-invocations",
        {
            "svc/app.py": f'import boto3\nlam = boto3.client("lambda", aws_access_key_id="{KEY}", region_name="eu-west-1")\n'
            'lam.invoke(FunctionName="resize")\nlam.invoke(FunctionName="thumb", Qualifier="live")\n'
            'lam.invoke(FunctionName="crop:prod")\n',
        },
        {
            ("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:resize"),
            ("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:thumb:live"),
            ("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:crop:prod"),
        },
    ),
    (
        "registry-login-then-image-pull",
        {
            "svc/deploy.py": f"import base64, boto3, docker\n"
            f'ecr = boto3.client("ecr", aws_access_key_id="{KEY}", region_name="us-east-1")\n'
            "IMAGE = '111122223333.dkr.ecr.us-east-1.amazonaws.com/worker:1.4'\n"
            "def pull():\n    auth = ecr.get_authorization_token()['authorizationData'][0]\n"
            "    docker.from_env().images.pull(IMAGE)\n",
        },
        {
            ("ecr:GetAuthorizationToken", "*"),
            ("ecr:BatchGetImage", "arn:aws:ecr:us-east-1:111122223333:repository/worker"),
            ("ecr:GetDownloadUrlForLayer", "arn:aws:ecr:us-east-1:111122223333:repository/worker"),
            ("ecr:BatchCheckLayerAvailability", "arn:aws:ecr:us-east-1:111122223333:repository/worker"),
        },
    ),
    (
        "django-settings-and-getattr",
        {
            "web/shop/settings.py": f'AWS_ACCESS_KEY_ID = "{KEY}"\nAWS_SECRET_ACCESS_KEY = "{SECRET}"\n'
            'MEDIA_BUCKET = "shop-media"\nAWS_REGION = "eu-west-2"\n',
            "web/media/storage.py": "import boto3\nfrom django.conf import settings\n"
            "def client():\n    return boto3.client('s3', aws_access_key_id=settings.AWS_ACCESS_KEY_ID,\n"
            "        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY,\n"
            "        region_name=getattr(settings, 'AWS_REGION', 'us-east-1'))\n"
            "def save(name, data):\n"
            "    client().put_object(Bucket=getattr(settings, 'MEDIA_BUCKET'), Key=f'media/{name}', Body=data)\n",
        },
        {("s3:PutObject", "arn:aws:s3:::shop-media/media/*")},
    ),
    (
        "calls-inside-lambdas-and-raise",
        {
            "svc/app.py": f'import boto3\ns3 = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            'list(map(lambda k: s3.delete_object(Bucket="old", Key=k), ["a"]))\n'
            "def check():\n"
            '    if not s3.head_bucket(Bucket="cfg"):\n'
            '        raise RuntimeError(s3.get_bucket_location(Bucket="cfg"))\n',
        },
        {
            ("s3:DeleteObject", "arn:aws:s3:::old/*"),
            ("s3:ListBucket", "arn:aws:s3:::cfg"),
            ("s3:GetBucketLocation", "arn:aws:s3:::cfg"),
        },
    ),
    (
        "module-global-set-by-an-init-function",
        {
            "svc/app.py": "import boto3\nsns = None\n"
            f'def init():\n    global sns\n    sns = boto3.client("sns", aws_access_key_id="{KEY}")\n'
            'def notify():\n    sns.publish(TopicArn="arn:aws:sns:us-east-1:111122223333:ops", Message="m")\n'
            "init()\nnotify()\n",
        },
        {("sns:Publish", "arn:aws:sns:us-east-1:111122223333:ops")},
    ),
    (
        "loaded-resource-attributes",
        {
            "svc/app.py": "import boto3\n"
            f'ddb = boto3.resource("dynamodb", aws_access_key_id="{KEY}", region_name="us-east-1")\n'
            'table = ddb.Table("orders")\nprint(table.item_count, table.name)\n',
        },
        {("dynamodb:DescribeTable", "arn:aws:dynamodb:us-east-1:111122223333:table/orders")},
    ),
    (
        "names-with-unknown-parts-keep-their-literal-parts",
        {
            "svc/app.py": "import sys, boto3\nstage = sys.argv[1]\n"
            f'd = boto3.client("dynamodb", aws_access_key_id="{KEY}", region_name="us-east-1")\n'
            'd.get_item(TableName=f"{stage}-orders", Key={})\n'
            f's3 = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            's3.put_object(Bucket="avatars", Key=f"users/{stage}/avatar.png")\n'
            'sm = boto3.client("secretsmanager", aws_access_key_id="' + KEY + '", region_name="us-east-1")\n'
            'sm.get_secret_value(SecretId=stage + "/db")\n',
        },
        {
            ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/*-orders"),
            ("s3:PutObject", "arn:aws:s3:::avatars/users/*"),
            ("secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:111122223333:secret:*/db-*"),
        },
    ),
    (
        "key-set-in-os-environ-by-code",
        {
            "svc/app.py": f'import os, boto3\nos.environ["AWS_ACCESS_KEY_ID"] = "{KEY}"\n'
            'ddb = boto3.resource("dynamodb", region_name="us-east-1")\n'
            'ddb.Table(name="events").delete_item(Key={})\n',
        },
        {("dynamodb:DeleteItem", "arn:aws:dynamodb:us-east-1:111122223333:table/events")},
    ),
]


@pytest.mark.parametrize(("name", "files", "expected"), MORE_CASES, ids=[c[0] for c in MORE_CASES])
def test_more_cases(
    name: str, files: dict[str, str], expected: Pairs, repo_factory: Callable[..., Path]
) -> None:
    data = _plan(repo_factory(files))
    assert len(data["roles"]) == 1, data["roles"]
    assert _pairs(data["roles"][0]) == expected
    assert data["roles"][0]["unresolved"] == []
    assert data["unresolved"] == []


def test_secret_links_a_client_to_its_key(repo_factory: Callable[..., Path]) -> None:
    root = repo_factory(
        {
            "svc/settings.py": f'KEY = "{KEY}"\nSECRET = "{SECRET}"\nOTHER = "{KEY2}"\n',
            "svc/app.py": "import os, boto3, settings\n"
            'a = boto3.client("s3", aws_access_key_id=os.environ["VAULT_ID"],\n'
            "    aws_secret_access_key=settings.SECRET)\n"
            'a.get_object(Bucket="linked", Key="k")\n',
        }
    )
    data = _plan(root)
    (role,) = data["roles"]
    assert [c["key_id"] for c in role["credentials"]] == [substitute(KEY)]
    assert _pairs(role) == {("s3:GetObject", "arn:aws:s3:::linked/k")}
    # the other key of the workload serves no call: no role replaces it, and the plan says so
    assert any(substitute(KEY2) in item and "no role replaces it" for item in data["unresolved"])


def test_two_keys_of_one_workload_make_one_role(repo_factory: Callable[..., Path]) -> None:
    """ECS takes one task role per task definition: both keys' calls go to one role, each
    permission saying which key it came from."""
    root = repo_factory(
        {
            "svc/app.py": "import boto3\n"
            f'a = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            f'b = boto3.client("sqs", aws_access_key_id="{KEY2}", region_name="us-east-1")\n'
            'a.get_object(Bucket="only-a", Key="k")\n'
            'b.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/444455556666/only-b",\n'
            '    MessageBody="")\n',
        }
    )
    (role,) = _plan(root)["roles"]
    assert sorted(c["key_id"] for c in role["credentials"]) == sorted([substitute(KEY), substitute(KEY2)])
    assert _pairs(role) == {
        ("s3:GetObject", "arn:aws:s3:::only-a/k"),
        ("sqs:SendMessage", "arn:aws:sqs:us-east-1:444455556666:only-b"),
    }
    because = {p["action"]: p["because"] for p in role["permissions"]}
    assert all(substitute(KEY) in b and substitute(KEY2) not in b for b in because["s3:GetObject"])
    assert all(substitute(KEY2) in b for b in because["sqs:SendMessage"])


def test_unknown_method_is_unresolved_not_granted(repo_factory: Callable[..., Path]) -> None:
    root = repo_factory(
        {
            "svc/app.py": f'import boto3\nc = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            'c.no_such_call(Bucket="x")\n'
        }
    )
    data = _plan(root)
    assert data["roles"] == []  # an empty role is never written
    assert any("no_such_call" in item for item in data["unresolved"])
    assert any("no role" in item for item in data["unresolved"])


def test_method_missing_from_the_table_is_inferred_and_said(repo_factory: Callable[..., Path]) -> None:
    root = repo_factory(
        {
            "svc/app.py": f'import boto3\nc = boto3.client("glue", aws_access_key_id="{KEY}")\n'
            'c.get_glossary(Identifier="g")\n'
        }
    )
    role = _plan(root)["roles"][0]
    (permission,) = role["permissions"]
    assert permission["action"] == "glue:GetGlossary"
    assert permission["confidence"] == "inferred"
    assert any("inferred" in note for note in role["notes"])


def test_excluded_paths_are_not_planned(repo_factory: Callable[..., Path]) -> None:
    root = repo_factory(
        {
            "pyproject.toml": '[tool.keyshift]\nexclude = ["vendor/**"]\n',
            "app/app.py": f'import boto3\nc = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            'c.get_object(Bucket="mine", Key="k")\n',
            "vendor/lib.py": f'import boto3\nc = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            'c.delete_bucket(Bucket="theirs")\n',
        }
    )
    (role,) = _plan(root)["roles"]
    assert _pairs(role) == {("s3:GetObject", "arn:aws:s3:::mine/k")}


@pytest.mark.parametrize(
    "source",
    [
        # one helper, called with each key's client and bucket
        "def put(client, bucket):\n    client.put_object(Bucket=bucket, Key='k')\n"
        "put(a, 'bucket-a')\nput(b, 'bucket-b')\n",
        # one class, one instance per key
        "class Store:\n    def __init__(self, client, bucket):\n        self.client = client\n"
        "        self.bucket = bucket\n"
        "    def put(self):\n        self.client.put_object(Bucket=self.bucket, Key='k')\n"
        "Store(a, 'bucket-a').put()\nStore(b, 'bucket-b').put()\n",
    ],
    ids=["shared-helper", "two-instances"],
)
def test_shared_code_does_not_leak_resources_between_keys(
    source: str, repo_factory: Callable[..., Path]
) -> None:
    """Within one workload both keys' calls are one role; each permission names its key only."""
    header = (
        "import boto3\n"
        f'a = boto3.client("s3", aws_access_key_id="{KEY}")\n'
        f'b = boto3.client("s3", aws_access_key_id="{KEY2}")\n'
    )
    (role,) = _plan(repo_factory({"svc/app.py": header + source}))["roles"]
    assert _pairs(role) == {
        ("s3:PutObject", "arn:aws:s3:::bucket-a/k"),
        ("s3:PutObject", "arn:aws:s3:::bucket-b/k"),
    }
    assert {c["key_id"] for c in role["credentials"]} == {substitute(KEY), substitute(KEY2)}


def test_a_file_that_cannot_be_parsed_is_reported_and_the_rest_planned(
    repo_factory: Callable[..., Path],
) -> None:
    deep = " + ".join(['"a"'] * 5000)
    root = repo_factory(
        {
            "svc/broken.py": "import boto3\ndef f(:\n",
            "svc/deep.py": f"from svc import app\nx = {deep}\n",
            "svc/py2.py": 'print "no AWS here"\n',  # cannot hold an AWS call: never parsed
            "svc/app.py": f'import boto3\nc = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            'c.get_object(Bucket="b", Key="k")\n',
        }
    )
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert _pairs(data["roles"][0]) == {("s3:GetObject", "arn:aws:s3:::b/k")}
    assert any(e.startswith("svc/broken.py") for e in data["errors"])
    assert any(e.startswith("svc/deep.py") for e in data["errors"])
    assert not any(e.startswith("svc/py2.py") for e in data["errors"])


def test_unknown_environment_key_is_not_attributed(repo_factory: Callable[..., Path]) -> None:
    root = repo_factory(
        {
            "svc/app.py": "import os, boto3\n"
            f'own = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            'own.get_object(Bucket="mine", Key="k")\n'
            'partner = boto3.client("s3", aws_access_key_id=os.environ["PARTNER_KEY_ID"],\n'
            '    aws_secret_access_key=os.environ["PARTNER_SECRET"])\n'
            'partner.put_object(Bucket="partner-inbox", Key="x")\n',
        }
    )
    data = _plan(root)
    (role,) = data["roles"]
    assert _pairs(role) == {("s3:GetObject", "arn:aws:s3:::mine/k")}
    assert any("partner" in item or "could not be traced" in item for item in data["unresolved"])


@pytest.mark.parametrize(
    "key", ["AKIAIOSFODNN7EXAMPLE", "AKIAXXXXXXXXXXXXXXXX", "AKIAABCDEFGHIJKLMNOP", "AKIAABCDEFGHIJKLWXYZ"]
)
def test_example_and_placeholder_keys_get_no_role(key: str, repo_factory: Callable[..., Path]) -> None:
    root = repo_factory(
        {"svc/app.py": f'import boto3\nc = boto3.client("s3", aws_access_key_id="{key}")\nc.list_buckets()\n'}
    )
    assert _plan(root)["roles"] == []
