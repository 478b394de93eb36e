"""Records whose request parameters carry ARNs take the grouped every-record path
(``keyshift.trail.quick``) and answer exactly what the full parse answers.

The grouped path finds ARN values in the raw JSON of the parameters instead of building them;
these corpora aim at where that could differ from the full parse's bounded walk: ARNs as keys,
nested in lists and objects, next to near-misses (spaces, non-ASCII, a bare ``arn:``, escapes),
named parameters that are ARNs, secret-shaped runs inside ARNs, whitespace between tokens, and
objects wider than the walk's bound with an ARN on either side of it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.fakes import fake_key_id, fake_secret
from keyshift.trail import gen, quick, render, sources
from keyshift.trail.run import read_all
from keyshift.trail.summary import summarize

pytest.importorskip("msgspec")

ACCOUNT = "111122223333"
KEYS = [fake_key_id(ACCOUNT, seed=f"arnp{i}") for i in range(3)]
SECRET = fake_secret("arn-params")
ARNS = [
    f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts",
    f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:resize",
    f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/orders",
    "arn:aws:s3:::acme-data/exports/part-1.parquet",
    f"arn:aws:iam::{ACCOUNT}:user/{SECRET.replace('+', 'A')}",  # a secret-shaped run: masked
]
NEAR = ["arn:", "arn:aws:s3:::acme data/x", "arn:aws:s3:::bücket/k", 'arn:aws:s3:::a"b', "xarn:aws:s3:::b",
        "arn:aws:s3:::b\\k", "ARN:aws:s3:::b", "acme-data", "orders"]  # fmt: skip
NAMES = ["topicArn", "keyId", "functionName", "tableName", "bucketName", "key", "x", ARNS[0]]
CALLS = [
    ("sns.amazonaws.com", "Publish"),
    ("kms.amazonaws.com", "Decrypt"),
    ("lambda.amazonaws.com", "Invoke"),
    ("dynamodb.amazonaws.com", "GetItem"),
    ("s3.amazonaws.com", "GetObject"),
]
WIDE = list(range(300))  # more values than the walk visits

leaf = st.sampled_from(ARNS + NEAR) | st.integers(0, 3) | st.none()
tree = st.recursive(
    leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(NAMES), inner, max_size=3),
    max_leaves=10,
)  # fmt: skip
params = st.dictionaries(st.sampled_from(NAMES), tree | st.just(WIDE), max_size=5)
step = st.fixed_dictionaries(
    {
        "key": st.integers(0, 2),
        "call": st.integers(0, len(CALLS) - 1),
        "params": params,
        "second": st.integers(0, 3),
        "agent": st.sampled_from([gen.BOTO3_UA, gen.CLI_UA]),
        "resources": st.booleans(),
    }
)


def _record(i: int, s: dict[str, Any]) -> dict[str, Any]:
    actor = gen.Actor(ACCOUNT, KEYS[s["key"]], "203.0.113.7", s["agent"], user=f"u{s['key']}")
    source, name = CALLS[s["call"]]
    resources = [{"ARN": ARNS[i % len(ARNS)], "type": "x"}] if s["resources"] else []
    return gen.record(
        actor, source, name, time=f"2026-11-02T10:00:0{s['second']}Z", params=s["params"],
        resources=resources, seed=str(i),
    )  # fmt: skip


def _write(root: Path, records: list[dict[str, Any]], per_file: int, spaced: bool) -> None:
    """Delivered files, UTF-8 as CloudTrail writes them (not ``\\u`` escapes); ``spaced`` puts
    whitespace between the tokens of each record."""
    sep = (", ", ": ") if spaced else (",", ":")
    for n, start in enumerate(range(0, len(records), per_file)):
        batch = records[start : start + per_file]
        path = root / gen.delivered_name(ACCOUNT, "eu-west-1", batch[0]["eventTime"], n)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = ",".join(json.dumps(r, separators=sep, ensure_ascii=False) for r in batch)
        path.write_bytes(gzip.compress(('{"Records":[' + body + "]}").encode(), mtime=0))


def _both(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    fast = read_all([root], None, jobs=1)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(sources, "quick", None)
        full = read_all([root], None, jobs=1)
    return fast, full


def _json(partial: dict[str, Any]) -> str:
    return json.dumps(render.to_json(summarize(partial, None)), sort_keys=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(step, min_size=1, max_size=30), per_file=st.integers(1, 8), spaced=st.booleans())
def test_arn_parameters_read_alike_on_both_paths(
    plan: list[dict[str, Any]], per_file: int, spaced: bool, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("arns")
    _write(root, [_record(i, s) for i, s in enumerate(plan)], per_file, spaced)
    fast, full = _both(root)
    assert fast == full
    assert _json(fast) == _json(full)
    assert SECRET.replace("+", "A") not in _json(fast)


def test_an_arn_beyond_the_walk_is_missed_on_both_paths(tmp_path: Path) -> None:
    """The full parse walks 256 values of the parameters; an ARN after them is not a resource
    there, so the grouped path must not find it either (it folds such a record by itself)."""
    hidden = f"arn:aws:sns:eu-west-1:{ACCOUNT}:hidden"
    seen = f"arn:aws:sns:eu-west-1:{ACCOUNT}:seen"
    plan = [
        {"key": 0, "call": 0, "params": {"topicArn": hidden, "x": WIDE}, "second": 0, "agent": gen.BOTO3_UA,
         "resources": False},
        {"key": 0, "call": 0, "params": {"x": WIDE, "topicArn": seen}, "second": 1, "agent": gen.BOTO3_UA,
         "resources": False},
    ]  # fmt: skip
    _write(tmp_path, [_record(i, s) for i, s in enumerate(plan)], 2, False)
    fast, full = _both(tmp_path)
    assert fast == full
    resources = {arn for _, arn in fast["keys"][KEYS[0]]["resources"]}
    assert resources == {seen}


def test_arn_parameters_are_grouped_not_read_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many records with ARN parameters, each with its own client token: none is folded by
    itself (that is the slow path), and the report is the full parse's."""
    records = []
    for i in range(400):
        params = {"keyId": ARNS[1], "encryptionContext": {"aws:s3:arn": ARNS[4]}, "clientToken": f"t{i:05d}",
                  "topicArn": ARNS[i % 2], "list": [ARNS[2], "x"]}  # fmt: skip
        step = {"key": i % 3, "call": i % len(CALLS), "params": params, "second": i % 4,
                "agent": gen.BOTO3_UA, "resources": i % 5 == 0}  # fmt: skip
        records.append(_record(i, step))
    _write(tmp_path, records, 100, False)
    full_fast, full = _both(tmp_path)

    def one_by_one(*args: object) -> bool:
        raise AssertionError("a record with ARN parameters was folded by itself")

    monkeypatch.setattr(quick, "_alone", one_by_one)
    grouped = read_all([tmp_path], None, jobs=1)
    assert grouped == full == full_fast
    resources = {arn for _, arn in grouped["keys"][KEYS[0]]["resources"]}
    assert {ARNS[0], ARNS[1], ARNS[2], ARNS[4]} <= resources
