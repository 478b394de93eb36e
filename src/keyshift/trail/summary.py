"""The typed result of reading a trail: per key, the calls, resources and consumers; denials; coverage.

Built from the merged partial in one place. A temporary key issued to a wanted key (by
``AssumeRole`` or ``GetSessionToken``) is folded into that key's activity, its calls marked with
the role they were made as. ``Coverage`` says what the logs can and cannot prove.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from keyshift.detect.account import account_id
from keyshift.trail import agents
from keyshift.trail.actions import is_data_action, to_actions
from keyshift.trail.fold import Partial, chains, prune, prune_denials

_MAX_RESOURCES = 20


@dataclass(frozen=True, slots=True)
class ObservedCall:
    event_source: str
    event_name: str
    actions: tuple[str, ...]
    confidence: str  # how the table mapped it: mapped | conditional | inferred
    data_event: bool
    count: int
    errors: int
    first: str
    last: str
    regions: tuple[str, ...]
    example_event_id: str
    resources: tuple[str, ...]
    more_resources: int
    via_role: str | None  # the role the call was made as, through a temporary key of this key
    by: str  # consumer family that made it: boto3, aws-cli, console, ...

    @property
    def by_python_sdk(self) -> bool:
        return self.by in agents.PYTHON_SDK


@dataclass(frozen=True, slots=True)
class Consumer:
    source_ip: str
    family: str
    version: str
    count: int
    first: str
    last: str
    via_role: str | None

    @property
    def label(self) -> str:
        return agents.label(self.family, self.version)

    @property
    def python_sdk(self) -> bool:
        return self.family in agents.PYTHON_SDK


@dataclass(frozen=True, slots=True)
class KeyActivity:
    key_id: str
    account_id: str | None
    identities: tuple[str, ...]
    events: int
    first: str
    last: str
    calls: tuple[ObservedCall, ...]
    consumers: tuple[Consumer, ...]
    sessions: tuple[tuple[str, str | None], ...]  # (temporary key, role ARN) issued to this key
    # (table, events): events of the entries beyond a table's limit, counted, not itemised
    overflow: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Denial:
    role_arn: str
    action: str
    resource: str
    count: int
    first: str
    last: str
    example: str  # event ID, or file:line for a log line
    error_code: str
    origin: str  # "cloudtrail" or "logs"


@dataclass(frozen=True, slots=True)
class Coverage:
    files: int
    records: int
    data_events: int
    kms_events: int
    versions: tuple[tuple[str, int], ...]
    first: str
    last: str
    bad_records: int
    skipped: tuple[tuple[str, str], ...]
    partial: tuple[tuple[str, str, int], ...]
    denials_dropped: int = 0  # denial events beyond the per-role limits, counted, not itemised

    @property
    def complete(self) -> bool:
        return not self.skipped and not self.partial and not self.bad_records

    def statements(self) -> tuple[str, ...]:
        """What these logs can and cannot prove, in words."""
        out = [f"{self.records} events in {self.files} file(s), {self.first or '?'} to {self.last or '?'}."]
        if self.data_events:
            out.append(
                f"{self.data_events} data events: data calls are logged, but only for the resources the "
                "trail's selectors cover."
            )
        else:
            out.append(
                "No data events: S3 object, DynamoDB item, Lambda invoke, SQS and SNS data calls are "
                "not logged here, so their absence proves nothing."
            )
        if not self.kms_events:
            out.append(
                "No KMS events: the trail may exclude them, so KMS calls (Decrypt, GenerateDataKey) "
                "cannot be ruled out."
            )
        out.append(
            "A key idle in this window may still be used less often (monthly jobs); compare with "
            "`aws iam get-access-key-last-used`."
        )
        if not self.complete:
            lost = len(self.skipped) + len(self.partial)
            out.append(f"INCOMPLETE: {lost} input(s) not read or read in part; see below.")
        return tuple(out)


@dataclass(frozen=True, slots=True)
class TrailSummary:
    keys: tuple[KeyActivity, ...]
    not_seen: tuple[str, ...]  # wanted keys with no event at all
    denials: tuple[Denial, ...]
    unresolved: tuple[tuple[str, str, str], ...]  # (where, operation, error code) naming no action
    coverage: Coverage


def summarize(p: Partial, wanted: Iterable[str] | None) -> TrailSummary:
    prune_denials(p)
    issued = p["issued"]
    wanted_set = set(wanted) if wanted is not None else None
    groups: dict[str, list[tuple[str, str | None]]] = {}
    for kid in p["keys"]:
        root = chains(issued, kid)
        owner, role = root if root is not None else (kid, None)
        if wanted_set is not None and owner not in wanted_set:
            continue
        groups.setdefault(owner, []).append((kid, role))
    # temporary keys issued to a key but never seen calling: still worth naming (the logs may
    # simply not hold their calls: data events, another region's trail, outside the window)
    idle: dict[str, list[tuple[str, str | None]]] = {}
    for temp in issued:
        if temp in p["keys"]:
            continue
        root = chains(issued, temp)
        if root is not None and root[0] in groups:
            idle.setdefault(root[0], []).append((temp, root[1]))
    keys = tuple(
        _activity(owner, members, p, sorted(idle.get(owner, ()))) for owner, members in sorted(groups.items())
    )
    seen = {k.key_id for k in keys}
    not_seen = tuple(sorted(set(wanted_set or ()) - seen))
    stats = p["stats"]
    coverage = Coverage(
        files=stats["files"],
        records=stats["records"],
        data_events=stats["data"],
        kms_events=stats["kms"],
        versions=tuple(sorted(stats["versions"].items())),
        first=stats["first"],
        last=stats["last"],
        bad_records=stats["bad_records"],
        denials_dropped=stats["denials_dropped"],
        skipped=tuple(sorted(set(p["skipped"]))),
        partial=tuple(sorted(set(p["partial"]))),
    )
    denials = [
        Denial(role, action, resource, e[0], e[1], e[2], e[3], e[4], e[6])
        for role, table in p["denials"].items()
        for (action, resource, _), e in table.items()
    ]
    denials.sort(key=lambda d: (d.role_arn, d.action, d.resource, d.origin))
    unresolved = tuple(sorted(set(p["unresolved"])))
    return TrailSummary(keys, not_seen, tuple(denials), unresolved, coverage)


def _activity(
    owner: str, members: list[tuple[str, str | None]], p: Partial, idle: list[tuple[str, str | None]]
) -> KeyActivity:
    calls: list[ObservedCall] = []
    consumers: list[Consumer] = []
    identities: set[str] = set()
    events = 0
    overflow: dict[str, int] = {}
    first = last = ""
    sessions: list[tuple[str, str | None]] = []
    for kid, role in sorted(members, key=lambda m: (m[0] != owner, m[0])):
        agg = p["keys"][kid]
        prune(agg)
        events += agg["n"]
        for table, n in agg["overflow"].items():
            overflow[table] = overflow.get(table, 0) + n
        if kid != owner:
            sessions.append((kid, role))
        identities |= set(agg["identities"])
        per_call: dict[tuple[str, str, str], list[str]] = {}
        for (ckey, arn), _n in sorted(agg["resources"].items(), key=lambda kv: (-kv[1], kv[0])):
            per_call.setdefault(ckey, []).append(arn)
        for (source, name, by), c in sorted(agg["calls"].items()):
            actions, confidence = to_actions(source, name)
            res = per_call.get((source, name, by), [])
            calls.append(
                ObservedCall(
                    source, name, actions, confidence,
                    c[5] == "Data" or any(is_data_action(a) for a in actions),
                    c[0], c[1], c[2], c[3], tuple(sorted(c[6])), c[4],
                    tuple(sorted(res[:_MAX_RESOURCES])), max(0, len(res) - _MAX_RESOURCES),
                    role, by,
                )
            )  # fmt: skip
            first = c[2] if c[2] and (not first or c[2] < first) else first
            last = max(last, c[3])
        for (ip, ua), c in sorted(agg["consumers"].items()):
            fam, version = agents.family(ua)
            consumers.append(Consumer(ip, fam, version, c[0], c[1], c[2], role))
    return KeyActivity(
        owner, account_id(owner), tuple(sorted(identities)), events, first, last,
        tuple(calls), _merge_consumers(consumers), tuple(sorted(sessions + idle)),
        tuple(sorted(overflow.items())),
    )  # fmt: skip


def _merge_consumers(consumers: list[Consumer]) -> tuple[Consumer, ...]:
    """One consumer per (address, family, version, role): user-agent details beyond that do not matter."""
    out: dict[tuple[str, str, str, str | None], Consumer] = {}
    for c in consumers:
        key = (c.source_ip, c.family, c.version, c.via_role)
        have = out.get(key)
        if have is None:
            out[key] = c
        else:
            out[key] = Consumer(
                c.source_ip, c.family, c.version, have.count + c.count,
                min(x for x in (have.first, c.first) if x) if (have.first or c.first) else "",
                max(have.last, c.last), c.via_role,
            )  # fmt: skip
    return tuple(sorted(out.values(), key=lambda c: (-c.count, c.source_ip, c.family, c.version)))
