"""Call shapes whose needs are more than their action's mapping: DynamoDB transactions and
PartiQL statements by verb, Athena's catalog reads and result writes, objects Rekognition and
Textract read as the caller, SMS without a topic, KMS aliases and re-encryption, roles passed to
a service, and what one call leaves out that its siblings name.

Kept apart from ``grants`` so the grant loop reads as the general rule and each exception here
says which AWS behaviour it follows.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from keyshift.planner.conditions import literal_aliases
from keyshift.planner.records import ApiCall
from keyshift.planner.resources import Scope, strings
from keyshift.planner.values import EMPTY, Const, DictV, Glob, ListV, Prefix, Values


def present(call: ApiCall, name: str) -> bool:
    """The call passes ``name`` with some value."""
    return bool(call.param(name))


_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def transact_actions(call: ApiCall) -> list[str]:
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


REENCRYPT = {"kms:ReEncryptFrom": "SourceKeyId", "kms:ReEncryptTo": "DestinationKeyId"}


_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+")


def passed_roles(call: ApiCall) -> list[str]:
    """Literal role ARNs a call hands to a service to act as (``Target.RoleArn`` of a schedule,
    ``overrides.taskRoleArn`` of a task, a notification channel's role): each is an
    ``iam:PassRole`` on that role. STS, IAM and Cognito identity pools (``CustomRoleArn``: the
    role the caller assumes) name roles they do not pass."""
    if call.service in ("sts", "iam", "cognito-identity"):
        return []
    found: set[str] = set()

    def visit(name: str, values: Values) -> None:
        for value in values:
            if isinstance(value, Const) and _is_role_param(name) and _ROLE_ARN.fullmatch(value.value):
                found.add(value.value)
            elif isinstance(value, DictV):
                for key, inner in value.items:
                    visit(key, inner)
            elif isinstance(value, ListV):
                visit(name, value.items)

    for name, values in call.params:
        visit(name, values)
    return sorted(found)


def _is_role_param(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith("rolearn") or lowered in ("role", "rolearns")


# services that read an S3 object named in the request with the caller's own rights
_READS_S3_OBJECT = frozenset({"rekognition", "textract"})


def s3_objects_read(call: ApiCall) -> list[ApiCall]:
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


SMS_WHY = "an SMS to a phone number has no topic to scope to"


def sms_only(call: ApiCall) -> bool:
    """``sns.publish(PhoneNumber=...)`` with no topic or target: IAM checks it against ``*``."""
    return (
        call.service == "sns"
        and call.method == "publish"
        and present(call, "PhoneNumber")
        and not present(call, "TopicArn")
        and not present(call, "TargetArn")
    )


def kms_aliases(call: ApiCall) -> list[str]:
    """The aliases a KMS call's ``KeyId`` names (``conditions.literal_aliases``)."""
    if call.service != "kms":
        return []
    return literal_aliases(call.param("KeyId"))


def athena_extras(call: ApiCall, scope: Scope, add: Any) -> None:
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


def _literals(calls: list[ApiCall], service: str, param: str) -> frozenset[Const]:
    """The literal values any of ``service``'s calls passes as ``param``."""
    return frozenset(
        v for c in calls if c.service == service for v in (c.param(param) or ()) if isinstance(v, Const)
    )


def with_context(calls: list[ApiCall]) -> list[ApiCall]:
    """Fill what one call leaves out from its siblings: Athena work groups, Step Functions
    executions, the log groups a Logs Insights query ID stands for, DynamoDB stream ARNs."""
    workgroups = _literals(calls, "athena", "WorkGroup")
    machines = frozenset(
        Const(v.value.replace(":stateMachine:", ":execution:") + ":*")
        for c in calls
        if c.service == "stepfunctions"
        for v in (c.param("stateMachineArn") or ())
        if isinstance(v, Const) and ":stateMachine:" in v.value
    )
    streams = _literals(calls, "kinesis", "StreamName")
    queried = frozenset(
        v
        for c in calls
        if c.service == "logs" and c.method == "start_query"
        for name in ("logGroupName", "logGroupNames")
        for v in (c.param(name) or ())
    )
    stream_arns = _literals(calls, "dynamodbstreams", "StreamArn")
    out = []
    for call in calls:
        if call.service == "dynamodbstreams" and call.param("StreamArn") is None and stream_arns:
            # get_records names only a shard iterator, made from the streams the code describes
            call = replace(call, params=(*call.params, ("StreamArn", stream_arns)))
        if call.service == "logs" and call.method in ("get_query_results", "stop_query") and queried:
            # a query ID names no group: the results are authorized on the groups queried
            call = replace(call, params=(*call.params, ("logGroupNames", queried)))
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


def partiql(call: ApiCall) -> list[tuple[str, str]]:
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


_KEY_ID = re.compile(r"[0-9a-f-]{36}|mrk-[0-9a-f]{32}")


def key_arn(values: Values | None, scope: Scope) -> str | None:
    """The ARN of a customer managed key named by ARN or key ID (an alias names no key here)."""
    for value in strings(values):
        if isinstance(value, str):
            if value.startswith("arn:") and ":key/" in value:
                return value
            if _KEY_ID.fullmatch(value):
                return f"arn:{scope.partition}:kms:{scope.region}:{scope.account}:key/{value}"
    return None


_SSM_READS = frozenset({"get_parameter", "get_parameters", "get_parameters_by_path", "get_parameter_history"})


def ssm_keys(call: ApiCall, calls: list[ApiCall], scope: Scope) -> list[tuple[str, str]]:
    """(action, key ARN) for SecureString parameters under a customer managed key: a put with
    ``KeyId`` encrypts with it; a read of a name the workload's own puts
    write under a key decrypts with that key (the aws/ssm key needs neither)."""
    if call.service != "ssm":
        return []
    if call.method == "put_parameter":
        key = key_arn(call.param("KeyId"), scope)
        return [("kms:Encrypt", key)] if key else []
    if call.method not in _SSM_READS:
        return []  # (WithDecryption is a boolean the analysis does not keep: any read counts)
    names = _heads(call, ("Name", "Names", "Path"))
    out: set[tuple[str, str]] = set()
    for writer in calls:
        if writer.service == "ssm" and writer.method == "put_parameter":
            key = key_arn(writer.param("KeyId"), scope)
            written = _heads(writer, ("Name",))
            if key and any(a.startswith(b) or b.startswith(a) for a in names for b in written):
                out.add(("kms:Decrypt", key))
    return sorted(out)


def _heads(call: ApiCall, params: tuple[str, ...]) -> list[str]:
    """The literal start of each name a call passes (``/tokens/`` for ``f"/tokens/{x}"``)."""
    out: list[str] = []
    for param in params:
        for text in strings(call.param(param)):
            if isinstance(text, str):
                out.append(text.lstrip("/"))
            elif isinstance(text, Prefix):
                out.append(text.value.lstrip("/"))
    return out
