"""Values that look like credentials but are not, and inline allow comments.

Documentation examples and placeholders are kept as *suppressed* findings (shown with
``--show-suppressed``) rather than dropped, so an audit can still see them.
"""

from __future__ import annotations

import itertools

_ALLOW_SAME_LINE = ("keyshift: allow", "keyshift:allow", "pragma: allowlist secret", "gitleaks:allow")
_ALLOW_NEXT_LINE = (
    "pragma: allowlist nextline secret",
    "keyshift: allow-next-line",
    "keyshift:allow-next-line",
)
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_PLACEHOLDER_WORDS = ("EXAMPLE", "XXXXX", "PLACEHOLDER", "REPLACEME", "CHANGEME", "YOURKEY", "DUMMY")


def _has_run(value: str, length: int, *, same_ok: bool = False) -> bool:
    """A run of ``length`` identical (unless ``same_ok``) or consecutive-alphabet characters."""
    same = up = 1
    for prev, cur in itertools.pairwise(value):
        same = same + 1 if cur == prev else 1
        up = up + 1 if ord(cur) == ord(prev) + 1 else 1
        if (same >= length and not same_ok) or up >= length:
            return True
    return False


def key_id_placeholder(key_id: str) -> str | None:
    """Why a syntactically valid key ID is not a real one, or None."""
    body = key_id[4:]
    if "EXAMPLE" in key_id:
        return "example-key"
    # the first 8 characters encode the account, so small account numbers give runs of "A"
    # there; the last 8 are random in every real key.
    if any(word in body for word in _PLACEHOLDER_WORDS) or len(set(body)) <= 5:
        return "placeholder"
    if _has_run(body, 6, same_ok=True) or _has_run(body[8:], 5):
        return "placeholder"
    return None


def secret_placeholder(secret: str) -> str | None:
    """Why a 40-character value is not a real secret access key, or None."""
    upper = secret.upper()
    if "EXAMPLE" in upper:
        return "example-key"
    if any(word in upper for word in _PLACEHOLDER_WORDS[1:]) or len(set(secret)) < 12 or _has_run(secret, 6):
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
