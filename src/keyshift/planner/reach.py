"""From a workload's start commands to the repository files its container runs.

``entrypoints`` reads the commands; this module maps each image path back through the
Dockerfile's ``COPY`` lines to a file of the build context, resolves dotted modules against the
working directory (then, when the copies do not say, against the repository's module index within
the build context), and expands a Django project into what Django itself loads: the settings
module and the settings files it imports, every app of ``INSTALLED_APPS`` (models, admin,
signals, management commands: the whole app package) and every dotted path the settings name
(``ROOT_URLCONF``, middleware, storage classes). The planner's import graph then takes the
workload's code from these seeds. Any command that cannot be followed (a shell script outside
the repository, an unknown launcher) makes the caller keep the folder-wide behaviour: an
unfollowed command could run any file, and a missing grant breaks production.
"""

from __future__ import annotations

import ast
import fnmatch
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from keyshift.planner import startconfigs
from keyshift.planner.analysis import is_test_path
from keyshift.planner.entrypoints import (
    MAX_DEPTH,
    Command,
    Image,
    Outcome,
    Target,
    combine,
    command_of,
    compose_command,
    interpret,
    parse_dockerfile,
    parse_procfile,
    program,
    shell,
)
from keyshift.planner.pyparse import parse
from keyshift.planner.startfiles import MAX_TEXT, compose_overrides, console_scripts, taskdef_overrides
from keyshift.planner.startfiles import read_listed as _read

MAX_COMMANDS = 64  # start commands of one workload followed; more and the folder is its code
MAX_TARGETS = 256  # programs one command runs (scripts included)
MAX_APPS, MAX_DOTTED = 500, 2000  # installed apps and dotted paths one settings file may name
_SETTINGS_NAME = re.compile(r"DJANGO_SETTINGS_MODULE[\"']?\s*[,:=]\s*[\"']([A-Za-z_][\w.]*)[\"']")


@dataclass(slots=True)
class Reach:
    """Where a workload's code starts. ``seeds`` None: its commands were not followed (``why``)."""

    seeds: set[str] | None = None
    entries: list[str] = field(default_factory=list)  # "Dockerfile:9 -> app/main.py"
    why: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Context:
    root: Path
    files: frozenset[str]
    dirs: frozenset[str]
    index: Mapping[str, list[str]]
    context: str  # the build context, repo-relative ("" the root)
    image: Image


def _dirs(files: frozenset[str]) -> frozenset[str]:
    out = {""}
    for path in files:
        parent = posixpath.dirname(path)
        while parent and parent not in out:
            out.add(parent)
            parent = posixpath.dirname(parent)
    return frozenset(out)


def _dockerfiles(files: frozenset[str], directory: str) -> list[str]:
    out = []
    for path in sorted(files):
        parent, name = posixpath.split(path)
        if parent == directory and (
            name == "Dockerfile" or name.startswith("Dockerfile.") or name.endswith(".Dockerfile")
        ):
            out.append(path)
    return out


def _identity(context: str) -> Image:
    """No Dockerfile: the command runs in the build context itself."""
    image = Image(workdir="/")
    image.copies.append((".", "/", True))
    return image


def to_repo(ctx: _Context, image_path: str) -> str | None:
    """The file or folder of the build context the image holds at ``image_path``."""
    image_path = posixpath.normpath(image_path)
    for src, dest, dirish in reversed(ctx.image.copies):
        src_repo = ctx.context if src == "." else posixpath.join(ctx.context, src) if ctx.context else src
        if any(c in src for c in "*?["):
            if posixpath.dirname(image_path) == dest and fnmatch.fnmatchcase(
                posixpath.basename(image_path), posixpath.basename(src)
            ):
                candidate = posixpath.join(posixpath.dirname(src_repo), posixpath.basename(image_path))
                if candidate in ctx.files:
                    return candidate
            continue
        if src_repo in ctx.files:  # a file copied to dest (or into dest/)
            if (image_path == dest and not dirish) or image_path == posixpath.join(
                dest, posixpath.basename(src)
            ):
                return src_repo
            continue
        if src_repo not in ctx.dirs:
            continue
        if image_path == dest:
            return src_repo or "."
        if image_path.startswith(dest.rstrip("/") + "/"):
            rest = image_path[len(dest.rstrip("/")) + 1 :]
            candidate = posixpath.join(src_repo, rest) if src_repo else rest
            if candidate in ctx.files or candidate in ctx.dirs:
                return candidate
    return None


def _module(ctx: _Context, dotted: str, target: Target) -> list[str]:
    """The files ``import dotted`` runs, the module itself first, then its packages'
    ``__init__``; [] when it is not in the build context."""
    parts = dotted.split(".")
    for base in (*target.roots, target.cwd, *_env_roots(ctx.image)):
        found: list[str] = []
        for end in range(1, len(parts) + 1):
            stem = posixpath.join(base, *parts[:end])
            hit = to_repo(ctx, stem + ".py") or to_repo(ctx, stem + "/__init__.py")
            if hit is not None and hit in ctx.files:
                found.append(hit)
            elif end == len(parts) or to_repo(ctx, stem) in (None, "."):
                found = []
                break  # (a folder without ``__init__`` is a namespace package: go on)
        if found:
            return found[::-1]
    # the copies do not say (a volume mount, an unusual layout): the index, within the context
    prefix = ctx.context + "/" if ctx.context else ""
    candidates = [p for p in ctx.index.get(dotted, []) if p.startswith(prefix)]
    if not candidates:
        return []
    best = min(candidates, key=lambda p: (p.count("/"), p))
    out = [best]
    package = PurePosixPath(best).parent
    for _ in range(len(parts) - 1):
        if best.endswith("__init__.py") and package == PurePosixPath(best).parent:
            package = package.parent
        init = (package / "__init__.py").as_posix()
        if init in ctx.files and init not in out:
            out.append(init)
        package = package.parent
    return out


def _env_roots(image: Image) -> list[str]:
    return [p for p in image.env.get("PYTHONPATH", "").split(":") if p.startswith("/")]


def _path(ctx: _Context, image_path: str) -> str | None:
    hit = to_repo(ctx, image_path)
    if hit is not None and hit in ctx.files:
        return hit
    # unmapped: the same name in the context when exactly one file has it
    name = posixpath.basename(image_path)
    prefix = ctx.context + "/" if ctx.context else ""
    same = [p for p in ctx.files if p.startswith(prefix) and posixpath.basename(p) == name]
    return same[0] if len(same) == 1 else None


def _is_test(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return any(p in ("tests", "test", "testing") for p in parts[:-1]) or parts[-1].startswith("test_")


def _django(
    ctx: _Context, settings: str, target: Target, seeds: set[str], entries: list[str], source: str
) -> bool:
    """Seed a Django project from its settings module; False when the settings are not found."""
    files = _module(ctx, settings, target)
    if not files:
        return False
    seeds.update(files)
    entries.append(f"{source} -> Django settings {files[0]}")
    todo = [files[0]]
    seen: set[str] = set()
    while todo and len(seen) < 50:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        text = _read(ctx.root, path, ctx.files)
        try:
            tree = parse(text, path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        apps, dotted = _settings_strings(tree)
        if len(apps) > MAX_APPS or len(dotted) > MAX_DOTTED:
            return False  # generated or hostile settings: not followed, the folder is the code
        for name in sorted(apps):
            _app(ctx, name, target, seeds)
        for name in sorted(dotted):
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                found = _module(ctx, ".".join(parts[:end]), target)
                if found:
                    seeds.update(found)
                    break
        # the settings files it imports (``from .base import *``), read the same way
        package = list(PurePosixPath(path).parent.parts)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                    sibling = "/".join([*base, *(node.module or "").split(".")]) if node.module else ""
                    for candidate in (sibling + ".py", sibling + "/__init__.py"):
                        if sibling and candidate in ctx.files:
                            todo.append(candidate)
                            seeds.add(candidate)
                elif node.module:
                    found = _module(ctx, node.module, target)
                    todo.extend(found[:1])
                    seeds.update(found)
    return True


def _settings_strings(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Strings of assignments to ``*APPS`` (apps) and dotted strings anywhere (modules, classes)."""
    apps: set[str] = set()
    dotted: set[str] = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if any(n.endswith("APPS") for n in names) and node.value is not None:  # type: ignore[attr-defined]
            for child in ast.walk(node.value):  # type: ignore[attr-defined]
                if isinstance(child, ast.Constant) and isinstance(child.value, str):
                    apps.add(child.value)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
            if "." in value and len(value) < 200 and re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", value):
                dotted.add(value)
    return apps, dotted


def _app(ctx: _Context, name: str, target: Target, seeds: set[str]) -> None:
    """An installed app: its whole package (Django and its add-ons load models, admin, signals,
    management commands and tasks by convention, not by import)."""
    if not re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*", name):
        return
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        found = _module(ctx, ".".join(parts[:end]), target)
        if not found:
            continue
        seeds.update(found)
        if found[0].endswith(("/__init__.py", "/apps.py")):
            prefix = posixpath.dirname(found[0]) + "/"
            seeds.update(
                p for p in ctx.files if p.endswith(".py") and p.startswith(prefix) and not _is_test(p)
            )
        return


def _normal_image(path: str) -> str:
    return posixpath.normpath(path if path.startswith("/") else "/" + path)


def reach(
    root: Path,
    directory: str,
    compose_files: list[str],
    env: Mapping[str, str],
    files: frozenset[str],
    index: Mapping[str, list[str]],
    default_django: bool = False,
    taskdefs: tuple[str, ...] = (),
    family: str | None = None,
) -> Reach:
    """The files a workload built from ``directory`` starts with, and how they were found.

    ``compose_files``: compose files that may build it; ``env``: its deployment environment
    (``DJANGO_SETTINGS_MODULE``, ``FLASK_APP``, ``PYTHONPATH``); ``default_django``: no start
    command anywhere, but ``manage.py`` says the folder is a Django project; ``taskdefs``: its
    ECS task definition files (JSON, Terraform, CloudFormation, Copilot), whose containers'
    ``command``/``entryPoint`` override the image's; ``family``: the workload's task family, when
    one file defines several.
    """
    dirs = _dirs(files)
    result = Reach()
    commands: list[tuple[Command, Image, str]] = []  # (command, image, build context)
    images = {
        path: parse_dockerfile(_read(root, path, files), path) for path in _dockerfiles(files, directory)
    }
    for compose in compose_files:
        for command, entrypoint, workdir, dockerfile, context in compose_overrides(
            root, files, compose, directory
        ):
            image = images.get(dockerfile) or _identity(context)
            images.setdefault(dockerfile, image)
            if isinstance(workdir, str):
                image = Image(_normal_image(workdir), image.copies, image.entrypoint, image.cmd, image.env)
            cmd = compose_command(command, f"{compose} (command)")
            ep = compose_command(entrypoint, f"{compose} (entrypoint)")
            chosen = combine(ep, cmd) if ep is not None else combine(image.entrypoint, cmd or image.cmd)
            if chosen is not None:
                commands.append((chosen, image, context))
    image_runs = False  # a task definition container keeps the image's own command
    for taskdef in taskdefs:
        base = next(iter(images.values()), None) or _identity(directory)
        for cmd, ep in taskdef_overrides(root, files, taskdef, family):
            image_runs = image_runs or (cmd is None and ep is None)
            chosen = combine(ep, cmd) if ep is not None else combine(base.entrypoint, cmd or base.cmd)
            if chosen is not None and (cmd is not None or ep is not None):
                commands.append((chosen, base, directory))
    if not commands or image_runs:
        for image in images.values():
            chosen = command_of(image)
            if chosen is not None:
                commands.append((chosen, image, directory))
    procfile = posixpath.join(directory, "Procfile") if directory else "Procfile"
    base_image = next(iter(images.values()), None) or _identity(directory)
    for command in parse_procfile(_read(root, procfile, files), procfile):
        commands.append((command, base_image, directory))
    manage = posixpath.join(directory, "manage.py") if directory else "manage.py"
    if not commands and default_django and manage in files and not images:
        commands.append((Command(manage, ["python", "manage.py"]), _identity(directory), directory))
    if not commands:
        if images:
            result.why.append(
                f"{', '.join(images)}: no CMD or ENTRYPOINT (the base image's?): the workload's code is "
                "its folder and everything it imports"
            )
        return result
    if len(commands) > MAX_COMMANDS:  # a generated Procfile of thousands of lines: not followed
        result.why.append(f"more than {MAX_COMMANDS} start commands; the workload's code is its folder")
        return result
    console = console_scripts(root, files, directory)
    seeds: set[str] = set()
    for command, image, context in commands:
        ctx = _Context(root, files, dirs, index, context, image)
        outcome = Outcome(console=console)
        image_env = {**image.env, **env}
        interpret(command.words(), image.workdir, image_env, outcome)
        _scripts(ctx, outcome, image_env)
        found = _resolve(ctx, outcome, command.source, image_env, seeds, result.entries)
        if outcome.unresolved or not found:
            problems = outcome.unresolved or ["runs nothing keyshift can find in the build context"]
            result.why.extend(f"{command.source}: the entry point {p}" for p in dict.fromkeys(problems))
    if result.why:
        result.why.append("the workload's code is its folder and everything it imports")
        return result
    result.seeds = seeds
    result.entries = list(dict.fromkeys(result.entries))
    return result


def _scripts(ctx: _Context, outcome: Outcome, env: dict[str, str]) -> None:
    """Shell scripts the command runs, read (never run) and interpreted line by line, and the
    config files of its app servers and supervisord (``startconfigs``), which may run more."""
    done = 0
    while (outcome.scripts or outcome.configs) and done < MAX_DEPTH * 4:
        done += 1
        if not outcome.scripts:
            startconfigs.follow(
                outcome.configs.pop(0),
                lambda image_path: _listed(to_repo(ctx, image_path), ctx.files),
                lambda path: _read(ctx.root, path, ctx.files),
                lambda pattern: _matching(ctx, pattern),
                env,
                outcome,
            )
            continue
        path, cwd, args = outcome.scripts.pop(0)
        repo = to_repo(ctx, path)
        if repo is None or repo not in ctx.files:
            outcome.unresolved.append(f"runs the script {program(path)}, which is not in the build context")
            continue
        text = _read(ctx.root, repo, ctx.files)
        if text.startswith("#!") and "python" in text.split("\n", 1)[0]:
            outcome.targets.append(Target("path", path, cwd))
            continue
        shell(text, cwd, env, outcome, 1, args, in_script=True)
    if outcome.scripts or outcome.configs:
        outcome.unresolved.append("runs more scripts and config files than keyshift follows")


def _listed(path: str | None, files: frozenset[str]) -> str | None:
    return path if path is not None and path in files else None


def _matching(ctx: _Context, pattern: str) -> list[str]:
    """The build context's files an image path pattern (``/etc/supervisor/conf.d/*.conf``)
    matches: its folder mapped back through the copies, its name matched there."""
    folder = to_repo(ctx, posixpath.dirname(pattern))
    if folder is None:
        return []
    prefix = "" if folder == "." else folder + "/"
    name = posixpath.basename(pattern)
    return sorted(
        p
        for p in ctx.files
        if p.startswith(prefix)
        and "/" not in p[len(prefix) :]
        and fnmatch.fnmatchcase(p[len(prefix) :], name)
    )


def _resolve(
    ctx: _Context, outcome: Outcome, source: str, env: dict[str, str], seeds: set[str], entries: list[str]
) -> bool:
    found_any = False
    if len(outcome.targets) > MAX_TARGETS:
        outcome.unresolved.append(f"runs more than {MAX_TARGETS} programs")
        return False
    for target in outcome.targets:
        if target.kind == "django":
            settings = target.name or _settings_of(ctx, target)
            if settings and _django(ctx, settings, target, seeds, entries, source):
                found_any = True
            elif not target.optional:
                outcome.unresolved.append(
                    "runs a Django project whose settings module keyshift cannot find or follow"
                )
            continue
        files = (
            _module(ctx, target.name, target)
            if target.kind in ("module", "main")
            else [p for p in [_path(ctx, target.name)] if p is not None]
        )
        if not files:
            if not target.optional:
                what = target.name if target.kind != "path" else program(target.name)
                outcome.unresolved.append(f"runs {what}, which is not in the build context")
            continue
        if target.kind == "main" and files[0].endswith("__init__.py"):
            # ``python -m pkg`` runs ``pkg/__main__.py``; without one the command fails as written
            main = _module(ctx, target.name + ".__main__", target)
            if not main:
                outcome.unresolved.append(f"runs the package {target.name}, which has no __main__.py")
                continue
            files = main + files
        found_any = True
        seeds.update(files)
        entries.append(f"{source} -> {files[0]}")
        text = _read(ctx.root, files[0], ctx.files)
        match = _SETTINGS_NAME.search(text)
        if match:  # a WSGI/ASGI module or celery app of a Django project
            _django(ctx, match.group(1), target, seeds, entries, source)
    return found_any


def _settings_of(ctx: _Context, target: Target) -> str | None:
    manage = to_repo(ctx, posixpath.join(target.cwd, "manage.py"))
    for path in [manage] if manage else []:
        match = _SETTINGS_NAME.search(_read(ctx.root, path, ctx.files))
        if match:
            return match.group(1)
    # manage.py does not say: the one settings module of the build context that lists apps
    prefix = ctx.context + "/" if ctx.context else ""
    found = [
        p
        for p in sorted(ctx.files)
        if p.startswith(prefix)
        and p.endswith(("/settings.py", "/settings/__init__.py"))
        and not _is_test(p)
        and "INSTALLED_APPS" in _read(ctx.root, p, ctx.files)
    ]
    if len(found) == 1:
        module = found[0][len(prefix) : -len(".py")].removesuffix("/__init__")
        return module.replace("/", ".")
    return None


_START_ENV = ("DJANGO_SETTINGS_MODULE", "FLASK_APP", "PYTHONPATH")


def workload_start(
    root: Path,
    directory: str,
    kind: str,
    env_value: Any,
    files: frozenset[str],
    index: Mapping[str, list[str]],
    taskdefs: list[str] | tuple[str, ...] = (),
    family: str | None = None,
) -> Reach:
    """``reach`` for one workload: its compose files, the start settings of its environment
    (``env_value(name)`` -> setting or None), and ``manage.py`` for a project no file starts."""
    compose = sorted(
        p
        for p in files
        if posixpath.basename(p).startswith("docker-compose")
        or posixpath.basename(p) in ("compose.yml", "compose.yaml")
    )
    env = {}
    for name in _START_ENV:
        setting = env_value(name)
        if setting is not None and setting.kind != "taskdef-secret":
            env[name] = setting.value
    return reach(root, directory, compose, env, files, index, kind == "directory", tuple(taskdefs), family)


def unreached(root: Path, own: list[str], code: set[str], limit: int = 8) -> str | None:
    """The note naming the workload's own Python files (tests too) that use the AWS SDK but that
    no entry point reaches: their calls are not granted, and the user should know why."""
    missed = []
    for path in sorted(own):
        if path.endswith(".py") and path not in code:
            try:
                with open(root / path, "rb") as handle:
                    data = handle.read(MAX_TEXT)
            except OSError:
                continue
            if b"boto" in data:
                missed.append(path)
    if not missed:
        return None
    shown = ", ".join(missed[:limit]) + (f" and {len(missed) - limit} more" if len(missed) > limit else "")
    return f"not reached from the entry point(s), so not granted: {shown}"


def unreached_key_code(root: Path, own: list[str], code: set[str], credential_code: set[str]) -> list[str]:
    """The workload's own files with an AWS SDK client and a key or credential argument that no
    entry point reaches. A script, cron job or worker the entry points do not show may still run
    them with the key, and the key is revoked after the migration: the role grants their calls
    and names them, rather than leaving them to fail (or a silent "nothing to plan")."""
    out = []
    for path in sorted(own):
        if path in code or path not in credential_code or is_test_path(path):
            continue
        try:
            with open(root / path, "rb") as handle:
                data = handle.read(MAX_TEXT)
        except OSError:
            continue
        if b"boto" in data or b"Bedrock" in data:
            out.append(path)
    return out
