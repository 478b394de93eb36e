"""No keyshift command runs a program named by the repository it reads (git config, attributes, hooks).

The repository sets every git config key that names a program (``core.fsmonitor``, pager,
askpass, ssh, credential helper, external diff, textconv, clean/smudge/process filters, gpg,
upload-pack, hooks, an ``include.path`` that sets fsmonitor again) to a payload that leaves a
marker file, and has a staged change, a modified and an untracked file, so every code path that
looks at the work tree or the index is taken. Each command must still find the key, and no
marker may appear.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from keyshift.gitrun import SAFE_OPTIONS, command, env

from .git_hostile import KEY, OLD_KEY, git, hostile_repo, keyshift, ran

STS = "https://127.0.0.1:9"  # nothing listens: verify fails the call, after reading the repository


def _paths(tmp: Path) -> tuple[Path, Path]:
    return tmp / "repo", tmp / "markers"


COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "scan-tree": lambda repo, tmp: ["scan", str(repo), "--format", "json"],
    "scan-all-files": lambda repo, tmp: ["scan", str(repo), "--all-files", "--format", "json"],
    "scan-history": lambda repo, tmp: ["scan", str(repo), "--history", "--format", "json"],
    "scan-staged": lambda repo, tmp: ["scan", str(repo), "--staged", "--format", "json"],
    "scan-sarif": lambda repo, tmp: ["scan", str(repo), "--history", "--format", "sarif"],
    "plan": lambda repo, tmp: ["plan", str(repo), "--out", str(tmp / "plan-out")],
    "migrate": lambda repo, tmp: ["migrate", str(repo), "--out", str(tmp / "review")],
    "fix": lambda repo, tmp: ["fix", str(repo)],
    "verify": lambda repo, tmp: ["verify", str(repo), "--history", "--endpoint-url", STS, "--timeout", "2"],
    "sweep-dir": lambda repo, tmp: ["sweep", str(repo.parent), "--out", str(tmp / "sweep"), "-j", "1"],
    "sweep-history": lambda repo, tmp: [
        "sweep",
        str(repo.parent),
        "--out",
        str(tmp / "sh"),
        "-j",
        "1",
        "--history",
    ],
}

#: what each command must still report (a run that could not look is not clean)
EXPECT: dict[str, str] = {
    "scan-tree": KEY,
    "scan-all-files": KEY,
    "scan-history": OLD_KEY,
    "scan-staged": KEY,
    "scan-sarif": OLD_KEY[:4],
}


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    repo, markers = _paths(tmp_path)
    (tmp_path / "fleet").mkdir()
    repo = hostile_repo(tmp_path / "fleet" / "repo", markers)
    return repo, markers


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_no_repository_program_runs(name: str, hostile: tuple[Path, Path], tmp_path: Path) -> None:
    repo, markers = hostile
    assert ran(markers) == []  # the setup itself ran nothing
    proc = keyshift(*COMMANDS[name](repo, tmp_path), cwd=tmp_path)
    assert ran(markers) == [], f"{name} ran {ran(markers)}: {proc.stderr.decode(errors='replace')[-800:]}"
    assert proc.returncode in (0, 1), proc.stderr.decode(errors="replace")[-2000:]
    if name in EXPECT:
        assert proc.returncode == 1
        out = proc.stdout.decode()
        if name.startswith("scan") and "sarif" not in name:
            assert EXPECT[name] in {f.get("key_id") for f in json.loads(out)["findings"]}


def test_sweep_of_a_file_url_clone_runs_nothing(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    """Cloning the hostile repository (upload-pack runs inside it) and scanning the clone."""
    repo, markers = hostile
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{repo.as_uri()}\n")
    for extra in ((), ("--history",)):
        proc = keyshift(
            "sweep", str(listing), "--out", str(tmp_path / "out"), "-j", "1", *extra, cwd=tmp_path
        )
        assert ran(markers) == [], proc.stderr.decode(errors="replace")
        assert proc.returncode == 1, proc.stderr.decode(errors="replace")[-2000:]


def test_git_itself_would_run_them(hostile: tuple[Path, Path]) -> None:
    """The attack is real: plain git in this repository runs the payload (so the tests above can fail)."""
    repo, markers = hostile
    git(repo, "status", "--porcelain", check=False)
    names = set(ran(markers))
    assert "ran-process" in names and any(n.startswith("ran-fsmonitor") for n in names), names


def test_hardened_git_in_the_same_repository_runs_nothing(hostile: tuple[Path, Path]) -> None:
    """Even ``status`` (which keyshift never uses) stays inert behind the runner's options, filters aside."""
    import subprocess

    repo, markers = hostile
    shutil.rmtree(markers)
    markers.mkdir()
    proc = subprocess.run(
        command("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=repo),
        capture_output=True,
        env=env(),
        check=False,
    )
    assert proc.returncode == 0
    assert b"untracked.py" in proc.stdout
    assert ran(markers) == []
    assert "core.fsmonitor=false" in SAFE_OPTIONS
