"""Start commands read as data: what each shape runs, and parsers that never crash or stall."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.planner.entrypoints import (
    Config,
    Outcome,
    command_of,
    interpret,
    parse_dockerfile,
    parse_procfile,
    shell,
    split_shell,
)

# (command words, working directory) -> (kind, name, cwd) of each target, or the unresolved reason
COMMANDS: list[tuple[list[str], list[tuple[str, str, str]] | str]] = [
    (["python", "-m", "pkg.mod"], [("main", "pkg.mod", "/app")]),
    (["python3.12", "-u", "/srv/main.py", "--flag"], [("path", "/srv/main.py", "/app")]),
    (["python", "manage.py", "runserver"], [("django", "", "/app"), ("path", "/app/manage.py", "/app")]),
    (["gunicorn", "-w", "2", "-b", "0.0.0.0:80", "site.wsgi:application"], [("module", "site.wsgi", "/app")]),
    (["gunicorn", "--chdir", "src", "app:create_app()"], [("module", "app", "/app/src")]),
    (["uvicorn", "api.main:app", "--port", "80"], [("module", "api.main", "/app")]),
    (["python", "-m", "uvicorn", "api:app"], [("module", "api", "/app")]),
    (["celery", "-A", "proj", "worker"], [("module", "proj", "/app"), ("module", "proj.celery", "/app")]),
    (
        ["celery", "--app=proj.tasks:app", "beat"],
        [("module", "proj.tasks", "/app"), ("module", "proj.tasks.celery", "/app")],
    ),
    (["flask", "--app", "hello", "run"], [("module", "hello", "/app")]),
    (["FLASK_APP=web.py", "flask", "run"], [("path", "/app/web.py", "/app")]),
    (["ddtrace-run", "gunicorn", "a.wsgi"], [("module", "a.wsgi", "/app")]),
    (["tini", "--", "python", "x.py"], [("path", "/app/x.py", "/app")]),
    (["gosu", "app", "python", "x.py"], [("path", "/app/x.py", "/app")]),
    (["poetry", "run", "python", "-m", "svc"], [("main", "svc", "/app")]),
    (["/bin/sh", "-c", "cd src && exec python main.py"], [("path", "/app/src/main.py", "/app/src")]),
    (["uwsgi", "--module", "site.wsgi:app"], [("module", "site.wsgi", "/app")]),
    (["streamlit", "run", "dash.py"], [("path", "/app/dash.py", "/app")]),
    (["./serve.py"], [("path", "/app/serve.py", "/app")]),
    (["python", "-c", "print(1)"], "inline Python"),
    (["node", "server.js"], "runs node, which keyshift cannot follow"),
    (["celery", "worker"], "without -A/--app"),
    (["python"], "interactive"),
]


@pytest.mark.parametrize(("words", "expected"), COMMANDS, ids=[" ".join(w) for w, _ in COMMANDS])
def test_command_targets(words: list[str], expected: list[tuple[str, str, str]] | str) -> None:
    out = Outcome()
    interpret(words, "/app", {}, out)
    if isinstance(expected, str):
        assert any(expected in reason for reason in out.unresolved), out.unresolved
    else:
        assert [(t.kind, t.name, t.cwd) for t in out.targets] == expected
        assert out.unresolved == []


CONFIGS = [
    (["gunicorn", "-c", "conf.py"], Config("gunicorn", "/app/conf.py", "/app", (), True, False)),
    (
        ["gunicorn", "--config=python:site.gconf"],
        Config("gunicorn", "python:site.gconf", "/app", (), True, False),
    ),
    (["gunicorn", "--chdir", "src"], Config("gunicorn", "/app/gunicorn.conf.py", "/app/src", (), True, True)),
    (["gunicorn", "site.wsgi:app"], Config("gunicorn", "/app/gunicorn.conf.py", "/app", (), False, True)),
    (["uwsgi", "--ini", "deploy/u.ini"], Config("uwsgi", "/app/deploy/u.ini", "/app")),
    (["uwsgi", "u.ini", "--chdir", "/srv"], Config("uwsgi", "/app/u.ini", "/srv")),
    (["supervisord", "-c", "/etc/s.conf"], Config("supervisord", "/etc/s.conf", "/app")),
    (["supervisord", "-n"], Config("supervisord", "", "/app")),
]


@pytest.mark.parametrize(("words", "expected"), CONFIGS, ids=[" ".join(w) for w, _ in CONFIGS])
def test_config_files_a_command_starts_from(words: list[str], expected: Config) -> None:
    """The config file is queued for ``startconfigs`` (read there, as data), never guessed at."""
    out = Outcome()
    interpret(words, "/app", {}, out)
    assert out.configs == [expected]
    assert out.unresolved == []


def test_a_secret_on_the_command_line_never_reaches_a_reason() -> None:
    out = Outcome()
    interpret(["AWS_SECRET_ACCESS_KEY=abc/def+ghi", "some-tool", "--token=sekrit"], "/", {}, out)
    assert out.unresolved == ["runs some-tool, which keyshift cannot follow"]
    out = Outcome()
    interpret(["/opt/sekrit=value/run"], "/", {}, out)
    assert "sekrit" not in " ".join(out.unresolved) or out.scripts


def test_script_exec_runs_the_cmd() -> None:
    out = Outcome()
    shell(
        '#!/bin/sh\nset -e\npython manage.py migrate\nexec "$@"\n',
        "/app",
        {},
        out,
        1,
        ["gunicorn", "a:b"],
        True,
    )
    assert [(t.kind, t.name) for t in out.targets] == [
        ("django", ""),
        ("path", "/app/manage.py"),
        ("module", "a"),
    ]
    assert out.unresolved == []


DOCKERFILE = """\
FROM python:3.12 AS build
WORKDIR /build
COPY requirements.txt .
COPY src/ ./src/

FROM python:3.12-slim
# comment
WORKDIR /app
COPY --from=build /build/src /app/src
COPY --chown=app:app ["conf/settings.py", "/etc/app/"]
ENV PYTHONPATH=/app/src \\
    APP_ENV=prod
ENTRYPOINT ["tini", "--"]
CMD python -m \\
    svc.main
"""


def test_dockerfile_final_stage() -> None:
    image = parse_dockerfile(DOCKERFILE, "Dockerfile")
    assert image.workdir == "/app"
    assert ("src", "/app/src", True) in image.copies
    assert ("conf/settings.py", "/etc/app", True) in image.copies
    assert image.env["PYTHONPATH"] == "/app/src"
    command = command_of(image)
    assert command is not None and command.source == "Dockerfile:13"
    assert command.words()[:3] == ["tini", "--", "/bin/sh"]


def test_procfile_lines() -> None:
    commands = parse_procfile(
        "# comment\nweb: gunicorn a:b\n\nworker:celery -A x worker\nbad line\n", "Procfile"
    )
    assert [(c.source, c.shell) for c in commands] == [
        ("Procfile:2", "gunicorn a:b"),
        ("Procfile:4", "celery -A x worker"),
    ]


def test_split_shell_quotes_and_operators() -> None:
    assert split_shell('a \'b c\' "d\\"e" && f;g | h # comment\ni') == [
        ["a", "b c", 'd"e'],
        ["f"],
        ["g"],
        ["h"],
        ["i"],
    ]


# ----- properties: any text, bounded time ------------------------------------------------------

FAST_ENOUGH = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=150)
TEXT = st.text(
    alphabet=st.sampled_from(list("\\\"' \t\n;&|#[]{}$@=:-./abcCMDRUNpythongunicorn-mAS")), max_size=300
)


@FAST_ENOUGH
@given(TEXT)
def test_parsers_never_crash(text: str) -> None:
    image = parse_dockerfile(text, "Dockerfile")
    command = command_of(image)
    out = Outcome()
    if command is not None:
        interpret(command.words(), image.workdir, image.env, out)
    for line in parse_procfile(text, "Procfile"):
        interpret(line.words(), "/", {}, out)
    shell(text, "/", {}, out, 0, ["python", "x.py"], True)
    for words in split_shell(text):
        assert all(isinstance(w, str) for w in words)


ADVERSARIAL = [
    lambda n: "CMD " + "\\\n" * n,
    lambda n: "COPY " + "a " * n + "/dst/\n",
    lambda n: 'CMD ["' + '\\"' * n + '"]\n',
    lambda n: "CMD " + "[" * n + "\n",
    lambda n: "CMD sh -c " + "'sh -c \"" * n + "\n",
    lambda n: "FROM a AS b\n" * n + "CMD python x.py\n",
    lambda n: "web: " + "gunicorn " * n + "\n",
    lambda n: "CMD " + "cd a && " * n + "python x.py\n",
    lambda n: "CMD exec " * n + "\n",
]


def _seconds(text: str) -> float:
    """CPU seconds of this process: the shared machine's load does not count."""
    start = time.process_time()
    image = parse_dockerfile(text, "Dockerfile")
    command = command_of(image)
    out = Outcome()
    if command is not None:
        interpret(command.words(), image.workdir, image.env, out)
    for line in parse_procfile(text, "Procfile"):
        interpret(line.words(), "/", {}, out)
    return time.process_time() - start


@pytest.mark.parametrize("shape", range(len(ADVERSARIAL)))
def test_parsers_run_in_linear_time(shape: int) -> None:
    build = ADVERSARIAL[shape]
    small = min(_seconds(build(4_000)) for _ in range(3))
    large = min(_seconds(build(32_000)) for _ in range(3))
    # 8x the input: linear is ~8x; allow noise on a loaded machine, catch quadratic (~64x)
    assert large < max(small, 0.02) * 30, (small, large)
