"""``keyshift sweep`` end to end: file:// clones, interruption and resume, cache per HEAD, Dask, reports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.migrate.synth import commit_all

from .fleet import make_fleet, silent_server

FLEET = 20


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_fleet(tmp_path_factory.mktemp("fleet"), FLEET)


def _sweep(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["sweep", *args])
    return result.exit_code, result.stdout, result.stderr


def _counts(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


def test_interrupt_resume_and_cache(fleet: list[Path], tmp_path: Path) -> None:
    shutil.copytree(fleet[0].parent, tmp_path / "fleet", symlinks=True)  # a copy: this test commits to one
    fleet = [tmp_path / "fleet" / p.name for p in fleet]
    out = tmp_path / "out"
    with silent_server() as (slow_url, release):
        listing = tmp_path / "repos.txt"
        # the unreachable repository first: one worker hangs on it, so the sweep cannot finish
        lines = ["# fleet", slow_url, *(p.as_uri() for p in fleet), "file:///nonexistent/gone.git", ""]
        listing.write_text("\n".join(lines))
        cmd = [
            sys.executable,
            "-m",
            "keyshift",
            "sweep",
            str(listing),
            "--out",
            str(out),
            "--workers",
            "2",
            "-q",
        ]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + 60
        states = out / "repos"
        while len(list(states.glob("*.json"))) < 5:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "sweep made no progress"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # interrupted mid-sweep: no chance to clean up
        proc.wait(timeout=10)
        done_before = len(list(states.glob("*.json")))
        assert 5 <= done_before <= FLEET
        assert not (out / "summary.json").exists()
        release.set()
        code, stdout, stderr = _sweep(str(listing), "--out", str(out), "--workers", "2")
    assert code == 1
    assert _counts(stderr) == f"keyshift sweep: {FLEET - done_before} scanned, {done_before} cached, 2 failed"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["repositories"] == FLEET + 2
    failed = {r["name"]: r["error"] for r in summary["repositories"] if r["risk"] == "error"}
    assert set(failed) == {"slow", "gone"}
    assert "22 repositories" in stdout
    assert not list((out / "repos").glob(".*.tmp"))

    # a new commit in one repository: only that one is scanned again
    changed = fleet[4]  # a clean repository that now gains a key
    (changed / "leak.env").write_text(
        f"AWS_ACCESS_KEY_ID={fake_key_id(seed='leak')}\nAWS_SECRET_ACCESS_KEY={fake_secret('x')}\n"
    )
    commit_all(changed, "leak")
    code, _, stderr = _sweep(str(listing), "--out", str(out), "--workers", "2")
    assert _counts(stderr) == f"keyshift sweep: 1 scanned, {FLEET - 1} cached, 2 failed"
    again = json.loads((out / "summary.json").read_text())
    row = next(r for r in again["repositories"] if r["name"] == changed.name)
    assert row["risk"] == "head"


def test_summary_ranks_and_groups(fleet: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, _ = _sweep(str(fleet[0].parent), "--out", str(out), "--workers", "2", "--history", "-q")
    assert code == 1
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["repositories"]
    risks = [r["risk"] for r in rows]
    assert risks == sorted(risks, key=["live", "head", "history", "image", "clean", "error"].index)
    assert {r["risk"] for r in rows} == {"head", "clean"}
    assert sum(r["keys_history_only"] for r in rows) == sum(
        1 for i in range(FLEET) if i % 5 != 4 and i % 3 == 0
    )
    assert {a["account_id"] for a in summary["accounts"]} == {"111111111111", "222222222222"}
    assert summary["totals"]["distinct_keys"] == sum(len(a["keys"]) for a in summary["accounts"])
    first = rows[0]
    assert (out / first["report"]).is_file() and (out / "repos" / first["name"] / "report.html").is_file()
    assert (out / ".gitignore").read_text().endswith("*\n")
    md = (out / "summary.md").read_text()
    assert "## Repositories by risk" in md and "## Keys by account" in md
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".md", ".html", ".diff"):
            text = path.read_text()
            for i in range(FLEET):
                assert fake_secret(f"fleet{i}:0") not in text


def test_dask_local_cluster_matches_local_workers(fleet: list[Path], tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    subset = fleet[:5]
    listing = tmp_path / "five.txt"
    listing.write_text("\n".join(str(p) for p in subset) + "\n")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        code, stdout, _ = _sweep(
            str(listing), "--out", str(tmp_path / "dask"), "--dask", cluster.scheduler_address
        )
    assert code == 1, stdout
    code, _, _ = _sweep(str(listing), "--out", str(tmp_path / "local"), "--workers", "1")
    assert code == 1
    for name in ("summary.json", "summary.md", "summary.html"):
        assert (tmp_path / "dask" / name).read_text() == (tmp_path / "local" / name).read_text()


def test_unreachable_dask_scheduler_exits_2(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    listing = tmp_path / "x.txt"
    listing.write_text(str(tmp_path) + "\n")
    code, _, stderr = _sweep(
        str(listing), "--out", str(tmp_path / "o"), "--dask", "tcp://127.0.0.1:9", "--dask-timeout", "1"
    )
    assert code == 2
    assert "Dask scheduler" in stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ext::sh -c touch% /tmp/pwned\n", "unsupported git transport"),
        ("--upload-pack=touch /tmp/pwned\n", "unsupported git transport"),
        ("# nothing\n\n", "lists no repositories"),
    ],
)
def test_bad_source_lists_exit_2(tmp_path: Path, content: str, message: str) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(content)
    code, _, stderr = _sweep(str(listing), "--out", str(tmp_path / "o"))
    assert code == 2
    assert message in stderr


def test_clean_fleet_exits_0_and_broken_local_repo_is_reported(tmp_path: Path) -> None:
    from keyshift.migrate.synth import make_clean_repo

    make_clean_repo(tmp_path / "fleet" / "ok")
    broken = tmp_path / "fleet" / "broken"
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /nonexistent\n")
    (tmp_path / "fleet" / "not-a-repo").mkdir()
    code, _, _ = _sweep(str(tmp_path / "fleet"), "--out", str(tmp_path / "o"), "-q")
    assert code == 1  # the broken repository needs a human
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert {r["name"]: r["risk"] for r in summary["repositories"]} == {"ok": "clean", "broken": "error"}
    (broken / ".git").unlink()
    broken.rmdir()
    code, _, _ = _sweep(str(tmp_path / "fleet"), "--out", str(tmp_path / "o2"), "-q")
    assert code == 0

    # an uncommitted change in a local repository is scanned although HEAD did not move
    (tmp_path / "fleet" / "ok" / "new.env").write_text(f"AWS_ACCESS_KEY_ID={fake_key_id(seed='dirty')}\n")
    code, _, stderr = _sweep(str(tmp_path / "fleet"), "--out", str(tmp_path / "o2"))
    assert code == 1 and _counts(stderr) == "keyshift sweep: 1 scanned, 0 cached, 0 failed"
    code, _, stderr = _sweep(str(tmp_path / "fleet"), "--out", str(tmp_path / "o2"))
    assert code == 1 and _counts(stderr) == "keyshift sweep: 0 scanned, 1 cached, 0 failed"
