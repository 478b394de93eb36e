"""Every record shared between keyshift's stages.

Stages pass these frozen dataclasses one way (scan -> fix -> plan -> report). The join key
across stages is a SHA-1 hex digest of a credential value (the same value detect-secrets
stores as ``hashed_secret``), so nothing after detection ever needs a secret's plaintext.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class SourceKind(StrEnum):
    """Where a chunk of text came from; the JSON ``source`` field."""

    WORKTREE = "worktree"
    DOCKERFILE = "dockerfile"
    HISTORY = "history"
    IMAGE = "image"
    UNREACHABLE = "unreachable"  # a blob in the object database that no ref reaches


class CredentialKind(StrEnum):
    """What a matched value is; the JSON ``kind`` field."""

    ACCESS_KEY_ID = "access_key_id"
    SECRET_ACCESS_KEY = "secret_access_key"
    SESSION_TOKEN = "session_token"


@dataclass(frozen=True, slots=True)
class Secret:
    """A credential value known from detection, carried only so outputs can be scrubbed of it.

    It prints as its hash; nothing renders ``value``: ``keyshift.redact.Scrubber`` is its only reader.
    """

    value: str

    def __repr__(self) -> str:
        import hashlib

        digest = hashlib.sha1(self.value.encode("utf-8"), usedforsecurity=False).hexdigest()
        return f"Secret(sha1:{digest[:12]})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a text: repo-relative POSIX path, 1-based line and column."""

    path: str
    line: int
    column: int | None = None
    commit: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryInfo:
    """Where in git history a value was found (``scan --history``)."""

    commit: str  # full SHA of the commit that introduced the blob at this path
    author: str
    date: str  # ISO 8601 author date
    commits: int  # how many commits hold the value
    paths: int  # how many paths hold the value
    in_head: bool  # still present at HEAD


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """Where in a container image a value was found (``scan --image``)."""

    ref: str
    layer_index: int | None = None
    layer_digest: str | None = None
    deleted: bool = False
    deleted_by_layer: int | None = None
    field: str | None = None  # "env" | "label" | "history" | None for layer files
    history_index: int | None = None
    env_index: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One credential value at one location.

    ``key_id`` is the access key ID itself for an ``ACCESS_KEY_ID`` finding, and the key ID a
    secret or token was paired with otherwise. ``secret_sha1`` is set for secrets and tokens
    only. ``value_sha1`` hashes the matched value whatever its kind.
    """

    rule_id: str
    kind: CredentialKind
    key_id: str | None
    secret_sha1: str | None
    account_id: str | None
    value_sha1: str
    location: Location
    source: SourceKind
    carrier: str = "text"  # how it was recognised: "python", "ini", "env", "dockerfile-env", ...
    context_name: str | None = None  # the variable / field name that carried a secret
    note: str | None = None  # extra advice (e.g. Dockerfile ENV overrides the task role)
    suppressed: str | None = None  # reason: "inline-allow", "example-key", "baseline", "allowlist"
    history: HistoryInfo | None = None
    image: ImageInfo | None = None
    #: the secret or token itself (None for key IDs), for the run's ``Scrubber`` only; never compared or shown
    secret: Secret | None = field(default=None, repr=False, compare=False)

    @property
    def path(self) -> str:
        return self.location.path

    @property
    def line(self) -> int:
        return self.location.line

    @property
    def commit(self) -> str | None:
        return self.location.commit

    @property
    def credential_key(self) -> str:
        """Groups a key ID with its secret and token: the key ID, else the value's own hash."""
        return self.key_id or self.value_sha1


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file or object that was not scanned, and why (counted, never fatal)."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan found, what it suppressed and what it could not read."""

    root: str
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    files_scanned: int = 0
    bytes_scanned: int = 0
    errors: tuple[str, ...] = ()
    stats: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallSite:
    """A boto3/botocore client, resource or session construction found in code."""

    location: Location
    service: str | None  # boto3 service name, e.g. "s3"; None for sessions
    factory: str  # "client" | "resource" | "Session" | "create_client" | ...
    target: str | None  # variable the result is bound to, if any
    methods: tuple[str, ...] = ()
    credential_sha1s: frozenset[str] = frozenset()
    removed_kwargs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Permission:
    """One IAM action a role needs, on which resources, and why."""

    action: str
    resources: tuple[str, ...]
    because: tuple[str, ...]
    confidence: str = "mapped"  # "mapped" | "inferred" | "conditional"
