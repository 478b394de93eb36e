"""``report.html``: the same review as ``report.md`` as one self-contained page (inline CSS and SVG).

It opens with "start here" (the six stages in safe order, the next three marked) and the files of
the folder, linked; counts and charts come after, and charts only where they compare something.
"""

from __future__ import annotations

from keyshift.codemod.runner import FileStatus
from keyshift.markup import html_text
from keyshift.migrate.next_steps import folder_files, stages
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
#start-here{background:#eef6ee;border:2px solid #2e7d32;border-radius:.5em;padding:.5em 1.2em;margin:1em 0}
#start-here li{margin:.35em 0}#start-here .next{font-weight:bold}
#start-here .later{color:#555}
.tag{background:#2e7d32;color:#fff;border-radius:.4em;padding:0 .4em;font-size:.8em}
svg{max-width:100%;height:auto}.wide{overflow-x:auto}
@media (max-width:600px){body{margin:.5em auto}td,th{padding:.2em .3em;font-size:.9em}}
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
    parts.append(
        '<div class="wide"><table><tr><th>where</th><th>location</th><th>kind</th><th>detail</th></tr>'
    )
    for p in key.places:
        parts.append(
            f'<tr><td><span class="badge {_e(p.where)}">{_e(p.where)}</span></td>'
            f"<td><code>{_e(p.path)}:{p.line}</code></td><td>{_e(p.kind)}</td><td>{_e(p.detail)}</td></tr>"
        )
    parts.append("</table></div>")
    if key.served:
        parts.append("<p>Code it served:</p><ul>")
        parts += [f"<li><code>{_e(s)}</code></li>" for s in key.served]
        parts.append("</ul>")
    parts.append("<p>Steps left for a human:</p><ol>")
    parts += [f"<li>{_e(s)}</li>" for s in key.steps]
    parts.append("</ol></section>")
    return "".join(parts)


def _start_here(result: MigrationResult) -> list[str]:
    steps = stages(result)
    if not steps:
        return ['<section id="start-here"><h2>Start here</h2>',
                "<p>No hardcoded AWS key was found. Nothing to migrate.</p></section>"]  # fmt: skip
    out = ['<section id="start-here"><h2>Start here</h2><ol>']
    for index, stage in enumerate(steps):
        cls = "next" if index < 3 else "later"
        tag = ' <span class="tag">next</span>' if index < 3 else ""
        links = "".join(f' <a href="{_e(f)}"><code>{_e(f)}</code></a>' for f in stage.links)
        out.append(f'<li class="{cls}">{_e(stage.title)}{tag}: {_e(stage.detail)}{links}</li>')
    out.append("</ol></section>")
    return out


def _files(result: MigrationResult) -> list[str]:
    out = ["<h2>Files in this folder</h2><ul>"]
    for path, what in folder_files(result):
        out.append(f'<li><a href="{_e(path)}"><code>{_e(path)}</code></a>: {_e(what)}</li>')
    out.append("</ul>")
    return out


def _charts(result: MigrationResult) -> list[str]:
    """Places per key by kind, and permissions per role by AWS service: each only when it compares."""
    out = []
    rows = [
        (k.ident, [(w, sum(1 for p in k.places if p.where == w)) for w in ("head", "history", "image")])
        for k in result.keys
    ]
    if len(rows) > 1 or any(sum(1 for _, v in parts if v) > 1 for _, parts in rows):
        out.append('<figure id="chart-places">' + stacked_bars("Places per key, by kind", rows) + "</figure>")
    role_rows = []
    for role in result.plan.roles:
        per_service: dict[str, int] = {}
        for grant in role.grants:
            service = grant.action.split(":", 1)[0]
            per_service[service] = per_service.get(service, 0) + 1
        role_rows.append((role.name, sorted(per_service.items())))
    if role_rows and (len(role_rows) > 1 or any(len(parts) > 1 for _, parts in role_rows)):
        chart = stacked_bars("Permissions per role, by AWS service", role_rows)
        out.append('<figure id="chart-roles">' + chart + "</figure>")
    return out


def render(result: MigrationResult) -> str:
    t = totals(result)
    body = [f"<h1>keyshift migration review: {_e(result.name)}</h1>"]
    stamp = generated_at()
    if stamp:
        body.append(f"<p>Generated {_e(stamp)}.</p>")
    body += _start_here(result)
    body += _files(result)
    body.append(f"<p>Sources scanned: {_e(', '.join(result.sources))}.</p>")
    if result.notes:
        body.append("<ul>" + "".join(f"<li>{_e(n)}</li>" for n in result.notes) + "</ul>")
    if result.keys:
        body.append("<h2>Keys</h2>")
        body += [_key(k) for k in result.keys]
    body.append("<h2>Code changes</h2><ul>")
    for o in result.fix.outcomes:
        if o.status is not FileStatus.UNCHANGED:
            body.append(f"<li><code>{_e(o.path)}</code>: {_e(o.status.value)}</li>")
    body.append(
        '</ul><p>The diff is in <a href="fix.diff"><code>fix.diff</code></a>, a redacted review copy: '
    )
    body.append("apply the change with <code>keyshift fix --write</code>, not <code>git apply</code>.</p>")
    body.append("<h2>Roles</h2><ul>")
    for role in result.plan.roles:
        keys = _e(", ".join(role.key_ids))
        body.append(
            f"<li><b>{_e(role.name)}</b> ({_e(role.service)}, keys <code>{keys}</code>): "
            f"{len(role.grants)} action(s), {len(role.blockers)} override(s) to remove</li>"
        )
    body.append("</ul>")
    body += _charts(result)
    body.append('<h2>Counts</h2><div class="wide"><table class="totals">')
    for k, v in t.items():
        shown = "not verified (run with --verify)" if k == "keys_live" and not _verified(result) else v
        body.append(f"<tr><td>{_e(k.replace('_', ' '))}</td><td>{_e(shown)}</td></tr>")
    body.append("</table></div>")
    if result.errors:
        body.append("<h2>Errors</h2><ul>" + "".join(f"<li>{_e(e)}</li>" for e in result.errors) + "</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>keyshift: {_e(result.name)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _verified(result: MigrationResult) -> bool:
    return any(k.verdict is not None for k in result.keys)
