"""One CLI grammar: conventional help, one error style, bounds checked by the parser.

Run through ``python -m keyshift`` (the real entry point), not typer's test runner, because the
error style is the entry point's job.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.subprocess_cli import keyshift

from keyshift.commands import registered

COMMANDS = [name for name, _ in registered()]




@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_conventional_and_fits_80_columns(command: str) -> None:
    proc = keyshift(command, "--help")
    assert proc.returncode == 0
    for line in proc.stdout.splitlines():
        assert len(line) <= 80, line
    for python_type in ("<bool>", "<str>", "<int>", "<float>", "<path>", "<list[", "Path]"):
        assert python_type not in proc.stdout
    assert "…" not in proc.stdout  # nothing truncated


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["scan", "--format", "xml", "."], "'xml' is not one of"),
        (["plan", "--bogus"], "No such option: --bogus"),
        (["scan", "--jobs", "-3", "."], "--jobs"),
        (["fix", "--jobs", "0", "."], "--jobs"),
        (["sweep", "--workers", "0", "."], "--workers"),
        (["nosuchcommand"], "No such command"),
        (["scan", "/nonexistent/path/for/keyshift"], "does not exist"),
    ],
)
def test_one_error_style(args: list[str], fragment: str) -> None:
    proc = keyshift(*args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("keyshift: error: ")
    assert fragment in lines[0]
    assert "Value error" not in proc.stderr
    assert "╭" not in proc.stderr and "Traceback" not in proc.stderr


def test_bare_command_prints_usage_and_exits_2() -> None:
    proc = keyshift()
    assert proc.returncode == 2
    assert proc.stderr.startswith("Usage: keyshift")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["--no-color", "--quiet", "--output FILE", "--format"])
def test_every_command_speaks_the_same_flags(command: str, flag: str) -> None:
    assert flag in keyshift(command, "--help").stdout


@pytest.mark.parametrize("command", ["plan", "migrate", "sweep"])
def test_folders_are_out_dir(command: str) -> None:
    text = keyshift(command, "--help").stdout
    assert "--out-dir, --out DIR" in text
    assert "-o, --output FILE" in text


def test_output_file_gets_what_would_be_printed(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
    printed = keyshift("plan", str(demo), "--format", "json")
    target = tmp_path / "plan.json"
    written = keyshift("plan", str(demo), "--format", "json", "-o", str(target))
    assert written.returncode == printed.returncode
    assert written.stdout == ""
    assert target.read_text() == printed.stdout
    assert f"keyshift: wrote {target}" in written.stderr
    quiet = keyshift("plan", str(demo), "-o", str(tmp_path / "q.txt"), "--quiet")
    assert quiet.stderr == ""


def test_scan_to_a_file_says_what_it_found(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
    proc = keyshift("scan", str(demo), "-f", "json", "-o", str(tmp_path / "r.json"))
    assert proc.returncode == 1
    assert proc.stdout == ""
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("keyshift: ") and "credential(s)" in last and "r.json" in last
