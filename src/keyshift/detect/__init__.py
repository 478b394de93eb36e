"""Detection: the bytes of one file in, credential ``Finding``s out. Pure, offline, deterministic.

The hot path is ``might_contain`` (``prefilter.py``): a necessary condition checked at
memory speed, which rejects almost every file before any regex runs. Files that pass are
decoded as Latin-1 (lossless, so invalid UTF-8 is scanned too and offsets stay byte offsets)
and matched in three passes:
key IDs by pattern, secrets and tokens by the name they are assigned to, and unnamed secrets
standing next to a key ID (``Credentials("AKIA…", "…")``, CSV rows). Pairing then joins them.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from collections.abc import Iterator

from keyshift.awsnames import KEY_ID_PATTERN
from keyshift.detect.account import account_id
from keyshift.detect.carriers import carrier_of, dockerfile_instruction, section_ids
from keyshift.detect.dockerfile import Joined
from keyshift.detect.names import GLUE, NameClass, classify, is_key_id_name, name_before, normalise
from keyshift.detect.pairing import Hit, near_a_key, pair_hits
from keyshift.detect.prefilter import might_contain
from keyshift.detect.pyjoin import join_literals
from keyshift.detect.rules import rule_for
from keyshift.detect.suppress import inline_allowed, key_id_placeholder, plausible_secret, secret_placeholder
from keyshift.model import CredentialKind, Finding, Location, SourceKind
from keyshift.redact import sha1_hex

__all__ = ["detect_bytes", "detect_text", "might_contain"]

_KEY_ID = re.compile(KEY_ID_PATTERN)
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_WORD = _ALNUM | {"_"}  # a key ID stands on word boundaries

_SECRET_AFTER = re.compile(GLUE + r"(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])")
# JSON writers such as PHP's json_encode escape "/" as "\/"
_ESCAPED_SECRET_AFTER = re.compile(
    GLUE + r"(?<![A-Za-z0-9/+])((?:[A-Za-z0-9+]|\\/){40})(?![A-Za-z0-9/+=]|\\/)"
)
_TOKEN_AFTER = re.compile(
    GLUE + r"(?<![A-Za-z0-9/+%])([A-Za-z0-9/+%]{64,}={0,2}(?:%3D){0,2})(?![A-Za-z0-9/+=%])"
)
# name/value entries written value-first: {"value": "…", "name": "AWS_SECRET_ACCESS_KEY"}
_SECRET_BEFORE = re.compile(
    r"""(?i:value)["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})["']?\s*,?\s*(?:\r?\n\s*)?["']?(?i:name)["']?\s*[:=]\s*["']?\Z"""
)
# unnamed 40-character values next to a key ID: quoted or delimited tokens on nearby lines
_LOOSE_SECRET = re.compile(r"""(?:(?<=["'`,;|\s=:])|^)([A-Za-z0-9/+]{40})(?=["'`,;|\s)@]|$)""", re.M)
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_KEYWORDS = ("secret", "token")
# languages where "a" + "b" (and, in Python/C, "a" "b") concatenates string literals
_JOIN_CARRIERS = frozenset({"python", "javascript", "java", "go", "ruby", "php", "csharp"})
# Kubernetes Secret `data:` holds base64: 40 bytes -> 54 chars + "==", 20 bytes -> 27 chars + "="
_B64_SECRET_AFTER = re.compile(GLUE + r"(?<![A-Za-z0-9/+])([A-Za-z0-9/+]{54}==)(?![A-Za-z0-9/+=])")
_B64_KEY_ID = re.compile(r"(?<![A-Za-z0-9/+])(?:QUtJQ|QVNJQ|QUJJQ|QUNDQ)[A-Za-z0-9/+]{22}=(?![A-Za-z0-9/+=])")
_LOOSE_TOKEN = re.compile(r"""(?<=["'`,;|\s=:])([A-Za-z0-9/+]{100,}={0,2})(?=["'`,;|\s)@]|$)""", re.M)
_TOKEN_QUALIFIER = re.compile("session|security")
LOOSE_LINES = 3
GENERIC_DISTANCE = 4  # lines between a generic name (secret_key) and the key ID it needs

_NOTE_ENV_OVERRIDE = (
    "AWS credentials in the environment override the ECS task role: remove them from the deployment."
)
_NOTES_DOCKERFILE = {
    "ENV": "ENV values are stored in the image and override the ECS task role at run time.",
    "ARG": "ARG values are recorded in the image history and often become environment variables.",
    "RUN": "RUN command lines are recorded in the image history.",
    "LABEL": "LABEL values are stored in the image config.",
}
_ENV_NAMES = {"awsaccesskeyid", "awssecretaccesskey", "awssessiontoken", "awssecuritytoken"}


def detect_bytes(
    data: bytes, path: str, *, source: SourceKind = SourceKind.WORKTREE, inline_ignores: bool = True
) -> list[Finding]:
    """All credential values in one file's bytes; suppressed ones carry ``suppressed``."""
    if not might_contain(data):
        return []
    return detect_text(data.decode("latin-1"), path, source=source, inline_ignores=inline_ignores)


def detect_text(
    text: str, path: str, *, source: SourceKind = SourceKind.WORKTREE, inline_ignores: bool = True
) -> list[Finding]:
    carrier = carrier_of(path)
    original = text
    joined = None
    if carrier in _JOIN_CARRIERS:
        text = join_literals(text)
    elif carrier == "dockerfile":
        joined = Joined(text)
        text = joined.text
    hits = list(_key_hits(text))
    hits.extend(_named_hits(text))
    if any(h.kind is CredentialKind.ACCESS_KEY_ID for h in hits):
        hits.extend(_loose_hits(text, hits))
    if not hits:
        return []
    hits = _dedupe(hits)
    _locate(text, hits)
    lines = text.split("\n")
    hits = near_a_key(hits, GENERIC_DISTANCE)
    if not hits:
        return []
    sections = section_ids(lines, carrier)
    if carrier == "dockerfile":
        pair_hits(hits, [0] * len(sections), sections)
    else:
        pair_hits(hits, sections, [0] * len(sections))
    notes = [_note(h, carrier, lines, sections) for h in hits]
    if joined is not None:
        for h in hits:
            h.offset = joined.to_original(h.offset)
        _locate(original, hits)
        lines = original.split("\n")
        if source is SourceKind.WORKTREE:
            source = SourceKind.DOCKERFILE
    return [
        _finding(h, note, path, source, carrier, lines, inline_ignores)
        for h, note in zip(hits, notes, strict=True)
    ]


def _note(h: Hit, carrier: str, lines: list[str], sections: list[int]) -> str | None:
    if carrier == "dockerfile":
        return _NOTES_DOCKERFILE.get(dockerfile_instruction(lines, sections, h.line) or "")
    return _NOTE_ENV_OVERRIDE if _sets_environment(h, carrier) else None


def _key_hits(text: str) -> Iterator[Hit]:
    for m in _KEY_ID.finditer(text):
        start, end = m.span()
        if (start and text[start - 1] in _WORD) or (end < len(text) and text[end] in _WORD):
            continue
        yield Hit(CredentialKind.ACCESS_KEY_ID, m.group(0), start, name=name_before(text, start))
    if "QUtJQ" in text or "QVNJQ" in text or "QUJJQ" in text or "QUNDQ" in text:
        for m in _B64_KEY_ID.finditer(text):
            decoded = _b64(m.group(0))
            if decoded is not None and _KEY_ID.fullmatch(decoded):
                yield Hit(CredentialKind.ACCESS_KEY_ID, decoded, m.start(), name=name_before(text, m.start()))


def _b64(value: str) -> str | None:
    """A base64 value decoded to ASCII text, or None."""
    try:
        raw = base64.b64decode(value, validate=True)
        return raw.decode("ascii")
    except (binascii.Error, ValueError):
        return None


def _keyword_positions(lower: str) -> Iterator[int]:
    for word in _KEYWORDS:
        pos = lower.find(word)
        while pos != -1:
            yield pos
            pos = lower.find(word, pos + len(word))


def _named_hits(text: str) -> Iterator[Hit]:
    seen_names: set[tuple[int, int]] = set()
    lower = text.lower()
    for pos in _keyword_positions(lower):
        if lower.startswith("token", pos) and not _TOKEN_QUALIFIER.search(lower, max(0, pos - 10), pos):
            continue  # only session/security tokens are AWS credentials
        start = pos
        while start and text[start - 1] in _NAME_CHARS:
            start -= 1
        end = pos
        while end < len(text) and text[end] in _NAME_CHARS:
            end += 1
        if (start, end) in seen_names:
            continue
        seen_names.add((start, end))
        name = text[start:end].strip(".-")
        cls = classify(name)
        if cls is NameClass.NONE:
            continue
        if cls is NameClass.SESSION_TOKEN:
            m = _TOKEN_AFTER.match(text, end)
            if m:
                value = urllib.parse.unquote(m.group(1)) if "%" in m.group(1) else m.group(1)
                yield Hit(CredentialKind.SESSION_TOKEN, value, m.start(1), name=name)
            continue
        m = _SECRET_AFTER.match(text, end)
        if m is None and "\\/" in text[end : end + 160]:
            escaped = _ESCAPED_SECRET_AFTER.match(text, end)
            if escaped is not None:
                value = escaped.group(1).replace("\\/", "/")
                if plausible_secret(value):
                    explicit = cls is NameClass.AWS_SECRET
                    yield Hit(
                        CredentialKind.SECRET_ACCESS_KEY,
                        value,
                        escaped.start(1),
                        name=name,
                        explicit=explicit,
                    )
                continue
        offset = m.start(1) if m else -1
        if m is None and (encoded := _B64_SECRET_AFTER.match(text, end)):
            decoded = _b64(encoded.group(1))
            if decoded is not None and len(decoded) == 40 and plausible_secret(decoded):
                explicit = cls is NameClass.AWS_SECRET
                yield Hit(
                    CredentialKind.SECRET_ACCESS_KEY, decoded, encoded.start(1), name=name, explicit=explicit
                )
            continue
        if m is None:
            back = _SECRET_BEFORE.search(text, max(0, start - 160), start)
            if back is None:
                continue
            m, offset = back, back.start(1)
        value = m.group(1)
        if plausible_secret(value):
            yield Hit(
                CredentialKind.SECRET_ACCESS_KEY,
                value,
                offset,
                name=name,
                explicit=cls is NameClass.AWS_SECRET,
            )


def _loose_hits(text: str, hits: list[Hit]) -> Iterator[Hit]:
    """Unnamed secrets within ``LOOSE_LINES`` lines of a key ID."""
    taken = {h.offset for h in hits}
    for key in [h for h in hits if h.kind is CredentialKind.ACCESS_KEY_ID]:
        begin = text.rfind("\n", 0, key.offset) + 1
        for _ in range(LOOSE_LINES):
            if begin == 0:
                break
            begin = text.rfind("\n", 0, begin - 1) + 1
        stop = key.offset
        for _ in range(LOOSE_LINES + 1):
            nxt = text.find("\n", stop + 1)
            if nxt == -1:
                stop = len(text)
                break
            stop = nxt
        if key.value.startswith("ASIA"):
            for m in _LOOSE_TOKEN.finditer(text, begin, stop):
                if m.start(1) not in taken and plausible_secret(m.group(1)):
                    taken.add(m.start(1))
                    yield Hit(CredentialKind.SESSION_TOKEN, m.group(1), m.start(1), name=None, explicit=False)
        for m in _LOOSE_SECRET.finditer(text, begin, stop):
            value = m.group(1)
            if m.start(1) in taken or not plausible_secret(value) or _mostly_letters(value):
                continue
            taken.add(m.start(1))
            yield Hit(CredentialKind.SECRET_ACCESS_KEY, value, m.start(1), name=None, explicit=False)


def _mostly_letters(value: str) -> bool:
    """Identifiers and words (``ThisIsALongCamelCaseIdentifierNameHere``) are not secrets."""
    digits_or_symbols = sum(1 for c in value if not c.isalpha())
    return digits_or_symbols < 2


def _dedupe(hits: list[Hit]) -> list[Hit]:
    best: dict[int, Hit] = {}
    for h in hits:
        if h.offset not in best or (h.name and not best[h.offset].name):
            best[h.offset] = h
    return sorted(best.values(), key=lambda h: h.offset)


def _locate(text: str, hits: list[Hit]) -> None:
    line, last = 1, 0
    line_start = 0
    for h in hits:
        line += text.count("\n", last, h.offset)
        if line > 1:
            line_start = text.rfind("\n", 0, h.offset) + 1
        h.line, h.column = line, h.offset - line_start + 1
        last = h.offset


def _finding(
    h: Hit,
    note: str | None,
    path: str,
    source: SourceKind,
    carrier: str,
    lines: list[str],
    inline_ignores: bool,
) -> Finding:
    is_key = h.kind is CredentialKind.ACCESS_KEY_ID
    key_id = h.value if is_key else h.key_id
    suppressed = key_id_placeholder(h.value) if is_key else secret_placeholder(h.value)
    if suppressed is None and inline_ignores and inline_allowed(lines, h.line):
        suppressed = "inline-allow"
    value_sha1 = sha1_hex(h.value)
    return Finding(
        rule_id=rule_for(h.kind, carrier),
        kind=h.kind,
        key_id=key_id,
        secret_sha1=None if is_key else value_sha1,
        account_id=account_id(key_id) if key_id else None,
        value_sha1=value_sha1,
        location=Location(path, h.line, h.column),
        source=source,
        carrier=carrier,
        context_name=h.name,
        note=note,
        suppressed=suppressed,
    )


def _sets_environment(h: Hit, carrier: str) -> bool:
    """The value is assigned to an AWS_* environment variable of a deployment (.env, compose, task def)."""
    if not h.name:
        return False
    if normalise(h.name) in _ENV_NAMES and carrier in ("env", "yaml", "json", "shell"):
        return True
    return h.kind is CredentialKind.ACCESS_KEY_ID and is_key_id_name(h.name) and carrier in ("env", "shell")
