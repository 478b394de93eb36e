"""Property tests for the trail parsers: the streaming reader equals ``json.loads`` whatever the
chunking; the fast path equals the full parse whatever the records hold; linear time on
adversarial shapes; agents and ARNs never raise."""

from __future__ import annotations

import gzip
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.fakes import fake_key_id
from keyshift.trail import agents, arns, denials, gen, stream
from keyshift.trail.sources import Limits, Unit, read_unit

ACCOUNT = "111122223333"
KEY = fake_key_id(ACCOUNT, seed="prop")
OTHER = fake_key_id(ACCOUNT, seed="prop-other")

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def _pieces(data: bytes, sizes: list[int]) -> Any:
    view = io.BytesIO(data)
    it = iter(sizes)

    def read(n: int) -> bytes:
        return view.read(min(n, next(it, n)))

    return read


@settings(max_examples=150, deadline=None)
@given(
    elements=st.lists(json_values, max_size=12),
    before=st.dictionaries(st.sampled_from(["a", "NextToken", "x y"]), json_values, max_size=2),
    sizes=st.lists(st.integers(1, 7), max_size=400),
    indent=st.sampled_from([None, 0, 2]),
)
def test_streaming_reader_equals_json_loads(
    elements: list[Any], before: dict[str, Any], sizes: list[int], indent: int | None
) -> None:
    doc = {**before, "Records": elements, "zz": 1}
    data = json.dumps(doc, indent=indent).encode()
    assert list(stream.iter_array(_pieces(data, sizes))) == json.loads(data)["Records"]


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200), sizes=st.lists(st.integers(1, 5), max_size=100))
def test_streaming_reader_never_raises_anything_else(data: bytes, sizes: list[int]) -> None:
    try:
        for _ in stream.iter_array(_pieces(data, sizes)):
            pass
    except stream.TrailFormatError:
        pass


nasty_text = st.lists(
    st.sampled_from([*'{}[]",:\\ aK', '"accessKeyId":"', '{"eventVersion":"', ',{"eventVersion":"', KEY]),
    max_size=12,
).map("".join)
params = st.dictionaries(st.sampled_from(["a", "eventVersion", "userIdentity", "accessKeyId", "items"]),
                         st.recursive(nasty_text, lambda i: st.lists(i, max_size=3) | st.dictionaries(nasty_text, i, max_size=3), max_leaves=8),
                         max_size=4)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(st.tuples(st.sampled_from([KEY, OTHER]), params, st.booleans()), min_size=1, max_size=12),
)
def test_fast_path_equals_full_parse(plan: list[tuple[str, dict[str, Any], bool]], tmp_path: Path) -> None:
    recs = []
    for i, (key, p, denied) in enumerate(plan):
        actor = gen.Actor(ACCOUNT, key, "203.0.113.9", gen.BOTO3_UA, role="r" if denied else None, user="u")
        error = (
            (
                "AccessDenied",
                "User: x is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k",
            )
            if denied
            else None
        )
        recs.append(
            gen.record(
                actor,
                "s3.amazonaws.com",
                "GetObject",
                time=f"2026-11-02T10:00:{i:02d}Z",
                params=p,
                error=error,
                seed=str(i),
            )
        )
    data = gzip.compress(json.dumps({"Records": recs}, separators=(",", ":")).encode())
    unit = Unit("u.json.gz", data=data)
    wanted = frozenset({KEY})
    fast = read_unit(unit, wanted)
    full = read_unit(Unit("u.json.gz", data=data, log=False), None)
    full["keys"] = {k: v for k, v in full["keys"].items() if k in wanted}
    full["issued"] = {k: v for k, v in full["issued"].items() if v[0] in wanted}
    assert fast["keys"] == full["keys"]
    assert fast["denials"] == full["denials"]
    assert fast["stats"]["records"] >= full["stats"]["records"]  # look-alikes may only add to the estimate
    assert fast["skipped"] == full["skipped"] == []


def _seconds(payload: bytes, wanted: frozenset[str] | None) -> float:
    unit = Unit("x.json.gz", data=gzip.compress(payload, 1))
    start = time.perf_counter()
    out = read_unit(unit, wanted, Limits(max_record=64 << 20))
    assert not out["skipped"], out["skipped"]
    return time.perf_counter() - start


@pytest.mark.parametrize(
    "shape",
    [
        "needles",  # one record, its parameters full of the wanted key's search pattern
        "denials",  # one record full of denial markers
        "backslashes",  # escapes the decoder must walk
        "tiny",  # many small records
    ],
)
def test_linear_time_on_adversarial_shapes(shape: str) -> None:
    def payload(n: int) -> bytes:
        actor = gen.Actor(ACCOUNT, KEY, "203.0.113.9", gen.BOTO3_UA, user="u")
        if shape == "tiny":
            rec = gen.record(actor, "sts.amazonaws.com", "GetCallerIdentity", time="2026-11-02T10:00:00Z")
            return json.dumps({"Records": [rec] * (n // 1000)}, separators=(",", ":")).encode()
        filler = {"needles": f'"accessKeyId":"{KEY}"', "denials": '"errorCode":"AccessDenied',
                  "backslashes": "\\\\\\\"\\"}[shape]  # fmt: skip
        rec = gen.record(actor, "s3.amazonaws.com", "GetObject", time="2026-11-02T10:00:00Z",
                         params={"p": filler * (n // len(filler))})  # fmt: skip
        return json.dumps({"Records": [rec, rec]}, separators=(",", ":")).encode()

    for wanted in (frozenset({KEY}), None):
        # both sizes span several read chunks, so both pay the same (geometric) re-reads
        small = min(_seconds(payload(1_000_000), wanted) for _ in range(2))
        big = min(_seconds(payload(4_000_000), wanted) for _ in range(2))
        assert big < max(small, 0.002) * 4 * 3, (shape, wanted, small, big)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    deep = b'{"Records":[' + b"[" * 200_000 + b"]" * 200_000 + b"]}"
    out = read_unit(Unit("deep.json", data=deep), None)
    assert out["skipped"] and "nested" in out["skipped"][0][1]


@given(st.text(max_size=300))
def test_agents_and_arns_total(text: str) -> None:
    fam, version = agents.family(text)
    assert fam and agents.label(fam, version)
    arns.denied_action(text)
    arns.denied_principal(text)
    denials.from_line(text)
    list(
        arns.from_record(
            {"requestParameters": {"bucketName": text, "x": [text]}, "resources": [{"ARN": text}]}
        )
    )


@pytest.mark.parametrize(
    ("ua", "label"),
    [
        (gen.BOTO3_UA, "boto3/1.35.10 botocore/1.35.10"),
        (gen.CLI_UA, "aws-cli/2.15.30"),
        ("aws-cli/1.29.0 Python/3.8.10 Linux/5.15 botocore/1.31.0", "aws-cli/1.29.0"),
        ("Botocore/1.34.0 ua/2.0 os/linux", "botocore/1.34.0"),
        (gen.CONSOLE_UA, "console"),
        ("signin.amazonaws.com", "console"),
        (gen.JAVA_UA, "aws-sdk-java/2.25.6"),
        (gen.TERRAFORM_UA, "terraform/1.8.5"),
        ("aws-sdk-go-v2/1.30.0 os/linux", "aws-sdk-go-v2/1.30.0"),
        ("aws-sdk-nodejs/2.1500.0 linux/v18", "aws-sdk-js/2.1500.0"),
        ("lambda.amazonaws.com", "aws-service/lambda.amazonaws.com"),
        ("", "unknown"),
        ("curl/8.4.0", "other (curl)"),
    ],
)
def test_user_agent_families(ua: str, label: str) -> None:
    assert agents.label(*agents.family(ua)) == label


@pytest.mark.parametrize(
    ("source", "name", "actions"),
    [
        ("dynamodb.amazonaws.com", "PutItem", ("dynamodb:PutItem",)),
        ("s3.amazonaws.com", "ListObjects", ("s3:ListBucket",)),
        ("s3.amazonaws.com", "ListBuckets", ("s3:ListAllMyBuckets",)),
        ("lambda.amazonaws.com", "GetFunction20150331v2", ("lambda:GetFunction",)),
        ("lambda.amazonaws.com", "Invoke", ("lambda:InvokeFunction",)),
        ("monitoring.amazonaws.com", "PutMetricData", ("cloudwatch:PutMetricData",)),
        ("states.amazonaws.com", "StartExecution", ("states:StartExecution",)),
        ("sts.amazonaws.com", "GetCallerIdentity", ("sts:GetCallerIdentity",)),
    ],
)
def test_event_to_action(source: str, name: str, actions: tuple[str, ...]) -> None:
    from keyshift.trail.actions import to_actions

    assert to_actions(source, name)[0] == actions


@settings(max_examples=80, deadline=None)
@given(
    header=st.lists(st.sampled_from(["eventname", "eventsource", "accesskeyid", "useridentity", "resources",
                                      "requestparameters", "x", "EventTime"]), min_size=1, max_size=6),
    cells=st.lists(st.lists(st.text(max_size=40), max_size=6), max_size=8),
)  # fmt: skip
def test_csv_and_row_readers_never_crash(header: list[str], cells: list[list[str]]) -> None:
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(cells)
    out = read_unit(Unit("r.csv", data=buf.getvalue().encode("utf-8", "surrogatepass")), None)
    assert out["stats"]["records"] + out["stats"]["bad_records"] <= len(cells) or out["skipped"]


@settings(max_examples=80, deadline=None)
@given(row=st.dictionaries(st.text(max_size=30), json_values, max_size=8))
def test_flat_rows_become_records_or_are_counted(row: dict[str, Any]) -> None:
    from keyshift.trail import flat
    from keyshift.trail.fold import fold, new_partial

    p = new_partial()
    fold(p, flat.from_row(row))
    assert p["stats"]["records"] + p["stats"]["bad_records"] == 1
