"""What the analysis cannot follow is said, and fails the run: never a quiet gap or an empty role.

Through the CLI: a file that does not parse beside one that does makes ``keyshift plan`` name the
file, say its calls may be missing and exit 1, while the readable file's role is still written;
a key whose client makes no call gets no role (an empty role would deploy and deny everything),
an unresolved item and exit 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

GOOD = """import boto3
s3 = boto3.client("s3", aws_access_key_id="{{key:123456789012:gap}}", aws_secret_access_key="{{secret:gap}}")
s3.get_object(Bucket="orders", Key="a.json")
"""
IDLE = """import boto3
s3 = boto3.client("s3", aws_access_key_id="{{key:123456789012:gap}}", aws_secret_access_key="{{secret:gap}}")
"""
BROKEN = "import boto3\ndef broken(:\n    boto3.client('sqs').send_message(QueueUrl='q', MessageBody='m')\n"


@pytest.mark.parametrize(
    ("files", "roles", "says"),
    [
        ({"app.py": GOOD, "worker.py": BROKEN}, 1, "worker.py: cannot parse"),
        ({"app.py": IDLE}, 0, "used by no AWS SDK call"),
    ],
    ids=["unparsable-file", "key-with-no-call"],
)
def test_gaps_are_reported_and_fail_the_run(
    repo_factory: Callable[[dict[str, str]], Path], files: dict[str, str], roles: int, says: str
) -> None:
    root = repo_factory(files)
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json"])
    assert result.exit_code == 1, result.stdout
    data = json.loads(result.stdout)
    assert len(data["roles"]) == roles
    assert all(role["permissions"] for role in data["roles"])
    messages = [*data["errors"], *data["unresolved"]]
    assert any(says in m for m in messages), messages
    if roles:
        assert any("may be missing" in m for m in data["errors"])
