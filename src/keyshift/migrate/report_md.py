"""``report.md``: the migration review for people (and for golden-file tests: fully deterministic)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from keyshift.codemod.report import summary as fix_summary
from keyshift.codemod.runner import FileStatus
from keyshift.markup import md_code, md_text
from keyshift.migrate.pipeline import KeyReport, MigrationResult


def generated_at() -> str | None:
    """A timestamp only when the build asks for one (``SOURCE_DATE_EPOCH``), so reports stay reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch or not epoch.isdigit():
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def totals(result: MigrationResult) -> dict[str, int]:
    return {
        "keys": len(result.keys),
        "keys_at_head": sum(1 for k in result.keys if k.at_head),
        "keys_history_only": sum(1 for k in result.keys if k.in_history_only),
        "keys_in_images": sum(1 for k in result.keys if k.in_image),
        "keys_live": sum(1 for k in result.keys if k.verdict is not None and k.verdict.status == "live"),
        "roles": len(result.plan.roles),
        "files_to_change": len(result.fix.changed),
        "findings": len(result.scan.findings),
    }


def _key(key: KeyReport) -> list[str]:
    lines = [f"### {md_text(key.ident)}", ""]
    lines.append(f"- account: {md_text(key.account_id or 'unknown')}")
    lines.append(f"- kind: {md_text(', '.join(key.kinds))}")
    state = "at HEAD" if key.at_head else ("history only" if key.in_history_only else "image only")
    lines.append(f"- state: {state}{' and in images' if key.in_image and key.at_head else ''}")
    if key.verdict is not None:
        v = key.verdict
        who = f" as {md_code(v.arn)}" if v.arn else ""
        lines.append(f"- verify: **{md_text(v.status)}**{who}{f' ({md_text(v.reason)})' if v.reason else ''}")
    lines.append(f"- role: {md_text(', '.join(key.roles) or 'none')}")
    lines += ["", "| where | location | kind | detail |", "|---|---|---|---|"]
    for p in key.places:
        loc = f"{p.path}:{p.line}"
        lines.append(f"| {md_text(p.where)} | {md_code(loc)} | {md_text(p.kind)} | {md_text(p.detail)} |")
    lines.append("")
    if key.served:
        lines += ["Code it served:", ""]
        lines += [f"- {md_code(s)}" for s in key.served]
        lines.append("")
    lines += ["Steps left for a human:", ""]
    lines += [f"{i}. {md_text(s)}" for i, s in enumerate(key.steps, 1)]
    lines.append("")
    return lines


def _start_here(result: MigrationResult) -> list[str]:
    from keyshift.migrate.next_steps import folder_files, stages

    steps = stages(result)
    if not steps:
        return []
    lines = ["## Start here", ""]
    for index, stage in enumerate(steps, 1):
        links = f" ({', '.join(md_code(f) for f in stage.links)})" if stage.links else ""
        mark = " **next**" if index <= 3 else ""
        lines.append(f"{index}. **{md_text(stage.title)}**{mark}: {md_text(stage.detail)}{links}")
    lines += ["", "Files in this folder:", ""]
    lines += [f"- [{md_text(path)}]({path}): {md_text(what)}" for path, what in folder_files(result)]
    lines.append("")
    return lines


def render(result: MigrationResult) -> str:
    t = totals(result)
    lines = [f"# keyshift migration review: {md_text(result.name)}", ""]
    stamp = generated_at()
    if stamp:
        lines += [f"Generated {stamp}.", ""]
    lines += _start_here(result)
    lines.append(f"Sources scanned: {md_text(', '.join(result.sources))}.")
    if result.images:
        lines.append(f"Images: {', '.join(md_code(i) for i in result.images)}.")
    lines.append("")
    verified = any(k.verdict is not None for k in result.keys)
    lines += ["## Summary", "", "| | count |", "|---|---|"]
    lines += [
        f"| {name.replace('_', ' ')} | "
        f"{'not verified (run with --verify)' if name == 'keys_live' and not verified else value} |"
        for name, value in t.items()
    ]
    lines.append("")
    if result.notes:
        lines += ["Notes:", ""] + [f"- {md_text(n)}" for n in result.notes] + [""]
    if not result.keys:
        lines += ["No hardcoded AWS key was found. Nothing to migrate.", ""]
    else:
        lines += ["## Keys", ""]
        lines += ["| key | account | at HEAD | history only | images | role |", "|---|---|---|---|---|---|"]
        for k in result.keys:
            live = f" ({md_text(k.verdict.status)})" if k.verdict is not None else ""
            lines.append(
                f"| {md_code(k.ident)}{live} | {md_text(k.account_id or '?')} | {_yes(k.at_head)} | "
                f"{_yes(k.in_history_only)} | {_yes(k.in_image)} | {md_text(', '.join(k.roles) or '-')} |"
            )
        lines.append("")
        for k in result.keys:
            lines += _key(k)
    fs = fix_summary(result.fix)
    lines += ["## Code changes", ""]
    mode = (
        "applied"
        if result.fix.write
        else "proposed (fix.diff is a redacted review copy; apply with keyshift fix --write)"
    )
    lines.append(
        f"{fs['files_changed']} file(s) {mode}; {fs['sites_rewritten']} call site(s) rewritten, "
        f"{fs['needs_human']} item(s) need a human."
    )
    lines.append("")
    for o in result.fix.outcomes:
        if o.status is not FileStatus.UNCHANGED:
            lines.append(
                f"- {md_code(o.path)}: {o.status.value}{f' ({md_text(o.reason)})' if o.reason else ''}"
            )
    lines.append("")
    lines += ["## Roles", ""]
    if not result.plan.roles:
        lines += ["No role to create.", ""]
    for role in result.plan.roles:
        lines.append(
            f"- **{md_text(role.name)}** for service {md_code(role.service)} "
            f"(keys {md_text(', '.join(role.key_ids))}): "
            f"{len(role.grants)} action(s), {len(role.blockers)} override(s) to remove; "
            f"files in `roles/`."
        )
    lines.append("")
    if result.plan.unresolved:
        lines += ["Unresolved calls:", ""] + [f"- {md_text(u)}" for u in result.plan.unresolved] + [""]
    if result.errors:
        lines += ["## Errors", ""] + [f"- {md_text(e)}" for e in result.errors] + [""]
    return "\n".join(lines)


def _yes(flag: bool) -> str:
    return "yes" if flag else "-"
