"""Live-call hygiene through ``keyshift verify``, against a local STS stub on 127.0.0.1: a key of
a canary-token account is never sent (and the report says why), and STS's documented quirk (a
403 for a valid pair just after the same key ID was tried with another secret) is asked again
before the key is called dead."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.migrate.synth import commit_all, git

_OK = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    "<Arn>arn:aws:iam::123456789012:user/app</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>"
    "</GetCallerIdentityResponse>"
)
_FORBIDDEN = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
    "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid."
    "</Message></Error><RequestId>2</RequestId></ErrorResponse>"
)


class Stub:
    def __init__(self) -> None:
        self.keys: list[str] = []  # the key ID of each request, from its signature
        self.forbid: dict[str, int] = {}  # key ID -> how many first requests answer 403


@pytest.fixture()
def sts() -> Iterator[tuple[Stub, str]]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers["Authorization"].split("Credential=", 1)[1].split("/", 1)[0]
            state.keys.append(key)
            left = state.forbid.get(key, 0)
            if left:
                state.forbid[key] = left - 1
                self._send(403, _FORBIDDEN)
            else:
                self._send(200, _OK)

        def _send(self, code: int, body: str) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _repo(path: Path, pairs: list[tuple[str, str]]) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for i, (key, secret) in enumerate(pairs):
        (path / f"app{i}.env").write_text(f"AWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={secret}\n")
    commit_all(path, "keys")
    return path


def _verify(repo: Path, endpoint: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        app, ["verify", str(repo), "--endpoint-url", endpoint, "--insecure", "--json", "--rate", "0"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return {v["key_id"]: v for v in json.loads(result.stdout)["keys"]}


@pytest.mark.parametrize("account", ["052310077262", "044858866125"])  # canarytokens.org, a look-alike
def test_canary_keys_are_never_sent(sts: tuple[Stub, str], tmp_path: Path, account: str) -> None:
    stub, endpoint = sts
    canary = (fake_key_id(account, seed="canary-cli"), fake_secret("canary-cli"))
    normal = (fake_key_id("123456789012", seed="normal-cli"), fake_secret("normal-cli"))
    verdicts = _verify(_repo(tmp_path / "svc", [canary, normal]), endpoint)
    assert canary[0] not in stub.keys and stub.keys == [normal[0]]
    assert verdicts[canary[0]]["status"] == "unverified" and "canary" in verdicts[canary[0]]["reason"]
    assert verdicts[normal[0]]["status"] == "live"


@pytest.mark.parametrize(("forbidden", "status", "asked"), [(1, "live", 2), (2, "invalid", 2), (0, "live", 1)])
def test_one_403_is_asked_again_before_a_key_is_dead(
    sts: tuple[Stub, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forbidden: int, status: str, asked: int
) -> None:
    monkeypatch.setattr("keyshift.verify._QUIRK_PAUSE", 0.0)
    stub, endpoint = sts
    key, secret = fake_key_id("123456789012", seed=f"quirk{forbidden}"), fake_secret(f"quirk{forbidden}")
    stub.forbid[key] = forbidden
    verdicts = _verify(_repo(tmp_path / "svc", [(key, secret)]), endpoint)
    assert verdicts[key]["status"] == status
    assert stub.keys == [key] * asked
