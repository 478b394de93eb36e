"""From a repository to one least-privilege task role per (service, key).

A call belongs to a key when the client it goes through was built with that key (a literal,
a constant, a settings attribute or an environment read the deployment files answer), or built
without keys inside a service whose deployment files set ``AWS_ACCESS_KEY_ID``. Calls through
credentials from ``sts.assume_role`` belong to the assumed role, not to the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from keyshift.awsnames import CREDENTIAL_ENV_VARS as CREDENTIAL_VARS
from keyshift.awsnames import KEY_ID_TOKEN as KEY_ID
from keyshift.config import Config
from keyshift.detect.account import account_id as decode_account
from keyshift.errors import KeyshiftError
from keyshift.model import CredentialKind, Finding, Secret
from keyshift.planner import iam_map
from keyshift.planner import names as role_names
from keyshift.planner.analysis import ApiCall, analyze, is_test_path
from keyshift.planner.deploy import Service, discover, rel, service_for, walk
from keyshift.planner.deploy import _read as read_text_or_empty
from keyshift.planner.resources import Scope, queue_account_region, resolve, strings
from keyshift.planner.values import Assumed, Const, DictV, EnvRead, ListV, Origin, Prefix, Values
from keyshift.redact import secrets_of, sha1_hex

DEFAULT_TEMPLATE = role_names.DEFAULT_TEMPLATE
MAX_PY_BYTES = 2_000_000
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


@dataclass(frozen=True, slots=True)
class Blocker:
    """A deployment setting that overrides the task role.

    ``key_id`` is the key the setting holds (a key ID, or the key a secret or token pairs with);
    None when no file says which key it is (``${AWS_ACCESS_KEY_ID}``): it blocks every role of
    the service.
    """

    path: str
    line: int
    name: str
    kind: str
    message: str
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class RolePlan:
    name: str
    service: str
    directory: str
    key_id: str
    account_id: str | None
    region: str
    grants: tuple[Grant, ...]
    unresolved: tuple[str, ...]
    blockers: tuple[Blocker, ...]
    taskdefs: tuple[str, ...]
    notes: tuple[str, ...]
    key_locations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlanResult:
    root: str
    roles: tuple[RolePlan, ...]
    unresolved: tuple[str, ...]
    errors: tuple[str, ...]
    #: secrets the plan's scan found, for the outputs' ``Scrubber`` only; never shown
    secrets: frozenset[Secret] = field(default=frozenset(), repr=False, compare=False)


@dataclass(slots=True)
class _RoleDraft:
    service: Service
    key_id: str
    calls: list[ApiCall] = field(default_factory=list)
    unresolved: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    key_locations: set[str] = field(default_factory=set)


def _settings(config_section: Mapping[str, Any]) -> dict[str, Any]:
    known = {"role-name-template", "region", "account", "partition"}
    for key in config_section:
        if key not in known:
            raise KeyshiftError(
                f"unknown setting {key!r} in [tool.keyshift.plan] (known: {', '.join(sorted(known))})"
            )
    return dict(config_section)


def plan_repository(
    root: Path,
    section: Mapping[str, Any] | None = None,
    role_name_template: str | None = None,
    region: str | None = None,
    scan_config: Config | None = None,
) -> PlanResult:
    """Plan the task roles for every hardcoded key the code under ``root`` uses."""
    settings = _settings(section or {})
    if role_name_template is not None:
        template = role_names.parse_template(role_name_template, "--role-name-template")
    elif "role-name-template" in settings:
        where = f"{scan_config.source_file if scan_config else 'configuration'} [tool.keyshift.plan]"
        template = role_names.parse_template(settings["role-name-template"], where)
    else:
        template = role_names.parse_template(DEFAULT_TEMPLATE, "the default")
    default_region = region or settings.get("region")
    account_override = settings.get("account")
    partition = str(settings.get("partition", "aws"))
    if not root.is_dir():
        raise KeyshiftError(f"not a directory: {root}")

    files = walk(root)
    if scan_config is not None and scan_config.exclude:
        from keyshift.sources.worktree import is_excluded

        files = [p for p in files if not is_excluded(rel(root, p), scan_config.exclude)]
    services = discover(root, files)
    default_name = root.resolve().name
    py_files = [
        rel(root, p)
        for p in files
        if p.suffix == ".py" and not is_test_path(rel(root, p)) and p.stat().st_size <= MAX_PY_BYTES
    ]

    def env_lookup(path: str, name: str) -> str | None:
        setting = service_for(services, path, default_name).env_value(name)
        return setting.value if setting is not None else None

    analysis = analyze(root, py_files, env_lookup)
    drafts: dict[tuple[str, str], _RoleDraft] = {}
    global_unresolved: set[str] = set()

    def draft(service: Service, key_id: str) -> _RoleDraft:
        key = (service.directory, key_id)
        if key not in drafts:
            drafts[key] = _RoleDraft(service, key_id)
        return drafts[key]

    # keys written in code, deployment or config files; each gets a role even if no call uses it
    findings, suppressed, scan_errors = _scan_findings(root, scan_config)
    deployed = {
        (setting.path, match.group(0)): service
        for service in services
        for setting in service.env
        for match in KEY_ID.finditer(setting.value)
    }
    secret_keys: dict[str, str] = {}
    paired: dict[str, str] = {}  # SHA-1 of a secret or session token -> the key it pairs with
    for finding in findings:
        if finding.key_id and finding.kind == CredentialKind.SECRET_ACCESS_KEY:
            secret_keys[finding.secret_sha1 or finding.value_sha1] = finding.key_id
        if finding.key_id and finding.kind != CredentialKind.ACCESS_KEY_ID:
            paired[finding.value_sha1] = finding.key_id
        if finding.key_id and finding.kind == CredentialKind.ACCESS_KEY_ID and not is_test_path(finding.path):
            # a key in a compose file or task definition belongs to the service that file configures
            service = deployed.get((finding.path, finding.key_id)) or service_for(
                services, finding.path, default_name
            )
            draft(service, finding.key_id).key_locations.add(f"{finding.path}:{finding.line}")
    for path in py_files:
        text = read_text_or_empty(root / path)  # unreadable: the scan names it, the plan goes on
        for number, line in enumerate(text.splitlines(), 1):
            for match in KEY_ID.finditer(line):
                service = service_for(services, path, default_name)
                draft(service, match.group(0)).key_locations.add(f"{path}:{number}")
    for service in services:
        for setting in service.env:
            for match in KEY_ID.finditer(setting.value):
                draft(service, match.group(0)).key_locations.add(f"{setting.path}:{setting.line}")
    service_keys: dict[str, set[str]] = {}
    for directory, key_id in drafts:
        service_keys.setdefault(directory, set()).add(key_id)

    default_session_keys: dict[str, set[str]] = {}
    for path, origin in analysis.default_sessions:
        service = service_for(services, path, default_name)
        keys, _ = _explicit_keys(origin.creds or frozenset())
        default_session_keys.setdefault(service.directory, set()).update(keys)

    for call in analysis.calls:
        service = service_for(services, call.path, default_name)
        keys, problem = _keys_of(
            call.origin, service, default_session_keys.get(service.directory, set()), secret_keys
        )
        only = service_keys.get(service.directory, set())
        from_env = any(isinstance(v, EnvRead) for v in call.origin.creds or ())
        if problem and not keys and len(only) == 1 and not from_env:
            # credentials parsed at run time from a file of the service, which holds exactly one key;
            # an environment variable no deployment file sets is someone else's key: never attributed
            keys = set(only)
            draft(service, next(iter(only))).notes.add(
                f"{call.path}:{call.line}: credentials are read at run time; attributed to the only key "
                f"of service {service.name}"
            )
        elif problem:
            global_unresolved.add(f"{call.path}:{call.line}: {call.via}: {problem}")
        for key_id in keys:
            draft(service, key_id).calls.append(call)

    # a registry login (ecr:GetAuthorizationToken) followed by pulls of images named in the code
    for item in drafts.values():
        logins = [c for c in item.calls if c.service == "ecr" and c.method == "get_authorization_token"]
        if logins:
            item.calls.extend(_image_pulls(root, py_files, services, item.service, default_name, logins[0]))

    for unresolved in analysis.unresolved:
        service = service_for(services, unresolved.path, default_name)
        message = f"{unresolved.path}:{unresolved.line}: {unresolved.what}: {unresolved.reason}"
        owners = [d for d in drafts.values() if d.service.directory == service.directory]
        for owner in owners:
            owner.unresolved.add(message)
        if not owners:
            global_unresolved.add(message)

    # documentation examples, placeholders and keys the scanner was told to accept get no role
    for key in [k for k, d in drafts.items() if d.key_id in suppressed or _placeholder(d.key_id)]:
        del drafts[key]

    # a key listed by a parent directory (repo-level .env) belongs to the services that use it
    used = {key_id for draft_ in drafts.values() if draft_.calls for key_id in [draft_.key_id]}
    for key in [k for k, d in drafts.items() if not d.calls and d.key_id in used]:
        del drafts[key]

    role_keys: dict[str, set[str]] = {}
    for item in drafts.values():
        role_keys.setdefault(item.service.directory, set()).add(item.key_id)
    roles: list[RolePlan] = []
    names: dict[str, int] = {}
    ordered = sorted(drafts.values(), key=lambda d: (d.service.name, d.service.directory, d.key_id))
    for index, item in enumerate(ordered, 1):
        account = account_override or decode_account(item.key_id)
        role_region = default_region or _env_region(item.service) or _single_region(item.calls) or "*"
        name, renamed = role_names.role_name(
            template,
            service=item.service.name,
            origin=item.service.origin or item.service.directory or ".",
            key_id=item.key_id,
            index=index,
        )
        names[name] = names.get(name, 0) + 1
        grants, notes = _grants(item.calls, account or "*", default_region, item.service, partition)
        if not item.calls:
            notes.add("no AWS call in the code uses this key; the role grants nothing")
        if renamed:
            notes.add(renamed)
        roles.append(
            RolePlan(
                name=name,
                service=item.service.name,
                directory=item.service.directory,
                key_id=item.key_id,
                account_id=account,
                region=role_region,
                grants=grants,
                unresolved=tuple(sorted(item.unresolved)),
                blockers=tuple(
                    b
                    for b in _blockers(item.service, paired, role_keys[item.service.directory])
                    if b.key_id in (None, item.key_id)
                ),
                taskdefs=tuple(sorted(item.service.taskdefs)),
                notes=tuple(sorted(notes | item.notes)),
                key_locations=tuple(sorted(item.key_locations)),
            )
        )
    # two keys of one service: keep names unique and stable
    final: list[RolePlan] = []
    for role in roles:
        if names[role.name] > 1:
            role = replace(role, name=role_names.with_suffix(role.name, role.key_id[-4:].lower()))
        final.append(role)
    return PlanResult(
        root=str(root),
        roles=tuple(sorted(final, key=lambda r: (r.name, r.key_id))),
        unresolved=tuple(sorted(global_unresolved)),
        errors=(*analysis.errors, *scan_errors),
        secrets=secrets_of(findings),
    )


def _explicit_keys(creds: Values) -> tuple[set[str], bool]:
    keys: set[str] = set()
    unknown = False
    for value in creds:
        if isinstance(value, Const) and KEY_ID.fullmatch(value.value.strip()):
            keys.add(value.value.strip())
        elif isinstance(value, Assumed) or (isinstance(value, EnvRead) and value.name == "AWS_ACCESS_KEY_ID"):
            continue
        else:
            unknown = True
    return keys, unknown


_ECR_IMAGE = re.compile(
    r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/-]*)(?=[:@\"'\s]|$)"
)
_PULL_METHODS = ("batch_get_image", "get_download_url_for_layer", "batch_check_layer_availability")


def _image_pulls(
    root: Path,
    py_files: list[str],
    services: list[Service],
    service: Service,
    default_name: str,
    login: ApiCall,
) -> list[ApiCall]:
    """Pulls of ECR images whose full URI the service's code spells out (docker SDK, subprocess)."""
    calls: list[ApiCall] = []
    for path in py_files:
        if service_for(services, path, default_name) is not service:
            continue
        text = read_text_or_empty(root / path)  # unreadable: the scan names it, the plan goes on
        for number, line in enumerate(text.splitlines(), 1):
            for match in _ECR_IMAGE.finditer(line):
                account, region, repository = match.groups()
                origin = Origin(login.origin.creds, frozenset({Const(region)}), path, number)
                params: tuple[tuple[str, Values], ...] = (
                    ("registryId", frozenset({Const(account)})),
                    ("repositoryName", frozenset({Const(repository)})),
                )
                via = f"pull of {match.group(0)}"
                calls.extend(ApiCall("ecr", m, params, origin, path, number, via) for m in _PULL_METHODS)
    return calls


def _scan_findings(root: Path, scan_config: Config | None) -> tuple[list[Finding], set[str], list[str]]:
    """The scanner's findings for ``root`` (key IDs in any file, secrets paired with their key),
    and the key IDs it suppressed (documentation examples, placeholders, allowlisted keys)."""
    try:
        from keyshift.scan import scan_tree
    except ImportError:
        return [], set(), []
    try:
        result = scan_tree(root, scan_config or Config())
    except KeyshiftError as exc:
        return [], set(), [f"scan: {exc}"]
    found = {f.key_id for f in result.findings if f.key_id}
    suppressed = {f.key_id for f in result.suppressed if f.key_id and f.key_id not in found}
    return list(result.findings), suppressed, []


def _placeholder(key_id: str) -> bool:
    """AWS documentation examples and filler such as AKIAXXXXXXXXXXXXXXXX are never real keys."""
    body = key_id[4:]
    sequential = sum(1 for a, b in pairwise(body) if ord(b) - ord(a) == 1)
    return key_id.endswith("EXAMPLE") or len(set(body)) <= 4 or sequential >= 10


def _keys_of(
    origin: Origin, service: Service, session_keys: set[str], secret_keys: Mapping[str, str]
) -> tuple[set[str], str | None]:
    """The keys a client built at ``origin`` authenticates with, and any doubt about it."""
    implicit: set[str] = set(session_keys)
    setting = service.env_value("AWS_ACCESS_KEY_ID")
    if setting is not None and KEY_ID.fullmatch(setting.value.strip()):
        implicit.add(setting.value.strip())
    if origin.creds is None:
        return implicit, None
    if any(isinstance(v, Assumed) for v in origin.creds):
        return set(), None
    keys, unknown = _explicit_keys(origin.creds)
    for secret in origin.secret or ():
        if isinstance(secret, Const) and sha1_hex(secret.value) in secret_keys:
            keys.add(secret_keys[sha1_hex(secret.value)])
    if any(isinstance(v, EnvRead) and v.name == "AWS_ACCESS_KEY_ID" for v in origin.creds):
        keys |= implicit
    if not origin.creds and not keys:
        return keys, "credentials passed to the client could not be traced to a key"
    if unknown and not keys:
        return keys, "credentials passed to the client could not be traced to a key"
    return keys, None


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


def _blockers(service: Service, paired: Mapping[str, str], keys: set[str]) -> tuple[Blocker, ...]:
    """Every credential setting of ``service``, each with the key it holds (None: any of ``keys``)."""
    chain: list[Service] = []
    current: Service | None = service
    while current is not None and all(c is not current for c in chain):
        chain.append(current)
        current = current.parent
    # an enclosing directory's settings (a repo-level .env) reach this service too; they
    # block its roles only when they hold its keys, so they are never service-wide here
    settings = [
        (s, owner is service)
        for owner in chain
        for s in owner.env
        if s.name in CREDENTIAL_VARS and s.kind != "dotenv-example"
    ]
    # a file that sets one key ID: its secret and token are that key's
    file_keys: dict[str, set[str]] = {}
    for setting, _ in settings:
        if setting.name == "AWS_ACCESS_KEY_ID" and KEY_ID.fullmatch(setting.value.strip()):
            file_keys.setdefault(setting.path, set()).add(setting.value.strip())
    out = []
    for setting, own in settings:
        value = setting.value.strip().strip("\"'")
        owner: str | None = None
        if setting.name == "AWS_ACCESS_KEY_ID":
            owner = value if KEY_ID.fullmatch(value) else None
        elif value:
            owner = paired.get(sha1_hex(value))
            if owner is None and len(file_keys.get(setting.path, ())) == 1:
                owner = next(iter(file_keys[setting.path]))
        if not own and owner not in keys:
            continue
        where = {"dockerfile": "Dockerfile", "taskdef": "task definition", "compose": "compose file"}.get(
            setting.kind, ".env file"
        )
        out.append(
            Blocker(
                setting.path,
                setting.line,
                setting.name,
                setting.kind,
                f"{setting.name} set in the {where} overrides the task role: remove it",
                owner if owner in keys else None,
            )
        )
    return tuple(sorted(out, key=lambda b: (b.path, b.line, b.name)))


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


def _grants(
    calls: list[ApiCall], account: str, default_region: str | None, service: Service, partition: str
) -> tuple[tuple[Grant, ...], set[str]]:
    notes: set[str] = set()
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
    ) -> None:
        if forced is not None:
            resources = forced
            why = None if forced != ("*",) else f"{action}: key ID or alias not a literal"
        else:
            resolved = resolve(action, resolved_from or call, scope)
            resources, why = resolved.resources, resolved.why_any
        slot = acc.setdefault(
            (action, condition), {"resources": set(), "because": set(), "confidence": set(), "why": set()}
        )
        slot["resources"].update(resources)
        slot["because"].add(f"{call.via} at {call.path}:{call.line}")
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
        for scope in _scopes(call, account, default_region, service, partition):
            actions = _transact_actions(call) or list(mapping.actions)
            for extra in iam_map.overlay()["extras"]:
                applies = extra["service"] == call.service and call.method in extra["methods"]
                if applies and _present(call, extra["param"]):
                    if extra.get("replaces") in actions:
                        actions.remove(extra["replaces"])
                    actions.append(extra["action"])
            for action in actions:
                add(action, call, scope, mapping.confidence)
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
            if not isinstance(text, str) or not text.startswith("s3://"):
                continue
            bucket, _, prefix = text[5:].partition("/")
            if not bucket:
                continue
            target = replace(
                call, params=(("Bucket", frozenset({Const(bucket)})), ("Key", frozenset({Prefix(prefix)})))
            )
            for action in ("s3:GetBucketLocation", "s3:ListBucket", "s3:PutObject", "s3:GetObject"):
                add(action, call, scope, "conditional", resolved_from=target)
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
    if len(owner) == 1 and call.service in ("ecr", "glue"):
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
