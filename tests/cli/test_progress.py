"""Progress on stderr: drawn only on a terminal, with counts, never on stdout, never with --quiet.

Each command runs through ``python -m keyshift`` with stderr on a pseudo-terminal (stdout on a
file), the way a person at a shell sees it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

import pytest
from tests.conftest import git, init_repo

from keyshift.fakes import fake_key_id

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"
_SIZE = r"[\d.]+ (?:bytes|[kMG]B)"
_SGR = re.compile(r"\x1b\[[0-9;]*m")  # styles: dropped
_MOVES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")  # cursor moves and erases: a new line
_COLOUR = r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])[;m]"  # an SGR foreground colour


def run(
    args: list[str], cwd: Path, *, terminal: bool = True, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """(exit code, stdout, raw stderr) with stderr on a 120-column pseudo-terminal (or a pipe)."""
    base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "FORCE_COLOR")}
    env = {**base, "TERM": "xterm-256color", **(env or {})}
    with tempfile.TemporaryFile() as out:
        if not terminal:
            proc = subprocess.run(
                [sys.executable, "-m", "keyshift", *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env=env,
                timeout=120,
            )
            out.seek(0)
            return proc.returncode, out.read().decode(), proc.stderr.decode()
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
        child = subprocess.Popen(
            [sys.executable, "-m", "keyshift", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=slave,
            cwd=cwd,
            env=env,
        )
        os.close(slave)
        err = bytearray()
        while True:
            try:
                data = os.read(master, 65536)
            except OSError as exc:  # EIO: the child closed the terminal
                if exc.errno != errno.EIO:
                    raise
                break
            if not data:
                break
            err += data
        os.close(master)
        code = child.wait(timeout=120)
        out.seek(0)
        return code, out.read().decode(), err.decode(errors="replace")


def plain(err: str) -> str:
    """The terminal text without control sequences, each redraw on its own line."""
    return _MOVES.sub("\n", _SGR.sub("", err))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo service as a repository with a key committed and then deleted (history has work)."""
    root = tmp_path_factory.mktemp("progress") / "demo"
    shutil.copytree(DEMO, root)
    init_repo(root)
    (root / "old.env").write_text(f"AWS_ACCESS_KEY_ID={fake_key_id('123456789012', seed='old')}\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "one")
    (root / "old.env").unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "two")
    return root


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["plan", "."],
            [r"plan: parsing .*\d+/\d+ files", r"plan: analysing workloads .*\d+/\d+ workloads"],
        ),
        (
            ["scan", "--history", "."],
            [
                r"scan: listing blobs .*\d+ blobs",
                rf"scan: scanning blobs .*{_SIZE}/{_SIZE}",
                r"scan: walking commits .*2 commits",
            ],
        ),
        (
            ["migrate", ".", "--out-dir", "{out}"],
            [
                r"migrate: listing blobs .*\d+ blobs",
                r"migrate: walking commits .*2 commits",
                r"migrate: parsing .*\d+/\d+ files",
                r"migrate: analysing workloads .*\d+/\d+ workloads",
            ],
        ),
    ],
    ids=["plan", "scan-history", "migrate"],
)
def test_progress_with_counts_on_a_terminal(
    demo: Path, tmp_path: Path, args: list[str], expected: list[str]
) -> None:
    args = [a.replace("{out}", str(tmp_path / "review")) for a in args]
    code, out, err = run(args, demo)
    assert code == 1, err  # the demo holds keys
    shown = plain(err)
    for pattern in expected:
        assert re.search(pattern, shown), (pattern, shown)
    assert re.search(_COLOUR, err)
    for word in ("parsing", "listing blobs", "walking commits", "analysing"):
        assert word not in out


@pytest.mark.parametrize(
    ("args", "terminal"),
    [
        (["plan", "."], False),
        (["plan", ".", "--quiet"], True),
        (["scan", "--history", "."], False),
        (["scan", "--history", ".", "--quiet"], True),
        (["migrate", ".", "--out-dir", "{out}", "--quiet"], True),
    ],
    ids=["plan-pipe", "plan-quiet", "scan-pipe", "scan-quiet", "migrate-quiet"],
)
def test_no_progress_off_a_terminal_or_with_quiet(
    demo: Path, tmp_path: Path, args: list[str], terminal: bool
) -> None:
    args = [a.replace("{out}", str(tmp_path / "review")) for a in args]
    code, out, err = run(args, demo, terminal=terminal)
    assert code == 1, err
    err = plain(err)
    for word in ("parsing", "listing blobs", "walking commits", "analysing", "\x1b["):
        assert word not in err
        assert word not in out


@pytest.mark.parametrize("how", ["--no-color", "NO_COLOR"])
def test_no_color_keeps_the_counts_and_drops_the_colour(demo: Path, how: str) -> None:
    args = ["plan", "."] + (["--no-color"] if how == "--no-color" else [])
    code, _, err = run(args, demo, env={"NO_COLOR": "1"} if how == "NO_COLOR" else {})
    assert code == 1
    assert re.search(r"plan: parsing .*\d+/\d+ files", plain(err))
    assert not re.search(_COLOUR, err)


@pytest.mark.parametrize(
    ("done", "total", "unit", "text"),
    [
        (1234, 50000, "files", "1,234/50,000 files"),
        (3, None, "commits", "3 commits"),
        (0, None, "", ""),  # a phase that does not count: its elapsed time only
        (4700, 4700, "bytes", "4.7 kB/4.7 kB"),
        (12_000_000, None, "bytes", "12.0 MB"),
    ],
)
def test_count_text(done: int, total: int | None, unit: str, text: str) -> None:
    from keyshift.progress import counted

    assert counted(done, total, unit) == text
