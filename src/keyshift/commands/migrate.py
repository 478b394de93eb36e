"""``keyshift migrate``: one command per service: scan everything, plan the roles, prepare the fix."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from keyshift.commands import options
from keyshift.commands.formats import TextOrJson

if TYPE_CHECKING:
    from keyshift.redact import Scrubber


def migrate(
    path: Path = typer.Argument(Path("."), help="The service's repository or directory."),
    image: list[str] = typer.Option(
        None,
        "--image",
        help="Also scan this image (docker-save tar, OCI layout or registry ref); repeatable.",
    ),
    out: Path = typer.Option(
        Path("keyshift-review"),
        "--out-dir",
        "--out",
        help="Review folder to write (reports, diff, roles, runbook).",
    ),
    write: bool = typer.Option(
        False, "--write", "-w", help="Apply the code rewrite (default: fix.diff only)."
    ),
    no_history: bool = typer.Option(False, "--no-history", help="Skip the git history scan."),
    verify: bool = typer.Option(
        False, "--verify", help="Ask AWS (sts:GetCallerIdentity) whether each key is live. Network!"
    ),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url", help="--verify: STS endpoint to use."),
    region: str = typer.Option("us-east-1", "--region", help="--verify: region for the STS call."),
    rate: float = typer.Option(2.0, "--rate", help="--verify: at most this many calls per second."),
    insecure: bool = typer.Option(
        False, "--insecure", help="--verify: allow an http:// STS endpoint (a local test server)."
    ),
    platform: str | None = typer.Option(None, "--platform", help="Image platform (os/arch)."),
    allow_http: bool = typer.Option(False, "--allow-http", help="Allow plain-HTTP registries."),
    registry_username: str | None = typer.Option(None, "--registry-username", help="Registry user name."),
    registry_password_stdin: bool = typer.Option(
        False, "--registry-password-stdin", help="Read the registry password from standard input."
    ),
    config_file: Path | None = typer.Option(None, "--config", help="Settings file."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Worker processes (default: one per core)."),
    output_format: TextOrJson = typer.Option(
        TextOrJson.text, "--format", "-f", help="text (a table) or json (migration.json) on stdout."
    ),
    as_json: bool = typer.Option(False, "--json", help="Shorthand for --format json."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when keys were found."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Nothing on stderr."),
    trail: list[Path] = typer.Option(
        None, "--trail", help="CloudTrail logs: trail.md, and the runbook holds keys others still use."
    ),
    logs: list[Path] = options.LOGS,
    iam_live: bool = options.IAM_LIVE,
    profile: str | None = options.PROFILE,
    iam_endpoint_url: str | None = options.IAM_ENDPOINT_URL,
) -> None:
    """Scan tree, Dockerfiles, history and images; plan the task roles; prepare the code fix; write a review.

    Exit codes: 0 nothing found, 1 keys found (a human has work to do), 2 usage or runtime error.
    """
    from keyshift.commands.trail import live_iam
    from keyshift.sources.worktree import resolve_target

    live = live_iam(iam_live, profile, iam_endpoint_url, bool(trail))
    path = resolve_target(path)  # a symlink named on the command line is the tree the user means
    import json

    from keyshift.config import load_config
    from keyshift.errors import KeyshiftError
    from keyshift.migrate.pipeline import run_migration
    from keyshift.migrate.review import to_json, write_review

    as_json = as_json or output_format == "json"
    if not path.is_dir():
        raise KeyshiftError(f"not a directory: {path}")
    if (endpoint_url is not None or insecure) and not verify:
        raise KeyshiftError("--endpoint-url and --insecure need --verify")
    config = load_config(path, config_file)
    from keyshift.safefs import open_output_dir

    with open_output_dir(out, within=path):  # a symlinked review folder fails now, not after the scan
        pass
    inside = _inside(out, path)
    if inside is not None:
        # a review folder in the target holds key IDs: never scan, rewrite or commit it
        config = config.with_overrides(exclude=(*config.exclude, inside, f"{inside}/**"))
    check = None
    if verify:
        from keyshift.verify import sts_endpoint, verifier

        endpoint = sts_endpoint(endpoint_url, region, insecure=insecure)
        if not quiet:
            print(f"keyshift migrate: --verify talks to {endpoint.describe()}", file=sys.stderr)
        check = verifier(endpoint.url, region, rate, insecure=insecure)
    from keyshift.progress import reporting

    with reporting("migrate", quiet) as progress:
        result = run_migration(
            path,
            config,
            images=tuple(image or ()),
            write=write,
            history=not no_history,
            jobs=jobs,
            verifier=check,
            progress=progress,
            image_options={
                "platform": platform,
                "allow_http": allow_http,
                "username": registry_username,
                "password": sys.stdin.readline().rstrip("\r\n") if registry_password_stdin else None,
            },
        )
    written = write_review(result, out)
    held: list[str] = []
    if trail or logs:  # a separate layer over the finished review (keyshift.trail.integrate)
        from keyshift.commands.trail import write_beside_review

        held = write_beside_review(result.plan, out, list(trail or ()), list(logs or ()), live)
    scrubber = result.scrubber
    if as_json:
        sys.stdout.write(scrubber.scrub(json.dumps(to_json(result), indent=2, sort_keys=True) + "\n"))
    else:
        _summary(result, scrubber)
    if not quiet:
        print(f"keyshift migrate: wrote {len(written)} files to {out}", file=sys.stderr)
        from keyshift.markup import printable

        for note in result.notes:
            print(f"keyshift migrate: note: {printable(scrubber.scrub(note))}", file=sys.stderr)
        for message in held:
            print(
                f"keyshift migrate: revocation on hold: {printable(scrubber.scrub(message))}", file=sys.stderr
            )
        for error in result.errors:
            print(f"keyshift migrate: warning: {printable(scrubber.scrub(error))}", file=sys.stderr)
    raise typer.Exit(0 if exit_zero else result.exit_code)


def _inside(out: Path, path: Path) -> str | None:
    """``out`` relative to ``path`` (POSIX) when the review folder lies inside the scanned directory."""
    try:
        rel = out.resolve().relative_to(path.resolve())
    except ValueError:
        return None
    return rel.as_posix() if rel.parts else None


def _summary(result: object, scrubber: Scrubber) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from keyshift.markup import printable
    from keyshift.migrate.pipeline import MigrationResult
    from keyshift.migrate.report_md import totals

    assert isinstance(result, MigrationResult)
    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = 160  # pipes and CI logs: never cut a key ID
    t = totals(result)
    name = escape(printable(result.name))  # a folder name is data, not rich markup
    if not result.keys:
        console.print(scrubber.scrub(f"{name}: no hardcoded AWS key found."))
        return
    table = Table(title=scrubber.scrub(f"keyshift migrate: {name}"), title_justify="left")
    for column in ("key", "account", "state", "places", "role", "steps"):
        table.add_column(column)
    for k in result.keys:
        state = "HEAD" if k.at_head else ("history only" if k.in_history_only else "image only")
        if k.in_image and k.at_head:
            state += " + image"
        if k.verdict is not None:
            state += f" ({k.verdict.status})"
        cells = (k.ident, k.account_id or "?", state, str(len(k.places)), ", ".join(k.roles) or "-")
        table.add_row(*(escape(scrubber.scrub(c)) for c in cells), str(len(k.steps)))
    console.print(table)
    console.print(
        f"{t['keys']} key(s): {t['keys_at_head']} at HEAD, {t['keys_history_only']} history only, "
        f"{t['keys_in_images']} in images; {t['roles']} role(s); {t['files_to_change']} file(s) to change."
    )
