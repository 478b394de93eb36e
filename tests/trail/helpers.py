"""Helpers for the trail tests: run the CLI in-process, compare with golden files."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from keyshift.cli import app

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo"
DEMO_TRAIL = ROOT / "fixtures" / "demo-trail"
GOLDEN = Path(__file__).parent / "golden"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> tuple[int, Any]:
    code, out, _ = run(*args, "--format", "json")
    return code, json.loads(out)


def golden(name: str, text: str) -> None:
    """Compare with tests/trail/golden/<name> (``KEYSHIFT_REGEN=1`` rewrites it; review the diff)."""
    path = GOLDEN / name
    if os.environ.get("KEYSHIFT_REGEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text
