"""The JSON report: a stable, documented object (docs/json-format.md, data/scan-result.schema.json).

Field names and meanings only ever grow; ``version`` changes if one is removed or redefined.
Secrets and tokens appear only as SHA-1 (``secret_sha1``); key IDs are masked on request.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from keyshift import __version__
from keyshift.model import Finding, ScanResult
from keyshift.report._common import (
    active_findings,
    clean_text,
    fingerprint,
    is_history_only,
    json_path,
    json_path_fields,
    json_safe,
    show_key_id,
    skipped_reasons,
    sorted_findings,
    suppressed_findings,
)

FORMAT_VERSION = 1


def finding_to_dict(finding: Finding, *, redact_key_ids: bool = False) -> dict[str, Any]:
    """One finding as the documented JSON object (key order is part of the format)."""
    history = finding.history
    image = finding.image
    return {
        "rule": finding.rule_id,
        "kind": finding.kind.value,
        **json_path_fields(json_path(finding)),
        "line": finding.location.line,
        "column": finding.location.column,
        "source": finding.source.value,
        "commit": finding.location.commit,
        "key_id": show_key_id(finding.key_id, redact_key_ids),
        "secret_sha1": finding.secret_sha1,
        "value_sha1": finding.value_sha1,
        "account_id": finding.account_id,
        "fingerprint": fingerprint(finding),
        "carrier": finding.carrier,
        "name": finding.context_name,
        "note": clean_text(finding.note, redact_key_ids),
        "suppressed": finding.suppressed,
        "history": None
        if history is None
        else {
            "commit": history.commit,
            "author": clean_text(history.author, redact_key_ids),
            "date": history.date,
            "commits": history.commits,
            "paths": history.paths,
            "in_head": history.in_head,
        },
        "image": None
        if image is None
        else {
            "ref": image.ref,
            "layer_index": image.layer_index,
            "layer_digest": image.layer_digest,
            "deleted": image.deleted,
            "deleted_by_layer": image.deleted_by_layer,
            "field": image.field,
            "history_index": image.history_index,
            "env_index": image.env_index,
            "location": finding.location.path,
        },
    }


def _summary(active: list[Finding], suppressed: list[Finding], result: ScanResult) -> dict[str, Any]:
    by_credential: dict[str, list[Finding]] = {}
    for finding in active:
        by_credential.setdefault(finding.credential_key, []).append(finding)
    return {
        "credentials": len(by_credential),
        "history_only_credentials": sum(1 for group in by_credential.values() if is_history_only(group)),
        "findings": len(active),
        "suppressed": len(suppressed),
        "by_kind": dict(sorted(Counter(f.kind.value for f in active).items())),
        "by_source": dict(sorted(Counter(f.source.value for f in active).items())),
        "by_rule": dict(sorted(Counter(f.rule_id for f in active).items())),
        "files_scanned": result.files_scanned,
        "skipped": len(result.skipped),
        "skipped_by_reason": skipped_reasons(result),
        "errors": len(result.errors),
    }


def _stats(result: ScanResult) -> dict[str, Any]:
    stats: dict[str, Any] = {str(k): v for k, v in result.stats.items()}
    stats["files_scanned"] = result.files_scanned
    stats["bytes_scanned"] = result.bytes_scanned
    return dict(sorted(stats.items()))


def to_document(
    result: ScanResult, *, redact_key_ids: bool = False, show_suppressed: bool = False
) -> dict[str, Any]:
    """The whole report as plain data (what ``render`` serialises); every string valid Unicode.

    A file name that is not UTF-8 is shown with U+FFFD and carried exactly in ``path_bytes_b64``.
    """
    active = active_findings(result)
    suppressed = suppressed_findings(result)
    skipped = sorted(result.skipped, key=lambda s: (s.path, s.reason))
    document: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "tool": {"name": "keyshift", "version": __version__},
        **json_path_fields(result.root, "root"),
        "findings": [finding_to_dict(f, redact_key_ids=redact_key_ids) for f in active],
        "suppressed": [
            finding_to_dict(f, redact_key_ids=redact_key_ids) | {"suppressed": f.suppressed or "suppressed"}
            for f in (sorted_findings(suppressed) if show_suppressed else [])
        ],
        "skipped": [
            {**json_path_fields(s.path), "reason": clean_text(s.reason, redact_key_ids)} for s in skipped
        ],
        "errors": [clean_text(e, redact_key_ids) for e in result.errors],
        "stats": _stats(result),
        "summary": _summary(active, suppressed, result),
    }
    safe: dict[str, Any] = json_safe(document)
    return safe


def render(result: ScanResult, *, redact_key_ids: bool = False, show_suppressed: bool = False) -> str:
    document = to_document(result, redact_key_ids=redact_key_ids, show_suppressed=show_suppressed)
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) this format follows, shipped in ``keyshift/report/data``."""
    from importlib.resources import files

    text = files("keyshift.report").joinpath("data/scan-result.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded
