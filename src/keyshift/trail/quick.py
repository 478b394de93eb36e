"""Every record of a delivered file, decoded only as far as the report needs (optional: msgspec).

Without ``--keys`` every record must be read, and decoding whole records with ``json`` costs
five to seven times their decompression. This path decodes each slice of the ``Records`` array
with msgspec into typed structs that hold only the fields ``fold`` reads; everything else is
skipped in C without becoming Python objects. Records that differ only in their time and event
ID are then folded once, with their count and time span (``fold``'s ``weight`` and ``last``), so
the per-record Python work is a tuple and a dict lookup.

It must answer exactly what the full parse answers, so it refuses (``Fallback``) rather than
guesses: a value of an unexpected type, text that is not UTF-8, a cut that landed inside a
nested look-alike of a record start, JSON the standard decoder would reject. Records that need
more than the grouped form carries (denials, calls that issue temporary keys, request
parameters with escapes or ARNs) are folded one by one, in order, from their decoded fields.
The property tests compare this path's partial with the full parse's on adversarial records.
msgspec is an optional dependency (``pip install keyshift[fast]``); without it every record
goes through the full parse.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import msgspec

from keyshift.trail.fold import DENIED, ISSUERS, OrderSensitive, Partial, fold, new_partial


class Fallback(Exception):
    """The file is not in the shape this path reads exactly: parse it in full instead."""


class _Issuer(msgspec.Struct, gc=False, frozen=True):
    arn: str | None = None


class _Context(msgspec.Struct, gc=False, frozen=True):
    sessionIssuer: _Issuer | None = None


class _Identity(msgspec.Struct, gc=False, frozen=True):
    accessKeyId: str | None = None
    arn: str | None = None
    accountId: str | None = None
    sessionContext: _Context | None = None


class _Params(msgspec.Struct, gc=False, frozen=True):
    """The request parameters AWS builds ARNs from (``arns.from_record``)."""

    bucketName: str | None = None
    key: str | None = None
    tableName: str | None = None
    queueUrl: str | None = None
    functionName: str | None = None


class _Record(msgspec.Struct, gc=False):
    eventVersion: str | None = None
    userIdentity: _Identity | None = None
    eventTime: str | None = None
    eventSource: str | None = None
    eventName: str | None = None
    awsRegion: str | None = None
    sourceIPAddress: str | None = None
    userAgent: str | None = None
    errorCode: str | None = None
    errorMessage: str | None = None
    requestParameters: msgspec.Raw = msgspec.Raw()
    responseElements: msgspec.Raw = msgspec.Raw()
    eventID: str | None = None
    resources: msgspec.Raw = msgspec.Raw()
    eventCategory: str | None = None
    managementEvent: bool | None = None
    recipientAccountId: str | None = None


_RECORDS = msgspec.json.Decoder(list[_Record])
_PARAMS = msgspec.json.Decoder(_Params)
_PARAM_NAMES = ("bucketName", "key", "tableName", "queueUrl", "functionName")
_NO_PARAMS = (b"", b"null")
_UNNAMED = _Params()  # parameters none of whose names AWS builds an ARN from
_GROUPS = 4096  # groups held before they are folded: memory stays bounded on files of any size


def fold_regions(regions: Iterator[bytes]) -> Partial:
    """Fold every record of the ``regions`` of one delivered file; raises ``Fallback``."""
    p = new_partial()
    p["stats"]["files"] = 1
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for region in regions:
        if not region.isascii():
            try:
                region.decode("utf-8")  # msgspec skips unread fields without checking them
            except UnicodeDecodeError:
                raise Fallback from None
        body = region[:-1] if region.endswith(b",") else region
        try:
            records = _RECORDS.decode(b"[" + body + b"]")
        except (msgspec.DecodeError, RecursionError):
            raise Fallback from None
        _fold_records(p, records, groups)
        if len(groups) > _GROUPS:
            _flush(p, groups)
    _flush(p, groups)
    return p


def _fold_records(p: Partial, records: list[_Record], groups: dict[tuple[Any, ...], list[Any]]) -> None:
    for r in records:
        key, params = _group(r)
        if key is None:
            _flush(p, groups)  # keep the order of first appearance for what is folded alone
            fold(p, _as_dict(r, _loads(r.requestParameters)))
            continue
        time = r.eventTime[:32]  # type: ignore[index]  # _group checked it
        eid = r.eventID[:64] if r.eventID is not None else ""
        variant = (params, bytes(r.resources))
        g = groups.get(key)
        if g is None:
            groups[key] = [1, time, eid, time, r, {variant: 1}]
            continue
        g[0] += 1
        variants = g[5]
        variants[variant] = variants.get(variant, 0) + 1
        if time < g[1] or (time == g[1] and eid and (not g[2] or eid < g[2])):
            g[1] = time
            g[2] = eid
        elif time > g[3]:
            g[3] = time


_ALONE: tuple[None, None] = (None, None)


def _group(r: _Record) -> tuple[tuple[Any, ...] | None, _Params | None]:
    """(what the fold reads of ``r`` but its time, event ID, parameters and resources; the
    parameters that name resources), or (None, None) to fold ``r`` alone."""
    source, name = r.eventSource, r.eventName
    if source is None or name is None or not r.eventTime or r.errorCode in DENIED:
        return _ALONE
    if name in ISSUERS and source == "sts.amazonaws.com":
        return _ALONE
    raw = bytes(r.requestParameters)
    params: _Params | None = None
    if raw not in _NO_PARAMS:
        if raw[:1] != b"{" or b"\\" in raw or b'"arn:' in raw:
            return _ALONE  # escapes or ARN values anywhere: the bounded walk must see the whole object
        if b'Name"' in raw or b'"queueUrl"' in raw:
            try:
                params = _PARAMS.decode(raw)
            except msgspec.DecodeError:
                return _ALONE
        else:
            params = _UNNAMED
    return (
        r.eventVersion,
        source,
        name,
        r.eventCategory,
        r.managementEvent,
        r.userIdentity,  # frozen, so hashable; its session issuer only splits groups further
        r.awsRegion,
        r.sourceIPAddress,
        r.userAgent,
        r.errorCode,
        r.recipientAccountId,
    ), params


def _flush(p: Partial, groups: dict[tuple[Any, ...], list[Any]]) -> None:
    for count, first, eid, last, r, variants in groups.values():
        rec = _as_dict(r, None, resources=False)
        rec["eventTime"] = first
        rec["eventID"] = eid
        views = [(_named(params), _loads(res), n) for (params, res), n in variants.items()]
        try:
            fold(p, rec, weight=count, last=last, variants=views)
        except OrderSensitive:
            raise Fallback from None
    groups.clear()


def _named(params: _Params | None) -> dict[str, str] | None:
    if params is None:
        return None
    return {k: v for k in _PARAM_NAMES if (v := getattr(params, k)) is not None}


def _loads(raw: msgspec.Raw) -> Any:
    data = bytes(raw)
    if not data:
        return None
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise Fallback from None


def _as_dict(r: _Record, params: Any, *, resources: bool = True) -> dict[str, Any]:
    """The record as ``fold`` reads it (absent and null are alike to it)."""
    rec: dict[str, Any] = {
        "eventVersion": r.eventVersion,
        "eventTime": r.eventTime,
        "eventSource": r.eventSource,
        "eventName": r.eventName,
        "awsRegion": r.awsRegion,
        "sourceIPAddress": r.sourceIPAddress,
        "userAgent": r.userAgent,
        "errorCode": r.errorCode,
        "errorMessage": r.errorMessage,
        "eventID": r.eventID,
        "eventCategory": r.eventCategory,
        "managementEvent": r.managementEvent,
        "recipientAccountId": r.recipientAccountId,
        "requestParameters": params,
        "resources": _loads(r.resources) if resources else None,
    }
    ui = r.userIdentity
    if ui is not None:
        ident: dict[str, Any] = {"accessKeyId": ui.accessKeyId, "arn": ui.arn, "accountId": ui.accountId}
        ctx = ui.sessionContext
        if ctx is not None:
            issuer = ctx.sessionIssuer
            ident["sessionContext"] = {"sessionIssuer": None if issuer is None else {"arn": issuer.arn}}
        rec["userIdentity"] = ident
    if r.eventName in ISSUERS:
        rec["responseElements"] = _loads(r.responseElements)
    return rec
