"""``keyshift fix``: remove static credentials from boto3 call sites (dry run unless ``--write``).

Exit codes: 0 nothing to do, or everything rewritten and nothing left for a person; 1 a site or
leftover needs a human (report-only site, unparsable file, a removed literal key still to be
revoked, an environment variable name the default chain does not read, credentials written to
``os.environ``, s3fs options, settings), or, in a dry run, files that would change; 2 usage or
runtime error. ``--exit-zero`` reports without failing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from keyshift.commands.formats import TextOrJson
from keyshift.errors import KeyshiftError


def fix(
    paths: list[Path] = typer.Argument(
        None,
        help="Python files or directories to rewrite (default: the current directory).",
        show_default=False,
    ),
    write: bool = typer.Option(
        False, "--write", "-w", help="Apply the changes (default: dry run with a diff)."
    ),
    output_format: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="Report format."),
    json_flag: bool = typer.Option(False, "--json", help="Shorthand for --format json."),
    no_diff: bool = typer.Option(False, "--no-diff", help="Text dry run: print the report without the diff."),
    config_file: Path | None = typer.Option(
        None, "--config", help="Settings file (default: nearest pyproject.toml)."
    ),
    exclude: list[str] = typer.Option(None, "--exclude", "-x", help="Glob of paths to skip (repeatable)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Worker processes (default: one per core)."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when something needs a human."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary on stderr."),
) -> None:
    """Move boto3/botocore/aioboto3 call sites onto the default credential chain.

    Removes aws_access_key_id / aws_secret_access_key / aws_session_token where every value is
    ambient (literal, constant, import, setting, environment read); reports the rest unchanged.
    Exit codes: 0 clean, 1 something needs a human (or a dry run would change files), 2 error.
    """
    from keyshift.codemod.report import to_json, to_text
    from keyshift.codemod.runner import run_fix
    from keyshift.config import load_config
    from keyshift.redact import Scrubber
    from keyshift.sources.worktree import resolve_target

    targets = [resolve_target(t) for t in (paths or [Path(".")])]  # a symlink named here is followed
    for target in targets:
        if not target.exists():
            raise KeyshiftError(f"path does not exist: {target}")
    config = load_config(targets[0], config_file)
    patterns = (*config.fix_exclude, *(exclude or ()))
    result = run_fix(
        targets,
        write=write,
        jobs=jobs if jobs is not None else config.jobs,
        exclude=patterns,
    )
    fmt = TextOrJson.json if json_flag else output_format
    text = to_json(result) if fmt is TextOrJson.json else to_text(result, show_diff=not no_diff)
    sys.stdout.write(Scrubber(result.secrets).scrub(text))
    sys.stdout.flush()
    if not quiet and fmt is TextOrJson.json:
        print(
            f"keyshift fix: {len(result.changed)} file(s) {'changed' if write else 'would change'}",
            file=sys.stderr,
        )
    raise typer.Exit(0 if exit_zero else result.exit_code)
