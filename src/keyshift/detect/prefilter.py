"""The hot path: decide at memory speed whether bytes can hold a credential at all.

A necessary condition for any detector hit, checked without a regex over the whole text:

- a key ID carries its prefix (``AKIA``, ``ASIA``, ``ABIA``, ``ACCA``), and
- a secret or token is assigned to a name containing "secret" or "token" (or stands next to a
  key ID), and its value is a run of at least 40 base64 characters — unless it is base64
  encoded itself (Kubernetes Secrets, a key ID's encoded prefix) or split over string literals
  right after its name (``("wJal" "rXUt…")``).

Most source files mention "token" or "secret"; few of them also hold a 40-character run, so
this sends far fewer files to the regexes than a keyword test alone. Each step is one
``bytes.translate`` or substring search, all running in C.
"""

from __future__ import annotations

import re

_KEY_PREFIX = re.compile(rb"A[KSBC][IC]A")  # AKIA ASIA ABIA ACCA (and harmless extras)
_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
# base64, URL-encoding and escape characters -> 1, everything else -> 0
_VALUE_CHARS = bytes(
    1 if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "/+%=\\") else 0 for c in range(256)
)
_VALUE_RUN = b"\x01" * 40
_ENCODED_KEY_PREFIXES = (b"QUtJQ", b"QVNJQ", b"QUJJQ", b"QUNDQ")  # base64 of AKIA/ASIA/ABIA/ACCA
_NAME_AND_GLUE = 160
_SPLIT_AFTER_NAME = re.compile(
    rb"[A-Za-z0-9_.\-]*"
    rb"""(?:[ \t\r\n"'`\\:=>,({\[\]$@|;]|&quot;){0,48}?"""
    rb"""[rRuU]?["'][A-Za-z0-9/+=]{1,64}["'][ \t]*(?:\+|\\?\r?\n[ \t]*(?:\+[ \t]*)?[rRuU]?["']|[rRuU]?["'])"""
)


def might_contain(data: bytes) -> bool:
    """False only when no detector could find anything in ``data``."""
    if _KEY_PREFIX.search(data):
        return True
    lower = data.translate(_LOWER)
    firsts = [(lower.find(word), word) for word in (b"secret", b"token")]
    if all(start == -1 for start, _ in firsts):
        return False
    if _VALUE_RUN in data.translate(_VALUE_CHARS):
        return True
    if any(prefix in data for prefix in _ENCODED_KEY_PREFIXES):
        return True
    for start, word in firsts:
        while start != -1:
            end = start + len(word)
            window_end = end + _NAME_AND_GLUE
            has_quote = data.find(b'"', end, window_end) != -1 or data.find(b"'", end, window_end) != -1
            if has_quote and _SPLIT_AFTER_NAME.match(data, end):
                return True
            start = lower.find(word, end)
    return False
