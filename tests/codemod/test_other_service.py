"""Properties of the other-service and positional-pair matchers (``endpoints.py``, ``passed.py``).

A client beside an ``endpoint_url`` is left alone exactly when every credential it is given is a
placeholder literal (no key ID, no secret shape); a wrapper call is reported exactly when its
positional variables include a secret-named one.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from keyshift.cli import app

from .helpers import KEY, SECRET, fix

PLACEHOLDERS = ('"test"', '"minioadmin"', '""', '"xxx"', '"access_key_id"')
REAL = (f'"{KEY}"', f'"{SECRET}"', 'os.environ["AWS_SECRET_ACCESS_KEY"]')
ENDPOINTS = ('"http://localhost:4566"', 'os.getenv("S3_ENDPOINT")', "ENDPOINT")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PLACEHOLDERS + REAL),
    st.sampled_from(PLACEHOLDERS + REAL),
    st.sampled_from(ENDPOINTS),
    st.booleans(),
)
def test_placeholder_keys_beside_an_endpoint_stay(key: str, secret: str, endpoint: str, first: bool) -> None:
    args = [f"aws_access_key_id={key}", f"aws_secret_access_key={secret}", f"endpoint_url={endpoint}"]
    if first:
        args.reverse()
    source = f'import os\nimport boto3\nENDPOINT = "http://minio:9000"\nc = boto3.client("s3", {", ".join(args)})\n'
    out, result = fix(source)
    placeholders = key in PLACEHOLDERS and secret in PLACEHOLDERS
    assert [s.status for s in result.sites] == ["report-only" if placeholders else "rewritten"]
    assert (out == source) is placeholders
    if placeholders:
        assert "not AWS keys" in (result.sites[0].reason or "")


NAMES = ("path", "region", "bucket", "access_key", "access_key_id", "secret_key", "aws_secret", "token_count")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
def test_positional_pairs_are_reported_when_a_secret_is_among_them(names: list[str]) -> None:
    params = ", ".join(names)
    source = f"def run({params}):\n    return wrapper({params})\n"
    _, result = fix(source)
    reported = any(n.kind == "passed-credentials" for n in result.notes)
    paired = any(n in ("access_key", "access_key_id") for n in names)
    secret = "aws_secret" in names or ("secret_key" in names and paired)
    assert reported is secret


REMOTE = ("https://storage.yandexcloud.net", "https://nyc3.digitaloceanspaces.com", "s3.example.org")
AWS_OR_LOCAL = (
    "https://s3.eu-west-1.amazonaws.com",
    "https://bucket.vpce-0a1b.s3.us-east-1.vpce.amazonaws.com",
    "http://localhost:4566",
    "http://dynamodb.host:4566",
    "http://minio:9000",
    "http://10.0.0.13",
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(REAL),
    st.sampled_from(REMOTE + AWS_OR_LOCAL),
    st.booleans(),
    st.booleans(),
)
def test_keys_for_a_remote_endpoint_that_is_not_aws_stay(
    key: str, url: str, constant: bool, session: bool
) -> None:
    endpoint = "ENDPOINT" if constant else f'"{url}"'
    if session:  # the session carries the keys, its client the endpoint
        call = f'boto3.Session(aws_access_key_id={key})\nc = s.client("s3", endpoint_url={endpoint})'
        source = f'import os\nimport boto3\nENDPOINT = "{url}"\ns = {call}\n'
    else:
        call = f'boto3.client("s3", aws_access_key_id={key}, endpoint_url={endpoint})'
        source = f'import os\nimport boto3\nENDPOINT = "{url}"\nc = {call}\n'
    out, result = fix(source)
    remote = url in REMOTE
    assert [s.status for s in result.sites] == ["report-only" if remote else "rewritten"]
    assert (out == source) is remote
    if remote:
        assert "which is not AWS" in (result.sites[0].reason or "")


def test_cli_leaves_keys_for_a_non_aws_endpoint_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "storage.py"
    source = (
        "import os\nimport boto3\n"
        's3 = boto3.client("s3", aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"], '
        'endpoint_url="https://fra1.digitaloceanspaces.com")\n'
    )
    path.write_text(source)
    result = CliRunner().invoke(app, ["fix", str(tmp_path), "--write", "--json", "-q"])
    doc = json.loads(result.output)
    assert result.exit_code == 1
    assert [f["status"] for f in doc["files"]] == ["report-only"]
    assert path.read_text() == source
