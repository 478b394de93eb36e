"""A moto server on 127.0.0.1 with IAM authentication enforced, and a live key created in it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

KEY_ID = re.compile(r"AKIA[A-Z2-7]{16}")


@dataclass(frozen=True)
class Moto:
    endpoint: str

    def post(self, path: str, body: bytes) -> None:
        request = urllib.request.Request(
            f"{self.endpoint}{path}", data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def live_key(self, user: str) -> tuple[str, str]:
        """Create an IAM user with an access key keyshift's detector recognises (moto draws 0-9 too)."""
        import boto3

        self.post("/moto-api/reset-auth", b"inf")  # a setup window without IAM checks
        try:
            iam = boto3.client(
                "iam",
                region_name="us-east-1",
                endpoint_url=self.endpoint,
                aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                aws_secret_access_key="setup-only",
            )
            for attempt in range(200):
                name = f"{user}{attempt}" if attempt else user
                iam.create_user(UserName=name)
                key = iam.create_access_key(UserName=name)["AccessKey"]
                if KEY_ID.fullmatch(key["AccessKeyId"]) and re.fullmatch(
                    r"[A-Za-z0-9/+]{40}", key["SecretAccessKey"]
                ):
                    return key["AccessKeyId"], key["SecretAccessKey"]
            raise AssertionError("moto never produced a base32 key ID")
        finally:
            self.post("/moto-api/reset-auth", b"0")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto() -> Iterator[Moto]:
    pytest.importorskip("moto.server")
    port = _free_port()
    exe = shutil.which("moto_server")
    cmd = [exe] if exe else [sys.executable, "-m", "moto.server"]
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"}
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(name, None)
    process = subprocess.Popen(
        [*cmd, "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.skip("moto_server exited at start")
            try:
                with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.skip("moto_server did not start within 30 s")
                time.sleep(0.2)
        yield Moto(endpoint)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
