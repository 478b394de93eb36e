"""What a workload's container runs: its commands, read as data and never executed.

A task role should hold the calls of the code the container starts, not of every file that
happens to sit in its build context (tests, one-off scripts). The container starts what its
Dockerfile's ``ENTRYPOINT``/``CMD`` say (with the ``WORKDIR`` and the ``COPY`` mapping from the
build context to image paths), what a compose file's ``command``/``entrypoint`` or a task
definition's ``command`` override, or what a Procfile's lines run. This module turns those texts
into *targets*: a Python file, a dotted module (``python -m``, ``gunicorn pkg.wsgi:app``,
``celery -A pkg``) or a Django project (``manage.py``), each with the directory it runs in.
``reach`` turns targets into repository files.

Every parser here walks its input once, character by character or line by line, with bounded
recursion: a hostile Dockerfile can make the plan fall back, never hang.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field

#: nested shells (``sh -c "bash -c '...'"``) and scripts calling scripts followed at most
MAX_DEPTH = 4
#: a launcher name shown in a note: a plain program name, never a whole command (which may
#: hold a secret passed on the command line)
_PROGRAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$")
_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_APP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?::[A-Za-z_][\w.()]*)?$")
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True, slots=True)
class Target:
    """One thing a command runs: ``kind`` is "path" (a file, image or relative path), "module"
    (a dotted name), "main" (``python -m``: a module, or a package's ``__main__``), "django" (a
    project; ``name`` its settings module when the command says)."""

    kind: str
    name: str
    cwd: str  # image path the command runs in
    roots: tuple[str, ...] = ()  # extra import roots (``--chdir``, ``--app-dir``, PYTHONPATH)
    optional: bool = False  # one of alternatives (``celery -A proj``: proj.celery, else proj)


@dataclass(frozen=True, slots=True)
class Config:
    """A config file a command starts from (``startconfigs`` reads it): ``kind`` "gunicorn",
    "uwsgi" or "supervisord"; ``path`` its image path ("" for supervisord's default places);
    ``needs_app``: the command names no application, so the file must; ``optional``: a default
    file the server reads only when it is there (``./gunicorn.conf.py``)."""

    kind: str
    path: str
    cwd: str
    roots: tuple[str, ...] = ()
    needs_app: bool = True
    optional: bool = False


@dataclass(slots=True)
class Command:
    """One command line of a deployment file: exec form (``argv``) or shell form (``shell``)."""

    source: str  # "path:line" of the file that says it
    argv: list[str] | None = None
    shell: str | None = None

    def words(self) -> list[str]:
        if self.argv is not None:
            return list(self.argv)
        return ["/bin/sh", "-c", self.shell or ""]


@dataclass(slots=True)
class Image:
    """What one Dockerfile's final stage says: working directory, copies and start command."""

    workdir: str = "/"
    copies: list[tuple[str, str, bool]] = field(default_factory=list)  # (source, image dest, dir-ish)
    entrypoint: Command | None = None
    cmd: Command | None = None
    env: dict[str, str] = field(default_factory=dict)


_MAX_STAGES = 256  # stages that inherit their base's copies and environment
_MAX_COPIES = 1024  # files one stage records as copied (``COPY --from`` chains multiply them)
_MAX_LOOKS = 1 << 16  # copies of other stages one Dockerfile may look through in all


def _join_lines(text: str) -> list[tuple[int, str]]:
    """Instructions with backslash continuations joined; comment lines dropped; first line kept."""
    out: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not current:
            if not stripped or stripped.startswith("#"):
                continue
            start = number
        elif stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current.append(stripped[:-1])
            continue
        current.append(stripped)
        out.append((start, " ".join(current)))
        current = []
    if current:
        out.append((start, " ".join(current)))
    return out


def _json_list(body: str) -> list[str] | None:
    if not body.startswith("["):
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, list) and all(isinstance(x, str) for x in data):
        return data
    return None


def _image_path(path: str, workdir: str) -> str:
    joined = posixpath.join(workdir or "/", path) if not path.startswith("/") else path
    return posixpath.normpath(joined)


def parse_dockerfile(text: str, path: str) -> Image:
    """The final stage of a Dockerfile (stages built ``FROM`` an earlier one inherit it)."""
    stages: dict[str, Image] = {}
    image = Image()
    froms = 0
    looked = [0]  # copies of other stages looked at (``COPY --from`` of ``COPY --from`` ...)
    for line, instruction in _join_lines(text):
        keyword, _, body = instruction.partition(" ")
        keyword, body = keyword.upper(), body.strip()
        if keyword == "FROM":
            words = body.split()
            words = [w for w in words if not w.startswith("--")]
            froms += 1
            # each stage copies its base's files: past a few hundred stages (none real) a chain
            # of them was quadratic, so later stages start empty
            base = stages.get(words[0].lower()) if words and froms <= _MAX_STAGES else None
            image = (
                Image(base.workdir, list(base.copies), base.entrypoint, base.cmd, dict(base.env))
                if base
                else Image()
            )
            if len(words) >= 3 and words[1].upper() == "AS":
                stages[words[2].lower()] = image
        elif keyword == "WORKDIR" and body:
            image.workdir = _image_path(body.strip("\"'"), image.workdir)
        elif keyword == "ENV":
            for name, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|'[^']*'|\S*)", body):
                image.env[name] = value.strip("\"'")
            if "=" not in body.split(" ", 1)[0]:
                name, _, value = body.partition(" ")
                image.env[name] = value.strip().strip("\"'")
        elif keyword in ("COPY", "ADD") and len(image.copies) < _MAX_COPIES and looked[0] < _MAX_LOOKS:
            _copy(image, body, stages, looked)
        elif keyword in ("CMD", "ENTRYPOINT"):
            argv = _json_list(body)
            command = Command(f"{path}:{line}", argv, None if argv is not None else body)
            if keyword == "CMD":
                image.cmd = command
            else:
                image.entrypoint = command
                image.cmd = None  # a new ENTRYPOINT resets the CMD a base stage set
    return image


def _copy(image: Image, body: str, stages: dict[str, Image], looked: list[int]) -> None:
    words = body.split()
    source_stage = None
    while words and words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--from="):
            source_stage = flag[len("--from=") :].lower()
    parts = _json_list(" ".join(words)) or words
    if len(parts) < 2:
        return
    *sources, dest = parts
    dest_path = _image_path(dest, image.workdir)
    dir_dest = dest.endswith("/") or dest in (".", "./") or len(sources) > 1
    for source in sources:
        if source_stage is not None:
            stage = stages.get(source_stage)
            if stage is None:
                continue  # an external image's files are not this repository's
            inside = _image_path(source, "/")
            looked[0] += len(stage.copies)
            for src, copied_to, dirish in stage.copies:
                if len(image.copies) >= _MAX_COPIES:
                    return
                if copied_to == inside or copied_to.startswith(inside.rstrip("/") + "/"):
                    rest = posixpath.relpath(copied_to, inside)
                    target = dest_path if rest == "." else posixpath.join(dest_path, rest)
                    image.copies.append((src, target, dirish))
            continue
        if "://" in source:
            continue
        clean = posixpath.normpath(source.lstrip("/")) if source not in (".", "./") else "."
        image.copies.append((clean, dest_path, dir_dest))


def command_of(image: Image) -> Command | None:
    """What the container runs: ``ENTRYPOINT`` (exec form) followed by ``CMD``, else either."""
    return combine(image.entrypoint, image.cmd)


def combine(entrypoint: Command | None, cmd: Command | None) -> Command | None:
    if entrypoint is None:
        return cmd
    if entrypoint.argv is None or cmd is None:
        return entrypoint  # a shell-form ENTRYPOINT ignores CMD
    return Command(entrypoint.source, entrypoint.argv + cmd.words())


def parse_procfile(text: str, path: str) -> list[Command]:
    """``name: command`` lines of a Procfile (Heroku, honcho, foreman)."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        name, colon, command = line.partition(":")
        if colon and name.strip() and not name.lstrip().startswith("#") and command.strip():
            out.append(Command(f"{path}:{number}", None, command.strip()))
    return out


def compose_command(value: object, source: str) -> Command | None:
    """A compose ``command``/``entrypoint`` or task definition ``command``: a list or a string."""
    if isinstance(value, list) and value and all(isinstance(x, str | int | float) for x in value):
        return Command(source, [str(x) for x in value])
    if isinstance(value, str) and value.strip():
        return Command(source, None, value)
    return None


# ----- shell -------------------------------------------------------------------------------


def split_shell(text: str) -> list[list[str]]:
    """Simple commands of a shell string: words split on unquoted blanks, commands on unquoted
    ``;``, ``&&``, ``||``, ``|``, ``&`` and newlines; quotes removed; ``#`` comments dropped.
    One pass over the text; unbalanced quotes end at the end of the text."""
    commands: list[list[str]] = []
    words: list[str] = []
    word: list[str] = []
    in_word = False
    quote = ""
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        index += 1
        if quote:
            if char == quote:
                quote = ""
            elif char == "\\" and quote == '"' and index < length:
                word.append(text[index])
                index += 1
            else:
                word.append(char)
            continue
        if char in "\"'":
            quote = char
            in_word = True
        elif char == "\\" and index < length:
            if text[index] != "\n":
                word.append(text[index])
                in_word = True
            index += 1
        elif char in " \t\r":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        elif char in ";&|\n":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            if words:
                commands.append(words)
                words = []
        elif char == "#" and not in_word:
            while index < length and text[index] != "\n":
                index += 1
        else:
            word.append(char)
            in_word = True
    if in_word:
        words.append("".join(word))
    if words:
        commands.append(words)
    return commands


# ----- what a command runs -------------------------------------------------------------------

#: programs that run the rest of their command line (after their own options)
_WRAPPERS = frozenset(
    {
        "exec", "env", "command", "nohup", "nice", "time", "dumb-init", "tini", "ddtrace-run",
        "opentelemetry-instrument", "sentry-run", "catatonit", "setsid", "stdbuf",
    }
)  # fmt: skip
#: wrappers that take one argument before the command (a user, a duration)
_WRAPPERS_ARG = frozenset({"gosu", "su-exec", "chpst", "timeout", "setpriv"})
#: ``X run <cmd>``: tool runners
_RUNNERS = frozenset({"poetry", "pipenv", "uv", "pdm", "hatch", "rye", "newrelic-admin", "doppler"})
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh"})
_APP_SERVERS = frozenset({"gunicorn", "uvicorn", "hypercorn", "daphne", "granian", "waitress-serve"})
#: shell builtins and utilities that run no Python of the repository: skipped inside scripts
_INERT = frozenset(
    {
        "set", "echo", "printf", "export", "true", "false", "test", "[", "[[", "if", "then", "else",
        "fi", "do", "done", "for", "while", "case", "esac", "sleep", "mkdir", "rm", "cp", "mv", "chmod",
        "chown", "touch", "cat", "ls", "trap", "wait", "shift", "unset", "umask", "ulimit", "source",
        ".", "local", "return", "exit", "until", "elif", "wait-for-it", "wait-for-it.sh", "dockerize",
        "nginx", "pip", "pip3", "apt-get", "curl", "wget", "sed", "awk", "grep", "envsubst", "ln",
        "alembic", "{", "}", "function", "read", "declare", "eval", "cron", "crond",
    }
)  # fmt: skip


@dataclass(slots=True)
class Outcome:
    """What a command runs: targets, and why some part of it cannot be followed."""

    targets: list[Target] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    scripts: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (path, cwd, "$@")
    console: dict[str, str] = field(default_factory=dict)  # the project's console scripts: name -> "mod:func"
    configs: list[Config] = field(default_factory=list)  # app server and supervisord config files


def program(word: str) -> str:
    """The name a note may show for the program ``word`` runs."""
    name = posixpath.basename(word)
    return name if _PROGRAM.match(name) else "an unrecognised program"


def interpret(
    argv: list[str], cwd: str, env: dict[str, str], out: Outcome, depth: int = 0, in_script: bool = False
) -> None:
    """Add to ``out`` what ``argv`` runs in image directory ``cwd``."""
    if depth > MAX_DEPTH:
        out.unresolved.append("commands nested too deeply")
        return
    start = 0  # indexes, not ``pop(0)``/slices: 100,000 ``A=1`` words were quadratic
    assigned: dict[str, str] = {}
    while start < len(argv) and _ASSIGN.match(argv[start]):  # ``FLASK_APP=app flask run``
        name, _, value = argv[start].partition("=")
        assigned[name] = value
        start += 1
    if assigned:
        env = {**env, **assigned}
    words = list(argv[start:])
    if not words:
        return
    name = posixpath.basename(words[0])
    rest = words[1:]
    if name in _WRAPPERS or name in _WRAPPERS_ARG or name in _RUNNERS:
        at = 0
        if name in _RUNNERS:
            while at < len(rest) and rest[at] not in ("run", "run-program", "exec"):
                at += 1
            at += 1
        while at < len(rest) and (rest[at].startswith("-") or _ASSIGN.match(rest[at])):
            at += 1
        if name in _WRAPPERS_ARG and at < len(rest):
            at += 1
        interpret(rest[at:], cwd, env, out, depth + 1, in_script)
        return
    if name in _SHELLS:
        if "-c" in rest:
            body = rest[rest.index("-c") + 1 :]
            if body:
                shell(body[0], cwd, env, out, depth + 1, body[1:], in_script=True)
            return
        scripts = [w for w in rest if not w.startswith("-")]
        if scripts:
            out.scripts.append((_image_path(scripts[0], cwd), cwd, scripts[1:]))
            return
    if name == "cd":
        return  # handled by ``shell``
    if re.match(r"^(python|pypy)[0-9.]*$", name):
        _python(rest, cwd, env, out, depth, in_script)
    elif name in _APP_SERVERS:
        _app_server(name, rest, cwd, env, out)
    elif name == "uwsgi":
        _uwsgi(rest, cwd, out)
    elif name == "celery":
        _celery(rest, cwd, out)
    elif name == "supervisord":  # runs its configuration's programs
        config = _option(rest, ("-c", "--configuration"))
        out.configs.append(Config("supervisord", _image_path(config, cwd) if config else "", cwd))
    elif name == "flask":
        _flask(rest, cwd, env, out)
    elif name in ("django-admin", "django-admin.py"):
        settings = _option(rest, ("--settings",)) or env.get("DJANGO_SETTINGS_MODULE", "")
        out.targets.append(Target("django", settings, cwd, _roots(env, cwd)))
    elif name == "manage.py":
        out.targets.append(Target("django", env.get("DJANGO_SETTINGS_MODULE", ""), cwd))
        out.targets.append(Target("path", _image_path(words[0], cwd), cwd))
    elif name == "streamlit" and rest[:1] == ["run"] and len(rest) > 1:
        out.targets.append(Target("path", _image_path(rest[1], cwd), cwd))
    elif name in ("dramatiq", "huey_consumer", "huey_consumer.py", "arq", "rqworker-pool"):
        for word in rest:
            match = _APP.match(word)
            if not word.startswith("-") and match:
                out.targets.append(Target("module", match.group(1), cwd, _roots(env, cwd)))
    elif name.endswith(".py"):
        out.targets.append(Target("path", _image_path(words[0], cwd), cwd))
    elif name in out.console and _APP.match(out.console[name]):
        # the project's own console script (``[project.scripts]``): its module, wherever installed
        out.targets.append(Target("module", _APP.match(out.console[name]).group(1), cwd))  # type: ignore[union-attr]
    elif name.endswith(".sh") or words[0].startswith(("./", "/")):
        out.scripts.append((_image_path(words[0], cwd), cwd, rest))
    elif (in_script and name in _INERT) or (in_script and name == "$@"):
        return
    else:
        out.unresolved.append(f"runs {program(words[0])}, which keyshift cannot follow")


def shell(
    text: str,
    cwd: str,
    env: dict[str, str],
    out: Outcome,
    depth: int,
    args: list[str],
    in_script: bool = False,
) -> None:
    """Every simple command of a shell string, ``cd`` moving the directory of the ones after it;
    ``"$@"`` (a script's ``exec "$@"``) runs ``args``."""
    for words in split_shell(text):
        if words[0] == "cd" and len(words) > 1:
            cwd = _image_path(words[1], cwd)
            if len(cwd) > 4096:  # ``cd a && cd a && ...``: each join would copy a longer path
                out.unresolved.append("changes directory too deep")
                return
            continue
        if (words[0] == "exec" and words[1:2] == ["$@"]) or words == ["$@"]:
            if args:
                interpret(args, cwd, env, out, depth + 1)
            continue
        interpret(words, cwd, env, out, depth + 1, in_script)


def _roots(env: dict[str, str], cwd: str) -> tuple[str, ...]:
    path = env.get("PYTHONPATH", "")
    return tuple(_image_path(p, cwd) for p in path.split(":") if p and "$" not in p)


def _option(words: list[str], names: tuple[str, ...]) -> str | None:
    """The value of the last of ``names`` (``--name value`` or ``--name=value``, ``-Avalue``)."""
    found = None
    for index, word in enumerate(words):
        for name in names:
            if word == name and index + 1 < len(words):
                found = words[index + 1]
            elif word.startswith(name + "="):
                found = word[len(name) + 1 :]
            elif len(name) == 2 and word.startswith(name) and len(word) > 2 and not word.startswith("--"):
                found = word[2:]
    return found


def _python(
    rest: list[str], cwd: str, env: dict[str, str], out: Outcome, depth: int, in_script: bool
) -> None:
    index = 0
    while index < len(rest):
        word = rest[index]
        if word == "-m" and index + 1 < len(rest):
            module, tail = rest[index + 1], rest[index + 2 :]
            launcher = module.split(".")[0]
            if launcher in _APP_SERVERS or launcher in ("celery", "flask", "uwsgi", "dramatiq", "streamlit"):
                interpret([launcher, *tail], cwd, env, out, depth + 1, in_script)
            elif module == "django":
                interpret(["django-admin", *tail], cwd, env, out, depth + 1, in_script)
            elif _DOTTED.match(module):
                out.targets.append(Target("main", module, cwd, _roots(env, cwd)))
            else:
                out.unresolved.append("runs a module whose name is not a Python name")
            return
        if word == "-c":
            out.unresolved.append("runs inline Python (python -c), which keyshift cannot follow")
            return
        if word in ("-W", "-X", "-Q"):
            index += 2
            continue
        if word.startswith("-"):
            index += 1
            continue
        if posixpath.basename(word) == "manage.py":
            out.targets.append(Target("django", env.get("DJANGO_SETTINGS_MODULE", ""), cwd, _roots(env, cwd)))
        out.targets.append(Target("path", _image_path(word, cwd), cwd, _roots(env, cwd)))
        return
    out.unresolved.append("starts an interactive Python, which keyshift cannot follow")


def _app_server(name: str, rest: list[str], cwd: str, env: dict[str, str], out: Outcome) -> None:
    """``gunicorn pkg.wsgi:application``, ``uvicorn pkg.api:app --app-dir src``, ..."""
    base = _option(rest, ("--chdir", "--app-dir", "--root-path-dir"))
    run_in = _image_path(base, cwd) if base else cwd
    roots = (*_roots(env, cwd), *(_image_path(p, cwd) for p in _all_options(rest, "--pythonpath")))
    takes_value = {"-b", "-w", "-k", "-c", "-t", "-u", "-g", "-e", "-p", "-n", "--bind", "--workers",
                   "--worker-class", "--config", "--timeout", "--host", "--port", "--log-level",
                   "--chdir", "--app-dir", "--pythonpath", "--threads", "--env", "--user", "--group",
                   "--access-logfile", "--error-logfile", "--log-config", "--name", "--pid",
                   "--forwarded-allow-ips", "--proxy-headers-ip", "--root-path", "--interface",
                   "--workers-kill-timeout", "--keep-alive", "--max-requests", "--graceful-timeout",
                   "--worker-tmp-dir", "--log-file", "--uds", "--fd", "--ssl-keyfile", "--ssl-certfile",
                   "--call", "--listen", "--http"}  # fmt: skip
    apps: list[str] = []
    index = 0
    while index < len(rest):
        word = rest[index]
        if word in takes_value:
            index += 2
            continue
        if not word.startswith("-") and _APP.match(word):
            apps.append(_APP.match(word).group(1))  # type: ignore[union-attr]
        index += 1
    call = _option(rest, ("--call",))
    if call and _APP.match(call):
        apps.append(_APP.match(call).group(1))  # type: ignore[union-attr]
    if name == "gunicorn":  # ``-c``, else ``./gunicorn.conf.py`` when there: Python it executes
        config = _option(rest, ("-c", "--config"))
        path = config or "gunicorn.conf.py"
        path = path if path.startswith("python:") else _image_path(path, cwd)
        django = not apps and "DJANGO_SETTINGS_MODULE" in env
        out.configs.append(Config("gunicorn", path, run_in, roots, not apps and not django, config is None))
        if not apps and not django:
            return
    if not apps:
        if "DJANGO_SETTINGS_MODULE" in env:
            out.targets.append(Target("django", env["DJANGO_SETTINGS_MODULE"], run_in, roots))
            return
        out.unresolved.append(f"runs {name} without an application keyshift can name (a config file?)")
        return
    for app in apps:
        out.targets.append(Target("module", app, run_in, roots))


def _all_options(words: list[str], name: str) -> list[str]:
    out = []
    for index, word in enumerate(words):
        if word == name and index + 1 < len(words):
            out.append(words[index + 1])
        elif word.startswith(name + "="):
            out.append(word[len(name) + 1 :])
    return out


def _uwsgi(rest: list[str], cwd: str, out: Outcome) -> None:
    module = _option(rest, ("--module", "-w", "--wsgi"))
    wsgi_file = _option(rest, ("--wsgi-file", "--file"))
    base = _option(rest, ("--chdir",))
    run_in = _image_path(base, cwd) if base else cwd
    ini = _option(rest, ("--ini",)) or next((w for w in rest if w.endswith(".ini") and w[:1] != "-"), None)
    if module and _APP.match(module):
        out.targets.append(Target("module", _APP.match(module).group(1), run_in))  # type: ignore[union-attr]
    elif wsgi_file:
        out.targets.append(Target("path", _image_path(wsgi_file, run_in), run_in))
    elif ini:
        out.configs.append(Config("uwsgi", _image_path(ini, cwd), run_in))
    else:
        out.unresolved.append("runs uwsgi without --module or --wsgi-file (an ini file?)")


def _celery(rest: list[str], cwd: str, out: Outcome) -> None:
    app = _option(rest, ("-A", "--app"))
    base = _option(rest, ("--workdir",))
    run_in = _image_path(base, cwd) if base else cwd
    match = _APP.match(app or "")
    if not app or not match:
        out.unresolved.append("runs celery without -A/--app, which keyshift cannot follow")
        return
    # ``-A proj`` loads ``proj.celery`` when there is one, else ``proj``
    out.targets.append(Target("module", match.group(1), run_in))
    out.targets.append(Target("module", match.group(1) + ".celery", run_in, (), True))


def _flask(rest: list[str], cwd: str, env: dict[str, str], out: Outcome) -> None:
    app = _option(rest, ("--app", "-A")) or env.get("FLASK_APP")
    if app:
        spec = app.split("(", 1)[0]
        if spec.endswith(".py"):
            out.targets.append(Target("path", _image_path(spec, cwd), cwd))
            return
        match = _APP.match(spec)
        if match:
            out.targets.append(Target("module", match.group(1), cwd))
            return
    # Flask's default: ``wsgi.py`` or ``app.py`` in the working directory
    out.targets.append(Target("module", "wsgi", cwd, (), True))
    out.targets.append(Target("module", "app", cwd, (), True))
