"""Every record of a delivered file, decoded only as far as the report needs (optional: msgspec).

Without ``--keys`` every record must be read, and decoding whole records with ``json`` costs
five to seven times their decompression. This path decodes each slice of the ``Records`` array
with msgspec into typed structs that hold only the fields ``fold`` reads; everything else is
skipped in C without becoming Python objects.

The per-record work is then done by C loops, not by Python code per record: ``attrgetter``
builds each record's group key (what ``fold`` reads of it but its time and event ID) as a tuple,
``Counter`` counts the (group, named parameters, resources) variants, and one sort by time (near
linear: files are written in about time order) followed by two ``dict(zip(...))`` gives each
group its earliest time with its example event and its latest time. Python code runs once per
distinct group of a file (``fold`` with its count and span) and once per distinct variant (its
ARNs, cached across files). Profiling the record-by-record version showed building and looking
up the group key in Python cost more than decoding the record.

It must answer exactly what the full parse answers, so it refuses (``Fallback``) rather than
guesses: a value of an unexpected type, text that is not UTF-8, a cut that landed inside a
nested look-alike of a record start, JSON the standard decoder would reject, a per-key table
that reached its cap (which entries fit then depends on record order). Records that need more
than the grouped form carries (denials, calls that issue temporary keys, request parameters
that are not an object, hold escapes or may hold more values than ``arns.from_record`` walks,
missing times or event IDs) are folded one by one from their decoded fields. ARN values in the
parameters are found in the raw JSON by one C-level regex per record and join the grouped form
(``_ARN_VALUES``), so calls that name KMS keys, topics or functions stay on the grouped path.
The property tests compare this path's partial with the full parse's on adversarial and
generated trails. msgspec is a core dependency; where it cannot be
imported every record goes through the full parse.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from itertools import compress, count, repeat
from operator import add, attrgetter, is_, not_
from typing import Any

import msgspec

from keyshift.trail import arns
from keyshift.trail.fold import CAP, DENIED, ISSUERS, Partial, fold, merge, new_partial


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


_NULL = msgspec.Raw(b"null")


class _Record(msgspec.Struct, gc=False):
    eventVersion: str | None = None
    # raw: hashing its bytes into the group key is cheaper than decoding it into a struct and
    # hashing that; it is decoded once per group
    userIdentity: msgspec.Raw = _NULL
    eventTime: str | None = None
    eventSource: str | None = None
    eventName: str | None = None
    awsRegion: str | None = None
    sourceIPAddress: str | None = None
    userAgent: str | None = None
    errorCode: str | None = None
    errorMessage: str | None = None
    requestParameters: msgspec.Raw = _NULL
    responseElements: msgspec.Raw = _NULL
    eventID: str | None = None
    resources: msgspec.Raw = _NULL
    eventCategory: str | None = None
    managementEvent: bool | None = None
    recipientAccountId: str | None = None


_HEAD = b'{"Records":['
_RECORDS = msgspec.json.Decoder(list[_Record])
_IDENTITY = msgspec.json.Decoder(_Identity | None)
_PARAMS = msgspec.json.Decoder(_Params | None)
_PARAM_NAMES = ("bucketName", "key", "tableName", "queueUrl", "functionName")
# the group key: the identity's bytes and everything else fold reads of a record but its time,
# event ID, parameters and resources
_KEY_FIELDS = (
    "eventVersion",
    "eventSource",
    "eventName",
    "eventCategory",
    "managementEvent",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "recipientAccountId",
)
_KEY = attrgetter(*_KEY_FIELDS)
_IDENTITY_RAW = attrgetter("userIdentity")
_TIME = attrgetter("eventTime")
_ID = attrgetter("eventID")
_SOURCE = attrgetter("eventSource")
_NAME = attrgetter("eventName")
_ERROR = attrgetter("errorCode")
_PARAMS_RAW = attrgetter("requestParameters")
_RESOURCES_RAW = attrgetter("resources")
_GROUPS = 4096  # groups held before they are folded: memory stays bounded on files of any size
_VARIANTS = 16384
_CACHE = 65536  # distinct (group skeleton | variant ARNs) remembered per process across files

Group = tuple[Any, ...]
# (group, named parameters, raw resources, the parameters' other string values starting "arn:")
Variant = tuple[int, "_Params | None", bytes, tuple[bytes, ...]]

# A string value starting with "arn:" in a parameters object without escapes: the quotes bound it
# exactly, and what follows it (a comma or a closing bracket, never a colon) tells a value from a
# key. Every ``"`` there opens or closes a string, so a match never starts inside another string.
_ARN_VALUES = re.compile(rb'"(arn:[^"\\]*)"\s*[,}\]]')
# the walk of ``arns.from_record`` stops after this many values; a parameters object with
# more places for values (colons, commas, brackets) than this is folded by itself
_WIDE = 250

# Per process, across files: group key -> small int (hashing an int is cheaper than re-hashing
# the key tuple in every dict it goes through), the reverse, and what each group folds as.
_gids: dict[Group, int] = {}
_groups: dict[int, Group] = {}
_next = count()
_skeletons: dict[int, dict[str, Any]] = {}
_arns: dict[Variant, tuple[str, ...]] = {}


def _reset_if_large() -> None:
    """Forget the interned groups between batches once there are many (memory stays flat)."""
    if len(_gids) > _CACHE or len(_arns) > _CACHE:
        _gids.clear()
        _groups.clear()
        _skeletons.clear()
        _arns.clear()


class _Groups:
    """Grouped records not yet folded: per group ID its earliest (time, event ID) and latest
    time; per (group, named parameters, resources) variant its count."""

    def __init__(self) -> None:
        self.first: dict[int, str] = {}  # time + "\0" + event ID of the earliest record
        self.last: dict[int, str] = {}
        self.variants: Counter[Variant] = Counter()

    def large(self) -> bool:
        return len(self.first) > _GROUPS or len(self.variants) > _VARIANTS

    def absorb(self, other: _Groups) -> None:
        self.variants.update(other.variants)
        _earliest(self.first, other.first)
        _latest(self.last, other.last)

    def flush(self, p: Partial) -> None:
        """Fold each group once into ``p``, with its count, span and the resources its
        variants name."""
        per_group: dict[int, list[tuple[str, int]]] = {}
        counts: Counter[int] = Counter()
        for v, n in self.variants.items():
            counts[v[0]] += n
            found = _variant_arns(v)
            if found:
                per_group.setdefault(v[0], []).extend(zip(found, repeat(n)))
        for gid, n in counts.items():
            rec = _skeletons[gid]
            time, eid = self.first[gid].split("\0", 1)
            fold(p, {**rec, "eventTime": time, "eventID": eid}, weight=n, last=self.last[gid],
                 resources=per_group.get(gid, ()))  # fmt: skip
        self.variants.clear()
        self.first.clear()
        self.last.clear()


def _earliest(into: dict[int, str], other: dict[int, str]) -> None:
    for g, t in other.items():
        mine = into.get(g)
        if mine is None or t < mine:
            into[g] = t


def _latest(into: dict[int, str], other: dict[int, str]) -> None:
    for g, t in other.items():
        if t > into.get(g, ""):
            into[g] = t


class Batch:
    """Files folded together: what their grouped records have in common is folded once.

    ``add`` reads one file; a file that raises leaves the batch as it was. ``finish`` returns
    the batch's partial, or raises ``Fallback`` when a per-key table reached its cap (then which
    entries fit depends on the order of records and files: read the files one by one).
    """

    def __init__(self) -> None:
        _reset_if_large()
        self.p = new_partial()
        self.groups = _Groups()
        self.broken = False  # a fold of several files' groups failed: the batch is void

    def add(self, regions: Iterator[bytes]) -> None:
        """One file, as the slices of its ``Records`` array (``sources.regions``)."""
        self._absorb(*_read(regions))

    def add_document(self, data: bytes) -> None:
        """One small file, whole, in the compact delivered form (``{"Records":[...]}``):
        its array decoded in one call. Anything after the array but the closing brace (a
        second ``Records``, other keys) makes the slice invalid JSON: the full parse decides."""
        if not data.startswith(_HEAD):
            raise Fallback
        end = len(data)
        while end and data[end - 1] in b" \t\r\n":
            end -= 1
        if data[end - 2 : end] != b"]}":
            raise Fallback
        p = new_partial()
        p["stats"]["files"] = 1
        groups = _Groups()
        _utf8(data)
        try:
            records = _RECORDS.decode(memoryview(data)[len(_HEAD) - 1 : end - 1])
        except (msgspec.DecodeError, RecursionError):
            raise Fallback from None
        _add(p, groups, records)
        self._absorb(p, groups)

    def _absorb(self, p: Partial, groups: _Groups) -> None:
        merge(self.p, p)
        self.groups.absorb(groups)
        if self.groups.large():
            try:
                self.groups.flush(self.p)
            except Fallback:
                self.broken = True

    def finish(self) -> Partial:
        if self.broken:
            raise Fallback
        self.groups.flush(self.p)
        if _capped(self.p):
            raise Fallback
        return self.p


def fold_regions(regions: Iterator[bytes]) -> Partial:
    """Fold every record of the ``regions`` of one delivered file; raises ``Fallback``."""
    batch = Batch()
    batch.add(regions)
    return batch.finish()


def _read(regions: Iterator[bytes]) -> tuple[Partial, _Groups]:
    """One file: (partial of what was folded, groups not yet folded)."""
    p = new_partial()
    p["stats"]["files"] = 1
    groups = _Groups()
    for region in regions:
        _utf8(region)
        body = region[:-1] if region.endswith(b",") else region
        try:
            records = _RECORDS.decode(b"[" + body + b"]")
        except (msgspec.DecodeError, RecursionError):
            raise Fallback from None
        _add(p, groups, records)
        if groups.large():
            groups.flush(p)
    return p, groups


def _utf8(data: bytes) -> None:
    if not data.isascii():
        try:
            data.decode("utf-8")  # msgspec skips unread fields without checking them
        except UnicodeDecodeError:
            raise Fallback from None


def _add(p: Partial, groups: _Groups, records: list[_Record]) -> None:
    """Group ``records`` in C loops; fold the ones the grouped form cannot carry one by one."""
    raws = list(map(bytes, map(_PARAMS_RAW, records)))
    times = list(map(_TIME, records))
    ids = list(map(_ID, records))
    sources = list(map(_SOURCE, records))
    names = list(map(_NAME, records))
    errors = list(map(_ERROR, records))
    joined = b"".join(raws)
    params: list[_Params | None] | None = None
    with_arns = b'"arn:' in joined
    if b"\\" not in joined:
        try:
            params = list(map(_PARAMS.decode, raws))
        except msgspec.DecodeError:  # parameters that are not an object
            params = None
    if (
        params is None
        or None in sources
        or None in names
        or None in times
        or "" in times
        or None in ids
        or "" in ids
        or not DENIED.isdisjoint(errors)
        or ("sts.amazonaws.com" in sources and not ISSUERS.isdisjoint(names))
        or max(map(len, times)) > 32
        or max(map(len, ids)) > 64
        or (with_arns and _any_wide(raws))
    ):
        alone = list(map(_alone, records, raws))
        for r, raw in zip(compress(records, alone), compress(raws, alone), strict=True):
            fold(p, _as_dict(r, _loads(raw)))
        if all(alone):
            return
        keep = list(map(not_, alone))
        records = list(compress(records, keep))
        raws = list(compress(raws, keep))
        times = list(compress(times, keep))
        ids = list(compress(ids, keep))
        params = list(map(_PARAMS.decode, raws))
        with_arns = b'"arn:' in b"".join(raws)
    keys = list(zip(map(bytes, map(_IDENTITY_RAW, records)), map(_KEY, records), strict=True))
    gids: list[int] = list(map(_gids.get, keys))  # type: ignore[arg-type]  # None: checked below
    if None in gids:  # groups not seen before in this process: checked before they are kept
        for key in dict.fromkeys(compress(keys, map(is_, gids, repeat(None)))):
            skeleton = _skeleton(key)  # raises Fallback on an identity of another shape
            gid = next(_next)
            _gids[key] = gid
            _groups[gid] = key
            _skeletons[gid] = skeleton
        gids = list(map(_gids.__getitem__, keys))
    resources = list(map(_RESOURCES_RAW, records))
    # the ARN values of each record's parameters, found in C (``_ARN_VALUES``); their ARNs are
    # made once per distinct variant, like those of the named parameters and resources
    extra = map(tuple, map(_ARN_VALUES.findall, raws)) if with_arns else repeat(())
    if all(map(is_, resources, repeat(_NULL))):  # no record has resources[]: no bytes to make
        groups.variants.update(zip(gids, params, repeat(b"null"), extra, strict=False))
    else:
        groups.variants.update(zip(gids, params, map(bytes, resources), extra, strict=False))
    order_keys = list(map(add, times, map(add, repeat("\0"), ids)))
    order = sorted(range(len(gids)), key=order_keys.__getitem__)
    ordered = list(map(gids.__getitem__, order))
    earliest = map(order_keys.__getitem__, reversed(order))
    _earliest(groups.first, dict(zip(reversed(ordered), earliest, strict=True)))
    _latest(groups.last, dict(zip(ordered, map(times.__getitem__, order), strict=True)))


def _alone(r: _Record, raw: bytes) -> bool:
    """True when ``r`` must be folded by itself (``fold_regions`` names the reasons)."""
    source, name = r.eventSource, r.eventName
    if source is None or name is None or not r.eventTime or not r.eventID:
        return True
    if r.errorCode in DENIED or (name in ISSUERS and source == "sts.amazonaws.com"):
        return True
    if len(r.eventTime) > 32 or len(r.eventID) > 64:
        return True
    if raw == b"null":
        return False
    if raw[:1] != b"{" or b"\\" in raw or (b'"arn:' in raw and _wide(raw)):
        return True
    try:
        _PARAMS.decode(raw)
    except msgspec.DecodeError:  # a named parameter of another type: the full walk decides
        return True
    return False


def _wide(raw: bytes) -> bool:
    """True when the parameters ``raw`` may hold more values than ``arns.from_record`` walks."""
    return raw.count(b":") + raw.count(b",") + raw.count(b"[") >= _WIDE


def _any_wide(raws: list[bytes]) -> bool:
    """True when some parameters of ``raws`` may be ``_wide`` (an upper bound, in C loops)."""
    most = 0
    for sep in (b":", b",", b"["):
        most += max(map(bytes.count, raws, repeat(sep)))
    return most >= _WIDE


def _variant_arns(v: Variant) -> tuple[str, ...]:
    """The ARNs records of a group with these parameters and resources name (cached)."""
    gid, params, res, extra = v
    if params is None and res == b"null" and not extra:
        return ()
    found = _arns.get(v)
    if found is None:
        rec = _skeletons[gid]
        # what arns.from_record reads besides parameters and resources: source, region, accounts
        view = {
            "eventSource": rec["eventSource"],
            "awsRegion": rec["awsRegion"],
            "recipientAccountId": rec["recipientAccountId"],
            "userIdentity": rec.get("userIdentity"),
            "requestParameters": _named(params),
            "resources": None if res == b"null" else _loads(res),
        }
        values = (value.decode("utf-8") for value in extra)  # checked UTF-8 (``_utf8``)
        found = _arns[v] = tuple(arns.from_grouped(view, values))
    return found


def _skeleton(key: Group) -> dict[str, Any]:
    """A group's key as the record ``fold`` reads (without time, event ID, parameters)."""
    identity, fields = key
    rec = dict(zip(_KEY_FIELDS, fields, strict=True))
    rec["errorMessage"] = None
    ui = _decode_identity(identity)
    if ui is not None:
        rec["userIdentity"] = _identity(ui)
    return rec


def _decode_identity(raw: bytes) -> _Identity | None:
    try:
        return _IDENTITY.decode(raw)
    except msgspec.DecodeError:  # a field of another type: the full parse decides
        raise Fallback from None


def _identity(ui: _Identity) -> dict[str, Any]:
    ident: dict[str, Any] = {"accessKeyId": ui.accessKeyId, "arn": ui.arn, "accountId": ui.accountId}
    ctx = ui.sessionContext
    if ctx is not None:
        issuer = ctx.sessionIssuer
        ident["sessionContext"] = {"sessionIssuer": None if issuer is None else {"arn": issuer.arn}}
    return ident


def _capped(p: Partial) -> bool:
    """True when a table of ``p`` may have dropped entries (or reached its cap)."""
    for agg in p["keys"].values():
        if (
            agg["overflow"]
            or len(agg["calls"]) >= CAP
            or len(agg["consumers"]) >= CAP
            or len(agg["identities"]) >= CAP
            or len(agg["resources"]) >= CAP * 4
        ):
            return True
    if p["stats"]["denials_dropped"] or len(p["denials"]) >= CAP:
        return True
    return any(len(table) >= CAP for table in p["denials"].values())


def _named(params: _Params | None) -> dict[str, str] | None:
    if params is None:
        return None
    return {k: v for k in _PARAM_NAMES if (v := getattr(params, k)) is not None}


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise Fallback from None


def _as_dict(r: _Record, params: Any) -> dict[str, Any]:
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
        "resources": _loads(bytes(r.resources)),  # "null" included: rare here
    }
    ui = _decode_identity(bytes(r.userIdentity))
    if ui is not None:
        rec["userIdentity"] = _identity(ui)
    if r.eventName in ISSUERS:
        rec["responseElements"] = _loads(bytes(r.responseElements))
    return rec
