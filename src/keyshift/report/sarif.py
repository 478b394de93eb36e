"""SARIF 2.1.0 for code scanning: one run per group of sources, stable rule ids and fingerprints.

Runs are told apart by ``automationDetails.id`` (GitHub's analysis category): files at HEAD
(worktree and Dockerfiles) in ``keyshift/worktree/``, container images in ``keyshift/image/``, and
history-only hits, which have no file at HEAD to annotate, only on request in ``keyshift/history/``.
``partialFingerprints`` hash rule, path and value hash, never a line, so moving code keeps the alert.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from keyshift import __version__
from keyshift.model import CredentialKind, Finding, ScanResult, SourceKind
from keyshift.report._common import (
    active_findings,
    clean_text,
    json_safe,
    short_sha1,
    show_key_id,
    sort_key,
    suppressed_findings,
)

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "keyshift/v1"
HISTORY_ADVICE = "rotate this key; removing it from HEAD is not enough"

# (category, sources) in output order
_GROUPS: tuple[tuple[str, frozenset[SourceKind]], ...] = (
    ("keyshift/worktree/", frozenset({SourceKind.WORKTREE, SourceKind.DOCKERFILE})),
    ("keyshift/image/", frozenset({SourceKind.IMAGE})),
    ("keyshift/history/", frozenset({SourceKind.HISTORY, SourceKind.UNREACHABLE})),
)
# Inline pragmas live in the source; everything else is decided outside it.
_IN_SOURCE_REASONS = frozenset({"inline-allow", "pragma", "inline"})

_KIND_TEXT = {
    CredentialKind.ACCESS_KEY_ID: "AWS access key ID",
    CredentialKind.SECRET_ACCESS_KEY: "AWS secret access key",
    CredentialKind.SESSION_TOKEN: "AWS session token",
}


def partial_fingerprint(rule_id: str, uri: str, value_sha1: str) -> str:
    """sha256(rule_id NUL uri NUL value_sha1) as hex; no line number, so it survives edits."""
    return hashlib.sha256(f"{rule_id}\0{uri}\0{value_sha1}".encode()).hexdigest()


def _uri(path: str) -> str:
    """Repo-relative, '/'-separated, percent-encoded so it is a valid URI reference.

    Encoded from the name's bytes: a byte that is not UTF-8 becomes its own ``%XX`` (lossless).
    """
    raw = path.replace("\\", "/").lstrip("/").encode("utf-8", "surrogateescape")
    return quote(raw, safe="/-._~!$&'()*+,;=@")


def _rule_descriptor(rule_id: str, sample: Finding) -> dict[str, Any]:
    from keyshift.detect.rules import RULES

    rule = next((r for r in RULES if r.id == rule_id), None)
    if rule is not None:
        name, title, description, severity = rule.name, rule.title, rule.description, rule.severity
    else:  # a rule this reporter does not know yet: describe it by the kind it reports
        name = "AwsCredential" + rule_id
        title = f"Hardcoded {_KIND_TEXT[sample.kind]}"
        description = f"{title} ({rule_id})."
        severity = "7.5" if sample.kind is CredentialKind.ACCESS_KEY_ID else "9.1"
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {
            "text": f"{description}\n\nFix: revoke the key in IAM, delete the value, and let boto3 use the "
            "default credential chain. `keyshift fix` removes static credentials from boto3 calls and "
            "`keyshift plan` drafts the ECS task role that replaces them.",
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["security", "secret", "aws"],
            "precision": "high",
            "security-severity": severity,
        },
    }


def _where_phrase(finding: Finding) -> str:
    image = finding.image
    if finding.source is SourceKind.IMAGE and image is not None:
        if image.field is not None:
            return f"is stored in the config ({image.field}) of image {image.ref}"
        layer = f" layer {image.layer_index}" if image.layer_index is not None else ""
        deleted = ", deleted by a later layer but still readable" if image.deleted else ""
        return f"is stored in image {image.ref}{layer}{deleted}"
    if finding.source is SourceKind.HISTORY:
        commit = (finding.history.commit if finding.history else None) or finding.location.commit or ""
        return f"was committed in {commit[:7]}" if commit else "was committed"
    if finding.source is SourceKind.DOCKERFILE:
        return "is hardcoded in a Dockerfile"
    return "is hardcoded"


def _message(finding: Finding, redact_key_ids: bool, history: bool) -> str:
    what = _KIND_TEXT[finding.kind]
    key_id = show_key_id(finding.key_id, redact_key_ids)
    where = _where_phrase(finding)
    if finding.kind is CredentialKind.ACCESS_KEY_ID:
        text = f"{what} {key_id} {where}"
    else:
        text = f"{what} ({short_sha1(finding.value_sha1)}) {where}"
        if key_id:
            text += f", paired with key ID {key_id}"
    if finding.account_id:
        text += f" (account {finding.account_id})"
    if history and not (finding.history is not None and finding.history.in_head):
        text += f"; {HISTORY_ADVICE}."
    elif history:
        text += "; it is still at HEAD: revoke it and use the default credential chain (an ECS task role)."
    else:
        text += "; revoke it and use the default credential chain (an ECS task role)."
    note = clean_text(finding.note, redact_key_ids)
    if note:
        text += f" {note}"
    return text


def _properties(finding: Finding, redact_key_ids: bool) -> dict[str, Any]:
    props: dict[str, Any] = {"kind": finding.kind.value, "source": finding.source.value}
    if finding.key_id:
        props["keyId"] = show_key_id(finding.key_id, redact_key_ids)
    if finding.account_id:
        props["accountId"] = finding.account_id
    if finding.secret_sha1:
        props["secretSha1"] = finding.secret_sha1
    commit = (finding.history.commit if finding.history else None) or finding.location.commit
    if commit:
        props["commit"] = commit
    if finding.history is not None:
        props["inHead"] = finding.history.in_head
    image = finding.image
    if image is not None:
        props["image"] = {
            k: v
            for k, v in (
                ("ref", image.ref),
                ("layerIndex", image.layer_index),
                ("layerDigest", image.layer_digest),
                ("deleted", image.deleted),
                ("deletedByLayer", image.deleted_by_layer),
                ("field", image.field),
                ("envIndex", image.env_index),
                ("historyIndex", image.history_index),
            )
            if v is not None
        }
    return props


def _result(finding: Finding, rule_index: int, redact_key_ids: bool, history: bool) -> dict[str, Any]:
    uri = _uri(finding.location.path)
    region: dict[str, Any] = {"startLine": max(1, finding.location.line)}
    if finding.location.column is not None and finding.location.column >= 1:
        region["startColumn"] = finding.location.column
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": "warning" if history else "error",
        "message": {"text": _message(finding, redact_key_ids, history)},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}],
        "partialFingerprints": {
            FINGERPRINT_KEY: partial_fingerprint(finding.rule_id, uri, finding.value_sha1)
        },
        "properties": _properties(finding, redact_key_ids),
    }
    if finding.suppressed is not None:
        kind = "inSource" if finding.suppressed in _IN_SOURCE_REASONS else "external"
        result["suppressions"] = [{"kind": kind, "justification": finding.suppressed}]
    return result


def _run(category: str, findings: Sequence[Finding], redact_key_ids: bool, history: bool) -> dict[str, Any]:
    rule_ids = sorted({f.rule_id for f in findings})
    samples = {rid: next(f for f in findings if f.rule_id == rid) for rid in rule_ids}
    index = {rid: i for i, rid in enumerate(rule_ids)}
    return {
        "tool": {
            "driver": {
                "name": "keyshift",
                "semanticVersion": __version__,
                "version": __version__,
                "rules": [_rule_descriptor(rid, samples[rid]) for rid in rule_ids],
            }
        },
        "automationDetails": {"id": category},
        "results": [_result(f, index[f.rule_id], redact_key_ids, history) for f in findings],
    }


def _scanned(result: ScanResult, findings: Sequence[Finding]) -> set[SourceKind]:
    """Which sources the scan covered: a run is emitted for each, even when empty.

    An empty run tells code scanning that earlier alerts in its category are fixed, so a run must
    never be emitted for a source that was not scanned (an image-only scan would otherwise close
    every worktree alert). Producers say what they scanned in ``stats["sources"]``; without it the
    stats each source leaves behind are used.
    """
    declared = result.stats.get("sources")
    if isinstance(declared, (list, tuple, set, frozenset)):
        known = {kind.value: kind for kind in SourceKind}
        return {known[str(name)] for name in declared if str(name) in known}
    kinds = {f.source for f in findings}
    stats = result.stats
    if "images" in stats:
        kinds.add(SourceKind.IMAGE)
    if "images" not in stats or "skipped_by_reason" in stats:
        kinds.add(SourceKind.WORKTREE)
    if "commits" in stats:
        kinds.add(SourceKind.HISTORY)
    return kinds


def to_document(
    result: ScanResult,
    *,
    redact_key_ids: bool = False,
    show_suppressed: bool = False,
    sarif_history: bool = False,
) -> dict[str, Any]:
    findings = active_findings(result)
    if show_suppressed:
        findings += suppressed_findings(result)
    scanned = _scanned(result, [*active_findings(result), *suppressed_findings(result)])
    runs = []
    for category, sources in _GROUPS:
        history = SourceKind.HISTORY in sources
        if (history and not sarif_history) or not (sources & scanned):
            continue
        members = sorted((f for f in findings if f.source in sources), key=sort_key)
        runs.append(_run(category, members, redact_key_ids, history))
    return {"version": "2.1.0", "$schema": SCHEMA_URI, "runs": runs}


def render(
    result: ScanResult,
    *,
    redact_key_ids: bool = False,
    show_suppressed: bool = False,
    sarif_history: bool = False,
) -> str:
    document = to_document(
        result, redact_key_ids=redact_key_ids, show_suppressed=show_suppressed, sarif_history=sarif_history
    )
    return json.dumps(json_safe(document), indent=2, ensure_ascii=False) + "\n"
