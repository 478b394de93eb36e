"""``keyshift trail``: what CloudTrail says each key did, who else uses it, and what a role is denied."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from keyshift.awsnames import KEY_ID_TOKEN
from keyshift.commands.formats import TextOrJson
from keyshift.errors import KeyshiftError

if TYPE_CHECKING:
    from keyshift.planner.build import PlanResult
    from keyshift.trail.integrate import RoleTrail
    from keyshift.trail.summary import TrailSummary

_KEY_ID = KEY_ID_TOKEN


def trail(
    logs: list[Path] = typer.Argument(
        None,
        help="CloudTrail: delivered-layout folders or tars, lookup-events JSON, Lake/Athena CSV or JSON.",
    ),
    keys: str | None = typer.Option(
        None,
        "--keys",
        help="Key IDs (comma-separated), a file listing them (scan output works), or a repository to scan.",
    ),
    output_format: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="text or json."),
    app_logs: list[Path] = typer.Option(
        None,
        "--logs",
        help="Application logs with botocore AccessDenied errors (text, gzip, filter-log-events JSON).",
    ),
    athena: bool = typer.Option(
        False, "--athena", help="Print the Athena SQL for these keys instead of reading logs."
    ),
    athena_location: str = typer.Option(
        "s3://BUCKET/AWSLogs/ACCOUNT/CloudTrail",
        "--athena-location",
        help="--athena: where the trail delivers.",
    ),
    since: str = typer.Option("2026/01/01", "--since", help="--athena: first day (YYYY/MM/DD)."),
    until: str = typer.Option("2026/12/31", "--until", help="--athena: last day (YYYY/MM/DD)."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (default: one per core)."),
    lookup: bool = typer.Option(
        False, "--lookup", help="Also ask CloudTrail LookupEvents (last 90 days) with --profile. Network!"
    ),
    profile: str | None = typer.Option(
        None, "--profile", help="--lookup: the auditor profile (never a found key)."
    ),
    region: str = typer.Option("us-east-1", "--region", help="--lookup: region to ask."),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url", help="--lookup: CloudTrail endpoint."),
    lookup_dir: Path = typer.Option(
        Path("keyshift-lookup"), "--lookup-dir", help="--lookup: pages are kept here; a re-run resumes."
    ),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when inputs could not be read."),
) -> None:
    """Read CloudTrail offline: per key, the calls (as IAM actions), resources and consumers; role denials.

    Exit codes: 0 every input read, 1 some input skipped or read in part (the report is incomplete),
    2 usage error or nothing readable.
    """
    from keyshift.redact import scrub

    wanted = resolve_keys(keys) if keys else None
    if athena:
        from keyshift.trail import athena as sql

        try:
            text = sql.ddl(athena_location) + "\n" + sql.query(sorted(wanted or ()), since, until)
        except ValueError as exc:
            raise KeyshiftError(str(exc)) from None
        sys.stdout.write(text)
        return
    logs = list(logs or ())
    if lookup:
        if not wanted or not profile:
            raise KeyshiftError(
                "--lookup needs --keys and --profile (an auditor identity, never a found key)"
            )
        from keyshift.trail.lookup import client_for, fetch

        client = client_for(profile, region, endpoint_url, wanted)
        not_asked: list[tuple[str, str]] = []
        pages = fetch(client, wanted, lookup_dir, skipped=not_asked)
        for key, why in not_asked:
            print(f"keyshift trail: {key} {why}", file=sys.stderr)
        print(f"keyshift trail: {len(pages)} LookupEvents page(s) in {lookup_dir}", file=sys.stderr)
        if pages:
            logs.append(lookup_dir)
        elif not logs and not app_logs:
            raise KeyshiftError("--lookup: no key was looked up (see above); nothing to report")
    elif profile or endpoint_url:
        raise KeyshiftError("--profile and --endpoint-url need --lookup")
    if not logs and not app_logs:
        raise KeyshiftError("give CloudTrail logs to read (or --logs, or --athena)")
    summary = read(logs, wanted, list(app_logs or ()), jobs)
    from keyshift.trail import render

    out = render.dumps(summary) if output_format == "json" else render.printable(render.text(summary))
    sys.stdout.write(scrub(out))
    cov = summary.coverage
    if logs and cov.files == 0 and cov.skipped:
        raise KeyshiftError("no CloudTrail input could be read")
    if not cov.complete and not exit_zero:
        raise typer.Exit(1)


def read(
    logs: list[Path], wanted: frozenset[str] | None, app_logs: list[Path], jobs: int = 0
) -> TrailSummary:
    """Read trail and application logs into a summary; shared by ``plan``/``migrate --trail``."""
    from keyshift.trail.run import read_all
    from keyshift.trail.summary import summarize

    for path in (*logs, *app_logs):
        if not path.exists() and not path.is_symlink():
            raise KeyshiftError(f"path does not exist: {path}")
    partial = read_all(logs, wanted, jobs=jobs, app_logs=app_logs)
    return summarize(partial, wanted)


def resolve_keys(spec: str) -> frozenset[str]:
    """Key IDs from a comma list, a file holding them, or a repository scanned with keyshift's scan."""
    out: set[str] = set()
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        if _KEY_ID.fullmatch(item):
            out.add(item)
            continue
        path = Path(item)
        if path.is_dir():
            out |= _scan_keys(path)
        elif path.is_file():
            with open(path, encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    out.update(_KEY_ID.findall(line[:65536]))
        else:
            raise KeyshiftError(f"--keys: {item!r} is neither a key ID, a file nor a directory")
    if not out:
        raise KeyshiftError("--keys: no access key ID found")
    return frozenset(out)


def _scan_keys(path: Path) -> set[str]:
    from keyshift.config import load_config
    from keyshift.scan import apply_policy, scan_tree

    config = load_config(path, None)
    result = apply_policy(scan_tree(path, config), config)
    return {f.key_id for f in result.findings if f.key_id and _KEY_ID.fullmatch(f.key_id)}


@dataclass(frozen=True, slots=True)
class LiveIam:
    """``--iam-live``: read the blast radius from IAM with this auditor profile."""

    profile: str
    endpoint_url: str | None = None


def live_iam(flag: bool, profile: str | None, endpoint_url: str | None, trail: bool) -> LiveIam | None:
    """Check ``--iam-live``'s options before any work; no network unless the flag is given."""
    if not flag:
        if profile or endpoint_url:
            raise KeyshiftError("--profile and --iam-endpoint-url need --iam-live")
        return None
    if not trail:
        raise KeyshiftError("--iam-live needs --trail (the trail names each key's IAM user)")
    if not profile:
        raise KeyshiftError("--iam-live needs --profile (an auditor identity, never a found key)")
    return LiveIam(profile, endpoint_url)


def beside_plan(
    plan: PlanResult,
    logs: list[Path],
    app_logs: list[Path],
    deployed: Path | None = None,
    live: LiveIam | None = None,
) -> tuple[tuple[RoleTrail, ...], TrailSummary]:
    """``plan --trail`` / ``migrate --trail``: read the logs for the plan's keys and compare.

    ``deployed``: a folder written by ``plan --out`` (``<role>/policy.json``) for what is live now.
    ``live``: read the IAM side of the blast radius live instead of from an export file.
    """
    from keyshift.trail import integrate

    wanted = frozenset(r.key_id for r in plan.roles if r.key_id and _KEY_ID.fullmatch(r.key_id))
    summary = read(logs, wanted or None, app_logs)
    current = _deployed(deployed, [r.name for r in plan.roles]) if deployed is not None else None
    if live is not None:
        from keyshift.trail.iamlive import authorization_details

        export = authorization_details(live.profile, live.endpoint_url, wanted)
    else:
        export = _iam_export(logs)
    return integrate.compare(plan, summary, export, current), summary


def _deployed(folder: Path, roles: list[str]) -> dict[str, Any]:
    """The deployed policy of each role, from ``<folder>/<role>/policy.json`` (as ``plan --out`` writes)."""
    import json

    if not folder.is_dir():
        raise KeyshiftError(f"--deployed: not a directory: {folder}")
    out: dict[str, Any] = {}
    for name in roles:
        path = folder / name / "policy.json"
        if path.is_symlink() or not path.is_file():
            continue
        try:
            if path.stat().st_size > 1 << 20:
                raise KeyshiftError(f"--deployed: {path} is larger than 1 MB")
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as exc:
            raise KeyshiftError(f"--deployed: cannot read {path}: {exc}") from None
        if isinstance(doc, dict):
            out[name] = doc
    return out


def _iam_export(logs: list[Path]) -> Any:
    """An IAM authorization-details export given as a trail input or lying in a trail folder."""
    from keyshift.trail.blast import load
    from keyshift.trail.sources import IAM_EXPORT

    for path in logs:
        candidates = (
            [path] if path.is_file() else sorted(path.glob(f"{IAM_EXPORT}*.json")) if path.is_dir() else []
        )
        for candidate in candidates:
            if candidate.name.startswith(IAM_EXPORT) and candidate.is_file() and not candidate.is_symlink():
                return load(candidate)
    return None


def write_beside_review(
    plan: PlanResult, out: Path, logs: list[Path], app_logs: list[Path], live: LiveIam | None = None
) -> list[str]:
    """Write trail.md and trail.json into a migrate review folder and put blocked keys' runbook on hold.

    Returns the blocker messages (for the command's summary line).
    """
    import json

    from keyshift.redact import scrub
    from keyshift.safefs import open_output_dir
    from keyshift.trail import integrate

    trails, summary = beside_plan(plan, logs, app_logs, live=live)

    def put(name: str, text: str) -> None:
        with open_output_dir(out) as folder:  # never through a symlink, atomically
            folder.write_text(name, scrub(text))

    from keyshift.trail.render import printable

    table = printable(integrate.radius_table(trails), markdown=True)
    radius = f"## Blast radius\n\n{table}\n" if table else ""
    body = printable(integrate.text(trails, summary).strip("\n"), markdown=True)
    put("trail.md", f"# What CloudTrail says\n\n{radius}## Per role\n\n```\n{body}\n```\n")
    put("trail.json", json.dumps(integrate.to_json(trails, summary), indent=2, sort_keys=True) + "\n")
    blocked = integrate.blocked_keys(trails)
    runbook = out / "runbook.md"
    if blocked and runbook.is_file() and not runbook.is_symlink():
        put("runbook.md", integrate.gate_runbook(runbook.read_text(encoding="utf-8"), blocked))
    return [m for messages in blocked.values() for m in messages]
