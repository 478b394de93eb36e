"""Worker processes that die, and the progress bar on a terminal."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import keyshift.sweep.runner as runner
from keyshift.migrate.synth import make_clean_repo, make_repo
from keyshift.sweep.sources import RepoSource
from keyshift.sweep.task import RepoTask, run_task


def _die_on_poison(task: RepoTask) -> dict[str, Any]:
    if task.source.name == "poison":
        os._exit(3)  # a worker killed mid-task (out of memory, segfault in a native library)
    return run_task(task)


def test_a_repository_that_kills_workers_is_reported_and_the_rest_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repos = [make_repo(tmp_path / f"ok{i}", services=1, seed=f"w{i}", history_key=False) for i in range(4)]
    repos.insert(2, make_clean_repo(tmp_path / "poison"))
    out = tmp_path / "out"
    tasks = [RepoTask(RepoSource(p.name, str(p), False), str(out), str(out / "clones")) for p in repos]
    monkeypatch.setattr(runner, "run_task", _die_on_poison)  # inherited by the forked workers
    seen: list[str] = []
    outcomes = runner.run_local(tasks, 2, lambda o: seen.append(o["name"]))
    by_name = {o["name"]: o for o in outcomes}
    assert sorted(by_name) == sorted(seen) == sorted(p.name for p in repos)
    assert by_name["poison"]["status"] == "error" and "died" in by_name["poison"]["error"]
    assert all(by_name[f"ok{i}"]["status"] == "ok" for i in range(4))


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    for i in range(3):
        make_clean_repo(tmp_path / "fleet" / f"r{i}")
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "keyshift",
            "sweep",
            str(tmp_path / "fleet"),
            "--out",
            str(tmp_path / "o"),
            "-j",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=child,
        env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )
    os.close(child)
    stdout, _ = proc.communicate(timeout=60)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, terminal
    assert "3/3" in terminal and "ETA" in terminal and "scanned" in terminal
    assert b"3 repositories" in stdout and b"\x1b[" not in stdout
