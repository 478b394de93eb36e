"""The service's migration as six stages in the only safe order, and the files that carry them out.

Both reports open with these stages ("start here"), so a reader knows the next three actions
before any detail: the role exists before anything uses it, the task definition points at it
before the code stops passing keys, the code change ships before the overrides go, and a key is
revoked last, after it is confirmed unused.
"""

from __future__ import annotations

from dataclasses import dataclass

from keyshift.migrate.pipeline import MigrationResult


@dataclass(frozen=True, slots=True)
class Stage:
    title: str
    detail: str
    links: tuple[str, ...] = ()  # files of the review folder that carry the stage out


def _slug(name: str) -> str:
    from keyshift.planner.iac import _slug as slug

    return slug(name)


def stages(result: MigrationResult) -> tuple[Stage, ...]:
    """The six stages for this service, filled in with its roles, files and keys."""
    if not result.keys:
        return ()
    roles = result.plan.roles
    role_names = ", ".join(r.name for r in roles) or "none planned (see the keys below)"
    role_files = tuple(
        f"roles/{_slug(r.name)}/{f}" for r in roles for f in ("main.tf", "cloudformation.json")
    )
    patches = tuple(f"roles/{_slug(r.name)}/taskdef-patch.json" for r in roles if r.taskdefs)
    changed = [o.path for o in result.fix.changed]
    if result.fix.write:
        code = f"Review and deploy the rewrite already applied to {len(changed)} file(s)."
    elif changed:
        code = (
            f"Run keyshift fix --write (or keyshift migrate --write) to rewrite {len(changed)} file(s) "
            "onto the default credential chain, then deploy. fix.diff is a redacted review copy: read "
            "it, do not git-apply it."
        )
    else:
        code = "No code rewrite is needed; the notes under each key still apply."
    blockers = sorted({f"{b.path}:{b.line}" for r in roles for b in r.blockers})
    overrides = (
        f"Remove {len(blockers)} setting(s) that override the task role ({', '.join(blockers[:4])}"
        f"{', …' if len(blockers) > 4 else ''}), and every value listed under the keys below."
        if blockers
        else "Remove every value listed under the keys below (.env files, CI variables, secret stores)."
    )
    key_ids = ", ".join(k.ident for k in result.keys)
    return (
        Stage(
            "Create and deploy the role", f"{role_names}: nothing uses it yet, so this is safe.", role_files
        ),
        Stage(
            "Switch the task definition",
            "Set taskRoleArn to the new role. While the keys are still set they win over the role, "
            "so this changes nothing yet.",
            patches,
        ),
        Stage("Apply the code change", code, ("fix.diff",)),
        Stage("Remove the overrides", overrides),
        Stage(
            "Confirm the key is unused",
            f"aws iam get-access-key-last-used for {key_ids}, or keyshift trail over CloudTrail, which "
            "also names other users of the key.",
        ),
        Stage("Revoke", "Deactivate, watch, then delete each key, as runbook.md says.", ("runbook.md",)),
    )


def folder_files(result: MigrationResult) -> tuple[tuple[str, str], ...]:
    """(relative path, what it is) for every file the review folder holds."""
    files = [
        ("report.md", "this review, as Markdown"),
        ("runbook.md", "the revocation steps per key"),
        ("fix.diff", "the code change, redacted review copy (apply it with keyshift fix --write)"),
        ("migration.json", "everything above as data (docs/migration-json.md)"),
    ]
    for role in result.plan.roles:
        base = f"roles/{_slug(role.name)}"
        files += [
            (f"{base}/main.tf", f"{role.name}: Terraform"),
            (f"{base}/cloudformation.json", f"{role.name}: CloudFormation (CAPABILITY_NAMED_IAM)"),
            (f"{base}/policy.json", f"{role.name}: permissions policy"),
            (f"{base}/trust-policy.json", f"{role.name}: trust policy"),
            (f"{base}/taskdef-patch.json", f"{role.name}: task-definition change"),
            (f"{base}/report.md", f"{role.name}: every permission and the code it comes from"),
        ]
    if result.plan.roles:
        files.append(("roles/plan.json", "the plan as data"))
    return tuple(files)
