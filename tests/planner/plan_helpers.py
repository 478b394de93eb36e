"""Fixture repositories for planner tests.

Fixture files hold placeholders (``{{key:ACCOUNT:SEED}}``, ``{{secret:SEED}}``) that become fake
but format-valid credentials from ``keyshift.fakes`` when a test copies them into a real git repo.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from keyshift.fakes import fake_key_id, fake_secret

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "plan"
_PLACEHOLDER = re.compile(r"\{\{(key|secret):([^}]+)\}\}")
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Keyshift Test",
    "GIT_AUTHOR_EMAIL": "test@keyshift.invalid",
    "GIT_COMMITTER_NAME": "Keyshift Test",
    "GIT_COMMITTER_EMAIL": "test@keyshift.invalid",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def key_for(account: str, seed: str) -> str:
    return fake_key_id(account, seed=seed)


def secret_for(seed: str) -> str:
    return fake_secret(seed)


def substitute(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        kind, spec = match.group(1), match.group(2)
        if kind == "key":
            account, seed = spec.split(":", 1)
            return key_for(account, seed)
        return secret_for(spec)

    return _PLACEHOLDER.sub(replace, text)


def git_init(root: Path) -> None:
    env = {**os.environ, **_GIT_ENV, "HOME": str(root.parent)}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    commit = ["git", "-C", str(root), "-c", "commit.gpgsign=false", "commit", "-q", "-m", "fixture"]
    subprocess.run(commit, check=True, env=env)


def make_repo(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (placeholders substituted) and commit them to a fresh git repository."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(substitute(text), encoding="utf-8")
    git_init(root)
    return root


def fixture_repo(name: str, dest: Path) -> Path:
    source = FIXTURES / name / "repo"
    paths = [p for p in source.rglob("*") if p.is_file()]
    files = {p.relative_to(source).as_posix(): p.read_text(encoding="utf-8") for p in paths}
    return make_repo(dest / name, files)


def big_bucket(i: int, width: int = 20) -> str:
    return f"acme-{'x' * width}-{i:04d}"


def big_policy_repo(root: Path, count: int, width: int = 20) -> Path:
    """One service reading ``count`` buckets: a policy over IAM's size limits."""
    calls = "".join(
        f'    s3.get_object(Bucket="{big_bucket(i, width)}", Key="data/report.csv")\n' for i in range(count)
    )
    return make_repo(
        root,
        {
            "svc/app.py": "import boto3\n"
            's3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="{{key:111122223333:big}}")\n'
            f"def run():\n{calls}",
        },
    )


def plan_json(root: Path, *extra: str) -> dict[str, Any]:
    """``keyshift plan ROOT --format json --exit-zero`` through the CLI, parsed."""
    import json

    from typer.testing import CliRunner

    from keyshift.cli import app

    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero", *extra])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def permissions(role: dict[str, Any]) -> dict[str, list[str]]:
    """A planned role's grants as action -> resources."""
    return {p["action"]: p["resources"] for p in role["permissions"]}
