"""Hostile tars of a trail: links, ``../`` and absolute member names, special members and huge
members. keyshift never extracts a tar to disk and never follows a link inside one; each such
member is a counted skip with its reason, and a member too large to hold in memory is refused
before it is read."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from tests.trail.helpers import run_json

from keyshift.fakes import fake_key_id
from keyshift.trail import gen, sources
from keyshift.trail.run import read_all

ACCOUNT = "111122223333"
KEY = fake_key_id(ACCOUNT, seed="tars")
APP = gen.Actor(ACCOUNT, KEY, "203.0.113.5", gen.BOTO3_UA, user="app")


def _trail_bytes(n: int) -> bytes:
    recs = [
        gen.record(APP, "sqs.amazonaws.com", "SendMessage", time=f"2026-11-02T10:{i % 60:02d}:00Z", seed=str(i))
        for i in range(n)
    ]
    return gzip.compress(json.dumps({"Records": recs}, separators=(",", ":")).encode(), mtime=0)


def _add(tar: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_links_traversal_names_and_special_members(tmp_path: Path, mode: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    archive = work / ("trail.tar" if mode == "w" else "trail.tar.gz")
    with tarfile.open(archive, mode) as tar:
        _add(tar, "AWSLogs/a/CloudTrail/eu-west-1/2026/11/02/ok.json.gz", _trail_bytes(3))
        _add(tar, "../../escape.json.gz", _trail_bytes(2))  # read from the tar, never written anywhere
        _add(tar, "/abs/path.json.gz", _trail_bytes(1))
        _add(tar, "sym.json.gz", kind=tarfile.SYMTYPE, link="/etc/passwd")
        _add(tar, "hard.json.gz", kind=tarfile.LNKTYPE, link="AWSLogs/a/CloudTrail/eu-west-1/2026/11/02/ok.json.gz")
        _add(tar, "fifo.json.gz", kind=tarfile.FIFOTYPE)
        _add(tar, "dev.json.gz", kind=tarfile.CHRTYPE)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, out = run_json("trail", str(archive))
    assert code == 1  # something was not read: the report says it is incomplete
    assert out["keys"][0]["events"] == 6  # 3 + 2 + 1: every regular member read, whatever its name
    reasons = dict((name.split("!", 1)[1], why) for name, why in out["coverage"]["skipped"])
    # the hard link names a member already read: its events are counted once, not skipped
    assert reasons == {
        "sym.json.gz": "symbolic link in the tar (not followed)",
        "fifo.json.gz": "device in the tar (not followed)",
        "dev.json.gz": "device in the tar (not followed)",
    }
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing extracted


def test_huge_member_of_a_compressed_tar_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compressed tar's members are held in memory to reach the workers; one over the limit
    (a tar bomb: gigabytes of zeros compress to megabytes) is a counted skip, unread."""
    monkeypatch.setattr(sources, "MAX_MEMBER", 1 << 20)
    archive = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        _add(tar, "small.json.gz", _trail_bytes(2))
        _add(tar, "huge.json", b" " * (4 << 20))
    partial = read_all([archive], None, jobs=1)
    assert partial["stats"]["records"] == 2
    ((name, why),) = partial["skipped"]
    assert name.endswith("!huge.json") and "larger than 1 MiB in a compressed tar" in why
