"""Blast radius before and after: what a key's IAM user could do, next to what its new role grants.

Read offline from an ``aws iam get-account-authorization-details`` export: the user's inline
policies, its attached managed policies (their default version), and the same for each of its
groups. The export does not list access keys, so the user comes from the trail (the ``IAMUser``
identity that used the key). The summary counts ``Allow`` actions, with wildcards expanded against
the shipped IAM table, and the resources they name; ``Deny`` statements and conditions are shown
as counts, not evaluated, so the "before" figure is an upper bound, which is what a blast radius is.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from keyshift.errors import KeyshiftError
from keyshift.planner import iam_map

MAX_EXPORT = 256 << 20


@dataclass(frozen=True, slots=True)
class Radius:
    principal: str  # user name or role name
    policies: tuple[str, ...]
    actions: int  # distinct IAM actions allowed (wildcards expanded)
    any_resource: bool  # some allowed action applies to "*"
    resources: int  # distinct resource patterns other than "*"
    denies: int  # Deny statements (not evaluated)
    conditional: int  # Allow statements with conditions (counted as allowed)

    def label(self) -> str:
        where = "any resource" if self.any_resource else f"{self.resources} resource(s)"
        named = ", ".join(self.policies[:3]) + (" ..." if len(self.policies) > 3 else "")
        return f"{named or 'no policy'} -> {self.actions} action(s) on {where}"


@cache
def _all_actions() -> tuple[str, ...]:
    services = iam_map.table()["services"]
    return tuple(sorted(f"{p}:{a}" for p, s in services.items() for a in s.get("actions", {})))


def _expand(patterns: Iterable[str]) -> set[str]:
    out: set[str] = set()
    everything = _all_actions()
    for pattern in patterns:
        low = pattern.lower()
        if low == "*":
            return set(everything)
        prefix = low.split(":", 1)[0] + ":"
        out |= {a for a in everything if a.lower().startswith(prefix) and fnmatch.fnmatchcase(a.lower(), low)}
        if "*" not in pattern and "?" not in pattern:
            out.add(pattern)  # an action the table does not know still counts
    return out


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _document(doc: Any) -> Any:
    if isinstance(doc, str):  # some exports URL-encode policy documents
        try:
            return json.loads(unquote(doc))
        except ValueError:
            return None
    return doc


def summarize(principal: str, documents: Iterable[tuple[str, Any]]) -> Radius:
    """Count what the named policy documents allow."""
    allowed: set[str] = set()
    resources: set[str] = set()
    names: list[str] = []
    any_resource = False
    denies = conditional = 0
    for name, raw in documents:
        names.append(name)
        doc = _document(raw)
        statements = doc.get("Statement") if isinstance(doc, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        for st in statements if isinstance(statements, list) else []:
            if not isinstance(st, dict):
                continue
            if st.get("Effect") == "Deny":
                denies += 1
                continue
            if st.get("Effect") != "Allow":
                continue
            if st.get("Condition"):
                conditional += 1
            if "NotAction" in st:
                acts = set(_all_actions()) - _expand(_list(st["NotAction"]))
            else:
                acts = _expand(_list(st.get("Action")))
            allowed |= acts
            res = _list(st.get("Resource")) if "NotResource" not in st else ["*"]
            if "*" in res:
                any_resource = True
            resources |= {r for r in res if r != "*"}
    return Radius(principal, tuple(names), len(allowed), any_resource, len(resources), denies, conditional)


def load(path: Path) -> Mapping[str, Any]:
    """An ``aws iam get-account-authorization-details`` export."""
    try:
        if path.stat().st_size > MAX_EXPORT:
            raise KeyshiftError(f"{path}: larger than {MAX_EXPORT} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise KeyshiftError(f"cannot read the authorization details export {path}: {exc}") from None
    if not isinstance(data, dict) or "UserDetailList" not in data:
        raise KeyshiftError(f"{path}: not an `aws iam get-account-authorization-details` export")
    return data


def user_radius(export: Mapping[str, Any], user: str) -> Radius | None:
    """What ``user`` could do, or None when the export does not hold it."""
    users = {u.get("UserName"): u for u in export.get("UserDetailList", []) if isinstance(u, dict)}
    detail = users.get(user)
    if detail is None:
        return None
    groups = {g.get("GroupName"): g for g in export.get("GroupDetailList", []) if isinstance(g, dict)}
    docs: list[tuple[str, Any]] = []
    docs += _inline(detail.get("UserPolicyList"))
    docs += _managed(export, detail.get("AttachedManagedPolicies"))
    for name in _list(detail.get("GroupList")):
        group = groups.get(name)
        if group is not None:
            docs += [(f"{name}/{n}", d) for n, d in _inline(group.get("GroupPolicyList"))]
            docs += [(f"{name}/{n}", d) for n, d in _managed(export, group.get("AttachedManagedPolicies"))]
    return summarize(user, docs)


def _inline(items: Any) -> list[tuple[str, Any]]:
    return [
        (str(p.get("PolicyName", "inline")), p.get("PolicyDocument"))
        for p in items or []
        if isinstance(p, dict)
    ]


def _managed(export: Mapping[str, Any], attached: Any) -> list[tuple[str, Any]]:
    policies = {p.get("Arn"): p for p in export.get("Policies", []) if isinstance(p, dict)}
    out: list[tuple[str, Any]] = []
    for item in attached or []:
        if not isinstance(item, dict):
            continue
        policy = policies.get(item.get("PolicyArn"))
        name = str(item.get("PolicyName") or item.get("PolicyArn"))
        if policy is None:
            out.append((f"{name} (not in the export)", None))
            continue
        for version in policy.get("PolicyVersionList", []):
            if isinstance(version, dict) and version.get("IsDefaultVersion"):
                out.append((name, version.get("Document")))
    return out


def user_of(identities: Iterable[str]) -> str | None:
    """The IAM user name behind a key, from the trail's ``IAMUser`` ARNs."""
    for arn in identities:
        if ":user/" in arn:
            return arn.rsplit("/", 1)[1]
    return None
