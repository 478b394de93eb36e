"""Hostile trails that name millions of distinct source addresses, user agents, identities,
calls and denied resources: every per-key table and every role's denials stay bounded while
files are folded and merged, the rest is counted, and the report does not depend on file order
or on how the files were split among workers."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from tests.security.linear import assert_linear
from tests.trail.helpers import run

from keyshift.fakes import fake_key_id
from keyshift.trail import fold, gen
from keyshift.trail import run as trail_run
from keyshift.trail.fold import CAP, LIMITS

ACCOUNT = "111122223333"
KEY = fake_key_id(ACCOUNT, seed="tables")
ROLE = f"arn:aws:iam::{ACCOUNT}:role/worker"


def _hostile(i: int) -> dict[str, Any]:
    """One record with its own address, agent, identity and call; every third a role denial on a
    resource of its own, every seventh from a role of its own."""
    ip = f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
    actor = gen.Actor(ACCOUNT, KEY, ip, f"{gen.BOTO3_UA} x/{i}", user=f"u{i}")
    if i % 3 == 0:
        role = f"worker-{i}" if i % 7 == 0 else "worker"
        actor = gen.Actor(ACCOUNT, KEY, ip, gen.BOTO3_UA, role=role, session=f"s{i}")
        message = f"User: x is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/{i}"
        return gen.record(actor, "s3.amazonaws.com", "GetObject", time=f"2026-11-02T10:00:{i % 60:02d}Z",
                          error=("AccessDenied", message), seed=str(i))  # fmt: skip
    return gen.record(
        actor, "sqs.amazonaws.com", f"Op{i}", time=f"2026-11-02T10:00:{i % 60:02d}Z",
        params={"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/q{i}"}, seed=str(i),
    )  # fmt: skip


def _trail(root: Path, n: int, per_file: int, seed: int | None = None) -> None:
    records = [_hostile(i) for i in range(n)]
    if seed is not None:
        random.Random(seed).shuffle(records)
    gen.write_delivered(root, records, per_file=per_file)


def _report(root: Path, *args: str) -> dict[str, Any]:
    code, out, _ = run("trail", str(root), "--format", "json", "--exit-zero", *args)
    assert code == 0
    return json.loads(out)


def test_tables_are_bounded_counted_and_independent_of_order(tmp_path: Path) -> None:
    n = 3 * 2 * CAP + 300
    _trail(tmp_path / "a", n, per_file=400)
    _trail(tmp_path / "b", n, per_file=700, seed=1)  # other files, other order
    one = _report(tmp_path / "a", "-j", "1")
    two = _report(tmp_path / "b", "-j", "2")
    for report in (one, two):  # the number of files differs, nothing else may
        del report["coverage"]["files"], report["coverage"]["statements"]
    assert one == two
    (key,) = one["keys"]
    assert len(key["consumers"]) <= CAP and len(key["identities"]) <= CAP and len(key["calls"]) <= CAP
    over = dict(key["overflow"])
    shown = sum(c["count"] for c in key["consumers"])
    assert shown + over["consumers"] == key["events"] == n
    assert sum(c["count"] for c in key["calls"]) + over["calls"] == n
    assert key["identities"] == sorted(key["identities"])
    assert len(one["denials"]) <= CAP * CAP
    per_role: dict[str, int] = {}
    for d in one["denials"]:
        per_role[d["role_arn"]] = per_role.get(d["role_arn"], 0) + 1
    assert max(per_role.values()) <= CAP
    denied = sum(d["count"] for d in one["denials"])
    assert denied + one["coverage"]["denials_dropped"] == len(range(0, n, 3))
    assert one["coverage"]["denials_dropped"] > 0


def test_merged_tables_never_grow_past_twice_their_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the parent holds while it merges the workers' partials stays bounded (memory flat)."""
    _trail(tmp_path, 4 * 2 * CAP, per_file=150)
    largest: dict[str, int] = {}
    merge = fold.merge

    def watched(into: dict[str, Any], other: dict[str, Any]) -> None:
        merge(into, other)
        for agg in into["keys"].values():
            for table in LIMITS:
                largest[table] = max(largest.get(table, 0), len(agg[table]))
        largest["roles"] = max(largest.get("roles", 0), len(into["denials"]))
        for table in into["denials"].values():
            largest["denials"] = max(largest.get("denials", 0), len(table))

    monkeypatch.setattr(trail_run, "merge", watched)
    total = trail_run.read_all([tmp_path], None, jobs=1)
    assert largest["consumers"] > CAP  # the input does exceed the limits
    for table, limit in LIMITS.items():
        assert largest[table] <= 2 * limit, table
    assert largest["roles"] <= 2 * CAP and largest["denials"] <= 2 * CAP
    assert sum(total["keys"][KEY]["overflow"].values()) > 0


def test_folding_distinct_consumers_is_linear() -> None:
    def make(n: int) -> Any:
        records = [_hostile(i) for i in range(n)]

        def go() -> None:
            p = fold.new_partial()
            for rec in records:
                fold.fold(p, rec)

        return go

    assert_linear(make, 3000)
