"""Every client factory ``fix`` knows plans identically through ``keyshift plan``.

boto3, sessions, botocore's ``get_session().create_client``, aioboto3 (async context managers,
awaited resources) and aiobotocore: the same key making the same calls on the same resources
must give the same permissions, whichever factory made the client. ``fix`` removes the key in
every one of these spellings; a plan that knew fewer would leave an empty role behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

KEYS = 'KEY = "{{key:123456789012:sdk}}"\nSECRET = "{{secret:sdk}}"\n'
CREDS = "aws_access_key_id=KEY, aws_secret_access_key=SECRET"

CLIENTS = {
    "boto3.client": f"""import boto3
{KEYS}
def go():
    s3 = boto3.client("s3", {CREDS})
    s3.get_object(Bucket="orders", Key="a.json")
""",
    "boto3.Session().client": f"""import boto3
{KEYS}
def go():
    session = boto3.Session({CREDS})
    s3 = session.client("s3")
    s3.get_object(Bucket="orders", Key="a.json")
""",
    "boto3.session.Session": f"""from boto3.session import Session
{KEYS}
def go():
    s3 = Session({CREDS}).client("s3")
    s3.get_object(Bucket="orders", Key="a.json")
""",
    "botocore get_session().create_client": f"""import botocore.session
{KEYS}
def go():
    session = botocore.session.get_session()
    s3 = session.create_client("s3", {CREDS})
    s3.get_object(Bucket="orders", Key="a.json")
""",
    "from botocore.session import get_session": f"""from botocore.session import get_session
{KEYS}
def go():
    s3 = get_session().create_client("s3", {CREDS})
    s3.get_object(Bucket="orders", Key="a.json")
""",
    "aioboto3 async with client": f"""import aioboto3
{KEYS}
async def go():
    session = aioboto3.Session({CREDS})
    async with session.client("s3") as s3:
        await s3.get_object(Bucket="orders", Key="a.json")
""",
    "aioboto3 client keys": f"""import aioboto3
{KEYS}
async def go():
    async with aioboto3.Session().client("s3", {CREDS}) as s3:
        await s3.get_object(Bucket="orders", Key="a.json")
""",
    "aiobotocore create_client": f"""from aiobotocore.session import get_session
{KEYS}
async def go():
    session = get_session()
    async with session.create_client("s3", {CREDS}) as s3:
        await s3.get_object(Bucket="orders", Key="a.json")
""",
}

RESOURCES = {
    "boto3.resource": f"""import boto3
{KEYS}
def go():
    dynamo = boto3.resource("dynamodb", {CREDS})
    dynamo.Table("orders").put_item(Item={{}})
""",
    "boto3.Session().resource": f"""import boto3
{KEYS}
def go():
    dynamo = boto3.Session({CREDS}).resource("dynamodb")
    dynamo.Table("orders").put_item(Item={{}})
""",
    "aioboto3 async with resource": f"""import aioboto3
{KEYS}
async def go():
    session = aioboto3.Session({CREDS})
    async with session.resource("dynamodb") as dynamo:
        table = await dynamo.Table("orders")
        await table.put_item(Item={{}})
""",
}


def _plan(root: Path) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def _grants(data: dict[str, object]) -> set[tuple[str, tuple[str, ...]]]:
    roles = data["roles"]
    assert isinstance(roles, list) and len(roles) == 1, roles
    return {(p["action"], tuple(p["resources"])) for p in roles[0]["permissions"]}


def _expected(
    repo_factory: Callable[[dict[str, str]], Path], source: str
) -> set[tuple[str, tuple[str, ...]]]:
    code, data = _plan(repo_factory({"app.py": source}))
    assert code == 0, data
    return _grants(data)


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_every_client_factory_plans_like_boto3_client(
    repo_factory: Callable[[dict[str, str]], Path], name: str
) -> None:
    expected = _expected(repo_factory, CLIENTS["boto3.client"])
    assert ("s3:GetObject", ("arn:aws:s3:::orders/a.json",)) in expected
    code, data = _plan(repo_factory({"app.py": CLIENTS[name]}))
    assert code == 0, data
    assert _grants(data) == expected


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_every_resource_factory_plans_like_boto3_resource(
    repo_factory: Callable[[dict[str, str]], Path], name: str
) -> None:
    expected = _expected(repo_factory, RESOURCES["boto3.resource"])
    assert any(action == "dynamodb:PutItem" for action, _ in expected)
    code, data = _plan(repo_factory({"app.py": RESOURCES[name]}))
    assert code == 0, data
    assert _grants(data) == expected
