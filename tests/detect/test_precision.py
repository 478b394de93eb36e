"""Precision on what real repositories hold (issue 13): every finding is credential-shaped.

The fixtures are written here from what scanning botocore, boto3, aws-cli, localstack, chalice
and git-secrets taught (docs/benchmarks.md, "Precision on real repositories"); none is copied.
A session token is recognised by its shape, base64 well over 100 characters; a hex digest,
hash or short value after a token name is not one.
"""

from __future__ import annotations

import hashlib

import pytest

from keyshift.detect import detect_bytes
from keyshift.detect.suppress import SESSION_TOKEN_PREFIXES, plausible_session_token
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token
from keyshift.model import CredentialKind

T = CredentialKind.SESSION_TOKEN
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SIG_HEX = hashlib.sha256(b"keyshift signing fixture").hexdigest()

# SigV4 test-suite shapes: a canonical request and a signed request, with a hex value where the
# token goes and the payload hash on the line after the signed-headers list.
NEGATIVES = {
    "sigv4.creq": (
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n"
        f"x-amz-security-token:{SIG_HEX}\n\nhost;x-amz-date;x-amz-security-token\n{EMPTY_SHA256}"
    ),
    "sigv4.sreq": (
        "GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n"
        f"X-Amz-Security-Token:{SIG_HEX}\nAuthorization: AWS4-HMAC-SHA256 Credential=x, "
        f"SignedHeaders=host;x-amz-date;x-amz-security-token, Signature={SIG_HEX}\n"
    ),
    "settings.py": f'AWS_SESSION_TOKEN = "{SIG_HEX.upper()}"\nsession_token = "{"ab12" * 20}"\n',
    "short.env": "AWS_SESSION_TOKEN=" + "Ab1" * 30 + "\n",  # 90 characters: too short for STS
    "digest.json": f'{{"SessionToken": "{SIG_HEX}{EMPTY_SHA256}"}}\n',  # 128 hex digits
    "model.json": (
        '{"NextToken":{"shape":"PaginationTokenStringWithAVeryLongIdentifierName"},'
        '"SessionToken":{"shape":"SessionTokenTypeHoldingAVeryLongIdentifierNameHere",'
        '"documentation":"<p>The session token.</p>"}}\n'
    ),
}


@pytest.mark.parametrize("path", sorted(NEGATIVES))
def test_not_a_session_token(path: str) -> None:
    assert [f for f in detect_bytes(NEGATIVES[path].encode(), path) if f.kind is T] == []


@pytest.mark.parametrize("prefix", SESSION_TOKEN_PREFIXES)
def test_token_shaped_values_are_found(prefix: str) -> None:
    token = prefix + fake_session_token(prefix)[len(prefix) :]
    text = f"x-amz-security-token:{token}\n"
    found = detect_bytes(text.encode(), "request.txt")
    assert [(f.kind, f.line) for f in found] == [(T, 1)]


def test_sts_response_fixture_is_reported() -> None:
    """An STS XML response (as a test fixture holds it) is a real-looking credential set."""
    key = fake_key_id("123456789012", prefix="ASIA", seed="sts")
    secret, token = fake_secret("sts"), fake_session_token("sts")
    xml = (
        f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
        f"<SessionToken>{token}</SessionToken></Credentials>\n"
    )
    found = detect_bytes(xml.encode(), "tests/fixtures/sts.xml")
    assert sorted(f.kind.value for f in found) == ["access_key_id", "secret_access_key", "session_token"]
    assert all(f.key_id == key for f in found)


@pytest.mark.parametrize(
    ("value", "shaped"),
    [
        (fake_session_token("a"), True),
        (fake_session_token("b", length=120), True),
        (SIG_HEX, False),
        (SIG_HEX + EMPTY_SHA256, False),
        ("A" * 300, False),
        ("Ab1" * 33, False),
    ],
)
def test_plausible_session_token(value: str, shaped: bool) -> None:
    assert plausible_session_token(value) is shaped


def test_presigned_url_token_with_slash_runs_is_reported() -> None:
    """Old STS tokens start ``AQoDYXdzEJH//////////wEa``: a run of ``/`` is no placeholder."""
    key = fake_key_id("123456789012", prefix="ASIA", seed="url")
    body = fake_session_token("url")[16:]
    token = "AQoDYXdzEJH" + "/" * 10 + "wEa" + body
    encoded = token.replace("/", "%2F").replace("+", "%2B")
    url = (
        f"https://bucket.s3.amazonaws.com/doc.pdf?AWSAccessKeyId={key}&Expires=1440104129"
        f"&Signature=abc%3D&x-amz-security-token={encoded}\n"
    )
    found = detect_bytes(url.encode(), "doc.pdf.link")
    assert sorted((f.kind.value, f.suppressed) for f in found) == [
        ("access_key_id", None),
        ("session_token", None),
    ]
    assert all(f.key_id == key for f in found)


@pytest.mark.parametrize(
    "token",
    [
        "IQoJb3JpZ2lu" + "EXAMPLETOKEN" * 20,
        "IQoJb3JpZ2lu" + "A" * 200,
        "IQoJb3JpZ2lu" + "AbCdEfGh12345678" + "a" * 120,
    ],
)
def test_placeholder_tokens_are_suppressed(token: str) -> None:
    found = detect_bytes(f"aws_session_token = {token}\n".encode(), "creds.ini")
    assert all(f.suppressed for f in found)
