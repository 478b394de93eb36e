"""From a repository to one least-privilege role per workload.

The unit is the workload, not the key: an ECS task definition has exactly one ``taskRoleArn``,
so one role per task definition family (else compose service with a build, else Dockerfile
build context) holds every AWS call that workload's code makes once its keys are gone: the
calls that used a removed key and the calls already on the default chain. A call belongs to a
key when the client it goes through was built with that key (a literal, a constant, a settings
attribute or an environment read the deployment files answer), or built without keys inside a
workload whose deployment files set ``AWS_ACCESS_KEY_ID``. Calls through credentials from
``sts.assume_role`` belong to the assumed role: the new role only needs ``sts:AssumeRole``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keyshift.awsnames import CHAIN_ENV_VARS, CREDENTIAL_KWARGS
from keyshift.awsnames import CREDENTIAL_ENV_VARS as CREDENTIAL_VARS
from keyshift.awsnames import KEY_ID_TOKEN as KEY_ID
from keyshift.config import Config
from keyshift.detect.account import account_id as decode_account
from keyshift.errors import KeyshiftError
from keyshift.model import CredentialKind
from keyshift.planner import names as role_names
from keyshift.planner.analysis import ApiCall, analyze, is_test_path
from keyshift.planner.candidates import (
    LARGE_TREE,
    Selection,
    follow,
    installed_code_removed,
    nearest,
    select,
)
from keyshift.planner.deploy import Service, discover, rel, service_for, single_project, walk
from keyshift.planner.deploy import _read as read_text_or_empty
from keyshift.planner.ecrpulls import image_pulls
from keyshift.planner.grants import Grant, _env_region, _regions, _single_region, grants_for
from keyshift.planner.keys import (
    Blocker,
    anchor_folders,
    assume_role_steps,
    blockers_of,
    explicit_keys,
    keys_of,
    no_credentials,
    placeholder_key,
    plan_findings,
)
from keyshift.planner.plans import PlanResult, RolePlan
from keyshift.planner.reach import unreached, unreached_key_code, workload_start
from keyshift.planner.values import Assumed, EnvRead
from keyshift.planner.workloads import (
    has_main,
    kubernetes,
    lambda_handlers,
    main_package,
    project_name,
)
from keyshift.progress import NULL, Reporter
from keyshift.redact import secrets_of

if TYPE_CHECKING:
    from keyshift.model import ScanResult

DEFAULT_TEMPLATE = role_names.DEFAULT_TEMPLATE
# a Lambda function's or an EKS pod's role is not a task role: the default name says which it is
_TARGET_TEMPLATES = {"lambda": "{service}-lambda-role", "eks": "{service}-pod-role"}
MAX_PY_BYTES = 2_000_000
#: Python files one workload's whole-program analysis follows; beyond it, the nearest to the keys
#: (``candidates.nearest``) and an error naming the rest, so the plan is never silently short
MAX_ANALYSED = 400
DEFAULT_CHAIN = "previously default chain (instance profile or environment)"
#: names a file must hold for a client built in it to carry a key (arguments, environment writes)
_CREDENTIAL_NAMES = (*CREDENTIAL_KWARGS, *CHAIN_ENV_VARS)

__all__ = ["Blocker", "Grant", "PlanResult", "RolePlan", "plan_repository"]


@dataclass(slots=True)
class _RoleDraft:
    service: Service
    code: set[str] = field(default_factory=set)
    calls: list[tuple[ApiCall, frozenset[str]]] = field(default_factory=list)  # empty: default chain
    unresolved: set[str] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    key_locations: dict[str, set[str]] = field(default_factory=dict)  # key -> "path:line"


def _settings(config_section: Mapping[str, Any]) -> dict[str, Any]:
    known = {"role-name-template", "region", "account", "partition"}
    for key in config_section:
        if key not in known:
            raise KeyshiftError(
                f"unknown setting {key!r} in [tool.keyshift.plan] (known: {', '.join(sorted(known))})"
            )
    return dict(config_section)


def _top(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else ""


def partition_of(regions: set[str]) -> str | None:
    """``aws-cn`` for China regions, ``aws-us-gov`` for GovCloud; None when no region says."""
    found = {
        "aws-cn" if r.startswith("cn-") else "aws-us-gov" if r.startswith("us-gov-") else "aws"
        for r in regions
        if r and r != "*"
    }
    return found.pop() if len(found) == 1 else None


def plan_repository(
    root: Path,
    section: Mapping[str, Any] | None = None,
    role_name_template: str | None = None,
    region: str | None = None,
    scan_config: Config | None = None,
    scan: ScanResult | None = None,
    allow_wildcards: bool = False,
    progress: Reporter = NULL,
) -> PlanResult:
    """Plan one role per workload under ``root`` that uses a hardcoded key.

    ``scan`` is the scan result of ``root`` when the caller has one (``migrate``): the planner
    then never scans again. ``allow_wildcards``: a write or delete on a resource the code does not
    name is granted on ``*`` instead of a placeholder that a human must fill in.
    """
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
    if not root.is_dir():
        raise KeyshiftError(f"not a directory: {root}")

    progress.phase("listing files")
    files = walk(root)
    if scan_config is not None and scan_config.exclude:
        from keyshift.sources.worktree import is_excluded

        files = [p for p in files if not is_excluded(rel(root, p), scan_config.exclude)]
    relnames = [rel(root, p) for p in files]  # each listed file's repo-relative name, computed once
    py_files = [n for n, p in zip(relnames, files, strict=True) if p.suffix == ".py" and not is_test_path(n)]
    py_files = installed_code_removed(root, py_files, relnames)
    if scan is None:
        progress.phase("scanning for keys")
    findings, suppressed, scan_errors = plan_findings(root, scan_config, scan)
    anchors = anchor_folders(root, files, findings) if len(py_files) > LARGE_TREE else None
    selection = select(root, py_files, MAX_PY_BYTES, progress, anchors)
    trees, parse_errors = selection.trees, selection.errors
    progress.phase("finding workloads")
    graph = selection.graph
    # a top-level folder other folders import is a library, never a workload of its own
    libraries = frozenset(
        _top(target)
        for source, targets in graph.items()
        for target in targets
        if _top(target) != _top(source)
    ) - {""}
    project = project_name(root) or main_package(py_files) or root.resolve().name
    services = discover(root, files, libraries, project, single_project(root, trees, files))
    on_k8s = kubernetes(root, files)
    explicit = [s for s in services if s.kind != "directory"]

    # each workload's code: its own files and everything they import; files no workload reaches
    # belong to the directory workload that holds them
    drafts: dict[str, _RoleDraft] = {}
    reached: set[str] = set()
    listed = frozenset(relnames)
    modules = selection.index  # the one import index, built by the selection over every file it read
    started: set[str] = set()  # workloads whose code is what their entry points reach
    owned: dict[str, list[str]] = {}  # workload -> the parsed files its folder holds
    for service in services:
        # two families in one folder (infra/ naming every service) both run that folder's code
        own = owned[_unit(service)] = [
            p for p in trees if (h := _holder(services, p)) is not None and h.directory == service.directory
        ]
        start = workload_start(
            root,
            service.directory,
            service.kind,
            service.env_value,
            listed,
            modules,
            (*service.taskdefs, *service.other_taskdefs),
            service.family,
        )
        if start.seeds is not None:
            draft = _RoleDraft(service, _follow(start.seeds, selection))
            draft.notes.add("entry points followed: " + "; ".join(start.entries))
            started.add(_unit(service))
        else:
            draft = _RoleDraft(service, _follow(own, selection))
            draft.notes.update(start.why)
        drafts[_unit(service)] = draft
        reached |= draft.code
    for path in sorted(set(trees) - reached):
        holder = _holder(services, path)
        if holder is not None and _unit(holder) in started:
            continue  # in the build context, but no entry point runs it (listed in the notes)
        if holder is not None:
            service = holder
        else:  # code beside the workloads that none of them runs: a unit of its own top folder
            top = _top(path)
            service = Service(name=top or project, directory=top)
            services.append(service)
        drafts.setdefault(_unit(service), _RoleDraft(service)).code.add(path)
    for item in drafts.values():
        service = item.service
        handlers = [p for p in item.code if p in trees and lambda_handlers(trees[p])]
        mains = [p for p in item.code if p in trees and has_main(trees[p])]
        if not (service.taskdefs or service.other_taskdefs) and _serverless(root, service.directory):
            service.target = "lambda"  # Serverless Framework, SAM or Zappa deploy it as functions
        elif service.kind == "directory" and handlers and not mains:
            service.target = "lambda"
        elif on_k8s and not any(s.taskdefs for s in explicit):
            service.target = "eks"

    global_unresolved: set[str] = set()
    outside: set[str] = set()  # keys sent somewhere other than AWS
    unused: dict[str, set[str]] = {}  # key -> why no role of a workload holding it replaces it
    errors: list[str] = list(parse_errors)
    errors.extend(scan_errors)
    secret_keys: dict[str, str] = {}
    paired: dict[str, str] = {}  # SHA-1 of a secret or session token -> the key it pairs with
    key_places: dict[str, set[str]] = {}  # key -> "path:line" outside tests
    for finding in findings:
        if finding.key_id and finding.kind == CredentialKind.SECRET_ACCESS_KEY:
            secret_keys[finding.secret_sha1 or finding.value_sha1] = finding.key_id
        if finding.key_id and finding.kind != CredentialKind.ACCESS_KEY_ID:
            paired[finding.value_sha1] = finding.key_id
        if finding.key_id and finding.kind == CredentialKind.ACCESS_KEY_ID and not is_test_path(finding.path):
            key_places.setdefault(finding.key_id, set()).add(f"{finding.path}:{finding.line}")
    credential_code: set[str] = set()  # files that name a key, a credential argument or variable
    for path in trees:
        text = read_text_or_empty(root / path)  # unreadable: the scan names it, the plan goes on
        if any(name in text for name in _CREDENTIAL_NAMES):
            credential_code.add(path)
        if not KEY_ID.search(text):
            continue
        credential_code.add(path)
        for number, line in enumerate(text.splitlines(), 1):
            for match in KEY_ID.finditer(line):
                key_places.setdefault(match.group(0), set()).add(f"{path}:{number}")
    finding_paths = {f.path for f in findings}
    deployed: dict[str, set[str]] = {}  # workload directory -> keys its deployment files set
    for service in services:
        for owner in _chain(service):
            for setting in owner.env:
                for match in KEY_ID.finditer(setting.value):
                    deployed.setdefault(_unit(service), set()).add(match.group(0))
                    key_places.setdefault(match.group(0), set()).add(f"{setting.path}:{setting.line}")
    rejected = {k for k in key_places if k in suppressed or placeholder_key(k)}
    for unit in sorted(started):
        draft = drafts[unit]
        own = owned[unit]
        # code that makes calls with the key this role replaces still runs somewhere once the key
        # is revoked (a script, cron job or worker in the same image): granted, and named
        extra = unreached_key_code(root, own, draft.code, credential_code)
        if extra:
            # with the modules of the workload that use the key's clients (a helper module that
            # imports ``services.s3``): the calls are made there, not where the client is built
            draft.code |= _follow(_importers_within(extra, own, selection.graph), selection)
            draft.notes.add(
                "granted although no entry point reaches it, because it calls AWS with a key this role "
                f"replaces: {', '.join(extra)}; if it does not run in this task, give it its own role"
            )
    for service in services:
        if _unit(service) in started:
            mine = [
                p
                for p in listed
                if p.endswith(".py")
                and (h := _holder(services, p)) is not None
                and h.directory == service.directory
            ]
            note = unreached(root, mine, drafts[_unit(service)].code)
            if note:
                drafts[_unit(service)].notes.add(note)

    progress.phase("analysing workloads", total=len(drafts), unit="workloads")
    for item in drafts.values():
        progress.advance()
        service = item.service
        code = sorted(p for p in item.code if p in trees)
        if not code:
            continue

        def env_lookup(path: str, name: str, service: Service = service) -> str | None:
            setting = service.env_value(name)
            return setting.value if setting is not None else None

        own_keys = {
            key
            for key, places in key_places.items()
            if key not in rejected and any(_belongs(place, item, services, project) for place in places)
        } | (deployed.get(_unit(service), set()) - rejected)
        if not (
            own_keys
            or item.code & (credential_code | finding_paths)
            or any(s.name in CREDENTIAL_VARS for owner in _chain(service) for s in owner.env)
        ):
            # no key can reach this workload's calls: it needs no role, and its code (often most
            # of a large tree) is not analysed
            continue
        if len(code) > MAX_ANALYSED:
            places = {p.rsplit(":", 1)[0] for key in own_keys for p in key_places.get(key, ())}
            seeds = sorted(places & item.code) + sorted(item.code & (credential_code | finding_paths))
            kept = sorted(nearest(seeds, graph, set(code), MAX_ANALYSED))
            left = sorted(set(code) - set(kept))
            errors.append(
                f"{service.label}: {len(code):,} Python files, more than the {MAX_ANALYSED:,} one "
                f"workload's analysis follows; the {len(left):,} farthest from its keys by imports "
                f"(first: {left[0]}) were not analysed, so AWS calls in them may be missing from the plan"
            )
            code = kept
        analysis = analyze(root, code, env_lookup, trees)
        errors.extend(e for e in analysis.errors if e not in errors)
        session_keys: set[str] = set()
        for _path, origin in analysis.default_sessions:
            keys, _ = explicit_keys(origin.creds or frozenset())
            session_keys.update(keys)
        for call in analysis.calls:
            if any(isinstance(v, Assumed) for v in call.origin.creds or ()):
                continue  # the assumed role's call, not this role's
            keys, problem = keys_of(call.origin, service, session_keys, secret_keys)
            keys -= rejected
            from_env = any(isinstance(v, EnvRead) for v in call.origin.creds or ())
            if problem and not keys and len(own_keys) == 1 and not from_env:
                # credentials parsed at run time from a file of the workload, which holds exactly
                # one key; an environment variable no deployment file sets is someone else's key
                keys = set(own_keys)
                item.notes.add(
                    f"{call.path}:{call.line}: credentials are read at run time; attributed to the only key "
                    f"of {service.label}"
                )
            elif problem:
                global_unresolved.add(f"{call.path}:{call.line}: {call.via}: {problem}")
                continue
            item.calls.append((call, frozenset(keys)))
        for unresolved in analysis.unresolved:
            item.unresolved.add(
                f"{unresolved.path}:{unresolved.line}: {unresolved.what}: {unresolved.reason}"
            )
        for where, at, key, callee in analysis.outside:
            if key in rejected:
                continue  # a documentation example or placeholder: no credential to keep
            # deleting the setting would break this call: the role cannot stand in for the key here
            outside.add(
                f"{where}:{at}: key {key} is passed to {callee}: used outside AWS: a task role cannot "
                "replace it; keep that credential for this call (or give the API its own) before deleting "
                "the key's setting"
            )
        for error in parse_errors:
            if (
                error.split(":", 1)[0] in item.code
                or service_for(services, error.split(":", 1)[0], project) is service
            ):
                item.unresolved.add(error)
        used = {k for _, keys in item.calls for k in keys}
        for key in own_keys | used:
            places = {p for p in key_places.get(key, set()) if _belongs(p, item, services, project)}
            item.key_locations[key] = places

    # a registry login (ecr:GetAuthorizationToken) followed by pulls of images named in the code
    for item in drafts.values():
        logins = [
            (c, k) for c, k in item.calls if c.service == "ecr" and c.method == "get_authorization_token"
        ]
        if logins:
            pulls = image_pulls(root, sorted(item.code & set(trees)), logins[0][0])
            item.calls.extend((pull, logins[0][1]) for pull in pulls)

    roles: list[RolePlan] = []
    ordered = sorted(drafts.values(), key=lambda d: (d.service.label, d.service.directory))
    names: dict[str, int] = {}
    for index, item in enumerate(ordered, 1):
        used = {k for _, call_keys in item.calls for k in call_keys}
        role_keys = sorted(used)
        for key in sorted(set(item.key_locations) - used):
            unused.setdefault(key, set()).add(
                f"key {key} of {item.service.label} is used by no AWS SDK call in its code: no role replaces "
                "it; find its other users (aws iam get-access-key-last-used, CloudTrail) before revoking it"
            )
        if not role_keys:
            global_unresolved.update(item.unresolved)  # nothing to plan, but what could not be followed
            continue  # no key to replace: the workload needs no new role
        service = item.service
        calls = [c for c, _ in item.calls]
        tags: dict[tuple[str, int], str] = {}
        for call, call_keys in item.calls:
            tag = ", ".join(f"key {k}" for k in sorted(call_keys)) if call_keys else DEFAULT_CHAIN
            tags[(call.path, call.line)] = tag
        account = account_override or next((decode_account(k) for k in role_keys if decode_account(k)), None)
        regions = {r for c in calls for r in _regions(c.origin)}
        role_region = default_region or _env_region(service) or _single_region(calls) or "*"
        partition = str(settings.get("partition") or partition_of({role_region, *regions}) or "aws")
        placeholders: set[str] | None = None if allow_wildcards else set()
        grants, notes = grants_for(
            calls, account or "*", default_region, service, partition, tags, placeholders
        )
        grants = no_credentials(grants, secret_keys)
        notes |= item.notes
        notes |= assume_role_steps(calls)
        for source in service.other_taskdefs:
            notes.add(
                f"{source}: set this role as the task role there (Terraform task_role_arn, CloudFormation "
                "TaskRoleArn, Copilot: its task role) and remove the credential settings listed as blockers"
            )
        open_items = set(item.unresolved) | (placeholders or set())
        open_items |= {o for o in outside if any(f"key {k} " in o for k in role_keys)}
        if not grants:
            # an empty role is never written: it would deploy and then deny everything
            global_unresolved.update(open_items)
            global_unresolved.update(f"{service.label}: {note}" for note in notes)
            global_unresolved.add(
                f"no role planned for {service.label} (keys {', '.join(role_keys)}): its AWS calls map to "
                "no IAM action (see the notes); nothing to grant"
            )
            continue
        label = service.label
        chosen = template
        if template.text == DEFAULT_TEMPLATE and service.target in _TARGET_TEMPLATES:
            chosen = role_names.parse_template(_TARGET_TEMPLATES[service.target], "the default")
        name, renamed = role_names.role_name(
            chosen,
            service=label,
            origin=service.origin or service.directory or ".",
            key_id=role_keys[0],
            index=index,
        )
        if renamed:
            notes.add(renamed)
        names[name] = names.get(name, 0) + 1
        needs = tuple(dict.fromkeys(service.execution_needs))
        roles.append(
            RolePlan(
                name=name,
                service=label,
                directory=service.directory,
                key_ids=tuple(role_keys),
                account_id=account,
                region=role_region,
                grants=grants,
                unresolved=tuple(sorted(open_items)),
                blockers=blockers_of(service, paired, set(role_keys)),
                taskdefs=tuple(sorted(service.taskdefs)),
                notes=tuple(sorted(notes)),
                key_locations=tuple(sorted({p for k in role_keys for p in item.key_locations.get(k, set())})),
                target=service.target,
                partition=partition,
                execution_needs=needs,
                write_execution_role=bool(service.taskdefs or service.other_taskdefs)
                and not service.execution_role,
                regions=tuple(sorted(regions)),
            )
        )
    # two workloads of one name (two folders called api): keep names unique and stable
    from keyshift.planner.render import fits

    final: list[RolePlan] = []
    for role in roles:
        if names[role.name] > 1:
            suffix = re.sub(r"[^A-Za-z0-9]+", "-", role.directory).strip("-").lower() or "root"
            role = replace(role, name=role_names.with_suffix(role.name, suffix))
        problem = fits(role)
        if problem is not None:
            errors.append(f"role {role.name}: {problem}; no Terraform or CloudFormation written")
            role = replace(role, unresolved=(*role.unresolved, f"policy cannot be deployed: {problem}"))
        final.append(role)
    replaced = {k for role in final for k in role.key_ids}
    for key, reasons in unused.items():
        if key not in replaced:  # another workload's role replaces it: nothing left to say
            global_unresolved |= reasons
    global_unresolved |= {o for o in outside if not any(f"key {k} " in o for k in replaced)}
    # a key set where no workload looks (a Kubernetes manifest beside Dockerfiles it does not
    # name, a file outside every build context): never a silent "nothing to plan"
    claimed = replaced | set(unused) | {k for item in drafts.values() for k in item.key_locations}
    for key, places in sorted(key_places.items()):
        if key not in rejected and key not in claimed:
            global_unresolved.add(
                f"key {key} at {', '.join(sorted(places)[:3])} belongs to no workload keyshift found: "
                "no role replaces it; find what runs with it (aws iam get-access-key-last-used, "
                "CloudTrail) before revoking it"
            )
    return PlanResult(
        root=str(root),
        roles=tuple(sorted(final, key=lambda r: (r.name, r.directory))),
        unresolved=tuple(sorted(global_unresolved)),
        errors=tuple(dict.fromkeys(errors)),
        secrets=secrets_of(findings),
    )


def _importers_within(seeds: list[str], own: list[str], graph: Mapping[str, Iterable[str]]) -> list[str]:
    """``seeds`` and the files of ``own`` that import them, directly or through each other
    (one reverse index, each edge walked once)."""
    users: dict[str, list[str]] = {}
    for path in own:
        for target in graph.get(path, ()):
            users.setdefault(target, []).append(path)
    found = dict.fromkeys(seeds)
    todo = list(seeds)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in found:
                found[user] = None
                todo.append(user)
    return list(found)


def _follow(seeds: Iterable[str], selection: Selection) -> set[str]:
    """The code a workload runs from ``seeds``: the selection's imports, by its rule."""
    graph = selection.graph
    return follow(seeds, lambda p: graph.get(p, ()), selection.relevant, selection.index)


def _serverless(root: Path, directory: str) -> bool:
    folder = root / directory if directory else root
    for name in ("serverless.yml", "serverless.yaml", "zappa_settings.json"):
        if (folder / name).is_file():
            return True
    for name in ("template.yaml", "template.yml"):
        path = folder / name
        small = path.is_file() and path.stat().st_size < 1_000_000
        if small and "AWS::Serverless::Function" in path.read_text(encoding="utf-8", errors="replace"):
            return True
    return False


def _unit(service: Service) -> str:
    return f"{service.directory}#{service.label}"


def _holder(services: list[Service], path: str) -> Service | None:
    """The deepest workload whose folder holds ``path`` (never invents one): the first service of
    each folder, looked up from ``path``'s folder upwards. Comparing every path with every
    service, for every service, made ``plan`` cubic in the number of workloads (400: a minute)."""
    cached = _HOLDERS.get(id(services))
    if cached is None or cached[0] is not services or cached[1] != len(services):
        folders: dict[str, Service] = {}
        for service in services:
            folders.setdefault(service.directory, service)
        _HOLDERS.clear()  # one plan at a time: keep only the latest list
        cached = _HOLDERS[id(services)] = (services, len(services), folders)
    folders = cached[2]
    folder = path
    while True:
        folder = folder.rpartition("/")[0] if "/" in folder else ""
        found = folders.get(folder)
        if found is not None:
            return found
        if not folder:
            return None


_HOLDERS: dict[int, tuple[list[Service], int, dict[str, Service]]] = {}


def _chain(service: Service) -> list[Service]:
    chain: list[Service] = []
    current: Service | None = service
    while current is not None and all(c is not current for c in chain):
        chain.append(current)
        current = current.parent
    return chain


def _belongs(place: str, item: _RoleDraft, services: list[Service], project: str) -> bool:
    """A key's place is the workload's: in its code, its deployment files or its directory."""
    path = place.rsplit(":", 1)[0]
    if path in item.code:
        return True
    if any(s.path == path for owner in _chain(item.service) for s in owner.env):
        return True
    if path in item.service.taskdefs or path in item.service.other_taskdefs:
        return True
    holder = _holder(services, path)
    return holder is not None and holder.directory == item.service.directory
