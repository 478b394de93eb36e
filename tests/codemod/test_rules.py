"""Before/after cases for every rule of the credential codemod (one parametrized table)."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from .helpers import fill, fix

# (id, before, after) — sources are dedented; @KEY@/@SECRET@/@TOKEN@ become fake credentials.
REWRITE_CASES = [
    (
        "client-literals",
        """
        import boto3
        s3 = boto3.client("s3", aws_access_key_id="@KEY@", aws_secret_access_key="@SECRET@")
        """,
        """
        import boto3
        s3 = boto3.client("s3")
        """,
    ),
    (
        "resource-keeps-region-endpoint-config",
        """
        import boto3
        from botocore.config import Config
        db = boto3.resource("dynamodb", region_name="eu-west-1", aws_access_key_id="@KEY@",
                            endpoint_url="http://localhost:4566", aws_secret_access_key="@SECRET@",
                            config=Config(retries={"max_attempts": 3}), verify=False)
        """,
        """
        import boto3
        from botocore.config import Config
        db = boto3.resource("dynamodb", region_name="eu-west-1",
                            endpoint_url="http://localhost:4566",
                            config=Config(retries={"max_attempts": 3}), verify=False)
        """,
    ),
    (
        "session-all-removed-becomes-empty-call",
        """
        import boto3
        session = boto3.Session(
            aws_access_key_id="@KEY@",
            aws_secret_access_key="@SECRET@",
            aws_session_token="@TOKEN@",
        )
        """,
        """
        import boto3
        session = boto3.Session()
        """,
    ),
    (
        "session-module-path",
        """
        import boto3.session
        s = boto3.session.Session(aws_access_key_id="@KEY@", aws_secret_access_key="@SECRET@", region_name="us-east-1")
        """,
        """
        import boto3.session
        s = boto3.session.Session(region_name="us-east-1")
        """,
    ),
    (
        "setup-default-session",
        """
        import boto3
        boto3.setup_default_session(aws_access_key_id="@KEY@", aws_secret_access_key="@SECRET@")
        """,
        """
        import boto3
        boto3.setup_default_session()
        """,
    ),
    (
        "alias-import-module",
        """
        import boto3 as b3
        c = b3.client("sqs", aws_access_key_id="@KEY@")
        """,
        """
        import boto3 as b3
        c = b3.client("sqs")
        """,
    ),
    (
        "alias-from-import-function",
        """
        from boto3 import client as aws_client
        c = aws_client("sqs", aws_secret_access_key="@SECRET@", region_name="us-east-2")
        """,
        """
        from boto3 import client as aws_client
        c = aws_client("sqs", region_name="us-east-2")
        """,
    ),
    (
        "from-boto3-session-import-session",
        """
        from boto3.session import Session
        c = Session(aws_access_key_id="@KEY@").client("s3", aws_access_key_id="@KEY@")
        """,
        """
        from boto3.session import Session
        c = Session().client("s3")
        """,
    ),
    (
        "session-variable-client",
        """
        import boto3
        session = boto3.Session(region_name="eu-west-1")
        s3 = session.client("s3", aws_access_key_id="@KEY@", aws_secret_access_key="@SECRET@")
        sqs = session.resource("sqs", aws_session_token="@TOKEN@")
        """,
        """
        import boto3
        session = boto3.Session(region_name="eu-west-1")
        s3 = session.client("s3")
        sqs = session.resource("sqs")
        """,
    ),
    (
        "botocore-create-client",
        """
        import botocore.session
        session = botocore.session.get_session()
        client = session.create_client("s3", "us-east-1", aws_access_key_id="@KEY@", aws_secret_access_key="@SECRET@")
        """,
        """
        import botocore.session
        session = botocore.session.get_session()
        client = session.create_client("s3", "us-east-1")
        """,
    ),
    (
        "aiobotocore-create-client",
        """
        from aiobotocore.session import get_session

        async def main():
            async with get_session().create_client("s3", aws_access_key_id="@KEY@") as client:
                await client.list_buckets()
        """,
        """
        from aiobotocore.session import get_session

        async def main():
            async with get_session().create_client("s3") as client:
                await client.list_buckets()
        """,
    ),
    (
        "aioboto3-session",
        """
        import aioboto3

        session = aioboto3.Session(aws_access_key_id="@KEY@", aws_secret_access_key="@SECRET@")

        async def main():
            async with session.client("s3") as s3:
                await s3.list_buckets()
        """,
        """
        import aioboto3

        session = aioboto3.Session()

        async def main():
            async with session.client("s3") as s3:
                await s3.list_buckets()
        """,
    ),
    (
        "trailing-comma-closing-paren-own-line",
        """
        import boto3
        s3 = boto3.client(
            "s3",
            region_name="us-east-1",
            aws_access_key_id="@KEY@",
            aws_secret_access_key="@SECRET@",
        )
        """,
        """
        import boto3
        s3 = boto3.client(
            "s3",
            region_name="us-east-1",
        )
        """,
    ),
    (
        "no-trailing-comma-closing-paren-own-line",
        """
        import boto3
        s3 = boto3.client(
            "s3",
            aws_access_key_id="@KEY@"
        )
        """,
        """
        import boto3
        s3 = boto3.client(
            "s3"
        )
        """,
    ),
    (
        "removed-arg-takes-trailing-comment",
        """
        import boto3
        s3 = boto3.client(
            "s3",  # storage
            aws_access_key_id="@KEY@",  # the old key
            region_name="us-east-1",  # region
        )
        """,
        """
        import boto3
        s3 = boto3.client(
            "s3",  # storage
            region_name="us-east-1",  # region
        )
        """,
    ),
    (
        "new-last-keeps-its-own-comment",
        """
        import boto3
        s3 = boto3.client(
            "s3",  # storage
            aws_access_key_id="@KEY@",  # the old key
        )
        """,
        """
        import boto3
        s3 = boto3.client(
            "s3",  # storage
        )
        """,
    ),
    (
        "middle-args-single-line",
        """
        import boto3
        s3 = boto3.client("s3", aws_access_key_id="@KEY@", region_name="x", aws_secret_access_key="@SECRET@", verify=False)
        """,
        """
        import boto3
        s3 = boto3.client("s3", region_name="x", verify=False)
        """,
    ),
    (
        "dead-constants-removed-blank-line-inherited",
        """
        import boto3

        AWS_KEY = "@KEY@"
        AWS_SECRET = "@SECRET@"
        REGION = "us-east-1"

        s3 = boto3.client("s3", aws_access_key_id=AWS_KEY, aws_secret_access_key=AWS_SECRET, region_name=REGION)
        """,
        """
        import boto3

        REGION = "us-east-1"

        s3 = boto3.client("s3", region_name=REGION)
        """,
    ),
    (
        "dead-env-constants-and-unused-import-os-removed",
        """
        import os

        import boto3

        KEY = os.getenv("AWS_ACCESS_KEY_ID")
        SECRET = os.environ.get("AWS_SECRET_ACCESS_KEY")
        TOKEN = os.environ["AWS_SESSION_TOKEN"]


        def client():
            return boto3.client("s3", aws_access_key_id=KEY, aws_secret_access_key=SECRET, aws_session_token=TOKEN)
        """,
        """
        import boto3


        def client():
            return boto3.client("s3")
        """,
    ),
    (
        "constant-still-used-is-kept",
        """
        import boto3
        KEY = "@KEY@"
        print(KEY)
        s3 = boto3.client("s3", aws_access_key_id=KEY)
        """,
        """
        import boto3
        KEY = "@KEY@"
        print(KEY)
        s3 = boto3.client("s3")
        """,
    ),
    (
        "constant-in-all-is-kept",
        """
        import boto3
        __all__ = ["KEY"]
        KEY = "@KEY@"
        s3 = boto3.client("s3", aws_access_key_id=KEY)
        """,
        """
        import boto3
        __all__ = ["KEY"]
        KEY = "@KEY@"
        s3 = boto3.client("s3")
        """,
    ),
    (
        "local-of-same-name-is-another-binding",
        """
        import boto3
        KEY = "@KEY@"


        def other():
            KEY = "local"
            return KEY


        s3 = boto3.client("s3", aws_access_key_id=KEY)
        """,
        """
        import boto3


        def other():
            KEY = "local"
            return KEY


        s3 = boto3.client("s3")
        """,
    ),
    (
        "config-read-constant-is-kept",
        """
        import configparser
        import boto3
        config = configparser.ConfigParser()
        KEY = config.get("aws", "key")
        s3 = boto3.client("s3", aws_access_key_id=KEY)
        """,
        """
        import configparser
        import boto3
        config = configparser.ConfigParser()
        KEY = config.get("aws", "key")
        s3 = boto3.client("s3")
        """,
    ),
    (
        "from-import-drops-unused-credential-names",
        """
        import boto3
        from settings import AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, REGION
        s3 = boto3.client("s3", aws_access_key_id=AWS_ACCESS_KEY_ID, aws_secret_access_key=AWS_SECRET_ACCESS_KEY, region_name=REGION)
        """,
        """
        import boto3
        from settings import REGION
        s3 = boto3.client("s3", region_name=REGION)
        """,
    ),
    (
        "from-import-whole-statement-removed",
        """
        import boto3

        from .secrets import KEY, SECRET

        s3 = boto3.client("s3", aws_access_key_id=KEY, aws_secret_access_key=SECRET)
        """,
        """
        import boto3

        s3 = boto3.client("s3")
        """,
    ),
    (
        "from-import-parenthesized-trailing-comma",
        """
        import boto3
        from config import (
            REGION,
            KEY,
        )
        s3 = boto3.client("s3", aws_access_key_id=KEY, region_name=REGION)
        """,
        """
        import boto3
        from config import (
            REGION,
        )
        s3 = boto3.client("s3", region_name=REGION)
        """,
    ),
    (
        "settings-attribute-and-unused-settings-import-removed",
        """
        import boto3
        from django.conf import settings
        s3 = boto3.client("s3", aws_access_key_id=settings.AWS_ACCESS_KEY_ID, aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY)
        """,
        """
        import boto3
        s3 = boto3.client("s3")
        """,
    ),
    (
        "settings-import-kept-while-used",
        """
        import boto3
        from django.conf import settings
        s3 = boto3.client("s3", aws_access_key_id=settings.AWS_ACCESS_KEY_ID, region_name=settings.REGION)
        """,
        """
        import boto3
        from django.conf import settings
        s3 = boto3.client("s3", region_name=settings.REGION)
        """,
    ),
    (
        "streamlit-secrets-subscript",
        """
        import boto3
        import streamlit as st
        s3 = boto3.client("s3", aws_access_key_id=st.secrets["aws"]["key"], aws_secret_access_key=st.secrets["aws"]["secret"])
        """,
        """
        import boto3
        s3 = boto3.client("s3")
        """,
    ),
    (
        "module-level-config-dict-subscript",
        """
        import json
        import boto3
        conf = json.load(open("conf.json"))
        s3 = boto3.client("s3", aws_access_key_id=conf["aws"]["key"])
        """,
        """
        import json
        import boto3
        conf = json.load(open("conf.json"))
        s3 = boto3.client("s3")
        """,
    ),
    (
        "local-from-env-read",
        """
        import os
        import boto3


        def make():
            key = os.environ.get("AWS_ACCESS_KEY")
            secret = os.getenv("AWS_SECRET_KEY", "")
            return boto3.client("s3", aws_access_key_id=key, aws_secret_access_key=secret)
        """,
        """
        import os
        import boto3


        def make():
            key = os.environ.get("AWS_ACCESS_KEY")
            secret = os.getenv("AWS_SECRET_KEY", "")
            return boto3.client("s3")
        """,
    ),
    (
        "from-os-import-environ",
        """
        from os import environ
        import boto3
        s3 = boto3.client("s3", aws_access_key_id=environ["AWS_ACCESS_KEY_ID"], aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"))
        """,
        """
        import boto3
        s3 = boto3.client("s3")
        """,
    ),
    (
        "decouple-config",
        """
        import boto3
        from decouple import config
        s3 = boto3.client("s3", aws_access_key_id=config("AWS_ACCESS_KEY_ID"))
        """,
        """
        import boto3
        s3 = boto3.client("s3")
        """,
    ),
    (
        "method-inside-class-uses-module-constant",
        """
        import boto3

        KEY = "@KEY@"


        class Store:
            def __init__(self):
                self.s3 = boto3.client("s3", aws_access_key_id=KEY)
        """,
        """
        import boto3


        class Store:
            def __init__(self):
                self.s3 = boto3.client("s3")
        """,
    ),
    (
        "fstring-of-constants",
        """
        import boto3
        PREFIX = "AKIA"
        s3 = boto3.client("s3", aws_access_key_id=f"{PREFIX}XYZ")
        """,
        """
        import boto3
        PREFIX = "AKIA"
        s3 = boto3.client("s3")
        """,
    ),
    (
        "concatenated-string-constant",
        """
        import boto3
        SECRET = ("abc"
                  "def")
        s3 = boto3.client("s3", aws_secret_access_key=SECRET)
        """,
        """
        import boto3
        s3 = boto3.client("s3")
        """,
    ),
    (
        "annotated-constant",
        """
        import boto3
        KEY: str = "@KEY@"
        s3 = boto3.client("s3", aws_access_key_id=KEY)
        """,
        """
        import boto3
        s3 = boto3.client("s3")
        """,
    ),
    (
        "comment-above-constant-stays-while-code-under-it-stays",
        """
        import boto3

        # AWS credentials
        KEY = "@KEY@"
        s3 = boto3.client("s3", aws_access_key_id=KEY)
        """,
        """
        import boto3

        # AWS credentials
        s3 = boto3.client("s3")
        """,
    ),
    (
        "comment-block-goes-with-its-whole-paragraph",
        """
        import boto3

        # AWS credentials
        KEY = "@KEY@"
        SECRET = "@SECRET@"

        # clients
        s3 = boto3.client("s3", aws_access_key_id=KEY, aws_secret_access_key=SECRET)
        """,
        """
        import boto3

        # clients
        s3 = boto3.client("s3")
        """,
    ),
    (
        "section-comment-stays-above-remaining-settings",
        """
        import boto3

        # AWS Configuration
        AWS_KEY = "@KEY@"
        AWS_SECRET = "@SECRET@"
        AWS_REGION = "eu-west-1"

        s3 = boto3.client("s3", aws_access_key_id=AWS_KEY, aws_secret_access_key=AWS_SECRET, region_name=AWS_REGION)
        """,
        """
        import boto3

        # AWS Configuration
        AWS_REGION = "eu-west-1"

        s3 = boto3.client("s3", region_name=AWS_REGION)
        """,
    ),
    (
        "unknown-double-star-does-not-block-other-sites",
        """
        import boto3


        def make(**kwargs):
            return boto3.client("s3", **kwargs)


        s3 = boto3.client("s3", aws_access_key_id="@KEY@")
        """,
        """
        import boto3


        def make(**kwargs):
            return boto3.client("s3", **kwargs)


        s3 = boto3.client("s3")
        """,
    ),
    (
        "blank-line-inherited-above-a-comment",
        """
        import boto3

        KEY = "@KEY@"
        # the client
        s3 = boto3.client("s3", aws_access_key_id=KEY)
        """,
        """
        import boto3

        # the client
        s3 = boto3.client("s3")
        """,
    ),
    (
        "import-os-kept-while-still-used",
        """
        import os
        import boto3

        KEY = os.getenv("K")
        s3 = boto3.client("s3", aws_access_key_id=KEY, region_name=os.environ["REGION"])
        """,
        """
        import os
        import boto3

        s3 = boto3.client("s3", region_name=os.environ["REGION"])
        """,
    ),
    (
        "kept-statement-between-deleted-runs",
        """
        import os
        import boto3

        KEY = os.getenv("K")
        REGION = "eu-west-1"
        SECRET = os.getenv("S")
        s3 = boto3.client("s3", aws_access_key_id=KEY, aws_secret_access_key=SECRET, region_name=REGION)
        """,
        """
        import boto3

        REGION = "eu-west-1"
        s3 = boto3.client("s3", region_name=REGION)
        """,
    ),
    (
        "newer-syntax-than-the-running-python",
        """
        import boto3
        type Alias = int
        s3 = boto3.client("s3", aws_access_key_id="@KEY@")
        """,
        """
        import boto3
        type Alias = int
        s3 = boto3.client("s3")
        """,
    ),
    (
        "comment-line-before-closing-paren-kept-once",
        """
        import boto3
        s3 = boto3.client(
            "s3",
            aws_access_key_id="@KEY@",
            # end of arguments
        )
        """,
        """
        import boto3
        s3 = boto3.client(
            "s3",
            # end of arguments
        )
        """,
    ),
    (
        "argparse-module-level-is-a-module-level-object",
        """
        import argparse
        import boto3
        parser = argparse.ArgumentParser()
        args = parser.parse_args()
        s3 = boto3.client("s3", aws_access_key_id=args.access_key)
        """,
        """
        import argparse
        import boto3
        parser = argparse.ArgumentParser()
        args = parser.parse_args()
        s3 = boto3.client("s3")
        """,
    ),
    (
        "env-read-with-fallback",
        """
        import os
        import boto3
        from django.conf import settings
        s3 = boto3.client("s3", aws_access_key_id=os.getenv("AWS_ACCESS_KEY_ID") or settings.AWS_KEY)
        """,
        """
        import boto3
        s3 = boto3.client("s3")
        """,
    ),
    (
        "config-reader-get",
        """
        import configparser
        import boto3
        config = configparser.ConfigParser()


        def make():
            key = config.get("aws", "key")
            return boto3.client("s3", aws_access_key_id=key, aws_secret_access_key=config["aws"]["secret"])
        """,
        """
        import configparser
        import boto3
        config = configparser.ConfigParser()


        def make():
            key = config.get("aws", "key")
            return boto3.client("s3")
        """,
    ),
    (
        "chained-session-resource",
        """
        import boto3
        table = boto3.Session(aws_access_key_id="@KEY@", region_name="x").resource("dynamodb", aws_secret_access_key="@SECRET@").Table("t")
        """,
        """
        import boto3
        table = boto3.Session(region_name="x").resource("dynamodb").Table("t")
        """,
    ),
]

UNTOUCHED_CASES = [
    (
        "vendor-session-client",
        """
        from vendor_sdk import Session
        c = Session().client("x", aws_access_key_id="@KEY@")
        """,
    ),
    (
        "non-boto3-client-function",
        """
        import boto3


        def client(**kwargs):
            return kwargs


        c = client(aws_access_key_id="@KEY@")
        """,
    ),
    (
        "s3fs-is-not-a-target",
        """
        import boto3
        import s3fs
        fs = s3fs.S3FileSystem(key="@KEY@", secret="@SECRET@")
        """,
    ),
    (
        "already-clean",
        """
        import boto3
        s3 = boto3.client("s3", region_name="us-east-1")
        """,
    ),
    (
        "attribute-receiver-not-a-target",
        """
        import boto3
        class A:
            def __init__(self):
                self.session = object()
                self.c = self.session.client("s3", aws_access_key_id="@KEY@")
        """,
    ),
    (
        "shadowed-boto3-name",
        """
        import boto3


        def f(boto3):
            return boto3.client("s3", aws_access_key_id="@KEY@")
        """,
    ),
]

# (id, source, reason substring) — report-only: the file stays byte-identical.
REPORT_ONLY_CASES = [
    (
        "parameter",
        """
        import boto3


        def make(key, secret):
            return boto3.client("s3", aws_access_key_id=key, aws_secret_access_key=secret)
        """,
        "function parameter 'key'",
    ),
    (
        "derived-from-parameter",
        """
        import boto3


        def make(creds):
            key = creds["key"].strip()
            return boto3.client("s3", aws_access_key_id=key)
        """,
        "derived from the function parameter 'creds'",
    ),
    (
        "env-read-of-parameter-name",
        """
        import os
        import boto3


        def make(var):
            return boto3.client("s3", aws_access_key_id=os.getenv(var))
        """,
        "derived from the function parameter 'var'",
    ),
    (
        "self-attribute",
        """
        import boto3


        class S:
            def connect(self):
                return boto3.client("s3", aws_access_key_id=self.key)
        """,
        "self.key",
    ),
    (
        "cls-attribute",
        """
        import boto3


        class S:
            @classmethod
            def connect(cls):
                return boto3.client("s3", aws_access_key_id=cls.key)
        """,
        "cls.key",
    ),
    (
        "double-star-dict-literal-name",
        """
        import boto3
        creds = {"aws_access_key_id": "@KEY@", "aws_secret_access_key": "@SECRET@"}
        s3 = boto3.client("s3", **creds)
        """,
        "come through **dict",
    ),
    (
        "double-star-dict-built-by-subscript",
        """
        import boto3
        creds = {}
        creds["aws_access_key_id"] = "@KEY@"
        s3 = boto3.client("s3", **creds)
        """,
        "come through **dict",
    ),
    (
        "positional-client",
        """
        import boto3
        s3 = boto3.client("s3", "us-east-1", None, True, None, None, "@KEY@", "@SECRET@")
        """,
        "positionally",
    ),
    (
        "positional-session",
        """
        import boto3
        s = boto3.Session("@KEY@", "@SECRET@")
        """,
        "positionally",
    ),
    (
        "assume-role-credentials",
        """
        import boto3
        sts = boto3.client("sts")
        creds = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="s")["Credentials"]
        s3 = boto3.client("s3", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"])
        """,
        "assume_role",
    ),
    (
        "one-report-only-site-blocks-the-file",
        """
        import boto3
        a = boto3.client("s3", aws_access_key_id="@KEY@")


        def make(key):
            return boto3.client("s3", aws_access_key_id=key)
        """,
        "function parameter 'key'",
    ),
    (
        "for-loop-variable",
        """
        import boto3


        def make():
            for key in ["a", "b"]:
                boto3.client("s3", aws_access_key_id=key)
        """,
        "cannot follow",
    ),
    (
        "argparse-inside-main",
        """
        import argparse
        import boto3


        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("--access-key")
            args = parser.parse_args()
            return boto3.client("s3", aws_access_key_id=args.access_key)
        """,
        "command-line arguments",
    ),
    (
        "local-from-helper-call",
        """
        import boto3
        from vault import read_secret


        def make():
            key = read_secret("aws/key")
            return boto3.client("s3", aws_access_key_id=key)
        """,
        "read_secret()",
    ),
    (
        "getpass-prompt",
        """
        import getpass
        import boto3


        def main():
            secret = getpass.getpass("AWS secret: ")
            return boto3.client("s3", aws_secret_access_key=secret)
        """,
        "typed in by the user",
    ),
    (
        "lambda-value",
        """
        import boto3
        s3 = boto3.client("s3", aws_access_key_id=(lambda: "x")())
        """,
        "cannot follow",
    ),
]


def _src(text: str) -> str:
    return fill(textwrap.dedent(text).lstrip("\n"))


@pytest.mark.parametrize(
    ("before", "after"), [c[1:] for c in REWRITE_CASES], ids=[c[0] for c in REWRITE_CASES]
)
def test_rewrite(before: str, after: str) -> None:
    out, result = fix(_src(before))
    assert out == _src(after)
    assert all(site.status == "rewritten" for site in result.sites)
    cst.parse_module(out)
    again, second = fix(out)
    assert again == out, "a second run must change nothing"
    assert not second.changed


@pytest.mark.parametrize("source", [c[1] for c in UNTOUCHED_CASES], ids=[c[0] for c in UNTOUCHED_CASES])
def test_untouched(source: str) -> None:
    src = _src(source)
    out, result = fix(src)
    assert out == src
    assert not result.changed
    assert not result.sites


@pytest.mark.parametrize(
    ("source", "reason"), [c[1:] for c in REPORT_ONLY_CASES], ids=[c[0] for c in REPORT_ONLY_CASES]
)
def test_report_only(source: str, reason: str) -> None:
    src = _src(source)
    out, result = fix(src)
    assert out == src
    assert not result.changed
    assert result.sites and all(site.status == "report-only" for site in result.sites)
    assert any(reason in (site.reason or "") for site in result.sites), [s.reason for s in result.sites]


def test_crlf_stays_crlf() -> None:
    src = _src(
        """
        import boto3
        KEY = "@KEY@"

        s3 = boto3.client(
            "s3",
            aws_access_key_id=KEY,
        )
        """
    ).replace("\n", "\r\n")
    out, result = fix(src)
    assert result.changed
    assert out == 'import boto3\r\n\r\ns3 = boto3.client(\r\n    "s3",\r\n)\r\n'


def test_constant_removal_reports_names_and_lines() -> None:
    out, result = fix(
        _src(
            """
            import boto3
            from cfg import OTHER_KEY
            KEY = "@KEY@"
            a = boto3.client("s3", aws_access_key_id=KEY, aws_secret_access_key=OTHER_KEY)
            """
        )
    )
    assert result.removed_constants == [("KEY", 3)]
    assert result.removed_imports == [("OTHER_KEY", 2)]
    assert out == 'import boto3\na = boto3.client("s3")\n'
