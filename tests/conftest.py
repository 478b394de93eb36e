"""Shared test helpers: fake credentials and throwaway git repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from keyshift.fakes import fake_key_id, fake_secret, fake_session_token

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.invalid",
    "GIT_AUTHOR_DATE": "2024-01-02T03:04:05+00:00",
    "GIT_COMMITTER_DATE": "2024-01-02T03:04:05+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full_env = {**os.environ, **GIT_ENV, "HOME": str(repo.parent), **(env or {})}
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, env=full_env, check=True
    )
    return proc.stdout


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.name", "Test Author")
    git(path, "config", "user.email", "author@example.invalid")
    git(path, "config", "commit.gpgsign", "false")
    return path


@pytest.fixture
def creds() -> dict[str, str]:
    """One fake credential set (key ID, secret, token) for account 123456789012."""
    return {
        "key": fake_key_id("123456789012", seed="t1"),
        "secret": fake_secret("t1"),
        "token": fake_session_token("t1"),
        "key2": fake_key_id("210987654321", seed="t2"),
        "secret2": fake_secret("t2"),
    }
