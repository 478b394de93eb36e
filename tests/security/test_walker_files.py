"""The one file walker: only regular files are read, nothing is passed over in silence.

End to end through the CLI, on real trees and repositories:
- a symlinked target (``scan link/``, ``verify``, ``migrate``, ``plan``, ``fix``) is resolved
  and scanned; symlinks inside the tree stay skipped and counted;
- FIFOs, device nodes and sockets named like source files never hang or fill memory: skipped
  with a counted reason;
- unreadable files are named (text, JSON), never crash ``plan``/``migrate``/``fix``, and a run
  that found nothing but could not read a file does not exit 0;
- an untracked nested git repository is scanned;
- non-UTF-8 and control-character file names go through text, JSON, SARIF, ``--history``,
  ``plan`` and ``migrate`` without a crash, losslessly where the format can carry bytes.
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import socket
import stat
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest

from .git_hostile import KEY, SECRET, app_code, commit, git, init, keyshift

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="FIFOs, device nodes, capabilities")
STS = ["--endpoint-url", "https://127.0.0.1:9", "--timeout", "1"]


def _repo(root: Path) -> Path:
    repo = init(root)
    commit(repo, {"svc/app.py": app_code(KEY, SECRET), "README.md": "x\n"}, "app")
    return repo


# ---------------------------------------------------------------- symlinked targets

SYMLINK_COMMANDS = {
    "scan": lambda link, tmp: ["scan", f"{link}/", "--format", "json"],
    "scan-history": lambda link, tmp: ["scan", str(link), "--history", "--format", "json"],
    "verify": lambda link, tmp: ["verify", str(link), "--json", *STS],
    "migrate": lambda link, tmp: ["migrate", str(link), "--out", str(tmp / "review"), "--json"],
    "plan": lambda link, tmp: ["plan", str(link), "--format", "json"],
    "fix": lambda link, tmp: ["fix", str(link)],
}


@pytest.mark.parametrize("name", sorted(SYMLINK_COMMANDS))
def test_symlinked_target_is_scanned(name: str, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(repo, target_is_directory=True)
    proc = keyshift(*SYMLINK_COMMANDS[name](link, tmp_path), cwd=tmp_path)
    out = proc.stdout.decode(errors="replace")
    assert b"Traceback" not in proc.stderr
    expected = (0, 1) if name == "plan" else (1,)  # plan exits 0 when the plan is complete
    assert proc.returncode in expected, (name, out[-1500:], proc.stderr.decode(errors="replace")[-1500:])
    assert "No AWS credentials found" not in out and "no AWS key found" not in out
    if name.startswith("scan"):
        assert KEY in {f["key_id"] for f in json.loads(out)["findings"]}
    elif name == "fix":
        assert "svc/app.py" in out
    else:
        assert KEY in out


def test_symlinks_inside_the_tree_are_skipped_and_counted(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "creds.py").write_text(app_code(KEY, SECRET))
    (repo / "out_file.py").symlink_to(outside / "creds.py")
    (repo / "out_dir").symlink_to(outside, target_is_directory=True)
    for extra in ((), ("--all-files",)):
        proc = keyshift("scan", str(repo), "--format", "json", *extra)
        doc = json.loads(proc.stdout)
        paths = {f["path"] for f in doc["findings"]}
        assert paths == {"svc/app.py"}, paths
        skipped = {s["path"]: s["reason"] for s in doc["skipped"]}
        assert "symlink" in skipped.get("out_file.py", ""), skipped
        if extra:  # the walk sees the folder link itself; git lists it as one entry
            assert "symlink" in skipped.get("out_dir", ""), skipped


# ---------------------------------------------------------------- special files


def _specials(repo: Path) -> list[str]:
    names = ["pipe.py", ".env", "settings.py.fifo"]
    for name in names:
        os.mkfifo(repo / name)
    if os.geteuid() == 0:
        os.mknod(repo / "zero.py", stat.S_IFCHR | 0o666, os.makedev(1, 5))
        names.append("zero.py")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(repo / "sock.py"))
    sock.close()
    names.append("sock.py")
    return names


SPECIAL_COMMANDS = {
    "scan": lambda repo, tmp: ["scan", str(repo), "--format", "json"],
    "scan-all": lambda repo, tmp: ["scan", str(repo), "--all-files", "--format", "json"],
    "fix": lambda repo, tmp: ["fix", str(repo)],
    "plan": lambda repo, tmp: ["plan", str(repo), "--out", str(tmp / "plan")],
    "migrate": lambda repo, tmp: ["migrate", str(repo), "--out", str(tmp / "review")],
    "sweep": lambda repo, tmp: ["sweep", str(repo.parent), "--out", str(tmp / "sweep"), "-j", "1"],
}


@pytest.mark.parametrize("name", sorted(SPECIAL_COMMANDS))
def test_fifos_devices_sockets_never_hang(name: str, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "fleet" / "repo")
    specials = _specials(repo)
    proc = keyshift(*SPECIAL_COMMANDS[name](repo, tmp_path), timeout=120)
    assert b"Traceback" not in proc.stderr
    expected = (0, 1) if name == "plan" else (1,)
    assert proc.returncode in expected, proc.stderr.decode(errors="replace")[-2000:]
    if name.startswith("scan"):
        doc = json.loads(proc.stdout)
        reasons = {s["path"]: s["reason"] for s in doc["skipped"]}
        for special in specials:  # git does not list special files; the walk names each one
            if name == "scan-all" or special in reasons:
                assert reasons.get(special, "").startswith("not a regular file"), (special, reasons)
        assert KEY in {f["key_id"] for f in doc["findings"]}


# ---------------------------------------------------------------- unreadable files


def _without_dac_override() -> None:
    """In the child: root loses the capabilities that let it read any file (so chmod 000 bites)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP: gone after exec


def _unprivileged(*args: str, cwd: Path) -> tuple[int, str, str]:
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "keyshift", *args],
        capture_output=True,
        cwd=cwd,
        preexec_fn=_without_dac_override if os.geteuid() == 0 else None,
        timeout=240,
        check=False,
    )
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


@pytest.fixture
def locked(tmp_path: Path) -> Path:
    repo = _repo(tmp_path / "repo")
    (repo / "svc" / "locked.py").write_text(app_code(KEY, SECRET))
    (repo / "svc" / "locked.py").chmod(0)
    (repo / "closed").mkdir()
    (repo / "closed" / "inner.py").write_text(app_code(KEY, SECRET))
    (repo / "closed").chmod(0)
    code, _, _ = _unprivileged("scan", str(repo / "svc" / "locked.py"), cwd=tmp_path)
    if code == 1:
        pytest.skip("cannot make a file unreadable here")
    return repo


def test_unreadable_files_are_named_by_scan(locked: Path, tmp_path: Path) -> None:
    code, out, err = _unprivileged("scan", str(locked), "--all-files", "--format", "json", cwd=tmp_path)
    assert code == 1, err
    reasons = {s["path"]: s["reason"] for s in json.loads(out)["skipped"]}
    assert reasons.get("svc/locked.py", "").startswith("unreadable"), reasons
    assert reasons.get("closed", "").startswith("unreadable directory"), reasons
    code, out, err = _unprivileged("scan", str(locked), cwd=tmp_path)
    assert "Not read (" in out and "svc/locked.py" in out


def test_nothing_found_but_unreadable_is_not_clean(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    (root / "ok.txt").write_text("nothing here\n")
    (root / "locked.py").write_text(app_code(KEY, SECRET))
    (root / "locked.py").chmod(0)
    code, out, err = _unprivileged("scan", str(root), cwd=tmp_path)
    if "locked.py" not in out:
        pytest.skip("cannot make a file unreadable here")
    assert code == 2, (out, err)
    assert "No AWS credentials found" not in out
    assert "could not be read" in err


@pytest.mark.parametrize("command", ["plan", "migrate", "fix"])
def test_unreadable_files_never_crash(command: str, locked: Path, tmp_path: Path) -> None:
    args = {"plan": ["--out", str(tmp_path / "plan")], "migrate": ["--out", str(tmp_path / "rev")], "fix": []}
    code, out, err = _unprivileged(command, str(locked), *args[command], cwd=tmp_path)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in (0, 1), err
    if command == "fix":
        assert "locked.py" in out + err  # never skipped silently


# ---------------------------------------------------------------- nested repositories


def test_untracked_nested_repository_is_scanned(tmp_path: Path) -> None:
    repo = init(tmp_path / "outer")
    commit(repo, {"README.md": "x\n"}, "outer")
    inner = init(repo / "vendor" / "inner")
    commit(inner, {"deep/app.py": app_code(KEY, SECRET)}, "inner")
    (inner / "untracked.py").write_text(app_code(KEY, SECRET))
    proc = keyshift("scan", str(repo), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    paths = {f["path"] for f in json.loads(proc.stdout)["findings"]}
    assert {"vendor/inner/deep/app.py", "vendor/inner/untracked.py"} <= paths


# ---------------------------------------------------------------- odd file names

BAD = b"caf\xe9.env"
CONTROL = "red\x1b[31m\u202e.py"


@pytest.fixture
def odd(tmp_path: Path) -> Path:
    repo = init(tmp_path / "fleet" / "odd")
    (repo / os.fsdecode(BAD)).write_text(f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n")
    (repo / CONTROL).write_text(app_code(KEY, SECRET))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "odd names")
    return repo


def test_non_utf8_name_in_json_is_lossless(odd: Path) -> None:
    for extra in ((), ("--history",)):
        proc = keyshift("scan", str(odd), "--format", "json", *extra)
        assert proc.returncode == 1, proc.stderr
        findings = json.loads(proc.stdout.decode("utf-8"))["findings"]  # valid UTF-8 JSON
        odd_ones = [f for f in findings if "path_bytes_b64" in f]
        assert odd_ones and all(base64.b64decode(f["path_bytes_b64"]) == BAD for f in odd_ones)
        assert all(f["path"] == "caf\ufffd.env" for f in odd_ones)


def test_non_utf8_name_in_sarif_is_percent_encoded(odd: Path) -> None:
    proc = keyshift("scan", str(odd), "--format", "sarif")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout.decode("utf-8"))
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for run in doc["runs"]
        for result in run["results"]
        for loc in result["locations"]
    }
    assert "caf%E9.env" in uris
    assert BAD in {unquote_to_bytes(u) for u in uris}


@pytest.mark.parametrize("extra", [(), ("--history",)])
def test_names_in_text_are_escaped(odd: Path, extra: tuple[str, ...]) -> None:
    proc = keyshift("scan", str(odd), *extra, env={"NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout
    assert b"\x1b" not in out + proc.stderr and "\u202e".encode() not in out
    assert b"caf\\xe9.env" in out
    assert b"red\\x1b[31m\\u202e.py" in out


@pytest.mark.parametrize("command", ["plan", "migrate", "sweep", "fix"])
def test_odd_names_never_crash_the_other_commands(command: str, odd: Path, tmp_path: Path) -> None:
    args = {
        "plan": ["plan", str(odd), "--out", str(tmp_path / "plan")],
        "migrate": ["migrate", str(odd), "--out", str(tmp_path / "review")],
        "sweep": ["sweep", str(odd.parent), "--out", str(tmp_path / "sweep"), "-j", "1"],
        "fix": ["fix", str(odd)],
    }[command]
    proc = keyshift(*args)
    assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    if command == "migrate":
        assert (tmp_path / "review" / "report.md").is_file()
