"""Offline facts carried inside an access key ID.

Since 2019 the 16 base32 characters after the prefix encode the owning account: the first six
decoded bytes, masked with ``0x7fffffffff80`` and shifted right by 7, are the 12-digit account ID.
"""

from __future__ import annotations

import base64
import binascii

_ACCOUNT_MASK = 0x7FFFFFFFFF80


def account_id(key_id: str) -> str | None:
    """The 12-digit account that owns ``key_id``, or None when it cannot be decoded."""
    if len(key_id) != 20:
        return None
    try:
        raw = base64.b32decode(key_id[4:])
    except (binascii.Error, ValueError):
        return None
    number = (int.from_bytes(raw[:6], "big") & _ACCOUNT_MASK) >> 7
    if number > 999_999_999_999:
        return None
    return f"{number:012d}"


def key_type(key_id: str) -> str:
    """Human name of a key ID's prefix."""
    return {
        "AKIA": "long-term access key (IAM user)",
        "ASIA": "temporary access key (STS)",
        "ABIA": "AWS STS service bearer token",
        "ACCA": "context-specific credential",
    }.get(key_id[:4], "unknown")
