"""``keyshift verify`` and ``migrate --verify`` against moto on 127.0.0.1; retry and rate rules in isolation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.migrate.synth import commit_all, git
from keyshift.model import CredentialKind, Finding, Location, ScanResult, SourceKind
from keyshift.redact import sha1_hex
from keyshift.verify import RateLimiter, recover, verify_findings

from .conftest import Moto

DEAD_KEY = fake_key_id("123456789012", seed="dead")
DEAD_SECRET = fake_secret("dead")
LONE_KEY = fake_key_id("123456789012", seed="lone")


def _repo(path: Path, live: tuple[str, str]) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / ".env").write_text(f"AWS_ACCESS_KEY_ID={live[0]}\nAWS_SECRET_ACCESS_KEY={live[1]}\n")
    (path / "legacy.ini").write_text(
        f"[default]\naws_access_key_id = {DEAD_KEY}\naws_secret_access_key = {DEAD_SECRET}\n"
    )
    (path / "notes.txt").write_text(f"old key id {LONE_KEY}\n")
    commit_all(path, "keys")
    return path


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_verify_live_dead_unverified(moto: Moto, tmp_path: Path) -> None:
    live = moto.live_key("legacy-app")
    repo = _repo(tmp_path / "svc", live)
    result = _invoke(
        "verify", str(repo), "--endpoint-url", moto.endpoint, "--insecure", "--json", "--rate", "0"
    )
    assert result.exit_code == 1, result.output
    verdicts = {v["key_id"]: v for v in json.loads(result.stdout)["keys"]}
    assert verdicts[live[0]]["status"] == "live"
    assert verdicts[live[0]]["arn"].endswith(":user/legacy-app")
    assert verdicts[live[0]]["user"] == "legacy-app"
    assert verdicts[DEAD_KEY]["status"] == "invalid"
    assert verdicts[LONE_KEY]["status"] == "unverified"
    assert live[1] not in result.output and DEAD_SECRET not in result.output
    text = _invoke("verify", str(repo), "--endpoint-url", moto.endpoint, "--insecure", "--rate", "0")
    assert f"{live[0]}  live" in text.stdout and live[1] not in text.output


def test_history_only_key_is_read_from_the_commit(moto: Moto, tmp_path: Path) -> None:
    live = moto.live_key("old-batch")
    repo = _repo(tmp_path / "svc", live)
    (repo / ".env").unlink()
    commit_all(repo, "drop .env", date="2024-03-01T00:00:00+00:00")
    without = _invoke(
        "verify", str(repo), "--endpoint-url", moto.endpoint, "--insecure", "--json", "--rate", "0"
    )
    assert live[0] not in without.stdout
    result = _invoke(
        "verify",
        str(repo),
        "--history",
        "--endpoint-url",
        moto.endpoint,
        "--insecure",
        "--json",
        "--rate",
        "0",
    )
    verdicts = {v["key_id"]: v for v in json.loads(result.stdout)["keys"]}
    assert verdicts[live[0]]["status"] == "live"


def test_migrate_verify_puts_verdicts_in_the_report(moto: Moto, tmp_path: Path) -> None:
    live = moto.live_key("reports")
    repo = _repo(tmp_path / "svc", live)
    out = tmp_path / "review"
    result = _invoke(
        "migrate", str(repo), "--out", str(out), "--verify", "--endpoint-url", moto.endpoint, "--insecure"
    )
    assert result.exit_code == 1, result.output
    data = json.loads((out / "migration.json").read_text())
    assert data["totals"]["keys_live"] == 1
    keys = {k["key"]: k for k in data["keys"]}
    assert keys[live[0]]["verify"]["status"] == "live"
    assert keys[live[0]]["steps"][0].startswith("The key is LIVE")
    assert keys[DEAD_KEY]["verify"]["status"] == "invalid"
    report = (out / "report.md").read_text()
    assert "**live**" in report and "user/reports" in report
    for file in out.rglob("*"):
        if file.is_file():
            assert live[1] not in file.read_text()


def test_unreachable_endpoint_is_an_error_verdict_not_a_crash(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "svc", (fake_key_id("123456789012", seed="x"), fake_secret("x")))
    result = _invoke(
        "verify",
        str(repo),
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--insecure",
        "--json",
        "--rate",
        "0",
        "--timeout",
        "2",
    )
    assert result.exit_code == 1
    assert {v["status"] for v in json.loads(result.stdout)["keys"]} == {"error", "unverified"}


# ----- rules in isolation ---------------------------------------------------------------------


def _scan(tmp_path: Path, key: str, secret: str) -> ScanResult:
    (tmp_path / "a.env").write_text(f"AWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={secret}\n")
    finding = Finding(
        rule_id="KS002",
        kind=CredentialKind.SECRET_ACCESS_KEY,
        key_id=key,
        secret_sha1=sha1_hex(secret),
        account_id=None,
        value_sha1=sha1_hex(secret),
        location=Location("a.env", 2, 23),
        source=SourceKind.WORKTREE,
    )
    return ScanResult(root=str(tmp_path), findings=(finding,))


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "GetCallerIdentity")


@pytest.mark.parametrize(
    ("failures", "calls", "status"),
    [
        # STS's documented quirk: one 403 for a valid pair is asked again before the key is called dead
        ([_error("InvalidClientTokenId")], 2, "live"),
        ([_error("InvalidClientTokenId")] * 2, 2, "invalid"),
        ([_error("SignatureDoesNotMatch")] * 2, 2, "invalid"),
        ([_error("Throttling"), _error("Throttling")], 2, "error"),
        ([EndpointConnectionError(endpoint_url="http://x")] * 2, 2, "error"),
        ([_error("Throttling")], 2, "live"),
        ([_error("AccessDenied")], 1, "live"),
    ],
)
def test_retry_rules(
    tmp_path: Path, failures: list[Exception], calls: int, status: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keyshift.verify._QUIRK_PAUSE", 0.0)
    key, secret = fake_key_id(seed="r"), fake_secret("r")
    seen: list[str] = []
    queue = list(failures)

    def caller(key_id: str, hidden: Any) -> dict[str, str]:
        seen.append(key_id)
        assert hidden.secret == secret and "hidden" in repr(hidden) and secret not in repr(hidden)
        if queue:
            raise queue.pop(0)
        return {"Arn": "arn:aws:iam::123456789012:user/app", "Account": "123456789012"}

    (verdict,) = verify_findings(_scan(tmp_path, key, secret), tmp_path, rate=0, caller=caller)
    assert len(seen) == calls
    assert verdict.status == status


def test_secret_is_matched_by_hash_not_position(tmp_path: Path) -> None:
    key, secret = fake_key_id(seed="m"), fake_secret("m")
    scan = _scan(tmp_path, key, secret)
    (tmp_path / "a.env").write_text(f"# moved\n\nAWS_SECRET_ACCESS_KEY={fake_secret('other')}\nX={secret}\n")
    assert recover(tmp_path, scan.findings)[key].secret == secret
    (tmp_path / "a.env").write_text(f"AWS_SECRET_ACCESS_KEY={fake_secret('other')}\n")
    assert recover(tmp_path, scan.findings) == {}


def test_rate_limiter_spaces_calls() -> None:
    now = [0.0]
    slept: list[float] = []

    def clock() -> float:
        return now[0]

    limiter = RateLimiter(4.0, clock)
    import keyshift.verify as module

    original = module.time.sleep
    module.time.sleep = lambda s: (slept.append(s), now.__setitem__(0, now[0] + s))  # type: ignore[assignment]
    try:
        for _ in range(3):
            limiter.wait()
    finally:
        module.time.sleep = original
    assert slept == [0.25, 0.25]


def test_sweep_verify_ranks_live_keys_first(moto: Moto, tmp_path: Path) -> None:
    live = moto.live_key("fleet-app")
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    _repo(fleet / "a-has-live", live)
    _repo(fleet / "c-same-keys", live)  # the same keys in a second repository: asked about once
    dead = fleet / "b-dead-only"
    dead.mkdir()
    git(dead, "init", "-q", "-b", "main")
    (dead / "legacy.ini").write_text(
        f"[default]\naws_access_key_id = {DEAD_KEY}\naws_secret_access_key = {DEAD_SECRET}\n"
    )
    commit_all(dead, "old key")
    out = tmp_path / "out"
    result = _invoke(
        "sweep",
        str(fleet),
        "--out",
        str(out),
        "-j",
        "1",
        "--verify",
        "--endpoint-url",
        moto.endpoint,
        "--insecure",
    )
    assert result.exit_code == 1, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert [r["name"] for r in summary["repositories"]] == ["a-has-live", "c-same-keys", "b-dead-only"]
    assert summary["repositories"][1]["risk"] == "live" and summary["totals"]["live_keys"] == 1
    assert sorted(p.name.split("-")[0] for p in (out / "verify").glob("*.json")) == sorted(
        [live[0], DEAD_KEY]
    )
    assert live[1] not in "".join(p.read_text() for p in out.rglob("*") if p.is_file())


def _finding(kind: CredentialKind, key: str, value: str, path: str) -> Finding:
    return Finding(
        rule_id="KS002",
        kind=kind,
        key_id=key,
        secret_sha1=sha1_hex(value),
        account_id=None,
        value_sha1=sha1_hex(value),
        location=Location(path, 1),
        source=SourceKind.WORKTREE,
    )


def test_temporary_keys_need_their_token(tmp_path: Path) -> None:
    from keyshift.fakes import fake_session_token

    key, secret, token = fake_key_id(prefix="ASIA", seed="t"), fake_secret("t"), fake_session_token("t")
    (tmp_path / "creds").write_text(f"key={key}\nsecret={secret}\ntoken={token}\n")
    both = (
        _finding(CredentialKind.SECRET_ACCESS_KEY, key, secret, "creds"),
        _finding(CredentialKind.SESSION_TOKEN, key, token, "creds"),
    )
    calls: list[Any] = []

    def caller(key_id: str, hidden: Any) -> dict[str, str]:
        calls.append(hidden.token)
        return {"Arn": "arn:aws:sts::123456789012:assumed-role/app/session", "Account": "123456789012"}

    (verdict,) = verify_findings(ScanResult(str(tmp_path), both), tmp_path, rate=0, caller=caller)
    assert verdict.status == "live" and verdict.user == "session" and calls == [token]
    (alone,) = verify_findings(ScanResult(str(tmp_path), both[:1]), tmp_path, rate=0, caller=caller)
    assert alone.status == "unverified" and len(calls) == 1


@pytest.mark.parametrize("path", ["../outside.env", "link.env"])
def test_secrets_are_only_read_inside_the_target(tmp_path: Path, path: str) -> None:
    key, secret = fake_key_id(seed="o"), fake_secret("o")
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "outside.env").write_text(f"AWS_SECRET_ACCESS_KEY={secret}\n")
    (root / "link.env").symlink_to(tmp_path / "outside.env")
    assert recover(root, [_finding(CredentialKind.SECRET_ACCESS_KEY, key, secret, path)]) == {}


def test_shared_cache_asks_once_per_key_across_repositories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("keyshift.verify._QUIRK_PAUSE", 0.0)
    key, secret = fake_key_id(seed="c"), fake_secret("c")
    asked: list[str] = []

    def caller(key_id: str, hidden: Any) -> dict[str, str]:
        asked.append(key_id)
        raise _error("InvalidClientTokenId")

    verdicts = [
        verify_findings(
            _scan(tmp_path / name, key, secret),
            tmp_path / name,
            rate=0,
            caller=caller,
            cache_dir=tmp_path / "cache",
        )
        for name in ("one", "two", "three")
        if (tmp_path / name).mkdir() is None
    ]
    assert asked == [key, key]  # asked twice (the 403 quirk), then shared through the cache
    assert {v[0].status for v in verdicts} == {"invalid"}
    assert secret not in "".join(p.read_text() for p in (tmp_path / "cache").glob("*.json"))


@pytest.mark.parametrize("account", ["052310077262", "044858866125"])
def test_canary_keys_are_never_called(tmp_path: Path, account: str) -> None:
    key, secret = fake_key_id(account, seed="canary"), fake_secret("canary")

    def caller(key_id: str, hidden: Any) -> dict[str, str]:
        raise AssertionError("a canary key must never reach AWS")

    (verdict,) = verify_findings(_scan(tmp_path, key, secret), tmp_path, rate=0, caller=caller)
    assert verdict.status == "unverified" and "canary" in verdict.reason
