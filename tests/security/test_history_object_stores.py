"""``scan --history`` on hostile object stores (round 4 attack pass).

- a corrupt or truncated object (loose or packed) that may hold a key: the scan says so and
  exits 2 when it found nothing (it exited 0 before: "clean" after not looking);
- ``objects/info/alternates`` pointing at another repository: that repository's unreachable
  objects are not reported as this one's (its key IDs were named in the warning before), while
  this repository's own packed and loose unreachable blobs still are;
- the pack-index reader agrees with git on every object of real packs.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest
from tests.security.git_hostile import KEY, OLD_KEY, OLD_SECRET, SECRET, app_code, commit, git, init, keyshift

from keyshift.sources.unreachable import _LocalPacks


def _history(repo: Path, *extra: str):
    return keyshift("scan", "--history", "--format", "json", *extra, str(repo), env={"NO_COLOR": "1"})


def _key_then_removed(repo: Path, key: str = OLD_KEY, secret: str = OLD_SECRET) -> str:
    commit(repo, {"app.py": app_code(key, secret)}, "key")
    blob = git(repo, "rev-parse", "HEAD:app.py").strip()
    git(repo, "rm", "-q", "app.py")
    commit(repo, {"readme.md": "hi\n"}, "drop")
    return blob


@pytest.mark.parametrize("store", ["loose", "packed"])
def test_corrupt_object_is_never_clean(tmp_path: Path, store: str) -> None:
    repo = init(tmp_path / "r")
    blob = _key_then_removed(repo)
    if store == "loose":
        path = repo / ".git" / "objects" / blob[:2] / blob[2:]
        path.chmod(0o644)
        path.write_bytes(path.read_bytes()[:20])
    else:
        git(repo, "gc", "-q")
        (pack,) = (repo / ".git" / "objects" / "pack").glob("*.pack")
        listing = git(repo, "verify-pack", "-v", str(pack.with_suffix(".idx")))
        offset = next(int(line.split()[4]) for line in listing.splitlines() if line.startswith(blob))
        pack.chmod(0o644)
        data = bytearray(pack.read_bytes())
        data[offset + 4 : offset + 10] = b"\xff" * 6
        pack.write_bytes(bytes(data))
    proc = _history(repo)
    assert proc.returncode == 2, proc.stderr
    report = json.loads(proc.stdout)
    assert any(s["reason"] == "corrupt object" for s in report["skipped"])
    assert OLD_SECRET.encode() not in proc.stdout + proc.stderr


def test_alternate_store_objects_are_not_this_repositorys(tmp_path: Path) -> None:
    other = init(tmp_path / "private")
    commit(other, {"creds.ini": f"aws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"}, "more")
    repo = init(tmp_path / "scanned")
    commit(repo, {"a.txt": "hello\n"}, "clean")
    (repo / ".git" / "objects" / "info" / "alternates").write_text(f"{other / '.git' / 'objects'}\n")
    for flags in ((), ("--unreachable",)):
        proc = _history(repo, *flags)
        assert proc.returncode == 0, proc.stderr
        assert KEY.encode() not in proc.stdout + proc.stderr, flags
        assert json.loads(proc.stdout)["findings"] == []


@pytest.mark.parametrize("store", ["loose", "packed"])
def test_own_unreachable_blobs_are_still_reported(tmp_path: Path, store: str) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"a.txt": "hello\n"}, "base")
    commit(repo, {"app.py": app_code(OLD_KEY, OLD_SECRET)}, "key")
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    git(repo, "reflog", "expire", "--expire=now", "--all")
    if store == "packed":
        git(repo, "repack", "-a", "-d", "-q", "--keep-unreachable")
        git(repo, "prune-packed")
    proc = _history(repo, "--unreachable")
    assert proc.returncode == 1, proc.stderr
    assert any(f["source"] == "unreachable" for f in json.loads(proc.stdout)["findings"])


def test_pack_index_reader_agrees_with_git(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    rng = random.Random(4)
    for i in range(6):
        commit(repo, {f"f{j}.txt": f"{i} {j} {rng.random()}\n" for j in range(40)}, f"c{i}")
    git(repo, "gc", "-q")
    (idx,) = (repo / ".git" / "objects" / "pack").glob("*.idx")
    with open(idx, "rb") as handle:
        listed = subprocess.run(["git", "show-index"], stdin=handle, capture_output=True, check=True).stdout
    ids = [line.split()[1].decode() for line in listed.splitlines()]
    packs = _LocalPacks(idx.parent)
    assert ids and all(packs.holds(sha) for sha in ids)
    for sha in ids[:50]:  # one bit off: not there
        wrong = f"{int(sha, 16) ^ 1:040x}"
        assert packs.holds(wrong) == (wrong in ids)
    assert not packs.holds("0" * 40) or "0" * 40 in ids
    link = tmp_path / "linked"
    os.symlink(idx.parent, link)
    assert not _LocalPacks(link).holds(ids[0])  # a symlinked pack folder is not this repository's


@pytest.mark.parametrize("keyed", [True, False])
def test_dangling_packed_ref_is_named(tmp_path: Path, keyed: bool) -> None:
    repo = init(tmp_path / "r")
    if keyed:
        _key_then_removed(repo)
    else:
        commit(repo, {"a.txt": "hello\n"}, "clean")
    git(repo, "pack-refs", "--all")
    with open(repo / ".git" / "packed-refs", "a") as refs:
        refs.write("1234567890123456789012345678901234567890 refs/heads/ghost\n")
    proc = _history(repo)
    assert proc.returncode == 2
    assert b"refs/heads/ghost" in proc.stderr
