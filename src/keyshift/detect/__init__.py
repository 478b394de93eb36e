"""Detection: bytes of one file in, credential ``Finding``s out. Pure, offline, deterministic.

(First slice: key IDs only; carriers, secrets, tokens and pairing follow.)
"""

from __future__ import annotations

import re

from keyshift.detect.account import account_id
from keyshift.model import CredentialKind, Finding, Location, SourceKind
from keyshift.redact import sha1_hex

_KEY_ID = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])")


_PREFILTER = (b"AKIA", b"ASIA", b"ABIA", b"ACCA", b"ecret", b"ECRET", b"oken", b"OKEN")


def might_contain(data: bytes) -> bool:
    """Cheap test run before any regex: can this data hold a credential at all?"""
    return any(word in data for word in _PREFILTER)


def detect_bytes(
    data: bytes, path: str, *, source: SourceKind = SourceKind.WORKTREE, inline_ignores: bool = True
) -> list[Finding]:
    """All credential values in one file's bytes; suppressed ones carry ``suppressed``."""
    text = data.decode("latin-1")
    out = []
    for m in _KEY_ID.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        key = m.group(0)
        out.append(
            Finding(
                rule_id="KS001",
                kind=CredentialKind.ACCESS_KEY_ID,
                key_id=key,
                secret_sha1=None,
                account_id=account_id(key),
                value_sha1=sha1_hex(key),
                location=Location(path, line, m.start() - text.rfind("\n", 0, m.start())),
                source=source,
            )
        )
    return out
