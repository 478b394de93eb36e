"""JSON past Python's limits (round 4 attack pass): an integer of thousands of digits raises
``ValueError`` (not ``JSONDecodeError``) and deep nesting ``RecursionError``. One such trail file
ended the whole ``trail --keys`` run with an internal error; one such baseline crashed ``scan``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.security.git_hostile import keyshift
from tests.security.test_trail_inputs import KEY, _recs
from tests.trail.helpers import run_json

BAD = {
    "huge-number": lambda inner: '{"n": ' + "9" * 100_000 + ', "r": ' + inner + "}",
    "deep": lambda inner: "[" * 100_000 + inner + "]" * 100_000,
}


@pytest.mark.parametrize("shape", sorted(BAD))
@pytest.mark.parametrize("with_keys", [False, True])
def test_one_bad_trail_file_is_a_counted_skip(tmp_path: Path, shape: str, with_keys: bool) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"Records": _recs(2)}, separators=(",", ":")))
    record = json.dumps(_recs(1)[0], separators=(",", ":"))
    bad = tmp_path / "bad.json"
    bad.write_text('{"Records":[' + record[:-1] + ',"x":' + BAD[shape]("1") + "}]}")
    args = ["trail", str(good), str(bad), *(["--keys", KEY] if with_keys else [])]
    code, report = run_json(*args)  # an internal error raised here before
    skipped = [name for name, _ in report["coverage"]["skipped"]]
    if code == 0:  # read whole (the msgspec path takes big integers)
        assert skipped == [] and report["keys"][0]["events"] == 3
    else:
        assert code == 1 and skipped == [str(bad)] and report["keys"][0]["events"] == 2


@pytest.mark.parametrize("shape", sorted(BAD))
def test_unreadable_baseline_is_a_clear_error(tmp_path: Path, shape: str) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.json").write_text(BAD[shape]('{"version": "1"}'))
    proc = keyshift("scan", "a.py", "--baseline", "b.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr and b"b.json" in proc.stderr
