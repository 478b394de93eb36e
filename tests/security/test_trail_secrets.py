"""A secret anywhere in a CloudTrail event (request parameters, response elements, error
messages, user agents, addresses, identities, resources) never reaches any output of
``trail``, ``plan --trail`` or ``migrate --trail``, in any encoding and any format, whichever
reader took the event (delivered files on the grouped or the full path, ``--keys``,
``lookup-events``, an Athena CSV, application logs)."""

from __future__ import annotations

import base64
import csv
import json
import shutil
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from tests.trail.demo_trail import ORDERS_KEY
from tests.trail.helpers import DEMO, DEMO_TRAIL, run

from keyshift.fakes import fake_key_id, fake_secret, fake_session_token
from keyshift.trail import gen

ACCOUNT = "111122223333"
SECRET = fake_secret("trail-secrets")
TOKEN = fake_session_token("trail-secrets")
ROLE_KEY = fake_key_id(ACCOUNT, prefix="ASIA", seed="trail-secrets-role")


def _encodings(secret: str) -> list[str]:
    return [
        secret,
        base64.b64encode(secret.encode()).decode(),
        base64.urlsafe_b64encode(secret.encode()).decode(),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        json.dumps(secret)[1:-1],
        secret.encode().hex(),
        secret.encode().hex().upper(),
    ]


def _fragments(secret: str, n: int = 16) -> list[str]:
    """Runs of the secret long enough to matter (a version or a name cut out of it)."""
    return [secret[i : i + n] for i in range(len(secret) - n + 1)]


def _records(key: str) -> list[dict[str, Any]]:
    t = "2026-11-02T10:{:02d}:00Z".format
    agents = [f"aws-cli/2.15.{SECRET}", f"Boto3/1.{SECRET} Botocore/1.{SECRET}", f"{SECRET.lower()}.amazonaws.com",
              SECRET, f"{SECRET[:20]}/1.0 x", f"aws-sdk-java/{TOKEN[:40]}"]  # fmt: skip
    out = []
    for i, ua in enumerate(agents):
        actor = gen.Actor(ACCOUNT, key, "203.0.113.9" if i % 2 else SECRET, ua, user=f"u/{SECRET}")
        out.append(gen.record(
            actor, "sns.amazonaws.com", "Publish", time=t(i), seed=f"ua{i}",
            params={"topicArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:{SECRET}", "message": SECRET,
                    "subject": urllib.parse.quote(SECRET, safe=""), "b64": base64.b64encode(SECRET.encode()).decode()},
            resources=[{"ARN": f"arn:aws:s3:::acme/{SECRET}"}, {"ARN": f"arn:aws:s3:::acme/{urllib.parse.quote(SECRET)}"}],
        ))  # fmt: skip
    app = gen.Actor(ACCOUNT, key, "203.0.113.5", gen.BOTO3_UA, user="app")
    out.append(gen.record(app, "s3.amazonaws.com", "GetObject", time=t(10), seed="b64key",
                          params={"bucketName": "acme", "key": f"k/{base64.b64encode(SECRET.encode()).decode()}"}))
    out.append(gen.record(app, "secretsmanager.amazonaws.com", "GetSecretValue", time=t(11), seed="resp",
                          params={"secretId": "db"}, response={"secretString": SECRET}))
    out.append(gen.record(app, "sts.amazonaws.com", "GetSessionToken", time=t(12), seed="sts",
                          response={"credentials": {"accessKeyId": ROLE_KEY, "sessionToken": TOKEN,
                                                    "secretAccessKey": SECRET}}))
    out.append(gen.record(app, "kms.amazonaws.com", "Decrypt", time=t(13), seed="err",
                          error=("ValidationException", f"bad ciphertext {SECRET} {TOKEN}")))
    role = gen.Actor(ACCOUNT, ROLE_KEY, SECRET, f"aws-cli/{SECRET}", role="orders-service-task-role", session="s")
    out.append(gen.record(role, "dynamodb.amazonaws.com", "PutItem", time=t(14), seed="deny",
                          params={"tableName": "orders", "item": {"k": {"S": SECRET}}},
                          error=("AccessDeniedException", f"User: arn:aws:sts::{ACCOUNT}:assumed-role/r/{SECRET} is not "
                                 f"authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:"
                                 f"{ACCOUNT}:table/{SECRET} because {TOKEN}")))  # fmt: skip
    return out  # fmt: skip


def _inputs(root: Path, key: str) -> Path:
    """The same events as a delivered trail, a lookup-events page, an Athena CSV; plus an app log."""
    recs = _records(key)
    gen.write_delivered(root / "trail", recs, per_file=len(recs))
    page = {"Events": [{"EventId": r["eventID"], "EventName": r["eventName"], "AccessKeyId": key,
                        "CloudTrailEvent": json.dumps(r)} for r in recs]}  # fmt: skip
    (root / "lookup.json").write_text(json.dumps(page))
    with open(root / "athena.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["eventtime", "eventsource", "eventname", "useridentity.accesskeyid", "useragent",
                    "sourceipaddress", "requestparameters", "errorcode", "errormessage"])  # fmt: skip
        for r in recs:
            w.writerow([r["eventTime"], r["eventSource"], r["eventName"], key, r["userAgent"], r["sourceIPAddress"],
                        json.dumps(r["requestParameters"]), r.get("errorCode", ""), r.get("errorMessage", "")])  # fmt: skip
    (root / "app.log").write_text(
        "botocore.exceptions.ClientError: An error occurred (AccessDeniedException) when calling the PutItem "
        f"operation: User: arn:aws:sts::{ACCOUNT}:assumed-role/orders-service-task-role/{SECRET} is not authorized "
        f"to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/{SECRET}\n"
        f"token={TOKEN} secret={SECRET}\n"
    )
    return root


def _assert_clean(*texts: str) -> None:
    text = "\n".join(texts)
    for secret in (SECRET, TOKEN):
        for encoded in _encodings(secret):
            assert encoded not in text, encoded
    for fragment in _fragments(SECRET) + _fragments(SECRET.lower()):
        assert fragment not in text, fragment


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("source", ["trail", "lookup.json", "athena.csv"])
@pytest.mark.parametrize("keys", [False, True])
def test_trail_never_prints_a_secret_from_an_event(tmp_path: Path, fmt: str, source: str, keys: bool) -> None:
    key = fake_key_id(ACCOUNT, seed="trail-secrets")
    root = _inputs(tmp_path, key)
    args = ["trail", str(root / source), "--logs", str(root / "app.log"), "--format", fmt, "--exit-zero"]
    code, out, err = run(*args, *(["--keys", key] if keys else []))
    assert code == 0
    assert "Publish" in out and "PutItem" in out  # the events were read...
    _assert_clean(out, err)  # ...and nothing secret was shown


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_plan_trail_never_prints_a_secret_from_an_event(tmp_path: Path, fmt: str) -> None:
    trail = tmp_path / "trail"
    shutil.copytree(DEMO_TRAIL, trail)
    _inputs(tmp_path / "more", ORDERS_KEY)
    shutil.copytree(tmp_path / "more" / "trail", trail / "hostile")
    code, out, err = run("plan", str(DEMO), "--trail", str(trail), "--logs", str(tmp_path / "more" / "app.log"),
                         "--format", fmt)  # fmt: skip
    assert code == 1 and "sns:Publish" in out  # an addition, with its evidence
    _assert_clean(out, err)


def test_migrate_trail_never_writes_a_secret_from_an_event(tmp_path: Path) -> None:
    trail = tmp_path / "trail"
    shutil.copytree(DEMO_TRAIL, trail)
    _inputs(tmp_path / "more", ORDERS_KEY)
    shutil.copytree(tmp_path / "more" / "trail", trail / "hostile")
    review = tmp_path / "review"
    code, out, err = run("migrate", str(DEMO), "--trail", str(trail), "--logs", str(tmp_path / "more" / "app.log"),
                         "--out", str(review), "--no-history")  # fmt: skip
    assert code == 1
    written = [p.read_text(errors="replace") for p in review.rglob("*") if p.is_file()]
    assert any("sns:Publish" in text for text in written)
    _assert_clean(out, err, *written)
