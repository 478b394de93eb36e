"""docs/migration.md's demo walk-through, run as written: each command, its exit code, what is left."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
DOC = PROJECT / "docs" / "migration.md"


def _steps() -> list[tuple[list[str], int]]:
    """The ``keyshift`` lines of the demo block with the exit code their comment promises."""
    block = re.search(r"## Try it on the demo.*?```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert block is not None
    steps = []
    for line in block.group(1).splitlines():
        command, _, comment = line.partition("#")
        if command.startswith("keyshift "):
            code = re.search(r"exit (\d)", comment)
            steps.append((shlex.split(command)[1:], int(code.group(1)) if code else 0))
    return steps


def test_the_documented_demo_flow_works_as_written(tmp_path: Path) -> None:
    work = tmp_path / "orders"
    shutil.copytree(PROJECT / "fixtures" / "demo", work)  # the block's `cp -r fixtures/demo /tmp/orders`
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    outputs = []
    steps = _steps()
    assert [args[0] for args, _ in steps] == ["migrate", "migrate", "fix", "scan"]
    for args, code in steps:
        proc = subprocess.run(
            [sys.executable, "-m", "keyshift", *args],
            capture_output=True,
            text=True,
            cwd=work,
            env=env,
            timeout=300,
        )
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        outputs.append(proc.stdout + proc.stderr)
    assert (tmp_path / "orders-review" / "report.html").is_file()
    assert "0 file(s) would change" in outputs[2]  # nothing left to rewrite
    assert "orders/settings.py:7: still open" in outputs[2]
    for place in (
        "orders/settings.py:7:",
        ".env:2:",
        "Dockerfile:7:",
        "docker-compose.yml:6:",
        "ecs/task-definition.json:15:",
    ):
        assert f"  {place}" in outputs[3]
    assert "aws_access_key_id=" not in (work / "orders" / "events.py").read_text(encoding="utf-8")
