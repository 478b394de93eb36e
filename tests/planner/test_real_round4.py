"""Shapes from the fourth round of real repositories (docs/benchmarks.md, "Planner on real
repositories (round 4)"): each case is written fresh and reproduces one shape that was planned
wrong, and the CLI result that is right for it."""

from __future__ import annotations

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
