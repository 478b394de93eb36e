"""The ``Scrubber``: every encoding and fragment of a known secret masked, in linear time."""

from __future__ import annotations

import base64
import json
import pickle
import time
import urllib.parse
import warnings
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.security.redaction_helpers import forms, leaks

from keyshift.fakes import fake_secret, fake_session_token
from keyshift.model import Secret
from keyshift.redact import FRAGMENT, Scrubber, quiet_compiler, scrub

SECRET = next(fake_secret(i) for i in range(1000) if "/" in fake_secret(i) and "+" in fake_secret(i))
TOKEN = fake_session_token("scrubber")
SCRUBBER = Scrubber([SECRET, TOKEN])
B = SECRET.encode()

CARRIERS: list[tuple[str, str]] = [
    ("raw", f"key={SECRET}"),
    ("base64", f"data: {base64.b64encode(B).decode()}"),
    ("base64-no-padding", base64.b64encode(B).decode().rstrip("=")),
    ("base64url", base64.urlsafe_b64encode(B).decode()),
    ("base64-in-blob-0", base64.b64encode(b"abc" + B + b"tail").decode()),
    ("base64-in-blob-1", base64.b64encode(b"a" + B + b"tail").decode()),
    ("base64-in-blob-2", base64.b64encode(b"ab" + B + b"tail").decode()),
    ("base64url-in-blob-1", base64.urlsafe_b64encode(b"{" + B + b"}").decode()),
    ("url-upper", "https://x.invalid/?k=" + urllib.parse.quote(SECRET, safe="")),
    ("url-lower", urllib.parse.quote(SECRET, safe="").replace("%2F", "%2f").replace("%2B", "%2b")),
    ("url-slash-kept", urllib.parse.quote(SECRET)),
    ("form", urllib.parse.urlencode({"secret": SECRET})),
    ("json-escaped", json.dumps({"s": SECRET}).replace("/", "\\/")),
    ("json-unicode", SECRET.replace("/", "\\u002f").replace("+", "\\u002b")),
    ("hex", B.hex()),
    ("HEX", B.hex().upper()),
    ("fragment-12", f"x {SECRET[5:17]} y"),
    ("fragment-35", f'*("{SECRET[:35]}...'),
    ("split-literal", f'"{SECRET[:20]}" "{SECRET[20:]}"'),
    ("token", f"AWS_SESSION_TOKEN={TOKEN}"),
    ("token-fragment", TOKEN[100:130]),
    ("token-base64-blob", base64.b64encode(b"x" + TOKEN.encode()).decode()),
]


@pytest.mark.parametrize(("name", "text"), CARRIERS, ids=[c[0] for c in CARRIERS])
def test_every_form_is_masked(name: str, text: str) -> None:
    out = SCRUBBER.scrub(text)
    assert "<redacted sha1:" in out
    assert not leaks(out, [SECRET, TOKEN]), out


@pytest.mark.parametrize(
    "text",
    [
        "plain text with AKIAIOSFODNN7EXAMPLE and nothing else",
        "a path like src/keyshift/redact.py:12 and a sha 0123456789abcdef0123456789abcdef01234567",
        f"eleven chars: {SECRET[:11]}",  # shorter than a fragment: not a secret's
        "",
    ],
)
def test_other_text_is_left_alone(text: str) -> None:
    assert SCRUBBER.scrub(text) == text


def test_fragment_length_boundary() -> None:
    assert SECRET[:FRAGMENT] not in SCRUBBER.scrub(f"[{SECRET[:FRAGMENT]}]")
    assert SCRUBBER.scrub(f"[{SECRET[: FRAGMENT - 1]}]") == f"[{SECRET[: FRAGMENT - 1]}]"


def test_markers_name_the_secret_and_are_idempotent() -> None:
    once = SCRUBBER.scrub(f"{SECRET} and {base64.b64encode(B).decode()}")
    assert once.count("<redacted sha1:") == 2
    assert SCRUBBER.scrub(once) == once


def test_secret_prints_as_its_hash() -> None:
    secret = Secret(SECRET)
    assert SECRET not in repr(secret) and SECRET not in str(secret)
    assert pickle.loads(pickle.dumps(secret)) == secret  # crosses worker processes
    assert SECRET not in repr(Scrubber([secret]))


def test_scrub_data_walks_json_values() -> None:
    data = {"a": [SECRET, {"b": f"x{SECRET[:20]}"}], SECRET: 1, "n": None}
    out = json.dumps(SCRUBBER.scrub_data(data))
    assert not leaks(out, [SECRET])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prefix=st.text(max_size=40),
    suffix=st.text(max_size=40),
    start=st.integers(0, 40 - FRAGMENT),
    length=st.integers(FRAGMENT, 40),
    form=st.sampled_from(sorted(forms(SECRET))),
)
def test_any_fragment_of_any_form_is_masked(
    prefix: str, suffix: str, start: int, length: int, form: str
) -> None:
    encoded = forms(SECRET)[form]
    piece = encoded[start : start + length]
    if len(piece) < FRAGMENT:
        return
    out = SCRUBBER.scrub(prefix + piece + suffix)
    assert piece not in out


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.text() | st.sampled_from([SECRET, "\\" + SECRET, SECRET[:30] + "\\"]),
        lambda c: st.lists(c, max_size=4),
        max_leaves=8,
    )
)
def test_scrubbed_json_stays_json(value: object) -> None:
    """A marker never splits a JSON escape: reports stay parseable."""
    text = json.dumps(value).replace("/", "\\/")
    json.loads(SCRUBBER.scrub(text))


def _seconds(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        SCRUBBER.scrub(text)
        best = min(best, time.perf_counter() - t0)
    return best


def _growth(make: Callable[[int], str]) -> float:
    """Time for 8x the input over time for 1x, from a size that takes long enough to measure."""
    n = 50_000
    while _seconds(make(n)) < 0.01 and n < 1_000_000:
        n *= 2
    small, large = make(n), make(8 * n)
    # the machine is shared: a quadratic scrubber is slow every time, a busy neighbour only once
    return min(_seconds(large) / _seconds(small) for _ in range(3))


ADVERSARIAL = {
    # every probe hits the 6-gram index but no 12-gram matches: the most work per character
    "probe-hits": lambda n: (SECRET[:6] + TOKEN[200:206]) * (n // 12),
    "near-misses": lambda n: (SECRET[:11] + "#") * (n // 12),
    "one-long-run": lambda n: "A" * n,
    "secret-repeated": lambda n: SECRET * (n // 40),
    "base64-noise": lambda n: base64.b64encode(bytes(range(256)) * (n // 340 + 1)).decode()[:n],
    "backslashes": lambda n: ("\\" * 7 + SECRET[:12]) * (n // 19),
}


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_run_time_is_linear(shape: str) -> None:
    ratio = _growth(ADVERSARIAL[shape])
    assert ratio < 8 * 3, (shape, ratio)  # 8x the input: linear is ~8, quadratic ~64


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=st.text(alphabet="ABCab01/+=%\\-_" + SECRET[:8], min_size=1, max_size=16))
def test_run_time_is_linear_on_generated_repetitions(unit: str) -> None:
    ratio = _growth(lambda n: unit * (n // len(unit)))
    assert ratio < 8 * 3, (unit, ratio)


def test_shape_backstop_still_applies() -> None:
    other = fake_secret("not-known")
    assert other not in SCRUBBER.scrub(f"x={other}")
    assert SCRUBBER.scrub(f"x={other}") == scrub(f"x={other}")


@pytest.mark.parametrize("category", [SyntaxWarning, DeprecationWarning, UserWarning])
def test_quiet_compiler_silences_and_restores(category: type[Warning]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with quiet_compiler(), quiet_compiler():  # nested users share one filter
            compile('x = "\\d"', "<user>", "exec")
            warnings.warn("from user code", category, stacklevel=1)
        with pytest.raises(category):
            warnings.warn("outside", category, stacklevel=1)
