"""The configuration files an app server or process manager starts from, read as data.

``gunicorn -c gunicorn.conf.py`` (or gunicorn's default ``./gunicorn.conf.py``) names its
application in ``wsgi_app``; ``uwsgi --ini uwsgi.ini`` in ``module``/``wsgi-file``; a container
whose command is ``supervisord`` runs every ``[program:x] command=`` of its configuration and of
the files its ``[include]`` names. Without reading them the workload's code could not be told
from its folder. Nothing here runs: a gunicorn config is Python that gunicorn executes, so it is
parsed (never imported) for literal assignments, and ``reach`` seeds the file itself, since
whatever it imports runs in the container. INI files are read line by line without
interpolation. Each reader takes one bounded text and walks it once.
"""

from __future__ import annotations

import ast
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


MAX_SECTIONS = 4096  # INI sections read; a file with more is generated or hostile


def _ini(text: str) -> dict[str, dict[str, list[str]]] | None:
    """Sections -> keys -> values (every occurrence, in order) of an INI file, in one pass over
    its lines: ``key = value`` or ``key: value``, indented lines continuing the value before,
    ``;``/``#`` comments. No interpolation (``%(x)s`` stays text). ``configparser`` was
    superlinear in the number of sections. None: no section, or too many."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    last: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if raw[0] in " \t" and last is not None:
            last[-1] += "\n" + line  # a continuation line
            continue
        if line.startswith("[") and line.endswith("]"):
            if len(sections) >= MAX_SECTIONS:
                return None
            current = sections.setdefault(line[1:-1].strip(), {})
            last = None
            continue
        if current is None:
            return None  # text before any section: not an INI file
        cut = min((i for i in (line.find("="), line.find(":")) if i > 0), default=-1)
        if cut < 0:
            continue
        last = current.setdefault(line[:cut].strip(), [])
        last.append(line[cut + 1 :].strip())
    return sections or None


def _one(section: dict[str, list[str]], key: str) -> str:
    values = section.get(key)
    return values[-1] if values else ""


def uwsgi(text: str) -> Settings:
    """``module``/``wsgi``/``wsgi-file``/``chdir``/``pythonpath`` of a uwsgi ini's ``[uwsgi]``."""
    out = Settings()
    parsed = _ini(text)
    section = parsed.get("uwsgi") if parsed is not None else None
    if section is None:
        out.problem = "has no [uwsgi] section keyshift can read"
        return out
    for key in ("module", "wsgi", "callable-module"):
        out.apps.extend(v.strip() for v in section.get(key, []) if v.strip())
    for key in ("wsgi-file", "file"):
        out.wsgi_files.extend(v.strip() for v in section.get(key, []) if v.strip())
    out.chdir = _one(section, "chdir").strip() or None
    out.roots = [p.strip() for v in section.get("pythonpath", []) for p in v.splitlines() if p.strip()]
    return out


def supervisord(text: str) -> Settings:
    """The ``[program:x]`` commands (with ``directory`` and ``environment``) and ``[include]``
    files of a supervisord configuration."""
    out = Settings()
    parsed = _ini(text)
    if parsed is None:
        out.problem = f"is not an INI file keyshift can read (or has over {MAX_SECTIONS} sections)"
        return out
    for name, section in parsed.items():
        command = _one(section, "command").strip()
        if name.startswith(("program:", "fcgi-program:")) and command:
            if len(out.programs) >= MAX_PROGRAMS:
                out.problem = f"runs more than {MAX_PROGRAMS} programs"
                return out
            directory = _one(section, "directory").strip() or None
            out.programs.append((command, directory, _environment(_one(section, "environment"))))
        elif name == "include":
            out.includes.extend(_one(section, "files").split()[:MAX_INCLUDES])
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
