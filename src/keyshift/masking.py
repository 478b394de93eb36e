"""Mask in a copied file every value the scanner flags, using the scanner itself.

keyshift writes copies of deployment files (the patched task definitions under
``roles/*/taskdefs/``). Removing a fixed list of variable names is not enough: a secret under
``BACKUP_AWS_SECRET_ACCESS_KEY``, a token under the legacy ``AWS_SECURITY_TOKEN`` or a key inside a
container ``command`` would be copied raw, although ``scan`` flags each of them. So the copy's own
text is scanned with the same detectors (inline allow comments ignored), each finding's value is
located from its line, column and SHA-1, and replaced by the marker ``keyshift.redact`` uses; the
result then passes ``redact.scrub`` like every other output.
"""

from __future__ import annotations

import re

from keyshift.detect import detect_bytes
from keyshift.model import CredentialKind, Finding
from keyshift.redact import mask_key_id, scrub, sha1_hex

_VALUE_CHARS = re.compile(r"[A-Za-z0-9/+=%\\]+")
_ROUNDS = 4  # masking one value can expose the pairing of another: scan again until clean


def _value_at(line: str, column: int, value_sha1: str) -> str | None:
    """The value a finding points at: the prefix of the token at ``column`` whose SHA-1 matches."""
    match = _VALUE_CHARS.match(line, max(column - 1, 0))
    if match is None:
        return None
    token = match.group(0)
    for end in range(len(token), 0, -1):
        if sha1_hex(token[:end]) == value_sha1:
            return token[:end]
    return None


def _marker(finding: Finding, value: str) -> str:
    if finding.kind is CredentialKind.ACCESS_KEY_ID:
        return mask_key_id(value)
    return f"<redacted sha1:{sha1_hex(value)[:12]}>"


def mask_findings(text: str, path: str) -> tuple[str, list[Finding]]:
    """``text`` with every flagged value masked, and the findings that were masked."""
    masked: list[Finding] = []
    for _ in range(_ROUNDS):
        data = text.encode("utf-8", "surrogateescape")
        findings = detect_bytes(data, path, inline_ignores=False)
        if not findings:
            break
        lines = data.decode("latin-1").split("\n")
        values: dict[str, str] = {}
        for finding in findings:
            line = finding.location.line
            if not 1 <= line <= len(lines):
                continue
            value = _value_at(lines[line - 1], finding.location.column or 1, finding.value_sha1)
            if value is not None:
                values[value] = _marker(finding, value)
                masked.append(finding)
        if not values:
            break
        for value in sorted(values, key=len, reverse=True):
            data = data.replace(value.encode("latin-1"), values[value].encode("utf-8"))
        text = data.decode("utf-8", "surrogateescape")
    return scrub(text), masked
