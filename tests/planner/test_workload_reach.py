"""A library's calls belong to the workloads that reach it, and only to them.

The monorepo fixture: ``billing/`` and ``reports/`` each have a Dockerfile and a task definition
and call the shared ``common/storage.py`` with their own client and bucket. A module in
``common/`` that no workload imports gives its calls to no workload (and ``common/`` is never a
workload of its own), even when it uses a workload's client.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from keyshift.cli import app

from .plan_helpers import FIXTURES, make_repo

UNREACHED = (
    'from billing.main import s3\n\n\ndef purge():\n    s3.delete_bucket(Bucket="acme-billing-invoices")\n'
)


def test_unreached_library_module_grants_nothing(tmp_path: Path) -> None:
    source = FIXTURES / "monorepo" / "repo"
    files = {
        p.relative_to(source).as_posix(): p.read_text(encoding="utf-8")
        for p in source.rglob("*")
        if p.is_file()
    }
    files["common/cleanup.py"] = UNREACHED
    root = make_repo(tmp_path / "mono", files)
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.stdout
    roles = {r["name"]: r for r in json.loads(result.stdout)["roles"]}
    assert set(roles) == {"billing-task-role", "reports-task-role"}
    billing = {p["action"]: p["resources"] for p in roles["billing-task-role"]["permissions"]}
    assert billing == {"s3:PutObject": ["arn:aws:s3:::acme-billing-invoices/uploads/*"]}
    reports = {p["action"] for p in roles["reports-task-role"]["permissions"]}
    assert "s3:DeleteBucket" not in reports
