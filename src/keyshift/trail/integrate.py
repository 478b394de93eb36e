"""The trail beside a static plan: what to add, what was never seen, who else holds the key.

A thin layer over two typed results (``PlanResult`` from the planner, ``TrailSummary`` from
``summarize``), so neither stage knows about the other. Per role:

- observed but not granted: a proposed addition, with its evidence (event, count, first and last
  seen, an example event ID). Only calls made by the workload itself count (the Python SDK, with
  the key directly); what an aws-cli did with the same key is someone else's need.
- denied after the cutover (a session of the role, in CloudTrail or the service's log): the
  minimal addition, action and resource as AWS named them.
- granted but never observed: flagged, never removed, saying whether the action is a data event
  and whether the logs hold data events at all.
- other consumers of the key: a blocker on the key's revocation step.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from keyshift.planner.build import Grant, PlanResult, RolePlan
from keyshift.trail.actions import is_data_action
from keyshift.trail.blast import Radius, summarize, user_of, user_radius
from keyshift.trail.summary import KeyActivity, TrailSummary

# calls that need no IAM permission
_FREE = frozenset({"sts:GetCallerIdentity"})


@dataclass(frozen=True, slots=True)
class Addition:
    action: str
    resources: tuple[str, ...]
    evidence: str
    origin: str  # "observed" (the key did it) or "denied" (the role was refused it)


@dataclass(frozen=True, slots=True)
class Unobserved:
    action: str
    data_event: bool
    note: str


@dataclass(frozen=True, slots=True)
class RevocationBlocker:
    key_id: str
    consumer: str
    source_ip: str
    last_seen: str
    message: str


@dataclass(frozen=True, slots=True)
class RoleTrail:
    role: str
    key_id: str
    seen: bool  # the key appears in the logs at all
    additions: tuple[Addition, ...]
    unobserved: tuple[Unobserved, ...]
    blockers: tuple[RevocationBlocker, ...]
    policy: dict[str, Any]  # the role's policy with the additions
    diff: str  # unified diff from the planned (deployed) policy to ``policy``
    before: Radius | None = None  # what the key's IAM user could do (from an IAM export)
    after: Radius | None = None  # what the role grants, additions included


#: one IAM action, no wildcard: what a log may add to a role. A forged record or a log line that
#: quotes user input (``not authorized to perform: iam:** on resource: *``) proposed ``iam:**``.
_ACTION = re.compile(r"[a-z0-9][a-z0-9-]{0,63}:[A-Za-z][A-Za-z0-9]{0,127}")


def _concrete(action: str) -> bool:
    return _ACTION.fullmatch(action) is not None


def _granted(action: str, grants: tuple[Grant, ...]) -> bool:
    return any(fnmatch.fnmatchcase(action, g.action) for g in grants)


def compare(
    plan: PlanResult,
    summary: TrailSummary,
    iam: Mapping[str, Any] | None = None,
    deployed: Mapping[str, Any] | None = None,
) -> tuple[RoleTrail, ...]:
    """Each role of the plan beside the trail; ``iam`` (an authorization-details export) adds blast radii."""
    by_key = {k.key_id: k for k in summary.keys}
    out = []
    for role in plan.roles:
        # a role replaces every key its workload used: the trail of each of them speaks for it
        keys = {k: by_key.get(k) for k in role.key_ids}
        trail = _role(role, keys, summary, (deployed or {}).get(role.name))
        if iam is not None:
            users = [user_of(key.identities) for key in keys.values() if key is not None]
            user = next((u for u in users if u), None)
            before = user_radius(iam, user) if user else None
            trail = replace(trail, before=before, after=summarize(role.name, [("its policy", trail.policy)]))
        out.append(trail)
    return tuple(out)


def _role(
    role: RolePlan, keys: Mapping[str, KeyActivity | None], summary: TrailSummary, deployed: Any = None
) -> RoleTrail:
    additions: dict[str, Addition] = {}
    observed: set[str] = set()
    seen = [key for key in keys.values() if key is not None]
    for key in seen:
        for call in key.calls:
            observed.update(call.actions)
            if call.via_role or not call.by_python_sdk or call.count <= call.errors:
                continue
            for action in call.actions:
                if not _concrete(action) or action in _FREE or action in additions:
                    continue
                if _granted(action, role.grants):
                    continue
                evidence = (
                    f"{call.event_name} x{call.count}, first {call.first}, last {call.last}, "
                    f"e.g. event {call.example_event_id}"
                )
                resources = call.resources if call.resources and not call.more_resources else ("*",)
                additions[action] = Addition(action, resources, evidence, "observed")
    for denial in summary.denials:
        if not _concrete(denial.action) or not _is_role(denial.role_arn, role.name):
            continue
        if _granted(denial.action, role.grants):
            continue
        evidence = f"{denial.error_code} x{denial.count} in {denial.origin}, e.g. {denial.example}"
        have = additions.get(denial.action)
        if have is None or have.origin == "observed":
            resources = (
                (denial.resource,) if have is None else tuple(sorted({*have.resources, denial.resource}))
            )
            joined = evidence if have is None else f"{have.evidence}; {evidence}"
            additions[denial.action] = Addition(denial.action, resources, joined, "denied")
        else:
            resources = tuple(sorted({*have.resources, denial.resource}))
            additions[denial.action] = replace(
                have, resources=resources, evidence=f"{have.evidence}; {evidence}"
            )
    unobserved = tuple(
        _unobserved(g.action, summary) for g in role.grants if not seen or g.action not in observed
    )
    blockers = tuple(b for key_id, key in keys.items() for b in _blockers(key_id, key))
    after = replace(
        role,
        grants=role.grants
        + tuple(Grant(a.action, a.resources, (a.evidence,), "observed") for a in additions.values()),
    )
    # the diff is to what was deployed when that is known (``--deployed``), else to the plan
    before_doc = deployed if isinstance(deployed, dict) else _policy(role)
    label = "deployed" if isinstance(deployed, dict) else "planned"
    after_doc = _policy(after)
    diff = "".join(
        difflib.unified_diff(
            _lines(before_doc), _lines(after_doc), f"{role.name} ({label})", f"{role.name} (with the trail)"
        )
    )
    ordered = tuple(sorted(additions.values(), key=lambda a: a.action))
    return RoleTrail(
        role.name, ", ".join(role.key_ids), bool(seen), ordered,
        unobserved, blockers, after_doc, diff,
    )  # fmt: skip


def _is_role(arn: str, name: str) -> bool:
    return arn.endswith(f":role/{name}") or (arn.endswith(f"/{name}") and ":role/" in arn)


def _unobserved(action: str, summary: TrailSummary) -> Unobserved:
    cov = summary.coverage
    if is_data_action(action):
        if cov.data_events:
            note = (
                f"a data event; these logs hold {cov.data_events} data events, but the trail's selectors "
                "may not cover this resource"
            )
        else:
            note = "a data event, and these logs hold no data events: not seeing it proves nothing"
        return Unobserved(action, True, note)
    if action.startswith("kms:") and not cov.kms_events:
        return Unobserved(
            action, False, "KMS events are absent from these logs (maybe excluded): proves nothing"
        )
    window = f"{cov.first or '?'} to {cov.last or '?'}"
    note = f"a management event not seen from {window}: review it, keyshift keeps it"
    return Unobserved(action, False, note)


def _blockers(key_id: str, key: KeyActivity | None) -> tuple[RevocationBlocker, ...]:
    if key is None:
        return ()
    out = []
    # the workload is the Python SDK at its busiest address; Python elsewhere may be another copy
    # of the service or another consumer altogether, so it blocks too (conservative on purpose)
    own = [c for c in key.consumers if c.python_sdk and c.via_role is None]
    home = max(own, key=lambda c: (c.count, c.source_ip)).source_ip if own else None
    for c in key.consumers:
        if c.python_sdk and c.source_ip == home:
            continue
        via = f" (as {c.via_role})" if c.via_role else ""
        elsewhere = " (Python from another address: another copy of the service, or someone else)"
        message = f"also used by {c.label} from {c.source_ip}{via}, last seen {c.last}"
        if c.python_sdk:
            message += elsewhere
        out.append(RevocationBlocker(key_id, c.label, c.source_ip, c.last, message))
    return tuple(out)


def _policy(role: RolePlan) -> dict[str, Any]:
    from keyshift.planner import render

    return {"Version": render.VERSION, "Statement": render.statements(role)}


def _lines(doc: dict[str, Any]) -> list[str]:
    return [line + "\n" for line in json.dumps(doc, indent=2, sort_keys=True).splitlines()]


def blocked_keys(trails: tuple[RoleTrail, ...]) -> dict[str, tuple[str, ...]]:
    """key ID -> the blocker messages that keep its revocation on hold."""
    out: dict[str, list[str]] = {}
    for t in trails:
        for b in t.blockers:
            if b.message not in out.setdefault(b.key_id, []):
                out[b.key_id].append(b.message)
    return {k: tuple(v) for k, v in out.items() if v}


def to_json(trails: tuple[RoleTrail, ...], summary: TrailSummary) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "roles": [asdict(t) for t in trails],
        "denials": [asdict(d) for d in summary.denials],
        "coverage": list(summary.coverage.statements()),
    }


def text(trails: tuple[RoleTrail, ...], summary: TrailSummary) -> str:
    lines = ["", "trail (what CloudTrail says next to the plan):"]
    for t in trails:
        lines.append(f"role {t.role}  (key {t.key_id}{'' if t.seen else ', no event in the logs'})")
        for a in t.additions:
            what = "add (denied after the cutover)" if a.origin == "denied" else "add (observed, not granted)"
            lines.append(f"  {what}: {a.action} on {', '.join(a.resources)}")
            lines.append(f"    evidence: {a.evidence}")
        for u in t.unobserved:
            lines.append(f"  granted, never observed: {u.action} ({u.note}; kept)")
        for b in t.blockers:
            lines.append(f"  BLOCKER on revoking {b.key_id}: {b.message}")
        if t.after is not None:
            before = (
                t.before.label() if t.before is not None else "unknown (the key's user is not in the export)"
            )
            lines.append(f"  blast radius: user {t.before.principal if t.before else '?'}: {before}")
            lines.append(f"            now role {t.role}: {t.after.label()}")
        if t.diff:
            lines.append("  policy change:")
            lines.extend("    " + line.rstrip("\n") for line in t.diff.splitlines())
    lines.append("what the logs can and cannot prove:")
    lines.extend(f"  - {s}" for s in summary.coverage.statements())
    return "\n".join(lines) + "\n"


def radius_table(trails: tuple[RoleTrail, ...]) -> str:
    """Markdown: each key's blast radius before (its IAM user) and after (its role)."""
    rows = [t for t in trails if t.after is not None]
    if not rows:
        return ""
    lines = ["| key | before: IAM user | after: task role |", "|---|---|---|"]
    for t in rows:
        assert t.after is not None
        before = f"{t.before.principal}: {t.before.label()}" if t.before else "user not in the export"
        cells = (t.key_id, before, f"{t.role}: {t.after.label()}")
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def gate_runbook(runbook: str, blocked: dict[str, tuple[str, ...]]) -> str:
    """The runbook with every deactivate/delete step of a blocked key replaced by the hold.

    While another consumer still uses a key, the runbook must not tell anyone to revoke it.
    """
    if not blocked:
        return runbook
    sections = runbook.split("\n## ")
    out = [sections[0]]
    for section in sections[1:]:
        ident = section.split("\n", 1)[0].strip()
        reasons = blocked.get(ident)
        if not reasons:
            out.append(section)
            continue
        lines = section.split("\n")
        cut = next(
            (
                i
                for i, line in enumerate(lines)
                if line[:1].isdigit()
                and any(w in line.lower() for w in ("deactivate", "delete", "revoke", "rotation"))
            ),
            len(lines),
        )
        kept = lines[:cut]
        kept.append("ON HOLD: do not deactivate or delete this key; other consumers still use it:")
        kept.extend(f"   - {r}" for r in reasons)
        kept.append("   Move them to their own credentials, re-run with `--trail`, then continue.")
        kept.append("")
        out.append("\n".join(kept))
    return "\n## ".join(out)
