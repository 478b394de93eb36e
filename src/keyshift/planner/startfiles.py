"""The deployment files that say what a workload's container starts, read as data.

Compose services (``command``, ``entrypoint``, ``working_dir`` and the Dockerfile they build), ECS
task definition containers (``command``, ``entryPoint``, whether the task definition is JSON,
Terraform, CloudFormation or a Copilot manifest) and the project's own console scripts
(``[project.scripts]``, Poetry scripts, setup.cfg ``console_scripts``): ``reach`` combines them
with the Dockerfile's ``ENTRYPOINT``/``CMD``. Only files the walk listed are read (never through a
symlink), each at most ``MAX_TEXT`` bytes.
"""

from __future__ import annotations

import posixpath
from pathlib import Path, PurePosixPath
from typing import Any

from keyshift.planner.entrypoints import Command, compose_command

MAX_TEXT = 512_000  # a Dockerfile, Procfile, script or settings module larger than this is not read


def read_listed(root: Path, path: str, files: frozenset[str]) -> str:
    """A listed regular file's text (never through a symlink: ``files`` holds none)."""
    if path not in files:
        return ""
    try:
        with open(root / path, "rb") as handle:
            data = handle.read(MAX_TEXT + 1)
    except OSError:
        return ""
    return "" if len(data) > MAX_TEXT else data.decode("utf-8", "replace")


def compose_overrides(
    root: Path, files: frozenset[str], compose_path: str, directory: str
) -> list[tuple[Any, Any, Any, str, str]]:
    """(command, entrypoint, working_dir, Dockerfile, build context) of each compose service
    whose image is built from ``directory``'s Dockerfile (``build.dockerfile`` there, or no
    ``dockerfile`` and ``directory`` as the context)."""
    import yaml  # type: ignore[import-untyped]

    text = read_listed(root, compose_path, files)
    try:
        data = yaml.safe_load(text) if text else None
    except (yaml.YAMLError, RecursionError):
        return []
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return []
    base = PurePosixPath(compose_path).parent
    out = []
    for _name, spec in sorted(services.items(), key=lambda kv: str(kv[0])):
        if not isinstance(spec, dict):
            continue
        build = spec.get("build")
        context = build.get("context", ".") if isinstance(build, dict) else build
        if not isinstance(context, str):
            continue
        context = _normal((base / context).as_posix())
        dockerfile = build.get("dockerfile") if isinstance(build, dict) else None
        dockerfile = _normal(posixpath.join(context, dockerfile)) if isinstance(dockerfile, str) else None
        # a Dockerfile beside code is that code's workload (billing/Dockerfile, context "."); one
        # in a folder of Dockerfiles (docker/local.Dockerfile) builds the context's workload
        beside_code = dockerfile is not None and holds_code(files, posixpath.dirname(dockerfile))
        built_here = posixpath.dirname(dockerfile or "") == directory if beside_code else context == directory
        if built_here:
            dockerfile = dockerfile or posixpath.join(context, "Dockerfile").lstrip("/")
            out.append(
                (spec.get("command"), spec.get("entrypoint"), spec.get("working_dir"), dockerfile, context)
            )
    return out


def holds_code(files: frozenset[str], directory: str) -> bool:
    prefix = directory + "/" if directory else ""
    return any(p.startswith(prefix) and p.endswith(".py") and "/" not in p[len(prefix) :] for p in files)


def taskdef_overrides(
    root: Path, files: frozenset[str], path: str, family: str | None = None
) -> list[tuple[Command | None, Command | None]]:
    """(command, entryPoint) overrides of each container of one task definition: a JSON file,
    a Terraform ``aws_ecs_task_definition``, a CloudFormation ``AWS::ECS::TaskDefinition`` or a
    Copilot manifest. ``family``: when the file defines several, only that family's containers."""
    import json

    from keyshift.planner import taskdefs

    text = read_listed(root, path, files)
    if not text:
        return []
    found: list[Any] = []
    name = PurePosixPath(path)
    if name.suffix == ".tf":
        found = taskdefs.terraform(root, path, text) if "aws_ecs_task_definition" in text else []
    elif "AWS::ECS::TaskDefinition" in text:
        found = taskdefs.cloudformation(text)
    elif name.name == "manifest.yml" and "copilot" in name.parts:
        copilot = taskdefs.copilot(path, text)
        found = [copilot[0]] if copilot is not None else []
    else:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return []
        found = [data.get("taskDefinition", data) if isinstance(data, dict) else None]
    mine = [d for d in found if isinstance(d, dict) and (family is None or d.get("family") == family)]
    out = []
    for data in mine or [d for d in found if isinstance(d, dict)]:
        containers = data.get("containerDefinitions")
        for container in containers if isinstance(containers, list) else []:
            if isinstance(container, dict) and not container.get(taskdefs.SETTINGS_ONLY):
                cmd = _override(container, "command", f"{path} (command)")
                ep = _override(container, "entryPoint", f"{path} (entryPoint)")
                out.append((cmd, ep))
    return out


def _override(container: dict[str, Any], key: str, source: str) -> Command | None:
    """A container's ``command``/``entryPoint``; one keyshift cannot read (a variable, an
    intrinsic function) becomes a command no launcher matches, so the workload falls back."""
    from keyshift.planner.taskdefs import NOT_LITERAL

    value = container.get(key)
    if value is None:
        return None
    command = compose_command(value, source) if value != NOT_LITERAL else None
    if command is None and value not in ([], ""):
        return Command(source + ", not a literal list", [NOT_LITERAL])
    return command


def console_scripts(root: Path, files: frozenset[str], directory: str) -> dict[str, str]:
    """The console scripts the project installs (``[project.scripts]``, Poetry's scripts,
    setup.cfg ``console_scripts``), from the build context's and the repository's metadata."""
    import configparser
    import tomllib

    out: dict[str, str] = {}
    for folder in dict.fromkeys(["", directory]):
        prefix = folder + "/" if folder else ""
        try:
            data = tomllib.loads(read_listed(root, prefix + "pyproject.toml", files))
        except (ValueError, RecursionError):
            data = {}
        tables = [
            data.get("project", {}).get("scripts"),
            data.get("tool", {}).get("poetry", {}).get("scripts"),
        ]
        for table in tables:
            if isinstance(table, dict):
                out.update({str(k): v for k, v in table.items() if isinstance(v, str)})
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(read_listed(root, prefix + "setup.cfg", files))
            lines = parser.get("options.entry_points", "console_scripts", fallback="")
        except configparser.Error:
            lines = ""
        for line in lines.splitlines():
            name, equals, target = line.partition("=")
            if equals and name.strip():
                out[name.strip()] = target.strip()
    return out


def _normal(path: str) -> str:
    normal = posixpath.normpath(path)
    return "" if normal == "." else normal.lstrip("/")
