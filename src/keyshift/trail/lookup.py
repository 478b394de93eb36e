"""``keyshift trail --lookup``: the opt-in live read of ``cloudtrail:LookupEvents``.

The only network path of ``keyshift trail``. It asks about the found keys with a separate
auditor profile, never with a found key: AWS's quarantine policy for an exposed key denies
``LookupEvents`` to that key's user, and a found key must not be used at all. LookupEvents gives
management events of the last 90 days, is limited to 2 requests per second per account and
region, and is paged; every page is written to ``DIR/<key>/page-NNNNN.json`` (the
``lookup-events`` output shape, which the offline reader takes) with the next token beside it,
so an interrupted run resumes where it stopped and a finished key is never asked again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from keyshift.errors import KeyshiftError
from keyshift.redact import scrub
from keyshift.verify import RateLimiter

RATE = 2.0  # requests per second, AWS's documented LookupEvents limit


def client_for(
    profile: str,
    region: str,
    endpoint_url: str | None,
    keys: Iterable[str],
    *,
    service: str = "cloudtrail",
    flag: str = "--lookup",
) -> Any:
    """A client for the auditor profile; refuses a profile whose key is a found key.

    Shared by every live read of ``trail`` (``--lookup``: CloudTrail; ``--iam-live``: IAM).
    """
    import boto3  # type: ignore[import-untyped]
    from botocore.exceptions import BotoCoreError, ProfileNotFound  # type: ignore[import-untyped]

    try:
        session = boto3.Session(profile_name=profile, region_name=region)
        creds = session.get_credentials()
    except (ProfileNotFound, BotoCoreError) as exc:
        raise KeyshiftError(f"{flag}: cannot use profile {profile!r}: {scrub(str(exc))}") from None
    if creds is None:
        raise KeyshiftError(f"{flag}: profile {profile!r} has no credentials")
    if creds.access_key in set(keys):
        raise KeyshiftError(
            f"{flag}: the auditor profile uses one of the found keys; use a separate identity"
        )
    return session.client(service, endpoint_url=endpoint_url)


def fetch(
    client: Any,
    keys: Iterable[str],
    out: Path,
    *,
    rate: float = RATE,
    max_pages: int = 1000,
    sleep: Callable[[], None] | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> list[Path]:
    """Page through LookupEvents for each key into ``out``; resumable. Returns the page files."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    from keyshift.trail.hygiene import canary

    limiter = RateLimiter(rate)
    pages: list[Path] = []
    for key in sorted(set(keys)):
        why = canary(key)
        if why is not None:
            if skipped is not None:
                skipped.append((key, f"not looked up: {why}"))
            continue
        folder = out / key
        folder.mkdir(parents=True, exist_ok=True)
        state = folder / ".state.json"  # hidden: the offline reader passes over it
        progress = _load(state)
        done = sorted(folder.glob("page-*.json"))
        pages += done
        if progress.get("complete"):
            continue
        token = progress.get("next_token")
        number = len(done)
        while number < max_pages:
            limiter.wait()
            if sleep is not None:
                sleep()
            kwargs: dict[str, Any] = {
                "LookupAttributes": [{"AttributeKey": "AccessKeyId", "AttributeValue": key}],
                "MaxResults": 50,
            }
            if token:
                kwargs["NextToken"] = token
            try:
                answer = client.lookup_events(**kwargs)
            except (ClientError, BotoCoreError) as exc:
                code = exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""
                why = scrub(code or type(exc).__name__)
                raise KeyshiftError(
                    f"LookupEvents failed for {key} after {number} page(s) ({why}); "
                    f"pages so far are kept in {out}: run again to resume"
                ) from None
            number += 1
            page = folder / f"page-{number:05d}.json"
            _write(page, {"Events": answer.get("Events", [])})
            pages.append(page)
            token = answer.get("NextToken")
            _write(state, {"next_token": token, "complete": not token})
            if not token:
                break
    return pages


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write through a temporary file and rename: a page is either whole or absent."""
    if path.is_symlink():
        raise KeyshiftError(f"refusing to write through a symbolic link: {path}")
    tmp = path.with_name(f".{path.name}.tmp")
    if tmp.is_symlink():
        raise KeyshiftError(f"refusing to write through a symbolic link: {tmp}")
    tmp.write_text(json.dumps(data, default=str), encoding="utf-8")
    os.replace(tmp, path)
