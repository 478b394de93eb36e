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
from collections.abc import Iterator

from keyshift.detect import prefilter
from keyshift.detect.account import account_id
from keyshift.detect.carriers import carrier_of, dockerfile_instructions, section_ids
from keyshift.detect.dockerfile import Joined
from keyshift.detect.lines import Lines
from keyshift.detect.named import latin1_bytes, named_hits
from keyshift.detect.names import is_key_id_name, name_before, normalise
from keyshift.detect.pairing import Hit, near_a_key, pair_hits
from keyshift.detect.pyjoin import join_literals
from keyshift.detect.rules import rule_for
from keyshift.detect.suppress import InlineAllows, key_id_placeholder, plausible_secret, secret_placeholder
from keyshift.model import CredentialKind, Finding, Location, Secret, SourceKind
from keyshift.redact import sha1_hex

__all__ = ["detect_bytes", "detect_text", "might_contain"]

KEY_ID_PATTERN = r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}"
_KEY_ID = re.compile(KEY_ID_PATTERN.encode())
_KEY_ID_TEXT = re.compile(KEY_ID_PATTERN)
# key IDs stand on word boundaries
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
# unnamed 40-character values next to a key ID: quoted or delimited tokens on nearby lines
_LOOSE_SECRET = re.compile(r"""(?:(?<=["'`,;|\s=:])|^)([A-Za-z0-9/+]{40})(?=["'`,;|\s)@]|$)""", re.M)
# languages where "a" + "b" (and, in Python/C, "a" "b") concatenates string literals
_JOIN_CARRIERS = frozenset({"python", "javascript", "java", "go", "ruby", "php", "csharp"})
_ENCODED_PREFIX = re.compile(b"Q(?:UtJQ|VNJQ|UJJQ|UNDQ)")  # AKIA ASIA ABIA ACCA, base64 encoded
_B64_KEY_ID = re.compile(r"(?<![A-Za-z0-9/+])(?:QUtJQ|QVNJQ|QUJJQ|QUNDQ)[A-Za-z0-9/+]{22}=(?![A-Za-z0-9/+=])")
_LOOSE_TOKEN = re.compile(r"""(?<=["'`,;|\s=:])([A-Za-z0-9/+]{100,}+={0,2})(?=["'`,;|\s)@]|$)""", re.M)
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


_last_checked: tuple[bytes, bool] | None = None


def might_contain(data: bytes) -> bool:
    """``prefilter.might_contain``, remembering its last answer.

    Every source checks the prefilter before calling ``detect_bytes``, which checks it again
    (and the history scan probes one blob under three paths): the same bytes object is then
    answered from memory instead of being read up to four times.
    """
    global _last_checked
    last = _last_checked
    if last is not None and last[0] is data:
        return last[1]
    answer = prefilter.might_contain(data)
    _last_checked = (data, answer)
    return answer


def detect_bytes(
    data: bytes, path: str, *, source: SourceKind = SourceKind.WORKTREE, inline_ignores: bool = True
) -> list[Finding]:
    """All credential values in one file's bytes; suppressed ones carry ``suppressed``.

    The bytes are read as they are: callers decide text or binary (and decode UTF-16) with
    ``textkind.as_scannable`` first.
    """
    if not might_contain(data):
        return []
    return _detect(data.decode("latin-1"), data, path, source, inline_ignores)


def detect_text(
    text: str, path: str, *, source: SourceKind = SourceKind.WORKTREE, inline_ignores: bool = True
) -> list[Finding]:
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:  # detection works on one character per byte
        raw = text.encode("utf-8", "surrogatepass")
        text = raw.decode("latin-1")
    return _detect(text, raw, path, source, inline_ignores)


def _detect(text: str, raw: bytes, path: str, source: SourceKind, inline_ignores: bool) -> list[Finding]:
    """``raw`` is ``text`` as bytes (its Latin-1 encoding)."""
    carrier = carrier_of(path)
    original = text
    joined = None
    if carrier in _JOIN_CARRIERS:
        text = join_literals(text)
    elif carrier == "dockerfile":
        joined = Joined(text)
        text = joined.text
    if text is not original:
        raw = latin1_bytes(text)
    hits = list(_key_hits(text, raw))
    hits.extend(named_hits(text, raw))
    if not hits:
        return []
    lines = Lines(text)
    if any(h.kind is CredentialKind.ACCESS_KEY_ID for h in hits):
        hits.extend(_loose_hits(text, hits, lines))
    hits = _dedupe(hits)
    _locate(lines, hits)
    hits = near_a_key(hits, GENERIC_DISTANCE)
    if not hits:
        return []
    sections = section_ids(lines.lines, carrier)
    if carrier == "dockerfile":
        pair_hits(hits, [0] * len(sections), sections)
    else:
        pair_hits(hits, sections, [0] * len(sections))
    instructions = dockerfile_instructions(lines.lines, sections) if carrier == "dockerfile" else {}
    notes = [_note(h, carrier, instructions, sections) for h in hits]
    if joined is not None:
        for h in hits:
            h.offset = joined.to_original(h.offset)
        lines = Lines(original)
        _locate(lines, hits)
        if source is SourceKind.WORKTREE:
            source = SourceKind.DOCKERFILE
    allows = InlineAllows(lines.lines) if inline_ignores else None
    return [_finding(h, note, path, source, carrier, allows) for h, note in zip(hits, notes, strict=True)]


def _note(h: Hit, carrier: str, instructions: dict[int, str | None], sections: list[int]) -> str | None:
    if carrier == "dockerfile":
        return _NOTES_DOCKERFILE.get(instructions.get(sections[h.line]) or "")
    return _NOTE_ENV_OVERRIDE if _sets_environment(h, carrier) else None


def _key_hits(text: str, raw: bytes) -> Iterator[Hit]:
    for m in _KEY_ID.finditer(raw):
        start, end = m.span()
        if (start and raw[start - 1] in _WORD) or (end < len(raw) and raw[end] in _WORD):
            continue
        yield Hit(CredentialKind.ACCESS_KEY_ID, text[start:end], start, name=name_before(text, start))
    if _ENCODED_PREFIX.search(raw) is not None:
        for encoded in _B64_KEY_ID.finditer(text):
            decoded = _b64(encoded.group(0))
            if decoded is not None and _KEY_ID_TEXT.fullmatch(decoded):
                at = encoded.start()
                yield Hit(CredentialKind.ACCESS_KEY_ID, decoded, at, name=name_before(text, at))


def _b64(value: str) -> str | None:
    """A base64 value decoded to ASCII text, or None."""
    try:
        raw = base64.b64decode(value, validate=True)
        return raw.decode("ascii")
    except (binascii.Error, ValueError):
        return None


def _loose_hits(text: str, hits: list[Hit], lines: Lines) -> Iterator[Hit]:
    """Unnamed secrets within ``LOOSE_LINES`` lines of a key ID.

    The windows around key IDs are merged before matching, so text shared by many windows
    (one long line of key IDs) is matched once.
    """
    taken = {h.offset for h in hits}
    keys = [h for h in hits if h.kind is CredentialKind.ACCESS_KEY_ID]
    token_keys = [k for k in keys if k.value.startswith("ASIA")]
    for begin, stop in _merged_windows(token_keys, lines):
        for m in _LOOSE_TOKEN.finditer(text, begin, stop):
            if m.start(1) not in taken and plausible_secret(m.group(1)):
                taken.add(m.start(1))
                yield Hit(CredentialKind.SESSION_TOKEN, m.group(1), m.start(1), name=None, explicit=False)
    for begin, stop in _merged_windows(keys, lines):
        for m in _LOOSE_SECRET.finditer(text, begin, stop):
            value = m.group(1)
            if m.start(1) in taken or not plausible_secret(value) or _mostly_letters(value):
                continue
            taken.add(m.start(1))
            yield Hit(CredentialKind.SECRET_ACCESS_KEY, value, m.start(1), name=None, explicit=False)


def _merged_windows(keys: list[Hit], lines: Lines) -> list[tuple[int, int]]:
    """Offsets (begin, stop) covering the lines within ``LOOSE_LINES`` of each key, merged."""
    spans: list[list[int]] = []
    for line in sorted({lines.line_of(k.offset) for k in keys}):
        first, last = line - LOOSE_LINES, line + LOOSE_LINES
        if spans and first <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    return [(lines.start(first), lines.end(last)) for first, last in spans]


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


def _locate(lines: Lines, hits: list[Hit]) -> None:
    for h in hits:
        h.line, h.column = lines.locate(h.offset)


def _finding(
    h: Hit,
    note: str | None,
    path: str,
    source: SourceKind,
    carrier: str,
    allows: InlineAllows | None,
) -> Finding:
    is_key = h.kind is CredentialKind.ACCESS_KEY_ID
    key_id = h.value if is_key else h.key_id
    suppressed = key_id_placeholder(h.value) if is_key else secret_placeholder(h.value)
    if suppressed is None and allows is not None and allows.covers(h.line):
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
        secret=None if is_key else Secret(h.value),
    )


def _sets_environment(h: Hit, carrier: str) -> bool:
    """The value is assigned to an AWS_* environment variable of a deployment (.env, compose, task def)."""
    if not h.name:
        return False
    if normalise(h.name) in _ENV_NAMES and carrier in ("env", "yaml", "json", "shell"):
        return True
    return h.kind is CredentialKind.ACCESS_KEY_ID and is_key_id_name(h.name) and carrier in ("env", "shell")
