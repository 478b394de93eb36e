"""The report's leftovers: keys to revoke, env names, environ writes, s3fs, settings modules."""

from __future__ import annotations

import textwrap

import pytest

from .helpers import KEY, SECRET, fill, fix

# (id, source, expected note kind, needs_human, text that must appear in a message)
NOTE_CASES = [
    (
        "revoke-literal-key",
        """
        import boto3
        s3 = boto3.client("s3", aws_access_key_id="@KEY@", aws_secret_access_key="@SECRET@")
        """,
        "revoke",
        True,
        KEY,
    ),
    (
        "revoke-secret-only",
        """
        import boto3
        s3 = boto3.client("s3", aws_secret_access_key="@SECRET@")
        """,
        "revoke",
        True,
        "sha1:",
    ),
    (
        "env-name-not-read-by-chain",
        """
        import os
        import boto3
        s3 = boto3.client("s3", aws_access_key_id=os.getenv("AWS_ACCESS_KEY"))
        """,
        "env-name",
        True,
        "$AWS_ACCESS_KEY",
    ),
    (
        "env-name-read-by-chain-is-info",
        """
        import os
        import boto3
        s3 = boto3.client("s3", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"])
        """,
        "env",
        False,
        "overrides the task role",
    ),
    (
        "environ-write",
        """
        import os
        import boto3
        os.environ["AWS_ACCESS_KEY_ID"] = "@KEY@"
        s3 = boto3.client("s3")
        """,
        "environ-write",
        True,
        "os.environ['AWS_ACCESS_KEY_ID']",
    ),
    (
        "environ-setdefault",
        """
        import os
        import boto3
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "x")
        """,
        "environ-write",
        True,
        "AWS_SECRET_ACCESS_KEY",
    ),
    (
        "s3fs-key-secret",
        """
        import boto3
        import s3fs
        fs = s3fs.S3FileSystem(key="@KEY@", secret="@SECRET@")
        """,
        "s3fs",
        True,
        "key, secret",
    ),
    (
        "pandas-storage-options",
        """
        import pandas as pd
        df = pd.read_csv("s3://bucket/x.csv", storage_options={"key": "@KEY@", "secret": "@SECRET@"})
        """,
        "storage-options",
        True,
        "key, secret",
    ),
    (
        "django-settings-module",
        """
        import os
        STORAGES = {"default": {"BACKEND": "storages.backends.s3boto3.S3Boto3Storage"}}
        AWS_ACCESS_KEY_ID = os.environ.get("DJANGO_AWS_KEY")
        """,
        "settings",
        True,
        "AWS_ACCESS_KEY_ID",
    ),
    (
        "settings-origin-attribute",
        """
        import boto3
        from django.conf import settings
        s3 = boto3.client("s3", aws_access_key_id=settings.AWS_ACCESS_KEY_ID)
        """,
        "settings",
        True,
        "settings.AWS_ACCESS_KEY_ID",
    ),
    (
        "unseen-double-star",
        """
        import boto3


        def make(**kwargs):
            return boto3.client("s3", **kwargs)
        """,
        "unseen-arguments",
        False,
        "**kwargs",
    ),
    (
        "kept-constant-still-holds-key",
        """
        import boto3
        KEY = "@KEY@"
        print(KEY)
        s3 = boto3.client("s3", aws_access_key_id=KEY)
        """,
        "kept-literal",
        True,
        "constant KEY",
    ),
]


@pytest.mark.parametrize(
    ("source", "kind", "needs_human", "text"), [c[1:] for c in NOTE_CASES], ids=[c[0] for c in NOTE_CASES]
)
def test_note(source: str, kind: str, needs_human: bool, text: str) -> None:
    _, result = fix(fill(textwrap.dedent(source).lstrip("\n")))
    matching = [n for n in result.notes if n.kind == kind]
    assert matching, [(n.kind, n.message) for n in result.notes]
    assert any(text in n.message for n in matching), [n.message for n in matching]
    assert all(n.needs_human is needs_human for n in matching)
    for note in result.notes:
        assert SECRET not in note.message


def test_clean_env_site_has_no_human_item() -> None:
    _, result = fix(
        "import os\nimport boto3\n"
        's3 = boto3.client("s3", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"])\n'
    )
    assert result.changed
    assert not any(n.needs_human for n in result.notes)


def test_removed_settings_constant_is_not_reported_as_leftover() -> None:
    _, result = fix(
        'import os\nimport boto3\nAWS_ACCESS_KEY_ID = os.getenv("AWS_ACCESS_KEY_ID")\n'
        "s3 = boto3.client('s3', aws_access_key_id=AWS_ACCESS_KEY_ID)\n"
    )
    assert result.removed_constants == [("AWS_ACCESS_KEY_ID", 3)]
    assert not [n for n in result.notes if n.kind == "settings"]
