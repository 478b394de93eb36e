"""Shapes from the fourth round of real repositories (docs/benchmarks.md, "Planner on real
repositories (round 4)"): each case is written fresh and reproduces one shape that was planned
wrong, and the CLI result that is right for it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

from .plan_helpers import make_repo

KEY = "{{key:111122223333:r4}}"
SECRET = "{{secret:r4}}"


def _plan(root: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout)


def _pairs(data: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(p["action"], r) for role in data["roles"] for p in role["permissions"] for r in p["resources"]}


# ----- keys in the local settings files git ignores ---------------------------------------------
IGNORED = [
    (
        "dotenv-read-by-load-dotenv",
        {
            ".gitignore": ".env\n__pycache__/\n",
            ".env": f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\nAWS_REGION=eu-west-1\n",
            "app/store.py": "import os, boto3\nfrom dotenv import load_dotenv\nload_dotenv()\n"
            's3 = boto3.client("s3", aws_access_key_id=os.getenv("AWS_ACCESS_KEY_ID"),\n'
            '    aws_secret_access_key=os.getenv("AWS_SECRET_ACCESS_KEY"), region_name=os.getenv("AWS_REGION"))\n'
            'def fetch(name):\n    return s3.get_object(Bucket="ledger-files", Key=name)\n',
        },
        {("s3:GetObject", "arn:aws:s3:::ledger-files/*")},
    ),
    (
        "local-settings-module",
        {
            ".gitignore": "conf/local.py\n",
            "conf/__init__.py": "",
            "conf/base.py": 'import os\nAWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "")\n'
            'AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "")\n',
            "conf/local.py": f'from .base import *  # noqa\nAWS_ACCESS_KEY_ID = "{KEY}"\n'
            f'AWS_SECRET_ACCESS_KEY = "{SECRET}"\n',
            "push.py": "import boto3\nimport conf.local as settings\n"
            'ddb = boto3.resource("dynamodb", region_name="ap-southeast-2",\n'
            "    aws_access_key_id=settings.AWS_ACCESS_KEY_ID, aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY)\n"
            'ddb.Table("quotes").put_item(Item={"id": "1"})\n',
        },
        {("dynamodb:PutItem", "arn:aws:dynamodb:ap-southeast-2:111122223333:table/quotes")},
    ),
]


@pytest.mark.parametrize(("name", "files", "expected"), IGNORED, ids=[c[0] for c in IGNORED])
def test_keys_in_ignored_local_settings_are_planned(
    tmp_path: Path, name: str, files: dict[str, str], expected: set[tuple[str, str]]
) -> None:
    root = make_repo(tmp_path / name, files)
    _, data = _plan(root)
    assert expected <= _pairs(data)
    assert data["roles"], "the key in the ignored file must get a role"


# ----- LangChain's Bedrock models make their own bedrock-runtime client ---------------------------
MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
FM = "arn:aws:bedrock:us-east-1::foundation-model"
BEDROCK = [
    (
        "chat-model-on-the-default-chain",
        {
            ".env": f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\nAWS_DEFAULT_REGION=us-east-1\n",
            "bot/agent.py": f'from langchain_aws import ChatBedrock\nMODEL_ID = "{MODEL}"\n'
            "llm = ChatBedrock(model_id=MODEL_ID, model_kwargs={'max_tokens': 300})\n"
            "def answer(q):\n    return llm.invoke(q).content\n",
        },
        {("bedrock:InvokeModel", f"{FM}/{MODEL}")},
    ),
    (
        "streaming-chat-model-with-the-key-given",
        {
            "chat.py": "from langchain_aws.chat_models import ChatBedrock\n"
            f'llm = ChatBedrock(model_id="{MODEL}", region_name="us-east-1", streaming=True,\n'
            f'    aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n',
        },
        {
            ("bedrock:InvokeModel", f"{FM}/{MODEL}"),
            ("bedrock:InvokeModelWithResponseStream", f"{FM}/{MODEL}"),
        },
    ),
    (
        "embeddings-default-model-through-a-client",
        {
            "embed.py": "import boto3\nfrom langchain_community.embeddings import BedrockEmbeddings\n"
            f'rt = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="{KEY}",\n'
            f'    aws_secret_access_key="{SECRET}")\n'
            "emb = BedrockEmbeddings(client=rt)\n",
        },
        {("bedrock:InvokeModel", f"{FM}/amazon.titan-embed-text-v1")},
    ),
    (
        "invoke-model-names-the-foundation-model",
        {
            "run.py": "import boto3\n"
            f'rt = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="{KEY}",\n'
            f'    aws_secret_access_key="{SECRET}")\n'
            f'rt.converse(modelId="{MODEL}", messages=[])\n',
        },
        {("bedrock:InvokeModel", f"{FM}/{MODEL}")},
    ),
    (
        "cross-region-profile-grants-profile-and-routed-models",
        {
            "run.py": "import boto3\n"
            f'rt = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="{KEY}",\n'
            f'    aws_secret_access_key="{SECRET}")\n'
            f'rt.invoke_model(modelId="us.{MODEL}", body="{{}}")\n',
        },
        # the profile in the caller's region, and the model in every region the profile routes to
        {
            ("bedrock:InvokeModel", f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.{MODEL}"),
            ("bedrock:InvokeModel", f"arn:aws:bedrock:*::foundation-model/{MODEL}"),
        },
    ),
]


@pytest.mark.parametrize(("name", "files", "expected"), BEDROCK, ids=[c[0] for c in BEDROCK])
def test_bedrock_models(
    tmp_path: Path, name: str, files: dict[str, str], expected: set[tuple[str, str]]
) -> None:
    root = make_repo(tmp_path / name, files)
    _, data = _plan(root)
    assert _pairs(data) == expected


# ----- values through mutually recursive helpers ------------------------------------------------
def test_mutual_recursion_keeps_the_callers_values(tmp_path: Path) -> None:
    """``is_active`` calls ``create``, which calls ``is_active`` again: the stream name both take
    is the one their callers pass, not unknown (it was granted on ``*``)."""
    files = {
        "streams/__init__.py": "",
        "streams/client.py": 'import boto3\nkin = boto3.client("kinesis", region_name="us-east-1",\n'
        f'    aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n',
        "streams/helpers.py": "import time\nfrom streams.client import kin\n\n\n"
        "def is_active(name):\n    try:\n        info = kin.describe_stream(StreamName=name)\n"
        '        return info["StreamDescription"]["StreamStatus"] == "ACTIVE"\n'
        "    except kin.exceptions.ResourceNotFoundException:\n        return create(name)\n\n\n"
        "def create(name):\n    try:\n        kin.create_stream(StreamName=name, ShardCount=1)\n"
        "    except kin.exceptions.ResourceInUseException:\n        time.sleep(1)\n    return is_active(name)\n",
        "streams/producer.py": "from streams.client import kin\nfrom streams.helpers import create, is_active\n\n\n"
        "class Producer:\n    def __init__(self, base):\n        self.out = base + '.events'\n"
        "        if not is_active(self.out):\n            create(self.out)\n\n"
        "    def send(self, data):\n        kin.put_record(StreamName=self.out, Data=data, PartitionKey='k')\n",
    }
    root = make_repo(tmp_path / "streams", files)
    _, data = _plan(root)
    arn = "arn:aws:kinesis:us-east-1:111122223333:stream/*.events"
    assert _pairs(data) == {
        ("kinesis:DescribeStream", arn),
        ("kinesis:CreateStream", arn),
        ("kinesis:PutRecord", arn),
    }


def test_a_helper_called_only_from_an_uncalled_function_still_gets_unknown(tmp_path: Path) -> None:
    """The other side: a function nothing in the repository calls passes its parameter on as
    unknown, so the helper is not granted only the literal another caller passes."""
    files = {
        "lib.py": 'import boto3\nkin = boto3.client("kinesis", region_name="us-east-1",\n'
        f'    aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n\n\n'
        "def put(stream, data):\n    kin.put_record(StreamName=stream, Data=data, PartitionKey='k')\n\n\n"
        "def publish_all(stream_name, items):\n    for item in items:\n        put(stream_name, item)\n\n\n"
        "def heartbeat():\n    put('health', b'ok')\n",
        "main.py": "from lib import heartbeat\nheartbeat()\n",
    }
    root = make_repo(tmp_path / "lib", files)
    _, data = _plan(root)
    resources = {r for action, r in _pairs(data) if action == "kinesis:PutRecord"}
    assert "arn:aws:kinesis:us-east-1:111122223333:stream/health" in resources
    assert resources != {"arn:aws:kinesis:us-east-1:111122223333:stream/health"}


# ----- placeholders name the value that is missing -----------------------------------------------
PLACEHOLDERS = [
    (
        "django-setting-no-file-sets",
        {
            "site/__init__.py": "",
            "site/settings.py": "import os\n"
            'AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID", "' + KEY + '")\n'
            'AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY", "' + SECRET + '")\n'
            'AWS_REGION = "us-east-1"\n',
            "manage.py": "import os\n",
            "files/storage.py": "import boto3\nfrom django.conf import settings\n"
            's3 = boto3.client("s3", region_name=settings.AWS_REGION,\n'
            "    aws_access_key_id=settings.AWS_ACCESS_KEY_ID, aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY)\n"
            "def upload(fh, key):\n    s3.upload_fileobj(fh, settings.MEDIA_BUCKET, key)\n"
            "def archive(key, body):\n    s3.put_object(Bucket=settings.ARCHIVE_BUCKET, Key=key, Body=body)\n",
        },
        {
            ("s3:PutObject", "arn:aws:s3:::<MEDIA_BUCKET>/*"),
            ("s3:PutObject", "arn:aws:s3:::<ARCHIVE_BUCKET>/*"),
        },
        {"MEDIA_BUCKET", "ARCHIVE_BUCKET"},
    ),
    (
        "config-file-the-analysis-cannot-read",
        {
            ".gitignore": ".config.yml\n",
            ".config.yml": f"AWS_ACCESS: {KEY}\nAWS_SECRET: {SECRET}\nSOURCE_BUCKET: mock-data\n",
            "load.py": "import boto3, yaml\n\n\ndef read_config(path):\n    with open(path) as fh:\n"
            "        return yaml.safe_load(fh)\n\n\nconfig = read_config('.config.yml')\n"
            "s3 = boto3.client('s3', aws_access_key_id=config['AWS_ACCESS'],\n"
            "    aws_secret_access_key=config['AWS_SECRET'])\n"
            "s3.upload_file('data/a.csv', config['SOURCE_BUCKET'], 'data/a.csv')\n",
        },
        {("s3:PutObject", "arn:aws:s3:::<SOURCE_BUCKET>/data/a.csv")},
        {"SOURCE_BUCKET"},
    ),
    (
        "topic-arn-from-the-environment-is-the-whole-resource",
        {
            "notify.py": "import os, boto3\n"
            f'sns = boto3.client("sns", region_name="us-east-1", aws_access_key_id="{KEY}",\n'
            f'    aws_secret_access_key="{SECRET}")\n'
            'sns.publish(TopicArn=os.environ["ALERTS_TOPIC_ARN"], Message="hi")\n',
        },
        {("sns:Publish", "<ALERTS_TOPIC_ARN>")},
        {"ALERTS_TOPIC_ARN"},
    ),
]


@pytest.mark.parametrize(
    ("name", "files", "expected", "named"), PLACEHOLDERS, ids=[c[0] for c in PLACEHOLDERS]
)
def test_placeholders_name_the_missing_value(
    tmp_path: Path, name: str, files: dict[str, str], expected: set[tuple[str, str]], named: set[str]
) -> None:
    root = make_repo(tmp_path / name, files)
    code, data = _plan(root)
    assert code == 1
    assert expected <= _pairs(data)
    text = " ".join(item for role in data["roles"] for item in role["unresolved"])
    for value in named:
        assert f"replace <{value}>" in text


# ----- Athena DDL and result locations the code builds ------------------------------------------
GLUE = "arn:aws:glue:us-east-1:111122223333"


def test_athena_ddl_percent_formatted_and_unknown_result_bucket(tmp_path: Path) -> None:
    """``"CREATE DATABASE IF NOT EXISTS %s" % name`` is formatted with its literal argument and
    needs ``glue:CreateDatabase``; ``CREATE EXTERNAL TABLE`` needs ``glue:CreateTable``; a result
    location whose bucket is built at run time is still written to (placeholder, exit 1)."""
    files = {
        "queries.py": "import os, boto3\n"
        f'ath = boto3.client("athena", region_name="us-east-1", aws_access_key_id="{KEY}",\n'
        f'    aws_secret_access_key="{SECRET}")\n\n\n'
        "def run(query, database, output):\n"
        "    return ath.start_query_execution(QueryString=query,\n"
        "        QueryExecutionContext={'Database': database}, ResultConfiguration={'OutputLocation': output})\n\n\n"
        "def main():\n    bucket = os.environ['RESULTS_BUCKET']\n    out = f's3://{bucket}/results/'\n"
        "    run('CREATE DATABASE IF NOT EXISTS %s;' % ('sales',), 'sales', out)\n"
        "    run('CREATE EXTERNAL TABLE IF NOT EXISTS `%s` (id bigint) LOCATION \\'%s\\'' % ('orders', out),"
        " 'sales', out)\n"
        "    run('SELECT id FROM %s.%s' % ('sales', 'orders'), 'sales', out)\n\n\nmain()\n",
    }
    root = make_repo(tmp_path / "athena", files)
    code, data = _plan(root)
    pairs = _pairs(data)
    assert code == 1
    assert {
        ("glue:CreateDatabase", f"{GLUE}:database/sales"),
        ("glue:CreateTable", f"{GLUE}:table/sales/orders"),
        ("glue:GetTable", f"{GLUE}:table/sales/orders"),
    } <= pairs
    assert {action for action, _ in pairs} >= {"s3:PutObject", "s3:GetBucketLocation"}
    assert not any(action == "s3:PutObject" and r == "*" for action, r in pairs)


@pytest.mark.parametrize(
    ("template", "right", "expected"),
    [
        ("%s/%s", ("a", "b"), "Const:a/b"),
        ("x-%d-%s", ("1", None), "Prefix:x-1-"),
        ("100%% %s", ("done",), "Const:100% done"),
        ("%(name)s!", ("n",), "Glob:*!"),
    ],
)
def test_percent_formatting(template: str, right: tuple[str | None, ...], expected: str) -> None:
    from keyshift.planner.strings import binop
    from keyshift.planner.values import Const, TupleV

    items = tuple(frozenset({Const(v)}) if v is not None else frozenset() for v in right)
    out = binop(ast.Mod(), frozenset({Const(template)}), frozenset({TupleV(items)}))
    (value,) = out
    text = value.value if hasattr(value, "value") else value.pattern  # type: ignore[attr-defined]
    assert f"{type(value).__name__}:{text}" == expected


# ----- a key serialized into a third party's request ---------------------------------------------
def test_key_serialized_with_json_dumps_is_used_outside_aws(tmp_path: Path) -> None:
    """An image service that stores to S3 with the app's key gets it inside ``json.dumps``: the
    task role cannot replace that use, so the plan says so and exits 1."""
    files = {
        "settings.py": f'class Config:\n    AWS_ACCESS_KEY_ID = "{KEY}"\n    AWS_SECRET_ACCESS_KEY = "{SECRET}"\n'
        '    AWS_BUCKET = "product-images"\n',
        "images.py": "import json, boto3, requests\nfrom settings import Config\n"
        's3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id=Config.AWS_ACCESS_KEY_ID,\n'
        "    aws_secret_access_key=Config.AWS_SECRET_ACCESS_KEY)\n\n\n"
        "def resize(image):\n    params = {'s3_store': {'key': Config.AWS_ACCESS_KEY_ID,\n"
        "        'secret': Config.AWS_SECRET_ACCESS_KEY, 'bucket': Config.AWS_BUCKET}}\n"
        "    return requests.post('https://images.example.invalid/upload', files={'file': image},\n"
        "        data={'data': json.dumps(params)})\n\n\n"
        "def drop(key):\n    s3.delete_object(Bucket=Config.AWS_BUCKET, Key=key)\n",
    }
    root = make_repo(tmp_path / "images", files)
    code, data = _plan(root)
    assert code == 1
    assert ("s3:DeleteObject", "arn:aws:s3:::product-images/*") in _pairs(data)
    text = json.dumps(data)
    assert "requests.post" in text and "used outside AWS" in text


def test_migrate_lists_the_key_of_an_ignored_dotenv(tmp_path: Path) -> None:
    """``migrate`` scans the ignored local settings files too: its key table and its plan agree
    (it said "no hardcoded AWS key found" while the plan wrote a role)."""
    files = IGNORED[0][1]
    root = make_repo(tmp_path / "svc", files)
    out = tmp_path / "review"
    result = CliRunner().invoke(app, ["migrate", str(root), "--out-dir", str(out), "--no-history"])
    assert result.exit_code == 1, result.output
    data = json.loads((out / "migration.json").read_text(encoding="utf-8"))
    text = json.dumps(data)
    assert "svc-task-role" in text
    assert "no hardcoded AWS key found" not in result.output


def test_ignored_local_files_are_settings_only(tmp_path: Path) -> None:
    """What ``ignored_local_files`` lists: ignored settings files, never dependency or build
    folders, logs, symlinks or files over the size limit."""
    from keyshift.sources.worktree import LOCAL_MAX_BYTES, ignored_local_files

    files = {
        ".gitignore": ".env\n*.log\nlocal_settings.py\nbuild/\nvenv/\nbig.yml\nlink.env\nsub/\n",
        "app.py": "print('hi')\n",
    }
    root = make_repo(tmp_path / "repo", files)
    (root / ".env").write_text("A=1\n")
    (root / "local_settings.py").write_text("B = 2\n")
    (root / "server.log").write_text("log\n")
    (root / "big.yml").write_text("x" * (LOCAL_MAX_BYTES + 1))
    for folder in ("build", "venv/lib", "sub"):
        (root / folder).mkdir(parents=True)
        (root / folder / "settings.py").write_text("C = 3\n")
    (root / "link.env").symlink_to(root / ".env")
    assert ignored_local_files(root) == [".env", "local_settings.py"]


def test_key_code_no_entry_point_reaches_is_not_silent(tmp_path: Path) -> None:
    """The entry point (Dockerfile CMD) does not import the module that uses the key: its calls
    are not granted, but the plan says so and exits 1 (it said "nothing to plan", exit 0)."""
    files = {
        "Dockerfile": 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nCMD ["python", "server.py"]\n',
        "server.py": "from http.server import HTTPServer, BaseHTTPRequestHandler\n"
        "HTTPServer(('', 8000), BaseHTTPRequestHandler).serve_forever()\n",
        "speech.py": "import boto3\n"
        f'polly = boto3.client("polly", region_name="us-east-1", aws_access_key_id="{KEY}",\n'
        f'    aws_secret_access_key="{SECRET}")\n\n\n'
        "def say(text):\n    return polly.synthesize_speech(Text=text, OutputFormat='mp3', VoiceId='Joanna')\n",
    }
    root = make_repo(tmp_path / "svc", files)
    code, data = _plan(root)
    assert code == 1
    assert any("speech.py" in item and "no entry point" in item for item in data["unresolved"])
    assert not any("used by no AWS SDK call" in item for item in data["unresolved"])


def test_text_output_never_says_nothing_to_plan_with_open_items(tmp_path: Path) -> None:
    files = {
        "Dockerfile": 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . /app\nCMD ["python", "main.py"]\n',
        "main.py": "print('up')\n",
        "jobs/export.py": "import boto3\n"
        f's3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{KEY}",\n'
        f'    aws_secret_access_key="{SECRET}")\n'
        "s3.put_object(Bucket='exports', Key='a.csv', Body=b'')\n",
    }
    root = make_repo(tmp_path / "svc", files)
    result = CliRunner().invoke(app, ["plan", str(root), "--no-color"])
    assert result.exit_code == 1
    assert "nothing to plan" not in result.stdout
    assert "jobs/export.py" in result.stdout
