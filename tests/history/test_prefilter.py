"""The history scan's path-free first pass must never drop a blob the detectors would report.

``_could_hold`` (the detectors' necessary condition, checked near names) gates ``_probe``, which
runs the detectors without the real path; both are checked against every rule's own positive
samples under every path they name, and against random text around a planted credential.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyshift.detect import detect_bytes
from keyshift.detect import might_contain as _could_hold
from keyshift.detect.rules import RULES
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token
from keyshift.sources.history import _probe

FILL = {"key": fake_key_id(seed="pf"), "secret": fake_secret("pf"), "token": fake_session_token("pf")}
POSITIVES = [(r.id, path, text.format(**FILL)) for r in RULES for path, text in r.positives]
S = fake_secret("split")


@pytest.mark.parametrize(("rule_id", "path", "text"), POSITIVES)
def test_every_rule_sample_passes_the_first_pass(rule_id: str, path: str, text: str) -> None:
    data = text.encode()
    assert detect_bytes(data, path), "sample no longer detected; update this test"
    assert _could_hold(data)
    assert _probe(data, True)
    # names on every line around it: the whole-blob fallback must keep it too
    noisy = b'next_token = None  # secret_name: "x"\n' * 40 + data + b"\nsession_token = get()\n" * 40
    if detect_bytes(noisy, path):
        assert _could_hold(noisy)
        assert _probe(noisy, True)


NOISE = "next_token = None  # secret_name\n" * 40


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (NOISE + f'aws_secret_access_key = ("{S[:20]}"\n    "{S[20:]}")\n', True),
        (NOISE + f'aws_secret_access_key = "{S[:19]}+" + r"{S[20:]}"\n', True),
        (NOISE + '{"secret_name": "abc", "token": "def"}\n', False),
        (f'aws_secret_access_key = ("{S[:20]}"\n    "{S[20:]}")\n', True),
        (f'AWS_SECRET_ACCESS_KEY = "{S[:15]}" + "{S[15:]}"\n', True),
        (f'aws_secret_access_key = "{S[:20]}" "{S[20:]}"\n', True),
        ("next_token = None\nsecret_name = 'abc'\n", False),
        (f"{S}{S}\n", False),  # a long run but no name that could carry it
        ("plain words, nothing here\n", False),
    ],
)
def test_table(text: str, expected: bool) -> None:
    assert _could_hold(text.encode()) is expected
    if expected:
        assert _probe(text.encode(), True)


_filler = st.text(st.characters(codec="ascii", exclude_characters="\0"), max_size=300)
_carriers = st.sampled_from(
    [
        'aws_access_key_id = "{key}"\naws_secret_access_key = "{secret}"\n',
        "AWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={secret}\nAWS_SESSION_TOKEN={token}\n",
        '{{"AccessKeyId": "{key}", "SecretAccessKey": "{secret}"}}\n',
        "[default]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n",
        'client = boto3.client("s3", aws_access_key_id="{key}", aws_secret_access_key="{secret}")\n',
    ]
)
_paths = st.sampled_from(
    ["app.py", "settings.ini", ".env", "config.json", "Dockerfile", "notes.txt", "x.yaml"]
)


@settings(max_examples=150, deadline=None)
@given(before=_filler, carrier=_carriers, after=_filler, path=_paths)
def test_first_pass_keeps_whatever_the_detectors_find(
    before: str, carrier: str, after: str, path: str
) -> None:
    data = (before + "\n" + carrier.format(**FILL) + after).encode()
    if detect_bytes(data, path):
        assert _could_hold(data)
        assert _probe(data, True)
