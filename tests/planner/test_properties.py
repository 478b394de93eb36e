"""Properties of resource building and policy rendering that must hold for any input."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.planner import render
from keyshift.planner.analysis import ApiCall
from keyshift.planner.build import Grant, RolePlan
from keyshift.planner.grants import _glob, _prune
from keyshift.planner.resources import Scope, resolve
from keyshift.planner.values import Const, Origin, Prefix, Value

BUCKET = st.from_regex(r"[a-z0-9][a-z0-9.-]{2,20}[a-z0-9]", fullmatch=True)
KEY = st.from_regex(r"[A-Za-z0-9/_.-]{1,30}", fullmatch=True)
ORIGIN = Origin(None, None, "app.py", 1)
# regex strategies are slow to draw on a loaded machine, and the first call loads the IAM table:
# the properties are tested, not the timing
FAST_ENOUGH = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
SCOPE = Scope("us-east-1", "123456789012")


def _call(method: str, bucket: str, key: Const | Prefix | None) -> ApiCall:
    params: list[tuple[str, frozenset[Value]]] = [("Bucket", frozenset({Const(bucket)}))]
    if key is not None:
        params.append(("Key", frozenset({key})))
    return ApiCall("s3", method, tuple(params), ORIGIN, "app.py", 1, f"s3.{method}")


@FAST_ENOUGH
@given(BUCKET, KEY)
def test_object_arn_is_exact_for_literal_keys(bucket: str, key: str) -> None:
    resolved = resolve("s3:GetObject", _call("get_object", bucket, Const(key)), SCOPE)
    assert resolved.resources == (f"arn:aws:s3:::{bucket}/{key}",)


@FAST_ENOUGH
@given(BUCKET, KEY, KEY)
def test_prefix_grant_covers_every_key_under_it(bucket: str, prefix: str, rest: str) -> None:
    resolved = resolve("s3:PutObject", _call("put_object", bucket, Prefix(prefix)), SCOPE)
    (pattern,) = resolved.resources
    assert _glob(pattern).match(f"arn:aws:s3:::{bucket}/{prefix}{rest}")
    assert not _glob(pattern).match(f"arn:aws:s3:::{bucket}x/{prefix}{rest}")


@FAST_ENOUGH
@given(BUCKET)
def test_list_bucket_is_on_the_bucket(bucket: str) -> None:
    resolved = resolve("s3:ListBucket", _call("list_objects_v2", bucket, None), SCOPE)
    assert resolved.resources == (f"arn:aws:s3:::{bucket}",)


@FAST_ENOUGH
@given(st.sets(st.one_of(KEY, KEY.map(lambda k: k + "*")), min_size=1, max_size=12))
def test_prune_keeps_coverage(resources: set[str]) -> None:
    kept = _prune(resources)
    assert set(kept) <= resources
    for resource in resources:
        assert any(r == resource or _glob(r).match(resource) for r in kept)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["s3:GetObject", "s3:PutObject", "sqs:SendMessage"]), KEY), max_size=300
    )
)
def test_split_policies_fit_and_keep_every_statement(pairs: list[tuple[str, str]]) -> None:
    grants = tuple(
        Grant(action, (f"arn:aws:s3:::b/{key}",), ("app.py:1",), "mapped")
        for action, key in sorted(set(pairs))
    )
    role = RolePlan("r", "r", "", ("AKIA",), "123456789012", "us-east-1", grants, (), (), (), (), ())
    parts = render.policy_parts(role)
    statements = render.statements(role)
    assert [s for part in parts for s in part["Statement"]] == statements
    for part in parts:
        assert len(part["Statement"]) == 1 or render.policy_size(part) <= render.MAX_POLICY_CHARS
    sids = [s["Sid"] for s in statements]
    assert len(set(sids)) == len(sids)
    assert all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids)


PIECE = st.from_regex(r"[a-z0-9/_.-]{0,12}", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(PIECE, PIECE, st.lists(PIECE.filter(bool), min_size=1, max_size=3))
def test_key_from_a_parameter_covers_every_value_a_caller_may_pass(
    head: str, tail: str, passed: list[str]
) -> None:
    """Whatever the repository's callers pass, the grant covers keys other callers would build."""
    import tempfile
    from pathlib import Path

    from keyshift.planner.analysis import analyze

    code = (
        "import boto3\ns3 = boto3.client('s3')\n"
        f"def save(item):\n    s3.put_object(Bucket='b1', Key=f'{head}{{item}}{tail}', Body=b'')\n"
        + "".join(f"save({value!r})\n" for value in passed)
    )
    with tempfile.TemporaryDirectory() as directory:
        (Path(directory) / "app.py").write_text(code, encoding="utf-8")
        calls = [c for c in analyze(Path(directory), ["app.py"]).calls if c.method == "put_object"]
    assert calls
    patterns = {r for call in calls for r in resolve("s3:PutObject", call, SCOPE).resources}
    for other in ("zz-unseen", "", *passed):
        arn = f"arn:aws:s3:::b1/{head}{other}{tail}"
        assert any(_glob(p).match(arn) for p in patterns), (patterns, arn)
