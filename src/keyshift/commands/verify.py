"""``keyshift verify``: which found keys still work (opt-in; the only command that uses the network)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from keyshift.commands.formats import TextOrJson


def verify(
    path: Path = typer.Argument(Path("."), help="Repository or directory to scan for key pairs."),
    history: bool = typer.Option(False, "--history", help="Also verify keys found only in git history."),
    endpoint_url: str | None = typer.Option(
        None, "--endpoint-url", help="STS endpoint (a private endpoint, or a test server)."
    ),
    region: str = typer.Option("us-east-1", "--region", help="Region for the STS call."),
    insecure: bool = typer.Option(
        False, "--insecure", help="Allow an http:// endpoint (a local test server): keys travel unencrypted."
    ),
    rate: float = typer.Option(2.0, "--rate", help="At most this many STS calls per second."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds per STS call."),
    output_format: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="text or json."),
    as_json: bool = typer.Option(False, "--json", help="Shorthand for --format json."),
    config_file: Path | None = typer.Option(None, "--config", help="Settings file."),
    exit_zero: bool = typer.Option(False, "--exit-zero", help="Exit 0 whatever the verdicts."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Nothing on stderr."),
) -> None:
    """Call sts:GetCallerIdentity once per found key pair to tell live keys from dead ones.

    Secrets are re-read where the scan found them (matched by SHA-1) and never printed. The endpoint
    is resolved as the AWS SDK resolves it (--endpoint-url, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL,
    the AWS config file) and named on stderr; http:// is refused unless --insecure.

    A pair STS rejects is asked once more after a pause; canary-token keys are never called.

    Exit codes: 0 no key, or every key rejected by AWS; 1 a key is live or unchecked; 2 error.
    """
    from keyshift.sources.worktree import resolve_target

    path = resolve_target(path)  # a symlink named on the command line is the tree the user means
    import json

    from keyshift.config import load_config
    from keyshift.errors import KeyshiftError
    from keyshift.redact import Scrubber
    from keyshift.scan import apply_policy, merge, scan_tree
    from keyshift.verify import sts_endpoint, verdict_json, verify_findings

    as_json = as_json or output_format == "json"
    if not path.is_dir():
        raise KeyshiftError(f"not a directory: {path}")
    if rate < 0 or timeout <= 0:
        raise KeyshiftError("--rate must be >= 0 and --timeout > 0")
    endpoint = sts_endpoint(endpoint_url, region, insecure=insecure)  # before any scan: fail fast
    config = load_config(path, config_file)
    results = [scan_tree(path, config)]
    if history:
        from keyshift.sources.history import scan_history

        results.append(scan_history(path, config))
    scan = apply_policy(merge(results, str(path)), config)
    keys = sorted({f.key_id for f in scan.findings if f.key_id})
    if not quiet and keys:
        print(f"keyshift verify: checking {len(keys)} key(s) against {endpoint.describe()}", file=sys.stderr)
    verdicts = verify_findings(
        scan, path, endpoint_url=endpoint.url, region=region, rate=rate, timeout=timeout, insecure=insecure
    )
    scrubber = Scrubber.of((*scan.findings, *scan.suppressed))
    if as_json:
        text = json.dumps({"keys": [verdict_json(v) for v in verdicts]}, indent=2) + "\n"
    elif not verdicts:
        text = "no AWS key found\n"
    else:
        text = ""
        for v in verdicts:
            who = v.arn or ""
            why = f" ({v.reason})" if v.reason else ""
            text += f"{v.key_id}  {v.status:<10} {who}{why}\n".replace("  \n", "\n")
    sys.stdout.write(scrubber.scrub(text))
    failing = any(v.status in ("live", "unverified", "error") for v in verdicts)
    raise typer.Exit(1 if failing and not exit_zero else 0)
