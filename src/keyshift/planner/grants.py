"""From a workload's API calls to IAM grants: actions from the table, resources from arguments.

Each grant keeps its evidence: the call (``s3.put_object at orders/storage.py:17``) and the
credential it used, a key or the default chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from keyshift.planner import iam_map
from keyshift.planner.deploy import Service
from keyshift.planner.records import ApiCall
from keyshift.planner.resources import Scope, queue_account_region, resolve, strings
from keyshift.planner.values import EMPTY, Const, DictV, Glob, ListV, Origin, Prefix, Values

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


def _present(call: ApiCall, name: str) -> bool:
    values = call.param(name)
    return bool(values)


def _kms(call: ApiCall) -> bool:
    """A customer managed key is named: the role needs KMS rights (the aws/s3 key needs none)."""
    return _present(call, "SSEKMSKeyId")


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
    calls = _with_context(calls)

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
        statements = _partiql(call)
        for scope in _scopes(call, account, default_region, service, partition):
            if statements:
                for action, table in statements:
                    params: tuple[tuple[str, Values], ...] = (("TableName", frozenset({Const(table)})),)
                    add(action, call, scope, "mapped", resolved_from=replace(call, params=params))
                continue
            actions = _transact_actions(call) or list(mapping.actions)
            if _sms_only(call):
                for action in actions:
                    add(action, call, scope, mapping.confidence, forced=("*",), forced_why=_SMS)
                continue
            aliases = _kms_aliases(call)
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
                if applies and _present(call, extra["param"]):
                    if extra.get("replaces") in actions:
                        actions.remove(extra["replaces"])
                    actions.append(extra["action"])
            for action in actions:
                add(action, call, scope, mapping.confidence)
            if call.service == "s3" and call.method == "head_object":
                # a missing object answers 404 only to a caller that may list the bucket (else 403),
                # and code that checks existence expects the 404
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
                forced = (key,) if key else ("*",)
                if call.method in _KMS_ENCRYPT:
                    add("kms:GenerateDataKey", call, scope, "conditional", condition, forced=forced)
                if call.method not in _KMS_ENCRYPT or call.transfer:
                    add("kms:Decrypt", call, scope, "conditional", condition, forced=forced)
            if call.service == "s3" and _kms_default(call):
                notes.add(
                    f"{call.via} at {call.path}:{call.line}: SSE-KMS with the AWS managed key aws/s3 "
                    "needs no KMS grant; if the bucket's default key is a customer managed key, "
                    "add kms:GenerateDataKey and kms:Decrypt on it"
                )
            if call.service == "athena" and call.method == "start_query_execution":
                _athena_extras(call, scope, add)
            for source in _s3_objects_read(call):
                add("s3:GetObject", call, scope, "conditional", resolved_from=source)
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


_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _transact_actions(call: ApiCall) -> list[str]:
    """DynamoDB transactions need only the item actions their literal items use."""
    if call.service != "dynamodb" or call.method not in ("transact_write_items", "transact_get_items"):
        return []
    if call.method == "transact_get_items":
        return ["dynamodb:GetItem"]
    found: set[str] = set()
    for value in call.param("TransactItems") or ():
        if not isinstance(value, ListV):
            return []
        for item in value.items:
            if not isinstance(item, DictV):
                return []
            for key, _ in item.items:
                if key in _TRANSACT:
                    found.add(f"dynamodb:{_TRANSACT[key]}")
    return sorted(found)


# services that read an S3 object named in the request with the caller's own rights
_READS_S3_OBJECT = frozenset({"rekognition", "textract"})


def _s3_objects_read(call: ApiCall) -> list[ApiCall]:
    """``S3Object`` arguments (``Image``, ``Video``, ``Document``, ``DocumentLocation``) that
    Rekognition and Textract fetch as the caller: each is an s3:GetObject on that object."""
    if call.service not in _READS_S3_OBJECT:
        return []
    found: list[ApiCall] = []

    def visit(values: Values) -> None:
        for value in values:
            if isinstance(value, DictV):
                for name, inner in value.items:
                    if name == "S3Object":
                        for obj in inner:
                            if isinstance(obj, DictV):
                                params = (
                                    ("Bucket", obj.get("Bucket") or frozenset()),
                                    ("Key", obj.get("Name") or frozenset()),
                                )
                                found.append(replace(call, service="s3", method="get_object", params=params))
                    else:
                        visit(inner)

    for _, values in call.params:
        visit(values)
    return found


_SMS = "an SMS to a phone number has no topic to scope to"


def _sms_only(call: ApiCall) -> bool:
    """``sns.publish(PhoneNumber=...)`` with no topic or target: IAM checks it against ``*``."""
    return (
        call.service == "sns"
        and call.method == "publish"
        and _present(call, "PhoneNumber")
        and not _present(call, "TopicArn")
        and not _present(call, "TargetArn")
    )


def _kms_aliases(call: ApiCall) -> list[str]:
    """``alias/NAME`` for each value of a KMS call's ``KeyId`` when every value is a literal
    alias (or alias ARN) of the caller's account; empty otherwise."""
    if call.service != "kms":
        return []
    values = strings(call.param("KeyId"))
    out: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            return []
        if value.startswith("alias/"):
            out.add(value)
        elif value.startswith("arn:") and ":alias/" in value:
            out.add("alias/" + value.split(":alias/", 1)[1])
        else:
            return []
    return sorted(out)


def _kms_key_arn(call: ApiCall, scope: Scope) -> str | None:
    for value in strings(call.param("SSEKMSKeyId")):
        if isinstance(value, str):
            if value.startswith("arn:") and ":key/" in value:
                return value
            if re.fullmatch(r"[0-9a-f-]{36}|mrk-[0-9a-f]{32}", value):
                return f"arn:{scope.partition}:kms:{scope.region}:{scope.account}:key/{value}"
    return None


def _athena_extras(call: ApiCall, scope: Scope, add: Any) -> None:
    """Athena runs the query with the caller's rights: Glue catalog reads and result writes."""
    for config in call.param("ResultConfiguration") or ():
        if not isinstance(config, DictV):
            continue
        for location in strings(config.get("OutputLocation")):
            text = location.value if isinstance(location, Prefix) else location
            if isinstance(text, str) and not text.startswith("s3://"):
                continue
            path = text[5:] if isinstance(text, str) else ""
            bucket, slash, prefix = path.partition("/")
            # a bucket the code builds at run time is still written to: a placeholder (or "*")
            located: tuple[tuple[str, Values], ...] = (("Key", frozenset({Prefix(prefix)})),)
            if bucket and (isinstance(location, str) or slash):
                located = (("Bucket", frozenset({Const(bucket)})), *located)
            target = replace(call, params=located)
            for action in ("s3:GetBucketLocation", "s3:ListBucket", "s3:PutObject", "s3:GetObject"):
                add(action, call, scope, "conditional", resolved_from=target)
    _athena_ddl(call, scope, add)
    databases = [
        d
        for context in call.param("QueryExecutionContext") or ()
        if isinstance(context, DictV)
        for d in strings(context.get("Database"))
        if isinstance(d, str)
    ]
    pairs: set[tuple[str | None, str | None]] = {
        (db or (databases[0] if len(databases) == 1 else None), table) for db, table in _query_tables(call)
    }
    pairs |= {(db, None) for db in databases}
    for database in sorted({db for db, _ in pairs if db}):
        params: tuple[tuple[str, Values], ...] = (("DatabaseName", frozenset({Const(database)})),)
        database_call = replace(call, service="glue", method="get_database", params=params)
        add("glue:GetDatabase", call, scope, "conditional", resolved_from=database_call)
        tables = sorted(t for db, t in pairs if db == database and t)
        if tables:
            names = frozenset(Const(t) for t in tables)
            table_call = replace(call, service="glue", method="get_table", params=(*params, ("Name", names)))
            add("glue:GetTable", call, scope, "conditional", resolved_from=table_call)


_DDL = re.compile(
    r"^\s*(CREATE|DROP)\s+(?:EXTERNAL\s+)?(DATABASE|SCHEMA|TABLE|VIEW)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?"
    r"[\"`]?(\w+)[\"`]?(?:\.[\"`]?(\w+)[\"`]?)?",
    re.I,
)
_DDL_ACTIONS = {
    ("CREATE", "DATABASE"): "glue:CreateDatabase",
    ("DROP", "DATABASE"): "glue:DeleteDatabase",
    ("CREATE", "TABLE"): "glue:CreateTable",
    ("DROP", "TABLE"): "glue:DeleteTable",
}


def _athena_ddl(call: ApiCall, scope: Scope, add: Any) -> None:
    """``CREATE DATABASE``/``CREATE EXTERNAL TABLE``/``DROP ...`` run against the Glue catalog with
    the caller's rights (only ``SELECT``'s reads were granted)."""
    databases = [
        d
        for context in call.param("QueryExecutionContext") or ()
        if isinstance(context, DictV)
        for d in strings(context.get("Database"))
        if isinstance(d, str)
    ]
    for query in strings(call.param("QueryString")):
        text = query.value if isinstance(query, Prefix) else query
        match = _DDL.match(text) if isinstance(text, str) else None
        if match is None:
            continue
        verb, kind = match.group(1).upper(), match.group(2).upper()
        kind = {"SCHEMA": "DATABASE", "VIEW": "TABLE"}.get(kind, kind)
        action = _DDL_ACTIONS[(verb, kind)]
        if kind == "DATABASE":
            database, table = match.group(3), None
        elif match.group(4):
            database, table = match.group(3), match.group(4)
        else:
            database, table = (databases[0] if len(databases) == 1 else None), match.group(3)
        params: tuple[tuple[str, Values], ...] = (
            ("DatabaseName", frozenset({Const(database)}) if database else EMPTY),
            *((("Name", frozenset({Const(table)})),) if table else ()),
        )
        target = replace(call, service="glue", method=action.split(":")[1], params=params)
        add(action, call, scope, "conditional", resolved_from=target)


def _query_tables(call: ApiCall) -> list[tuple[str | None, str]]:
    """(database, table) pairs a literal query reads; database None when not qualified."""
    out: set[tuple[str | None, str]] = set()
    for query in strings(call.param("QueryString")):
        if isinstance(query, str):
            pattern = r"\b(?:from|join)\s+[\"`]?([A-Za-z_]\w*)[\"`]?(?:\.[\"`]?([A-Za-z_]\w*)[\"`]?)?"
            for match in re.finditer(pattern, query, re.I):
                if match.group(2):
                    out.add((match.group(1), match.group(2)))
                else:
                    out.add((None, match.group(1)))
    return sorted(out, key=lambda p: (p[0] or "", p[1]))


def _with_context(calls: list[ApiCall]) -> list[ApiCall]:
    """Fill what one call leaves out from its siblings: Athena work groups, Step Functions executions."""
    workgroups = frozenset(
        v
        for c in calls
        if c.service == "athena"
        for v in (c.param("WorkGroup") or ())
        if isinstance(v, Const)
    )
    machines = frozenset(
        Const(v.value.replace(":stateMachine:", ":execution:") + ":*")
        for c in calls
        if c.service == "stepfunctions"
        for v in (c.param("stateMachineArn") or ())
        if isinstance(v, Const) and ":stateMachine:" in v.value
    )
    streams = frozenset(
        v
        for c in calls
        if c.service == "kinesis"
        for v in (c.param("StreamName") or ())
        if isinstance(v, Const)
    )
    out = []
    for call in calls:
        if (
            call.service == "kinesis"
            and call.param("StreamName") is None
            and call.param("StreamARN") is None
            and streams
        ):
            call = replace(call, params=(*call.params, ("StreamName", streams)))
        if call.service == "athena" and call.param("WorkGroup") is None and workgroups:
            call = replace(call, params=(*call.params, ("WorkGroup", workgroups)))
        if (
            call.service == "stepfunctions"
            and call.param("executionArn") is None
            and call.method in ("describe_execution", "stop_execution", "get_execution_history")
            and machines
        ):
            call = replace(call, params=(*call.params, ("executionArn", machines)))
        out.append(call)
    return out


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


_PARTIQL_VERB = {
    "SELECT": "PartiQLSelect",
    "INSERT": "PartiQLInsert",
    "UPDATE": "PartiQLUpdate",
    "DELETE": "PartiQLDelete",
}
_PARTIQL_TABLE = re.compile(
    r"^\s*(?:SELECT\b.*?\bFROM|INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:\"([^\"]+)\"|([A-Za-z0-9_.-]+))",
    re.I | re.S,
)


def _partiql(call: ApiCall) -> list[tuple[str, str]]:
    """(action, table) for each literal PartiQL statement of an ``execute_statement`` family
    call; empty when any statement is not a literal (the table's mapping then applies)."""
    if call.service != "dynamodb" or call.method not in (
        "execute_statement",
        "batch_execute_statement",
        "execute_transaction",
    ):
        return []
    texts: list[str | Prefix | Glob | None] = strings(call.param("Statement"))
    for name in ("Statements", "TransactStatements"):
        for value in call.param(name) or ():
            items = value.items if isinstance(value, ListV) else frozenset({value})
            for item in items:
                texts.extend(strings(item.get("Statement")) if isinstance(item, DictV) else [None])
    out: set[tuple[str, str]] = set()
    for text in texts:
        statement = text if isinstance(text, str) else text.value if isinstance(text, Prefix) else None
        if statement is None:
            return []
        verb = statement.strip().split(None, 1)[0].upper() if statement.strip() else ""
        match = _PARTIQL_TABLE.match(statement)
        if verb not in _PARTIQL_VERB or match is None:
            return []
        table = (match.group(1) or match.group(2)).split(".")[0].strip('"')
        out.add((f"dynamodb:{_PARTIQL_VERB[verb]}", table))
    return sorted(out)
