"""eventSource + eventName -> IAM actions, through the planner's shipped table; data-event facts.

CloudTrail names the API operation (``dynamodb.amazonaws.com`` / ``PutItem``); a policy needs the
IAM action. The operation is looked up in the same table and overlay the planner uses
(``planner.iam_map``), so an observed call and a planned grant always speak the same action.
An operation the table does not know becomes ``prefix:Operation`` marked ``inferred``.
"""

from __future__ import annotations

import re
from functools import cache

from keyshift.planner import iam_map

# eventSource host -> IAM prefix, where the two differ
_HOST_PREFIX = {"monitoring": "cloudwatch", "email": "ses", "runtime.sagemaker": "sagemaker"}
# Lambda's CloudTrail event names carry the API version: GetFunction20150331v2
_VERSIONED = re.compile(r"\d{8}(?:v\d+)?$")

# IAM actions whose calls CloudTrail logs only as data events (off unless the trail enables them)
DATA_ACTIONS: dict[str, frozenset[str]] = {
    "s3": frozenset(
        {
            "GetObject",
            "PutObject",
            "DeleteObject",
            "GetObjectVersion",
            "DeleteObjectVersion",
            "GetObjectAcl",
            "PutObjectAcl",
            "GetObjectTagging",
            "PutObjectTagging",
            "DeleteObjectTagging",
            "RestoreObject",
            "AbortMultipartUpload",
            "ListMultipartUploadParts",
            "GetObjectAttributes",
            "GetObjectRetention",
            "PutObjectRetention",
            "GetObjectLegalHold",
            "PutObjectLegalHold",
            "ListBucket",
            "ListBucketVersions",
        }
    ),
    "dynamodb": frozenset(
        {
            "GetItem",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "Scan",
            "BatchGetItem",
            "BatchWriteItem",
            "ConditionCheckItem",
            "PartiQLSelect",
            "PartiQLInsert",
            "PartiQLUpdate",
            "PartiQLDelete",
            "GetRecords",
            "GetShardIterator",
        }
    ),
    "lambda": frozenset({"InvokeFunction", "InvokeFunctionUrl"}),
    "sqs": frozenset({"SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility"}),
    "sns": frozenset({"Publish"}),
    "kinesis": frozenset({"PutRecord", "PutRecords", "GetRecords", "GetShardIterator", "SubscribeToShard"}),
}


def host_prefix(event_source: str) -> str:
    host = event_source.removesuffix(".amazonaws.com")
    return _HOST_PREFIX.get(host, host)


def operation(event_name: str) -> str:
    return _VERSIONED.sub("", event_name)


@cache
def _operations(prefix: str) -> dict[str, tuple[tuple[str, ...], str]]:
    """Every operation of the boto3 services signing as ``prefix``: op -> (actions, confidence)."""
    aliases: dict[str, str] = iam_map.overlay()["prefix_aliases"]
    methods: dict[str, dict[str, dict[str, object]]] = iam_map.table()["methods"]
    out: dict[str, tuple[tuple[str, ...], str]] = {}
    for service in sorted(methods):
        if service != prefix and aliases.get(service) != prefix:
            continue
        for method in sorted(methods[service]):
            found = iam_map.lookup(service, method)
            if found.actions and found.operation not in out:
                out[found.operation] = (found.actions, found.confidence)
    return out


@cache
def to_actions(event_source: str, event_name: str) -> tuple[tuple[str, ...], str]:
    """The IAM actions a logged call needed, and how sure the table is (mapped/conditional/inferred)."""
    prefix = host_prefix(event_source)
    op = operation(event_name)
    known = _operations(prefix).get(op)
    if known is not None:
        return known
    action = f"{prefix}:{op}"
    if iam_map.action_exists(action):
        return (action,), "mapped"
    if prefix == "s3" and op == "ListObjects":
        return ("s3:ListBucket",), "mapped"
    return (action,), "inferred"


def is_data_action(action: str) -> bool:
    prefix, _, name = action.partition(":")
    return name in DATA_ACTIONS.get(prefix, frozenset())
