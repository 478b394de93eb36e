"""One record -> per-key aggregates; partial results from worker processes merge into one.

A worker folds the records of one file into a ``Partial`` made of plain dicts (cheap to pickle).
What it keeps grows with distinct keys, never with the number of events or with distinct calls,
consumers, identities or resources: every per-key table (and every role's denials) keeps its
first ``LIMITS`` entries in sorted order, and counts the events of the rest as overflow, in
every partial and again whenever partials merge (``prune``). Keeping the smallest entries is the
one cut that does not depend on record or file order, so memory stays flat over a month of trail
(or over millions of distinct source addresses, user agents and identities) and the report is
the same however the files were split among workers. The parent merges partials and resolves
credential chains afterwards (``chains``), because the call that issued a temporary key and the
calls made with it may sit in files that different workers read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from keyshift.trail import agents, arns

DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation"}
)
# calls whose response hands out a temporary (ASIA...) key for the caller or a role
ISSUERS = frozenset({"AssumeRole", "GetSessionToken", "GetFederationToken"})
CAP = 500  # distinct entries per table per key; more are counted in ``overflow``
# entries each per-key table keeps, in sorted order; a table may hold twice as many between cuts
LIMITS = {"calls": CAP, "consumers": CAP, "identities": CAP, "resources": CAP * 4}

Partial = dict[str, Any]


def new_partial() -> Partial:
    return {
        "keys": {},
        "issued": {},
        "denials": {},
        "stats": {
            "records": 0,
            "data": 0,
            "kms": 0,
            "versions": {},
            "bad_records": 0,
            "denials_dropped": 0,  # denial events beyond a role's ``CAP`` entries or ``CAP`` roles
            "files": 0,
            "first": "",
            "last": "",
        },
        "unresolved": [],  # (where, operation, error code): log denials that name no action
        "skipped": [],  # (input, reason) read not at all
        "partial": [],  # (input, reason, records read) read only in part
    }


def _new_key() -> dict[str, Any]:
    return {"n": 0, "calls": {}, "consumers": {}, "resources": {}, "identities": {}, "overflow": {}}


@lru_cache(maxsize=4096)
def _name(arn: str) -> str:
    """An identity or role ARN as kept: bounded, any secret-shaped run in it masked (a caller
    names sessions and users; a name may hold a token)."""
    return arns.masked(arn[:512])


def _span(entry: list[Any], time: str, first: int) -> bool:
    """Widen entry[first:first+2] to include ``time``; True when ``time`` is the new earliest."""
    if not time:
        return False
    earliest = not entry[first] or time < entry[first]
    if earliest:
        entry[first] = time
    if time > entry[first + 1]:
        entry[first + 1] = time
    return earliest


def _seen(entry: list[Any], at: int, ex: int, time: str, event_id: str) -> None:
    """Widen entry[at:at+2] to include ``time``; entry[ex] is the example event.

    The example is the earliest event, ties going to the smallest event ID, so it does not depend
    on the order records or files are read in (workers finish in any order; the every-record fast
    path folds equal records as one).
    """
    first = entry[at]
    if time and (not first or time < first):
        entry[at] = time
        entry[ex] = event_id
    elif time == first and event_id and (not entry[ex] or event_id < entry[ex]):
        entry[ex] = event_id
    if time > entry[at + 1]:
        entry[at + 1] = time


def fold(
    p: Partial,
    rec: Any,
    wanted: frozenset[str] | None = None,
    *,
    counted: bool = False,
    weight: int = 1,
    last: str = "",
    resources: Iterable[tuple[str, int]] | None = None,
) -> None:
    """Add one record to ``p``; ``wanted`` limits the per-key tables to those key IDs.

    ``counted``: the caller has already counted the record in the coverage statistics.
    ``weight`` and ``last``: ``rec`` stands for ``weight`` records that differ only in their time
    and event ID; ``rec`` carries the earliest (with its example ID) and ``last`` the latest time.
    ``resources``: the (ARN, records naming it) of those records, in place of what ``rec``'s own
    parameters and resources name.
    """
    stats = p["stats"]
    if (
        not isinstance(rec, dict)
        or not isinstance(rec.get("eventSource"), str)
        or not isinstance(rec.get("eventName"), str)
    ):
        stats["bad_records"] += 1
        return
    source: str = rec["eventSource"]
    name: str = rec["eventName"][:128]
    category = rec.get("eventCategory")
    category = (
        "Data" if category == "Data" or (category is None and rec.get("managementEvent") is False) else ""
    )
    time = rec.get("eventTime")
    time = time[:32] if isinstance(time, str) else ""
    last = last[:32] if last > time else ""
    if not counted:
        _count(stats, rec, source, category, time, weight)
        if last:
            stats["last"] = max(stats["last"], last)
    ui = rec.get("userIdentity")
    ui = ui if isinstance(ui, dict) else {}
    error = rec.get("errorCode")
    if isinstance(error, str) and error in DENIED:
        _fold_denial(p, rec, ui, source, name, time, error, weight, last)
    kid = ui.get("accessKeyId")
    if not isinstance(kid, str) or not kid or (wanted is not None and kid not in wanted):
        return
    agg = p["keys"].get(kid)
    if agg is None:
        agg = p["keys"][kid] = _new_key()
    agg["n"] += weight
    region = rec.get("awsRegion")
    region = region[:32] if isinstance(region, str) else "?"
    event_id = rec.get("eventID")
    event_id = event_id[:64] if isinstance(event_id, str) else ""
    ua = rec.get("userAgent")
    ua = ua[:512] if isinstance(ua, str) else ""
    calls = agg["calls"]
    ckey = (source[:128], name, agents.family(ua)[0])  # who made it decides whose role needs it
    call = calls.get(ckey)
    grown = False
    if call is None:
        call = calls[ckey] = [0, 0, "", "", "", category or "Management", set()]
        grown = len(calls) > 2 * CAP
    elif category:
        call[5] = "Data"  # one data event makes the call a data event, whatever order files come in
    call[0] += weight
    if error is not None:
        call[1] += weight
    _seen(call, 2, 4, time, event_id)
    if last > call[3]:
        call[3] = last
    if len(call[6]) < 64:
        call[6].add(region)
    ip = rec.get("sourceIPAddress")
    ip = ip[:128] if isinstance(ip, str) else "?"
    consumers = agg["consumers"]
    cons = consumers.get((ip, ua))
    if cons is None:
        cons = consumers[(ip, ua)] = [0, "", ""]
        grown = grown or len(consumers) > 2 * CAP
    cons[0] += weight
    _span(cons, time, 1)
    _span(cons, last, 1)
    arn = ui.get("arn")
    if isinstance(arn, str):
        ident = agg["identities"]
        arn = _name(arn)
        ident[arn] = ident.get(arn, 0) + weight
        grown = grown or len(ident) > 2 * CAP
    if error is None:
        table = agg["resources"]
        named = ((res, weight) for res in arns.from_record(rec)) if resources is None else resources
        for res, n in named:
            rkey = (ckey, res)
            table[rkey] = table.get(rkey, 0) + n
        grown = grown or len(table) > 2 * CAP * 4
        if name in ISSUERS and source == "sts.amazonaws.com":
            _fold_issue(p, rec, kid, name, time)
    if grown:
        prune(agg, slack=2)


def _count(
    stats: dict[str, Any], rec: dict[str, Any], source: str, category: str, time: str, weight: int
) -> None:
    stats["records"] += weight
    version = rec.get("eventVersion")
    version = version if isinstance(version, str) and len(version) <= 8 else "?"
    versions = stats["versions"]
    versions[version] = versions.get(version, 0) + weight
    if category:
        stats["data"] += weight
    if source == "kms.amazonaws.com":
        stats["kms"] += weight
    if time:
        if not stats["first"] or time < stats["first"]:
            stats["first"] = time
        if time > stats["last"]:
            stats["last"] = time


def _fold_issue(p: Partial, rec: Mapping[str, Any], kid: str, name: str, time: str) -> None:
    response = rec.get("responseElements")
    if not isinstance(response, dict):
        return
    creds = response.get("credentials")
    temp = creds.get("accessKeyId") if isinstance(creds, dict) else None
    if not isinstance(temp, str) or not temp.startswith("ASIA") or len(temp) > 32:
        return
    role = None
    assumed = response.get("assumedRoleUser")
    if isinstance(assumed, dict) and isinstance(assumed.get("arn"), str):
        role = _name(assumed["arn"])
    params = rec.get("requestParameters")
    if isinstance(params, dict) and isinstance(params.get("roleArn"), str):
        role = _name(params["roleArn"])
    note_issue(p["issued"], temp, (kid, role, time, name))


def note_issue(issued: dict[str, Any], temp: str, entry: tuple[str, str | None, str, str]) -> None:
    """Record who was issued ``temp``; of several issues (AWS never repeats a key ID, but input
    can), the earliest wins, so the answer does not depend on the order files are read in."""
    have = issued.get(temp)
    if have is None or _order(entry) < _order(have):
        issued[temp] = entry


def _order(entry: tuple[str, str | None, str, str]) -> tuple[str, str, str, str]:
    kid, role, time, name = entry
    return time, kid, role or "", name


def _fold_denial(
    p: Partial,
    rec: Mapping[str, Any],
    ui: Mapping[str, Any],
    source: str,
    name: str,
    time: str,
    error: str,
    weight: int,
    last: str,
) -> None:
    ctx = ui.get("sessionContext")
    issuer = ctx.get("sessionIssuer") if isinstance(ctx, dict) else None
    role = issuer.get("arn") if isinstance(issuer, dict) else None
    if not isinstance(role, str) or ":role/" not in role:
        return
    from keyshift.trail.actions import to_actions

    message = rec.get("errorMessage")
    action, resource = arns.denied_action(message) if isinstance(message, str) else (None, None)
    if action is None:
        actions, _ = to_actions(source, name)
        action = actions[0]
    if resource is None:
        resource = next(arns.from_record(rec), None)
    denials = p["denials"]
    role = _name(role)
    table = denials.get(role)
    if table is None:
        table = denials[role] = {}
    dkey = (action, resource or "*", "cloudtrail")
    entry = table.get(dkey)
    if entry is None:
        entry = table[dkey] = [0, "", "", "", error, name, "cloudtrail"]
    event_id = rec.get("eventID")
    entry[0] += weight
    _seen(entry, 1, 3, time, event_id[:64] if isinstance(event_id, str) else "")
    _span(entry, last, 1)
    if len(table) > 2 * CAP or len(denials) > 2 * CAP:
        prune_denials(p, slack=2)


def merge(into: Partial, other: Partial) -> None:
    """Add ``other`` to ``into`` (both from ``new_partial``)."""
    s, o = into["stats"], other["stats"]
    for field in ("records", "data", "kms", "bad_records", "denials_dropped", "files"):
        s[field] += o[field]
    for v, n in o["versions"].items():
        s["versions"][v] = s["versions"].get(v, 0) + n
    if o["first"] and (not s["first"] or o["first"] < s["first"]):
        s["first"] = o["first"]
    s["last"] = max(s["last"], o["last"])
    into["skipped"] += other["skipped"]
    into["unresolved"] += other["unresolved"][: max(0, CAP - len(into["unresolved"]))]
    into["partial"] += other["partial"]
    for temp, entry in other["issued"].items():
        note_issue(into["issued"], temp, entry)
    for role, table in other["denials"].items():
        mine = into["denials"].setdefault(role, {})
        for dkey, entry in table.items():
            have = mine.get(dkey)
            if have is None:
                mine[dkey] = entry
            else:
                have[0] += entry[0]
                _seen(have, 1, 3, entry[1], entry[3])
                _span(have, entry[2], 1)
        if len(mine) > 2 * CAP:
            prune_denials(into, slack=2)
    if len(into["denials"]) > 2 * CAP:
        prune_denials(into, slack=2)
    for kid, agg in other["keys"].items():
        have = into["keys"].get(kid)
        if have is None:
            into["keys"][kid] = agg
            continue
        have["n"] += agg["n"]
        for table, n in agg["overflow"].items():
            have["overflow"][table] = have["overflow"].get(table, 0) + n
        for ckey, call in agg["calls"].items():
            mine_call = have["calls"].get(ckey)
            if mine_call is None:
                have["calls"][ckey] = call
                continue
            mine_call[0] += call[0]
            mine_call[1] += call[1]
            if call[5] == "Data":
                mine_call[5] = "Data"
            _seen(mine_call, 2, 4, call[2], call[4])
            _span(mine_call, call[3], 2)
            mine_call[6] |= call[6]
        for ck, cons in agg["consumers"].items():
            mine_cons = have["consumers"].get(ck)
            if mine_cons is None:
                have["consumers"][ck] = cons
                continue
            mine_cons[0] += cons[0]
            _span(mine_cons, cons[1], 1)
            _span(mine_cons, cons[2], 1)
        for table in ("resources", "identities"):
            for k, n in agg[table].items():
                have[table][k] = have[table].get(k, 0) + n
        prune(have, slack=2)


def _weight(entry: Any) -> int:
    return entry if isinstance(entry, int) else entry[0]


def _cut(table: dict[Any, Any], limit: int) -> tuple[dict[Any, Any], int]:
    """(the ``limit`` smallest entries of ``table``, the events of the others)."""
    kept = {k: table[k] for k in sorted(table)[:limit]}
    return kept, sum(map(_weight, table.values())) - sum(map(_weight, kept.values()))


def prune(agg: dict[str, Any], *, slack: int = 1) -> None:
    """Cut each table of a key longer than ``slack`` times its limit to its first ``LIMITS``
    entries in sorted order; the events of the rest are counted in ``overflow`` per table.

    Merged over a month (S3 data events name every object; hostile input names millions of
    addresses, agents and identities) the tables would grow with the input. Keeping the smallest
    entries is the one cut that does not depend on the order records come in or workers finish
    in: an entry among the smallest of all is among the smallest of every part, so it is never
    dropped and its count, times and example are exact; an entry once dropped is never among
    the smallest again. Folds and merges cut at twice the limit (``slack=2``), ``summary`` once
    more at the limit, so the cut is the same however often it ran.
    """
    for name, limit in LIMITS.items():
        table = agg[name]
        if len(table) > slack * limit:
            agg[name], dropped = _cut(table, limit)
            if dropped:
                agg["overflow"][name] = agg["overflow"].get(name, 0) + dropped


def prune_denials(p: Partial, *, slack: int = 1) -> None:
    """The same cut for denials: ``CAP`` entries per role, ``CAP`` roles (smallest ARNs);
    the events of the rest are counted in ``stats["denials_dropped"]``."""
    denials = p["denials"]
    dropped = 0
    for role, table in denials.items():
        if len(table) > slack * CAP:
            denials[role], n = _cut(table, CAP)
            dropped += n
    if len(denials) > slack * CAP:
        keep = sorted(denials)[:CAP]
        for role in set(denials) - set(keep):
            dropped += sum(map(_weight, denials.pop(role).values()))
    p["stats"]["denials_dropped"] += dropped


def chains(issued: Mapping[str, tuple[str, str | None, str, str]], key: str) -> tuple[str, str | None] | None:
    """(long-lived key, role ARN or None) a temporary key descends from, following role chaining."""
    role: str | None = None
    seen = 0
    current = key
    while current in issued and seen < 16:
        parent, via, _, _ = issued[current]
        role = role or via
        current = parent
        seen += 1
    if current == key:
        return None
    return current, role
