"""Command-line options that several commands share, declared once.

``plan`` and ``migrate`` both compare their result with CloudTrail (``--trail``) and can read a
key's blast radius from IAM (``--iam-live``); the options that follow ``--trail`` mean the same
thing in both, so their flags and help text live here and both signatures use these objects.
"""

from __future__ import annotations

import typer

__all__ = ["IAM_ENDPOINT_URL", "IAM_LIVE", "LOGS", "PROFILE"]

LOGS = typer.Option(None, "--logs", help="--trail: application logs with AccessDenied errors.")
IAM_LIVE = typer.Option(
    False, "--iam-live", help="--trail: read the blast radius from IAM with --profile. Network!"
)
PROFILE = typer.Option(None, "--profile", help="--iam-live: the auditor profile (never a found key).")
IAM_ENDPOINT_URL = typer.Option(None, "--iam-endpoint-url", help="--iam-live: IAM endpoint.")
