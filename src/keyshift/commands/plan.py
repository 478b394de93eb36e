"""``keyshift plan``: the least-privilege ECS task role that replaces each hardcoded key."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from keyshift.commands import options
from keyshift.commands.formats import TextOrJson


def plan(
    path: Path = typer.Argument(Path("."), help="Repository or service directory to plan for."),
    output_format: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="text or json."),
    json_output: bool = typer.Option(False, "--json", help="Shorthand for --format json."),
    out: Path | None = typer.Option(
        None,
        "--out-dir",
        "--out",
        help="Write policy, trust policy, Terraform, CloudFormation, task-definition patch "
        "and a Markdown report per role into this directory.",
    ),
    role_name_template: str | None = typer.Option(
        None,
        "--role-name-template",
        help="Role name; {service}, {key_id}, {key_suffix}, {index}. Default {service}-task-role.",
    ),
    region: str | None = typer.Option(None, "--region", help="Region for ARNs when the code does not say."),
    config: Path | None = typer.Option(
        None, "--config", help="Settings file (default: nearest pyproject.toml)."
    ),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when something needs a human."),
    allow_wildcards: bool = typer.Option(
        False,
        "--allow-wildcards",
        help="Grant writes and deletes on resources the code does not name on '*' instead of a "
        "placeholder ARN (<AWS_STORAGE_BUCKET_NAME>) that must be filled in.",
    ),
    trail: list[Path] = typer.Option(
        None, "--trail", help="CloudTrail logs to compare the plan with (see `trail`)."
    ),
    logs: list[Path] = options.LOGS,
    deployed: Path | None = typer.Option(
        None, "--deployed", help="--trail: a `plan --out-dir` folder that is live now."
    ),
    iam_live: bool = options.IAM_LIVE,
    profile: str | None = options.PROFILE,
    iam_endpoint_url: str | None = options.IAM_ENDPOINT_URL,
) -> None:
    """Plan one role per workload (ECS task family, compose service, Dockerfile) that uses a
    hardcoded key: IAM policy, trust policy and deployment patches.

    Offline and deterministic. Exit codes: 0 plan complete, 1 unresolved calls or settings that
    override the task role (AWS_ACCESS_KEY_ID in a Dockerfile, task definition, ...), 2 error.
    """
    from keyshift.commands.trail import live_iam
    from keyshift.sources.worktree import resolve_target

    live = live_iam(iam_live, profile, iam_endpoint_url, bool(trail))
    path = resolve_target(path)  # a symlink named on the command line is the tree the user means
    from keyshift.config import load_config
    from keyshift.planner import render
    from keyshift.planner.build import plan_repository
    from keyshift.redact import Scrubber

    if json_output:
        output_format = TextOrJson.json
    settings = load_config(path, config)
    from keyshift.progress import reporting

    with reporting("plan", quiet=False) as progress:  # --quiet: stderr is no terminal then
        result = plan_repository(
            path,
            settings.section("plan"),
            role_name_template=role_name_template,
            region=region,
            scan_config=settings,
            allow_wildcards=allow_wildcards,
            progress=progress,
        )
    scrubber = Scrubber(result.secrets)
    if out is not None:
        from keyshift.planner.iac import write_all

        written = write_all(result, out, scrubber)
        print(f"keyshift: wrote {len(written)} files to {out}", file=sys.stderr)
    trail_text, trail_json, trail_open = "", None, False
    if trail or logs:  # the trail beside the plan: a separate layer (keyshift.trail.integrate)
        from keyshift.commands.trail import beside_plan
        from keyshift.trail import integrate
        from keyshift.trail.render import printable

        trails, summary = beside_plan(result, list(trail or ()), list(logs or ()), deployed, live)
        trail_text, trail_json = integrate.text(trails, summary), integrate.to_json(trails, summary)
        trail_text = printable(trail_text)
        trail_open = any(t.additions or t.blockers for t in trails) or not summary.coverage.complete
    if output_format == "json":
        doc = render.result_json(result)
        if trail_json is not None:
            doc["trail"] = trail_json
        sys.stdout.write(scrubber.scrub(render.dumps(doc)))
    else:
        sys.stdout.write(scrubber.scrub(_text(result) + trail_text))
    needs_human = bool(result.unresolved or result.errors or trail_open) or any(
        r.unresolved or r.blockers for r in result.roles
    )
    if needs_human and not exit_zero:
        raise typer.Exit(1)


def _text(result: object) -> str:
    from keyshift.cwdpath import shown
    from keyshift.planner.build import PlanResult

    assert isinstance(result, PlanResult)
    lines: list[str] = []
    if not result.roles and (result.unresolved or result.errors):
        # never "nothing to plan" when something kept the plan from looking (exit 1 says so too)
        lines.append("No role written, but the plan is not complete: see what is listed below.")
    elif not result.roles:
        lines.append("No hardcoded key is used by AWS calls in this code: nothing to plan.")
    for role in result.roles:
        target = {"ecs": "ECS task role", "lambda": "Lambda role", "eks": "EKS Pod Identity role"}[
            role.target
        ]
        lines.append(
            f"role {role.name}  ({target} for {role.service}; replaces {', '.join(role.key_ids)}; "
            f"account {role.account_id or 'unknown'})"
        )
        for grant in role.grants:
            lines.append(f"  {grant.action:<40} {', '.join(grant.resources)}")
            if grant.why_any:
                lines.append(f"    * because {grant.why_any}")
        for blocker in role.blockers:
            if blocker.key_id is not None:
                where = f"{shown(blocker.path, result.root)}:{blocker.line}"
                lines.append(f"  BLOCKER {where}: {blocker.message}")
        for blocker in role.blockers:
            if blocker.key_id is None:
                where = f"{shown(blocker.path, result.root)}:{blocker.line}"
                lines.append(f"  BLOCKER (names no key) {where}: {blocker.message}")
        if role.execution_needs:
            verb = "keyshift writes one" if role.write_execution_role else "check the task definition's"
            lines.append(f"  execution role ({verb}) needs: {', '.join(role.execution_needs)}")
        for item in role.unresolved:
            lines.append(f"  unresolved: {item}")
        for note in role.notes:
            lines.append(f"  note: {note}")
    for item in result.unresolved:
        lines.append(f"unresolved: {item}")
    for error in result.errors:
        lines.append(f"error: {error}")
    from keyshift.markup import printable

    return "".join(printable(line) + "\n" for line in lines)  # names from the repository stay one line
