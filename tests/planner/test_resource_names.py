"""Resource names the planner reads from less common argument shapes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

KEY = "{{key:111122223333:names}}"


def _client(service: str) -> str:
    return (
        f'import boto3\nc = boto3.client("{service}", aws_access_key_id="{KEY}", region_name="eu-west-1")\n'
    )


CASES = [
    (
        "plural-name-list",
        _client("ecr") + 'c.describe_repositories(repositoryNames=["api", "worker"])\n',
        {
            ("ecr:DescribeRepositories", "arn:aws:ecr:eu-west-1:111122223333:repository/api"),
            ("ecr:DescribeRepositories", "arn:aws:ecr:eu-west-1:111122223333:repository/worker"),
        },
    ),
    (
        "log-group-also-with-its-star-form",
        _client("logs") + 'c.get_log_events(logGroupName="/ecs/api", logStreamName="web/1")\n'
        'c.filter_log_events(logGroupName="/ecs/api")\n',
        {
            ("logs:GetLogEvents", "arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/api:log-stream:web/1"),
            ("logs:FilterLogEvents", "arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/api"),
            ("logs:FilterLogEvents", "arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/api:*"),
        },
    ),
    (
        "service-resource-object-factory",
        f'import boto3\ns3 = boto3.resource("s3", aws_access_key_id="{KEY}")\n'
        's3.Object("acme-config", "app/settings.json").get()\n'
        's3.ObjectSummary("acme-config", "app/old.json").delete()\n',
        {
            ("s3:GetObject", "arn:aws:s3:::acme-config/app/settings.json"),
            ("s3:DeleteObject", "arn:aws:s3:::acme-config/app/old.json"),
        },
    ),
    (
        "caller-identity-needs-no-grant",
        _client("sts") + "c.get_caller_identity()\n",
        set(),
    ),
]


@pytest.mark.parametrize(("name", "code", "expected"), CASES, ids=[c[0] for c in CASES])
def test_resource_names(
    name: str, code: str, expected: set[tuple[str, str]], repo_factory: Callable[..., Path]
) -> None:
    root = repo_factory({"svc/app.py": code})
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    if not expected:  # nothing to grant: no (empty) role, and the plan says why
        assert data["roles"] == []
        assert any("no role planned" in item for item in data["unresolved"])
        return
    [role] = data["roles"]
    assert {(p["action"], r) for p in role["permissions"] for r in p["resources"]} == expected
    assert role["unresolved"] == []
