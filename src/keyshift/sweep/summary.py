"""The organisation summary: repositories by risk, keys by account, totals (JSON, Markdown, HTML).

Built only from the per-repository outcomes, sorted, with no timings and no run counters, so the
same fleet state always gives the same files.

``summary.json`` (``version`` 1): ``totals`` (repositories, failed, with_keys, clean,
not_fully_scanned, distinct_keys, live_keys, keys_at_head, keys_history_only, keys_in_images,
shared_keys, accounts, roles); ``repositories[]`` sorted by ``risk`` (live > head > history > image >
partial > clean > error, then counts, then name), each {``name``, ``location``, ``status``, ``risk``,
``head``, ``scanned``, ``not_scanned``, ``keys_live``, ``keys_at_head``, ``keys_history_only``,
``keys_in_images``, ``keys``, ``roles``, ``report`` (the repository's review folder), ``error``};
``accounts[]`` = {``account_id``, ``keys``, ``repositories``}; ``keys[]`` = {``key``, ``account_id``,
``state`` (live, head, history, image, revoked), ``repositories``}; ``shared_keys[]`` = the keys found
in more than one repository; ``progress`` = what changed since the previous sweep into the same
folder ({``previous_keys``, ``off_head``, ``revoked``, ``new``, ``gone``}), or null on a first run.

A repository is "clean" only when every source was scanned (working tree and history) and nothing
was found. One whose history could not be or was not scanned is "partial", shown as
"not scanned: history", because a key that lives only in history is still a key to rotate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from keyshift.markup import html_text, md_text
from keyshift.migrate.report_md import generated_at
from keyshift.migrate.svg import stacked_bars

RISKS = ("live", "head", "history", "image", "partial", "clean", "error")
REQUIRED_SOURCES = ("worktree", "history")
RISK_LABELS = {"partial": "not scanned: history"}


def risk_label(name: str) -> str:
    return RISK_LABELS.get(name, name)


def not_scanned(outcome: dict[str, Any]) -> list[str]:
    """The required sources this repository's run did not scan (an outcome without the list: all)."""
    scanned = outcome.get("sources") or ()
    return [s for s in REQUIRED_SOURCES if s not in scanned]


def _count(outcome: dict[str, Any], field: str) -> int:
    return int(outcome.get("totals", {}).get(field, 0))


def risk(outcome: dict[str, Any]) -> str:
    if outcome.get("status") != "ok":
        return "error"
    for name, field in (
        ("live", "keys_live"),
        ("head", "keys_at_head"),
        ("history", "keys_history_only"),
        ("image", "keys_in_images"),
    ):
        if _count(outcome, field):
            return name
    return "partial" if not_scanned(outcome) else "clean"


def _repo_row(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": o["name"],
        "location": o["location"],
        "status": o.get("status"),
        "risk": risk(o),
        "head": o.get("head"),
        "scanned": list(o.get("sources") or ()),
        "not_scanned": not_scanned(o) if o.get("status") == "ok" else list(REQUIRED_SOURCES),
        "keys_live": _count(o, "keys_live"),
        "keys_at_head": _count(o, "keys_at_head"),
        "keys_history_only": _count(o, "keys_history_only"),
        "keys_in_images": _count(o, "keys_in_images"),
        "keys": _count(o, "keys"),
        "roles": list(o.get("roles", [])),
        "report": o.get("report"),
        "error": o.get("error"),
    }


def _key_state(key: dict[str, Any]) -> str:
    verdict = (key.get("verify") or {}).get("status")
    if verdict == "live":
        return "live"
    if verdict == "invalid":  # STS rejected the pair: the key is deleted or deactivated
        return "revoked"
    if key.get("at_head"):
        return "head"
    if key.get("history_only"):
        return "history"
    return "image" if key.get("in_image") else "head"


_STATE_ORDER = ("live", "head", "image", "history", "revoked")


def _keys_view(outcomes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per distinct key: its worst state across the fleet and every repository holding it."""
    keys: dict[str, dict[str, Any]] = {}
    for o in outcomes:
        for key in o.get("keys", []) if o.get("status") == "ok" else []:
            entry = keys.setdefault(
                key["key"],
                {
                    "key": key["key"],
                    "account_id": key.get("account_id") or "unknown",
                    "state": "revoked",
                    "repos": set(),
                },
            )
            state = _key_state(key)
            if _STATE_ORDER.index(state) < _STATE_ORDER.index(entry["state"]):
                entry["state"] = state
            entry["repos"].add(o["name"])
    return [
        {
            "key": k["key"],
            "account_id": k["account_id"],
            "state": k["state"],
            "repositories": sorted(k["repos"]),
        }
        for k in sorted(keys.values(), key=lambda k: (_STATE_ORDER.index(k["state"]), k["key"]))
    ]


def progress(previous: dict[str, Any] | None, keys: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What changed since the previous sweep into the same folder, from its ``summary.json``."""
    if not previous or not isinstance(previous.get("keys"), list):
        return None
    before = {k.get("key"): k.get("state") for k in previous["keys"] if isinstance(k, dict)}
    now = {k["key"]: k["state"] for k in keys}
    return {
        "previous_keys": len(before),
        "off_head": sorted(k for k, s in now.items() if before.get(k) in ("head", "live") and s == "history"),
        "revoked": sorted(k for k, s in now.items() if s == "revoked" and before.get(k) != "revoked"),
        "new": sorted(k for k in now if k not in before),
        "gone": sorted(k for k in before if k not in now),
    }


def build(outcomes: Sequence[dict[str, Any]], previous: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = [_repo_row(o) for o in outcomes]
    rows.sort(
        key=lambda r: (
            RISKS.index(r["risk"]),
            -r["keys_live"],
            -r["keys_at_head"],
            -r["keys_history_only"],
            -r["keys_in_images"],
            r["name"],
        )
    )
    accounts: dict[str, dict[str, set[str]]] = {}
    key_ids: set[str] = set()
    live: set[str] = set()
    for o in outcomes:
        for key in o.get("keys", []) if o.get("status") == "ok" else []:
            ident = key["key"]
            key_ids.add(ident)
            verdict = key.get("verify") or {}
            if verdict.get("status") == "live":
                live.add(ident)
            entry = accounts.setdefault(key.get("account_id") or "unknown", {"keys": set(), "repos": set()})
            entry["keys"].add(ident)
            entry["repos"].add(o["name"])
    by_account = sorted(
        (
            {"account_id": acc, "keys": sorted(v["keys"]), "repositories": sorted(v["repos"])}
            for acc, v in accounts.items()
        ),
        key=lambda a: (-len(a["keys"]), a["account_id"]),
    )
    keys = _keys_view(outcomes)
    shared = [k for k in keys if len(k["repositories"]) > 1]
    totals = {
        "repositories": len(rows),
        "failed": sum(1 for r in rows if r["risk"] == "error"),
        "with_keys": sum(1 for r in rows if r["keys"]),
        "clean": sum(1 for r in rows if r["risk"] == "clean"),
        "not_fully_scanned": sum(1 for r in rows if r["risk"] != "error" and r["not_scanned"]),
        "distinct_keys": len(key_ids),
        "live_keys": len(live),
        "keys_at_head": sum(r["keys_at_head"] for r in rows),
        "keys_history_only": sum(r["keys_history_only"] for r in rows),
        "keys_in_images": sum(r["keys_in_images"] for r in rows),
        "shared_keys": len(shared),
        "accounts": len(by_account),
        "roles": sum(len(r["roles"]) for r in rows),
    }
    return {
        "version": 1,
        "totals": totals,
        "repositories": rows,
        "accounts": by_account,
        "keys": keys,
        "shared_keys": shared,
        "progress": progress(previous, keys),
    }


def to_json(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, sort_keys=True) + "\n"


def _md(text: object) -> str:
    return md_text(text)


def to_markdown(summary: dict[str, Any]) -> str:
    t = summary["totals"]
    lines = ["# keyshift sweep: organisation summary", ""]
    stamp = generated_at()
    if stamp:
        lines += [f"Generated {stamp}.", ""]
    lines += ["## Totals", "", "| | count |", "|---|---|"]
    lines += [f"| {k.replace('_', ' ')} | {v} |" for k, v in t.items()]
    lines += ["", "## Repositories by risk", ""]
    lines += ["| repository | risk | scanned | live | at HEAD | history only | images | roles | report |"]
    lines += ["|---|---|---|---|---|---|---|---|---|"]
    for r in summary["repositories"]:
        report = f"[report](<{_md(r['report'])}>)" if r["report"] else _md(r["error"] or "")
        lines.append(
            f"| {_md(r['name'])} | {risk_label(r['risk'])} | {_md(_scanned_text(r))} | {r['keys_live']} | "
            f"{r['keys_at_head']} | {r['keys_history_only']} | {r['keys_in_images']} | {len(r['roles'])} | "
            f"{report} |"
        )
    lines += ["", "## Keys by account", "", "| account | keys | repositories |", "|---|---|---|"]
    for a in summary["accounts"]:
        lines.append(f"| {a['account_id']} | {len(a['keys'])} | {_md(', '.join(a['repositories']))} |")
    if summary.get("shared_keys"):
        lines += ["", "## Keys shared across repositories", "", "| key | account | state | repositories |"]
        lines += ["|---|---|---|---|"]
        for k in summary["shared_keys"]:
            lines.append(
                f"| {k['key']} | {k['account_id']} | {k['state']} | {_md(', '.join(k['repositories']))} |"
            )
    prog = summary.get("progress")
    if prog:
        lines += ["", "## Progress since the last sweep", ""]
        lines += [f"- {line}" for line in _progress_lines(prog)]
    failed = [r for r in summary["repositories"] if r["risk"] == "error"]
    if failed:
        lines += ["", "## Repositories that could not be scanned", ""]
        lines += [f"- {_md(r['name'])} ({_md(r['location'])}): {_md(r['error'])}" for r in failed]
    lines.append("")
    return "\n".join(lines)


def _scanned_text(row: dict[str, Any]) -> str:
    if row["risk"] == "error":
        return "nothing"
    missing = row.get("not_scanned") or []
    text = ", ".join(row.get("scanned") or []) or "nothing"
    return f"{text} (not scanned: {', '.join(missing)})" if missing else text


def _progress_lines(prog: dict[str, Any]) -> list[str]:
    return [
        f"{prog['previous_keys']} key(s) in the previous sweep",
        f"{len(prog['off_head'])} moved off HEAD (now in history only): {', '.join(prog['off_head']) or '-'}",
        f"{len(prog['revoked'])} newly revoked: {', '.join(prog['revoked']) or '-'}",
        f"{len(prog['new'])} new: {', '.join(prog['new']) or '-'}",
        f"{len(prog['gone'])} no longer found: {', '.join(prog['gone']) or '-'}",
    ]


CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:64em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:.25em .6em}
th{background:#f4f4f4}.live{color:#922b21;font-weight:bold}.head{color:#c0392b}.history{color:#e67e22}
.error{color:#7f8c8d}.partial{color:#8e44ad}
"""


def to_html(summary: dict[str, Any]) -> str:
    t = summary["totals"]
    e = html_text
    body = ["<h1>keyshift sweep: organisation summary</h1>"]
    stamp = generated_at()
    if stamp:
        body.append(f"<p>Generated {e(stamp)}.</p>")
    body.append('<table class="totals">')
    body += [f"<tr><td>{e(k.replace('_', ' '))}</td><td>{v}</td></tr>" for k, v in t.items()]
    body.append("</table>")
    risky = [r for r in summary["repositories"] if r["keys"]][:25]
    if risky:
        rows = [
            (
                r["name"],
                [
                    ("live", r["keys_live"]),
                    ("head", r["keys_at_head"] - r["keys_live"] if r["keys_at_head"] > r["keys_live"] else 0),
                    ("history", r["keys_history_only"]),
                ],
            )
            for r in risky
        ]
        body.append('<figure id="chart-repos">' + stacked_bars("Keys per repository (riskiest first)", rows))
        body.append("</figure>")
    if summary["accounts"]:
        acc_rows = [(a["account_id"], [("keys", len(a["keys"]))]) for a in summary["accounts"][:25]]
        body.append('<figure id="chart-accounts">' + stacked_bars("Keys per account", acc_rows) + "</figure>")
    body.append("<h2>Repositories by risk</h2><table><tr><th>repository</th><th>risk</th><th>scanned</th>")
    body.append("<th>live</th>")
    body.append("<th>at HEAD</th><th>history only</th><th>images</th><th>roles</th><th>report</th></tr>")
    for r in summary["repositories"]:
        link = (
            f'<a href="{e(r["report"].removesuffix(".md") + ".html")}">report</a>'
            if r["report"]
            else e(r["error"] or "")
        )
        body.append(
            f'<tr><td>{e(r["name"])}</td><td class="{e(r["risk"])}">{e(risk_label(r["risk"]))}</td>'
            f"<td>{e(_scanned_text(r))}</td>"
            f"<td>{r['keys_live']}</td><td>{r['keys_at_head']}</td><td>{r['keys_history_only']}</td>"
            f"<td>{r['keys_in_images']}</td><td>{len(r['roles'])}</td><td>{link}</td></tr>"
        )
    body.append(
        "</table><h2>Keys by account</h2><table><tr><th>account</th><th>keys</th><th>repositories</th></tr>"
    )
    for a in summary["accounts"]:
        body.append(
            f"<tr><td>{e(a['account_id'])}</td><td>{len(a['keys'])}</td>"
            f"<td>{e(', '.join(a['repositories']))}</td></tr>"
        )
    body.append("</table>")
    if summary.get("shared_keys"):
        body.append("<h2>Keys shared across repositories</h2><table><tr><th>key</th><th>account</th>")
        body.append("<th>state</th><th>repositories</th></tr>")
        for k in summary["shared_keys"]:
            body.append(
                f"<tr><td>{e(k['key'])}</td><td>{e(k['account_id'])}</td><td>{e(k['state'])}</td>"
                f"<td>{e(', '.join(k['repositories']))}</td></tr>"
            )
        body.append("</table>")
    if summary.get("progress"):
        body.append("<h2>Progress since the last sweep</h2><ul>")
        body += [f"<li>{e(line)}</li>" for line in _progress_lines(summary["progress"])]
        body.append("</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>keyshift sweep</title>'
        f"<style>{CSS}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
