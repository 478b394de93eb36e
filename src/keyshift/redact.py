"""The one place that hides credential values.

Secret access keys and session tokens never leave keyshift: reporters and the error handler
only ever see their SHA-1. ``scrub`` is the last line of defence for free text (exception
messages, subprocess stderr) that might carry one by accident. Key IDs are identifiers users
need to revoke keys, so they are shown unless ``mask_key_id`` is asked for (``--redact``).
"""

from __future__ import annotations

import hashlib
import re

from keyshift.awsnames import KEY_ID_TOKEN as _KEY_ID

# Anything that could be a secret access key (40 base64 chars) or a session token (long base64).
_SECRETISH = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])|[A-Za-z0-9/+]{60,}={0,2}")


def sha1_hex(value: str) -> str:
    """SHA-1 hex of a value, as detect-secrets' ``hashed_secret``."""
    return hashlib.sha1(value.encode("utf-8"), usedforsecurity=False).hexdigest()


def mask_key_id(key_id: str) -> str:
    """``AKIAABCDEFGHIJKLWXYZ`` -> ``AKIA…WXYZ``."""
    return f"{key_id[:4]}…{key_id[-4:]}" if len(key_id) > 8 else "…"


def _looks_secret(candidate: str) -> bool:
    has_upper = any(c.isupper() for c in candidate)
    has_lower = any(c.islower() for c in candidate)
    return has_upper and has_lower


def scrub(text: str, *, mask_key_ids: bool = False) -> str:
    """Replace anything secret-shaped in free text by a hash marker (and key IDs, if asked)."""

    def _replace(match: re.Match[str]) -> str:
        value = match.group(0)
        if not _looks_secret(value):
            return value
        return f"<redacted sha1:{sha1_hex(value)[:12]}>"

    text = _SECRETISH.sub(_replace, text)
    if mask_key_ids:
        text = _KEY_ID.sub(lambda m: mask_key_id(m.group(0)), text)
    return text
