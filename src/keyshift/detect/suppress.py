"""Values that look like credentials but are not, and inline allow comments.

Documentation examples and placeholders are kept as *suppressed* findings (shown with
``--show-suppressed``) rather than dropped, so an audit can still see them.
"""

from __future__ import annotations

import re

_ALLOW_SAME_LINE = ("keyshift: allow", "keyshift:allow", "pragma: allowlist secret", "gitleaks:allow")
_ALLOW_NEXT_LINE = (
    "pragma: allowlist nextline secret",
    "keyshift: allow-next-line",
    "keyshift:allow-next-line",
)
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_PLACEHOLDER_WORDS = ("EXAMPLE", "XXXXX", "PLACEHOLDER", "REPLACEME", "CHANGEME", "YOURKEY", "DUMMY")


def _ascending(alphabet: str, length: int) -> list[str]:
    return [alphabet[i : i + length] for i in range(len(alphabet) - length + 1)]


_UPPER, _LOWER, _DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz", "0123456789"
_SEQUENCE_6 = re.compile("|".join(_ascending(_UPPER, 6) + _ascending(_LOWER, 6) + _ascending(_DIGITS, 6)))
_REPEAT_5 = re.compile(r"(.)\1{4}")
_REPEAT_6 = re.compile(r"(.)\1{5}")


def key_id_placeholder(key_id: str) -> str | None:
    """Why a syntactically valid key ID is not a real one, or None."""
    body = key_id[4:]
    if "EXAMPLE" in key_id:
        return "example-key"
    # the first 8 characters encode the account, so small account numbers give runs of "A"
    # there; the last 8 are random in every real key.
    if any(word in body for word in _PLACEHOLDER_WORDS) or len(set(body)) <= 5:
        return "placeholder"
    if _SEQUENCE_6.search(body) or _REPEAT_5.search(body, 8):
        return "placeholder"
    return None


def _filler(value: str, *, distinct: int, repeat: re.Pattern[str]) -> str | None:
    """Why ``value`` is an example or filler rather than a credential, or None."""
    upper = value.upper()
    if "EXAMPLE" in upper:
        return "example-key"
    if (
        any(word in upper for word in _PLACEHOLDER_WORDS[1:])
        or len(set(value)) < distinct
        or _SEQUENCE_6.search(value)
        or repeat.search(value)
    ):
        return "placeholder"
    return None


def secret_placeholder(secret: str) -> str | None:
    """Why a 40-character value is not a real secret access key, or None."""
    return _filler(secret, distinct=12, repeat=_REPEAT_6)


_REPEAT_ALNUM_8 = re.compile(r"([A-Za-z0-9])\1{7}")


def token_placeholder(token: str) -> str | None:
    """Why a token-shaped value is not a real session token, or None.

    Real tokens hold runs of ``/`` (bytes 0xFF of their binary header: ``AQoDYXdzEJH//////////``),
    so only repeated letters and digits count as filler here.
    """
    return _filler(token, distinct=16, repeat=_REPEAT_ALNUM_8)


def plausible_secret(value: str) -> bool:
    """A 40-character base64 value shaped like a secret key: mixed case, not hex, not a word."""
    has_upper = has_lower = has_other = False
    for c in value:
        if c.isupper():
            has_upper = True
        elif c.islower():
            has_lower = True
        else:
            has_other = True
    return has_upper and has_lower and has_other


TOKEN_MIN_LENGTH = 100
SESSION_TOKEN_PREFIXES = ("IQoJb3JpZ2lu", "FwoGZXIvYXdzE", "FQoGZXIvYXdz", "AQoDYXdzE")


def plausible_session_token(value: str) -> bool:
    """Shaped like an STS session token: base64 well over 100 characters, mixed case and digits.

    Real tokens run to several hundred characters and usually start with one of
    ``SESSION_TOKEN_PREFIXES`` (the encoded header of every token STS issues); a hex digest
    (the 64 hex digits of SigV4 test vectors, the SHA-256 of an empty payload) or a short
    value is not one, whatever name it stands after.
    """
    if len(value) < TOKEN_MIN_LENGTH:
        return False
    has_upper = has_lower = has_digit = False
    for c in value:
        if c.isupper():
            has_upper = True
        elif c.islower():
            has_lower = True
        elif c.isdigit():
            has_digit = True
    return has_upper and has_lower and has_digit and len(set(value)) >= 16


class InlineAllows:
    """Which lines an allow comment covers; each line is searched once, however many hits it holds."""

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines
        self._same: dict[int, bool] = {}
        self._next: dict[int, bool] = {}

    def covers(self, line_no: int) -> bool:
        """``line_no`` (1-based) carries or follows an allow comment."""
        return self._has(line_no, _ALLOW_SAME_LINE, self._same) or self._has(
            line_no - 1, _ALLOW_NEXT_LINE, self._next
        )

    def _has(self, line_no: int, markers: tuple[str, ...], cache: dict[int, bool]) -> bool:
        found = cache.get(line_no)
        if found is None:
            line = self._lines[line_no - 1] if 0 < line_no <= len(self._lines) else ""
            found = cache[line_no] = any(marker in line for marker in markers)
        return found
