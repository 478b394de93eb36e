"""trail on hostile archives and forged actions (round 4 attack pass).

- a tar's symbolic links and devices were dropped without a count (a hard link to a member
  already read is still its events once);
- a 12 MB ``.tar.gz`` of 900 MB members was read member by member into memory, and a few
  waiting for workers exhausted it: members are capped and a tar decompressing beyond the
  gzip ratio limit stops with a counted reason;
- a forged record (eventName ``*``) or an application log line quoting user input
  (``not authorized to perform: iam:**``) proposed a wildcard action for the role.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from tests.security.test_trail_inputs import KEY, _recs
from tests.trail.helpers import run_json

from keyshift.planner.build import Grant, PlanResult, RolePlan
from keyshift.trail import integrate, sources
from keyshift.trail.summary import Consumer, Coverage, Denial, KeyActivity, ObservedCall, TrailSummary


def _doc(n: int) -> bytes:
    return json.dumps({"Records": _recs(n)}, separators=(",", ":")).encode()


def _add(tar: tarfile.TarFile, name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    tar.addfile(info, io.BytesIO(data) if data else None)


@pytest.mark.parametrize("mode", ["w", "w:gz"])
def test_links_and_devices_in_a_tar_are_counted(tmp_path: Path, mode: str) -> None:
    archive = tmp_path / ("logs.tar" if mode == "w" else "logs.tar.gz")
    with tarfile.open(archive, mode) as tar:
        _add(tar, "AWSLogs/a.json", _doc(3))
        _add(tar, "AWSLogs/hard.json", kind=tarfile.LNKTYPE, link="AWSLogs/a.json")
        _add(tar, "AWSLogs/sym.json", kind=tarfile.SYMTYPE, link="/etc/passwd")
        _add(tar, "AWSLogs/dev.json", kind=tarfile.CHRTYPE)
        _add(tar, "AWSLogs/fifo.json", kind=tarfile.FIFOTYPE)
        _add(tar, "AWSLogs/../../escape.json", _doc(1))
    code, report = run_json("trail", str(archive), "--keys", KEY)
    assert code == 1  # incomplete: three members were not read
    reasons = {name.rsplit("!", 1)[1]: why for name, why in report["coverage"]["skipped"]}
    assert set(reasons) == {"AWSLogs/sym.json", "AWSLogs/dev.json", "AWSLogs/fifo.json"}, reasons
    assert report["keys"][0]["events"] == 4  # a.json once, the ../ member read in place, never extracted
    assert not (tmp_path.parent / "escape.json").exists()


def test_compressed_tar_bomb_stops_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "_BOMB_SLACK", 1 << 20)
    archive = tmp_path / "bomb.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=9) as tar:
        _add(tar, "a.json", _doc(2))
        for i in range(3):
            _add(tar, f"z{i}.json", b" " * (16 << 20))
    skipped: list[tuple[str, str]] = []
    units = list(sources.units([archive], skipped))
    assert [u.name.rsplit("!", 1)[1] for u in units] == ["a.json"]
    assert len(skipped) == 1 and "decompression bomb" in skipped[0][1], skipped
    big = tmp_path / "big.tar.gz"
    monkeypatch.setattr(sources, "MAX_MEMBER", 1 << 20)
    with tarfile.open(big, "w:gz") as tar:
        _add(tar, "big.json", b" " * (2 << 20))
    skipped = []
    assert list(sources.units([big], skipped)) == []
    assert "member larger than" in skipped[0][1]


def _plan() -> PlanResult:
    role = RolePlan("r", "svc", ".", (KEY,), "111122223333", "eu-west-1",
                    (Grant("sqs:SendMessage", ("*",), ("code",), "mapped"),), (), (), (), (), ())  # fmt: skip
    return PlanResult(".", (role,), (), ())


@pytest.mark.parametrize("action", ["iam:*", "iam:**", "*:*", "s3:Get*", "s3:GetObjec?", "s3:=HYPERLINK(1)"])
def test_logs_never_propose_a_wildcard_or_malformed_action(action: str) -> None:
    source, _, name = action.partition(":")
    call = ObservedCall(f"{source}.amazonaws.com", name, (action,), "inferred", False, 3, 0, "f", "l",
                        ("eu-west-1",), "ev-1", ("*",), 0, None, "boto3")  # fmt: skip
    key = KeyActivity(KEY, "111122223333", (), 3, "a", "b", (call,),
                      (Consumer("203.0.113.1", "boto3", "1.35", 3, "f", "l", None),), (), ())  # fmt: skip
    denial = Denial("arn:aws:iam::111122223333:role/r", action, "*", 2, "f", "l", "app.log:1", "AccessDenied", "logs")
    cov = Coverage(1, 3, 0, 0, (), "2026-11-01", "2026-11-30", 0, (), ())
    (trail,) = integrate.compare(_plan(), TrailSummary((key,), (), (denial,), (), cov))
    assert trail.additions == ()
    concrete = ObservedCall("sns.amazonaws.com", "Publish", ("sns:Publish",), "mapped", False, 3, 0, "f", "l",
                            ("eu-west-1",), "ev-2", ("*",), 0, None, "boto3")  # fmt: skip
    key = KeyActivity(KEY, "111122223333", (), 3, "a", "b", (concrete,), key.consumers, (), ())
    (trail,) = integrate.compare(_plan(), TrailSummary((key,), (), (), (), cov))
    assert [a.action for a in trail.additions] == ["sns:Publish"]
