"""``plan --trail`` and ``migrate --trail`` on the demo: the one missing call proposed with its
evidence, the denial turned into the minimal change, the extra consumer holding the revocation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keyshift.planner.build import Grant, PlanResult, RolePlan
from keyshift.trail import integrate
from keyshift.trail.summary import Consumer, Coverage, KeyActivity, ObservedCall, TrailSummary

from .demo_trail import ORDERS_KEY, ROLE, SECRET, TABLE
from .helpers import DEMO, DEMO_TRAIL, run


def test_plan_trail_text_names_everything() -> None:
    code, out, _ = run("plan", str(DEMO), "--trail", str(DEMO_TRAIL))
    assert code == 1
    trail = out.split("trail (what CloudTrail says next to the plan):", 1)[1]
    assert f"add (observed, not granted): secretsmanager:GetSecretValue on {SECRET}" in trail
    assert "evidence: GetSecretValue x4, first 2026-11-02T09:13:00Z, last 2026-11-03T16:13:00Z" in trail
    assert f"add (denied after the cutover): dynamodb:UpdateItem on {TABLE}" in trail
    assert f"BLOCKER on revoking {ORDERS_KEY}: also used by aws-cli/2.15.30 from 198.51.100.7" in trail
    assert "granted, never observed: s3:GetObject (a data event" in trail
    assert (
        '+        "dynamodb:UpdateItem"' in trail
        and '+      "Action": "secretsmanager:GetSecretValue",' in trail
    )
    # what the aws-cli did with the key is not the workload's need
    assert "s3:ListAllMyBuckets" not in trail.split("what the logs")[0]
    assert "sts:AssumeRole" not in trail.split("what the logs")[0]


def test_plan_trail_json() -> None:
    code, out, _ = run("plan", str(DEMO), "--trail", str(DEMO_TRAIL), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    (role,) = [r for r in doc["trail"]["roles"] if r["role"] == ROLE]
    assert {a["action"]: a["origin"] for a in role["additions"]} == {
        "dynamodb:UpdateItem": "denied",
        "secretsmanager:GetSecretValue": "observed",
    }
    assert [b["source_ip"] for b in role["blockers"]] == ["198.51.100.7", "198.51.100.7"]
    statements = role["policy"]["Statement"]
    assert any(s["Action"] == "secretsmanager:GetSecretValue" and s["Resource"] == SECRET for s in statements)


def test_plan_without_trail_is_unchanged() -> None:
    _, with_nothing, _ = run("plan", str(DEMO), "--exit-zero")
    assert "what CloudTrail says" not in with_nothing and "role orders-service-task-role" in with_nothing


def test_migrate_trail_holds_the_revocation(tmp_path: Path) -> None:
    out = tmp_path / "review"
    code, _, err = run("migrate", str(DEMO), "--trail", str(DEMO_TRAIL), "--out", str(out), "--no-history")
    assert code == 1
    assert "revocation on hold: also used by aws-cli/2.15.30 from 198.51.100.7" in err
    runbook = (out / "runbook.md").read_text()
    held = runbook.split(f"## {ORDERS_KEY}", 1)[1].split("\n## ", 1)[0]
    assert "ON HOLD" in held and "198.51.100.7" in held
    for word in ("revoke", "deactivate:", "delete:", "update-access-key", "delete-access-key"):
        assert word not in held.lower(), word
    other = runbook.split("## AKIARTX3GSDSXD4EDCUD", 1)[1]
    assert "delete-access-key" in other  # the key nobody else uses keeps its steps
    trail_md = (out / "trail.md").read_text()
    assert "secretsmanager:GetSecretValue" in trail_md
    assert json.loads((out / "trail.json").read_text())["roles"]


def test_migrate_trail_never_writes_through_a_symlink(tmp_path: Path) -> None:
    out = tmp_path / "review"
    out.mkdir()
    target = tmp_path / "elsewhere.md"
    target.write_text("keep")
    (out / "trail.md").symlink_to(target)
    code, _, _ = run("migrate", str(DEMO), "--trail", str(DEMO_TRAIL), "--out", str(out), "--no-history")
    assert code == 1
    assert target.read_text() == "keep"  # never written through the link...
    assert not (out / "trail.md").is_symlink() and "What CloudTrail says" in (out / "trail.md").read_text()


def _summary(calls: tuple[ObservedCall, ...], consumers: tuple[Consumer, ...], data: int = 0) -> TrailSummary:
    key = KeyActivity(ORDERS_KEY, "111122223333", (), 10, "a", "b", calls, consumers, (), ())
    cov = Coverage(1, 10, data, 0, (), "2026-11-01", "2026-11-30", 0, (), ())
    return TrailSummary((key,), (), (), (), cov)


def _call(action: str, by: str = "boto3", errors: int = 0, via: str | None = None) -> ObservedCall:
    src, name = action.split(":")
    return ObservedCall(f"{src}.amazonaws.com", name, (action,), "mapped", False, 3, errors, "f", "l", ("eu-west-1",),
                        "ev-1", ("arn:aws:x",), 0, via, by)  # fmt: skip


def _plan(*actions: str) -> PlanResult:
    grants = tuple(Grant(a, ("*",), ("code",), "mapped") for a in actions)
    role = RolePlan("r", "svc", ".", (ORDERS_KEY,), "111122223333", "eu-west-1", grants, (), (), (), (), ())
    return PlanResult(".", (role,), (), ())


BOTO = Consumer("203.0.113.1", "boto3", "1.35", 9, "f", "l", None)


@pytest.mark.parametrize(
    ("calls", "consumers", "additions", "blockers"),
    [
        # observed and granted: nothing to add
        ((_call("sqs:SendMessage"),), (BOTO,), [], 0),
        # observed by the workload, not granted: added
        ((_call("sns:Publish"),), (BOTO,), ["sns:Publish"], 0),
        # observed by someone else's aws-cli: a blocker, never an addition
        (
            (_call("sns:Publish", by="aws-cli"),),
            (BOTO, Consumer("198.51.100.7", "aws-cli", "2", 1, "f", "l", None)),
            [],
            1,
        ),
        # every call failed: no evidence the workload needs it
        ((_call("sns:Publish", errors=3),), (BOTO,), [], 0),
        # made as another role (assumed with the key): not this role's need
        ((_call("sns:Publish", via="arn:aws:iam::1:role/x"),), (BOTO,), [], 0),
        # needs no permission
        ((_call("sts:GetCallerIdentity"),), (BOTO,), [], 0),
        # boto3 from a second address: maybe another copy, maybe someone else: blocks
        ((), (BOTO, Consumer("198.51.100.9", "boto3", "1.35", 2, "f", "l", None)), [], 1),
    ],
)
def test_compare_table(
    calls: tuple[ObservedCall, ...], consumers: tuple[Consumer, ...], additions: list[str], blockers: int
) -> None:
    (t,) = integrate.compare(_plan("sqs:SendMessage"), _summary(calls, consumers))
    assert [a.action for a in t.additions] == additions
    assert len(t.blockers) == blockers


@pytest.mark.parametrize(
    ("action", "data", "words"),
    [
        ("s3:GetObject", 0, "hold no data events"),
        ("s3:GetObject", 5, "selectors may not cover"),
        ("kms:Decrypt", 0, "KMS events are absent"),
        ("iam:ListUsers", 0, "management event not seen"),
    ],
)
def test_unobserved_grants_are_flagged_never_removed(action: str, data: int, words: str) -> None:
    (t,) = integrate.compare(_plan(action), _summary((), (BOTO,), data=data))
    (u,) = t.unobserved
    assert u.action == action and words in u.note
    assert action in json.dumps(t.policy)  # still granted


def test_blast_radius_before_and_after_in_plan_and_review(tmp_path: Path) -> None:
    _, out, _ = run("plan", str(DEMO), "--trail", str(DEMO_TRAIL))
    assert "blast radius: user orders-service: AdministratorAccess, legacy-services/orders-data -> " in out
    assert f"now role {ROLE}: its policy -> 8 action(s) on 5 resource(s)" in out
    review = tmp_path / "review"
    run("migrate", str(DEMO), "--trail", str(DEMO_TRAIL), "--out", str(review), "--no-history")
    md = (review / "trail.md").read_text()
    assert "## Blast radius" in md and f"| {ORDERS_KEY}, AKIARTX3GSDSXD4EDCUD | orders-service: AdministratorAccess" in md


@pytest.mark.parametrize(
    ("statements", "actions", "any_resource", "denies"),
    [
        ([{"Effect": "Allow", "Action": "*", "Resource": "*"}], "all", True, 0),
        (
            [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"}],
            2,
            False,
            0,
        ),
        ([{"Effect": "Allow", "Action": "sqs:*Message*", "Resource": "*"}], "some", True, 0),
        (
            [
                {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
            ],
            "most",
            True,
            1,
        ),
        ({"Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:aws:sns:eu-west-1:1:t"}, 1, False, 0),
    ],
)
def test_blast_radius_counts(statements: object, actions: object, any_resource: bool, denies: int) -> None:
    from keyshift.trail.blast import _all_actions, summarize

    everything = len(_all_actions())
    r = summarize("u", [("p", {"Version": "2012-10-17", "Statement": statements})])
    if actions == "all":
        assert r.actions == everything
    elif actions == "most":
        assert everything - 1000 < r.actions < everything
    elif actions == "some":
        assert 1 < r.actions < 10
    else:
        assert r.actions == actions
    assert r.any_resource is any_resource and r.denies == denies


def test_blast_radius_reads_groups_managed_and_url_encoded_documents() -> None:
    import urllib.parse

    from keyshift.trail.blast import user_radius

    from .demo_trail import authorization_details

    export = authorization_details()
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}],
    }
    export["UserDetailList"][0]["AttachedManagedPolicies"] = []
    export["UserDetailList"][0]["UserPolicyList"] = [
        {"PolicyName": "enc", "PolicyDocument": urllib.parse.quote(json.dumps(doc))}
    ]
    r = user_radius(export, "orders-service")
    assert r is not None and r.policies == ("enc", "legacy-services/orders-data")
    assert r.actions > 100 and r.any_resource  # s3:* and dynamodb:* from the group, kms:Decrypt inline
    assert user_radius(export, "nobody") is None


def test_plan_trail_golden(monkeypatch: pytest.MonkeyPatch) -> None:
    from .helpers import golden

    monkeypatch.chdir(DEMO.parent.parent)
    code, out, _ = run("plan", "fixtures/demo", "--trail", "fixtures/demo-trail")
    assert code == 1
    golden("plan-trail.txt", out)


def test_plan_trail_diffs_against_the_deployed_policy(tmp_path: Path) -> None:
    """The diff is to what is live: a `plan --out` folder, here with the SQS grant dropped by hand."""
    live = tmp_path / "live"
    run("plan", str(DEMO), "--out", str(live), "--exit-zero")
    policy_path = live / ROLE / "policy.json"
    policy = json.loads(policy_path.read_text())
    policy["Statement"] = [s for s in policy["Statement"] if s["Action"] != "sqs:SendMessage"]
    policy_path.write_text(json.dumps(policy))
    code, out, _ = run("plan", str(DEMO), "--trail", str(DEMO_TRAIL), "--deployed", str(live))
    assert code == 1
    assert f"--- {ROLE} (deployed)" in out
    assert '+      "Action": "sqs:SendMessage",' in out  # planned, not live: the diff shows it coming back
    assert (
        code
        == run("plan", str(DEMO), "--trail", str(DEMO_TRAIL), "--deployed", str(tmp_path / "nope"))[0] + -1
    )
