"""``report.html``: the same review as ``report.md`` as one self-contained page (inline CSS and SVG)."""

from __future__ import annotations

from keyshift.markup import html_text
from keyshift.migrate.pipeline import KeyReport, MigrationResult
from keyshift.migrate.report_md import generated_at, totals
from keyshift.migrate.svg import stacked_bars

CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.5em 0 1em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f4f4f4}code{background:#f4f4f4;padding:0 .2em}
.badge{display:inline-block;padding:0 .5em;border-radius:.6em;color:#fff;font-size:.85em}
.head{background:#c0392b}.history{background:#e67e22}.image{background:#8e44ad}.live{background:#922b21}
.invalid{background:#7f8c8d}.unverified,.error{background:#95a5a6}
.totals td:first-child{font-weight:bold}
"""


def _e(text: object) -> str:
    return html_text(text)


def _key(key: KeyReport) -> str:
    parts = [f'<section class="key" id="{_e(key.ident)}"><h3><code>{_e(key.ident)}</code>']
    for flag, cls in ((key.at_head, "head"), (key.in_history_only, "history"), (key.in_image, "image")):
        if flag:
            parts.append(f' <span class="badge {cls}">{cls}</span>')
    if key.verdict is not None:
        parts.append(f' <span class="badge {_e(key.verdict.status)}">{_e(key.verdict.status)}</span>')
    parts.append("</h3><ul>")
    parts.append(f"<li>account: {_e(key.account_id or 'unknown')}</li>")
    parts.append(f"<li>kind: {_e(', '.join(key.kinds))}</li>")
    if key.verdict is not None and key.verdict.arn:
        parts.append(f"<li>identity: <code>{_e(key.verdict.arn)}</code></li>")
    parts.append(f"<li>role: {_e(', '.join(key.roles) or 'none')}</li></ul>")
    parts.append("<table><tr><th>where</th><th>location</th><th>kind</th><th>detail</th></tr>")
    for p in key.places:
        parts.append(
            f'<tr><td><span class="badge {_e(p.where)}">{_e(p.where)}</span></td>'
            f"<td><code>{_e(p.path)}:{p.line}</code></td><td>{_e(p.kind)}</td><td>{_e(p.detail)}</td></tr>"
        )
    parts.append("</table>")
    if key.served:
        parts.append("<p>Code it served:</p><ul>")
        parts += [f"<li><code>{_e(s)}</code></li>" for s in key.served]
        parts.append("</ul>")
    parts.append("<p>Steps left for a human:</p><ol>")
    parts += [f"<li>{_e(s)}</li>" for s in key.steps]
    parts.append("</ol></section>")
    return "".join(parts)


def render(result: MigrationResult) -> str:
    t = totals(result)
    body = [f"<h1>keyshift migration review: {_e(result.name)}</h1>"]
    stamp = generated_at()
    if stamp:
        body.append(f"<p>Generated {_e(stamp)}.</p>")
    body.append(f"<p>Sources scanned: {_e(', '.join(result.sources))}.</p>")
    body.append('<table class="totals">')
    body += [f"<tr><td>{_e(k.replace('_', ' '))}</td><td>{v}</td></tr>" for k, v in t.items()]
    body.append("</table>")
    if result.notes:
        body.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in result.notes) + "</ul>")
    if result.keys:
        rows = [
            (
                k.ident,
                [(w, sum(1 for p in k.places if p.where == w)) for w in ("head", "history", "image")],
            )
            for k in result.keys
        ]
        body.append('<figure id="chart-places">')
        body.append(stacked_bars("Places per key", rows))
        body.append("</figure>")
        if result.plan.roles:
            role_rows = [(r.name, [("actions", len(r.grants))]) for r in result.plan.roles]
            body.append('<figure id="chart-roles">')
            body.append(stacked_bars("IAM actions per role", role_rows))
            body.append("</figure>")
        body.append("<h2>Keys</h2>")
        body += [_key(k) for k in result.keys]
    else:
        body.append("<p>No hardcoded AWS key was found. Nothing to migrate.</p>")
    body.append("<h2>Code changes</h2><ul>")
    for o in result.fix.outcomes:
        if o.status in ("would-fix", "fixed", "report-only", "unparsable", "error"):
            body.append(f"<li><code>{_e(o.path)}</code>: {_e(o.status)}</li>")
    body.append("</ul><p>The full diff is in <code>fix.diff</code>.</p>")
    body.append("<h2>Roles</h2><ul>")
    for role in result.plan.roles:
        keys = _e(", ".join(role.key_ids))
        body.append(
            f"<li><b>{_e(role.name)}</b> ({_e(role.service)}, keys <code>{keys}</code>): "
            f"{len(role.grants)} action(s), {len(role.blockers)} override(s) to remove</li>"
        )
    body.append("</ul>")
    if result.errors:
        body.append("<h2>Errors</h2><ul>" + "".join(f"<li>{_e(e)}</li>" for e in result.errors) + "</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>keyshift: {_e(result.name)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
