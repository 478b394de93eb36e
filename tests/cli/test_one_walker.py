"""scan, fix and plan read the same files: one walker, one meaning of ``exclude``.

Each row is one tree and one configuration; every Python file in it holds a literal key at a
boto3 call site, so each command names every file it read: scan in its findings, fix in its
outcomes, plan in its roles' key locations.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.conftest import init_repo
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

runner = CliRunner()

SITE = 'import boto3\ns3 = boto3.client("s3", aws_access_key_id="{key}", aws_secret_access_key="{secret}")\ns3.list_buckets()\n'

FILES = ("app/aws.py", "lib/vendor/aws.py", "build/aws.py", ".venv/lib/site-packages/pkg/aws.py")


@pytest.mark.parametrize(
    ("config", "git_ignore", "expected"),
    [
        pytest.param("", None, {"app/aws.py", "lib/vendor/aws.py", "build/aws.py"}, id="plain-walk"),
        pytest.param('exclude = ["vendor"]', None, {"app/aws.py", "build/aws.py"}, id="bare-name"),
        pytest.param('exclude = ["lib/**", "build"]', None, {"app/aws.py"}, id="globs"),
        pytest.param("", "build/\n.venv/\n", {"app/aws.py", "lib/vendor/aws.py"}, id="git-ignored-folder"),
        pytest.param('exclude = ["vendor"]', "build/\n.venv/\n", {"app/aws.py"}, id="git-and-exclude"),
        # --all-files widens what scan reads (a dependency folder too), never what fix rewrites
        # or plan plans
        pytest.param(
            "all-files = true", None, {"app/aws.py", "lib/vendor/aws.py", "build/aws.py"}, id="all-files"
        ),
    ],
)
def test_scan_fix_and_plan_read_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str, git_ignore: str | None, expected: set[str]
) -> None:
    tree = tmp_path / "tree"
    for n, rel in enumerate(FILES):
        path = tree / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SITE.format(key=fake_key_id("111122223333", seed=n), secret=fake_secret(n)))
    (tree / "pyproject.toml").write_text(f"[tool.keyshift]\n{config}\n")
    if git_ignore is not None:
        init_repo(tree)
        (tree / ".gitignore").write_text(git_ignore)
    monkeypatch.chdir(tree)

    scan = runner.invoke(app, ["scan", ".", "--format", "json"])
    assert scan.exit_code in (0, 1), scan.output
    scanned = {f["path"] for f in json.loads(scan.stdout)["findings"]}

    fix = runner.invoke(app, ["fix", ".", "--json", "-q"])
    assert fix.exit_code in (0, 1), fix.output
    fixed = {f["path"] for f in json.loads(fix.stdout)["files"]}

    plan = runner.invoke(app, ["plan", ".", "--format", "json"])
    assert plan.exit_code in (0, 1), plan.output
    planned = {
        where.rsplit(":", 1)[0]
        for role in json.loads(plan.stdout)["roles"]
        for where in role["key_locations"]
    }

    assert scanned == expected | (set(FILES) - expected if "all-files" in config else set())
    assert fixed == expected
    assert planned == expected
