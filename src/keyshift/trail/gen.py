"""CloudTrail records for fixtures, tests and benchmarks, in AWS's documented record format.

Follows the "CloudTrail record contents" reference: ``eventVersion`` 1.08/1.09/1.10,
``IAMUser`` and ``AssumedRole`` identities (with ``sessionContext.sessionIssuer``), management
and data events (``eventCategory``, ``managementEvent``, ``resources[]``), error events
(``errorCode``/``errorMessage``), and ``tlsDetails``. Keys come from ``keyshift.fakes`` and
addresses from the documentation ranges (203.0.113.0/24, 198.51.100.0/24), so nothing here is
real. Deterministic for a given seed, so golden files stay stable.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BOTO3_UA = (
    "Boto3/1.35.10 md/Botocore#1.35.10 ua/2.0 os/linux#6.1.102 md/arch#x86_64 lang/python#3.12.5 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.10"
)
CLI_UA = (
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.cp"
)
CONSOLE_UA = "AWS Internal"
JAVA_UA = (
    "aws-sdk-java/2.25.6 Linux/6.1 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10 vendor/Amazon.com_Inc."
)
TERRAFORM_UA = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.8.5 (+https://www.terraform.io) terraform-provider-aws/5.55.0 "
    "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22.4 md/GOOS#linux md/GOARCH#amd64 api/s3#1.56.1"
)

DATA_SOURCES = {
    # (eventSource, eventName prefix-free) pairs AWS logs only when data events are enabled
    "s3.amazonaws.com": {
        "GetObject",
        "PutObject",
        "DeleteObject",
        "HeadObject",
        "CopyObject",
        "ListObjects",
        "ListObjectsV2",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "DeleteObjects",
        "GetObjectAcl",
        "PutObjectAcl",
        "GetObjectTagging",
        "PutObjectTagging",
        "SelectObjectContent",
        "RestoreObject",
        "GetObjectAttributes",
    },
    "dynamodb.amazonaws.com": {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
        "ExecuteStatement",
        "BatchExecuteStatement",
        "ExecuteTransaction",
    },
    "lambda.amazonaws.com": {"Invoke", "InvokeWithResponseStream"},
    "sqs.amazonaws.com": {
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
    },
    "sns.amazonaws.com": {"Publish", "PublishBatch"},
    "secretsmanager.amazonaws.com": set(),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a call: a long-lived key of an IAM user, or a session of a role (ASIA key)."""

    account: str
    key_id: str
    ip: str
    user_agent: str
    user: str | None = None  # IAMUser name
    role: str | None = None  # AssumedRole: the role name
    session: str = "session"

    @property
    def identity(self) -> dict[str, Any]:
        if self.role is None:
            return {
                "type": "IAMUser",
                "principalId": "AIDA" + _b32(self.key_id + "p", 16),
                "arn": f"arn:aws:iam::{self.account}:user/{self.user or 'user'}",
                "accountId": self.account,
                "accessKeyId": self.key_id,
                "userName": self.user or "user",
            }
        role_id = "AROA" + _b32(self.role, 16)
        return {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{self.session}",
            "arn": f"arn:aws:sts::{self.account}:assumed-role/{self.role}/{self.session}",
            "accountId": self.account,
            "accessKeyId": self.key_id,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{self.account}:role/{self.role}",
                    "accountId": self.account,
                    "userName": self.role,
                },
                "attributes": {"creationDate": "2026-11-02T08:00:00Z", "mfaAuthenticated": "false"},
            },
        }


def _b32(seed: str, n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % 32] for b in digest[:n])


def event_id(seed: str) -> str:
    """A stable UUID-shaped event ID."""
    return str(uuid.UUID(bytes=hashlib.md5(seed.encode(), usedforsecurity=False).digest()))


def record(
    actor: Actor,
    source: str,
    name: str,
    *,
    time: str,
    region: str = "eu-west-1",
    params: Mapping[str, Any] | None = None,
    response: Mapping[str, Any] | None = None,
    resources: Iterable[Mapping[str, str]] = (),
    error: tuple[str, str] | None = None,
    version: str = "1.08",
    read_only: bool | None = None,
    seed: str = "",
) -> dict[str, Any]:
    """One CloudTrail record; data or management decided by ``DATA_SOURCES``."""
    data = name in DATA_SOURCES.get(source, ())
    rec: dict[str, Any] = {
        "eventVersion": version,
        "userIdentity": actor.identity,
        "eventTime": time,
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": actor.ip,
        "userAgent": actor.user_agent,
    }
    if error is not None:
        rec["errorCode"], rec["errorMessage"] = error
    rec["requestParameters"] = dict(params) if params is not None else None
    rec["responseElements"] = dict(response) if response is not None and error is None else None
    ident = event_id(f"{seed}|{actor.key_id}|{source}|{name}|{time}")
    rec["requestID"] = ident.replace("-", "").upper()[:20]
    rec["eventID"] = ident
    rec["readOnly"] = (
        read_only if read_only is not None else name.startswith(("Get", "List", "Describe", "Head"))
    )
    res = [dict(r) for r in resources]
    if res:
        rec["resources"] = res
    rec["eventType"] = "AwsApiCall"
    rec["managementEvent"] = not data
    rec["recipientAccountId"] = actor.account
    if data and res:
        rec["sharedEventID"] = event_id("shared" + ident)
    rec["eventCategory"] = "Data" if data else "Management"
    rec["tlsDetails"] = {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com",
    }
    if version >= "1.09" and actor.user_agent == CONSOLE_UA:
        rec["sessionCredentialFromConsole"] = "true"
    return rec


def delivered_name(account: str, region: str, time: str, seq: int) -> str:
    """``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<stamp>_<id>.json.gz``."""
    day = time[:10].replace("-", "/")
    stamp = time[:16].replace("-", "").replace(":", "") + "Z"
    return (
        f"AWSLogs/{account}/CloudTrail/{region}/{day}/"
        f"{account}_CloudTrail_{region}_{stamp}_{_b32(f'{account}{region}{time}{seq}', 16)}.json.gz"
    )


def write_delivered(
    root: Path, records: Iterable[dict[str, Any]], *, per_file: int = 100, level: int = 6, first_seq: int = 0
) -> list[Path]:
    """Write records as a trail delivers them to S3: one gzip ``{"Records": [...]}`` per batch.

    Records are grouped by (account, region, day) in input order; each group is cut into files
    of ``per_file`` records. A digest file is added per day so readers prove they skip it.
    """
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    written: list[Path] = []
    seq = first_seq  # part of each file's name: callers writing in several calls pass distinct ranges

    def flush(key: tuple[str, str, str]) -> None:
        nonlocal seq
        batch = groups.pop(key, [])
        if not batch:
            return
        account, region, _ = key
        path = root / delivered_name(account, region, batch[0]["eventTime"], seq)
        seq += 1
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"Records": batch}, separators=(",", ":")).encode()
        path.write_bytes(gzip.compress(payload, compresslevel=level, mtime=0))
        written.append(path)
        digest = (
            root
            / f"AWSLogs/{account}/CloudTrail-Digest/{region}/{batch[0]['eventTime'][:10].replace('-', '/')}"
        )
        digest.mkdir(parents=True, exist_ok=True)
        (digest / f"{account}_CloudTrail-Digest_{region}.json.gz").write_bytes(
            gzip.compress(b'{"digestStartTime":"x","logFiles":[]}', mtime=0)
        )

    for rec in records:
        key = (rec["recipientAccountId"], rec["awsRegion"], rec["eventTime"][:10])
        groups.setdefault(key, []).append(rec)
        if len(groups[key]) >= per_file:
            flush(key)
    for key in list(groups):
        flush(key)
    return written
