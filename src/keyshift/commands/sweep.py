"""``keyshift sweep``: one command per organisation: migrate-scan many repositories, cached and resumable."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from keyshift.commands.formats import TextOrJson


def sweep(
    sources: Path = typer.Argument(
        ..., help="A directory of git repositories, or a file listing paths and git URLs (one per line)."
    ),
    out: Path = typer.Option(
        Path("keyshift-sweep"),
        "--out-dir",
        "--out",
        help="Sweep folder: summary, per-repository reports, state.",
    ),
    cache: Path | None = typer.Option(
        None, "--cache", help="Where remote repositories are cloned (default OUT/clones)."
    ),
    history: bool = typer.Option(
        True,
        "--history/--no-history",
        help="Full clones and a history scan, as migrate does (--no-history: shallow, HEAD only).",
    ),
    workers: int | None = typer.Option(
        None, "--workers", "-j", help="Worker processes (default: one per core)."
    ),
    dask: str | None = typer.Option(
        None, "--dask", help="Run the tasks on this Dask scheduler (tcp://host:8786)."
    ),
    dask_timeout: float = typer.Option(
        30.0, "--dask-timeout", help="Seconds to wait for the Dask scheduler."
    ),
    verify: bool = typer.Option(False, "--verify", help="Ask AWS whether each key is live (network!)."),
    endpoint_url: str | None = typer.Option(None, "--endpoint-url", help="--verify: STS endpoint."),
    insecure: bool = typer.Option(
        False, "--insecure", help="--verify: allow an http:// STS endpoint (a local test server)."
    ),
    config_file: Path | None = typer.Option(None, "--config", help="Settings file for every repository."),
    fresh: bool = typer.Option(
        False, "--fresh", help="Ignore cached results and scan every repository again."
    ),
    output_format: TextOrJson = typer.Option(
        TextOrJson.text, "--format", "-f", help="text (one line) or json (summary.json) on stdout."
    ),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when keys were found."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or counts on stderr."),
) -> None:
    """Scan and plan many repositories in parallel; write an organisation summary (JSON, Markdown, HTML).

    Results are cached per repository HEAD and saved as each one finishes: a re-run only scans what changed.

    Exit codes: 0 no key anywhere, 1 keys found or a repository failed, 2 usage or runtime error.
    """
    from keyshift.errors import KeyshiftError
    from keyshift.redact import scrub
    from keyshift.sweep import summary as summ
    from keyshift.sweep.runner import default_workers, run_dask, run_local
    from keyshift.sweep.sources import list_sources
    from keyshift.sweep.task import RepoTask, save_text

    if (endpoint_url is not None or insecure) and not verify:
        raise KeyshiftError("--endpoint-url and --insecure need --verify")
    if verify:
        from keyshift.verify import sts_endpoint

        # resolved once, here: every worker then uses this URL, whatever its own environment says
        endpoint = sts_endpoint(endpoint_url, "us-east-1", insecure=insecure)
        endpoint_url = endpoint.url
        if not quiet:
            print(f"keyshift sweep: --verify talks to {endpoint.describe()}", file=sys.stderr)
    if workers is not None and workers < 1:
        raise KeyshiftError("--workers must be at least 1")
    repos = list_sources(sources)
    from keyshift.safefs import open_output_dir

    with open_output_dir(out / "repos") as repos_dir:  # never through a symlink (safefs)
        for stale in repos_dir.names():
            if stale.startswith(".") and stale.endswith(".tmp"):
                repos_dir.remove(stale)  # left by a sweep that was killed mid-write
        if fresh:
            for name in (r.name for r in repos):
                repos_dir.remove(f"{name}.json")
    gitignore = out / ".gitignore"
    if not gitignore.exists():  # the sweep folder lists key IDs: never commit it by accident
        save_text(gitignore, "# keyshift sweep folder: holds key IDs and clones, never commit it\n*\n")
    if fresh:
        with open_output_dir(out / "verify") as verdicts:
            for verdict in verdicts.names():
                if verdict.endswith(".json"):
                    verdicts.remove(verdict)
    tasks = [
        RepoTask(
            source=repo,
            out=str(out.resolve()),
            clones=str((cache or out / "clones").resolve()),
            history=history,
            config_file=str(config_file.resolve()) if config_file else None,
            verify=verify,
            verify_endpoint=endpoint_url,
            verify_insecure=insecure,
        )
        for repo in repos
    ]
    counts = {"scanned": 0, "cached": 0, "failed": 0}
    progress, bar = _progress(len(tasks), quiet)

    def on_done(outcome: dict[str, Any]) -> None:
        if outcome.get("status") != "ok":
            counts["failed"] += 1
            if not quiet:
                print(scrub(f"keyshift sweep: {outcome['name']}: {outcome.get('error')}"), file=sys.stderr)
        elif outcome.get("cached"):
            counts["cached"] += 1
        else:
            counts["scanned"] += 1
        if progress is not None:
            progress.update(bar, advance=1, description=_describe(counts))

    if progress is not None:
        progress.start()
    try:
        if dask:
            outcomes = run_dask(tasks, dask, on_done, timeout=dask_timeout)
        else:
            outcomes = run_local(tasks, workers or min(default_workers(), len(tasks)), on_done)
    finally:
        if progress is not None:
            progress.stop()
    data = summ.build(sorted(outcomes, key=lambda o: o["name"]), previous=_previous_summary(out))
    # each repository's outcome was scrubbed of its own secrets where they were known; the shape check stays
    save_text(out / "summary.json", scrub(summ.to_json(data)))
    save_text(out / "summary.md", scrub(summ.to_markdown(data)))
    save_text(out / "summary.html", scrub(summ.to_html(data)))
    t = data["totals"]
    if output_format == "json":
        sys.stdout.write(summ.to_json(data))
    else:
        sys.stdout.write(
            f"{t['repositories']} repositories: {t['with_keys']} with keys ({t['live_keys']} live keys, "
            f"{t['keys_at_head']} at HEAD, {t['keys_history_only']} history only), {t['failed']} failed, "
            f"{t['not_fully_scanned']} not fully scanned; summary in {out / 'summary.md'}\n"
        )
    if not quiet:
        print(f"keyshift sweep: {_describe(counts)}", file=sys.stderr)
    raise typer.Exit(0 if exit_zero or not (t["with_keys"] or t["failed"]) else 1)


def _previous_summary(out: Path) -> dict[str, Any] | None:
    """The last sweep's summary in this folder, for the progress view (anything unreadable: none)."""
    import json

    try:
        data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _describe(counts: dict[str, int]) -> str:
    return f"{counts['scanned']} scanned, {counts['cached']} cached, {counts['failed']} failed"


def _progress(total: int, quiet: bool) -> tuple[Any, Any]:
    if quiet or not sys.stderr.isatty():
        return None, None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    bar = progress.add_task("starting", total=total)
    return progress, bar
