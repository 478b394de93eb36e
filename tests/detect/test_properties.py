"""Property tests: a generated credential in any carrier is found; AWS-free random text is not."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from keyshift.detect import detect_bytes, detect_text
from keyshift.detect.account import account_id
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.model import CredentialKind

CARRIERS = [
    ("a.py", '{kn} = "{key}"\n{sn} = "{secret}"\n'),
    (".env", "{kn}={key}\n{sn}={secret}\n"),
    ("c.yaml", "{kn}: {key}\n{sn}: '{secret}'\n"),
    ("c.json", '{{"{kn}": "{key}", "{sn}": "{secret}"}}\n'),
    ("credentials", "[p]\n{kn} = {key}\n{sn} = {secret}\n"),
    ("run.sh", 'export {kn}="{key}"\nexport {sn}="{secret}"\n'),
    ("Dockerfile", "FROM x\nENV {kn}={key} {sn}={secret}\n"),
]
KEY_NAMES = ["aws_access_key_id", "AWS_ACCESS_KEY_ID", "AccessKeyId", "accessKeyId", "access_key"]
SECRET_NAMES = [
    "aws_secret_access_key",
    "AWS_SECRET_ACCESS_KEY",
    "SecretAccessKey",
    "secretAccessKey",
    "secret_key",
]
B64 = string.ascii_letters + string.digits + "+/"


@settings(max_examples=150, deadline=None)
@given(
    carrier=st.sampled_from(CARRIERS),
    kn=st.sampled_from(KEY_NAMES),
    sn=st.sampled_from(SECRET_NAMES),
    account=st.integers(min_value=0, max_value=999_999_999_999),
    seed=st.integers(min_value=0, max_value=10**6),
    prefix=st.sampled_from(["AKIA", "ASIA"]),
    padding=st.text(alphabet=" \t", max_size=3),
)
def test_generated_credential_is_found(
    carrier: tuple[str, str], kn: str, sn: str, account: int, seed: int, prefix: str, padding: str
) -> None:
    acct = f"{account:012d}"
    key = fake_key_id(acct, prefix=prefix, seed=seed)
    secret = fake_secret(seed)
    path, template = carrier
    text = padding + template.format(kn=kn, sn=sn, key=key, secret=secret)
    found = [f for f in detect_bytes(text.encode(), path) if not f.suppressed]
    kinds = {f.kind: f for f in found}
    assert set(kinds) == {CredentialKind.ACCESS_KEY_ID, CredentialKind.SECRET_ACCESS_KEY}
    assert kinds[CredentialKind.SECRET_ACCESS_KEY].key_id == key
    assert all(f.account_id == acct == account_id(key) for f in found)


@settings(max_examples=300, deadline=None)
@given(blob=st.lists(st.text(alphabet=B64, min_size=20, max_size=80), min_size=1, max_size=20))
def test_random_base64_without_context_is_not_reported(blob: list[str]) -> None:
    text = "\n".join(f'value_{i} = "{b}"' for i, b in enumerate(blob)) + "\n"
    assert detect_text(text, "data.py") == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    detect_bytes(b"aws_secret_access_key=" + data + b"AKIA", "x.py")
    detect_bytes(data, "Dockerfile")
    detect_bytes(data, "y.py")
