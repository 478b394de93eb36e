"""Attack: a repository's own ``role-name-template`` formats more than a name.

``[tool.keyshift.plan] role-name-template`` comes from the scanned repository's pyproject.toml.
``{service:>2000000000}`` used to allocate gigabytes and ``{service.__class__}`` reached Python
attributes. Only plain known placeholders are accepted; anything else is a configuration error
(exit 2) naming the setting's file, before any name is formatted.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from tests.conftest import git, init_repo
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

KEY = fake_key_id("123456789012", seed="template")
SECRET = fake_secret("template")
APP = (
    "import boto3\n"
    f's3 = boto3.client("s3", aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n'
    's3.get_object(Bucket="b", Key="k")\n'
)


def _repo(root: Path, template: object) -> Path:
    init_repo(root)
    (root / "app.py").write_text(APP)
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'victim'\n\n[tool.keyshift.plan]\nrole-name-template = "
        + json.dumps(template)
        + "\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "template")
    return root


HOSTILE = [
    ("{service:>2000000000}", "format spec"),
    ("{service:{service}}", "format spec"),
    ("{service!r}", "conversion"),
    ("{service.__class__}", "unknown placeholder"),
    ("{service.__class__.__mro__[1].__subclasses__}", "unknown placeholder"),
    ("{service[0]}", "unknown placeholder"),
    ("{0}", "unknown placeholder"),
    ("{}", "unknown placeholder"),
    ("{service", "not a valid template"),
    ("x" * 129 + "{service}", "characters long"),
    ('a"b-{service}', "characters IAM role names cannot hold"),
    ("a\n{service}", "characters IAM role names cannot hold"),
    (12, "must be a string"),
]


@pytest.mark.parametrize(("template", "message"), HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_repository_template_is_limited(template: object, message: str, tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", template)
    started = time.monotonic()
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json"])
    assert time.monotonic() - started < 30
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "pyproject.toml [tool.keyshift.plan]" in result.stderr


@pytest.mark.parametrize(("template", "message"), HOSTILE[:4], ids=[str(i) for i in range(4)])
def test_flag_template_is_limited(template: str, message: str, tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", "{service}-role")
    result = CliRunner().invoke(app, ["plan", str(root), "--role-name-template", template])
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "--role-name-template" in result.stderr


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        # the service is named from the project's metadata ([project] name), not the checkout folder
        ("{service}-role", "victim-role"),
        ("app-{key_suffix}", f"app-{KEY[-4:].lower()}"),
        ("{service}-{index}@ecs", "victim-1@ecs"),
        ("{service}-" + "x" * 70, None),  # longer than IAM's 64: shortened with a stable hash
    ],
)
def test_plain_templates_still_work(template: str, expected: str | None, tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo", template)
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    (role,) = json.loads(result.stdout)["roles"]
    if expected is None:
        assert len(role["name"]) == 64 and role["name"].startswith("victim-xxx")
    else:
        assert role["name"] == expected
