"""The planner reads only files that can take part in an AWS call; none of those is missed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

KEY = "{{key:111122223333:a}}"
CLIENT = f'import boto3\ns3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{KEY}")\n'

CASES: list[tuple[str, dict[str, str], set[tuple[str, str]]]] = [
    (
        "caller-of-a-module-that-imports-boto3",
        {
            "svc/aws.py": CLIENT,
            "svc/jobs.py": "from svc import aws\n\ndef run():\n    aws.s3.get_object(Bucket='b', Key='k')\n",
            "svc/__main__.py": "from svc import jobs\njobs.run()\n",
        },
        {("s3:GetObject", "arn:aws:s3:::b/k")},
    ),
    (
        "two-hops-away-through-a-package",
        {
            "svc/clients/__init__.py": "from .made import s3\n",
            "svc/clients/made.py": CLIENT,
            "svc/work/put.py": "from svc.clients import s3\n\ndef put():\n    s3.put_object(Bucket='b', Key='x')\n",
        },
        {("s3:PutObject", "arn:aws:s3:::b/x")},
    ),
    (
        "settings-the-call-reads-without-boto",
        {
            "svc/conf.py": "BUCKET = 'from-settings'\n",
            "svc/aws.py": CLIENT + "from svc.conf import BUCKET\ns3.get_object(Bucket=BUCKET, Key='k')\n",
        },
        {("s3:GetObject", "arn:aws:s3:::from-settings/k")},
    ),
    (
        "installed-dependencies-are-not-the-workload",
        {
            "fn/handler.py": CLIENT
            + "def handler(event, context):\n    s3.get_object(Bucket='b', Key='k')\n",
            "fn/vendored/client.py": CLIENT + "s3.delete_bucket(Bucket='vendored')\n",
            "fn/vendored-1.0.dist-info/RECORD": "vendored/client.py,sha256=x,10\nvendored-1.0.dist-info/RECORD,,\n",
        },
        {("s3:GetObject", "arn:aws:s3:::b/k")},
    ),
]


@pytest.mark.parametrize(("name", "files", "expected"), CASES, ids=[c[0] for c in CASES])
def test_calls_through_files_that_do_not_import_boto3_are_planned(
    name: str, files: dict[str, str], expected: set[tuple[str, str]], repo_factory: Callable[..., Path]
) -> None:
    root = repo_factory(files)
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    (role,) = json.loads(result.stdout)["roles"]
    assert {(p["action"], r) for p in role["permissions"] for r in p["resources"]} == expected
