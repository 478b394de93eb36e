"""Without ``--keys``, files are folded in batches by ``keyshift.trail.quick`` (msgspec, grouped
in C loops); the report must be the one the full parse gives, record for record.

Generated trails in the delivered layout, several files per batch, with what makes trails hard:
``AssumeRole`` chains handing out ``ASIA`` keys (their calls count for the long-lived key),
denials of role sessions and other error events, data events with object keys and
``resources[]``, ARN-valued parameters, record versions 1.08/1.09/1.10 mixed in one file, and a
file the fast path refuses among files it reads. A golden file pins one such report.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.fakes import fake_key_id
from keyshift.trail import gen, render, sources
from keyshift.trail.run import read_all
from keyshift.trail.summary import summarize

from .helpers import golden

pytest.importorskip("msgspec")

ACCOUNT = "111122223333"
USERS = [fake_key_id(ACCOUNT, seed=f"eq-user{i}") for i in range(3)]
TEMPS = [fake_key_id(ACCOUNT, prefix="ASIA", seed=f"eq-temp{i}") for i in range(3)]
AGENTS = [gen.BOTO3_UA, gen.CLI_UA, gen.JAVA_UA, gen.TERRAFORM_UA, gen.CONSOLE_UA]
CALLS = [
    ("s3.amazonaws.com", "GetObject", lambda i: {"bucketName": "acme-data", "key": f"exports/{i % 7}.parquet"}),
    ("s3.amazonaws.com", "PutObject", lambda i: {"bucketName": "acme-data", "key": f"in/{i}.csv"}),
    ("dynamodb.amazonaws.com", "PutItem", lambda i: {"tableName": "orders", "item": {"id": {"S": str(i)}}}),
    ("sqs.amazonaws.com", "SendMessage",
     lambda i: {"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/jobs", "messageBody": "x" * (i % 5)}),
    ("sns.amazonaws.com", "Publish", lambda i: {"topicArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"}),
    ("kms.amazonaws.com", "Decrypt", lambda i: {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
    ("ec2.amazonaws.com", "DescribeInstances", lambda i: None),
    ("lambda.amazonaws.com", "Invoke", lambda i: {"functionName": "resize"}),
    ("sts.amazonaws.com", "GetCallerIdentity", lambda i: {}),
]  # fmt: skip

step = st.fixed_dictionaries(
    {
        "who": st.integers(0, 5),  # 0-2 a user's long-lived key, 3-5 a session issued to one
        "call": st.integers(0, len(CALLS)),  # the last: the user assumes a role (a chain link)
        "agent": st.integers(0, len(AGENTS) - 1),
        "ip": st.sampled_from(["203.0.113.7", "198.51.100.9", "ec2.amazonaws.com"]),
        "second": st.integers(0, 5),  # equal times across records: examples must not depend on order
        "version": st.sampled_from(["1.08", "1.09", "1.10"]),
        "error": st.sampled_from([None, None, None, "AccessDenied", "ThrottlingException",
                                  "Client.UnauthorizedOperation"]),
        "resources": st.booleans(),
        "region": st.sampled_from(["eu-west-1", "us-east-1"]),
    }
)  # fmt: skip


def _actor(who: int, agent: str, ip: str) -> gen.Actor:
    if who < 3:
        return gen.Actor(ACCOUNT, USERS[who], ip, agent, user=f"svc{who}")
    return gen.Actor(ACCOUNT, TEMPS[who - 3], ip, agent, role=f"worker-{who - 3}", session=f"s{who}")


def _records(plan: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, s in enumerate(plan):
        actor = _actor(s["who"], AGENTS[s["agent"]], s["ip"])
        time = f"2026-11-02T10:{i // 6 % 60:02d}:{s['second']:02d}Z"
        if s["call"] == len(CALLS):
            user = gen.Actor(ACCOUNT, USERS[s["who"] % 3], s["ip"], AGENTS[s["agent"]], user="svc")
            temp = TEMPS[s["who"] % 3]
            role = f"arn:aws:iam::{ACCOUNT}:role/worker-{s['who'] % 3}"
            rec = gen.record(
                user, "sts.amazonaws.com", "AssumeRole", time=time, region=s["region"],
                params={"roleArn": role, "roleSessionName": f"s{i}"},
                response={"credentials": {"accessKeyId": temp, "expiration": "x"},
                          "assumedRoleUser": {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/s{i}"}},
                version=s["version"], seed=str(i),
            )  # fmt: skip
        else:
            source, name, params = CALLS[s["call"]]
            error = None
            if s["error"] is not None:
                message = f"User: {actor.identity['arn']} is not authorized to perform: {source.split('.')[0]}:{name}"
                error = (s["error"], message if "Unauthorized" in s["error"] or "Denied" in s["error"] else "slow down")
            resources = [{"ARN": f"arn:aws:s3:::acme-data/r{i % 3}", "type": "AWS::S3::Object"}] if s["resources"] else []
            rec = gen.record(
                actor, source, name, time=time, region=s["region"], params=params(i), error=error,
                resources=resources, version=s["version"], seed=str(i),
            )  # fmt: skip
        out.append(rec)
    return out


def _both(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], dict[str, Any]]:
    fast = read_all([root], None, jobs=1)
    with monkeypatch.context() as m:
        m.setattr(sources, "quick", None)
        full = read_all([root], None, jobs=1)
    return fast, full


def _json(partial: dict[str, Any]) -> str:
    return json.dumps(render.to_json(summarize(partial, None)), indent=1, sort_keys=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=st.lists(step, min_size=1, max_size=40), per_file=st.integers(1, 9))
def test_batches_equal_the_full_parse(
    plan: list[dict[str, Any]], per_file: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("trail")
    gen.write_delivered(root, _records(plan), per_file=per_file)
    with pytest.MonkeyPatch.context() as mp:
        fast, full = _both(root, mp)
    assert fast == full
    assert _json(fast) == _json(full)


def _golden_trail(root: Path) -> None:
    plan = [
        {"who": i % 6, "call": (i * 7) % (len(CALLS) + 1), "agent": i % len(AGENTS),
         "ip": ["203.0.113.7", "198.51.100.9"][i % 2], "second": i % 4, "version": ["1.08", "1.09", "1.10"][i % 3],
         "error": [None, None, "AccessDenied", None, "ThrottlingException"][i % 5], "resources": i % 4 == 0,
         "region": "eu-west-1"}
        for i in range(300)
    ]  # fmt: skip
    gen.write_delivered(root, _records(plan), per_file=25)


def test_generated_trail_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _golden_trail(tmp_path)
    fast, full = _both(tmp_path, monkeypatch)
    assert fast == full
    summary = summarize(fast, None)
    assert {k.key_id for k in summary.keys} == set(USERS)  # every ASIA key folded into its user
    assert any(c.via_role for k in summary.keys for c in k.calls)
    assert summary.denials and summary.coverage.data_events
    assert dict(summary.coverage.versions) == {"1.08": 100, "1.09": 100, "1.10": 100}
    golden("generated-trail.json", _json(fast) + "\n")


def test_a_refused_file_among_read_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One file the batch cannot read exactly (an escaped parameter, pretty-printed JSON, a
    truncated gzip) is read on its own; the others stay in the batch; the report is the same."""
    _golden_trail(tmp_path)
    files = sorted(tmp_path.rglob("*_CloudTrail_*.json.gz"))
    doc = json.loads(gzip.decompress(files[1].read_bytes()))
    files[1].write_bytes(gzip.compress(json.dumps(doc, indent=2).encode()))  # not compact
    doc = json.loads(gzip.decompress(files[2].read_bytes()))
    doc["Records"][0]["requestParameters"] = {"roleArn": "arn:aws:iam::111122223333:role/\\u0041"}
    files[2].write_bytes(gzip.compress(json.dumps(doc, separators=(",", ":")).encode()))
    files[3].write_bytes(files[3].read_bytes()[:-40])  # truncated
    fast, full = _both(tmp_path, monkeypatch)
    assert fast == full
    assert [reason for _, reason in fast["skipped"] + [p[:2] for p in fast["partial"]]] == [
        "truncated gzip (compressed stream ends early)"
    ]
