"""A small builder for real git repositories with fixed, increasing author and committer dates."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from keyshift.config import Config
from keyshift.model import Finding, ScanResult
from keyshift.sources.history import scan_history


class Repo:
    """Drives real ``git`` in ``path``; every commit gets the next fixed timestamp."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tick = 0
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "commit.gpgsign", "false")
        self.git("config", "user.name", "Dev One")
        self.git("config", "user.email", "dev1@example.invalid")

    def env(self) -> dict[str, str]:
        date = f"2024-01-{1 + self.tick // 24:02d}T{self.tick % 24:02d}:00:00+00:00"
        return {
            **os.environ,
            "GIT_AUTHOR_NAME": "Dev One",
            "GIT_AUTHOR_EMAIL": "dev1@example.invalid",
            "GIT_COMMITTER_NAME": "Dev One",
            "GIT_COMMITTER_EMAIL": "dev1@example.invalid",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.path.parent),
        }

    def git(self, *args: str, input: bytes | None = None) -> str:
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args],
            input=input,
            capture_output=True,
            env=self.env(),
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(f"git {args} failed: {proc.stderr.decode()}")
        return proc.stdout.decode()

    def write(self, rel: str, text: str | bytes) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode() if isinstance(text, str) else text)

    def commit(self, message: str, *, author: str | None = None) -> str:
        self.tick += 1
        self.git("add", "-A")
        args = ["commit", "-q", "--allow-empty", "-m", message]
        if author:
            args += ["--author", author]
        self.git(*args)
        return self.head()

    def head(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", rev).strip()

    def date(self) -> str:
        return self.env()["GIT_AUTHOR_DATE"]


def scan(path: Path, config: Config | None = None, **kwargs: object) -> ScanResult:
    return scan_history(path, config or Config(), **kwargs)  # type: ignore[arg-type]


def by_key(result: ScanResult) -> dict[str, list[Finding]]:
    """Unsuppressed key-ID findings grouped by key ID."""
    out: dict[str, list[Finding]] = {}
    for f in result.findings:
        if f.suppressed is None and f.rule_id == "KS001" and f.key_id:
            out.setdefault(f.key_id, []).append(f)
    return out


def py_client(key: str, secret: str) -> str:
    call = f'boto3.client("s3", aws_access_key_id="{key}", aws_secret_access_key="{secret}")'
    return f"import boto3\n\nclient = {call}\n"
