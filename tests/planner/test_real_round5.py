"""Shapes from the fifth round of real repositories (docs/benchmarks.md, "Planner on real
repositories (round 5)"): each case is written fresh, reproduces one shape that was planned
wrong, and checks the CLI result that is right for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

from .plan_helpers import make_repo

KEY = "{{key:111122223333:r5}}"
SECRET = "{{secret:r5}}"
ENV_KEYS = f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n"
CLIENT = (
    'import boto3\ns3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="'
    + KEY
    + '",\n    aws_secret_access_key="'
    + SECRET
    + '")\n'
)


def _plan(root: Path, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout)


def _pairs(data: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(p["action"], r) for role in data["roles"] for p in role["permissions"] for r in p["resources"]}


# ----- a compose service that runs the image another service builds ------------------------------
def test_a_worker_running_the_built_image_brings_its_environment(tmp_path: Path) -> None:
    """``worker`` has no ``build``: it runs ``image: shop``, which ``web`` builds. Its
    environment holds the key the task code reads; it was lost, and the key was "used by no call"."""
    files = {
        "Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nWORKDIR /app\nCMD python app.py\n",
        "docker-compose.yml": "services:\n  web:\n    build: .\n    image: shop\n    command: python app.py\n"
        "  worker:\n    image: shop\n    command: python jobs.py\n    environment:\n"
        f"      - AWS_ACCESS_KEY_ID={KEY}\n      - AWS_SECRET_ACCESS_KEY={SECRET}\n"
        "      - MAIL_FROM=orders@shop.example\n  cache:\n    image: redis:7\n",
        "app.py": "import jobs\nprint('web')\n",
        "jobs.py": "import os\nimport boto3\n\n\ndef notify(to, body):\n"
        '    ses = boto3.client("ses", region_name="eu-west-1",\n'
        '        aws_access_key_id=os.getenv("AWS_ACCESS_KEY_ID"),\n'
        '        aws_secret_access_key=os.getenv("AWS_SECRET_ACCESS_KEY"))\n'
        '    ses.send_email(Source=os.getenv("MAIL_FROM"), Destination={"ToAddresses": [to]},\n'
        '        Message={"Subject": {"Data": "x"}, "Body": {"Text": {"Data": body}}})\n',
    }
    root = make_repo(tmp_path / "shop", files)
    code, data = _plan(root)
    identity = "arn:aws:ses:eu-west-1:111122223333:identity/"
    # SES authorizes the address and its domain, whichever identity is verified
    assert _pairs(data) == {
        ("ses:SendEmail", identity + "orders@shop.example"),
        ("ses:SendEmail", identity + "shop.example"),
    }
    assert len(data["roles"]) == 1
    assert not any("used by no AWS SDK call" in u for u in data["unresolved"])
    assert code == 1  # the compose file's keys are blockers


# ----- a .env inside a build context that is no workload of its own -------------------------------
def test_a_dotenv_in_the_build_context_belongs_to_the_workload_that_builds_it(tmp_path: Path) -> None:
    files = {
        "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY app .\nCMD python main.py\n",
        ".gitignore": ".env\n",
        "app/.env": ENV_KEYS + "AWS_REGION=eu-west-1\n",
        "app/main.py": "import os\nimport boto3\n"
        'ddb = boto3.client("dynamodb", region_name="eu-west-1", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],\n'
        '    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])\n'
        'ddb.put_item(TableName="inbox", Item={})\n',
    }
    root = make_repo(tmp_path / "inbox-service", files)
    _, data = _plan(root)
    assert [role["directory"] for role in data["roles"]] == [""]
    assert data["roles"][0]["name"] == "inbox-service-task-role"
    assert _pairs(data) == {("dynamodb:PutItem", "arn:aws:dynamodb:eu-west-1:111122223333:table/inbox")}


# ----- pydantic settings classes read the environment -------------------------------------------
SETTINGS = [
    (
        "fields-without-defaults-from-the-env-file",
        "class Settings(BaseSettings):\n    aws_region: str\n    records_table: str\n    media_bucket: str\n"
        "    aws_access_key_id: str\n    aws_secret_access_key: str\n\n    class Config:\n        env_file = '.env'\n",
        "AWS_REGION=us-east-1\nRECORDS_TABLE=records\nMEDIA_BUCKET=clinic-media\n",
        "",
    ),
    (
        "env-prefix-and-field-defaults",
        "class Settings(BaseSettings):\n"
        "    model_config = SettingsConfigDict(env_prefix='APP_', env_file='.env')\n"
        "    aws_region: str = 'us-east-1'\n    records_table: str = Field(default='records')\n"
        "    media_bucket: str = 'placeholder-bucket'\n    aws_access_key_id: str = ''\n    aws_secret_access_key: str = ''\n",
        "APP_MEDIA_BUCKET=clinic-media\n",
        "APP_",
    ),
]


@pytest.mark.parametrize(("name", "cls", "env", "prefix"), SETTINGS, ids=[c[0] for c in SETTINGS])
def test_pydantic_settings_fields_come_from_the_environment(
    tmp_path: Path, name: str, cls: str, env: str, prefix: str
) -> None:
    keys = f"{prefix}AWS_ACCESS_KEY_ID={KEY}\n{prefix}AWS_SECRET_ACCESS_KEY={SECRET}\n"
    files = {
        "Dockerfile": "FROM python:3.12-slim\nCOPY . .\nCMD python main.py\n",
        ".gitignore": ".env\n",
        ".env": keys + env,
        "config.py": "from pydantic import Field\nfrom pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
        + cls
        + "\n\nsettings = Settings()\n",
        "main.py": "import boto3\nfrom config import settings\n"
        'ddb = boto3.resource("dynamodb", region_name=settings.aws_region,\n'
        "    aws_access_key_id=settings.aws_access_key_id, aws_secret_access_key=settings.aws_secret_access_key)\n"
        "table = ddb.Table(settings.records_table)\n"
        's3 = boto3.client("s3", aws_access_key_id=settings.aws_access_key_id,\n'
        "    aws_secret_access_key=settings.aws_secret_access_key)\n\n\n"
        "def save(record, upload):\n    table.put_item(Item=record)\n"
        '    s3.upload_fileobj(upload, settings.media_bucket, "exams/" + record["id"])\n\n\n'
        "def listing():\n    return table.scan()\n",
    }
    root = make_repo(tmp_path / name, files)
    _, data = _plan(root)
    table = "arn:aws:dynamodb:us-east-1:111122223333:table/records"
    assert _pairs(data) == {
        ("dynamodb:PutItem", table),
        ("dynamodb:Scan", table),
        ("s3:PutObject", "arn:aws:s3:::clinic-media/exams/*"),
    }
    assert not data["unresolved"] or all("<" not in u for u in data["unresolved"])
    notes = [n for role in data["roles"] for n in role["notes"]]
    assert not any("credentials are read at run time" in n for n in notes)


# ----- a client method handed to a runner -------------------------------------------------------
RUNNERS = [
    (
        "run-in-executor",
        "await asyncio.get_running_loop().run_in_executor(None, s3.upload_file, path, BUCKET, key)",
    ),
    ("to-thread", "await asyncio.to_thread(s3.upload_file, path, BUCKET, key)"),
    ("executor-submit", "pool.submit(s3.upload_file, path, BUCKET, Key=key).result()"),
    (
        "partial-in-executor",
        "await asyncio.get_running_loop().run_in_executor(None, partial(s3.upload_file, path, BUCKET, key))",
    ),
]


@pytest.mark.parametrize(("name", "line"), RUNNERS, ids=[c[0] for c in RUNNERS])
def test_a_client_method_run_in_an_executor_is_a_call(tmp_path: Path, name: str, line: str) -> None:
    files = {
        "worker.py": "import asyncio\nfrom concurrent.futures import ThreadPoolExecutor\nfrom functools import partial\n"
        + CLIENT
        + 'BUCKET = "audio-logs"\npool = ThreadPoolExecutor(2)\n\n\n'
        + "async def store(path, session):\n"
        + '    key = f"logs/{session}.wav"\n    '
        + line
        + "\n",
    }
    root = make_repo(tmp_path / name, files)
    _, data = _plan(root)
    assert _pairs(data) == {("s3:PutObject", "arn:aws:s3:::audio-logs/logs/*")}


# ----- queued tasks take the arguments their callers queue -------------------------------------
def test_queued_tasks_take_the_values_their_callers_send(tmp_path: Path) -> None:
    """A Celery task's ``bucket`` parameter is what ``delay``/``apply_async`` give it, not
    unknown (a ``<BucketName>`` placeholder, exit 1); an RQ ``enqueue`` passes its arguments too."""
    files = {
        "tasks.py": "from celery import Celery\n"
        + CLIENT
        + 'app = Celery("media")\n\n\n@app.task\ndef drop(path, bucket):\n'
        "    s3.delete_object(Bucket=bucket, Key=path)\n\n\n"
        "def archive(key, target):\n    s3.copy_object(Bucket=target, Key=key, CopySource={'Bucket': 'media-in', 'Key': key})\n",
        "signals.py": "from rq import Queue\nfrom tasks import archive, drop\n"
        'INPUT = "media-in"\nq = Queue()\n\n\ndef on_delete(video):\n    drop.delay(video.path, INPUT)\n'
        '    drop.apply_async(args=(video.path, "media-out"))\n    q.enqueue(archive, video.path, "media-archive")\n',
    }
    root = make_repo(tmp_path / "media", files)
    _, data = _plan(root)
    deletes = {r for a, r in _pairs(data) if a == "s3:DeleteObject"}
    assert deletes == {"arn:aws:s3:::media-in/*", "arn:aws:s3:::media-out/*"}
    assert ("s3:PutObject", "arn:aws:s3:::media-archive/*") in _pairs(data)
    assert not any("<BucketName>" in u for role in data["roles"] for u in role["unresolved"])


def test_a_task_nothing_queues_keeps_unknown_arguments(tmp_path: Path) -> None:
    """The other side: a task the repository never queues is called by someone else."""
    files = {
        "tasks.py": "from celery import shared_task\n"
        + CLIENT
        + "\n\n@shared_task\ndef drop(path, bucket):\n    s3.delete_object(Bucket=bucket, Key=path)\n",
    }
    root = make_repo(tmp_path / "tasks", files)
    code, data = _plan(root)
    assert {r for a, r in _pairs(data) if a == "s3:DeleteObject"} == {"arn:aws:s3:::<BucketName>/*"}
    assert code == 1


# ----- tags given to a create call are a tagging action of their own ---------------------------------
def test_tags_on_create_need_their_tagging_action(tmp_path: Path) -> None:
    files = {
        "provision.py": "import boto3\n"
        f'kw = dict(region_name="us-east-1", aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n'
        'ec2 = boto3.resource("ec2", **kw)\nsqs = boto3.client("sqs", **kw)\n\n\n'
        "def launch(order):\n    ec2.create_instances(ImageId=order['ami'], MinCount=1, MaxCount=1,\n"
        "        TagSpecifications=[{'ResourceType': 'instance', 'Tags': [{'Key': 'order', 'Value': order['id']}]}])\n"
        "    sqs.create_queue(QueueName='orders-done', tags={'team': 'ops'})\n"
        "    ec2.create_instances(ImageId=order['ami'], MinCount=1, MaxCount=1)\n",
    }
    root = make_repo(tmp_path / "provision", files)
    _, data = _plan(root)
    perms = {p["action"]: p for role in data["roles"] for p in role["permissions"]}
    assert perms["ec2:CreateTags"]["resources"] == ["arn:aws:ec2:us-east-1:111122223333:*/*"]
    assert perms["ec2:CreateTags"]["condition"] == {"StringEquals": {"ec2:CreateAction": "RunInstances"}}
    assert perms["sqs:TagQueue"]["resources"] == ["arn:aws:sqs:us-east-1:111122223333:orders-done"]
    assert "ec2:RunInstances" in perms and "sqs:CreateQueue" in perms


def test_untagged_creates_get_no_tagging_action(tmp_path: Path) -> None:
    files = {
        "provision.py": "import boto3\n"
        f'ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n'
        "ec2.run_instances(ImageId='ami-1', MinCount=1, MaxCount=1)\n",
    }
    root = make_repo(tmp_path / "plain", files)
    _, data = _plan(root)
    assert {a for a, _ in _pairs(data)} == {"ec2:RunInstances"}


# ----- Kubernetes manifests set the environment of the workload they name --------------------------
BOT = 'import boto3\nsqs = boto3.resource("sqs", region_name="eu-west-1")\nsqs.get_queue_by_name(QueueName="jobs").send_message(MessageBody="x")\n'
WORKER = (
    'import boto3\nsqs = boto3.resource("sqs", region_name="eu-west-1")\nq = sqs.get_queue_by_name(QueueName="jobs")\n'
    "for m in q.receive_messages():\n    m.delete()\n"
)


def _deployment(name: str, image: str) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: "
        + name
        + "\n          image: "
        + image
        + "\n          env:\n"
        f"            - name: AWS_ACCESS_KEY_ID\n              value: {KEY}\n"
        f"            - name: AWS_SECRET_ACCESS_KEY\n              value: {SECRET}\n"
    )


def test_kubernetes_env_reaches_the_workload_it_names(tmp_path: Path) -> None:
    """Two Dockerfiles and templated manifests (``{{APP_ENV}}``, ``{{WORKER_IMAGE}}``) that set the
    key for containers named after them: each workload's default-chain calls use it (it was
    "nothing to plan", exit 0), with EKS roles and the manifests' settings as blockers."""
    files = {
        "services/bot/Dockerfile": "FROM python:3.12-slim\nCOPY . .\nCMD python app.py\n",
        "services/bot/app.py": BOT,
        "services/worker/Dockerfile": "FROM python:3.12-slim\nCOPY . .\nCMD python app.py\n",
        "services/worker/app.py": WORKER,
        "infra/k8s/bot.yaml": _deployment("bot-app-{{APP_ENV}}", "{{BOT_IMAGE}}"),
        "infra/k8s/worker.yaml": "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n---\n"
        + _deployment("worker-{{APP_ENV}}", "{{WORKER_IMAGE}}"),
    }
    root = make_repo(tmp_path / "bots", files)
    code, data = _plan(root)
    queue = "arn:aws:sqs:eu-west-1:111122223333:jobs"
    roles = {role["directory"]: role for role in data["roles"]}
    assert set(roles) == {"services/bot", "services/worker"}
    assert {(p["action"], r) for p in roles["services/bot"]["permissions"] for r in p["resources"]} == {
        ("sqs:GetQueueUrl", queue),
        ("sqs:SendMessage", queue),
    }
    worker = {p["action"] for p in roles["services/worker"]["permissions"]}
    assert worker == {"sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:DeleteMessage"}
    assert all(role["target"] == "eks" for role in data["roles"])
    blockers = {b["path"] for role in data["roles"] for b in role["blockers"]}
    assert blockers == {"infra/k8s/bot.yaml", "infra/k8s/worker.yaml"}
    assert code == 1


def test_kubernetes_env_reaches_code_no_dockerfile_here_builds(tmp_path: Path) -> None:
    """No Dockerfile (the image is built elsewhere): the manifest's key reaches the repository's
    only workload, the code at its root."""
    files = {
        "app.py": 'import boto3\ns3 = boto3.client("s3", region_name="us-east-1")\n'
        's3.put_object(Bucket="reports-out", Key="daily.csv", Body=b"x")\n',
        "k8s/deploy.yaml": _deployment("reporter", "registry.example/reporter:1"),
    }
    root = make_repo(tmp_path / "reporter", files)
    _, data = _plan(root)
    assert _pairs(data) == {("s3:PutObject", "arn:aws:s3:::reports-out/daily.csv")}
    assert [role["target"] for role in data["roles"]] == ["eks"]


def test_a_key_no_workload_holds_is_never_nothing_to_plan(tmp_path: Path) -> None:
    """A manifest whose names match none of the workloads: no workload claims the key, and the
    plan says so (it said "nothing to plan", exit 0)."""
    files = {
        "services/bot/Dockerfile": "FROM python:3.12-slim\nCOPY . .\nCMD python app.py\n",
        "services/bot/app.py": BOT,
        "services/worker/Dockerfile": "FROM python:3.12-slim\nCOPY . .\nCMD python app.py\n",
        "services/worker/app.py": WORKER,
        "infra/k8s/gateway.yaml": _deployment("gateway", "registry.example/edge:1"),
    }
    root = make_repo(tmp_path / "bots", files)
    code, data = _plan(root)
    assert code == 1
    assert not data["roles"]
    assert any("belongs to no workload" in u and "infra/k8s/gateway.yaml" in u for u in data["unresolved"])


# ----- settings files read at run time ---------------------------------------------------------------
CONFIG_READS = [
    (
        "json-load-of-the-container-path",
        "common/config.json",
        '{"aws_region": "eu-west-1", "bucket": "video-drops", "queue": "bot-jobs"}',
        "import json\nwith open('/app/common/config.json') as f:\n    config = json.load(f)\n",
    ),
    (
        "yaml-safe-load-beside-the-module",
        "svc/settings.yaml",
        "aws_region: eu-west-1\nbucket: video-drops\nqueue: bot-jobs\n",
        "import yaml\nconfig = yaml.safe_load(open('settings.yaml'))\n",
    ),
]


@pytest.mark.parametrize(
    ("name", "where", "content", "reader"), CONFIG_READS, ids=[c[0] for c in CONFIG_READS]
)
def test_names_read_from_a_settings_file_of_the_repository(
    tmp_path: Path, name: str, where: str, content: str, reader: str
) -> None:
    files = {
        where: content,
        "svc/worker.py": reader
        + "import boto3\n"
        + f'kw = dict(region_name=config["aws_region"], aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n'
        + 'queue = boto3.resource("sqs", **kw).get_queue_by_name(QueueName=config.get("queue"))\n'
        + 's3 = boto3.client("s3", **kw)\n\n\ndef store(path):\n'
        + '    s3.upload_file(path, config.get("bucket"), path)\n    queue.send_message(MessageBody=path)\n',
    }
    root = make_repo(tmp_path / name, files)
    _, data = _plan(root)
    queue = "arn:aws:sqs:eu-west-1:111122223333:bot-jobs"
    assert _pairs(data) == {
        ("sqs:GetQueueUrl", queue),
        ("sqs:SendMessage", queue),
        ("s3:PutObject", "arn:aws:s3:::video-drops/*"),
    }


def test_a_settings_file_behind_a_symlink_is_not_read(tmp_path: Path) -> None:
    """A symlinked config (to a file outside the repository) is never followed: its names are
    not used, and the grant falls back to what the code alone says."""
    outside = tmp_path / "outside.json"
    outside.write_text('{"bucket": "somebody-elses-bucket"}')
    files = {
        "worker.py": "import json\nimport boto3\nconfig = json.load(open('conf/config.json'))\n"
        + f's3 = boto3.client("s3", aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n'
        + 's3.get_object(Bucket=config["bucket"], Key="a")\n',
    }
    root = make_repo(tmp_path / "linked", files)
    (root / "conf").mkdir()
    (root / "conf" / "config.json").symlink_to(outside)
    _, data = _plan(root)
    assert not any("somebody-elses-bucket" in r for _, r in _pairs(data))
    assert {a for a, _ in _pairs(data)} == {"s3:GetObject"}
