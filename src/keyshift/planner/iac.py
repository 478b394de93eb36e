"""Deployment files for each planned role: Terraform, CloudFormation, task-definition patch, report.

Everything is rendered from the same ``RolePlan`` as the JSON output, so the files never disagree.
File names are derived from sanitised role names and written only below the chosen directory.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from keyshift.awsnames import CREDENTIAL_ENV_VARS as CREDENTIAL_VARS
from keyshift.markup import md_code, md_text
from keyshift.masking import mask_findings
from keyshift.planner import hcl, render
from keyshift.planner.build import PlanResult, RolePlan
from keyshift.redact import Scrubber
from keyshift.safefs import SafeDir, open_output_dir

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _slug(name: str) -> str:
    slug = _SAFE.sub("-", name).strip(".-") or "role"
    return slug[:64]


def _tf_name(name: str) -> str:
    """An HCL identifier derived from a role name (which may hold ``+=,.@``, never valid in HCL)."""
    ident = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return hcl.identifier(ident if re.match(r"[A-Za-z_]", ident) else f"r_{ident}")


def role_arn(role: RolePlan) -> str:
    return f"arn:{role.partition}:iam::{role.account_id or '<account-id>'}:role/{role.name}"


def execution_role_name(role: RolePlan) -> str:
    return f"{role.name[:54]}-execution"


_CAPABILITY = (
    "deploy with --capabilities CAPABILITY_NAMED_IAM (the template names its IAM roles), e.g. "
    "aws cloudformation deploy --template-file cloudformation.json --stack-name <stack> "
    "--capabilities CAPABILITY_NAMED_IAM"
)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2) + "\n"


def _keys(role: RolePlan) -> str:
    return ", ".join(role.key_ids)


_PLATFORM = {"ecs": "ECS", "lambda": "Lambda", "eks": "EKS"}
_WHAT = {"ecs": "Task role", "lambda": "Lambda execution role", "eks": "EKS Pod Identity role"}
_WHERE = {
    "ecs": "Set this on the service's aws_ecs_task_definition: task_role_arn = aws_iam_role.<name>.arn",
    "eks": "Associate it with the workload's service account: aws_eks_pod_identity_association "
    "(cluster_name, namespace, service_account, role_arn = aws_iam_role.<name>.arn)",
    "lambda": "Set this as the Lambda function's role: aws_lambda_function.role",
}


def terraform(role: RolePlan) -> str:
    """``main.tf`` for the role, built as data and written by ``hcl`` (every string escaped)."""
    ident = _tf_name(role.name)
    parts = [p for p in render.policy_parts(role) if p["Statement"]]
    about = f"{_WHAT[role.target]} for {role.service} (replaces access keys {_keys(role)}); by keyshift."
    blocks: list[hcl.Block | str] = [
        hcl.Block(
            "resource",
            ("aws_iam_role", ident),
            [
                ("name", role.name),
                ("assume_role_policy", hcl.Call("jsonencode", render.trust_policy(role))),
            ],
            comments=(about,),
        )
    ]
    managed = render.managed(role)
    for index, part in enumerate(parts, 1):
        suffix = "" if len(parts) == 1 else f"_{index}"
        policy_name = role.name if len(parts) == 1 else f"{role.name}-{index}"
        if managed:
            # over IAM's inline total (10,240): managed policies of at most 6,144 characters each
            blocks.append(
                hcl.Block(
                    "resource",
                    ("aws_iam_policy", f"{ident}{suffix}"),
                    [("name", policy_name), ("policy", hcl.Call("jsonencode", part))],
                )
            )
            blocks.append(
                hcl.Block(
                    "resource",
                    ("aws_iam_role_policy_attachment", f"{ident}{suffix}"),
                    [
                        ("role", hcl.Ref(f"aws_iam_role.{ident}.name")),
                        ("policy_arn", hcl.Ref(f"aws_iam_policy.{ident}{suffix}.arn")),
                    ],
                )
            )
            continue
        blocks.append(
            hcl.Block(
                "resource",
                ("aws_iam_role_policy", f"{ident}{suffix}"),
                [
                    ("name", policy_name),
                    ("role", hcl.Ref(f"aws_iam_role.{ident}.id")),
                    ("policy", hcl.Call("jsonencode", part)),
                ],
            )
        )
    if role.write_execution_role and role.execution_needs:
        execution = execution_role_name(role)
        blocks.append(
            hcl.Block(
                "resource",
                ("aws_iam_role", f"{ident}_execution"),
                [
                    ("name", execution),
                    ("assume_role_policy", hcl.Call("jsonencode", render.execution_trust(role))),
                ],
                comments=(
                    "The task definition names no execution role; this one allows what starting it needs.",
                ),
            )
        )
        blocks.append(
            hcl.Block(
                "resource",
                ("aws_iam_role_policy", f"{ident}_execution"),
                [
                    ("name", execution),
                    ("role", hcl.Ref(f"aws_iam_role.{ident}_execution.id")),
                    ("policy", hcl.Call("jsonencode", render.execution_policy(role))),
                ],
            )
        )
    blocks.append(
        hcl.Block(
            "output",
            (f"{ident}_task_role_arn",),
            [("value", hcl.Ref(f"aws_iam_role.{ident}.arn"))],
            comments=(_WHERE[role.target],),
        )
    )
    return hcl.document(blocks)


_CFN_TEXT = re.compile(r"[^\t\n\r\x20-\x7e\xa1-\xff]")


def _cfn_text(text: str, limit: int = 1000) -> str:
    """Text in the character set and length IAM allows for a role description (names are data)."""
    return _CFN_TEXT.sub("?", text)[:limit]


def cloudformation(role: RolePlan) -> dict[str, Any]:
    """The template as data: ``json.dumps`` writes it, so no name can change its structure."""
    parts = [p for p in render.policy_parts(role) if p["Statement"]]
    what = {"ecs": "ECS task role", "lambda": "Lambda execution role", "eks": "EKS Pod Identity role"}[
        role.target
    ]
    properties: dict[str, Any] = {
        "RoleName": role.name,
        "Description": _cfn_text(f"{what} for {role.service}; replaces access keys {_keys(role)}"),
        "AssumeRolePolicyDocument": render.trust_policy(role),
    }
    resources: dict[str, Any] = {"TaskRole": {"Type": "AWS::IAM::Role", "Properties": properties}}
    if parts and render.managed(role):
        for index, part in enumerate(parts, 1):
            resources[f"TaskRolePolicy{index}"] = {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "ManagedPolicyName": f"{role.name}-{index}",
                    "PolicyDocument": part,
                    "Roles": [{"Ref": "TaskRole"}],
                },
            }
    elif parts:
        properties["Policies"] = [
            {"PolicyName": role.name if len(parts) == 1 else f"{role.name}-{i}", "PolicyDocument": part}
            for i, part in enumerate(parts, 1)
        ]
    outputs: dict[str, Any] = {
        "TaskRoleArn": {
            "Description": {
                "ecs": "Set as taskRoleArn of the service's task definition",
                "lambda": "Set as the Lambda function's role",
                "eks": "Associate with the workload's service account (EKS Pod Identity)",
            }[role.target],
            "Value": {"Fn::GetAtt": ["TaskRole", "Arn"]},
        }
    }
    if role.write_execution_role and role.execution_needs:
        resources["ExecutionRole"] = {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "RoleName": execution_role_name(role),
                "AssumeRolePolicyDocument": render.execution_trust(role),
                "Policies": [
                    {"PolicyName": execution_role_name(role), "PolicyDocument": render.execution_policy(role)}
                ],
            },
        }
        outputs["ExecutionRoleArn"] = {
            "Description": "Set as executionRoleArn of the task definition",
            "Value": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
        }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": _cfn_text(f"keyshift plan: role {role.name}; {_CAPABILITY}", 1024),
        "Resources": resources,
        "Outputs": outputs,
    }


def taskdef_patch(role: RolePlan, root: Path) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A JSON summary of the change, plus each task definition rewritten: the role set, the
    replaced keys' entries removed from ``environment`` and ``secrets``, and the execution role
    keyshift writes set when the task definition had none.

    The copies are data the user will deploy, but they come from the repository: whatever the
    scanner flags in a copy (a secret under another name, a token in ``command``) is masked
    (``keyshift.masking``) and listed under ``masked`` so the user knows to move it to a secret store.
    """
    arn = role_arn(role)
    patched: list[tuple[str, str]] = []
    removed: list[dict[str, str]] = []
    execution_arn = None
    if role.write_execution_role and role.execution_needs:
        execution_arn = (
            f"arn:{role.partition}:iam::{role.account_id or '<account-id>'}:role/{execution_role_name(role)}"
        )
    masked: list[dict[str, Any]] = []
    for relpath in role.taskdefs if role.target == "ecs" else ():
        try:
            data = json.loads((root / relpath).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        wrapper = data if "containerDefinitions" in data else data.get("taskDefinition", {})
        if not isinstance(wrapper, dict):
            continue
        wrapper["taskRoleArn"] = arn
        if execution_arn and not wrapper.get("executionRoleArn"):
            wrapper["executionRoleArn"] = execution_arn
        containers = wrapper.get("containerDefinitions")
        for container in containers if isinstance(containers, list) else []:
            if not isinstance(container, dict):
                continue
            for field in ("environment", "secrets"):
                entries = container.get(field)
                if not isinstance(entries, list):
                    continue
                keep = [e for e in entries if not (isinstance(e, dict) and e.get("name") in CREDENTIAL_VARS)]
                for entry in entries:
                    if entry not in keep:
                        removed.append(
                            {
                                "file": relpath,
                                "container": str(container.get("name")),
                                "field": field,
                                "name": entry["name"],
                            }
                        )
                container[field] = keep
        text, findings = mask_findings(_json(data), relpath)
        masked += [
            {"file": relpath, "line": f.location.line, "kind": f.kind.name.lower(), "rule_id": f.rule_id}
            for f in findings
        ]
        patched.append((relpath, text))
    summary: dict[str, Any] = {
        "taskRoleArn": arn,
        "remove_environment": [
            *removed,
            *(
                {"file": b.path, "name": b.name}
                for b in role.blockers
                if b.kind not in ("taskdef", "taskdef-secret")
            ),
        ],
    }
    if execution_arn:
        summary["executionRoleArn"] = execution_arn
    if masked:
        summary["masked"] = masked  # lines refer to the copy under taskdefs/
    return summary, patched


def report(role: RolePlan, result: PlanResult) -> str:
    """``report.md``: every name and message from the repository escaped (``keyshift.markup``)."""
    lines = [
        f"# Task role {md_code(role.name)}",
        "",
        f"Replaces access keys {', '.join(md_code(k) for k in role.key_ids)} (account "
        f"{md_text(role.account_id or 'unknown')}) used by workload {md_code(role.service)} "
        f"({md_code(role.directory or '.')}), running on {_PLATFORM[role.target]}.",
        "",
    ]
    if role.execution_needs:
        lines += [
            "## Execution role",
            "",
            "The task definition's execution role must allow: "
            + ", ".join(f"`{n}`" for n in role.execution_needs)
            + (
                " (it names none: `main.tf`/`cloudformation.json` create one and the patch sets it)."
                if role.write_execution_role
                else "."
            ),
            "",
        ]
    if role.key_locations:
        lines += ["Key found at: " + ", ".join(md_code(loc) for loc in role.key_locations), ""]
    if role.blockers:
        lines += ["## Blockers", ""]
        lines += [
            f"- {md_code(f'{b.path}:{b.line}')}: {md_text(b.message)}"
            + (
                " (names no key: whichever key it holds at run time overrides the role)"
                if b.key_id is None
                else ""
            )
            for b in role.blockers
        ]
        lines.append("")
    lines += ["## Permissions", "", "| Action | Resources | Needed by |", "| --- | --- | --- |"]
    for grant in role.grants:
        resources = "<br>".join(md_code(r) for r in grant.resources)
        if grant.why_any:
            resources += f"<br>(`*`: {md_text(grant.why_any)})"
        sites = "<br>".join(md_text(b) for b in grant.because)
        lines.append(f"| {md_code(grant.action)} | {resources} | {sites} |")
    if not role.grants:
        lines.append("| (none) | | |")
    lines.append("")
    if role.unresolved or result.unresolved:
        lines += ["## Calls keyshift could not resolve", ""]
        lines += [f"- {md_text(item)}" for item in (*role.unresolved, *result.unresolved)]
        lines.append("")
    if role.notes:
        lines += ["## Notes", ""]
        lines += [f"- {md_text(note)}" for note in role.notes]
        lines.append("")
    key = role.key_id if len(role.key_ids) == 1 else "<each key above>"
    lines += [
        "## Revocation runbook",
        "",
        f"1. Deploy the role (`main.tf`, or `cloudformation.json` and {_CAPABILITY}), set `taskRoleArn` "
        f"to {md_code(role_arn(role))},",
        "   and remove every blocker above so the SDK falls back to the task role. A key other workloads "
        "also use is revoked only after all of them are migrated.",
        f"2. Check the key is no longer used: `aws iam get-access-key-last-used --access-key-id {key}`.",
        f"3. Deactivate it: `aws iam update-access-key --access-key-id {key} --status Inactive "
        "--user-name <user>`.",
        "4. Watch for `AccessDenied` in CloudTrail and the service logs for a few days; re-activate only "
        "to roll back.",
        f"5. Delete it: `aws iam delete-access-key --access-key-id {key} --user-name <user>`, then remove it "
        "from git history.",
        "",
    ]
    return "\n".join(lines)


def write_all(result: PlanResult, out: Path | SafeDir, scrubber: Scrubber | None = None) -> list[Path]:
    """Write every file for every role below ``out``; returns the paths written (sorted).

    ``out`` is opened without following symlinks (``keyshift.safefs``): a repository that commits
    ``roles`` or the output folder as a symlink gets an error, never a file outside the target.
    Every file passes ``scrubber`` (default: one that knows the plan's own secrets) on its way out.
    """
    scrub_out = scrubber if scrubber is not None else Scrubber(result.secrets)
    root = Path(result.root)
    folder = out if isinstance(out, SafeDir) else open_output_dir(out, within=root)
    try:
        return _write_roles(result, folder, root, scrub_out)
    finally:
        if folder is not out:
            folder.close()


def _write_roles(result: PlanResult, out: SafeDir, root: Path, scrub_out: Scrubber) -> list[Path]:
    written: list[Path] = []

    def put(relpath: str, text: str) -> None:
        written.append(out.write_text(relpath, scrub_out.scrub(text)))

    put("plan.json", render.dumps(render.result_json(result)))
    for role in result.roles:
        folder = _slug(role.name)
        if render.fits(role) is not None:
            put(f"{folder}/report.md", report(role, result))
            continue  # a policy that cannot be deployed is an error (in the plan), not a file
        parts = render.policy_parts(role)
        put(f"{folder}/policy.json", _json(render.policy(role)))
        if len(parts) > 1:
            for index, part in enumerate(parts, 1):
                put(f"{folder}/policy-{index}.json", _json(part))
        put(f"{folder}/trust-policy.json", _json(render.trust_policy(role)))
        put(f"{folder}/main.tf", terraform(role))
        put(f"{folder}/cloudformation.json", _json(cloudformation(role)))
        summary, patched = taskdef_patch(role, root)
        put(f"{folder}/taskdef-patch.json", _json(summary))
        for relpath, text in patched:
            put(f"{folder}/taskdefs/{_slug(relpath.replace('/', '_'))}", text)
        put(f"{folder}/report.md", report(role, result))
    return sorted(written)
