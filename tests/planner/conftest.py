"""Planner fixtures: throwaway git repositories and a moto server with IAM enforcement."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .plan_helpers import make_repo


@pytest.fixture
def repo_factory(tmp_path: Path):  # type: ignore[no-untyped-def]
    counter = iter(range(1000))

    def build(files: dict[str, str]) -> Path:
        return make_repo(tmp_path / f"repo{next(counter)}", files)

    return build


# ----- moto server ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MotoServer:
    endpoint: str

    def set_auth(self, count: str) -> None:
        """``"inf"`` opens a setup window without IAM checks; ``"0"`` enforces IAM on every call."""
        url = f"{self.endpoint}/moto-api/reset-auth"
        headers = {"Content-Type": "text/plain"}  # moto reads the raw body
        request = urllib.request.Request(url, data=count.encode(), method="POST", headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _moto_command(port: int) -> list[str]:
    exe = shutil.which("moto_server")
    if exe:
        return [exe, "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """A moto server on 127.0.0.1 with IAM enforcement on (``INITIAL_NO_AUTH_ACTION_COUNT=0``)."""
    pytest.importorskip("moto.server")
    pytest.importorskip("flask")
    port = _free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0", "MOTO_PORT": str(port)}
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        env.pop(name, None)
    process = subprocess.Popen(
        _moto_command(port),
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
        yield MotoServer(endpoint)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
