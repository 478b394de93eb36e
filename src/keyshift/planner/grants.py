"""From a workload's API calls to IAM grants: actions from the table, resources from arguments.

Each grant keeps its evidence: the call (``s3.put_object at orders/storage.py:17``) and the
credential it used, a key or the default chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from keyshift.planner import conditions, iam_map
from keyshift.planner.deploy import Service
from keyshift.planner.records import ApiCall
from keyshift.planner.resources import Scope, queue_account_region, resolve, strings
from keyshift.planner.shapes import (
    REENCRYPT,
    SMS_WHY,
    athena_extras,
    kms_aliases,
    partiql,
    passed_roles,
    present,
    s3_objects_read,
    sms_only,
    ssm_keys,
    transact_actions,
    with_context,
)
from keyshift.planner.values import Const, DictV, Origin, Prefix, Values

_KMS_ENCRYPT = frozenset({"put_object", "copy_object", "create_multipart_upload", "upload_part"})


@dataclass(frozen=True, slots=True)
class Grant:
    """One action on some resources, with the call sites that need it."""

    action: str
    resources: tuple[str, ...]
    because: tuple[str, ...]
    confidence: str
    condition: tuple[tuple[str, str, str], ...] = ()  # (operator, key, value)
    why_any: str | None = None


def _copy_source(call: ApiCall) -> ApiCall | None:
    source = call.param("CopySource")
    if source is None:
        return None
    buckets: set[Const | Prefix] = set()
    keys: set[Const | Prefix] = set()
    for value in source:
        if isinstance(value, Const):
            bucket, _, key = value.value.lstrip("/").partition("/")
            buckets.add(Const(bucket))
            keys.add(Const(key.split("?", 1)[0], _key_wild(value.wild, bucket)) if key else Prefix(""))
        elif isinstance(value, Prefix) and "/" in value.value:
            bucket, _, key = value.value.lstrip("/").partition("/")
            buckets.add(Const(bucket))
            keys.add(Prefix(key, _key_wild(value.wild, bucket)))
        elif isinstance(value, DictV):
            buckets.update(v for v in value.get("Bucket") or () if isinstance(v, Const | Prefix))
            keys.update(v for v in value.get("Key") or () if isinstance(v, Const | Prefix))
    params = (("Bucket", frozenset(buckets)), ("Key", frozenset(keys)))
    return replace(call, method="get_object", params=params)


def _key_wild(wild: str | None, bucket: str) -> str | None:
    """The key part of a ``bucket/key`` copy source whose parts came from parameters."""
    if wild is None:
        return None
    head = f"{bucket}/"
    stripped = wild.lstrip("/")
    return stripped[len(head) :].split("?", 1)[0] if stripped.startswith(head) else "*"


# parameters that name a resource (not data such as an object key or a message body)
_NAME_PARAMS = frozenset(
    {
        "Bucket",
        "TableName",
        "QueueUrl",
        "QueueName",
        "TopicArn",
        "TargetArn",
        "FunctionName",
        "SecretId",
        "Name",
        "Names",
        "StreamName",
        "StreamARN",
        "logGroupName",
        "stateMachineArn",
        "JobName",
        "WorkGroup",
        "RoleArn",
        "repositoryName",
        "DeliveryStreamName",
        "EventBusName",
    }
)


def _names_from_parameters(call: ApiCall) -> list[str]:
    """Resource-naming arguments whose literal values reached the call through a parameter."""
    return [
        name
        for name, values in call.params
        if name in _NAME_PARAMS and any(isinstance(v, Const | Prefix) and v.wild is not None for v in values)
    ]


def _equals(call: ApiCall, extra: dict[str, Any]) -> bool:
    """An extra with ``equals`` applies when the argument can be that literal (``auto``)."""
    if "equals" not in extra:
        return True
    return any(s == extra["equals"] for s in strings(call.param(extra["param"])))


def _kms(call: ApiCall) -> bool:
    """A customer managed key is named: the role needs KMS rights (the aws/s3 key needs none)."""
    return present(call, "SSEKMSKeyId")


def _kms_default(call: ApiCall) -> bool:
    sse = strings(call.param("ServerSideEncryption"))
    return any(isinstance(s, str) and s.startswith("aws:kms") for s in sse) and not _kms(call)


def grants_for(
    calls: list[ApiCall],
    account: str,
    default_region: str | None,
    service: Service,
    partition: str,
    tags: dict[tuple[str, int], str] | None = None,
    placeholders: set[str] | None = None,
) -> tuple[tuple[Grant, ...], set[str]]:
    """The grants ``calls`` need; ``tags`` says which credential each call site used. With
    ``placeholders`` (a set that collects what a human must fill in), a write or delete on an
    unknown resource gets a placeholder ARN instead of ``*``."""
    notes: set[str] = set()
    tags = tags or {}
    acc: dict[tuple[str, tuple[tuple[str, str, str], ...]], dict[str, Any]] = {}
    calls = with_context(calls)
    listed: dict[str, tuple[set[str] | None, list[tuple[ApiCall, Scope]]]] = {}  # head_object's buckets

    def add(
        action: str,
        call: ApiCall,
        scope: Scope,
        confidence: str,
        condition: tuple[tuple[str, str, str], ...] = (),
        resolved_from: ApiCall | None = None,
        forced: tuple[str, ...] | None = None,
        forced_why: str = "key ID or alias not a literal",
    ) -> None:
        if forced is not None:
            resources = forced
            why = None if forced != ("*",) else f"{action}: {forced_why}"
        else:
            resolved = resolve(action, resolved_from or call, scope, placeholders is not None)
            resources, why = resolved.resources, resolved.why_any
            if resolved.missing and placeholders is not None:
                placeholders.add(
                    f"{call.via} at {call.path}:{call.line}: {action} on {', '.join(resources)}: "
                    f"replace <{'>, <'.join(resolved.missing)}> with the real value "
                    "(or run with --allow-wildcards to grant *)"
                )
        slot = acc.setdefault(
            (action, condition), {"resources": set(), "because": set(), "confidence": set(), "why": set()}
        )
        slot["resources"].update(resources)
        tag = tags.get((call.path, call.line))
        slot["because"].add(f"{call.via} at {call.path}:{call.line}" + (f" ({tag})" if tag else ""))
        slot["confidence"].add(confidence)
        if why:
            slot["why"].add(why)

    for call in calls:
        mapping = iam_map.lookup(call.service, call.method)
        if mapping.confidence == "none":
            notes.add(f"{call.via} at {call.path}:{call.line}: {mapping.note}")
            continue
        if mapping.confidence == "inferred":
            notes.add(f"{call.via} at {call.path}:{call.line}: {mapping.note}; action inferred")
        passed = _names_from_parameters(call)
        if passed:
            notes.add(
                f"{call.via} at {call.path}:{call.line}: {', '.join(passed)} from a function parameter: "
                "granted for the values the repository's own calls pass; add any other caller's"
            )
        statements = partiql(call)
        for scope in _scopes(call, account, default_region, service, partition):
            if statements:
                for action, table in statements:
                    params: tuple[tuple[str, Values], ...] = (("TableName", frozenset({Const(table)})),)
                    add(action, call, scope, "mapped", resolved_from=replace(call, params=params))
                continue
            actions = transact_actions(call) or list(mapping.actions)
            actions += iam_map.companions(call.service, call.method)
            if sms_only(call):
                for action in actions:
                    add(action, call, scope, mapping.confidence, forced=("*",), forced_why=SMS_WHY)
                continue
            aliases = kms_aliases(call)
            if aliases:
                # a key named by alias is authorized on the key it points to, unknown here: any key
                # of the account, only when the request names that alias
                keys = (f"arn:{scope.partition}:kms:{scope.region}:{scope.account}:key/*",)
                for action in actions:
                    for alias in aliases:
                        alias_condition = (("StringEquals", "kms:RequestAlias", alias),)
                        add(action, call, scope, mapping.confidence, alias_condition, forced=keys)
                continue
            for extra in iam_map.overlay()["extras"]:
                applies = extra["service"] == call.service and call.method in extra["methods"]
                if applies and present(call, extra["param"]) and _equals(call, extra):
                    if extra.get("replaces") in actions:
                        actions.remove(extra["replaces"])
                    if extra["action"] not in actions:
                        actions.append(extra["action"])
            for action in actions:
                keyed = REENCRYPT.get(action) if call.method == "re_encrypt" else None
                if keyed is not None:
                    # the source key decrypts, the destination key encrypts: each only its own
                    key_ids = (("KeyId", call.param(keyed) or frozenset()),)
                    add(action, call, scope, mapping.confidence, resolved_from=replace(call, params=key_ids))
                    continue
                add(action, call, scope, mapping.confidence)
            for role in passed_roles(call):
                add("iam:PassRole", call, scope, "mapped", forced=(role,))
            for tagging in iam_map.overlay()["tag_on_create"]:
                if tagging["service"] == call.service and present(call, tagging["param"]):
                    # tags given to a create call (RunInstances with TagSpecifications) are
                    # authorized as a tagging action of their own, for that create action only
                    operation = "".join(part.capitalize() for part in call.method.split("_"))
                    created = f"arn:{scope.partition}:{call.service}:{scope.region}:{scope.account}:*/*"
                    only = (("StringEquals", tagging["condition"], operation),)
                    add(tagging["action"], call, scope, "conditional", only, forced=(created,))
            if call.service == "s3" and call.method == "head_object":
                # a missing object answers 404 only to a caller that may list the bucket (else 403),
                # and code that checks existence expects the 404: on the bucket, with s3:prefix
                # when every key the workload checks there has a known shape (after the loop)
                buckets = conditions.list_scopes(resolve("s3:GetObject", call, scope).resources)
                for bucket, patterns in (buckets or {}).items():
                    known, sites = listed.setdefault(bucket, (set(), []))
                    merged = None if known is None or patterns is None else known | patterns
                    listed[bucket] = (merged, [*sites, (call, scope)])
                if buckets is None:
                    add("s3:ListBucket", call, scope, "mapped")
            if call.service == "s3" and call.method in ("copy_object", "upload_part_copy"):
                source = _copy_source(call)
                if source is not None:
                    add("s3:GetObject", call, scope, "mapped", resolved_from=source)
            if call.service == "s3" and _kms(call):
                condition: tuple[tuple[str, str, str], ...] = (
                    ("StringEquals", "kms:ViaService", f"s3.{scope.region}.amazonaws.com"),
                )
                key = _kms_key_arn(call, scope)
                forced: tuple[str, ...] = (key,) if key else ("*",)
                aliases = conditions.s3_key_aliases(call) if not key else []
                if aliases:  # the key the alias names, whatever its ID: kms:ResourceAliases
                    forced, condition = conditions.alias_grant(aliases, scope, "s3")
                if call.method in _KMS_ENCRYPT:
                    add("kms:GenerateDataKey", call, scope, "conditional", condition, forced=forced)
                # S3 decrypts the parts of a multipart upload to complete it
                multipart = call.method == "create_multipart_upload"
                if call.method not in _KMS_ENCRYPT or call.transfer or multipart:
                    add("kms:Decrypt", call, scope, "conditional", condition, forced=forced)
            for kms_action, kms_keys, kms_condition in conditions.service_keys(call, calls, scope):
                add(kms_action, call, scope, "conditional", kms_condition, forced=kms_keys)
            for action, key in ssm_keys(call, calls, scope):
                via = (("StringEquals", "kms:ViaService", f"ssm.{scope.region}.amazonaws.com"),)
                add(action, call, scope, "conditional", via, forced=(key,))
            if call.service == "s3" and not _kms(call):
                for key in _kms_keys_of_read(call, calls, scope):
                    via = (("StringEquals", "kms:ViaService", f"s3.{scope.region}.amazonaws.com"),)
                    add("kms:Decrypt", call, scope, "conditional", via, forced=(key,))
                read_aliases = _kms_keys_of_read(call, calls, scope, conditions.s3_key_aliases)
                if read_aliases:
                    alias_keys, alias_via = conditions.alias_grant(read_aliases, scope, "s3")
                    add("kms:Decrypt", call, scope, "conditional", alias_via, forced=alias_keys)
            if call.service == "s3" and _kms_default(call):
                notes.add(
                    f"{call.via} at {call.path}:{call.line}: SSE-KMS with the AWS managed key aws/s3 "
                    "needs no KMS grant; if the bucket's default key is a customer managed key, "
                    "add kms:GenerateDataKey and kms:Decrypt on it"
                )
            if call.service == "athena" and call.method == "start_query_execution":
                athena_extras(call, scope, add)
            for source in s3_objects_read(call):
                add("s3:GetObject", call, scope, "conditional", resolved_from=source)
    plain = acc.get(("s3:ListBucket", ()), {}).get("resources", set())  # listed anyway (list_objects)
    for bucket, (patterns, sites) in sorted(listed.items()):
        covered = not patterns or bucket in plain or "*" in plain
        scoped = conditions.prefix_condition(patterns) if patterns and not covered else ()
        for call, scope in sites:
            add("s3:ListBucket", call, scope, "mapped", scoped, forced=(bucket,))
    grants = []
    for (action, condition), slot in sorted(acc.items()):
        resources = _prune(slot["resources"])
        confidence = next(c for c in ("inferred", "conditional", "mapped", "none") if c in slot["confidence"])
        grants.append(
            Grant(
                action=action,
                resources=resources,
                because=tuple(sorted(slot["because"])),
                confidence=confidence,
                condition=condition,
                why_any="; ".join(sorted(slot["why"])) if "*" in resources else None,
            )
        )
    return tuple(grants), notes


_S3_READS = frozenset({"get_object", "select_object_content", "copy_object", "upload_part_copy"})


def _kms_keys_of_read(call: ApiCall, calls: list[ApiCall], scope: Scope, aliases: Any = None) -> list[str]:
    """Customer managed keys the workload's own writes encrypt a bucket's objects with: reading
    those objects back (``get_object``, a copy's source) needs ``kms:Decrypt`` on the key.
    With ``aliases`` (a call -> its key aliases function): the aliases those writes name."""
    if call.method not in _S3_READS:
        return []
    source = _copy_source(call) if call.method in ("copy_object", "upload_part_copy") else call
    buckets = {b for b in strings(source.param("Bucket")) if isinstance(b, str)} if source else set()
    keys = {
        key
        for writer in calls
        if writer.service == "s3" and _kms(writer) and writer.method in _KMS_ENCRYPT
        if buckets & {b for b in strings(writer.param("Bucket")) if isinstance(b, str)}
        for key in ([_kms_key_arn(writer, scope)] if aliases is None else aliases(writer))
        if key
    }
    return sorted(keys)


def _kms_key_arn(call: ApiCall, scope: Scope) -> str | None:
    for value in strings(call.param("SSEKMSKeyId")):
        if isinstance(value, str):
            if value.startswith("arn:") and ":key/" in value:
                return value
            if re.fullmatch(r"[0-9a-f-]{36}|mrk-[0-9a-f]{32}", value):
                return f"arn:{scope.partition}:kms:{scope.region}:{scope.account}:key/{value}"
    return None


def _scopes(
    call: ApiCall, account: str, default_region: str | None, service: Service, partition: str
) -> list[Scope]:
    regions = _regions(call.origin) or [default_region or _env_region(service) or "*"]
    if call.service == "sqs":
        queue_account, queue_region = queue_account_region(call)
        if queue_account:
            return [Scope(queue_region or r, queue_account, partition) for r in regions]
    # another account's registry or catalog, named by the call
    owner = [
        v.value
        for name in ("registryId", "CatalogId", "ExpectedBucketOwner")
        for v in call.param(name) or ()
        if isinstance(v, Const) and re.fullmatch(r"\d{12}", v.value)
    ]
    if call.service == "sqs":
        owner += [v.value for v in call.param("QueueOwnerAWSAccountId") or () if isinstance(v, Const)]
    if len(owner) == 1 and call.service in ("ecr", "glue", "sqs"):
        account = owner[0]
    return [Scope(r, account, partition) for r in regions]


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$")


def _prune(resources: set[str]) -> tuple[str, ...]:
    """Drop resources another one already covers (``*`` covers everything)."""
    if "*" in resources:
        return ("*",)
    keep = []
    for resource in sorted(resources):
        covered = any(
            other != resource and "*" in other and _glob(other).match(resource) for other in resources
        )
        if not covered:
            keep.append(resource)
    return tuple(keep)


def _env_region(service: Service) -> str | None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        setting = service.env_value(name)
        if setting is not None and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", setting.value):
            return setting.value
    return None


def _single_region(calls: list[ApiCall]) -> str | None:
    regions = {r for c in calls for r in _regions(c.origin)}
    return regions.pop() if len(regions) == 1 else None


def _regions(origin: Origin) -> list[str]:
    return sorted(v.value for v in origin.region or () if isinstance(v, Const))
