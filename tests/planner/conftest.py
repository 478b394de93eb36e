"""Planner fixtures: throwaway git repositories and a moto server with IAM enforcement."""

from __future__ import annotations

import urllib.request
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


@pytest.fixture(scope="session")
def moto_server(moto_endpoint: str) -> MotoServer:
    """The session's moto server (``tests/conftest.py``), IAM enforcement on."""
    return MotoServer(moto_endpoint)
