"""The human report: one block per credential, so a reader sees what to revoke and where it lives.

A credential is a key ID with whatever secret and token were paired with it (or a lone secret,
named by its hash). Secrets only ever appear as ``sha1:<12 hex>``. Colour is opt-in and
``NO_COLOR`` always wins; the plain output is deterministic and what the golden files hold.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

from keyshift.detect.account import key_type
from keyshift.markup import printable
from keyshift.model import CredentialKind, Finding, ScanResult, SourceKind
from keyshift.report._common import (
    KIND_LABEL,
    active_findings,
    clean_text,
    is_history_only,
    short_sha1,
    show_key_id,
    skipped_reasons,
    sort_key,
    suppressed_findings,
)

HISTORY_ONLY_ADVICE = "history only: removing it from HEAD is not enough — revoke the key."

Segment = tuple[str, str]  # (text, rich style; "" for none)
Line = list[Segment]


def color_allowed(color: bool) -> bool:
    """Colour only when asked for and ``NO_COLOR`` is unset or empty (no-color.org)."""
    return color and not os.environ.get("NO_COLOR")


def _value_label(finding: Finding, redact_key_ids: bool) -> str:
    if finding.kind is CredentialKind.ACCESS_KEY_ID:
        return f"key ID {show_key_id(finding.key_id, redact_key_ids)}"
    return f"{KIND_LABEL[finding.kind.value]} {short_sha1(finding.value_sha1)}"


def _where(finding: Finding) -> str:
    loc = finding.location
    image = finding.image
    if image is not None and image.field is not None:
        index = image.env_index if image.env_index is not None else image.history_index
        suffix = f"[{index}]" if index is not None else ""
        return f"config {image.field}{suffix}"
    column = f":{loc.column}" if loc.column is not None else ""
    return f"{printable(loc.path)}:{loc.line}{column}"


def _details(finding: Finding, staged: bool = False) -> str:
    # the pre-commit gate's findings are in the index, not yet in any commit: say so
    parts: list[str] = [
        "staged" if staged and finding.source is SourceKind.WORKTREE else finding.source.value
    ]
    history = finding.history
    if finding.source is SourceKind.HISTORY or history is not None:
        commit = (history.commit if history is not None else None) or finding.location.commit
        if commit:
            parts.append(f"commit {commit[:7]}")
        if history is not None:
            if history.date:
                parts.append(history.date[:10])
            if history.commits > 1:
                parts.append(f"{history.commits} commits")
            parts.append("still at HEAD" if history.in_head else "history only")
        else:
            parts.append("history only")
    image = finding.image
    if image is not None:
        parts.append(image.ref)
        if image.layer_index is not None:
            parts.append(f"layer {image.layer_index}")
        if image.deleted:
            by = f" by layer {image.deleted_by_layer}" if image.deleted_by_layer is not None else ""
            parts.append(f"deleted{by} but still in the image")
    return ", ".join(parts)


def _location_lines(
    findings: Sequence[Finding], redact_key_ids: bool, *, with_reason: bool = False, staged: bool = False
) -> list[Line]:
    """One line per location (where, value, rule, details), aligned within the block."""
    rows = [(_where(f), _value_label(f, redact_key_ids), f.rule_id, _details(f, staged)) for f in findings]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    lines: list[Line] = []
    for finding, (where, value, rule, details) in zip(findings, rows, strict=True):
        line: Line = [
            ("  ", ""),
            (where.ljust(widths[0]), "cyan"),
            ("  ", ""),
            (value.ljust(widths[1]), ""),
            ("  ", ""),
            (rule.ljust(widths[2]), "dim"),
            ("  ", ""),
            (details, "dim"),
        ]
        if with_reason:
            line.extend([("  ", ""), (f"suppressed: {finding.suppressed or 'suppressed'}", "yellow")])
        lines.append(line)
    return lines


def _heading(group: Sequence[Finding], redact_key_ids: bool) -> Line:
    key_id = next((f.key_id for f in group if f.key_id), None)
    account = next((f.account_id for f in group if f.account_id), None)
    if key_id is not None:
        title = show_key_id(key_id, redact_key_ids) or ""
        kind = key_type(key_id)
    else:
        lone = group[0]
        title = f"{KIND_LABEL[lone.kind.value]} {short_sha1(lone.value_sha1)}"
        kind = "no key ID found"
    return [
        (title, "bold red"),
        ("  ", ""),
        (f"account {account or 'unknown'}", "bold"),
        ("  ", ""),
        (kind, ""),
    ]


def _found_line(group: Sequence[Finding], redact_key_ids: bool) -> Line:
    labels: list[str] = []
    for kind in CredentialKind:
        values = sorted({f.value_sha1 for f in group if f.kind is kind})
        for value in values:
            if kind is CredentialKind.ACCESS_KEY_ID:
                label = "key ID"
            else:
                label = f"{KIND_LABEL[kind.value]} {short_sha1(value)}"
            if label not in labels:
                labels.append(label)
    return [("  found: ", "dim"), (", ".join(labels), "")]


def _credential_block(group: Sequence[Finding], redact_key_ids: bool, staged: bool = False) -> list[Line]:
    lines: list[Line] = [_heading(group, redact_key_ids), _found_line(group, redact_key_ids)]
    lines.extend(_location_lines(group, redact_key_ids, staged=staged))
    notes: list[str] = []
    for finding in group:
        note = clean_text(finding.note, redact_key_ids)
        if note and note not in notes:
            notes.append(note)
    lines.extend([("  note: ", "yellow"), (note, "")] for note in notes)
    if is_history_only(group):
        lines.append([("  ! ", "bold red"), (HISTORY_ONLY_ADVICE, "bold")])
    return lines


def _group(findings: Sequence[Finding]) -> list[list[Finding]]:
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(findings, key=sort_key):
        groups.setdefault(finding.credential_key, []).append(finding)
    return list(groups.values())  # ordered by each credential's first location


def _summary(result: ScanResult, groups: list[list[Finding]], active: int, suppressed: int) -> Line:
    history_only = sum(1 for g in groups if is_history_only(g))
    parts = [f"{len(groups)} credential{'s' if len(groups) != 1 else ''}"]
    if history_only:
        parts[0] += f" ({history_only} history only)"
    parts.append(f"{active} finding{'s' if active != 1 else ''}")
    parts.append(f"{result.files_scanned} file{'s' if result.files_scanned != 1 else ''} scanned")
    reasons = skipped_reasons(result)
    skipped = f"{len(result.skipped)} skipped"
    if reasons:
        skipped += " (" + ", ".join(f"{reason}: {n}" for reason, n in reasons.items()) + ")"
    parts.append(skipped)
    if suppressed:
        parts.append(f"{suppressed} suppressed")
    if result.errors:
        parts.append(f"{len(result.errors)} error{'s' if len(result.errors) != 1 else ''}")
    style = "bold red" if groups else "bold green"
    return [(", ".join(parts), style)]


_UNREAD_SHOWN = 20


def build_lines(result: ScanResult, *, redact_key_ids: bool, show_suppressed: bool) -> list[Line]:
    """Sections (credential blocks, suppressed, errors, summary) separated by one blank line."""
    active = active_findings(result)
    suppressed = suppressed_findings(result)
    groups = _group(active)
    staged = "staged_files" in result.stats  # scan --staged: what a commit would add
    sections: list[list[Line]] = [_credential_block(g, redact_key_ids, staged) for g in groups]
    unread = [s for s in result.skipped if s.reason.startswith("unreadable")]
    if not groups and (unread or result.errors):
        # a run that could not look everywhere is never reported as clean
        sections.append(
            [[("Nothing found in what could be read; the scan is incomplete (see below).", "bold yellow")]]
        )
    elif not groups:
        sections.append([[("No AWS credentials found.", "bold green")]])
    if show_suppressed and suppressed:
        heading: Line = [(f"Suppressed ({len(suppressed)}):", "bold")]
        sections.append(
            [heading, *_location_lines(suppressed, redact_key_ids, with_reason=True, staged=staged)]
        )
    if unread:
        shown = sorted(unread, key=lambda s: s.path)[:_UNREAD_SHOWN]
        rows: list[Line] = [[("  ", ""), (f"{printable(s.path)}: {s.reason}", "")] for s in shown]
        if len(unread) > len(shown):
            rows.append(
                [("  ", ""), (f"... and {len(unread) - len(shown)} more (the JSON report lists all)", "dim")]
            )
        sections.append([[(f"Not read ({len(unread)}):", "bold yellow")], *rows])
    if result.errors:
        errors = [[("  ", ""), (printable(clean_text(e, redact_key_ids) or ""), "")] for e in result.errors]
        sections.append([[(f"Errors ({len(result.errors)}):", "bold red")], *errors])
    sections.append([_summary(result, groups, len(active), len(suppressed))])
    lines: list[Line] = []
    for section in sections:
        if lines:
            lines.append([])
        lines.extend(section)
    return lines


def _plain(lines: list[Line]) -> str:
    return "".join("".join(text for text, _ in line).rstrip() + "\n" for line in lines)


def _colored(lines: list[Line]) -> str:
    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(
        file=buffer, force_terminal=True, color_system="standard", width=10_000, highlight=False
    )
    for line in lines:
        console.print(Text.assemble(*[(t, s) if s else t for t, s in line]), soft_wrap=True)
    out = buffer.getvalue()
    return out if out.endswith("\n") else out + "\n"


def render(
    result: ScanResult, *, redact_key_ids: bool = False, show_suppressed: bool = False, color: bool = False
) -> str:
    lines = build_lines(result, redact_key_ids=redact_key_ids, show_suppressed=show_suppressed)
    return _colored(lines) if color_allowed(color) else _plain(lines)
