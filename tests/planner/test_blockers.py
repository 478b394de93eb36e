"""Deployment settings that override the task role are listed under the role whose key they hold.

A key ID names its key; a secret or session token belongs to the key the scanner pairs it with
(or the one key ID its file sets); a setting that names no key (``${AWS_ACCESS_KEY_ID}``)
blocks every role of the service and is listed once, as service-wide.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from keyshift.cli import app

from .plan_helpers import key_for

READER = "{{key:111122223333:reader}}"
WRITER = "{{key:111122223333:writer}}"

FILES = {
    "svc/app.py": "import boto3\n"
    f'READER_ID = "{READER}"\n'
    'READER_SECRET = "{{secret:reader}}"\n'
    'reader = boto3.client("s3", aws_access_key_id=READER_ID, aws_secret_access_key=READER_SECRET, '
    'region_name="us-east-1")\n'
    'writer = boto3.client("sqs", region_name="us-east-1")\n'
    "def run():\n"
    '    reader.get_object(Bucket="in-bucket", Key="a.txt")\n'
    '    writer.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/111122223333/out", MessageBody="x")\n',
    "svc/.env": f"AWS_ACCESS_KEY_ID={WRITER}\nAWS_SECRET_ACCESS_KEY={{{{secret:writer}}}}\n",
    "svc/docker-compose.yml": "services:\n  svc:\n    build: .\n    environment:\n"
    "      AWS_SESSION_TOKEN: ${AWS_SESSION_TOKEN}\n",
    "svc/ecs/task-definition.json": json.dumps(
        {
            "family": "svc",
            "containerDefinitions": [
                {
                    "name": "svc",
                    "environment": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "{{secret:reader}}"}],
                }
            ],
        },
        indent=2,
    ),
}


def _invoke(args: list[str]) -> str:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_blocker_under_the_one_role_with_the_key_it_holds(repo_factory: Callable[..., Path]) -> None:
    root = repo_factory(FILES)
    data = json.loads(_invoke(["plan", str(root), "--format", "json", "--exit-zero"]))
    reader, writer = key_for("111122223333", "reader"), key_for("111122223333", "writer")
    (role,) = data["roles"]  # one task definition family, one task role
    assert {c["key_id"] for c in role["credentials"]} == {reader, writer}
    assert {(b["path"], b["name"], b["key_id"]) for b in role["blockers"]} == {
        ("svc/.env", "AWS_ACCESS_KEY_ID", writer),
        ("svc/.env", "AWS_SECRET_ACCESS_KEY", writer),
        # a secret alone in the task definition: the scanner pairs it with the reader's key ID
        ("svc/ecs/task-definition.json", "AWS_SECRET_ACCESS_KEY", reader),
        ("svc/docker-compose.yml", "AWS_SESSION_TOKEN", None),
    }


def test_text_lists_each_blocker_once(repo_factory: Callable[..., Path]) -> None:
    root = repo_factory(FILES)
    text = _invoke(["plan", str(root), "--exit-zero"])
    blocker_lines = [line for line in text.splitlines() if "BLOCKER" in line]
    assert len(blocker_lines) == len(set(blocker_lines)) == 4, text
    from keyshift.cwdpath import shown

    # named from the current directory, as every text output does (absolute outside it)
    assert any(f"(names no key) {shown('svc/docker-compose.yml', root)}:" in line for line in blocker_lines)


def test_repository_level_env_blocks_the_service_that_uses_its_key(repo_factory: Callable[..., Path]) -> None:
    root = repo_factory(
        {
            ".env": f"AWS_ACCESS_KEY_ID={WRITER}\nAWS_SECRET_ACCESS_KEY={{{{secret:writer}}}}\n",
            "api/Dockerfile": "FROM python:3.12\nENV AWS_REGION=us-east-1\n",
            "api/app.py": 'import boto3\nboto3.client("sns").publish(TopicArn="arn:aws:sns:us-east-1:111122223333:t", '
            'Message="x")\n',
        }
    )
    data = json.loads(_invoke(["plan", str(root), "--format", "json", "--exit-zero"]))
    [role] = [r for r in data["roles"] if r["permissions"]]
    writer = key_for("111122223333", "writer")
    assert role["credentials"][0]["key_id"] == writer
    assert {(b["path"], b["name"], b["key_id"]) for b in role["blockers"]} == {
        (".env", "AWS_ACCESS_KEY_ID", writer),
        (".env", "AWS_SECRET_ACCESS_KEY", writer),
    }


def test_role_report_marks_service_wide_blockers(repo_factory: Callable[..., Path], tmp_path: Path) -> None:
    root = repo_factory(FILES)
    out = tmp_path / "out"
    _invoke(["plan", str(root), "--out", str(out), "--exit-zero"])
    reports = sorted(out.glob("*/report.md"))
    assert len(reports) == 1
    for report in reports:
        lines = [
            line for line in report.read_text(encoding="utf-8").splitlines() if "docker-compose.yml" in line
        ]
        assert len(lines) == 1 and "(names no key" in lines[0], report
