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


#: the README's libcst route: ``python -m libcst.tool codemod`` running keyshift's command
LIBCST_CODEMOD = (
    "-m",
    "libcst.tool",
    "codemod",
    "-x",
    "keyshift.codemod.credentials.RemoveStaticCredentialsCommand",
    "--no-format",
)


def libcst_codemod(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """keyshift's codemod command through libcst's own tool, in a fresh interpreter."""
    return subprocess.run([sys.executable, *LIBCST_CODEMOD, *args], capture_output=True, text=True, cwd=cwd)
