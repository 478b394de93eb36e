"""Write the review folder: reports, diff, runbook, machine-readable summary and one folder per role.

Every file is written through ``keyshift.safefs`` (never through a symlink below the target); role
folders come from the plan stage's own writer, so ``keyshift plan --out`` and ``migrate`` never disagree.

``migration.json`` (``version`` 1, keys sorted): ``name``, ``sources``, ``images``, ``totals`` (keys,
keys_at_head, keys_history_only, keys_in_images, keys_live, roles, files_to_change, findings),
``keys[]`` = {``key`` (key ID, or ``sha1:<12 hex>`` for a lone secret), ``key_id``, ``account_id``,
``kinds``, ``at_head``, ``history_only``, ``in_image``, ``places[]`` = {``where`` (head | history |
image), ``path``, ``line``, ``kind``, ``detail``, ``commit``}, ``served`` ("action <- call site"),
``roles``, ``steps``, ``verify`` (null, or {``status`` live | invalid | unverified | error, ``arn``,
``user``, ``account_id``, ``reason``})}, ``roles``, ``notes``, ``errors``, ``exit_code``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from keyshift.migrate import report_html, report_md, runbook
from keyshift.migrate.pipeline import KeyReport, MigrationResult
from keyshift.safefs import open_output_dir
from keyshift.verify import verdict_json


def key_json(key: KeyReport) -> dict[str, Any]:
    return {
        "key": key.ident,
        "key_id": key.key_id,
        "account_id": key.account_id,
        "kinds": list(key.kinds),
        "at_head": key.at_head,
        "history_only": key.in_history_only,
        "in_image": key.in_image,
        "places": [
            {
                "where": p.where,
                "path": p.path,
                "line": p.line,
                "kind": p.kind,
                "detail": p.detail,
                "commit": p.commit,
            }
            for p in key.places
        ],
        "served": list(key.served),
        "roles": list(key.roles),
        "steps": list(key.steps),
        "verify": verdict_json(key.verdict) if key.verdict is not None else None,
    }


def to_json(result: MigrationResult) -> dict[str, Any]:
    return {
        "version": 1,
        "name": result.name,
        "sources": list(result.sources),
        "images": list(result.images),
        "totals": report_md.totals(result),
        "keys": [key_json(k) for k in result.keys],
        "roles": [r.name for r in result.plan.roles],
        "notes": list(result.notes),
        "errors": list(result.errors),
        "exit_code": result.exit_code,
    }


def diff_text(result: MigrationResult) -> str:
    return "".join(o.diff for o in result.fix.outcomes)


def write_review(result: MigrationResult, out: Path) -> list[Path]:
    """Write the review folder ``out``; returns the files written, sorted.

    The folder carries a ``.gitignore`` of ``*``: it lists key IDs and must not be committed by accident,
    wherever it is created (often inside a repository).
    """
    from keyshift.planner.iac import write_all

    written: list[Path] = []
    scrubber = result.scrubber
    with open_output_dir(out, within=Path(result.plan.root)) as folder:

        def put(name: str, text: str) -> None:
            written.append(folder.write_text(name, scrubber.scrub(text)))

        put(".gitignore", "# keyshift review folder: holds key IDs, never commit it\n*\n")
        put("report.md", report_md.render(result))
        put("report.html", report_html.render(result))
        put("runbook.md", runbook.render(result))
        put("fix.diff", diff_text(result))
        put("migration.json", json.dumps(to_json(result), indent=2, sort_keys=True) + "\n")
        if result.plan.roles:
            with folder.subdir("roles") as roles:
                written += write_all(result.plan, roles, scrubber)
    return sorted(written)
