"""The per-key revocation runbook: the same order for every key, so nothing is skipped under pressure."""

from __future__ import annotations

import re

from keyshift.markup import md_code, md_text
from keyshift.migrate.pipeline import KeyReport, MigrationResult


def _section(key: KeyReport) -> list[str]:
    lines = [f"## {md_text(key.ident)}", ""]
    lines.append(f"- account: {md_text(key.account_id or 'unknown')}")
    lines.append(f"- found as: {md_text(', '.join(key.kinds))}")
    lines.append(f"- places: {len(key.places)} ({md_text(_where(key))})")
    if key.verdict is not None:
        arn = " " + md_code(key.verdict.arn) if key.verdict.arn else ""
        lines.append(f"- verify: {md_text(key.verdict.status)}{arn}")
    lines.append("")
    if key.key_id is None:
        lines += [
            "Only the secret was found (SHA-1 above); find its key ID in IAM by the places listed in",
            "report.md, then follow the steps below with that key ID.",
            "",
        ]
    kid = key.key_id or "<key-id>"
    user = key.verdict.user if key.verdict is not None and key.verdict.user else "<user>"
    if not re.fullmatch(r"[\w+=,.@-]{1,128}", user):  # an IAM user name; anything else is not pasted
        user = "<user>"
    roles = md_text(", ".join(key.roles) or "none (no boto3 code here uses it)")
    lines += [
        f"1. Deploy the replacement role(s): {roles}; remove every override listed in report.md."
        + (
            f" {len(key.roles)} workloads use this key: go on only after every one of them runs on its role."
            if len(key.roles) > 1
            else ""
        ),
        f"2. Confirm the key is idle: `aws iam get-access-key-last-used --access-key-id {kid}`",
        "   (the last-used date must predate the deployment).",
        f"3. Deactivate: `aws iam update-access-key --user-name {user} --access-key-id {kid} "
        "--status Inactive`.",
        "4. Watch CloudTrail and the service logs for AccessDenied / InvalidClientTokenId for a few days;",
        "   re-activate only to roll back.",
        f"5. Delete: `aws iam delete-access-key --user-name {user} --access-key-id {kid}`.",
    ]
    if any(p.where == "history" for p in key.places):
        lines.append(
            "6. The key stays readable in git history: rotation (steps 3-5) is what makes it harmless."
        )
    if key.in_image:
        lines.append("7. Delete the images and tags that carry it from every registry.")
    lines.append("")
    return lines


def _where(key: KeyReport) -> str:
    counts: dict[str, int] = {}
    for p in key.places:
        counts[p.where] = counts.get(p.where, 0) + 1
    return ", ".join(f"{n} {w}" for w, n in sorted(counts.items()))


def render(result: MigrationResult) -> str:
    lines = [f"# Revocation runbook: {md_text(result.name)}", ""]
    if not result.keys:
        lines += ["No key was found: nothing to revoke.", ""]
    else:
        lines += [
            f"{len(result.keys)} key(s). Work through each section in order; never delete a key before",
            "its replacement role is deployed and the key is confirmed idle.",
            "",
        ]
    for key in result.keys:
        lines += _section(key)
    return "\n".join(lines)
