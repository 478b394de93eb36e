"""Where services live and what their deployment files put in the environment.

A role is per service: the directory of a Dockerfile, a docker-compose service (its build
context) or an ECS task definition family. Their environment (``.env``, compose
``environment``/``env_file``, Dockerfile ``ENV``, task definition ``environment``) tells which
key the service's clients pick up implicitly, its region, and which settings must be removed
because an ``AWS_ACCESS_KEY_ID`` there overrides the task role.
"""

from __future__ import annotations

import ast
import json
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from keyshift.planner import k8senv

_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(.*?)\s*$")
_DOCKER_ENV = re.compile(r"^\s*(ENV|ARG)\s+(.*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class EnvSetting:
    """One environment variable set by a deployment file."""

    name: str
    value: str
    path: str
    line: int
    kind: str  # "dotenv" | "compose" | "dockerfile" | "taskdef" | "taskdef-secret" | "k8s"


@dataclass(slots=True)
class Service:
    """A deployable unit: its name, its code directory and the environment it is given."""

    name: str
    directory: str  # repo-relative POSIX, "" for the root
    env: list[EnvSetting] = field(default_factory=list)
    taskdefs: list[str] = field(default_factory=list)  # repo-relative task definition files
    family: str | None = None
    parent: Service | None = None  # the service of an enclosing directory (a repo-level .env)
    origin: str | None = None  # the file (or folder) the name came from, for messages about it
    kind: str = "directory"  # "taskdef" | "compose" | "dockerfile" | "directory" (no deployment file)
    target: str = "ecs"  # "ecs" | "lambda" | "eks"
    # what the task definition's execution role must allow: "secrets <arn>", "ecr <image>", "logs <group>"
    execution_needs: list[str] = field(default_factory=list)
    execution_role: bool = True  # the task definition names an executionRoleArn (or none is known)
    other_taskdefs: list[str] = field(default_factory=list)  # Terraform, CloudFormation, Copilot files

    @property
    def label(self) -> str:
        """The name roles are named after: the task family, else the service."""
        return self.family or self.name

    def env_value(self, name: str) -> EnvSetting | None:
        for setting in self.env:
            if setting.name == name and setting.kind != "taskdef-secret":  # a secret's ARN is not its value
                return setting
        return self.parent.env_value(name) if self.parent is not None else None


def walk(root: Path) -> list[Path]:
    """Every regular file under ``root`` as ``scan`` and ``fix`` list them
    (``sources.worktree.walk_tree``: git's listing in a work tree, else a walk past VCS,
    dependency and cache folders), plus the local settings files git ignores (``.env``,
    ``local_settings.py``): the running app reads them, so the plan does; symlinks are never
    followed; sorted."""
    from keyshift.sources.worktree import ignored_local_files, walk_tree

    names = {*walk_tree(root, all_files=False, exclude=()).files, *ignored_local_files(root)}
    paths = (root / name for name in names)
    return sorted(p for p in paths if _regular(p))


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def rel(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, POSIX-style. Every listed file passes here several times, so
    the common case (``path`` built as ``root / name``) is a string cut, not ``relative_to``."""
    whole, base = str(path), str(root)
    if os.sep == "/" and base != "/" and whole.startswith(base) and whole[len(base) : len(base) + 1] == "/":
        return whole[len(base) + 1 :]
    return path.relative_to(root).as_posix()


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value.split(" #", 1)[0].strip()


def parse_dotenv(text: str, path: str, kind: str = "dotenv") -> list[EnvSetting]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if match:
            out.append(EnvSetting(match.group(1), _unquote(match.group(2)), path, number, kind))
    return out


def parse_dockerfile(text: str, path: str) -> list[EnvSetting]:
    """``ENV``/``ARG`` settings with continuation lines joined, first line number kept."""
    out: list[EnvSetting] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        start = index
        line = lines[index]
        while line.rstrip().endswith("\\") and index + 1 < len(lines):
            index += 1
            line = line.rstrip()[:-1] + " " + lines[index]
        index += 1
        match = _DOCKER_ENV.match(line)
        if not match:
            continue
        body = match.group(2).strip()
        pairs = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)", body)
        if pairs:
            for name, value in pairs:
                out.append(EnvSetting(name, _unquote(value), path, start + 1, "dockerfile"))
        elif match.group(1).upper() == "ENV":
            name, _, value = body.partition(" ")
            out.append(EnvSetting(name, _unquote(value), path, start + 1, "dockerfile"))
    return out


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def _env_items(environment: Any) -> list[tuple[str, str]]:
    if isinstance(environment, dict):
        return [(str(k), "" if v is None else str(v)) for k, v in environment.items()]
    if isinstance(environment, list):
        items = []
        for entry in environment:
            if isinstance(entry, str):
                name, _, value = entry.partition("=")
                items.append((name, value))
            elif isinstance(entry, dict) and "name" in entry:
                items.append((str(entry["name"]), str(entry.get("value", ""))))
        return items
    return []


def _is_taskdef(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("containerDefinitions"), list)


def discover(
    root: Path,
    files: list[Path],
    libraries: frozenset[str] = frozenset(),
    root_name: str | None = None,
    single_project: bool = False,
) -> list[Service]:
    """Find the workloads of a repository: task definition families, else compose services with a
    build, else Dockerfile build contexts. Without any, each top-level code directory is one
    (a repository of small services), except ``libraries`` (directories other code imports) and
    unless ``single_project`` (one Django project, a Procfile, ...); the root itself is one
    when nothing else is. ``root_name`` names a workload at the root."""
    root_name = root_name or root.resolve().name
    services: dict[str, Service] = {}
    by_dir: dict[str, Service] = {}

    def get(directory: str, name: str) -> Service:
        if directory not in by_dir:
            service = Service(name=name, directory=directory)
            by_dir[directory] = service
            services[directory] = service
        return by_dir[directory]

    texts: dict[str, str] = {}
    cache = _Texts()  # the JSON files are read by two passes below: once each
    for path in files:
        name = path.name
        if name == "Dockerfile" or name.startswith("Dockerfile.") or name.endswith(".Dockerfile"):
            relpath = rel(root, path)
            directory = _norm(PurePosixPath(relpath).parent)
            service = get(directory, PurePosixPath(directory).name or root_name)
            service.kind = "dockerfile"
            service.origin = service.origin or relpath
            texts[relpath] = _read(path)
            service.env.extend(parse_dockerfile(texts[relpath], relpath))
    for path in files:
        relpath = rel(root, path)
        if path.name.startswith("docker-compose") or path.name in ("compose.yml", "compose.yaml"):
            _compose(root, path, relpath, get, by_dir)
        elif path.suffix == ".json" and cache.size(path) < 1_000_000:
            text = cache.text(path)
            if "containerDefinitions" not in text or "AWS::ECS::TaskDefinition" in text:
                continue
            try:
                data = json.loads(text)
            except ValueError:
                continue
            data = data.get("taskDefinition", data) if isinstance(data, dict) else data
            if not _is_taskdef(data):
                continue
            _taskdef(root, path, relpath, text, data, get, by_dir)
    for path in files:
        if path.suffix in _INFRASTRUCTURE:
            _infrastructure(root, path, rel(root, path), get, by_dir, cache)
    explicit = bool(services)
    # without a Dockerfile, compose file or task definition anywhere, each top-level directory
    # holding Python code is a service of its own (a repository of several small services)
    code_dirs = sorted(
        {
            relpath.split("/", 1)[0]
            for p in files
            if p.suffix == ".py" and "/" in (relpath := rel(root, p)) and not _is_test(relpath)
        }
    )
    code_dirs = [d for d in code_dirs if d not in libraries]
    if not explicit and not single_project and len(code_dirs) >= 2:
        for directory in code_dirs:
            if directory not in services:
                get(directory, directory)
    for path in files:
        if path.name == ".env" or (path.name.startswith(".env.") and not path.name.endswith(".example")):
            relpath = rel(root, path)
            directory = str(PurePosixPath(relpath).parent)
            directory = "" if directory == "." else directory
            # a .env inside a build context that is no workload itself (``app/.env`` copied in by
            # the root Dockerfile) is read by the workload that builds it, not one of its own
            enclosing = [
                s
                for s in services.values()
                if s.kind != "directory" and (s.directory == "" or directory.startswith(s.directory + "/"))
            ]
            service = (
                by_dir.get(directory)
                or max(enclosing, key=lambda s: len(s.directory), default=None)
                or get(directory, PurePosixPath(directory).name or root_name)
            )
            known = {(s.path, s.name) for s in service.env}
            for setting in parse_dotenv(_read(path), relpath):
                if (setting.path, setting.name) not in known:
                    service.env.append(setting)
    if not services:
        get("", root_name)
    # Kubernetes env reaches the default-chain clients of the workload a manifest names (after
    # the directory workloads exist: manifests often deploy code no Dockerfile here builds)
    for manifest in k8senv.manifests(root, files):  # Kubernetes env reaches default-chain clients
        key = k8senv.owner(manifest, {k: s.name for k, s in services.items()})
        if key is not None:
            services[key].env.extend(
                EnvSetting(n, v, manifest.path, line, "k8s") for n, v, line in manifest.env
            )
    for service in services.values():
        candidates = [
            other
            for other in services.values()
            if other is not service
            and (other.directory == "" or service.directory.startswith(other.directory + "/"))
            and service.directory != ""
        ]
        if candidates:
            service.parent = max(candidates, key=lambda o: len(o.directory))
    return sorted(services.values(), key=lambda s: (s.directory, s.name))


def _is_test(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return any(p in ("tests", "test", "testing") for p in parts[:-1]) or parts[-1].startswith("test_")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _compose(root: Path, path: Path, relpath: str, get: Any, by_dir: dict[str, Service]) -> None:
    import yaml  # type: ignore[import-untyped]

    text = _read(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return
    base = PurePosixPath(relpath).parent
    # a service that runs the image another service builds (``image: users`` beside ``build: .``
    # with ``image: users``: an RQ or Celery worker) runs that build context's code
    built = {
        str(spec["image"]): _build_context(spec)
        for spec in data["services"].values()
        if isinstance(spec, dict) and spec.get("image") and isinstance(_build_context(spec), str)
    }
    for name, spec in sorted(data["services"].items()):
        if not isinstance(spec, dict):
            continue
        context = _build_context(spec)
        if context is None and spec.get("image") is not None:
            context = built.get(str(spec["image"]))
        if not isinstance(context, str):
            # an image-only container (database, cache, sidecar) runs no code of this repository
            continue
        directory = _norm(base / context)
        service = by_dir.get(directory)
        if service is None:
            service = get(directory, str(name))
        if service.kind != "taskdef":
            service.name = str(name)
            service.kind = "compose"
        service.origin = relpath
        for key, value in _env_items(spec.get("environment")):
            service.env.append(EnvSetting(key, value, relpath, _line_of(text, key), "compose"))
        env_files = spec.get("env_file")
        for env_file in [env_files] if isinstance(env_files, str) else env_files or []:
            if not isinstance(env_file, str):
                continue
            target = root / _norm(base / env_file)
            if target.is_file() and target.resolve().is_relative_to(root.resolve()):
                service.env.extend(parse_dotenv(_read(target), rel(root, target)))


def _build_context(spec: dict[str, Any]) -> str | None:
    build = spec.get("build")
    context = build.get("context") if isinstance(build, dict) else build
    return context if isinstance(context, str) else None


_DEPLOY_DIRS = frozenset(
    {"deploy", "ecs", "infra", "aws", ".aws", "terraform", "cloudformation", "cfn", "iac"}
)


def _taskdef(
    root: Path,
    path: Path,
    relpath: str,
    text: str,
    data: Any,
    get: Any,
    by_dir: dict[str, Service],
    directory: str | None = None,
) -> None:
    """Register one task definition; ``directory`` is its code's folder when the file says
    (a Copilot build context), else the file's folder (its parent for deploy/, ecs/, ...)."""
    if directory is None:
        directory = _norm(PurePosixPath(relpath).parent)
        # task definitions often sit in a deploy/ or ecs/ folder next to the code
        while directory and PurePosixPath(directory).name in _DEPLOY_DIRS:
            directory = _norm(PurePosixPath(directory).parent)
    family = str(data.get("family") or PurePosixPath(directory).name or root.resolve().name)
    service = by_dir.get(directory)
    if service is not None and service.family is not None and service.family != family:
        # a second family in the same folder (infra/ holding every service): its own workload,
        # keyed by family so neither loses its settings
        service = get(f"{directory}#{family}", family)
        service.directory = directory
    elif service is None:
        service = get(directory, family)
    if service.family is None:
        service.family = family
        service.origin = service.origin or relpath
    service.kind = "taskdef"
    if path.suffix == ".json" and "containerDefinitions" in text:
        service.taskdefs.append(relpath)
    else:
        service.other_taskdefs.append(relpath)
    add_taskdef_settings(service, data, relpath, text)


def add_taskdef_settings(service: Service, data: Any, relpath: str, text: str) -> None:
    """Environment, ``secrets`` and execution-role needs of one task definition's containers."""
    needs = service.execution_needs
    if not data.get("executionRoleArn") and not data.get("ExecutionRoleArn"):
        service.execution_role = False
    for container in data.get("containerDefinitions") or data.get("ContainerDefinitions") or []:
        if not isinstance(container, dict):
            continue
        for key, value in _env_items(container.get("environment") or container.get("Environment")):
            service.env.append(EnvSetting(key, value, relpath, _line_of(text, f'"{key}"'), "taskdef"))
        for secret in container.get("secrets") or container.get("Secrets") or []:
            if isinstance(secret, dict):
                name = str(secret.get("name") or secret.get("Name") or "")
                source = str(secret.get("valueFrom") or secret.get("ValueFrom") or "")
                service.env.append(EnvSetting(name, source, relpath, _line_of(text, name), "taskdef-secret"))
                needs.append(f"secrets {source}")
        image = container.get("image") or container.get("Image")
        if isinstance(image, str) and ".dkr.ecr." in image:
            needs.append(f"ecr {image}")
        logs = container.get("logConfiguration") or container.get("LogConfiguration") or {}
        if isinstance(logs, dict) and (logs.get("logDriver") or logs.get("LogDriver")) == "awslogs":
            options = logs.get("options") or logs.get("Options") or {}
            group = options.get("awslogs-group", "*") if isinstance(options, dict) else "*"
            needs.append(f"logs {group}")


def _norm(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part in (".", ""):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def service_for(services: list[Service], relpath: str, default_name: str) -> Service:
    """The deepest service whose directory holds ``relpath``."""
    best = None
    for service in services:
        prefix = service.directory
        inside = not prefix or relpath == prefix or relpath.startswith(prefix + "/")
        if inside and (best is None or len(prefix) > len(best.directory)):
            best = service
    if best is None:
        best = Service(name=default_name, directory="")
        services.append(best)
    return best


class _Texts:
    """Sizes and texts of the deployment files ``discover`` looks at, each read once."""

    def __init__(self) -> None:
        self._sizes: dict[Path, int] = {}
        self._texts: dict[Path, str] = {}

    def size(self, path: Path) -> int:
        if path not in self._sizes:
            self._sizes[path] = path.stat().st_size
        return self._sizes[path]

    def text(self, path: Path) -> str:
        if path not in self._texts:
            self._texts[path] = _read(path)
        return self._texts[path]


_INFRASTRUCTURE = frozenset({".tf", ".json", ".yml", ".yaml", ".template"})


def _infrastructure(
    root: Path, path: Path, relpath: str, get: Any, by_dir: dict[str, Service], cache: _Texts | None = None
) -> None:
    """Task definitions in Terraform, CloudFormation templates and Copilot manifests."""
    from keyshift.planner import taskdefs

    cache = cache or _Texts()
    if path.suffix not in _INFRASTRUCTURE or cache.size(path) > 1_000_000:
        return
    text = cache.text(path)
    if path.suffix == ".tf":
        if "aws_ecs_task_definition" in text:
            for data in taskdefs.terraform(root, relpath, text):
                _taskdef(root, path, relpath, text, data, get, by_dir)
        return
    if "AWS::ECS::TaskDefinition" in text:
        for data in taskdefs.cloudformation(text):
            _taskdef(root, path, relpath, text, data, get, by_dir)
        return
    parts = PurePosixPath(relpath).parts
    if path.name == "manifest.yml" and "copilot" in parts:
        found = taskdefs.copilot(relpath, text)
        if found is not None:
            data, context = found
            directory = _norm(PurePosixPath(context)) if context is not None else None
            if directory is None:
                directory = _norm(PurePosixPath(*parts[: parts.index("copilot")]))
            _taskdef(root, path, relpath, text, data, get, by_dir, directory)


def single_project(root: Path, trees: Mapping[str, ast.Module], files: list[Path]) -> bool:
    """One deployable project at the root: a Procfile, ``manage.py`` or a Django settings module."""
    names = {rel(root, p) for p in files}
    if "Procfile" in names or "manage.py" in names:
        return True
    for path, tree in trees.items():
        if path.endswith("settings.py") or "/settings/" in path:
            for node in tree.body:
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "INSTALLED_APPS" for t in node.targets
                ):
                    return True
    return False
