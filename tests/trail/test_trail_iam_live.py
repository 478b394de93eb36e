"""``plan --trail --iam-live`` and ``migrate --trail --iam-live`` against a moto server on
127.0.0.1 with IAM enforcement on: the blast radius read live with the auditor profile equals
the one read from the export file, the found key is never used, and nothing is asked without
the flag."""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from keyshift.fakes import fake_secret

from .demo_trail import ORDERS_KEY, authorization_details
from .helpers import DEMO, DEMO_TRAIL, run


def _moto(endpoint: str, path: str, body: bytes) -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/{path}", data=body, method="POST",
                                     headers={"Content-Type": "text/plain"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _iam(endpoint: str, key: str, secret: str) -> Any:
    import boto3

    return boto3.client("iam", region_name="us-east-1", endpoint_url=endpoint,
                        aws_access_key_id=key, aws_secret_access_key=secret)  # fmt: skip


@pytest.fixture()
def account(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    """The demo's IAM users, groups, inline and managed policies in moto; an auditor profile.

    Returns (endpoint, trail folder without the export file).
    """
    _moto(moto_endpoint, "reset", b"")
    _moto(moto_endpoint, "reset-auth", b"inf")  # a setup window without IAM checks
    try:
        iam = _iam(moto_endpoint, "AKIAIOSFODNN7EXAMPLE", "setup")
        export = authorization_details()
        (group,) = export["GroupDetailList"]
        iam.create_group(GroupName=group["GroupName"])
        for policy in group["GroupPolicyList"]:
            iam.put_group_policy(GroupName=group["GroupName"], PolicyName=policy["PolicyName"],
                                 PolicyDocument=json.dumps(policy["PolicyDocument"]))  # fmt: skip
        (user,) = export["UserDetailList"]
        iam.create_user(UserName=user["UserName"])
        iam.add_user_to_group(GroupName=group["GroupName"], UserName=user["UserName"])
        # moto loads no AWS managed policy unless told at start: the same document, customer managed
        (admin,) = export["Policies"]
        document = admin["PolicyVersionList"][0]["Document"]
        admin_arn = iam.create_policy(PolicyName=admin["PolicyName"], PolicyDocument=json.dumps(document))
        iam.attach_user_policy(UserName=user["UserName"], PolicyArn=admin_arn["Policy"]["Arn"])
        # a customer managed policy on a user the key does not belong to: read, not counted
        arn = iam.create_policy(PolicyName="reports", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        ))["Policy"]["Arn"]  # fmt: skip
        iam.create_user(UserName="reports")
        iam.attach_user_policy(UserName="reports", PolicyArn=arn)
        iam.create_user(UserName="auditor")
        iam.put_user_policy(UserName="auditor", PolicyName="read", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "iam:GetAccountAuthorizationDetails", "Resource": "*"}]}
        ))  # fmt: skip
        auditor = iam.create_access_key(UserName="auditor")["AccessKey"]
    finally:
        _moto(moto_endpoint, "reset-auth", b"0")  # every call from here on is checked
    creds = tmp_path / "credentials"
    creds.write_text(
        f"[auditor]\naws_access_key_id = {auditor['AccessKeyId']}\n"
        f"aws_secret_access_key = {auditor['SecretAccessKey']}\n"
        f"[found]\naws_access_key_id = {ORDERS_KEY}\naws_secret_access_key = {fake_secret('found')}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    trail = tmp_path / "trail"
    shutil.copytree(DEMO_TRAIL, trail, ignore=shutil.ignore_patterns("authorization-details*"))
    yield moto_endpoint, trail
    # the session's moto server is shared: leave no users (verify's tests name theirs the same)
    _moto(moto_endpoint, "reset", b"")
    _moto(moto_endpoint, "reset-auth", b"0")


def _radius(out: str) -> list[str]:
    return [
        line.strip()
        for line in out.splitlines()
        if "blast radius" in line or line.strip().startswith("now role")
    ]


def test_live_blast_radius_equals_the_export(account: tuple[str, Path], tmp_path: Path) -> None:
    endpoint, trail = account
    _, offline, _ = run("plan", str(DEMO), "--trail", str(DEMO_TRAIL))
    _, without, _ = run("plan", str(DEMO), "--trail", str(trail))
    code, live, err = run("plan", str(DEMO), "--trail", str(trail), "--iam-live", "--profile", "auditor",
                          "--iam-endpoint-url", endpoint)  # fmt: skip
    assert code == 1, err  # the demo's addition and blocker stay open
    assert not _radius(without)  # no export, no flag: no radius, and no network
    assert _radius(live) == _radius(offline)
    assert "blast radius: user orders-service: AdministratorAccess, legacy-services/orders-data -> " in live
    review = tmp_path / "review"
    run("migrate", str(DEMO), "--trail", str(trail), "--out", str(review), "--no-history", "--iam-live",
        "--profile", "auditor", "--iam-endpoint-url", endpoint)  # fmt: skip
    md = (review / "trail.md").read_text()
    assert (
        f"| {ORDERS_KEY}, " in md
        and "| orders-service: AdministratorAccess, legacy-services/orders-data" in md
    )


def test_live_read_never_uses_a_found_key(account: tuple[str, Path]) -> None:
    endpoint, trail = account
    code, _, err = run("plan", str(DEMO), "--trail", str(trail), "--iam-live", "--profile", "found",
                       "--iam-endpoint-url", endpoint)  # fmt: skip
    assert code == 2 and "--iam-live: the auditor profile uses one of the found keys" in err


def test_live_read_says_what_iam_refused(account: tuple[str, Path], tmp_path: Path) -> None:
    endpoint, trail = account
    creds = tmp_path / "credentials"
    creds.write_text(creds.read_text() + "[stranger]\naws_access_key_id = AKIAZZZZZZZZZZZZZZZZ\n"
                     f"aws_secret_access_key = {fake_secret('stranger')}\n")  # fmt: skip
    code, _, err = run("plan", str(DEMO), "--trail", str(trail), "--iam-live", "--profile", "stranger",
                       "--iam-endpoint-url", endpoint)  # fmt: skip
    assert code == 2 and "--iam-live: IAM refused or failed" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trail", "T", "--profile", "auditor"], "--profile and --iam-endpoint-url need --iam-live"),
        (["--iam-live", "--profile", "auditor"], "--iam-live needs --trail"),
        (["--trail", "T", "--iam-live"], "--iam-live needs --profile"),
    ],
)
@pytest.mark.parametrize("command", ["plan", "migrate"])
def test_live_read_is_opt_in(command: str, args: list[str], message: str, tmp_path: Path) -> None:
    args = [str(DEMO_TRAIL) if a == "T" else a for a in args]
    extra = ["--out", str(tmp_path / "review")] if command == "migrate" else []
    code, _, err = run(command, str(DEMO), *args, *extra)
    assert code == 2 and message in err
