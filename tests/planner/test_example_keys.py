"""Documentation example keys and placeholders are negatives for the plan as for the scan.

The planner reads key IDs from file text itself (a key's places, keys in calls); each of those
must be rejected by the scan's own rule, so no role, no "used by no AWS SDK call" and no "used
outside AWS" item ever names AWS's documentation keys or filler shaped like a key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.detect.suppress import key_id_placeholder
from keyshift.planner.keys import placeholder_key

from .plan_helpers import substitute

KEY = "{{key:111122223333:examples}}"
NEGATIVES = ["AKIAIOSFODNN7EXAMPLE", "AKIAEXAMPLEPBUMBC3GA", "AKIAXXXXXXXXXXXXXXXX", "AKIAABCDEFGHIJKLWXYZ"]


def _plan(root: Path) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json"])
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _everything(data: dict) -> str:  # type: ignore[type-arg]
    return json.dumps(data)


@pytest.mark.parametrize("key", NEGATIVES)
def test_the_planner_rejects_what_the_scan_rejects(key: str) -> None:
    assert placeholder_key(key) == (key_id_placeholder(key) is not None) is True


@pytest.mark.parametrize("key", NEGATIVES)
def test_an_example_key_passed_outside_aws_is_not_reported(
    key: str, repo_factory: Callable[..., Path]
) -> None:
    code = (
        f'import boto3, json\ns3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{KEY}")\n'
        's3.get_object(Bucket="b", Key="k")\n'
        f'print(json.dumps({{"AccessKeyId": "{key}"}}))\n'
    )
    data = _plan(repo_factory({"svc/app.py": code}))
    assert [r["name"] for r in data["roles"]], data
    assert key not in _everything(data)
    assert not any("used outside AWS" in u for r in data["roles"] for u in r["unresolved"])


@pytest.mark.parametrize("key", NEGATIVES)
def test_an_example_key_in_a_library_beside_the_workload_is_not_named(
    key: str, repo_factory: Callable[..., Path]
) -> None:
    root = repo_factory(
        {
            "svc/Dockerfile": 'FROM python:3.12\nCOPY app.py .\nCMD ["python", "app.py"]\n',
            "svc/app.py": f'import boto3\ns3 = boto3.client("s3", aws_access_key_id="{KEY}")\n'
            's3.get_object(Bucket="b", Key="k")\n',
            "vendor/stub.py": f'import boto3\nCREDS = {{"AccessKeyId": "{key}"}}\n'
            "def client():\n    return boto3.client('sts', aws_access_key_id=CREDS['AccessKeyId'])\n",
        }
    )
    data = _plan(root)
    assert key not in _everything(data), data
    assert substitute(KEY) in _everything(data)
