"""``keyshift trail --lookup`` against a local stub of LookupEvents (moto does not implement it),
answering in the API's documented response shape on 127.0.0.1: paging, 2 requests per second,
resume after an interruption, and never the found key."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from keyshift.fakes import fake_key_id, fake_secret
from keyshift.trail import gen

from .helpers import run

ACCOUNT = "111122223333"
KEY = fake_key_id(ACCOUNT, seed="lookup")
AUDITOR = fake_key_id("444455556666", seed="auditor")


def _events(page: int) -> list[dict[str, Any]]:
    actor = gen.Actor(ACCOUNT, KEY, "198.51.100.23", gen.CLI_UA, user="build")
    out = []
    for i in range(2):
        rec = gen.record(actor, "ec2.amazonaws.com", "DescribeInstances", time=f"2026-11-0{page}T10:0{i}:00Z",
                         params={"instancesSet": {}}, seed=f"{page}/{i}")  # fmt: skip
        out.append({
            "EventId": rec["eventID"], "EventName": rec["eventName"], "ReadOnly": "true", "AccessKeyId": KEY,
            "EventTime": 1793613600 + page * 86400 + i, "EventSource": rec["eventSource"], "Username": "build",
            "Resources": [], "CloudTrailEvent": json.dumps(rec),
        })  # fmt: skip
    return out


class Stub:
    def __init__(self) -> None:
        self.requests: list[tuple[float, dict[str, Any]]] = []
        self.fail_at: int | None = None


@pytest.fixture()
def stub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Stub, str]]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            assert self.headers["X-Amz-Target"].endswith("LookupEvents")
            assert (
                f"Credential={AUDITOR}/" in self.headers["Authorization"]
            )  # the auditor signs, never the key
            state.requests.append((time.monotonic(), body))
            if state.fail_at is not None and len(state.requests) == state.fail_at:
                self._send(400, {"__type": "AccessDeniedException", "message": "denied"})
                return
            page = {None: 1, "t2": 2, "t3": 3}[body.get("NextToken")]
            answer: dict[str, Any] = {"Events": _events(page)}
            if page < 3:
                answer["NextToken"] = f"t{page + 1}"
            self._send(200, answer)

        def _send(self, status: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    creds = tmp_path / "credentials"
    creds.write_text(f"[auditor]\naws_access_key_id = {AUDITOR}\naws_secret_access_key = {fake_secret('auditor')}\n"
                     f"[found]\naws_access_key_id = {KEY}\naws_secret_access_key = {fake_secret('found')}\n")  # fmt: skip
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _lookup(endpoint: str, out: Path, profile: str = "auditor") -> tuple[int, str, str]:
    return run("trail", "--lookup", "--keys", KEY, "--profile", profile, "--endpoint-url", endpoint,
               "--lookup-dir", str(out), "--format", "json")  # fmt: skip


def test_lookup_pages_rate_limited_and_read(stub: tuple[Stub, str], tmp_path: Path) -> None:
    state, endpoint = stub
    code, out, err = _lookup(endpoint, tmp_path / "pages")
    assert code == 0, err
    assert [b.get("NextToken") for _, b in state.requests] == [None, "t2", "t3"]
    assert state.requests[0][1]["LookupAttributes"] == [
        {"AttributeKey": "AccessKeyId", "AttributeValue": KEY}
    ]
    gaps = [b[0] - a[0] for a, b in zip(state.requests, state.requests[1:], strict=False)]
    assert sum(gaps) >= 0.9  # 2 requests per second (arrival times jitter; their spread does not)
    data = json.loads(out)
    (key,) = data["keys"]
    assert key["calls"][0]["count"] == 6 and key["consumers"][0]["label"] == "aws-cli/2.15.30"
    # a finished key is never asked again
    code, _, _ = _lookup(endpoint, tmp_path / "pages")
    assert code == 0 and len(state.requests) == 3


def test_lookup_resumes_after_an_interruption(stub: tuple[Stub, str], tmp_path: Path) -> None:
    state, endpoint = stub
    state.fail_at = 2
    code, _, err = _lookup(endpoint, tmp_path / "pages")
    assert code == 2 and "run again to resume" in err
    state.fail_at = None
    code, out, _ = _lookup(endpoint, tmp_path / "pages")
    assert code == 0
    assert [b.get("NextToken") for _, b in state.requests] == [None, "t2", "t2", "t3"]
    assert json.loads(out)["keys"][0]["events"] == 6  # no page lost, none counted twice


def test_lookup_never_uses_a_found_key(stub: tuple[Stub, str], tmp_path: Path) -> None:
    state, endpoint = stub
    code, _, err = _lookup(endpoint, tmp_path / "pages", profile="found")
    assert code == 2 and "separate identity" in err
    assert state.requests == []


def test_lookup_is_opt_in() -> None:
    assert run("trail", "--keys", KEY, "--profile", "auditor")[0] == 2  # --profile without --lookup
    assert run("trail", "--lookup", "--keys", KEY)[0] == 2  # --lookup without a profile


def test_lookup_skips_canary_tokens(stub: tuple[Stub, str], tmp_path: Path) -> None:
    state, endpoint = stub
    canary = fake_key_id("052310077262", seed="canary")
    code, _, err = run("trail", "--lookup", "--keys", canary, "--profile", "auditor", "--endpoint-url", endpoint,
                       "--lookup-dir", str(tmp_path / "pages"))  # fmt: skip
    assert state.requests == []  # never asked about
    assert f"{canary} not looked up: a canarytokens.org canary (account 052310077262)" in err
    assert code == 2 and "no key was looked up" in err  # never a clean report


def test_canary_key_is_named_in_the_report(tmp_path: Path) -> None:
    canary = fake_key_id("052310077262", seed="canary")
    actor = gen.Actor("052310077262", canary, "198.51.100.4", gen.CLI_UA, user="bait")
    gen.write_delivered(
        tmp_path, [gen.record(actor, "sts.amazonaws.com", "GetCallerIdentity", time="2026-11-02T10:00:00Z")]
    )
    code, out, _ = run("trail", str(tmp_path))
    assert code == 0 and "CANARY: a canarytokens.org canary" in out
