"""One record -> per-key aggregates; partial results from worker processes merge into one.

A worker folds the records of one file into a ``Partial`` made of plain dicts (cheap to pickle).
What it keeps grows with distinct keys, calls, consumers and resources, never with the number
of events, and every per-key table is capped (overflow is counted), so memory stays flat over
a month of trail. The parent merges partials and resolves credential chains afterwards
(``chains``), because the call that issued a temporary key and the calls made with it may sit
in files that different workers read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from keyshift.trail import agents, arns

DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Client.UnauthorizedOperation"}
)
# calls whose response hands out a temporary (ASIA...) key for the caller or a role
ISSUERS = frozenset({"AssumeRole", "GetSessionToken", "GetFederationToken"})
CAP = 500  # distinct entries per table per key; more are counted in ``overflow``

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
            "files": 0,
            "first": "",
            "last": "",
        },
        "unresolved": [],  # (where, operation, error code): log denials that name no action
        "skipped": [],  # (input, reason) read not at all
        "partial": [],  # (input, reason, records read) read only in part
    }


def _new_key() -> dict[str, Any]:
    return {"n": 0, "calls": {}, "consumers": {}, "resources": {}, "identities": {}, "overflow": 0}


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
    if call is None:
        if len(calls) >= CAP:
            agg["overflow"] += weight
            return
        call = calls[ckey] = [0, 0, "", "", "", category or "Management", set()]
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
        if len(consumers) >= CAP:
            agg["overflow"] += weight
        else:
            cons = consumers[(ip, ua)] = [0, "", ""]
    if cons is not None:
        cons[0] += weight
        _span(cons, time, 1)
        _span(cons, last, 1)
    arn = ui.get("arn")
    if isinstance(arn, str):
        ident = agg["identities"]
        if arn[:512] in ident or len(ident) < CAP:
            ident[arn[:512]] = ident.get(arn[:512], 0) + weight
    if error is None:
        table = agg["resources"]
        named = ((res, weight) for res in arns.from_record(rec)) if resources is None else resources
        for res, n in named:
            rkey = (ckey, res)
            if rkey in table:
                table[rkey] += n
            elif len(table) < CAP * 4:
                table[rkey] = n
            else:
                agg["overflow"] += n
        if name in ISSUERS and source == "sts.amazonaws.com":
            _fold_issue(p, rec, kid, name, time)


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
        role = assumed["arn"][:512]
    params = rec.get("requestParameters")
    if isinstance(params, dict) and isinstance(params.get("roleArn"), str):
        role = params["roleArn"][:512]
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
    table = p["denials"].setdefault(role[:512], {})
    dkey = (action, resource or "*", "cloudtrail")
    entry = table.get(dkey)
    if entry is None:
        if len(table) >= CAP:
            return
        entry = table[dkey] = [0, "", "", "", error, name, "cloudtrail"]
    event_id = rec.get("eventID")
    entry[0] += weight
    _seen(entry, 1, 3, time, event_id[:64] if isinstance(event_id, str) else "")
    _span(entry, last, 1)


def merge(into: Partial, other: Partial) -> None:
    """Add ``other`` to ``into`` (both from ``new_partial``)."""
    s, o = into["stats"], other["stats"]
    for field in ("records", "data", "kms", "bad_records", "files"):
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
    for kid, agg in other["keys"].items():
        have = into["keys"].get(kid)
        if have is None:
            into["keys"][kid] = agg
            continue
        have["n"] += agg["n"]
        have["overflow"] += agg["overflow"]
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
        if len(have["resources"]) > CAP * 8:
            prune(have)


def prune(agg: dict[str, Any]) -> None:
    """Keep a key's ``CAP * 4`` first resources in sorted order; count the rest in ``overflow``.

    Each file's fold keeps what fits, but merged over a month (S3 data events name every
    object) the table would grow with the input. Keeping the smallest entries is the one cut
    that does not depend on the order workers finish in: an entry among the smallest of all is
    among the smallest of every part, so it is never dropped and its count is exact.
    ``summary`` prunes once more at the end, so the cut is the same however often it ran.
    """
    table = agg["resources"]
    if len(table) <= CAP * 4:
        return
    keep = sorted(table)[: CAP * 4]
    kept = {k: table[k] for k in keep}
    agg["overflow"] += sum(table.values()) - sum(kept.values())
    agg["resources"] = kept


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
