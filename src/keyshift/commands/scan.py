"""``keyshift scan``: find hardcoded AWS credentials in a tree, its history, Dockerfiles and images."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import typer

from keyshift.config import Config
from keyshift.errors import KeyshiftError
from keyshift.model import ScanResult


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    baseline = "baseline"


def scan(
    paths: list[Path] = typer.Argument(
        None, help="Directories or files to scan (default: the current directory).", show_default=False
    ),
    output_format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f", help="Output format."),
    json_flag: bool = typer.Option(False, "--json", help="Shorthand for --format json."),
    output: str = typer.Option("-", "--output", "-o", help="Write the report here ('-' = stdout)."),
    history: bool = typer.Option(False, "--history", help="Also scan every commit reachable from any ref."),
    since: str | None = typer.Option(None, "--since", help="History: only commits not reachable from REV."),
    unreachable: bool = typer.Option(
        False, "--unreachable", help="History: report blobs no ref reaches as findings (not one warning)."
    ),
    staged: bool = typer.Option(False, "--staged", help="Scan what is staged in the git index (pre-commit)."),
    image: list[str] = typer.Option(
        None, "--image", help="Also scan a container image: docker-save tar, OCI layout, or registry ref."
    ),
    platform: str | None = typer.Option(
        None, "--platform", help="Image platform in a multi-arch index (os/arch)."
    ),
    registry_username: str | None = typer.Option(None, "--registry-username", help="Registry user name."),
    registry_password_stdin: bool = typer.Option(
        False, "--registry-password-stdin", help="Read the registry password from standard input."
    ),
    allow_http: bool = typer.Option(
        False, "--allow-http", help="Allow plain-HTTP registries (not only localhost)."
    ),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="Suppress findings known to this baseline file."
    ),
    config_file: Path | None = typer.Option(
        None, "--config", help="Settings file (default: nearest pyproject.toml)."
    ),
    no_repo_config: bool = typer.Option(
        False,
        "--no-repo-config",
        help="Ignore the scanned repository's own pyproject.toml (audits of code you do not trust).",
    ),
    exclude: list[str] = typer.Option(None, "--exclude", "-x", help="Glob of paths to skip (repeatable)."),
    all_files: bool = typer.Option(False, "--all-files", help="Walk every file, including git-ignored ones."),
    max_file_size: str | None = typer.Option(
        None, "--max-file-size", help="Skip files larger than this: bytes, or a size like 512KB, 10MB, 1GiB."
    ),
    no_inline_ignores: bool = typer.Option(
        False, "--no-inline-ignores", help="Ignore allow comments (audits)."
    ),
    show_suppressed: bool = typer.Option(False, "--show-suppressed", help="Also list suppressed findings."),
    redact: bool = typer.Option(
        False, "--redact", help="Mask access key IDs too (secrets are always hidden)."
    ),
    sarif_history: bool = typer.Option(
        False, "--sarif-history", help="SARIF: add history-only findings as a run."
    ),
    slim: bool = typer.Option(
        False, "--slim", help="Baseline: no line numbers or timestamp (stable when committed)."
    ),
    fail_on_policy_change: bool = typer.Option(
        False,
        "--fail-on-policy-change",
        help="Gates: exit 1 when the reviewed change edits keyshift's settings or baseline.",
    ),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 even when credentials are found."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Worker processes (default: one per core)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress or summary on stderr."),
    no_color: bool = typer.Option(False, "--no-color", help="Plain text output."),
) -> None:
    """Find hardcoded AWS credentials (key IDs, secret keys, session tokens).

    Exit codes: 0 nothing found, 1 credentials found, 2 usage or runtime error (or, with nothing
    found, files that could not be read: an incomplete scan is never clean).
    """
    from keyshift.config import load_config, parse_size
    from keyshift.progress import reporting
    from keyshift.redact import Scrubber
    from keyshift.report import render
    from keyshift.scan import apply_policy, merge, rebase, scan_relpaths, scan_tree

    targets = list(paths or [Path(".")])
    fmt = OutputFormat.json if json_flag else output_format
    gate = None
    if (staged or (history and since is not None)) and len(targets) == 1 and targets[0].is_dir():
        from keyshift.gate import load_policy

        # the gate's policy comes from the base commit, never from the change under review
        gate = load_policy(targets[0], since, staged, config_file, baseline)
        config = gate.config
    else:
        config = load_config(targets[0], config_file, repo_config=not no_repo_config)
    loaded = config
    config = config.with_overrides(
        exclude=tuple(config.exclude) + tuple(exclude or ()),
        all_files=True if all_files else None,
        max_file_size=parse_size(max_file_size, "--max-file-size") if max_file_size is not None else None,
        inline_ignores=False if no_inline_ignores else None,
        jobs=jobs,
    )
    results: list[ScanResult] = []
    sources: list[str] = []
    root = str(targets[0])
    if staged or history:
        from keyshift.sources.history import scan_history

        if len(targets) != 1 or not targets[0].is_dir():
            raise KeyshiftError("--history and --staged take one repository directory")
        with reporting("scan", quiet) as progress:
            results.append(scan_history(targets[0], config, since=since, staged=staged, progress=progress))
        sources.append("worktree" if staged else "history")
        # --since is the pull-request gate: only what the new commits add, not what HEAD holds
        if history and not staged and since is None:
            results.append(_uncommitted_only(scan_tree(targets[0], config), results[-1]))
            results.extend(_build_contexts(targets[0], config))
            sources.append("worktree")
    elif since is not None:
        raise KeyshiftError("--since needs --history")
    elif len(targets) == 1 and not image:
        results.append(scan_tree(targets[0], config))
        results.extend(_build_contexts(targets[0], config))
        sources.append("worktree")
    elif targets and paths:
        sources.append("worktree")
        cwd = Path.cwd()
        for target in targets:
            if target.is_file() or target.is_symlink():
                results.append(scan_relpaths(cwd, [_relative(target, cwd)], config))
            else:
                results.append(scan_tree(target, config))
                results.extend(_build_contexts(target, config))
        # one report, one root: each tree's paths start with its folder from the common parent
        if len({os.path.abspath(r.root) for r in results}) > 1:
            root = os.path.commonpath([os.path.abspath(r.root) for r in results])
            results = [rebase(r, root) for r in results]
    if image:
        from keyshift.sources.image import scan_image

        password = sys.stdin.readline().rstrip("\r\n") if registry_password_stdin else None
        with reporting("scan", quiet) as progress:
            for ref in image:
                results.append(
                    scan_image(
                        ref,
                        config,
                        platform=platform,
                        username=registry_username,
                        password=password,
                        allow_http=allow_http,
                        progress=progress,
                    )
                )
        sources.append("image")
        if not paths:
            root = image[0]
    known = gate.baseline if gate is not None else None
    baseline_path = baseline or (Path(config.baseline) if config.baseline else None)
    if baseline_path is not None and gate is None:
        from keyshift.report.baseline import load_baseline

        known = load_baseline(baseline_path)
    result = apply_policy(merge(results, root), config, known)
    if gate is None:  # a gate's settings come from the reviewed base, not from the change
        from keyshift.config import DEFAULT_MAX_FILE_SIZE, repo_suppressions

        own = replace(loaded, max_file_size=DEFAULT_MAX_FILE_SIZE) if max_file_size is not None else loaded
        hidden, said = repo_suppressions(own, result.suppressed, own_baseline=baseline is None)
        if said:
            stats = {**result.stats, "suppressed_by_repository_settings": hidden}
            result = replace(result, errors=(*result.errors, said), stats=stats)
    if not unreachable:
        result = _unreachable_as_warning(result)
    if gate is not None:
        from keyshift.gate import self_allowed

        said = self_allowed(result.suppressed)
        result = replace(result, errors=(*result.errors, *gate.warnings, *([said] if said else [])))
    result = replace(result, stats={**result.stats, "sources": sorted(set(sources))})
    if fmt is OutputFormat.text:  # a person reads it: paths from here (JSON and SARIF keep the root's)
        from keyshift.cwdpath import Renamer

        result = Renamer(results).result(result)
    if fmt is OutputFormat.baseline and output != "-" and Path(output).exists():
        from keyshift.report.baseline import merge_file

        # keep other detect-secrets plugins' results and audit labels in an existing baseline
        rendered = merge_file(Path(output), result, slim=slim)
    else:
        rendered = render(
            result,
            fmt.value,
            redact_key_ids=redact,
            show_suppressed=show_suppressed,
            sarif_history=sarif_history,
            baseline_slim=slim,
            color=fmt is OutputFormat.text and output == "-" and sys.stdout.isatty() and not no_color,
        )
    scrubber = Scrubber.of((*result.findings, *result.suppressed))
    _write(scrubber.scrub(rendered, mask_key_ids=redact), output)
    if not quiet:
        from keyshift.markup import printable

        # a text report on the terminal already lists the warnings: say them once
        if not (fmt is OutputFormat.text and output == "-"):
            for error in result.errors:
                print(
                    f"keyshift: warning: {printable(scrubber.scrub(error, mask_key_ids=redact))}",
                    file=sys.stderr,
                )
        if output != "-":  # the report went to a file: still say what it holds
            print(f"keyshift: {_summary_line(result)}; {fmt.value} report in {output}", file=sys.stderr)
        if gate is not None and result.findings:
            for line in _gate_advice(staged):
                print(line, file=sys.stderr)
    # files, and git objects (corrupt, missing) that could not be read
    unread = sum(1 for s in result.skipped if s.reason.startswith(_NOT_READ))
    if unread and not result.findings and not exit_zero:
        # could not look everywhere: never "clean" (exit 0); the files are named in the report
        if not quiet:
            print(
                f"keyshift: {unread} file(s), git object(s) or shallow commit(s) could not be read; "
                "the result is incomplete",
                file=sys.stderr,
            )
        raise typer.Exit(2)
    failed = bool(result.findings) or (gate is not None and gate.changed and fail_on_policy_change)
    raise typer.Exit(0 if exit_zero or not failed else 1)


#: ``skipped`` reasons that mean the scan could not look there (never clean: exit 2)
_NOT_READ = ("unreadable", "corrupt object", "missing object")


def _build_contexts(target: Path, config: Config) -> list[ScanResult]:
    """Files git ignores that a Dockerfile copies into its image (``--all-files`` reads them anyway)."""
    if config.all_files or not target.is_dir() or target.is_symlink():
        return []
    from keyshift.sources.buildcontext import scan_build_contexts

    return [scan_build_contexts(target, config)]


def _unreachable_as_warning(result: ScanResult) -> ScanResult:
    """Blobs no ref reaches: one warning naming each key and blob, not findings (``--unreachable``)."""
    from keyshift.model import SourceKind
    from keyshift.sources.unreachable import warning

    found = [f for f in result.findings if f.source is SourceKind.UNREACHABLE]
    said = warning(found)
    return replace(
        result,
        findings=tuple(f for f in result.findings if f.source is not SourceKind.UNREACHABLE),
        suppressed=tuple(f for f in result.suppressed if f.source is not SourceKind.UNREACHABLE),
        errors=(*result.errors, said) if said else result.errors,
    )


def _gate_advice(staged: bool) -> tuple[str, ...]:
    """What a blocked commit or pull request does next: fix the finding or allow it (pre-commit, CI)."""
    if staged:
        fix = (
            "keyshift: the commit would add the credentials above; fix: remove them from the staged "
            "files (boto3 calls: keyshift fix --write FILE), read keys from the environment or a role, "
            "and git add the files again"
        )
    else:
        fix = (
            "keyshift: these commits add the credentials above; fix: revoke each key in IAM (it is in "
            "the pushed history), then remove it from the code (boto3 calls: keyshift fix --write PATH)"
        )
    base = "HEAD: commit that change first" if staged else "the base commit: merge that change first"
    allow = (
        "keyshift: not a credential? allow it with a 'keyshift: allow' comment on its line, or add "
        f"its key ID or sha1 to allowlist in [tool.keyshift] (read from {base}); see docs/false-positives.md"
    )
    return fix, allow


def _summary_line(result: ScanResult) -> str:
    credentials = {f.key_id or f.value_sha1 for f in result.findings}
    if not result.findings:
        return "no AWS credentials found"
    return f"{len(credentials)} credential(s), {len(result.findings)} finding(s)"


def _uncommitted_only(tree: ScanResult, history: ScanResult) -> ScanResult:
    """Working-tree findings that history does not already report as still at HEAD.

    A committed value is reported once, by the history scan (with its commit); the tree scan
    adds what is untracked or not yet committed.
    """
    at_head = {
        (f.location.path, f.value_sha1)
        for f in history.findings
        if f.history is not None and f.history.in_head
    }
    kept = tuple(f for f in tree.findings if (f.location.path, f.value_sha1) not in at_head)
    return replace(tree, findings=kept)


def _relative(target: Path, cwd: Path) -> str:
    try:
        return target.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return target.as_posix()


def _write(text: str, output: str) -> None:
    if output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(output)
    if target.exists() and not target.is_file():  # /dev/null, a FIFO: write through, never replace
        try:
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise KeyshiftError(f"cannot write {output}: {exc.strerror}") from exc
        return
    from keyshift.safefs import atomic_write

    atomic_write(target, text)  # an unpredictable O_EXCL temporary, renamed over the report
