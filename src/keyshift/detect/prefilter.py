"""The hot path: decide at memory speed whether bytes can hold a credential at all.

A necessary condition for any detector hit, checked in C (``re``, ``bytes.translate``,
``bytes.find``) before any detector runs:

- a key ID has its full shape, ``awsnames.KEY_ID_PATTERN``, or is cut right after
  such a prefix by a quote or an escape character (a literal split in two: ``"AKIA" "QX…"``,
  a Dockerfile continuation), or is base64 encoded (``QUtJQ…``);
- without a key ID, the detectors only report a value named as AWS's own: a secret assigned to
  a name such as ``aws_secret_access_key``/``SecretAccessKey`` (a generic ``secret`` needs a key
  ID nearby) or a token assigned to ``session_token``/``security_token`` (``NextToken`` is not
  one). Its value is a run of at least 40 base64 characters with upper case, lower case and a
  digit or symbol (an identifier is all letters), or of 64 and more for a token, within a short
  window of the name; or it is split over string literals right after the name.

Real repositories are full of what a keyword test lets through: service models where
``NextToken`` and ``SessionToken`` stand next to 40-letter identifiers thousands of times per
file. Those pass neither test. Every step is linear: names and value runs are each found once
and matched by position. Every source (tree, history, images) uses this one function; the
tests hold it to the detectors: whatever they find, this lets through.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from keyshift.awsnames import KEY_ID_PREFIXES

# a whole key ID, or its prefix cut by a quote/escape (joined by the literal or continuation joiners)
_KEY_ID = re.compile(
    ("(?:" + "|".join(KEY_ID_PREFIXES) + ")").encode() + rb"(?:[A-Z2-7]{16}|[A-Z2-7]{0,15}[\"'\\`])"
)
_ENCODED_KEY_PREFIX = re.compile(rb"Q(?:UtJQ|VNJQ|UJJQ|UNDQ)")  # the same prefixes, base64 encoded
# base64, URL-encoding and escape characters -> 1, everything else -> 0
_VALUE_CHARS = bytes(
    1 if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "/+%=\\") else 0 for c in range(256)
)
_VALUE_RUN = b"\x01" * 40
_TOKEN_RUN = 64
_BEFORE = 160  # a value written before its name ({"value": "…", "name": "…"})
_AFTER = 512  # the detectors' glue: up to 48 tokens (words of up to 9 letters) after a name
_NAME_REACH = 256  # identifier characters looked at around a keyword; longer names pass unclassified
# identifier characters (the detectors' name characters) -> 1
_NAME_TABLE = bytes(
    1 if chr(c).isascii() and (chr(c).isalnum() or chr(c) in "_.-") else 0 for c in range(256)
)
_UPPER = re.compile(rb"[A-Z]")
_LOWERCASE = re.compile(rb"[a-z]")
_OTHER = re.compile(rb"[^A-Za-z]")
_SECRET = re.compile(rb"secret")
# names.classify needs "sessiontoken"/"securitytoken" once non-alphanumerics are dropped
_QUALIFIED_TOKEN = (re.compile(rb"session[_.\-]*token"), re.compile(rb"security[_.\-]*token"))
_UNCLASSIFIED: list[tuple[int, int]] = [(-1, -1)]  # sentinel: a keyword inside a 256+ character name
_NON_ALNUM = re.compile(rb"[^a-z0-9]")
_SPLIT_AFTER_NAME = re.compile(
    rb"[A-Za-z0-9_.\-]*"
    rb"""(?:[ \t\r\n"'`\\:=>,({\[\]$@|;]|&quot;){0,48}?"""
    rb"""[rRuU]?["'][A-Za-z0-9/+=]{1,64}["'][ \t]*(?:\+|\\?\r?\n[ \t]*(?:\+[ \t]*)?[rRuU]?["']|[rRuU]?["'])"""
)


def might_contain(data: bytes) -> bool:
    """False only when no detector could find anything in ``data``."""
    spans = _ENGINE(data)
    if spans is None:
        return True  # a key ID, plain, split or encoded
    names = _explicit_names(data, spans)
    if names is _UNCLASSIFIED:
        return True
    if not names:
        return False
    if (b'"' in data or b"'" in data) and any(_SPLIT_AFTER_NAME.match(data, end) for _, end in names):
        return True
    ends = [end for _, end in names]  # names never overlap, so ends are sorted like starts
    mask = data.translate(_VALUE_CHARS)
    pos = mask.find(_VALUE_RUN)
    while pos != -1:
        end = mask.find(b"\x00", pos)
        if end == -1:
            end = len(data)
        if _shaped(data[pos:end]):
            # the first name ending at most _AFTER before the run; it must start by _BEFORE after it
            i = bisect.bisect_left(ends, pos - _AFTER)
            if i < len(names) and names[i][0] <= end + _BEFORE:
                return True
        pos = mask.find(_VALUE_RUN, end)
    return False


def _python_spans(data: bytes) -> list[tuple[int, int]] | None:
    """None for a key ID, else the keyword spans (``_keywords``), with ``re`` and byte searches."""
    if _KEY_ID.search(data) or _ENCODED_KEY_PREFIX.search(data):
        return None
    return _keywords(data.lower())  # ASCII letters only, like the detectors' names


def _compiled_engine() -> Callable[[bytes], list[tuple[int, int]] | None] | None:
    """The same question in one pass of Hyperscan (Vectorscan), when its Python binding is installed.

    Five patterns in one database: the key-ID and encoded-prefix patterns stop the scan, the
    keywords (case-insensitive) report where they end. It answers exactly what ``_python_spans``
    answers (a test holds the two together), about seven times faster on real histories.
    """
    try:
        import hyperscan
    except ImportError:
        return None
    patterns = (
        _KEY_ID.pattern,
        _ENCODED_KEY_PREFIX.pattern,
        _SECRET.pattern,
        *(p.pattern for p in _QUALIFIED_TOKEN),
    )
    caseless = hyperscan.HS_FLAG_CASELESS
    database = hyperscan.Database()
    database.compile(
        expressions=list(patterns),
        ids=list(range(len(patterns))),
        elements=len(patterns),
        flags=[0, 0, caseless, caseless, caseless],
    )
    lengths = (0, 0, len(b"secret"), len(b"token"), len(b"token"))

    def spans(data: bytes) -> list[tuple[int, int]] | None:
        found: list[tuple[int, int]] = []

        def on_match(ident: int, _start: int, end: int, _flags: int, _context: object) -> bool:
            if ident < 2:
                return True  # stop: a key ID
            found.append((end - lengths[ident], end))
            return False

        try:
            database.scan(data, match_event_handler=on_match)
        except hyperscan.ScanTerminated:
            return None
        found.sort()
        return found

    return spans


def _shaped(run: bytes) -> bool:
    """A secret (upper, lower and a digit or symbol) or a token-length run; not an identifier."""
    if len(run) >= _TOKEN_RUN:
        return True
    return bool(_UPPER.search(run) and _LOWERCASE.search(run) and _OTHER.search(run))


def _explicit_names(data: bytes, keywords: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of every name that carries a value without a key ID: AWS secret or session token.

    Mirrors ``names.classify``: a name is the run of identifier characters around the keyword;
    "token" counts with "session"/"security", "secret" with "aws" or "access". Each keyword is
    looked at once and a name once, however many keywords it holds, so this stays linear; a
    name longer than ``_NAME_REACH`` on either side ends the search with ``_UNCLASSIFIED``.
    """
    out: list[tuple[int, int]] = []
    size = len(data)
    taken = -1
    for pos, after in keywords:
        if pos < taken:
            continue  # a keyword inside the name just classified
        floor = max(0, pos - _NAME_REACH)
        ceiling = min(size, after + _NAME_REACH)
        idents = data[floor:ceiling].translate(_NAME_TABLE)
        start = floor + idents.rfind(b"\x00", 0, pos - floor) + 1
        cut = idents.find(b"\x00", after - floor)
        end = ceiling if cut == -1 else floor + cut
        taken = end
        if (start == floor and floor > 0 and _NAME_TABLE[data[floor - 1]]) or (
            end == ceiling < size and _NAME_TABLE[data[end]]
        ):
            return _UNCLASSIFIED  # a name too long to classify cheaply: let the detectors decide
        name = _NON_ALNUM.sub(b"", data[start:end].lower())
        if (
            b"sessiontoken" in name
            or b"securitytoken" in name
            or b"secretaccess" in name
            or (b"aws" in name and b"secret" in name)
        ):
            out.append((start, end))
    return out


def _keywords(lower: bytes) -> list[tuple[int, int]]:
    """Spans of "secret" and of "token" right after "session"/"security" (``NextToken`` is not looked at).

    Each search is a whole pass over the file, so the common case (neither word) costs two.
    """
    spans: list[tuple[int, int]] = []
    if b"secret" in lower:
        spans += [m.span() for m in _SECRET.finditer(lower)]
    if b"token" in lower:
        spans += [(m.end() - 5, m.end()) for pattern in _QUALIFIED_TOKEN for m in pattern.finditer(lower)]
    spans.sort()
    return spans


_ENGINE: Callable[[bytes], list[tuple[int, int]] | None] = _compiled_engine() or _python_spans
