"""Policy documents and the JSON result: stable ``Sid``s, sorted, within IAM's size limits.

Statements group actions that share the same resources and condition. A ``Sid`` is derived from
the statement's content, so adding a grant elsewhere never renames an existing statement.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from keyshift.planner.build import Grant, PlanResult, RolePlan

# IAM limits (non-whitespace characters): managed policy 6,144; inline policies per role 10,240.
MAX_POLICY_CHARS = 6144
MAX_INLINE_TOTAL = 10240
VERSION = "2012-10-17"


def _sid(actions: list[str], resources: list[str], condition: dict[str, Any] | None) -> str:
    service = actions[0].split(":", 1)[0]
    word = "".join(part.capitalize() for part in service.replace("_", "-").split("-"))
    digest = hashlib.sha1(
        json.dumps([actions, resources, condition], sort_keys=True).encode(), usedforsecurity=False
    ).hexdigest()[:8]
    suffix = "AnyResource" if resources == ["*"] else ""
    return f"{word}{suffix}{digest.upper()}"


def _condition(grant: Grant) -> dict[str, Any] | None:
    if not grant.condition:
        return None
    out: dict[str, dict[str, Any]] = {}
    for operator, key, value in grant.condition:
        # several values of one key (s3:prefix patterns, key aliases) are one list: any matches
        values = out.setdefault(operator, {})
        previous = values.get(key)
        if previous is None:
            values[key] = value
        else:
            values[key] = sorted({*(previous if isinstance(previous, list) else [previous]), value})
    return out


def statements(role: RolePlan) -> list[dict[str, Any]]:
    groups: dict[tuple[tuple[str, ...], str], list[Grant]] = {}
    for grant in role.grants:
        key = (grant.resources, json.dumps(_condition(grant), sort_keys=True))
        groups.setdefault(key, []).append(grant)
    out = []
    for (resources, _), grants in groups.items():
        actions = sorted({g.action for g in grants})
        condition = _condition(grants[0])
        statement: dict[str, Any] = {
            "Sid": _sid(actions, list(resources), condition),
            "Effect": "Allow",
            "Action": actions if len(actions) > 1 else actions[0],
            "Resource": list(resources) if len(resources) > 1 else resources[0],
        }
        if condition:
            statement["Condition"] = condition
        out.append(statement)
    return sorted(out, key=lambda s: (_first(s["Action"]), json.dumps(s["Resource"]), s["Sid"]))


def _first(value: str | list[str]) -> str:
    return value if isinstance(value, str) else value[0]


def policy_size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")))


def policy(role: RolePlan) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": statements(role)}


def policy_parts(role: RolePlan) -> list[dict[str, Any]]:
    """The policy split into documents that each fit IAM's managed-policy size limit."""
    parts: list[list[dict[str, Any]]] = [[]]
    for statement in _fitting(statements(role)):
        candidate = parts[-1] + [statement]
        if parts[-1] and policy_size({"Version": VERSION, "Statement": candidate}) > MAX_POLICY_CHARS:
            parts.append([statement])
        else:
            parts[-1] = candidate
    return [{"Version": VERSION, "Statement": part} for part in parts]


def _fitting(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Statements whose resource list alone is over a managed policy's size, split into several
    statements of the same actions (``Sid`` + ``Part<n>``), each within the limit."""
    out: list[dict[str, Any]] = []
    for statement in items:
        resources = statement["Resource"]
        if policy_size({"Version": VERSION, "Statement": [statement]}) <= MAX_POLICY_CHARS or isinstance(
            resources, str
        ):
            out.append(statement)
            continue
        chunk: list[str] = []
        chunks: list[list[str]] = []
        for resource in resources:
            candidate = {**statement, "Sid": statement["Sid"] + "Part99", "Resource": [*chunk, resource]}
            if chunk and policy_size({"Version": VERSION, "Statement": [candidate]}) > MAX_POLICY_CHARS:
                chunks.append(chunk)
                chunk = []
            chunk.append(resource)
        chunks.append(chunk)
        for index, part in enumerate(chunks, 1):
            out.append({**statement, "Sid": f"{statement['Sid']}Part{index}", "Resource": part})
    return out


def trust_policy(role: RolePlan) -> dict[str, Any]:
    """Who may assume the role: ECS tasks of the account, EKS Pod Identity, or Lambda."""
    account = role.account_id or "*"
    region = role.region or "*"
    if role.target == "eks":
        # EKS Pod Identity needs no OIDC provider ARN, so the trust policy is complete as written
        statement: dict[str, Any] = {
            "Sid": "EksPodIdentity",
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        }
        if role.account_id:
            statement["Condition"] = {"StringEquals": {"aws:SourceAccount": role.account_id}}
        return {"Version": VERSION, "Statement": [statement]}
    if role.target == "lambda":
        statement = {
            "Sid": "LambdaAssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
        if role.account_id:
            statement["Condition"] = {"StringEquals": {"aws:SourceAccount": role.account_id}}
        return {"Version": VERSION, "Statement": [statement]}
    condition: dict[str, Any] = {
        "ArnLike": {"aws:SourceArn": f"arn:{role.partition}:ecs:{region}:{account}:*"}
    }
    if role.account_id:
        condition["StringEquals"] = {"aws:SourceAccount": role.account_id}
    return {
        "Version": VERSION,
        "Statement": [
            {
                "Sid": "EcsTasksAssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": condition,
            }
        ],
    }


def role_json(role: RolePlan) -> dict[str, Any]:
    parts = policy_parts(role)
    document = policy(role)
    data: dict[str, Any] = {
        "name": role.name,
        "service": role.service,
        "directory": role.directory,
        "target": role.target,
        "credentials": [{"key_id": key, "account_id": role.account_id} for key in role.key_ids],
        "key_locations": list(role.key_locations),
        "region": role.region,
        "partition": role.partition,
        "policy": document,
        "trust_policy": trust_policy(role),
        "permissions": [
            {
                "action": g.action,
                "resources": list(g.resources),
                "because": list(g.because),
                "confidence": g.confidence,
                **({"condition": _condition(g)} if g.condition else {}),
                **({"why_any_resource": g.why_any} if g.why_any else {}),
            }
            for g in role.grants
        ],
        "unresolved": list(role.unresolved),
        "blockers": [
            {"path": b.path, "line": b.line, "name": b.name, "message": b.message, "key_id": b.key_id}
            for b in role.blockers
        ],
        "notes": list(role.notes),
    }
    if role.target == "ecs" and role.taskdefs:
        data["taskdefs"] = list(role.taskdefs)
    if role.execution_needs:
        data["execution_role"] = {
            "needs": list(role.execution_needs),
            "written_by_keyshift": role.write_execution_role,
        }
    if len(parts) > 1:
        data["policy_parts"] = parts
    if policy_size(document) > MAX_INLINE_TOTAL:
        data["notes"].append(
            f"policy is {policy_size(document)} characters, over IAM's {MAX_INLINE_TOTAL} inline limit: "
            "attach the parts as managed policies"
        )
    return data


def result_json(result: PlanResult) -> dict[str, Any]:
    return {
        "roles": [role_json(role) for role in result.roles],
        "unresolved": list(result.unresolved),
        "errors": list(result.errors),
    }


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


MAX_MANAGED_POLICIES = 10  # IAM's default quota of managed policies attached to one role


def fits(role: RolePlan) -> str | None:
    """Why the role's policy cannot be deployed within IAM's limits, or None when it can."""
    parts = policy_parts(role)
    too_big = [s["Sid"] for p in parts for s in p["Statement"] if policy_size(p) > MAX_POLICY_CHARS]
    if too_big:
        return f"statement {too_big[0]} alone is over IAM's {MAX_POLICY_CHARS}-character managed policy limit"
    if policy_size(policy(role)) > MAX_INLINE_TOTAL and len(parts) > MAX_MANAGED_POLICIES:
        return f"the policy needs {len(parts)} managed policies; IAM attaches at most {MAX_MANAGED_POLICIES}"
    return None


def managed(role: RolePlan) -> bool:
    """Over the inline total: the parts become managed policies (each within 6,144 characters)."""
    return policy_size(policy(role)) > MAX_INLINE_TOTAL


def execution_policy(role: RolePlan) -> dict[str, Any]:
    """What the task's execution role needs: image pulls, log streams, ``secrets`` values."""
    partition = role.partition
    region = role.region if role.region and role.region != "*" else "*"
    account = role.account_id or "*"
    ecr: list[str] = []
    logs: list[str] = []
    secrets: list[str] = []
    parameters: list[str] = []
    for need in role.execution_needs:
        kind, _, value = need.partition(" ")
        if kind == "ecr":
            host, _, path = value.partition("/")
            owner = host.split(".", 1)[0]
            repo_region = host.split(".")[3] if host.count(".") >= 4 else region
            repository = path.split("@", 1)[0].rsplit(":", 1)[0]
            ecr.append(f"arn:{partition}:ecr:{repo_region}:{owner}:repository/{repository}")
        elif kind == "logs":
            logs.append(f"arn:{partition}:logs:{region}:{account}:log-group:{value}:*")
        elif kind == "secrets" and value.startswith("arn:") and ":secretsmanager:" in value:
            # ``arn:...:secret:name-AbCdEf:json-key::`` names a key of the secret: grant the secret
            parts = value.split(":")
            secrets.append(":".join(parts[:7]) + ("" if len(parts) > 7 else "*"))
        elif kind == "secrets" and value.startswith("arn:"):
            parameters.append(value)
        elif kind == "secrets" and value:
            parameters.append(f"arn:{partition}:ssm:{region}:{account}:parameter/{value.lstrip('/')}")
    statements: list[dict[str, Any]] = []
    if ecr:
        statements.append(
            {"Sid": "EcrAuth", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
        )
        statements.append(
            {
                "Sid": "EcrPull",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                "Resource": sorted(set(ecr)),
            }
        )
    if logs:
        statements.append(
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": sorted(set(logs)),
            }
        )
    if secrets:
        statements.append(
            {
                "Sid": "Secrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": sorted(set(secrets)),
            }
        )
    if parameters:
        statements.append(
            {
                "Sid": "Parameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": sorted(set(parameters)),
            }
        )
    return {"Version": VERSION, "Statement": statements}


def execution_trust(role: RolePlan) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "EcsTasksAssumeRole",
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    if role.account_id:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": role.account_id}}
    return {"Version": VERSION, "Statement": [statement]}
