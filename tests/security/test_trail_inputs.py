"""Hostile and broken CloudTrail input: a clear skip or partial read with its reason, never a crash,
never a silent loss, never a secret in the output."""

from __future__ import annotations

import base64
import json
import random
import urllib.parse
import zlib
from pathlib import Path

import pytest
from tests.trail.helpers import run, run_json

from keyshift.fakes import fake_key_id, fake_secret
from keyshift.trail import gen

ACCOUNT = "111122223333"
KEY = fake_key_id(ACCOUNT, seed="hostile")
APP = gen.Actor(ACCOUNT, KEY, "203.0.113.5", gen.BOTO3_UA, user="app")


def _recs(n: int, **kw: object) -> list[dict[str, object]]:
    return [
        gen.record(APP, "sqs.amazonaws.com", "SendMessage", time=f"2026-11-02T10:{i % 60:02d}:00Z", seed=str(i),
                   params={"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/q"}, **kw)  # type: ignore[arg-type]
        for i in range(n)
    ]  # fmt: skip


def _write(root: Path, recs: list[dict[str, object]]) -> Path:
    (path,) = gen.write_delivered(root, recs, per_file=len(recs) + 1)
    return path


@pytest.mark.parametrize("with_keys", [False, True])
def test_truncated_gzip_is_a_counted_partial_read(tmp_path: Path, with_keys: bool) -> None:
    path = _write(tmp_path, _recs(400))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    keys = ["--keys", KEY] if with_keys else []
    code, out = run_json("trail", str(tmp_path), *keys)
    assert code == 1
    cov = out["coverage"]
    assert not cov["complete"]
    lost = cov["partial"] + cov["skipped"]
    assert len(lost) == 1 and "truncated" in lost[0][1]
    code, _ = run_json("trail", str(tmp_path), *keys, "--exit-zero")
    assert code == 0


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"name": "not a trail", "items": [1, 2]}', "no Records"),
        (b"<html>nope</html>", "not CloudTrail"),
        (b'{"Records": [{"eventVersion": "1.08"', "truncated"),
        (b"\xff\xfe\x00{", "not"),
        (b"", "not"),
    ],
)
def test_not_cloudtrail_is_skipped_with_a_reason(tmp_path: Path, payload: bytes, reason: str) -> None:
    (tmp_path / "x.json").write_bytes(payload)
    _write(tmp_path / "good", _recs(3))
    code, out = run_json("trail", str(tmp_path))
    assert code == 1
    (skip,) = out["coverage"]["skipped"] + out["coverage"]["partial"]
    assert reason.lower() in skip[1].lower()
    assert out["keys"][0]["events"] == 3  # the good file was still read


def test_records_that_are_not_events_are_counted(tmp_path: Path) -> None:
    body = {"Records": [*_recs(2), 7, {"hello": "world"}, None]}
    (tmp_path / "x.json").write_text(json.dumps(body))
    code, out = run_json("trail", str(tmp_path))
    assert code == 1 and out["coverage"]["bad_records"] == 3 and out["keys"][0]["events"] == 2


def test_zip_bomb_stops_early(tmp_path: Path) -> None:
    # 400 MB of spaces inside a valid Records array compresses to ~400 KB
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [comp.compress(b'{"Records":[')]
    block = b" " * (1 << 20)
    for _ in range(400):
        parts.append(comp.compress(block))
    parts.append(comp.compress(b"]}") + comp.flush())
    (tmp_path / "bomb.json.gz").write_bytes(b"".join(parts))
    code, out = run_json("trail", str(tmp_path))
    assert code == 1
    (skip,) = out["coverage"]["skipped"]
    assert "ratio" in skip[1] or "limit" in skip[1]


def test_zip_archive_and_other_compression_are_named(tmp_path: Path) -> None:
    (tmp_path / "logs.json").write_bytes(b"PK\x03\x04rest")
    code, out = run_json("trail", str(tmp_path))
    assert code == 1
    assert "zip" in out["coverage"]["skipped"][0][1]


def test_huge_record_is_an_error_not_an_allocation(tmp_path: Path) -> None:
    rec = _recs(1)[0]
    rec["requestParameters"] = {"blob": random.Random(1).randbytes(9 << 19).hex()}  # 9 MB, incompressible
    _write(tmp_path, [rec, *_recs(2)])
    for keys in ([], ["--keys", KEY]):
        code, out = run_json("trail", str(tmp_path), *keys)
        assert code == 1
        (lost,) = out["coverage"]["skipped"] + out["coverage"]["partial"]
        assert "larger than" in lost[1]


def test_mixed_record_versions_are_all_read(tmp_path: Path) -> None:
    recs = _recs(3, version="1.08") + _recs(3, version="1.09") + _recs(3, version="1.10")
    for i, r in enumerate(recs):
        r["eventID"] = f"id-{i}"
    old = dict(recs[0], eventVersion="1.05")
    del old["eventCategory"], old["tlsDetails"]
    _write(tmp_path, [*recs, old])
    for keys in ([], ["--keys", KEY]):
        code, out = run_json("trail", str(tmp_path), *keys)
        assert code == 0
        assert dict(map(tuple, out["coverage"]["versions"])) == {"1.05": 1, "1.08": 3, "1.09": 3, "1.10": 3}
        assert out["keys"][0]["events"] == 10


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _write(outside, _recs(2))
    trail = tmp_path / "trail"
    trail.mkdir()
    (trail / "link.json.gz").symlink_to(next(outside.rglob("*_CloudTrail_*.json.gz")))
    code, out = run_json("trail", str(trail))
    assert code == 2  # nothing could be read: an error, never a clean report
    assert out["keys"] == [] and "symbolic link" in out["coverage"]["skipped"][0][1]


def test_look_alike_record_start_inside_parameters_falls_back(tmp_path: Path) -> None:
    """A nested object that begins like a record must not confuse the fast path."""
    recs = _recs(3)
    recs[1]["requestParameters"] = {
        "items": [{"x": 1}, {"eventVersion": "1.08", "userIdentity": {"accessKeyId": KEY}}]
    }
    _write(tmp_path, recs)
    _, fast = run_json("trail", str(tmp_path), "--keys", KEY)
    _, full = run_json("trail", str(tmp_path))
    assert fast["keys"] == full["keys"] and fast["keys"][0]["events"] == 3


def _encodings(secret: str) -> list[str]:
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        urllib.parse.quote(secret, safe=""),
        json.dumps(secret)[1:-1],
        secret.encode().hex(),
    ]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secret_in_request_parameters_never_printed(tmp_path: Path, fmt: str) -> None:
    secret = fake_secret("trail-param")
    rec = gen.record(APP, "secretsmanager.amazonaws.com", "PutSecretValue", time="2026-11-02T10:00:00Z",
                     params={"secretId": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:db-AbCdEf",
                             "secretString": secret, "note": f"arn:aws:iam::{ACCOUNT}:user/{secret}"})  # fmt: skip
    denied = gen.record(
        gen.Actor(ACCOUNT, fake_key_id(ACCOUNT, prefix="ASIA", seed="d"), "203.0.113.5", gen.BOTO3_UA, role="app-role"),
        "s3.amazonaws.com", "GetObject", time="2026-11-02T10:01:00Z",
        params={"bucketName": "b", "key": f"k/{secret}"},
        error=("AccessDenied", f"User: x is not authorized to perform: s3:GetObject on resource: {secret}"),
    )  # fmt: skip
    _write(tmp_path, [rec, denied])
    (tmp_path / "app.log").write_text(
        "An error occurred (AccessDeniedException) when calling the GetSecretValue operation: User: "
        f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/s is not authorized to perform: "
        f"secretsmanager:GetSecretValue on resource: {secret}\n"
    )
    for keys in ([], ["--keys", KEY]):
        code, out, err = run("trail", str(tmp_path), *keys, "--format", fmt)
        assert code == 0
        for encoded in _encodings(secret):
            assert encoded not in out and encoded not in err
        assert "PutSecretValue" in out


def test_hostile_names_and_terminal_escapes_are_shown_safely(tmp_path: Path) -> None:
    import os

    _write(tmp_path, _recs(1))
    os.makedirs(os.path.join(os.fsencode(tmp_path), b"bad\xffdir"))
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xffdir", b"x\xfe.json"), "wb") as fh:
        fh.write(b"not json")
    rec = _recs(1)[0]
    rec["eventName"] = "Get\x1b[2J\x1b]0;pwned\x07Object"
    rec["sourceIPAddress"] = "203.0.113.5\u202e"
    _write(tmp_path / "more", [rec])
    for fmt in ("text", "json"):
        code, out, _ = run("trail", str(tmp_path), "--format", fmt)
        assert code == 1  # the unreadable file is counted
        assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
        assert "x" in out and ".json" in out


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_session_token_in_assume_role_response_never_printed(tmp_path: Path, fmt: str) -> None:
    """Real trails log the issued session token in responseElements (older records do in clear)."""
    from keyshift.fakes import fake_session_token

    token = fake_session_token("trail-assume")
    temp = fake_key_id(ACCOUNT, prefix="ASIA", seed="trail-assume")
    rec = gen.record(APP, "sts.amazonaws.com", "AssumeRole", time="2026-11-02T10:00:00Z",
                     params={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/r", "roleSessionName": "s"},
                     response={"credentials": {"accessKeyId": temp, "sessionToken": token,
                                               "expiration": "Nov 2, 2026, 11:00:00 AM"}})  # fmt: skip
    _write(tmp_path, [rec])
    for keys in ([], ["--keys", KEY]):
        code, out, err = run("trail", str(tmp_path), *keys, "--format", fmt)
        assert code == 0 and "sts:AssumeRole" in out and "role/r" in out  # the call is reported...
        for encoded in _encodings(token):
            assert encoded not in out and encoded not in err  # ...the token never shown


@pytest.mark.parametrize("with_keys", [False, True])
def test_truncated_gzip_keeps_the_records_before_the_cut(tmp_path: Path, with_keys: bool) -> None:
    """A file smaller than the read chunk, cut short: its readable records are counted, and the
    file is a partial read (with how many records were read), not a skip that loses them all."""
    path = _write(tmp_path, _recs(300))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    keys = ["--keys", KEY] if with_keys else []
    code, out = run_json("trail", str(tmp_path), *keys)
    assert code == 1
    cov = out["coverage"]
    assert cov["skipped"] == []
    ((_, reason, read),) = cov["partial"]
    assert "truncated" in reason and 0 < read < 300
    assert 0 < out["keys"][0]["events"] == read


@pytest.mark.parametrize("with_keys", [False, True])
def test_gzip_members_larger_than_a_read_are_all_read(tmp_path: Path, with_keys: bool) -> None:
    """A file of several gzip members (a trail concatenated into one file), each larger than the
    reader's input block and compressing well (one block makes more text than one read asks
    for, so a member ends inside a block after a read cut short): every record of every member
    is read, none twice (zlib can leave the bytes after a member in two places), none lost."""
    import gzip

    rng = random.Random(5)
    members = []
    for m in range(3):
        recs = _recs(10000)
        for i, r in enumerate(recs):
            r["eventID"] = f"{m}-{i}"
            r["requestParameters"]["pad"] = rng.randbytes(4).hex()
        body = ",".join(json.dumps(r, separators=(",", ":")) for r in recs)
        text = ('{"Records":[' if m == 0 else "") + body + ("]}" if m == 2 else ",")
        members.append(gzip.compress(text.encode(), mtime=0))
        assert len(text) > 4 * len(members[-1])
    assert min(map(len, members)) > 1 << 18  # larger than one read of the compressed input
    (tmp_path / "one.json.gz").write_bytes(b"".join(members))
    code, out = run_json("trail", str(tmp_path), *(["--keys", KEY] if with_keys else []))
    assert out["coverage"]["partial"] == [] and out["coverage"]["skipped"] == []
    assert code == 0 and out["coverage"]["records"] == 30000 and out["keys"][0]["events"] == 30000
