"""ARNs out of a CloudTrail record and out of AWS's authorization error messages.

Resources come from ``resources[]`` and from the request parameters that carry ARNs or the
names AWS builds ARNs from (bucket, table, queue URL, function). Only ARN-shaped strings and
those names are ever taken from ``requestParameters``; no other value of it is kept, so a
secret a caller passed in a request parameter cannot reach the output through this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from keyshift.redact import sha1_hex

_ARN = re.compile(r"arn:aws[a-z\-]*:[a-z0-9\-]+:[a-z0-9\-]*:\d{0,12}:[A-Za-z0-9_+=,.@:/*\-]{1,1024}")
_QUEUE_URL = re.compile(
    r"https://(?:sqs\.)?([a-z0-9\-]+)\.(?:queue\.)?amazonaws\.com/(\d{12})/([\w\-]{1,80}(?:\.fifo)?)$"
)
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,255}$")
_MAX_NODES = 256
# a secret-shaped run anywhere in a value, even glued to a path ("user/<secret>")
_SECRET_RUN = re.compile(r"[A-Za-z0-9/+]{40,}={0,2}")

# "User: arn:aws:sts::111122223333:assumed-role/ROLE/SESSION is not authorized to perform:
#  dynamodb:PutItem on resource: arn:aws:dynamodb:...:table/orders because no identity-based ..."
_NOT_AUTHORIZED = re.compile(
    r"not authorized to perform:?\s*([a-z0-9\-]{2,40}:[A-Za-z0-9*]{2,128})"
    r"(?:\s+on resource:?\s*\"?(arn:[^\s\"]{1,1024}?|[^\s\"]{1,256}?)\"?(?=\s|$|\.\s|\.$|,))?"
)
_PRINCIPAL = re.compile(
    r"User:\s*(arn:aws[a-z\-]*:(?:sts|iam)::(\d{12}):(?:assumed-role|role|user)/[\w+=,.@\-/]{1,512}?)(?=\s|$)"
)


def masked(value: str) -> str:
    """``value`` with any run that could be a secret key or token replaced by its hash marker."""

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        if any(c.isupper() for c in run) and any(c.islower() for c in run) and any(c.isdigit() for c in run):
            return f"<redacted sha1:{sha1_hex(run)[:12]}>"
        return run

    return _SECRET_RUN.sub(repl, value)


def from_record(rec: Mapping[str, Any]) -> Iterator[str]:
    """ARNs a record names, resources[] first; secret-shaped runs in them masked."""
    for arn in _from_record(rec):
        yield masked(arn)


def _from_record(rec: Mapping[str, Any]) -> Iterator[str]:
    yield from _resources(rec)
    params = rec.get("requestParameters")
    if isinstance(params, dict):
        yield from _from_params(params, str(rec.get("eventSource", "")), *_place(rec))


def from_grouped(rec: Mapping[str, Any], values: Iterable[str]) -> Iterator[str]:
    """What ``from_record`` yields for a record whose ``requestParameters`` is only its named
    parameters and whose other string values starting with ``arn:`` are ``values``.

    The every-record path (``quick``) finds those values in the raw JSON of parameters small
    enough for the bounded walk to see whole, so it need not build every record's parameters.
    """
    for arn in _resources(rec):
        yield masked(arn)
    params = rec.get("requestParameters")
    if isinstance(params, dict):
        for arn in _named(params, str(rec.get("eventSource", "")), *_place(rec)):
            yield masked(arn)
    for value in values:
        if _ARN.fullmatch(value):
            yield masked(value)


def _resources(rec: Mapping[str, Any]) -> Iterator[str]:
    res = rec.get("resources")
    if isinstance(res, list):
        for item in res[:_MAX_NODES]:
            if isinstance(item, dict):
                arn = item.get("ARN") or item.get("arn")
                if isinstance(arn, str) and _ARN.fullmatch(arn):
                    yield arn


def _place(rec: Mapping[str, Any]) -> tuple[str, str]:
    """(region, account) the ARNs built from a record's names are in."""
    region = str(rec.get("awsRegion") or "*")
    account = str(rec.get("recipientAccountId") or (rec.get("userIdentity") or {}).get("accountId") or "*")
    return region, account


def _from_params(params: Mapping[str, Any], source: str, region: str, account: str) -> Iterator[str]:
    yield from _named(params, source, region, account)
    yield from _walk(params)


def _named(params: Mapping[str, Any], source: str, region: str, account: str) -> Iterator[str]:
    """ARNs built from the names AWS builds them from (bucket and key, table, queue, function)."""
    bucket = params.get("bucketName")
    if isinstance(bucket, str) and _NAME.match(bucket):
        key = params.get("key")
        if isinstance(key, str) and 0 < len(key) <= 1024:
            yield f"arn:aws:s3:::{bucket}/{key}"
        else:
            yield f"arn:aws:s3:::{bucket}"
    table = params.get("tableName")
    if isinstance(table, str) and _NAME.match(table):
        yield f"arn:aws:dynamodb:{region}:{account}:table/{table}"
    url = params.get("queueUrl")
    if isinstance(url, str):
        m = _QUEUE_URL.match(url)
        if m:
            yield f"arn:aws:sqs:{m.group(1)}:{m.group(2)}:{m.group(3)}"
    function = params.get("functionName")
    if isinstance(function, str) and _NAME.match(function) and source.startswith("lambda."):
        yield f"arn:aws:lambda:{region}:{account}:function:{function}"


def _walk(params: Mapping[str, Any]) -> Iterator[str]:
    """Any ARN-valued parameter, at any depth: a walk bounded to ``_MAX_NODES`` values."""
    stack: list[Any] = [params]
    seen = 0
    while stack and seen < _MAX_NODES:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node[:_MAX_NODES])
        elif isinstance(node, str) and node.startswith("arn:") and _ARN.fullmatch(node):
            yield node


def denied_action(message: str) -> tuple[str | None, str | None]:
    """(action, resource) when AWS names them in an authorization error message."""
    m = _NOT_AUTHORIZED.search(message[:4096])
    if m is None:
        return None, None
    return m.group(1), masked(m.group(2)) if m.group(2) else None


def denied_principal(message: str) -> tuple[str | None, str | None]:
    """(principal ARN, role name or None) named by ``User: ...`` in an error message."""
    m = _PRINCIPAL.search(message[:4096])
    if m is None:
        return None, None
    arn = masked(m.group(1))
    role = None
    if ":assumed-role/" in arn:
        role = arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
    elif ":role/" in arn:
        role = arn.rsplit("/", 1)[1]
    return arn, role
