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

_NAME_RUN = re.compile(rb"[A-Za-z0-9_.\-]*+")
_VALUE_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+%=\\"
_VALUE_MAP = bytes(1 if c in _VALUE_BYTES else 0 for c in range(256))
_RUN = 40
_RUN_BYTES = b"\x01" * _RUN
# "secret", or "token" within 10 characters after "session"/"security" (only session and
# security tokens are AWS credentials), matched in the lower-cased text
_KEYWORD = re.compile(rb"secret|se(?:ssion[\s\S]{0,3}|curity[\s\S]{0,2})token")
_AFTER = 512  # glue is at most 48 tokens of at most 9 characters, then the value
_BEFORE = 160  # a value written before its name
_NAME_BACK = 256  # a name is read at most this far back from its keyword


class _ValueRuns:
    """Runs of at least 40 value characters, found lazily from left to right.

    The class map of the text is built on the first question; runs are then found with
    ``bytes.find`` (C speed) only as far as the questions reach, each run once.
    """

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._map: bytes | None = None
        self._upto = 0
        self.starts: list[int] = []
        self.ends: list[int] = []

    def _extend(self, hi: int) -> None:
        if self._map is None:
            self._map = self._raw.translate(_VALUE_MAP)
        values = self._map
        while self._upto < hi:
            pos = values.find(_RUN_BYTES, self._upto)
            if pos == -1:
                self._upto = len(values)
                return
            end = values.find(b"\0", pos + _RUN)
            end = len(values) if end == -1 else end
            self.starts.append(pos)
            self.ends.append(end)
            self._upto = end

    def any_within(self, lo: int, hi: int) -> bool:
        """40 consecutive value characters lie inside ``[lo, hi)``."""
        self._extend(hi)
        i = bisect.bisect_left(self.ends, lo + _RUN)
        return i < len(self.starts) and self.starts[i] <= hi - _RUN


def latin1_bytes(text: str) -> bytes:
    """The bytes of a Latin-1 view (one byte per character; others become ``?``)."""
    return text.encode("latin-1", "replace")


def named_hits(text: str, raw: bytes) -> Iterator[Hit]:
    """Secrets and tokens after (or before) a name holding "secret" or a session/security "token"."""
    runs = _ValueRuns(raw)
    size = len(raw)
    done_until = 0
    for keyword in _KEYWORD.finditer(raw.lower()):
        pos = keyword.start() if keyword.end() - keyword.start() == 6 else keyword.end() - 5
        if pos < done_until:
            continue  # this keyword's name was looked at already
        back = raw[max(done_until, pos - _NAME_BACK) : pos][::-1]
        start = pos - _end_of_name(back, 0)
        end = _end_of_name(raw, pos)
        done_until = end
        if not runs.any_within(end, min(size, end + _AFTER)) and not runs.any_within(
            max(0, start - _BEFORE), start
        ):
            continue
        name = text[start:end].strip(".-")
        cls = classify(name)
        if cls is not NameClass.NONE:
            yield from _values_for(text, name, cls, start, end)


def _end_of_name(raw: bytes, pos: int) -> int:
    m = _NAME_RUN.match(raw, pos)
    return m.end() if m else pos


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
