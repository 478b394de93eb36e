"""The organisation summary: repositories by risk, keys by account, totals (JSON, Markdown, HTML).

Built only from the per-repository outcomes, sorted, with no timings and no run counters, so the
same fleet state always gives the same files.

``summary.json`` (``version`` 1): ``totals`` (repositories, failed, with_keys, clean, distinct_keys,
live_keys, keys_at_head, keys_history_only, keys_in_images, accounts, roles); ``repositories[]``
sorted by ``risk`` (live > head > history > image > clean > error, then counts, then name), each
{``name``, ``location``, ``status``, ``risk``, ``head``, ``keys_live``, ``keys_at_head``,
``keys_history_only``, ``keys_in_images``, ``keys``, ``roles``, ``report`` (the repository's
review folder), ``error``}; ``accounts[]`` = {``account_id``, ``keys``, ``repositories``}.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from keyshift.markup import html_text, md_text
from keyshift.migrate.report_md import generated_at
from keyshift.migrate.svg import stacked_bars

RISKS = ("live", "head", "history", "image", "clean", "error")


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
    return "clean"


def _repo_row(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": o["name"],
        "location": o["location"],
        "status": o.get("status"),
        "risk": risk(o),
        "head": o.get("head"),
        "keys_live": _count(o, "keys_live"),
        "keys_at_head": _count(o, "keys_at_head"),
        "keys_history_only": _count(o, "keys_history_only"),
        "keys_in_images": _count(o, "keys_in_images"),
        "keys": _count(o, "keys"),
        "roles": list(o.get("roles", [])),
        "report": o.get("report"),
        "error": o.get("error"),
    }


def build(outcomes: Sequence[dict[str, Any]]) -> dict[str, Any]:
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
    totals = {
        "repositories": len(rows),
        "failed": sum(1 for r in rows if r["risk"] == "error"),
        "with_keys": sum(1 for r in rows if r["keys"]),
        "clean": sum(1 for r in rows if r["risk"] == "clean"),
        "distinct_keys": len(key_ids),
        "live_keys": len(live),
        "keys_at_head": sum(r["keys_at_head"] for r in rows),
        "keys_history_only": sum(r["keys_history_only"] for r in rows),
        "keys_in_images": sum(r["keys_in_images"] for r in rows),
        "accounts": len(by_account),
        "roles": sum(len(r["roles"]) for r in rows),
    }
    return {"version": 1, "totals": totals, "repositories": rows, "accounts": by_account}


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
    lines += ["| repository | risk | live | at HEAD | history only | images | roles | report |"]
    lines += ["|---|---|---|---|---|---|---|---|"]
    for r in summary["repositories"]:
        report = f"[report](<{_md(r['report'])}>)" if r["report"] else _md(r["error"] or "")
        lines.append(
            f"| {_md(r['name'])} | {r['risk']} | {r['keys_live']} | {r['keys_at_head']} | "
            f"{r['keys_history_only']} | {r['keys_in_images']} | {len(r['roles'])} | {report} |"
        )
    lines += ["", "## Keys by account", "", "| account | keys | repositories |", "|---|---|---|"]
    for a in summary["accounts"]:
        lines.append(f"| {a['account_id']} | {len(a['keys'])} | {_md(', '.join(a['repositories']))} |")
    failed = [r for r in summary["repositories"] if r["risk"] == "error"]
    if failed:
        lines += ["", "## Repositories that could not be scanned", ""]
        lines += [f"- {_md(r['name'])} ({_md(r['location'])}): {_md(r['error'])}" for r in failed]
    lines.append("")
    return "\n".join(lines)


CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:64em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:.25em .6em}
th{background:#f4f4f4}.live{color:#922b21;font-weight:bold}.head{color:#c0392b}.history{color:#e67e22}
.error{color:#7f8c8d}
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
    body.append("<h2>Repositories by risk</h2><table><tr><th>repository</th><th>risk</th><th>live</th>")
    body.append("<th>at HEAD</th><th>history only</th><th>images</th><th>roles</th><th>report</th></tr>")
    for r in summary["repositories"]:
        link = (
            f'<a href="{e(r["report"].removesuffix(".md") + ".html")}">report</a>'
            if r["report"]
            else e(r["error"] or "")
        )
        body.append(
            f'<tr><td>{e(r["name"])}</td><td class="{e(r["risk"])}">{e(r["risk"])}</td>'
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
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>keyshift sweep</title>'
        f"<style>{CSS}</style></head>\n<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
