"""The installed CLI run as a user runs it: a fresh interpreter, no colour, a fixed width."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def keyshift(
    *args: str, cwd: Path | None = None, columns: int = 80, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "keyshift", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
