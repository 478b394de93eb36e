"""One transform, three routes: ``keyshift fix --write``, ``keyshift migrate --write`` and
``python -m libcst.tool codemod ... RemoveStaticCredentialsCommand`` (as the README advertises)
leave the same bytes in every file of the same input."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.cli.subprocess_cli import libcst_codemod
from typer.testing import CliRunner

from keyshift.cli import app

from .helpers import KEY, SECRET

FILES: dict[str, bytes] = {
    "app/literal.py": (
        f'import os\n\nimport boto3\n\n# AWS Configuration\nAWS_KEY = "{KEY}"\nAWS_SECRET = "{SECRET}"\n'
        'QUEUE = os.environ.get("QUEUE_URL", "")\n\n'
        's3 = boto3.client(\n    "s3",\n    aws_access_key_id=AWS_KEY,\n'
        '    aws_secret_access_key=AWS_SECRET,\n    region_name="eu-west-1",\n)\n'
    ).encode(),
    "app/env.py": (
        b"import os\nimport boto3\n\n"
        b'sqs = boto3.resource("sqs", aws_access_key_id=os.getenv("AWS_ACCESS_KEY_ID"),\r\n'
        b'    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])\r\n'
    ),
    "app/session.py": (
        "from boto3.session import Session\n\n"
        f'session = Session(aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n'
        'ddb = session.resource("dynamodb", endpoint_url="http://localhost:4566")\n'
    ).encode(),
    "app/param.py": b"import boto3\n\n\ndef make(k):\n    return boto3.client('s3', aws_access_key_id=k)\n",
    "app/settings.py": f'AWS_ACCESS_KEY_ID = "{KEY}"\nAWS_SECRET_ACCESS_KEY = "{SECRET}"\nDEBUG = False\n'.encode(),
    "app/plain.py": b"def add(a, b):\n    return a + b\n",
}


def _copy(base: Path, name: str) -> Path:
    root = base / name / "svc"
    for rel, data in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def _contents(root: Path) -> dict[str, bytes]:
    return {rel: (root / rel).read_bytes() for rel in FILES}


def test_fix_migrate_and_libcst_tool_write_the_same_bytes(tmp_path: Path) -> None:
    fix_root = _copy(tmp_path, "fix")
    result = CliRunner().invoke(app, ["fix", str(fix_root), "--write", "-q", "--jobs", "1"])
    assert result.exit_code == 1, result.output  # report-only files are left for a person

    migrate_root = _copy(tmp_path, "migrate")
    out = tmp_path / "review"
    result = CliRunner().invoke(
        app, ["migrate", str(migrate_root), "--write", "--no-history", "--out", str(out), "-q", "--jobs", "1"]
    )
    assert result.exit_code in (0, 1), result.output

    tool_root = _copy(tmp_path, "tool")
    proc = libcst_codemod(str(tool_root), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr

    fixed = _contents(fix_root)
    assert fixed != FILES  # the routes agree on an actual rewrite, not on doing nothing
    assert fixed["app/param.py"] == FILES["app/param.py"]  # report-only: untouched everywhere
    assert _contents(migrate_root) == fixed
    assert _contents(tool_root) == fixed
    assert SECRET not in proc.stdout + proc.stderr  # the key ID is named (to revoke), never the secret
    shutil.rmtree(out, ignore_errors=True)
