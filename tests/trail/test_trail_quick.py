"""The every-record fast path (``keyshift.trail.quick``, msgspec) answers exactly what the full
parse answers: same partial, field for field, on adversarial records, or it falls back."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyshift.fakes import fake_key_id
from keyshift.trail import gen, sources
from keyshift.trail.fold import LIMITS
from keyshift.trail.sources import Limits, Unit, read_unit
from keyshift.trail.stream import CHUNK, TrailFormatError
from keyshift.trail.summary import summarize

pytest.importorskip("msgspec")

ACCOUNT = "111122223333"
KEYS = [fake_key_id(ACCOUNT, seed=f"quick{i}") for i in range(3)]
TEMP = fake_key_id(ACCOUNT, prefix="ASIA", seed="quick-temp")


def _both(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fast path's partial, full parse's partial) of one delivered file."""
    fast = read_unit(Unit("f.json.gz", data=data), None)
    with monkeypatch.context() as m:
        m.setattr(sources, "quick", None)
        full = read_unit(Unit("f.json.gz", data=data), None)
    return fast, full


def _used_fast(data: bytes) -> bool:
    from keyshift.trail import quick

    read, close, _ = sources._open(Unit("f.json.gz", data=data), Limits())
    try:
        quick.fold_regions(sources.regions(read, read(CHUNK), Limits()))
    except (quick.Fallback, TrailFormatError):
        return False
    finally:
        close()
    return True


nasty = st.lists(
    st.sampled_from(
        ['{"eventVersion":"', ',{"eventVersion":"', '"', "\\", "arn:aws:s3:::b/k", "x", "é", "\\u0041"]
    ),
    max_size=6,
).map("".join)
param_values = st.none() | st.integers() | nasty | st.lists(nasty, max_size=2)
params = st.dictionaries(
    st.sampled_from(["bucketName", "key", "tableName", "queueUrl", "functionName", "roleArn", "Host", "x"]),
    param_values | st.sampled_from(["acme", "orders", f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/jobs"]),
    max_size=4,
)
record_plan = st.fixed_dictionaries(
    {
        "key": st.sampled_from(KEYS),
        "source": st.sampled_from(["s3.amazonaws.com", "sts.amazonaws.com", "dynamodb.amazonaws.com"]),
        "name": st.sampled_from(["GetObject", "PutItem", "AssumeRole", "GetCallerIdentity"]),
        "second": st.integers(0, 3),  # equal times: the example event must not depend on order
        "id": st.sampled_from(["a", "b", "", None]),
        "params": st.none() | params,
        "denied": st.booleans(),
        "ua": st.sampled_from([gen.BOTO3_UA, gen.CLI_UA]),
        "role": st.booleans(),
        "resources": st.sampled_from([(), ({"ARN": "arn:aws:s3:::acme/k"},), ({"ARN": 5},)]),
        # a field of an unexpected type: the fast path must refuse the file, not guess
        "odd": st.sampled_from([*[None] * 16, ("eventTime", 5), ("awsRegion", ["x"]), ("eventCategory", "Data"),
                                ("managementEvent", False), ("eventTime", ""), ("eventSource", None)]),
    }
)  # fmt: skip


def _record(i: int, plan: dict[str, Any]) -> dict[str, Any]:
    actor = gen.Actor(
        ACCOUNT, plan["key"], "203.0.113.9", plan["ua"], role="r" if plan["role"] else None, user="u"
    )
    error = (
        "AccessDenied",
        "User: x is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k",
    )
    rec = gen.record(
        actor,
        plan["source"],
        plan["name"],
        time=f"2026-11-02T10:00:0{plan['second']}Z",
        params=plan["params"],
        response={"credentials": {"accessKeyId": TEMP}} if plan["name"] == "AssumeRole" else None,
        resources=plan["resources"],
        error=error if plan["denied"] else None,
        seed=str(i),
    )
    rec["eventID"] = plan["id"]
    if plan["odd"] is not None:
        rec[plan["odd"][0]] = plan["odd"][1]
    return rec


@settings(max_examples=150, deadline=None)
@given(plan=st.lists(record_plan, min_size=1, max_size=14))
def test_fast_path_equals_full_parse_on_every_record(plan: list[dict[str, Any]]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        recs = [_record(i, p) for i, p in enumerate(plan)]
        data = gzip.compress(json.dumps({"Records": recs}, separators=(",", ":")).encode())
        fast, full = _both(data, mp)
    assert fast == full


@pytest.mark.parametrize(
    ("name", "body", "fast"),
    [
        # duplicate keys: the last one counts, as json does
        ("duplicate", '{"eventVersion":"1.08","eventSource":"a","eventSource":"s3.amazonaws.com","eventName":"X",'
                      '"eventTime":"2026-11-02T10:00:00Z","userIdentity":{"accessKeyId":"K1","accessKeyId":"K2"}}', True),
        ("escaped key", '{"eventVersion":"1.08","event\\u0053ource":"s3.amazonaws.com","eventName":"X",'
                        '"eventTime":"2026-11-02T10:00:00Z","userIdentity":{"accessKeyId":"K1"}}', True),
        ("NaN", '{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"X","x":NaN,'
                '"eventTime":"2026-11-02T10:00:00Z","userIdentity":{"accessKeyId":"K1"}}', False),
        ("lone surrogate", '{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"X\\ud800",'
                           '"eventTime":"2026-11-02T10:00:00Z","userIdentity":{"accessKeyId":"K1"}}', False),
        ("not an object", '5', False),
        ("nested look-alike", '{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"X",'
                              '"requestParameters":{"a":[1,{"eventVersion":"2"}]},'
                              '"eventTime":"2026-11-02T10:00:00Z","userIdentity":{"accessKeyId":"K1"}}', True),
    ],
)  # fmt: skip
def test_odd_records_read_alike(name: str, body: str, fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = '{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"Y","eventTime":"2026-11-02T10:00:01Z"}'
    data = gzip.compress(('{"Records":[' + ok + "," + body + "]}").encode())
    quick_out, full_out = _both(data, monkeypatch)
    assert quick_out == full_out, name
    assert _used_fast(data) is fast, name


def test_invalid_utf8_in_an_unread_field_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = b'{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"X","x":"\xff"}'
    data = gzip.compress(b'{"Records":[' + rec + b"]}")
    fast, full = _both(data, monkeypatch)
    assert fast == full and fast["skipped"] and not _used_fast(data)


def test_resources_past_the_cap_keep_the_first_in_sorted_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the cap the first resources in sorted order are kept whatever the record order; the
    grouped form refuses a table at its cap all the same, and both paths give one answer."""
    actor = gen.Actor(ACCOUNT, KEYS[0], "203.0.113.9", gen.BOTO3_UA, user="u")
    other = gen.Actor(ACCOUNT, KEYS[0], "203.0.113.10", gen.BOTO3_UA, user="u")
    recs = [
        gen.record(
            actor if i % 2 else other,
            "s3.amazonaws.com",
            "GetObject",
            time=f"2026-11-02T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
            params={"bucketName": "acme", "key": f"k/{i:05d}"},
            seed=str(i),
        )
        for i in range(LIMITS["resources"] * 2 + 50)
    ]
    answers = []
    for order in (recs, recs[::-1]):
        data = gzip.compress(json.dumps({"Records": order}, separators=(",", ":")).encode())
        fast, full = _both(data, monkeypatch)
        assert fast == full
        assert not _used_fast(data)
        answers.append(summarize(fast, None).keys[0])
    key = answers[0]
    assert answers[1] == key
    assert dict(key.overflow) == {"resources": LIMITS["resources"] + 50}
    (call,) = key.calls
    assert call.resources[0] == "arn:aws:s3:::acme/k/00000"


def test_grouped_records_keep_counts_spans_and_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    actor = gen.Actor(ACCOUNT, KEYS[1], "203.0.113.9", gen.BOTO3_UA, user="u")
    recs = [
        gen.record(actor, "dynamodb.amazonaws.com", "PutItem", time=t, params={"tableName": "orders"}, seed=t + s)
        for t, s in [("2026-11-02T10:00:05Z", "a"), ("2026-11-02T10:00:01Z", "b"), ("2026-11-02T10:00:01Z", "c"),
                     ("2026-11-02T10:00:09Z", "d")]
    ]  # fmt: skip
    data = gzip.compress(json.dumps({"Records": recs}, separators=(",", ":")).encode())
    fast, full = _both(data, monkeypatch)
    assert fast == full and _used_fast(data)
    call = fast["keys"][KEYS[1]]["calls"][("dynamodb.amazonaws.com", "PutItem", "boto3")]
    assert call[:4] == [4, 0, "2026-11-02T10:00:01Z", "2026-11-02T10:00:09Z"]
    assert call[4] == min(r["eventID"] for r in recs[1:3])


def test_a_look_alike_at_a_chunk_boundary_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cut between slices lands inside a record's parameters: the slice does not decode."""
    actor = gen.Actor(ACCOUNT, KEYS[2], "203.0.113.9", gen.BOTO3_UA, user="u")
    filler = gen.record(actor, "sts.amazonaws.com", "GetCallerIdentity", time="2026-11-02T10:00:00Z",
                        params={"pad": "x" * (CHUNK - 600)})  # fmt: skip
    trap = gen.record(actor, "s3.amazonaws.com", "GetObject", time="2026-11-02T10:00:01Z",
                      params={"a": [1, {"eventVersion": "1.08", "userIdentity": {"accessKeyId": KEYS[0]}}],
                              "pad": "y" * CHUNK})  # fmt: skip
    data = gzip.compress(json.dumps({"Records": [filler, trap, filler]}, separators=(",", ":")).encode())
    fast, full = _both(data, monkeypatch)
    assert fast == full and KEYS[0] not in fast["keys"]
    assert not _used_fast(data)
