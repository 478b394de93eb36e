"""Resource ARNs for one action of one call, from the literal arguments the code passes.

ARN formats come from the shipped table. A resource type is used when every name in its format
can be filled from the call (ARN literals are matched against the formats directly); a trailing
part that names an object inside a known container (an S3 key, a log stream) may become ``*``.
When no type can be filled the grant is ``*``, with the reason, never a guessed name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import product

from keyshift.planner import iam_map
from keyshift.planner.records import ApiCall
from keyshift.planner.values import Const, DictV, EnvRead, Glob, ListV, Prefix, TupleV, Value, Values, as_data

_VAR = re.compile(r"\$\{([A-Za-z0-9]+)\}")
# parts that name something inside an already-named container: unknown -> "*"
_WILDCARDABLE = frozenset({"ObjectName", "LogStreamName", "ExecutionId", "ExpressId"})
_EMAIL = re.compile(r"[^<>\s@]+@([^<>\s@]+)")
#: resource types with no name of their own that a call reaches only by passing their ARN
_QUEUE_URL = re.compile(r"^https?://[^/]+/(\d{12}|[^/]+)/([^/?#]+)")


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a call runs: its region and the account of the key."""

    region: str  # "*" when unknown
    account: str  # "*" when unknown
    partition: str = "aws"


@dataclass(frozen=True, slots=True)
class Resolved:
    resources: tuple[str, ...]
    why_any: str | None = None  # set when the grant is "*"
    missing: tuple[str, ...] = ()  # placeholders (``<AWS_STORAGE_BUCKET_NAME>``) in ``resources``


# resource types with a fixed ARN that a request uses only when it names that ARN (a Bedrock
# marketplace endpoint is not involved in invoking a foundation model)
_ONLY_NAMED = frozenset({"bedrock-marketplace-model-endpoint"})

# data-plane writes and deletes: on an unknown resource they get a placeholder, never ``*``
_WRITE = re.compile(r"^(Put|Delete|Update|BatchWrite|Send|Publish|Write|Upload|Append|Abort|Restore)")


def is_write(action: str) -> bool:
    return bool(_WRITE.match(action.split(":", 1)[-1]))


def _missing_name(variable: str, call: ApiCall) -> str:
    """What the code leaves unknown for ``variable``: the environment variable it reads, else the
    parameter's own name."""
    stem = variable.lower().removesuffix("name").removesuffix("arn")
    for key, values in call.params:
        if key.lower().startswith(stem) or stem.startswith(key.lower().removesuffix("url")):
            for value in values:
                if isinstance(value, EnvRead):
                    return value.name
    return variable


def _arn_valued(name: str, call: ApiCall) -> bool:
    """The environment variable or setting ``name`` is passed as an ARN (``TopicArn=...``)."""
    return any(
        key.lower().endswith("arn") and any(isinstance(v, EnvRead) and v.name == name for v in values)
        for key, values in call.params
    )


def strings(values: Values | None, data: bool = False) -> list[str | Prefix | Glob | None]:
    """Literal alternatives of a parameter; ``None`` for anything not literal.

    ``data``: the parameter names data (an object key), so parts that came from a function
    parameter are unknown (see ``values.as_data``).
    """
    if not values:
        return []
    out: list[str | Prefix | Glob | None] = []
    for value in sorted(values, key=repr):
        if data:
            value = as_data(value)
        if isinstance(value, Const):
            out.append(value.value)
        elif isinstance(value, Prefix):
            out.append(value if value.value else None)
        elif isinstance(value, Glob):
            out.append(value if value.pattern.strip("*") else None)
        elif isinstance(value, ListV):
            out.extend(strings(value.items, data))
        elif isinstance(value, TupleV):
            for item in value.items:
                out.extend(strings(item, data))
        else:
            out.append(None)
    return out


def _arn_literals(call: ApiCall) -> list[str]:
    found: list[str] = []

    def visit(values: Iterable[Value]) -> None:
        for value in values:
            if isinstance(value, Const) and value.value.startswith("arn:"):
                found.append(value.value)
            elif isinstance(value, ListV):
                visit(value.items)
            elif isinstance(value, DictV):
                for _, inner in value.items:
                    visit(inner)

    for _, values in call.params:
        visit(values)
    return sorted(set(found))


def _format_regex(fmt: str) -> re.Pattern[str]:
    out = ""
    last = 0
    for match in _VAR.finditer(fmt):
        out += re.escape(fmt[last : match.start()])
        name = match.group(1)
        out += "aws[a-z-]*" if name == "Partition" else ("[^:]*" if name in ("Region", "Account") else ".+")
        last = match.end()
    out += re.escape(fmt[last:])
    return re.compile(f"^{out}$")


def _case_get(call: ApiCall, *names: str) -> Values | None:
    lowered = {n.lower() for n in names}
    for key, values in call.params:
        if key.lower() in lowered:
            return values
    return None


def _text(value: str | Prefix | Glob) -> str:
    if isinstance(value, Prefix):
        return value.value + "*"
    if isinstance(value, Glob):
        return value.pattern
    return value


def _variable(name: str, rtype: str, call: ApiCall, scope: Scope) -> list[str] | None:
    """Every literal a variable can take in this call; None when unknown."""
    service = call.service
    if name == "Partition":
        return [scope.partition]
    if name == "Region":
        # a cross-region inference profile routes to the foundation model in any of its regions
        cross = rtype == "foundation-model" and any(_profile(m) for m in strings(call.param("modelId")))
        return ["*"] if cross else [scope.region]
    if name == "Account":
        return [scope.account]
    alternatives: list[str | Prefix | Glob | None] = []
    if name == "BucketName":
        alternatives = strings(call.param("Bucket"))
    elif name == "ObjectName":
        alternatives = strings(call.param("Key"), data=True)
        if not alternatives and call.param("Delete") is not None:
            alternatives = _deleted_keys(call.param("Delete") or frozenset())
        if not alternatives and call.param("Prefix") is not None:
            alternatives = [
                Prefix(p) if isinstance(p, str) else p for p in strings(call.param("Prefix"), data=True)
            ]
    elif name == "QueueName":
        for url in strings(call.param("QueueUrl")):
            match = _QUEUE_URL.match(url) if isinstance(url, str) else None
            alternatives.append(match.group(2) if match else None)
        if not alternatives:
            alternatives = strings(call.param("QueueName"))
    elif name == "TableName" and service == "dynamodb":
        alternatives = strings(call.param("TableName"))
        for values in (call.param("RequestItems"),):
            for value in values or ():
                if isinstance(value, DictV):
                    alternatives.extend(k for k, _ in value.items)
        alternatives.extend(_transact_tables(call))
    elif name == "ParameterNameWithoutLeadingSlash":
        for key in ("Name", "Names"):
            alternatives.extend(strings(call.param(key)))
        for path in strings(call.param("Path")):
            if isinstance(path, str):
                stripped = path.strip("/")
                alternatives.extend([stripped, Prefix(stripped + "/")])
            else:
                alternatives.append(path)
        alternatives = [_strip_slash(a) for a in alternatives]
    elif name == "SecretId":
        for secret in strings(call.param("SecretId")):
            if isinstance(secret, str):
                alternatives.append(Prefix(f"{secret}-"))
            elif isinstance(secret, Glob):
                alternatives.append(Glob(f"{secret.pattern}-*"))
            else:
                alternatives.append(secret)
    elif name == "IdentityName":
        for source in strings(_case_get(call, "Source", "FromEmailAddress", "SourceArn")):
            if isinstance(source, str) and (match := _EMAIL.search(source)):
                alternatives.extend([match.group(0), match.group(1)])
            else:
                alternatives.append(source if isinstance(source, str) else None)
    elif name == "WorkGroupName":
        alternatives = strings(call.param("WorkGroup")) or ["primary"]
    elif name == "EventBusName" and service == "events":
        for entries in strings(call.param("EventBusName")) or []:
            alternatives.append(entries)
        for value in call.param("Entries") or ():
            if isinstance(value, ListV):
                for item in value.items:
                    if isinstance(item, DictV):
                        alternatives.extend(strings(item.get("EventBusName")) or ["default"])
        if not alternatives and call.param("Entries") is not None:
            alternatives = ["default"]
    elif name == "FunctionName":
        # "name:alias" stays qualified; a Qualifier argument qualifies a bare name
        qualifiers = [q for q in strings(call.param("Qualifier")) if isinstance(q, str)]
        for function in strings(call.param("FunctionName")):
            if isinstance(function, str) and qualifiers and ":" not in function:
                alternatives.extend(f"{function}:{q}" for q in qualifiers)
            else:
                alternatives.append(function)
    elif name == "TemplateName":
        alternatives = strings(_case_get(call, "Template", "TemplateName"))
        # SES v2 names the template inside Content, send_bulk_email inside DefaultContent (a
        # template ARN literal is matched directly)
        for content in (call.param("Content") or frozenset()) | (call.param("DefaultContent") or frozenset()):
            if isinstance(content, DictV):
                for template in content.get("Template") or ():
                    if isinstance(template, DictV) and template.get("TemplateName") is not None:
                        alternatives.extend(strings(template.get("TemplateName")))
    elif name == "KeyId":
        for key_id in strings(_case_get(call, "KeyId", "SSEKMSKeyId")):
            if isinstance(key_id, str) and re.fullmatch(r"[0-9a-f-]{36}|mrk-[0-9a-f]{32}", key_id):
                alternatives.append(key_id)
            else:
                alternatives.append(None)
    elif service == "ecs" and name in ("TaskDefinitionFamilyName", "TaskDefinitionRevisionNumber"):
        # "family:revision", or a bare family: its latest active revision, any number
        for definition in strings(call.param("taskDefinition")):
            if isinstance(definition, str) and not definition.startswith("arn:"):
                family, _, revision = definition.partition(":")
                alternatives.append(family if name.endswith("FamilyName") else revision or "*")
            else:
                alternatives.append(None)
    elif service == "ecs" and name == "ClusterName":
        for cluster in strings(call.param("cluster")) or ["default"]:
            alternatives.append(cluster.rsplit("/", 1)[-1] if isinstance(cluster, str) else cluster)
    elif service == "ecs" and name == "TaskId":
        # a task of a named cluster: its ID is data the code gets back from run_task
        tasks = strings(_case_get(call, "task", "tasks"))
        plain = [t for t in tasks if isinstance(t, str) and "/" not in t]
        alternatives = [*plain] if tasks and len(plain) == len(tasks) else ["*"]
    elif name == "ResourceId" and rtype in ("foundation-model", "inference-profile"):
        for model in strings(call.param("modelId")):
            if not isinstance(model, str) or model.startswith("arn:"):
                alternatives.append(None)  # an ARN literal is matched against the formats
            elif rtype == "foundation-model":
                alternatives.append(model.split(".", 1)[1] if _profile(model) else model)
            else:
                alternatives.append(model if _profile(model) else None)
    elif service == "apigatewaymanagementapi":
        alternatives = _connections_arn_part(name, call)
    elif name == "ResourceName" and service == "translate":
        # a custom terminology a translation names; parallel data is not named by a translation
        if rtype == "terminology":
            alternatives = strings(call.param("TerminologyNames"))
    elif name == "DatabaseName":
        alternatives = strings(_case_get(call, "DatabaseName", "Database"))
    else:
        direct = _case_get(call, name)
        if direct is None and name.endswith("Name"):
            direct = _case_get(call, name[:-4])
        if (
            direct is None
            and name.lower() == f"{rtype}name".replace("-", "").lower()
            and rtype.lower() in call.method.replace("_", "")
        ):
            direct = call.param("Name")
        if direct is None and service == "glue" and name == "TableName":
            direct = call.param("Name")
        if direct is None and name.endswith("Name"):
            direct = _case_get(call, f"{name}s")  # describe_repositories(repositoryNames=[...])
        alternatives = strings(direct, data=name in _WILDCARDABLE)
    if not alternatives or any(a is None for a in alternatives):
        return ["*"] if name in _WILDCARDABLE else None
    return sorted({_text(a) for a in alternatives if a is not None})


def _profile(model: str | Prefix | Glob | None) -> bool:
    """A system inference profile ID (``us.anthropic.claude-...``): geography, provider, model."""
    return (
        isinstance(model, str)
        and not model.startswith("arn:")
        and model.count(".") >= 2
        and (model.split(".", 1)[0] in ("us", "eu", "apac", "us-gov", "ca", "jp", "au", "global"))
    )


_EXECUTE_API = re.compile(
    r"^(?:wss|https)://([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com[^/]*/([^/?#]+)"
)
_CONNECTION_VERB = {"post_to_connection": "POST", "get_connection": "GET", "delete_connection": "DELETE"}


def _connections_arn_part(name: str, call: ApiCall) -> list[str | Prefix | Glob | None]:
    """A WebSocket API's ``@connections`` ARN: API ID and stage from the client's
    ``endpoint_url``, the verb from the method, any connection (IDs are data)."""
    if name == "Method":
        return [_CONNECTION_VERB.get(call.method)]
    if name == "ApiSpecificResourcePath":
        return ["@connections/*"]
    out: list[str | Prefix | Glob | None] = []
    for endpoint in strings(call.origin.endpoint):
        match = _EXECUTE_API.match(endpoint) if isinstance(endpoint, str) else None
        if match is None:
            return [None]
        out.append(match.group(1) if name == "ApiId" else match.group(2) if name == "Stage" else None)
    return out


def _deleted_keys(values: Values) -> list[str | Prefix | Glob | None]:
    """The keys of ``delete_objects(Delete={"Objects": [{"Key": ...}, ...]})``; None when the
    list is not literal (the grant is then on every key of the bucket)."""
    out: list[str | Prefix | Glob | None] = []
    for value in values:
        objects = value.get("Objects") if isinstance(value, DictV) else None
        if not objects:
            return [None]
        for listing in objects:
            items = listing.items if isinstance(listing, ListV) else frozenset()
            if not isinstance(listing, ListV) or not items:
                return [None]
            for item in items:
                keys = item.get("Key") if isinstance(item, DictV) else None
                if not keys:
                    return [None]
                out.extend(strings(keys, data=True))
    return out


def _strip_slash(value: str | Prefix | Glob | None) -> str | Prefix | Glob | None:
    if isinstance(value, Prefix):
        return Prefix(value.value.lstrip("/"))
    if isinstance(value, Glob):
        return Glob(value.pattern.lstrip("/"))
    return value.lstrip("/") if value is not None else None


def _transact_tables(call: ApiCall) -> list[str | Prefix | Glob | None]:
    out: list[str | Prefix | Glob | None] = []
    for value in call.param("TransactItems") or ():
        if isinstance(value, ListV):
            for item in value.items:
                if isinstance(item, DictV):
                    for _, inner in item.items:
                        for spec in inner:
                            if isinstance(spec, DictV):
                                out.extend(strings(spec.get("TableName")))
    return out


def _fill(
    fmt: str, rtype: str, call: ApiCall, scope: Scope, missing: list[str] | None = None
) -> list[str] | None:
    """``fmt`` filled with every combination of literal values; None when a name is unknown,
    unless ``missing`` collects placeholders (``<NAME>``) for the unknown ones."""
    names = _VAR.findall(fmt)
    choices: list[list[str]] = []
    for name in names:
        values = _variable(name, rtype, call, scope)
        if values is None and missing is not None:
            placeholder = _missing_name(name, call)
            missing.append(placeholder)
            values = [f"<{placeholder}>"]
        if values is None:
            return None
        choices.append(values)
    out = []
    for combo in product(*choices):
        text = fmt
        for name, value in zip(names, combo, strict=True):
            text = text.replace("${" + name + "}", value, 1)
        out.append(text)
    return out


def _generic_only(fmt: str) -> bool:
    return all(v in ("Partition", "Region", "Account") for v in _VAR.findall(fmt))


def _bind_scope(values: Values, scope: Scope) -> Values:
    out: set[Value] = set()
    for value in values:
        if isinstance(value, Const) and "{region}" in value.value:
            out.add(Const(value.value.replace("{region}", scope.region).replace("{account}", scope.account)))
        elif isinstance(value, DictV):
            out.add(DictV(tuple((k, _bind_scope(v, scope)) for k, v in value.items)))
        elif isinstance(value, ListV):
            out.add(ListV(_bind_scope(value.items, scope)))
        else:
            out.add(value)
    return frozenset(out)


def resolve(action: str, call: ApiCall, scope: Scope, placeholders: bool = False) -> Resolved:
    """The resources ``action`` needs for ``call``; with ``placeholders``, a write or delete on
    an unknown resource names the missing value instead of granting ``*``."""
    call = replace(call, params=tuple((k, _bind_scope(v, scope)) for k, v in call.params))
    prefix = action.split(":", 1)[0]
    types = iam_map.action_resource_types(action)
    if not types:
        return Resolved(("*",), f"{action} does not support resource-level permissions")
    reason = iam_map.any_resource_reason(action)
    if reason:
        return Resolved(("*",), f"{action}: {reason}")
    if prefix == "dynamodb" and "index" in types and _all_literal(call.param("IndexName")):
        # a query or scan of a secondary index is authorized on the index alone
        types = ("index",)
    literals = _arn_literals(call)
    found: list[str] = []
    specific = False
    for rtype in types:
        for fmt in iam_map.arn_formats(prefix, rtype):
            regex = _format_regex(fmt)
            matched = [arn for arn in literals if regex.match(arn)]
            if matched:
                found.extend(matched)
                specific = True
                continue
            if rtype in _ONLY_NAMED:
                continue
            filled = _fill(fmt, rtype, call, scope)
            if filled:
                found.extend(filled)
                if fmt.endswith(":log-group:${LogGroupName}"):
                    # CloudWatch Logs checks some actions against the group ARN with ":*" appended
                    found.extend(f"{arn}:*" for arn in filled if not arn.endswith("*"))
                specific = specific or not _generic_only(fmt)
    if not specific and placeholders and is_write(action):
        # a write or delete on an unknown resource: a placeholder naming what is missing, so the
        # policy is never wider than the code and a human fills in the one value
        candidates: list[tuple[tuple[int, int, int], list[str], list[str]]] = []
        for rtype in types:
            for fmt in iam_map.arn_formats(prefix, rtype):
                if _generic_only(fmt):
                    continue
                missing: list[str] = []
                filled = _fill(fmt, rtype, call, scope, missing)
                if filled and missing:
                    # fewest unknowns; a value the code reads from the environment over a bare
                    # parameter name; plain resources over access points and outposts
                    named = sum(1 for m in missing if m.isupper())
                    special = int(any(w in fmt for w in ("accesspoint", "outpost", "job/", "storage-lens")))
                    candidates.append(((len(missing) - named, special, len(fmt)), filled, missing))
        if candidates:
            _, filled, missing = min(candidates, key=lambda c: c[0])
            whole = [m for m in missing if _arn_valued(m, call)]
            if whole:
                # the value is a whole ARN (TopicArn=settings.SNS_TOPIC_ARN): filling it into
                # the name part would give "arn:...:arn:aws:sns:..."; the placeholder is the ARN
                return Resolved(tuple(f"<{m}>" for m in sorted(set(whole))), None, tuple(sorted(set(whole))))
            return Resolved(tuple(sorted(set(filled))), None, tuple(sorted(set(missing))))
    if not specific:
        return Resolved(("*",), f"{call.via} at {call.path}:{call.line}: resource name is not a literal")
    return Resolved(tuple(sorted(set(found))))


def _all_literal(values: Values | None) -> bool:
    return bool(values) and all(isinstance(v, Const) for v in values or ())


def queue_account_region(call: ApiCall) -> tuple[str | None, str | None]:
    """Account and region written in a queue URL, if the call names one."""
    for url in strings(call.param("QueueUrl")):
        if isinstance(url, str):
            match = _QUEUE_URL.match(url)
            if match and match.group(1).isdigit():
                host = url.split("/")[2]
                parts = host.split(".")
                region = parts[1] if len(parts) > 3 and parts[0] == "sqs" else None
                region = region if region and re.fullmatch(r"[a-z0-9-]+", region) else None
                return match.group(1), region
    return None, None
