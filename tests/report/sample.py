"""A hand-made ScanResult touching every case a reporter must handle (fake values only)."""

from __future__ import annotations

from keyshift.detect.account import account_id
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token
from keyshift.model import (
    CredentialKind,
    Finding,
    HistoryInfo,
    ImageInfo,
    Location,
    ScanResult,
    Skipped,
    SourceKind,
)
from keyshift.redact import sha1_hex

KID = CredentialKind.ACCESS_KEY_ID
SEC = CredentialKind.SECRET_ACCESS_KEY
TOK = CredentialKind.SESSION_TOKEN

KEY_A = fake_key_id("123456789012", seed="report-a")
SECRET_A = fake_secret("report-a")
KEY_B = fake_key_id("210987654321", prefix="ASIA", seed="report-b")
SECRET_B = fake_secret("report-b")
TOKEN_B = fake_session_token("report-b")
KEY_C = fake_key_id("123456789012", seed="report-c")
SECRET_LONE = fake_secret("report-lone")
KEY_D = fake_key_id("333344445555", seed="report-d")
SECRET_D = fake_secret("report-d")
KEY_ALLOWED = fake_key_id("123456789012", seed="report-allowed")
KEY_KNOWN = fake_key_id("123456789012", seed="report-known")

SECRETS = (SECRET_A, SECRET_B, TOKEN_B, SECRET_LONE, SECRET_D)
KEY_IDS = (KEY_A, KEY_B, KEY_C, KEY_D, KEY_ALLOWED, KEY_KNOWN)

COMMIT_OLD = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
COMMIT_C = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
IMAGE_REF = "registry.example.invalid/legacy/orders:1.4"
LAYER_DIGEST = "sha256:" + "ab" * 32
ENV_NOTE = "ENV values are stored in the image and override the ECS task role at run time."


def key_finding(
    key: str, path: str, line: int, column: int | None, source: SourceKind, **kw: object
) -> Finding:
    rule = kw.pop("rule_id", "KS001")
    return Finding(
        rule_id=str(rule),
        kind=KID,
        key_id=key,
        secret_sha1=None,
        account_id=account_id(key),
        value_sha1=sha1_hex(key),
        location=Location(path, line, column, kw.pop("commit", None)),  # type: ignore[arg-type]
        source=source,
        **kw,  # type: ignore[arg-type]
    )


def secret_finding(
    value: str, key: str | None, path: str, line: int, column: int | None, source: SourceKind, **kw: object
) -> Finding:
    kind = kw.pop("kind", SEC)
    rule = kw.pop("rule_id", "KS003" if kind is TOK else "KS002")
    return Finding(
        rule_id=str(rule),
        kind=kind,  # type: ignore[arg-type]
        key_id=key,
        secret_sha1=sha1_hex(value),
        account_id=account_id(key) if key else None,
        value_sha1=sha1_hex(value),
        location=Location(path, line, column, kw.pop("commit", None)),  # type: ignore[arg-type]
        source=source,
        **kw,  # type: ignore[arg-type]
    )


def sample_result() -> ScanResult:
    wt, df, hi, im = SourceKind.WORKTREE, SourceKind.DOCKERFILE, SourceKind.HISTORY, SourceKind.IMAGE
    old = HistoryInfo(COMMIT_OLD, "Test Author", "2024-01-02T03:04:05+00:00", 2, 1, False)
    still = HistoryInfo(COMMIT_C, "Test Author", "2024-02-03T04:05:06+00:00", 1, 1, True)
    layer = ImageInfo(IMAGE_REF, layer_index=2, layer_digest=LAYER_DIGEST, deleted=True, deleted_by_layer=3)
    config_env = ImageInfo(IMAGE_REF, field="env", env_index=3)
    findings = (
        # A: a pair in settings and again in a Dockerfile ENV
        key_finding(KEY_A, "app/settings.py", 3, 18, wt, carrier="python", context_name="AWS_ACCESS_KEY_ID"),
        secret_finding(SECRET_A, KEY_A, "app/settings.py", 4, 25, wt, carrier="python"),
        key_finding(KEY_A, "Dockerfile", 5, 24, df, rule_id="KS101", carrier="dockerfile-env", note=ENV_NOTE),
        secret_finding(
            SECRET_A, KEY_A, "Dockerfile", 6, 28, df, rule_id="KS101", carrier="dockerfile-env", note=ENV_NOTE
        ),
        # B: temporary credentials only in history (removed before HEAD)
        key_finding(KEY_B, "config/old_creds.ini", 2, 19, hi, commit=COMMIT_OLD, carrier="ini", history=old),
        secret_finding(
            SECRET_B, KEY_B, "config/old_creds.ini", 3, 23, hi, commit=COMMIT_OLD, carrier="ini", history=old
        ),
        secret_finding(
            TOKEN_B,
            KEY_B,
            "config/old_creds.ini",
            4,
            19,
            hi,
            kind=TOK,
            commit=COMMIT_OLD,
            carrier="ini",
            history=old,
        ),
        # C: in history and still at HEAD
        key_finding(KEY_C, "deploy/env.sh", 1, 26, wt, carrier="env"),
        key_finding(KEY_C, "deploy/env.sh", 1, 26, hi, commit=COMMIT_C, carrier="env", history=still),
        # a secret with no key ID near it
        secret_finding(SECRET_LONE, None, "scripts/sync.py", 10, 30, wt, carrier="python"),
        # D: an image: a deleted layer file and the config Env
        key_finding(
            KEY_D,
            "app/.env",
            1,
            19,
            im,
            rule_id="KS102",
            carrier="env",
            image=layer,
        ),
        secret_finding(
            SECRET_D,
            KEY_D,
            "<config>",
            4,
            23,
            im,
            rule_id="KS103",
            carrier="image-env",
            note=ENV_NOTE,
            image=config_env,
        ),
    )
    suppressed = (
        key_finding(KEY_ALLOWED, "tests/test_client.py", 7, 12, wt, suppressed="inline-allow"),
        key_finding(KEY_KNOWN, "legacy/settings_old.py", 2, 9, wt, suppressed="baseline"),
    )
    return ScanResult(
        root="/srv/orders",
        findings=findings,
        suppressed=suppressed,
        skipped=(
            Skipped("vendor/broken-link", "broken-symlink"),
            Skipped("assets/logo.png", "binary"),
            Skipped("data/dump.sql", "too-large"),
            Skipped("assets/icon.ico", "binary"),
        ),
        files_scanned=42,
        bytes_scanned=123_456,
        errors=(f"history: cannot read object 0123abcd in {COMMIT_OLD[:7]}: bad object",),
        stats={"sources": ["worktree", "dockerfile", "history", "image"]},
    )


def empty_result() -> ScanResult:
    return ScanResult(root="/srv/clean", findings=(), files_scanned=3, bytes_scanned=99)
