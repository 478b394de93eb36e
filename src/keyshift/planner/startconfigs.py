"""The configuration files an app server or process manager starts from, read as data.

``gunicorn -c gunicorn.conf.py`` (or gunicorn's default ``./gunicorn.conf.py``) names its
application in ``wsgi_app``; ``uwsgi --ini uwsgi.ini`` in ``module``/``wsgi-file``; a container
whose command is ``supervisord`` runs every ``[program:x] command=`` of its configuration and of
the files its ``[include]`` names. Without reading them the workload's code could not be told
from its folder. Nothing here runs: a gunicorn config is Python that gunicorn executes, so it is
parsed (never imported) for literal assignments, and ``reach`` seeds the file itself, since
whatever it imports runs in the container. INI files are read by ``configparser`` without
interpolation. Each reader takes one bounded text and walks it once.
"""

from __future__ import annotations

import ast
import configparser
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field

from keyshift.planner.entrypoints import _APP, Config, Outcome, Target, interpret, program, split_shell
from keyshift.planner.pyparse import parse

MAX_PROGRAMS = 64  # ``[program:x]`` sections followed; more and the workload's folder is its code
MAX_INCLUDES = 32  # files one supervisord ``[include]`` may add


@dataclass(slots=True)
class Settings:
    """What one config file says: applications (dotted module names), the directory the server
    changes to, extra import roots, programs to run (supervisord) and includes; ``problem``
    says why a setting that matters could not be read."""

    apps: list[str] = field(default_factory=list)
    wsgi_files: list[str] = field(default_factory=list)
    chdir: str | None = None
    roots: list[str] = field(default_factory=list)
    #: (command, directory, environment) of each supervisord program
    programs: list[tuple[str, str | None, dict[str, str]]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    problem: str | None = None


def gunicorn(text: str, path: str) -> Settings:
    """``wsgi_app``, ``chdir`` and ``pythonpath`` of a gunicorn config module: module-level
    assignments of literals only (a computed value is a ``problem`` when it is the app)."""
    out = Settings()
    try:
        tree = parse(text, path)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        out.problem = "is not Python keyshift can parse"
        return out
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not isinstance(target, ast.Name):
                continue
            literal = node.value.value if isinstance(node.value, ast.Constant) else None
            if target.id == "wsgi_app":
                if isinstance(literal, str):
                    out.apps.append(literal)
                else:
                    out.problem = "sets wsgi_app to a value that is not a literal"
            elif target.id == "chdir" and isinstance(literal, str):
                out.chdir = literal
            elif target.id == "pythonpath" and isinstance(literal, str):
                out.roots.extend(p.strip() for p in literal.split(",") if p.strip())
    return out


def _ini(text: str) -> configparser.ConfigParser | None:
    parser = configparser.ConfigParser(interpolation=None, strict=False, default_section="\0")
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    try:
        parser.read_string(text)
    except (configparser.Error, ValueError):
        return None
    return parser


def uwsgi(text: str) -> Settings:
    """``module``/``wsgi``/``wsgi-file``/``chdir``/``pythonpath`` of a uwsgi ini's ``[uwsgi]``."""
    out = Settings()
    parser = _ini(text)
    if parser is None or not parser.has_section("uwsgi"):
        out.problem = "has no [uwsgi] section keyshift can read"
        return out
    section = parser["uwsgi"]
    for key in ("module", "wsgi", "callable-module"):
        if section.get(key):
            out.apps.append(section[key].strip())
    for key in ("wsgi-file", "file"):
        if section.get(key):
            out.wsgi_files.append(section[key].strip())
    out.chdir = (section.get("chdir") or "").strip() or None
    out.roots = [p.strip() for p in (section.get("pythonpath") or "").splitlines() if p.strip()]
    return out


def supervisord(text: str) -> Settings:
    """The ``[program:x]`` commands (with ``directory`` and ``environment``) and ``[include]``
    files of a supervisord configuration."""
    out = Settings()
    parser = _ini(text)
    if parser is None:
        out.problem = "is not an INI file keyshift can read"
        return out
    for name in parser.sections():
        section = parser[name]
        if name.startswith(("program:", "fcgi-program:")) and section.get("command"):
            if len(out.programs) >= MAX_PROGRAMS:
                out.problem = f"runs more than {MAX_PROGRAMS} programs"
                return out
            directory = (section.get("directory") or "").strip() or None
            environment = _environment(section.get("environment"))
            out.programs.append((section["command"].strip(), directory, environment))
        elif name == "include":
            out.includes.extend((section.get("files") or "").split()[:MAX_INCLUDES])
    return out


def _environment(value: str | None) -> dict[str, str]:
    """``KEY="value",KEY2=value2`` of a program's ``environment``."""
    out: dict[str, str] = {}
    for item in (value or "").split(","):
        name, equals, setting = item.partition("=")
        if equals and name.strip().isidentifier():
            out[name.strip()] = setting.strip().strip("\"'")
    return out


#: where supervisord looks for its configuration when no ``-c`` says (its documented order)
_SUPERVISORD_DEFAULTS = (
    "supervisord.conf", "etc/supervisord.conf", "/etc/supervisord.conf",
    "/etc/supervisor/supervisord.conf", "../etc/supervisord.conf", "../supervisord.conf",
)  # fmt: skip


def follow(
    config: Config,
    locate: Callable[[str], str | None],
    read: Callable[[str], str],
    matching: Callable[[str], list[str]],
    env: dict[str, str],
    out: Outcome,
) -> None:
    """Add to ``out`` what ``config`` starts. ``locate``: an image path's repository file (or
    None); ``read``: a repository file's text; ``matching``: image paths of the files an image
    path pattern matches (supervisord's ``[include]``)."""
    if config.kind == "gunicorn" and config.path.startswith("python:"):
        module = config.path[len("python:") :]
        if _APP.match(module):
            out.targets.append(Target("module", module, config.cwd, config.roots))
        if config.needs_app:
            out.unresolved.append("runs gunicorn with a config module, not read for its application")
        return
    paths = [config.path] if config.path else [posixpath.join(config.cwd, p) for p in _SUPERVISORD_DEFAULTS]
    located = ((p, locate(posixpath.normpath(p))) for p in paths)
    image_path, repo = next(((p, r) for p, r in located if r is not None), ("", None))
    if repo is None:
        if config.optional and config.needs_app:
            out.unresolved.append("runs gunicorn without an application (and no gunicorn.conf.py names one)")
        elif not config.optional:
            shown = program(config.path) if config.path else "its configuration"
            out.unresolved.append(f"runs {config.kind} with {shown}, which is not in the build context")
        return
    if config.kind == "supervisord":
        _programs(config, image_path, repo, read, matching, env, out)
        return
    settings = gunicorn(read(repo), repo) if config.kind == "gunicorn" else uwsgi(read(repo))
    if config.kind == "gunicorn":
        out.targets.append(Target("path", image_path, config.cwd, config.roots))  # gunicorn runs it
    cwd = _image_path(settings.chdir, config.cwd) if settings.chdir else config.cwd
    roots = (*config.roots, *(_image_path(p, cwd) for p in settings.roots))
    for app in settings.apps:
        match = _APP.match(app)
        if match:
            out.targets.append(Target("module", match.group(1), cwd, roots))
    for path in settings.wsgi_files:
        out.targets.append(Target("path", _image_path(path, cwd), cwd, roots))
    if settings.problem:
        out.unresolved.append(f"runs {config.kind} whose config {program(image_path)} {settings.problem}")
    elif config.needs_app and not (settings.apps or settings.wsgi_files):
        out.unresolved.append(f"runs {config.kind} whose config {program(image_path)} names no application")


def _programs(
    config: Config,
    image_path: str,
    repo: str,
    read: Callable[[str], str],
    matching: Callable[[str], list[str]],
    env: dict[str, str],
    out: Outcome,
) -> None:
    """Every program of a supervisord configuration and of the files its ``[include]`` adds."""
    main = supervisord(read(repo))
    found = [main]
    included: list[str] = []
    for pattern in main.includes:
        included.extend(matching(_image_path(pattern, posixpath.dirname(image_path))))
    for path in included[:MAX_INCLUDES]:  # repository files
        found.append(supervisord(read(path)))
    if len(included) > MAX_INCLUDES:
        out.unresolved.append(f"runs supervisord including more than {MAX_INCLUDES} files")
    programs = [p for settings in found for p in settings.programs]
    for settings in found:
        if settings.problem:
            out.unresolved.append(f"runs supervisord whose configuration {settings.problem}")
    if len(programs) > MAX_PROGRAMS:
        out.unresolved.append(f"runs more than {MAX_PROGRAMS} supervisord programs")
        return
    for command, directory, program_env in programs:
        cwd = _image_path(directory, config.cwd) if directory else config.cwd
        for words in split_shell(command):
            # a program is like a script's line: nginx, cron and the like run no Python
            interpret(words, cwd, {**env, **program_env}, out, 1, in_script=True)


def _image_path(path: str, cwd: str) -> str:
    return posixpath.normpath(path if path.startswith("/") else posixpath.join(cwd or "/", path))
