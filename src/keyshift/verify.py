"""Opt-in liveness check: one ``sts:GetCallerIdentity`` per found key pair.

The only place keyshift talks to AWS. Findings carry only SHA-1 digests, so the plaintext secret
is re-read from the location the scanner reported (the file at HEAD, or the blob of the commit
for a history hit) and accepted only when its SHA-1 matches; it lives in memory for one call and
is never printed, logged or returned. Every key is tried at most once per run: an authentication
failure is final, and only a transport error (timeout, throttling) earns a single retry.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyshift import gitrun
from keyshift.errors import KeyshiftError
from keyshift.model import CredentialKind, Finding, ScanResult, SourceKind
from keyshift.redact import scrub, sha1_hex
from keyshift.trail.hygiene import canary

_SECRET = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_TOKEN = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{100,}={0,2}(?![A-Za-z0-9/+=])")
_AUTH_FAILURES = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "ExpiredToken",
        "AuthFailure",
    }
)
_MAX_READ = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Verdict:
    """What AWS said about one key. ``status``: live | invalid | unverified | error."""

    key_id: str
    status: str
    arn: str | None = None
    user: str | None = None
    account_id: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Secret:
    secret: str
    token: str | None

    def __repr__(self) -> str:  # never show the value, even in a debugger or traceback
        return "_Secret(<hidden>)"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """The STS endpoint a verification really talks to, and what chose it."""

    url: str
    source: str  # "--endpoint-url", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL", "AWS config", "AWS STS"

    def describe(self) -> str:
        if self.source == "AWS STS":
            return f"AWS STS at {self.url}"
        return f"{self.url} (set by {self.source}, not AWS's default endpoint)"


_AWS_STS = re.compile(r"https://sts(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?/?")


def sts_endpoint(endpoint_url: str | None, region: str, *, insecure: bool = False) -> Endpoint:
    """Resolve the endpoint exactly as botocore will (flag, ``AWS_ENDPOINT_URL_STS``,
    ``AWS_ENDPOINT_URL``, the config file's ``endpoint_url``), so the user is told where keys go.

    Credentials over ``http://`` are refused unless ``insecure`` (a local test server).
    """
    import os

    import boto3  # type: ignore[import-untyped]

    from keyshift.errors import KeyshiftError

    # placeholder credentials: creating a client must not go looking for real ones (IMDS is network)
    client = boto3.session.Session().client(
        "sts",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id="placeholder",
        aws_secret_access_key="placeholder",
    )
    url = str(client.meta.endpoint_url)
    ignored = os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true"
    if endpoint_url:
        source = "--endpoint-url"
    elif os.environ.get("AWS_ENDPOINT_URL_STS") and not ignored:
        source = "AWS_ENDPOINT_URL_STS"
    elif os.environ.get("AWS_ENDPOINT_URL") and not ignored:
        source = "AWS_ENDPOINT_URL"
    elif not _AWS_STS.fullmatch(url):
        source = "AWS config"
    else:
        source = "AWS STS"
    endpoint = Endpoint(url, source)
    if not url.lower().startswith("https://") and not insecure:
        raise KeyshiftError(
            f"refusing to send keys to {endpoint.describe()} without TLS; "
            "pass --insecure for a local test server"
        )
    return endpoint


class RateLimiter:
    """At most ``rate`` calls per second (a fixed gap between calls; ``rate <= 0`` = no limit)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.gap = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.next_at = 0.0

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_at:
            time.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.gap


def _read_worktree(root: Path, relpath: str) -> str | None:
    path = (root / relpath).resolve()
    if not path.is_relative_to(root.resolve()) or path.is_symlink() or not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            return handle.read(_MAX_READ).decode("utf-8", "replace")
    except OSError:
        return None


def _read_blob(root: Path, commit: str, relpath: str) -> str | None:
    if not re.fullmatch(r"[0-9a-f]{7,64}", commit):
        return None
    try:
        proc = gitrun.run(
            gitrun.command("cat-file", "blob", f"{commit}:{relpath}", cwd=root), max_output=_MAX_READ * 4
        )
    except KeyshiftError:
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout[:_MAX_READ].decode("utf-8", "replace")


def _text_at(root: Path, f: Finding, cache: dict[tuple[str, str | None], str | None]) -> str | None:
    key = (f.path, f.commit if f.source is SourceKind.HISTORY else None)
    if key not in cache:
        if f.source is SourceKind.HISTORY and f.commit:
            cache[key] = _read_blob(root, f.commit, f.path)
        elif f.source in (SourceKind.WORKTREE, SourceKind.DOCKERFILE):
            cache[key] = _read_worktree(root, f.path)
        else:
            cache[key] = None  # image layers are not re-read: verify the key where the tree has it
    return cache[key]


def _match(text: str, pattern: re.Pattern[str], digest: str) -> str | None:
    for m in pattern.finditer(text):
        if sha1_hex(m.group(0)) == digest:
            return m.group(0)
    return None


def recover(root: Path, findings: Iterable[Finding]) -> dict[str, _Secret]:
    """Key ID -> its secret (and token) re-read from where the scan saw them, matched by SHA-1."""
    cache: dict[tuple[str, str | None], str | None] = {}
    secrets: dict[str, str] = {}
    tokens: dict[str, str] = {}
    for f in findings:
        if not f.key_id or f.kind is CredentialKind.ACCESS_KEY_ID:
            continue
        target = secrets if f.kind is CredentialKind.SECRET_ACCESS_KEY else tokens
        if f.key_id in target:
            continue
        text = _text_at(root, f, cache)
        if text is None:
            continue
        pattern = _SECRET if f.kind is CredentialKind.SECRET_ACCESS_KEY else _TOKEN
        value = _match(text, pattern, f.value_sha1)
        if value is not None:
            target[f.key_id] = value
    return {k: _Secret(v, tokens.get(k)) for k, v in secrets.items()}


def _sts_call(
    key_id: str, secret: _Secret, endpoint_url: str | None, region: str, timeout: float
) -> Mapping[str, Any]:
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config as BotoConfig  # type: ignore[import-untyped]

    client = boto3.client(
        "sts",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret.secret,
        aws_session_token=secret.token,
        config=BotoConfig(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=timeout,
            read_timeout=timeout,
        ),
    )
    return client.get_caller_identity()  # type: ignore[no-any-return]


Caller = Callable[[str, _Secret], Mapping[str, Any]]


_QUIRK_PAUSE = 2.0  # seconds before asking again about a pair STS just rejected


def _one(key_id: str, secret: _Secret, call: Caller, limiter: RateLimiter) -> Verdict:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    attempts = 0
    while True:
        attempts += 1
        limiter.wait()
        try:
            answer = call(key_id, secret)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
            if code in ("AccessDenied", "AccessDeniedException"):
                # the signature was accepted, only the action was refused: the key works
                return Verdict(key_id, "live", reason="authenticated; GetCallerIdentity was denied")
            if code in _AUTH_FAILURES and attempts == 1:
                # STS can answer 403 for a valid pair when the same key ID was just tried with
                # another secret; ask once more after a pause before calling the key dead
                time.sleep(_QUIRK_PAUSE)
                continue
            if code in _AUTH_FAILURES or attempts >= 2:
                status = "invalid" if code in _AUTH_FAILURES else "error"
                return Verdict(key_id, status, reason=scrub(code))
            continue  # throttling or a server error: one retry
        except (BotoCoreError, OSError) as exc:
            if attempts >= 2:
                return Verdict(key_id, "error", reason=scrub(type(exc).__name__))
            continue
        arn = str(answer.get("Arn") or "") or None
        user = arn.rsplit("/", 1)[-1] if arn and (":user/" in arn or ":assumed-role/" in arn) else None
        return Verdict(key_id, "live", arn=arn, user=user, account_id=answer.get("Account"))


def verify_findings(
    scan: ScanResult,
    root: Path,
    *,
    endpoint_url: str | None = None,
    region: str = "us-east-1",
    rate: float = 2.0,
    timeout: float = 10.0,
    caller: Caller | None = None,
    cache_dir: Path | None = None,
    insecure: bool = False,
) -> tuple[Verdict, ...]:
    """One verdict per key ID in ``scan`` (sorted); keys without a recoverable secret are 'unverified'.

    With ``cache_dir`` (a sweep), verdicts are shared between processes through one file per key
    and secret hash, under an exclusive lock: a key found in many repositories is asked about once.
    """
    findings = scan.findings
    key_ids = sorted({f.key_id for f in findings if f.key_id})
    if caller is None and key_ids:  # the endpoint of every call, checked (TLS) before a secret is read
        endpoint_url = sts_endpoint(endpoint_url, region, insecure=insecure).url
    secrets = recover(root, findings)

    def default(key_id: str, secret: _Secret) -> Mapping[str, Any]:
        return _sts_call(key_id, secret, endpoint_url, region, timeout)

    call = caller or default
    limiter = RateLimiter(rate)
    verdicts: list[Verdict] = []
    for key_id in key_ids:
        planted = canary(key_id)
        if planted is not None:  # never call AWS for it: the call itself is the alarm
            verdicts.append(Verdict(key_id, "unverified", reason=f"not called: {planted}"))
            continue
        secret = secrets.get(key_id)
        if secret is None:
            verdicts.append(
                Verdict(key_id, "unverified", reason="no secret key paired with this key ID was readable")
            )
            continue
        if key_id.startswith("ASIA") and secret.token is None:
            verdicts.append(Verdict(key_id, "unverified", reason="temporary key without its session token"))
            continue
        if cache_dir is None:
            verdicts.append(_one(key_id, secret, call, limiter))
        else:
            verdicts.append(_shared(cache_dir, key_id, secret, lambda k, s: _one(k, s, call, limiter)))
    return tuple(verdicts)


def _shared(cache_dir: Path, key_id: str, secret: _Secret, ask: Callable[[str, _Secret], Verdict]) -> Verdict:
    """The verdict from the sweep's shared cache, or asked and stored; never through a symlink."""
    import fcntl
    import json
    import os

    from keyshift.safefs import open_output_dir

    nofollow = getattr(os, "O_NOFOLLOW", 0)
    stem = f"{key_id}-{sha1_hex(secret.secret)[:16]}"
    with open_output_dir(cache_dir) as folder:
        lock = os.open(f"{stem}.lock", os.O_RDWR | os.O_CREAT | nofollow, 0o600, dir_fd=folder.fd)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the descriptor closes
            try:
                known = os.open(f"{stem}.json", os.O_RDONLY | nofollow, dir_fd=folder.fd)
                with os.fdopen(known, encoding="utf-8") as handle:
                    data = json.loads(handle.read(1 << 16))
                return Verdict(
                    **{k: data.get(k) for k in ("key_id", "status", "arn", "user", "account_id")},
                    reason=str(data.get("reason") or ""),
                )
            except (OSError, ValueError, TypeError, AttributeError):
                pass
            verdict = ask(key_id, secret)
            if verdict.status in ("live", "invalid"):  # transport errors are worth asking again next time
                folder.write_text(f"{stem}.json", json.dumps(verdict_json(verdict), sort_keys=True) + "\n")
            return verdict
        finally:
            os.close(lock)


def verifier(
    endpoint_url: str | None,
    region: str,
    rate: float,
    timeout: float = 10.0,
    cache_dir: Path | None = None,
    insecure: bool = False,
) -> Callable[[ScanResult, Path], tuple[Verdict, ...]]:
    """A ``verify_findings`` bound to its options, for ``migrate --verify`` and sweeps."""

    def run(scan: ScanResult, root: Path) -> tuple[Verdict, ...]:
        return verify_findings(
            scan,
            root,
            endpoint_url=endpoint_url,
            region=region,
            rate=rate,
            timeout=timeout,
            cache_dir=cache_dir,
            insecure=insecure,
        )

    return run


def verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "key_id": v.key_id,
        "status": v.status,
        "arn": v.arn,
        "user": v.user,
        "account_id": v.account_id,
        "reason": v.reason,
    }
