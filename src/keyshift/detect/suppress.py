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


def secret_placeholder(secret: str) -> str | None:
    """Why a 40-character value is not a real secret access key, or None."""
    upper = secret.upper()
    if "EXAMPLE" in upper:
        return "example-key"
    if (
        any(word in upper for word in _PLACEHOLDER_WORDS[1:])
        or len(set(secret)) < 12
        or _SEQUENCE_6.search(secret)
        or _REPEAT_6.search(secret)
    ):
        return "placeholder"
    return None


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


def inline_allowed(lines: list[str], line_no: int) -> bool:
    """``line_no`` (1-based) carries or follows an allow comment."""
    line = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    if any(marker in line for marker in _ALLOW_SAME_LINE):
        return True
    prev = lines[line_no - 2] if line_no >= 2 else ""
    return any(marker in prev for marker in _ALLOW_NEXT_LINE)
