"""Values that reach a call through function parameters.

Object keys (data) from a parameter are unknown: other callers, ones the analysis cannot see,
pass other keys, so the grant keeps only the literal head (``invoices/*``). Resource names
(buckets, tables, queues) from parameters are resolved from every call site in the repository,
unless a framework calls the function (routes, tasks, handlers) or some caller passes a value
the analysis cannot know; then the name is unknown and the grant says so.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

KEY = "{{key:111122223333:a}}"
CLIENT = f'import boto3\ns3 = boto3.client("s3", aws_access_key_id="{KEY}", region_name="us-east-1")\n'
DDB = f'import boto3\nddb = boto3.client("dynamodb", aws_access_key_id="{KEY}", region_name="us-east-1")\n'

Pairs = set[tuple[str, str]]

CASES: list[tuple[str, dict[str, str], Pairs]] = [
    (
        "object-key-from-a-parameter-keeps-the-literal-head",
        {
            "svc/storage.py": CLIENT + "def save_invoice(order_id, pdf):\n"
            '    s3.put_object(Bucket="acme-invoices", Key=f"invoices/{order_id}.pdf", Body=pdf)\n',
            "svc/__main__.py": 'from storage import save_invoice\nsave_invoice("demo-1", b"x")\n',
        },
        {("s3:PutObject", "arn:aws:s3:::acme-invoices/invoices/*")},
    ),
    (
        "whole-key-from-a-parameter-is-any-key-in-the-bucket",
        {
            "svc/storage.py": CLIENT + "def put(key, body):\n"
            '    s3.put_object(Bucket="acme-reports", Key=key, Body=body)\n',
            "svc/__main__.py": 'from storage import put\nput("daily/summary.csv", b"x")\n',
        },
        {("s3:PutObject", "arn:aws:s3:::acme-reports/*")},
    ),
    (
        "key-built-from-a-parameter-through-concatenation-and-a-local",
        {
            "svc/storage.py": CLIENT + "def load(user):\n"
            '    key = "avatars/" + user + "/small.png"\n'
            '    return s3.get_object(Bucket="acme-media", Key=key)\n',
            "svc/__main__.py": 'from storage import load\nload("u1")\n',
        },
        {("s3:GetObject", "arn:aws:s3:::acme-media/avatars/*")},
    ),
    (
        "helper-called-with-two-literal-buckets-grants-both",
        {
            "svc/storage.py": CLIENT + "def archive(bucket, body):\n"
            '    s3.put_object(Bucket=bucket, Key="archive/latest.json", Body=body)\n',
            "svc/__main__.py": "from storage import archive\n"
            'archive("acme-archive-eu", b"x")\narchive("acme-archive-us", b"y")\n',
        },
        {
            ("s3:PutObject", "arn:aws:s3:::acme-archive-eu/archive/latest.json"),
            ("s3:PutObject", "arn:aws:s3:::acme-archive-us/archive/latest.json"),
        },
    ),
    (
        "table-name-from-two-callers",
        {
            "svc/db.py": DDB + "def get(table, pk):\n"
            '    return ddb.get_item(TableName=table, Key={"pk": {"S": pk}})\n',
            "svc/__main__.py": 'from db import get\nget("orders", "1")\nget("customers", "2")\n',
        },
        {
            ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/customers"),
            ("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/orders"),
        },
    ),
    (
        "handler-passes-a-request-value-as-the-key",
        {
            "svc/storage.py": CLIENT + "def save_upload(name, body):\n"
            '    s3.put_object(Bucket="acme-uploads", Key=f"incoming/{name}", Body=body)\n',
            "svc/web.py": "from flask import Flask, request\nfrom storage import save_upload\n"
            "app = Flask(__name__)\n"
            '@app.route("/upload", methods=["POST"])\n'
            "def upload():\n"
            '    save_upload(request.args["name"], request.data)\n'
            '    return "ok"\n',
        },
        {("s3:PutObject", "arn:aws:s3:::acme-uploads/incoming/*")},
    ),
    (
        "a-caller-that-passes-an-unknown-bucket-makes-the-bucket-unknown",
        {
            "svc/storage.py": CLIENT + "def put(bucket):\n"
            '    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"")\n',
            "svc/__main__.py": 'import sys\nfrom storage import put\nput("acme-known")\nput(sys.argv[1])\n',
        },
        # a write on a bucket the code does not name: a placeholder to fill in, never "*"
        {
            ("s3:PutObject", "arn:aws:s3:::<BucketName>/a.txt"),
            ("s3:PutObject", "arn:aws:s3:::acme-known/a.txt"),
        },
    ),
    (
        "a-framework-route-parameter-is-unknown-even-if-the-repo-calls-it",
        {
            "svc/web.py": CLIENT + "from fastapi import FastAPI\napp = FastAPI()\n"
            '@app.get("/objects/{bucket}")\n'
            "def fetch(bucket: str):\n"
            '    return s3.get_object(Bucket=bucket, Key="index.html")\n'
            'fetch("acme-site")\n',
        },
        {("s3:GetObject", "*")},
    ),
    (
        "a-lambda-style-handler-event-is-unknown",
        {
            "svc/app.py": CLIENT + "def lambda_handler(event, context):\n"
            '    s3.put_object(Bucket="acme-events", Key=event["key"], Body=b"")\n'
            'lambda_handler({"key": "fixed.json"}, None)\n',
        },
        {("s3:PutObject", "arn:aws:s3:::acme-events/*")},
    ),
    (
        "presigned-url-key-from-a-parameter",
        {
            "svc/links.py": CLIENT + "def link(doc_id):\n"
            '    return s3.generate_presigned_url("get_object", '
            'Params={"Bucket": "acme-docs", "Key": f"docs/{doc_id}.pdf"})\n',
            "svc/__main__.py": 'from links import link\nlink("d1")\n',
        },
        {("s3:GetObject", "arn:aws:s3:::acme-docs/docs/*")},
    ),
    (
        "copy-source-key-from-a-parameter",
        {
            "svc/copy.py": CLIENT + "def promote(name):\n"
            '    s3.copy_object(Bucket="acme-live", Key=f"live/{name}", '
            'CopySource=f"acme-staging/staged/{name}")\n',
            "svc/__main__.py": 'from copy import promote\npromote("home.html")\n',
        },
        {
            ("s3:PutObject", "arn:aws:s3:::acme-live/live/*"),
            ("s3:GetObject", "arn:aws:s3:::acme-staging/staged/*"),
        },
    ),
    (
        "listing-prefix-from-a-constructor-is-data",
        {
            "svc/store.py": CLIENT + "class Store:\n"
            '    def __init__(self, bucket, prefix="data/"):\n'
            "        self.bucket, self.prefix = bucket, prefix\n"
            "    def purge(self):\n"
            f'        res = boto3.resource("s3", aws_access_key_id="{KEY}")\n'
            "        for obj in res.Bucket(self.bucket).objects.filter(Prefix=self.prefix):\n"
            "            obj.delete()\n"
            'Store("acme-files").purge()\n',
        },
        {("s3:ListBucket", "arn:aws:s3:::acme-files"), ("s3:DeleteObject", "arn:aws:s3:::acme-files/*")},
    ),
    (
        "a-literal-key-in-the-function-itself-stays-exact",
        {
            "svc/storage.py": CLIENT + "def heartbeat(bucket):\n"
            '    s3.put_object(Bucket=bucket, Key="health/heartbeat.txt", Body=b"")\n',
            "svc/__main__.py": 'from storage import heartbeat\nheartbeat("acme-ops")\n',
        },
        {("s3:PutObject", "arn:aws:s3:::acme-ops/health/heartbeat.txt")},
    ),
]


def _plan(root: Path) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return data


@pytest.mark.parametrize(("name", "files", "expected"), CASES, ids=[c[0] for c in CASES])
def test_parameter_flow(
    name: str, files: dict[str, str], expected: Pairs, repo_factory: Callable[..., Path]
) -> None:
    data = _plan(repo_factory(files))
    assert len(data["roles"]) == 1, data["roles"]
    pairs = {(p["action"], r) for p in data["roles"][0]["permissions"] for r in p["resources"]}
    assert pairs == expected
    for permission in data["roles"][0]["permissions"]:
        if permission["resources"] == ["*"]:
            assert permission["why_any_resource"]


def test_many_callers_merged_still_widen_on_one_unknown(repo_factory: Callable[..., Path]) -> None:
    """Past the per-call-site limit the arguments are merged; an unknown one must not vanish."""
    callers = "".join(f'put("acme-b{i:02d}")\n' for i in range(20)) + "put(sys.argv[1])\n"
    files = {
        "svc/storage.py": CLIENT + "def put(bucket):\n"
        '    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"")\n',
        "svc/__main__.py": "import sys\nfrom storage import put\n" + callers,
    }
    data = _plan(repo_factory(files))
    [permission] = data["roles"][0]["permissions"]
    assert "arn:aws:s3:::<BucketName>/a.txt" in permission["resources"]
    assert any("<BucketName>" in item for item in data["roles"][0]["unresolved"])
    wide = CliRunner().invoke(
        app, ["plan", str(repo_factory(files)), "--format", "json", "--allow-wildcards"]
    )
    [permission] = json.loads(wide.stdout)["roles"][0]["permissions"]
    assert permission["resources"] == ["*"]


def test_names_from_parameters_are_said(repo_factory: Callable[..., Path]) -> None:
    files = dict(CASES[3][1])  # helper-called-with-two-literal-buckets-grants-both
    data = _plan(repo_factory(files))
    [note] = [n for n in data["roles"][0]["notes"] if "from a function parameter" in n]
    assert note.startswith("s3.put_object at svc/storage.py:4: Bucket from a function parameter")


def test_demo_invoices_are_granted_by_prefix(tmp_path: Path) -> None:
    """The demo's only caller passes "demo-1"; production passes other order ids."""
    import shutil

    from .plan_helpers import REPO, git_init

    root = tmp_path / "demo"
    shutil.copytree(REPO / "fixtures" / "demo", root)
    git_init(root)
    data = _plan(root)
    grants = {(p["action"], r) for role in data["roles"] for p in role["permissions"] for r in p["resources"]}
    for action in ("s3:PutObject", "s3:GetObject"):
        assert (action, "arn:aws:s3:::acme-orders-invoices/invoices/*") in grants
        assert not any(a == action and "demo-1" in r for a, r in grants)
