"""Which keys a workload's calls use, where keys can reach code, and what overrides the role.

Split from ``build`` (which assembles the roles): everything here answers a question about
credentials, not about roles. The scan's findings, the anchor folders a large tree is read from
(``candidates.select``), the key a client's origin names, placeholder key IDs, the
deployment settings (``Blocker``) that would keep overriding a task role once it exists, the
assumed roles that must trust the new one, and resources that are really credential values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from keyshift.awsnames import CREDENTIAL_ENV_VARS as CREDENTIAL_VARS
from keyshift.awsnames import KEY_ID_TOKEN as KEY_ID
from keyshift.config import Config
from keyshift.detect.suppress import key_id_placeholder
from keyshift.errors import KeyshiftError
from keyshift.model import Finding
from keyshift.planner.deploy import Service, rel
from keyshift.planner.grants import Grant
from keyshift.planner.records import ApiCall
from keyshift.planner.values import Assumed, Const, EnvRead, Origin, Values
from keyshift.redact import sha1_hex

if TYPE_CHECKING:
    from keyshift.model import ScanResult


@dataclass(frozen=True, slots=True)
class Blocker:
    """A deployment setting that overrides the task role.

    ``key_id`` is the key the setting holds (a key ID, or the key a secret or token pairs with);
    None when no file says which key it is (``${AWS_ACCESS_KEY_ID}``): it blocks the whole
    workload.
    """

    path: str
    line: int
    name: str
    kind: str
    message: str
    key_id: str | None = None


_DEPLOY_SUFFIXES = frozenset({".json", ".yml", ".yaml", ".tf", ".env", ".cfg", ".ini", ".toml"})
_DOC_SUFFIXES = frozenset({".rst", ".md", ".txt", ".html", ".htm", ".ipynb", ".adoc"})
_CREDENTIAL_BYTES = (b"AWS_ACCESS_KEY_ID", b"AWS_SECRET_ACCESS_KEY", b"aws_access_key_id")
# folders that hold a service's deployment files rather than its code: the service is their parent
_DEPLOY_FOLDERS = frozenset(
    {"ecs", "deploy", "deployment", "deployments", "infra", "k8s", "kubernetes", "helm", "taskdefs", "config"}
)


def _anchor(path: str) -> str:
    parent = PurePosixPath(path).parent
    if parent.name.lower() in _DEPLOY_FOLDERS:
        parent = parent.parent
    return "" if str(parent) == "." else str(parent)


def anchor_folders(root: Path, files: list[Path], findings: list[Finding]) -> frozenset[str]:
    """Folders a key can reach code from: those holding a finding outside documentation, or a
    deployment file that names a credential variable (a task definition's ``secrets``, a
    compose file), each with everything below it."""
    out = {_anchor(f.path) for f in findings if PurePosixPath(f.path).suffix.lower() not in _DOC_SUFFIXES}
    for path in files:
        name = path.name
        if not (path.suffix in _DEPLOY_SUFFIXES or name.startswith((".env", "Dockerfile", "Procfile"))):
            continue
        try:
            with open(path, "rb") as handle:
                head = handle.read(1 << 20)
        except OSError:
            continue
        deployment = b"containerDefinitions" in head or b"services:" in head or not path.suffix
        if deployment and any(word in head for word in _CREDENTIAL_BYTES):
            out.add(_anchor(rel(root, path)))
    return frozenset(out)


def plan_findings(
    root: Path, scan_config: Config | None, scan: ScanResult | None
) -> tuple[list[Finding], set[str], list[str]]:
    """The given scan's findings, else a scan of ``root``'s working tree plus the local settings
    files git ignores."""
    if scan is None:
        found_here, suppressed, errors = _scan_findings(root, scan_config)
        return [*found_here, *_ignored_findings(root, scan_config)], suppressed, errors
    # the caller's scan (``migrate``) already read the ignored local settings files
    found = {f.key_id for f in scan.findings if f.key_id}
    suppressed = {f.key_id for f in scan.suppressed if f.key_id and f.key_id not in found}
    return [f for f in scan.findings if f.source.name in ("WORKTREE", "DOCKERFILE")], suppressed, []


def _ignored_findings(root: Path, scan_config: Config | None) -> list[Finding]:
    """Keys in the local settings files git ignores (``.env``, ``local_settings.py``): the scan
    of the repository passes over them, but the running app reads its key from there."""
    from keyshift.sources.worktree import ignored_local_files, is_excluded

    config = scan_config or Config()
    rels = [r for r in ignored_local_files(root) if not is_excluded(r, config.exclude)]
    if not rels:
        return []
    try:
        from keyshift.scan import scan_relpaths
    except ImportError:
        return []
    return list(scan_relpaths(root, rels, config).findings)


def explicit_keys(creds: Values) -> tuple[set[str], bool]:
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


def placeholder_key(key_id: str) -> bool:
    """AWS documentation examples and filler such as AKIAXXXXXXXXXXXXXXXX are never real keys:
    the scan's own rule (``detect.suppress``), so the planner's pass over file text rejects
    exactly what the scan suppresses."""
    return key_id_placeholder(key_id) is not None


def keys_of(
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
    keys, unknown = explicit_keys(origin.creds)
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


def blockers_of(service: Service, paired: Mapping[str, str], keys: set[str]) -> tuple[Blocker, ...]:
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
        where = {
            "dockerfile": "Dockerfile",
            "taskdef": "task definition",
            "taskdef-secret": "task definition's secrets",
            "compose": "compose file",
            "k8s": "Kubernetes manifest",
        }.get(setting.kind, ".env file")
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


_SECRETISH = re.compile(r"[A-Za-z0-9/+]{40}")


def no_credentials(grants: tuple[Grant, ...], secrets: Mapping[str, str]) -> tuple[Grant, ...]:
    """A resource built from a credential value (a settings helper whose return value the
    analysis merged across names) is no resource: it is dropped, and never printed."""
    out = []
    for grant in grants:
        keep = tuple(
            r
            for r in grant.resources
            if not KEY_ID.search(r) and not any(sha1_hex(t) in secrets for t in _SECRETISH.findall(r))
        )
        if keep != grant.resources:
            keep = keep or ("*",)
            why = grant.why_any or "a resource name the analysis found was a credential value"
            grant = replace(grant, resources=keep, why_any=why if "*" in keep else grant.why_any)
        out.append(grant)
    return tuple(out)


def assume_role_steps(calls: list[ApiCall]) -> set[str]:
    """Roles this workload assumes must trust the new role."""
    out = set()
    for call in calls:
        if call.service == "sts" and call.method == "assume_role":
            for value in call.param("RoleArn") or ():
                target = value.value if isinstance(value, Const) else "the assumed role"
                out.add(
                    f"{call.path}:{call.line}: the new role only needs sts:AssumeRole; make {target} "
                    "trust it (add the new role's ARN as an AWS principal of its trust policy)"
                )
    return out
