"""Secrets and tokens found by the name they are assigned to, in time linear in the text.

Names are found from their keyword ("secret", "token") in one lower-cased copy of the text,
made once with ``bytes.translate``. A name is the maximal run of name characters around its
keyword; runs are found with ``find``/``rfind`` on a class map of the text (C speed) and each
run is looked at once however many keywords it holds, so ``secretsecret…`` costs one name.
Before a name is classified or any regex runs, the text near it must hold a run of 40
value characters (every value form has one): on a JSON service model full of ``NextToken``
and ``SessionToken`` most names stop there. Every regex is anchored at the name and bounded
by the glue (at most 48 tokens) plus the value run that follows it, which only the nearest
name can reach, so the total work is linear.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import urllib.parse
from collections.abc import Iterator

from keyshift.detect.names import GLUE, NameClass, classify
from keyshift.detect.pairing import Hit
from keyshift.detect.suppress import plausible_secret, plausible_session_token
from keyshift.model import CredentialKind

_SECRET_AFTER = re.compile(GLUE + r"(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
# JSON writers such as PHP's json_encode escape "/" as "\/"
_ESCAPED_SECRET_AFTER = re.compile(
    GLUE + r"(?<![A-Za-z0-9/+])((?:[A-Za-z0-9+]|\\/){40})(?![A-Za-z0-9/+=]|\\/)"
)
_TOKEN_AFTER = re.compile(
    GLUE + r"(?<![A-Za-z0-9/+%])([A-Za-z0-9/+%]{64,}+={0,2}(?:%3D){0,2})(?![A-Za-z0-9/+=%])"
)
# name/value entries written value-first: {"value": "…", "name": "AWS_SECRET_ACCESS_KEY"}
_SECRET_BEFORE = re.compile(
    r"""(?i:value)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})["']?\s*,?\s*(?:\r?\n\s*)?["']?(?i:name)["']?\s*[:=]\s*["']?\Z"""
)
# Kubernetes Secret `data:` holds base64: 40 bytes -> 54 chars + "=="
_B64_SECRET_AFTER = re.compile(GLUE + r"(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{54}==)(?![A-Za-z0-9/+=])")

_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_NAME_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_NAME_MAP = bytes(1 if c in _NAME_BYTES else 0 for c in range(256))
_VALUE_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+%=\\"
_VALUE_MAP = bytes(1 if c in _VALUE_BYTES else 0 for c in range(256))
_VALUE_RUN = re.compile(b"\x01{40,}")
_RUN = 40
_AFTER = 512  # glue is at most 48 tokens of at most 9 characters, then the value
_BEFORE = 160  # a value written before its name
_QUALIFIERS = (b"session", b"security")  # only session/security tokens are AWS credentials


class _ValueRuns:
    """Where the text holds runs of at least 40 value characters (sorted, disjoint)."""

    def __init__(self, raw: bytes) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for m in _VALUE_RUN.finditer(raw.translate(_VALUE_MAP)):
            self.starts.append(m.start())
            self.ends.append(m.end())

    def any_within(self, lo: int, hi: int) -> bool:
        """40 consecutive value characters lie inside ``[lo, hi)``."""
        i = bisect.bisect_left(self.ends, lo + _RUN)
        return i < len(self.starts) and self.starts[i] <= hi - _RUN


def latin1_bytes(text: str) -> bytes:
    """The bytes of a Latin-1 view (one byte per character; others become ``?``)."""
    return text.encode("latin-1", "replace")


def named_hits(text: str, raw: bytes) -> Iterator[Hit]:
    """Secrets and tokens after (or before) a name holding "secret" or "token"."""
    lower = raw.translate(_LOWER)
    positions = [(p, False) for p in _find_all(lower, b"secret")]
    positions.extend((p, True) for p in _find_all(lower, b"token"))
    if not positions:
        return
    positions.sort()
    names = raw.translate(_NAME_MAP)
    runs = _ValueRuns(raw)
    if not runs.starts:
        return
    size = len(text)
    done_until = 0
    for pos, is_token in positions:
        if pos < done_until:
            continue  # this keyword's name was looked at already
        if is_token and not any(lower.find(q, max(0, pos - 10), pos) != -1 for q in _QUALIFIERS):
            continue
        start = names.rfind(b"\0", 0, pos) + 1
        end = names.find(b"\0", pos)
        if end == -1:
            end = size
        done_until = end
        if not runs.any_within(end, end + _AFTER) and not runs.any_within(max(0, start - _BEFORE), start):
            continue
        name = text[start:end].strip(".-")
        cls = classify(name)
        if cls is not NameClass.NONE:
            yield from _values_for(text, name, cls, start, end)


def _find_all(haystack: bytes, word: bytes) -> Iterator[int]:
    pos = haystack.find(word)
    while pos != -1:
        yield pos
        pos = haystack.find(word, pos + len(word))


def _values_for(text: str, name: str, cls: NameClass, start: int, end: int) -> Iterator[Hit]:
    explicit = cls is NameClass.AWS_SECRET
    if cls is NameClass.SESSION_TOKEN:
        m = _TOKEN_AFTER.match(text, end)
        if m:
            value = urllib.parse.unquote(m.group(1)) if "%" in m.group(1) else m.group(1)
            if plausible_session_token(value):
                yield Hit(CredentialKind.SESSION_TOKEN, value, m.start(1), name=name)
        return
    m = _SECRET_AFTER.match(text, end)
    if m is None and text.find("\\/", end, end + 160) != -1:
        escaped = _ESCAPED_SECRET_AFTER.match(text, end)
        if escaped is not None:
            value = escaped.group(1).replace("\\/", "/")
            if plausible_secret(value):
                offset = escaped.start(1)
                yield Hit(CredentialKind.SECRET_ACCESS_KEY, value, offset, name=name, explicit=explicit)
            return
    if m is None and (encoded := _B64_SECRET_AFTER.match(text, end)):
        decoded = _b64(encoded.group(1))
        if decoded is not None and len(decoded) == 40 and plausible_secret(decoded):
            offset = encoded.start(1)
            yield Hit(CredentialKind.SECRET_ACCESS_KEY, decoded, offset, name=name, explicit=explicit)
        return
    offset = m.start(1) if m else -1
    if m is None:
        back = _SECRET_BEFORE.search(text, max(0, start - _BEFORE), start)
        if back is None:
            return
        m, offset = back, back.start(1)
    value = m.group(1)
    if plausible_secret(value):
        yield Hit(CredentialKind.SECRET_ACCESS_KEY, value, offset, name=name, explicit=explicit)


def _b64(value: str) -> str | None:
    """A base64 value decoded to ASCII text, or None."""
    try:
        return base64.b64decode(value, validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        return None
