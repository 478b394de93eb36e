"""``keyshift trail`` output: text for people, JSON (stable keys, sorted) for tools.

Only identifiers, counts, times, ARNs and user-agent families are printed; no request parameter
value other than an ARN ever reaches here, and the command scrubs the whole text on the way out.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Any

from keyshift.trail.hygiene import canary
from keyshift.trail.summary import TrailSummary

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str, *, markdown: bool = False) -> str:
    """Text from logs made safe to print: no terminal escapes or bidi controls; in Markdown, no fences."""
    text = _CONTROL.sub("?", text)
    # file names that are not UTF-8 arrive as lone surrogates: show them, never crash on them
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if markdown:
        text = text.replace("`", "'")
    return text


def to_json(summary: TrailSummary) -> dict[str, Any]:
    out = asdict(summary)
    for key, activity in zip(out["keys"], summary.keys, strict=True):
        for c, consumer in zip(key["consumers"], activity.consumers, strict=True):
            c["label"] = consumer.label
            c["python_sdk"] = consumer.python_sdk
    out["coverage"]["complete"] = summary.coverage.complete
    out["coverage"]["statements"] = list(summary.coverage.statements())
    return out


def dumps(summary: TrailSummary) -> str:
    return json.dumps(to_json(summary), indent=2, sort_keys=True) + "\n"


def text(summary: TrailSummary) -> str:
    lines: list[str] = []
    cov = summary.coverage
    lines.append(
        f"keyshift trail: {len(summary.keys)} key(s) seen, {len(summary.not_seen)} not seen, "
        f"{len(summary.denials)} denial(s); {cov.records} events read"
    )
    for key in summary.keys:
        lines.append("")
        lines.append(
            f"key {key.key_id} (account {key.account_id or 'unknown'}): {key.events} events, "
            f"{key.first or '?'} .. {key.last or '?'}"
        )
        why = canary(key.key_id)
        if why is not None:
            lines.append(f"  CANARY: {why}; never call AWS with it")
        for ident in key.identities:
            lines.append(f"  as {ident}")
        for temp, role in key.sessions:
            lines.append(f"  issued {temp} -> {role or 'a session of its own user'}")
        lines.append("  calls:")
        for call in key.calls:
            flags = [f"by {call.by}"]
            if call.data_event:
                flags.append("data event")
            if call.confidence == "inferred":
                flags.append("action inferred")
            if call.errors:
                flags.append(f"{call.errors} failed")
            if call.via_role:
                flags.append(f"as {call.via_role}")
            extra = f"  ({', '.join(flags)})" if flags else ""
            lines.append(
                f"    {', '.join(call.actions):<34} {call.event_name} x{call.count}  "
                f"{call.first} .. {call.last}  [{', '.join(call.regions)}]  "
                f"e.g. {call.example_event_id}{extra}"
            )
            for res in call.resources:
                lines.append(f"      on {res}")
            if call.more_resources:
                lines.append(f"      ... and {call.more_resources} more resources")
        lines.append("  consumers:")
        for c in key.consumers:
            who = "" if c.python_sdk else "   <- not a Python SDK: someone else uses this key"
            via = f" as {c.via_role}" if c.via_role else ""
            lines.append(f"    {c.label} from {c.source_ip}{via}: {c.count} events, last seen {c.last}{who}")
        if key.overflow:
            over = ", ".join(f"{table} of {n} events" for table, n in key.overflow)
            lines.append(f"  (beyond the per-key table limits, counted but not itemised: {over})")
    for kid in summary.not_seen:
        lines.append("")
        lines.append(f"key {kid}: no event in these logs")
    if summary.denials or summary.unresolved:
        lines.append("")
        lines.append("denials (each is a minimal addition to that role's policy):")
        for d in summary.denials:
            when = f", last {d.last}" if d.last else ""
            lines.append(
                f"  {d.role_arn}: {d.action} on {d.resource}  ({d.error_code} x{d.count}{when}, "
                f"{d.origin} e.g. {d.example})"
            )
        for where, operation, code in summary.unresolved:
            lines.append(f"  unresolved: {code} calling {operation} at {where} (the message names no action)")
    lines.append("")
    lines.append("what these logs can and cannot prove:")
    for statement in cov.statements():
        lines.append(f"  - {statement}")
    if len(cov.versions) > 1:
        lines.append("  - record versions: " + ", ".join(f"{v} ({n})" for v, n in cov.versions))
    for name, reason in cov.skipped:
        lines.append(f"  skipped {name}: {reason}")
    for name, reason, n in cov.partial:
        lines.append(f"  read in part {name}: {reason} ({n} records read before it)")
    if cov.denials_dropped:
        lines.append(
            f"  {cov.denials_dropped} denial event(s) beyond the per-role limits were counted, not itemised"
        )
    if cov.bad_records:
        lines.append(f"  {cov.bad_records} element(s) were not CloudTrail records and were skipped")
    return "\n".join(lines) + "\n"
