"""Render a ``FixResult`` as text or JSON (``keyshift fix --format json``).

JSON document (``version`` 1; keys stable, lists sorted by path then line):

- ``version``: 1; ``mode``: ``"dry-run"`` or ``"write"``; ``exit_code``: 0 or 1.
- ``summary``: ``files_seen`` (files walked), ``files_parsed`` (candidates parsed),
  ``files_changed`` (fixed, or would be in a dry run), ``sites_rewritten``, ``sites_report_only``,
  ``needs_human`` (items that need a person), ``unparsable``.
- ``files[]`` (only files with something to say): ``path``; ``status`` = ``would-fix`` | ``fixed``
  | ``unchanged`` | ``report-only`` | ``unparsable`` | ``error``; ``reason`` (or null);
  ``sites[]`` = {``line``, ``column``, ``factory``, ``qualified_name``, ``status`` (``rewritten`` |
  ``report-only``), ``removed`` (keyword names), ``reason``, ``values[]`` = {``kwarg``, ``kind``,
  ``env_vars``, ``key_ids``, ``origins``}}; ``removed_constants[]`` and ``removed_imports[]`` =
  {``name``, ``line``}; ``notes[]`` = {``line``, ``kind``, ``message``, ``needs_human``}; ``diff``
  (redacted unified diff, dry run only, else "").

Lines refer to the file as it was before the rewrite (removed constants: after the call edits).
Secret access keys and session tokens never appear: diffs carry ``<redacted sha1:…>`` instead.
"""

from __future__ import annotations

import json
from typing import Any

from keyshift.codemod.runner import FileOutcome, FileStatus, FixResult
from keyshift.report._common import terminal_safe


def _interesting(outcome: FileOutcome) -> bool:
    return outcome.status is not FileStatus.UNCHANGED or bool(outcome.sites) or bool(outcome.notes)


def summary(result: FixResult) -> dict[str, int]:
    sites = [s for o in result.outcomes for s in o.sites]
    return {
        "files_seen": result.files_seen,
        "files_parsed": result.files_parsed,
        "files_changed": len(result.changed),
        "sites_rewritten": sum(1 for s in sites if s.status == "rewritten"),
        "sites_report_only": sum(1 for s in sites if s.status == "report-only"),
        "needs_human": sum(1 for o in result.outcomes for n in o.notes if n.needs_human)
        + sum(1 for s in sites if s.status == "report-only")
        + sum(1 for o in result.outcomes if o.status.failed),
        "unparsable": sum(1 for o in result.outcomes if o.status is FileStatus.UNPARSABLE),
    }


def to_json(result: FixResult) -> str:
    files: list[dict[str, Any]] = []
    for o in result.outcomes:
        if not _interesting(o):
            continue
        files.append(
            {
                "path": o.path,
                "status": o.status.value,
                "reason": o.reason,
                "sites": [
                    {
                        "line": s.line,
                        "column": s.column,
                        "factory": s.factory,
                        "qualified_name": s.qualified,
                        "status": s.status,
                        "removed": list(s.removed),
                        "reason": s.reason,
                        "values": [
                            {
                                "kwarg": v.kwarg,
                                "kind": v.kind,
                                "env_vars": list(v.env_vars),
                                "key_ids": list(v.key_ids),
                                "origins": list(v.origins),
                            }
                            for v in s.values
                        ],
                    }
                    for s in o.sites
                ],
                "removed_constants": [{"name": n, "line": ln} for n, ln in o.removed_constants],
                "removed_imports": [{"name": n, "line": ln} for n, ln in o.removed_imports],
                "notes": [
                    {"line": n.line, "kind": n.kind, "message": n.message, "needs_human": n.needs_human}
                    for n in o.notes
                ],
                "diff": o.diff if not result.write else "",
            }
        )
    doc = {
        "version": 1,
        "mode": "write" if result.write else "dry-run",
        "exit_code": result.exit_code,
        "summary": summary(result),
        "files": files,
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def to_text(result: FixResult, *, show_diff: bool = True) -> str:
    out: list[str] = []
    if show_diff and not result.write:
        out.extend(o.diff for o in result.outcomes if o.diff)
    for o in result.outcomes:
        if o.status.failed:
            out.append(f"{o.path}: {o.status.value}: {o.reason}\n")
        for s in o.sites:
            if s.status == "rewritten":
                verb = "rewritten" if result.write else "would rewrite"
                out.append(f"{o.path}:{s.line}: {verb} {s.qualified}(): removed {', '.join(s.removed)}\n")
            else:
                out.append(
                    f"{o.path}:{s.line}: report-only {s.qualified}(): {s.reason}; file left unchanged\n"
                )
        for name, line in o.removed_constants:
            out.append(f"{o.path}:{line}: removed unused constant {name}\n")
        for name, line in o.removed_imports:
            out.append(f"{o.path}:{line}: removed unused import {name}\n")
        for n in o.notes:
            # found afresh in the file as it is, not in what this run changed: an open item
            still_open = n.needs_human and o.status is FileStatus.REPORT_ONLY and not o.sites
            tag = "still open" if still_open else "needs a human" if n.needs_human else "note"
            out.append(f"{o.path}:{n.line}: {tag}: {n.kind}: {n.message}\n")
    counts = summary(result)
    verb = "changed" if result.write else "would change"
    out.append(
        f"keyshift fix: {counts['files_changed']} file(s) {verb}, {counts['sites_rewritten']} site(s) "
        f"rewritten, {counts['sites_report_only']} report-only, {counts['needs_human']} item(s) need a human "
        f"({counts['files_parsed']} of {counts['files_seen']} files parsed)\n"
    )
    if counts["sites_rewritten"]:
        out.append(
            "keyshift fix: a key removed from code is still valid until you revoke it; "
            "rotate every key these sites used\n"
        )
    if not result.write and result.changed:
        out.append("keyshift fix: dry run; re-run with --write to apply\n")
    return terminal_safe("".join(out))  # file names and code lines cannot drive the terminal
