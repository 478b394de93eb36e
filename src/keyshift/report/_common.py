"""Helpers every reporter shares, so the formats agree on order, identity and masking."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import Any

from keyshift.markup import printable  # one escaping for terminals, logs and reports
from keyshift.model import Finding, ScanResult, SourceKind
from keyshift.redact import mask_key_id, scrub

KIND_LABEL = {
    "access_key_id": "key ID",
    "secret_access_key": "secret",
    "session_token": "token",
}


def sort_key(finding: Finding) -> tuple[str, int, int, str, str, str, str]:
    """The one order of findings in every format: (path, line, column, rule, kind), then ties broken."""
    return (
        finding.location.path,
        finding.location.line,
        finding.location.column or 0,
        finding.rule_id,
        finding.kind.value,
        finding.location.commit or "",
        finding.value_sha1,
    )


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=sort_key)


def fingerprint(finding: Finding) -> str:
    """sha256(rule_id NUL path NUL value_sha1): stable across runs because it holds no line number."""
    raw = f"{finding.rule_id}\0{finding.location.path}\0{finding.value_sha1}"
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def show_key_id(key_id: str | None, redact_key_ids: bool) -> str | None:
    if key_id is None:
        return None
    return mask_key_id(key_id) if redact_key_ids else key_id


def clean_text(text: str | None, redact_key_ids: bool) -> str | None:
    """Free text from other stages (notes, errors) may carry anything: scrub it before printing."""
    if text is None:
        return None
    return scrub(text, mask_key_ids=redact_key_ids)


def short_sha1(value_sha1: str) -> str:
    return f"sha1:{value_sha1[:12]}"


def json_path(finding: Finding) -> str | None:
    """Image config findings (``image.field`` set) have no file: their JSON ``path`` is null."""
    if finding.image is not None and finding.image.field is not None:
        return None
    return finding.location.path


def is_history_only(findings: Iterable[Finding]) -> bool:
    """True when every finding is from git history and none is still present at HEAD."""
    items = list(findings)
    if not items:
        return False
    for finding in items:
        if finding.source is not SourceKind.HISTORY:
            return False
        if finding.history is not None and finding.history.in_head:
            return False
    return True


def active_findings(result: ScanResult) -> list[Finding]:
    """Findings that count: one carrying a suppression reason is never active, whichever tuple holds it."""
    return sorted_findings(f for f in result.findings if f.suppressed is None)


def suppressed_findings(result: ScanResult) -> list[Finding]:
    items = [f for f in result.findings if f.suppressed is not None]
    items.extend(result.suppressed)
    return sorted_findings(set(items))


def visible_findings(result: ScanResult, show_suppressed: bool) -> list[Finding]:
    """The findings a format shows: active ones, plus suppressed ones when asked."""
    items = active_findings(result)
    if show_suppressed:
        items.extend(suppressed_findings(result))
    return sorted_findings(items)


def skipped_reasons(result: ScanResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for skip in result.skipped:
        counts[skip.reason] = counts.get(skip.reason, 0) + 1
    return dict(sorted(counts.items()))


# ---- file names from the repository: carried losslessly, printed safely (docs/json-format.md)
#
# Paths are ``str`` decoded with ``surrogateescape`` (``os.fsdecode``): a byte that is not UTF-8
# becomes a lone surrogate U+DC80..U+DCFF, so the original name is recoverable exactly. Each
# format shows such names its own documented way instead of crashing on them.


def path_bytes(path: str) -> bytes:
    """The file name's original bytes."""
    return path.encode("utf-8", "surrogateescape")


def is_lossless_text(text: str) -> bool:
    """True when ``text`` is valid Unicode with no escaped bytes (it can be written as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def terminal_safe(text: str) -> str:
    """Free-form text (diffs, notes) for a terminal: controls and undecodable bytes escaped, but tabs,
    newlines and backslashes kept, so a diff still reads as a diff and nothing can drive the terminal."""
    if all(ch.isprintable() or ch in "\n\t" for ch in text):
        return text
    return "".join(ch if ch in "\n\t\\" else printable(ch) for ch in text)


def json_path_fields(path: str | None, name: str = "path") -> dict[str, Any]:
    """``{name: path}``, or for a name that is not UTF-8: the name with U+FFFD for each bad byte
    plus ``{name}_bytes_b64``, the exact bytes in base64."""
    if path is None or is_lossless_text(path):
        return {name: path}
    raw = path_bytes(path)
    return {name: raw.decode("utf-8", "replace"), f"{name}_bytes_b64": base64.b64encode(raw).decode("ascii")}


def json_safe(value: Any) -> Any:
    """``value`` with every string made valid Unicode (escaped bytes become U+FFFD): never a crash."""
    if isinstance(value, str):
        return value if is_lossless_text(value) else path_bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
