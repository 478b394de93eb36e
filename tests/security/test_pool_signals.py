"""No worker outlives keyshift: SIGTERM, SIGINT, SIGKILL and exceptions (round 5 attack pass).

A supervisor, ``timeout`` or CI stops a long ``migrate``/``fix``/``scan`` with SIGTERM. Python's
default SIGTERM ends the parent on the spot: no ``finally`` runs, and the pool's workers (forked,
SIGINT ignored) kept running their items, orphaned. Now SIGTERM unwinds like Ctrl-C
(``errors.Terminated``, exit 143), every exception stops the workers, and a worker whose parent
was killed outright exits by itself. Each test uses a real process and a real signal, records
every descendant while the run is busy, and checks that none survives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.security.git_hostile import app_code

from keyshift.fakes import fake_key_id, fake_secret

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(entry))
    return out


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in _children(pending.pop()):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
    except OSError:
        return False
    return state != b"Z"


def _wait_for_workers(
    proc: subprocess.Popen[bytes], count: int, err: Callable[[], bytes], limit: float
) -> set[int]:
    """Every descendant of ``proc`` once at least ``count`` children run (the pool started)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"finished before its workers were seen: {err()!r}")
        if len(_children(proc.pid)) >= count:
            time.sleep(0.3)  # let the workers start their items (and their git processes)
            return _descendants(proc.pid)
        time.sleep(0.05)
    raise AssertionError("no workers appeared")


def _assert_none_survive(pids: set[int], limit: float = 20) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        left = {pid for pid in pids if _alive(pid)}
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError(f"{len(left)} process(es) outlived keyshift")


_POOL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from keyshift import pool

    def item(n):
        if n == 0 and sys.argv[1] == "raise":
            time.sleep(1.5)
            raise ValueError("an item failed")
        time.sleep(120)
        return n

    for _ in pool.imap(item, range(8), jobs=2, inline_below=1):
        pass
    """
)


@pytest.mark.parametrize(
    ("how", "code"),
    [(signal.SIGTERM, None), (signal.SIGINT, None), (signal.SIGKILL, -signal.SIGKILL), ("raise", 1)],
    ids=["sigterm", "sigint", "sigkill", "exception"],
)
def test_pool_workers_never_outlive_their_parent(
    how: signal.Signals | str, code: int | None, tmp_path: Path
) -> None:
    """The pool helper alone, in a program that installs no handler of its own."""
    mode = "raise" if how == "raise" else "sleep"
    with _Run([sys.executable, "-c", _POOL_SCRIPT, mode], tmp_path) as run:
        run.wait_for_workers(2)
        if isinstance(how, signal.Signals):
            run.proc.send_signal(how)
        run.proc.wait(timeout=60)
        run.assert_none_survive()
        if code is not None:
            assert run.proc.returncode == code
        else:
            assert run.proc.returncode != 0


class _Run:
    """A real process whose every descendant is recorded once busy, and killed if it survives."""

    def __init__(self, argv: list[str], tmp_path: Path) -> None:
        self.argv = argv
        self.err_path = tmp_path / "stderr.txt"
        self.workers: set[int] = set()

    def __enter__(self) -> _Run:
        with open(self.err_path, "wb") as err:  # a file, not a pipe: an orphan would hold a pipe open
            self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=err)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in self.workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)

    def err(self) -> bytes:
        return self.err_path.read_bytes()

    def wait_for_workers(self, count: int, limit: float = 120) -> None:
        self.workers = _wait_for_workers(self.proc, count, self.err, limit)

    def assert_none_survive(self) -> None:
        _assert_none_survive(self.workers)


def _tree(root: Path, files: int) -> Path:
    """Enough boto3 call sites with static keys that ``fix`` analyses them on a pool for a while."""
    body = "".join(
        f"\ndef handler_{i}(event):\n    return client.put_object(Bucket='b', Key=str(event), Body=b'{i}')\n"
        for i in range(60)
    )
    for i in range(files):
        folder = root / f"svc{i % 8}"
        folder.mkdir(parents=True, exist_ok=True)
        key, secret = fake_key_id("123456789012", seed=f"pool-{i}"), fake_secret(f"pool-{i}")
        (folder / f"mod{i}.py").write_text(app_code(key, secret) + body)
    return root


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
@pytest.mark.parametrize("command", ["fix", "migrate"])
def test_stopping_a_command_leaves_no_worker(tmp_path: Path, command: str, sig: signal.Signals) -> None:
    tree = _tree(tmp_path / "repo", 400 if command == "fix" else 48)  # migrate scans and plans first
    args = ["fix", str(tree), "--jobs", "2"]
    if command == "migrate":
        args = ["migrate", str(tree), "--jobs", "2", "--no-history", "--out", str(tmp_path / "review")]
    with _Run([sys.executable, "-m", "keyshift", *args], tmp_path) as run:
        run.wait_for_workers(2, limit=300)
        run.proc.send_signal(sig)
        run.proc.wait(timeout=60)
        run.assert_none_survive()
        err = run.err()
        if sig is signal.SIGTERM:
            assert run.proc.returncode == 143, err
            assert b"keyshift: terminated" in err
        else:
            assert run.proc.returncode == 130, err
        assert b"Traceback" not in err
