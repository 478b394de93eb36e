"""``collect_call_sites``: the read-only view of boto3 clients the planner builds on."""

from __future__ import annotations

from keyshift.codemod.callsites import collect_call_sites
from keyshift.model import CallSite, Location
from keyshift.redact import sha1_hex

from .helpers import KEY, SECRET

SOURCE = f'''import boto3
from boto3.session import Session

SECRET = "{SECRET}"
s3 = boto3.client("s3", aws_access_key_id="{KEY}", aws_secret_access_key=SECRET)


def work():
    s3.put_object(Bucket="b", Key="k", Body=b"")
    s3.get_object(Bucket="b", Key="k")
    s3.put_object(Bucket="b", Key="k2", Body=b"")
    pages = s3.get_paginator("list_objects_v2")


table = boto3.resource("dynamodb", region_name="eu-west-1")
table.Table("t").put_item(Item={{}})
sess = Session()
with sess.client(service_name="sqs") as sqs:
    sqs.send_message(QueueUrl="u", MessageBody="m")
'''


def test_collects_every_site_with_methods() -> None:
    sites = collect_call_sites(SOURCE, "app/aws.py")
    assert [(s.factory, s.service, s.target) for s in sites] == [
        ("client", "s3", "s3"),
        ("resource", "dynamodb", "table"),
        ("Session", None, "sess"),
        ("client", "sqs", "sqs"),
    ]
    s3 = sites[0]
    assert s3.location == Location("app/aws.py", 5, 6)
    assert s3.methods == ("put_object", "get_object", "get_paginator", "get_paginator:list_objects_v2")
    assert s3.credential_sha1s == frozenset({sha1_hex(KEY), sha1_hex(SECRET)})
    assert sites[1].methods == ("Table.put_item",)
    assert sites[2].methods == ("client",)
    assert sites[3].methods == ("send_message",)
    assert all(isinstance(s, CallSite) for s in sites)


def test_no_boto3_text_or_unparsable_gives_nothing() -> None:
    assert collect_call_sites("import os\n", "a.py") == []
    assert collect_call_sites("import boto3\nboto3.client(\n", "a.py") == []
