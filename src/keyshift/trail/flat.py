"""Rows and summaries -> CloudTrail records, so one fold reads every input shape.

``lookup-events`` gives each event's full record as the string ``CloudTrailEvent``; CloudTrail
Lake and Athena give rows of columns named by the query. Column names are matched without case,
dots or underscores, so ``useridentity.accesskeyid``, ``userIdentity_accessKeyId`` and
``accesskeyid`` all fill ``userIdentity.accessKeyId``. Athena renders structs as
``{type=IAMUser, accesskeyid=AKIA..., ...}``; the fields the fold needs are read out of that too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_MAX_FIELD = 256 * 1024

_TOP = {
    "eventtime": "eventTime",
    "eventsource": "eventSource",
    "eventname": "eventName",
    "awsregion": "awsRegion",
    "sourceipaddress": "sourceIPAddress",
    "useragent": "userAgent",
    "errorcode": "errorCode",
    "errormessage": "errorMessage",
    "eventid": "eventID",
    "eventcategory": "eventCategory",
    "eventversion": "eventVersion",
    "recipientaccountid": "recipientAccountId",
    "readonly": "readOnly",
}
_IDENTITY = {
    "useridentityaccesskeyid": "accessKeyId",
    "accesskeyid": "accessKeyId",
    "useridentitytype": "type",
    "useridentityarn": "arn",
    "useridentityaccountid": "accountId",
}
_ISSUER = ("useridentitysessioncontextsessionissuerarn", "sessionissuerarn", "issuerarn")
_JSONISH = ("requestparameters", "responseelements")
_STRUCT_FIELD = re.compile(r"\b(type|arn|accesskeyid|accountid)=([^,}\s]{1,512})")
_ARN = re.compile(r"arn:aws[a-z\-]*:[^,}\]\s\"]{3,1024}")


def _norm(name: str) -> str:
    return name.lower().replace(".", "").replace("_", "").replace(" ", "").strip('"')


def _json(value: Any) -> Any:
    if isinstance(value, str) and 1 < len(value) <= _MAX_FIELD and value[0] in "{[":
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return None
    return value if isinstance(value, dict | list) else None


def from_row(row: Any) -> Any:
    """A flat result row (dict of column -> value) as a CloudTrail record; anything else unchanged."""
    if not isinstance(row, Mapping):
        return row
    rec: dict[str, Any] = {}
    ident: dict[str, Any] = {}
    issuer: str | None = None
    for column, value in row.items():
        if not isinstance(column, str) or value is None or value == "":
            continue
        key = _norm(column)
        if key in _TOP:
            rec[_TOP[key]] = str(value)[:4096]
        elif key in _IDENTITY:
            ident[_IDENTITY[key]] = str(value)[:512]
        elif key in _ISSUER:
            issuer = str(value)[:512]
        elif key in _JSONISH:
            parsed = _json(value)
            if parsed is not None:
                rec["requestParameters" if key == "requestparameters" else "responseElements"] = parsed
        elif key == "useridentity":
            parsed = _json(value)
            if isinstance(parsed, dict):
                ident.update(parsed)
            elif isinstance(value, str):
                for name, field in _STRUCT_FIELD.findall(value[:8192]):
                    target = {
                        "type": "type",
                        "arn": "arn",
                        "accesskeyid": "accessKeyId",
                        "accountid": "accountId",
                    }
                    ident.setdefault(target[name], field)
                m = re.search(r"sessionissuer=\{[^}]*?arn=([^,}\s]+)", value[:8192])
                if m:
                    issuer = m.group(1)
        elif key == "resources":
            parsed = _json(value)
            if isinstance(parsed, list):
                rec["resources"] = parsed
            elif isinstance(value, str):
                rec["resources"] = [{"ARN": a} for a in _ARN.findall(value[:65536])]
    if issuer:
        ident.setdefault("sessionContext", {"sessionIssuer": {"arn": issuer}})
    if ident:
        rec["userIdentity"] = ident
    return rec


def lake_row(row: Any) -> Any:
    """A CloudTrail Lake ``QueryResultRows`` row (list of one-key objects) as one dict."""
    if not isinstance(row, list):
        return row
    out: dict[str, Any] = {}
    for cell in row[:256]:
        if isinstance(cell, dict):
            out.update(cell)
    return out


def from_lookup(event: Any) -> Any:
    """A ``lookup-events`` entry: its ``CloudTrailEvent`` record, or the summary fields if that is absent."""
    if not isinstance(event, dict):
        return event
    inner = event.get("CloudTrailEvent")
    if isinstance(inner, str) and len(inner) <= 8 * _MAX_FIELD:
        try:
            rec = json.loads(inner)
        except (ValueError, RecursionError):
            rec = None
        if isinstance(rec, dict):
            return rec
    return from_row(
        {
            "eventTime": event.get("EventTime"),
            "eventSource": event.get("EventSource"),
            "eventName": event.get("EventName"),
            "eventId": event.get("EventId"),
            "accessKeyId": event.get("AccessKeyId"),
            "resources": json.dumps(
                [{"ARN": r.get("ResourceName")} for r in event.get("Resources") or [] if isinstance(r, dict)]
            ),
        }
    )
