"""The history scan's path-free first pass must never drop a blob the detectors would report.

``_could_hold`` (the detectors' necessary condition, checked near names) gates ``_probe``, which
runs the detectors without the real path; both are checked against every rule's own positive
samples under every path they name, and against random text around a planted credential.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyshift.detect import detect_bytes, prefilter
from keyshift.detect import might_contain as _could_hold
from keyshift.detect.rules import RULES
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token
from keyshift.sources.blobpass import around as _around
from keyshift.sources.blobpass import holds as _holds
from keyshift.sources.blobpass import plain_key_ids as _plain_key_ids
from keyshift.sources.blobpass import probe as _probe

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
        # real service models: NextToken/SessionToken next to long identifiers are not credentials
        ('{"NextToken":{"shape":"ListTrafficPolicyInstancesByHostedZoneRequestNextTokenType"}}\n', False),
        ('"SessionToken":{"shape":"tokenType","documentation":"The token that users must pass"}\n', False),
        ('"NextToken": "' + "Ab1/" * 20 + '"\n', False),  # a token run, but not a session token
        (f'aws_secret_access_key = "{"AbCdEfGhIj" * 4}"\n', False),  # letters only: an identifier
        (f'aws_secret_access_key = "{S}"\n', True),
        ('session_token = "' + fake_session_token("pf-a") + '"\n', True),  # tokens by their shape
        ('SECURITY-TOKEN: "' + fake_session_token("pf-b", length=120) + '"\n', True),
        (f'"value": "{S}", "name": "AWS_SECRET_ACCESS_KEY"\n', True),  # value written first
        (f'key = "{fake_key_id(seed="p")[:4]}" "{fake_key_id(seed="p")[4:]}"\n', True),  # split key ID
        (f'key = "{fake_key_id(seed="p")[:9]}" + "{fake_key_id(seed="p")[9:]}"\n', True),
        ("ENV KEY=AKIA\\\n" + fake_key_id(seed="p")[4:] + "\n", True),  # Dockerfile continuation
        ("AKIA is a prefix; ASIAN food; ACCA exams\n", False),
        ('my_secret = "' + S + '"\n', False),  # a generic name needs a key ID nearby
        ('my_secret = "' + S + '"\nkey = ' + fake_key_id(seed="p") + "\n", True),
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


@pytest.mark.parametrize(
    "unit",
    [
        b"aws_secret_access_key ",
        b"session_token=",
        b"secret",
        b"SessionTokenSessionToken",
        b"aws_secret = 'AbCd' + ",
        b'AKIA"',
        b"Ab1/" * 10 + b" aws_secret ",
        b"x" * 300 + b"secret" + b"y" * 300 + b" ",
    ],
)
def test_prefilter_is_linear(unit: bytes) -> None:
    """Every keyword, separator and prefix repeated: 8x the input costs about 8x the time, not 64x."""
    import time

    def cost(n: int) -> float:
        # CPU time, best of five: a busy machine preempts a run, it does not make it quadratic
        data = unit * n
        best = float("inf")
        for _ in range(5):
            start = time.process_time()
            _could_hold(data)
            best = min(best, time.process_time() - start)
        return best

    small, large = cost(2000), cost(16000)
    assert large < 8 * small * 4 + 0.05, (small, large)


_pieces = st.sampled_from(
    [
        "secret",
        "SeCrEt",
        "aws_",
        "session",
        "Security",
        "_",
        "-",
        ".",
        "token",
        "TOKEN",
        "AKIA",
        "ASIA",
        "QUtJQ",
        '"',
        "'",
        "\\",
        "=",
        " ",
        "\n",
        "access",
        "Ab1/",
        "x",
        fake_key_id(seed="eq")[4:],
        fake_secret("eq"),
    ]
)


@pytest.mark.skipif(prefilter._compiled_engine() is None, reason="hyperscan is not installed")
@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces, max_size=80))
def test_compiled_engine_answers_like_python(pieces: list[str]) -> None:
    data = "".join(pieces).encode()
    engine = prefilter._compiled_engine()
    assert engine is not None
    fast, slow = engine(data), prefilter._python_spans(data)
    assert (fast is None) == (slow is None)
    if fast is not None and slow is not None:
        assert prefilter._explicit_names(data, fast) == prefilter._explicit_names(data, slow)


_DOCS = '{"documentation": "<p>Example: <code>AKIAIOSFODNN7EXAMPLE</code></p>", "NextToken": "x"}\n'


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (_DOCS * 50, False),  # a service model quoting AWS's example key: nothing to attribute
        # an explicitly named secret anywhere keeps the blob for the detectors (conservative)
        (_DOCS + "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", True),
        (_DOCS * 50 + f"key = {fake_key_id(seed='kept')}\n", True),  # a real-looking key ID
        (_DOCS + "\n" * 40 + f'aws_secret_access_key = "{S}"\n', True),  # an explicit secret far away
        (f"AKIAIOSFODNN7EXAMPLE\n{S}\n", True),  # an unnamed secret next to the example key
    ],
)
def test_first_pass_drops_blobs_holding_only_documentation_examples(text: str, kept: bool) -> None:
    assert _holds(text.encode(), True) is kept


def _around_by_lines(data: bytes, keys: set[bytes], reach: int = 8) -> bytes:
    """The definition ``_around`` must keep: every line within ``reach`` lines of a line holding a key."""
    lines = data.split(b"\n")
    keep = {
        near
        for number, line in enumerate(lines)
        if any(key in line for key in keys)
        for near in range(max(0, number - reach), min(len(lines), number + reach + 1))
    }
    out: list[bytes] = []
    last = -2
    for number in sorted(keep):
        if number != last + 1:
            out.append(b"")
        out.append(lines[number])
        last = number
    return b"\n".join(out)


_EXAMPLE = b"AKIAIOSFODNN7EXAMPLE"
_line_pieces = st.sampled_from(
    [b"\n", b"\n\n", b"x", b" ", b"_", _EXAMPLE, b"AKIA", b"EXAMPLE", b"key=", b"\r"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_line_pieces, max_size=120), st.integers(min_value=0, max_value=4))
def test_around_finds_the_same_lines_as_a_line_by_line_reading(pieces: list[bytes], reach: int) -> None:
    data = b"".join(pieces)
    keys = {_EXAMPLE} if _EXAMPLE in data else set()
    assert _around(data, keys, reach) == _around_by_lines(data, keys, reach)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([_EXAMPLE, b"x", b"_", b"0", b" ", b"-", b"\n", b"AKIA"]), max_size=20))
def test_plain_key_ids_are_the_ones_on_word_boundaries(pieces: list[bytes]) -> None:
    import re

    from keyshift.awsnames import KEY_ID_PATTERN

    data = b"".join(pieces)
    bounded = re.compile(rb"(?<![A-Za-z0-9_])" + KEY_ID_PATTERN.encode() + rb"(?![A-Za-z0-9_])")
    assert _plain_key_ids(data) == set(bounded.findall(data))
