"""One module of AWS names serves scan, fix and plan: same key-ID shape everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from keyshift import awsnames
from keyshift.fakes import fake_key_id

SRC = Path(__file__).resolve().parents[2] / "src" / "keyshift"


@pytest.mark.parametrize("prefix", awsnames.KEY_ID_PREFIXES)
def test_every_stage_sees_every_prefix(prefix: str) -> None:
    from keyshift.planner.build import KEY_ID as planner_key_id
    from keyshift.redact import scrub

    key = fake_key_id("123456789012", prefix=prefix, seed="awsnames")
    assert awsnames.KEY_ID_TOKEN.fullmatch(key)
    assert planner_key_id.search(f"KEY={key}")
    assert key not in scrub(f"key {key} here", mask_key_ids=True)


def test_no_module_keeps_its_own_key_id_pattern() -> None:
    """The prefix alternation is spelled once, in awsnames."""
    spelled = re.compile(r"AKIA\|ASIA")
    owners = [p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py") if spelled.search(p.read_text())]
    assert owners == ["awsnames.py"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("AWS_ACCESS_KEY_ID", True),
        ("aws_secret_access_key", True),
        ("S3_SECRET_KEY", True),
        ("Access key ID", True),
        ("ACCESS_KEY", True),
        ("AWS_SESSION_TOKEN", True),
        ("SECRET_KEY", False),
        ("AWS_REGION", False),
        ("AWS_SECRET_NAME", False),
        ("AWS_STORAGE_BUCKET_NAME", False),
        ("AWS_S3_ENDPOINT_URL", False),
        ("AWS_KMS_KEY_ID", False),
    ],
)
def test_credential_names(name: str, expected: bool) -> None:
    assert awsnames.is_credential_name(name) is expected


def test_secret_key_beside_an_access_key_is_a_credential() -> None:
    assert awsnames.is_credential_name("SECRET_KEY", beside_access_key=True)


def test_spark_settings() -> None:
    for name in (
        "fs.s3a.access.key",
        "spark.hadoop.fs.s3a.secret.key",
        "fs.s3n.awsSecretAccessKey",
        "spark.hadoop.fs.s3a.bucket.{}.access.key",
        "fs.s3a.bucket.raw-data.session.token",
    ):
        assert awsnames.SPARK_CREDENTIAL_SETTING.search(name)
    for name in (
        "fs.s3a.endpoint",
        "fs.s3a.impl",
        "fs.s3a.aws.credentials.provider",
        "fs.s3a.bucket.b.endpoint",
    ):
        assert not awsnames.SPARK_CREDENTIAL_SETTING.search(name)
