"""The hot path: decide at memory speed whether bytes can hold a credential at all.

A necessary condition for any detector hit, checked without a regex over the whole text:

- a key ID carries its prefix (``AKIA``, ``ASIA``, ``ABIA``, ``ACCA``), plain or base64 encoded;
- a secret or token is assigned to a name containing "secret" or "token" (or stands next to a
  key ID), and its value is a run of at least 40 base64 characters within a short window of
  that name, or is split over string literals right after it (``("wJal" "rXUt…")``).

Most source files mention "token" or "secret"; few also hold a 40-character run next to such
a name, so this sends far fewer files to the regexes than a keyword test. Each window costs
one ``bytes.translate`` and one search in C; a file with names on every few lines is checked
with whole-file passes instead. Every source (tree, history, images) uses this one function;
the tests hold it to the detectors: whatever they find, this lets through.
"""

from __future__ import annotations

import re

_KEY_PREFIX = re.compile(rb"A[KSBC][IC]A")  # AKIA ASIA ABIA ACCA (and harmless extras)
_ENCODED_KEY_PREFIX = re.compile(rb"Q(?:UtJQ|VNJQ|UJJQ|UNDQ)")  # the same, base64 encoded
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
# base64, URL-encoding and escape characters -> 1, everything else -> 0
_VALUE_CHARS = bytes(
    1 if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "/+%=\\") else 0 for c in range(256)
)
_VALUE_RUN = b"\x01" * 40
_BEFORE = 160  # a value written before its name ({"value": "…", "name": "…"})
_AFTER = 512  # the detectors' glue: up to 48 tokens (words of up to 9 letters) after a name
_WINDOWS = 32  # names checked one window at a time before whole-file passes are cheaper
_SPLIT_AFTER_NAME = re.compile(
    rb"[A-Za-z0-9_.\-]*"
    rb"""(?:[ \t\r\n"'`\\:=>,({\[\]$@|;]|&quot;){0,48}?"""
    rb"""[rRuU]?["'][A-Za-z0-9/+=]{1,64}["'][ \t]*(?:\+|\\?\r?\n[ \t]*(?:\+[ \t]*)?[rRuU]?["']|[rRuU]?["'])"""
)


def might_contain(data: bytes) -> bool:
    """False only when no detector could find anything in ``data``."""
    if _KEY_PREFIX.search(data) or _ENCODED_KEY_PREFIX.search(data):
        return True
    lower = data.translate(_LOWER)
    starts = [(lower.find(word), word) for word in (b"secret", b"token")]
    if all(start == -1 for start, _ in starts):
        return False
    budget = _WINDOWS + len(data) // 512  # a window costs about as much as 512 bytes of whole pass
    for start, word in starts:
        while start != -1:
            budget -= 1
            if budget < 0:
                return _VALUE_RUN in data.translate(_VALUE_CHARS) or _split_after_any(data, lower)
            end = start + len(word)
            if _VALUE_RUN in data[max(0, start - _BEFORE) : end + _AFTER].translate(_VALUE_CHARS):
                return True
            if _split_after(data, end):
                return True
            start = lower.find(word, end)
    return False


def _split_after(data: bytes, end: int) -> bool:
    limit = end + _AFTER
    quoted = data.find(b'"', end, limit) != -1 or data.find(b"'", end, limit) != -1
    return quoted and _SPLIT_AFTER_NAME.match(data, end) is not None


def _split_after_any(data: bytes, lower: bytes) -> bool:
    if b'"' not in data and b"'" not in data:
        return False
    for word in (b"secret", b"token"):
        start = lower.find(word)
        while start != -1:
            if _split_after(data, start + len(word)):
                return True
            start = lower.find(word, start + len(word))
    return False
