"""Start configuration files from untrusted repositories stay data and stay linear.

gunicorn configs are Python that gunicorn would execute: keyshift parses them and never imports
them (a config that would write a file or open a socket does nothing). supervisord and uwsgi INI
files and Terraform task definitions (command/entryPoint lists in ``jsonencode``) are read in
one pass: unclosed resources, brackets and lists, thousands of sections or continuation lines,
and includes that match everything are bounded. Each shape is built at n and 4n; 4n must cost
less than ``RATIO`` times n in CPU time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.security.linear import assert_linear

from keyshift.planner import startconfigs, taskdefs
from keyshift.planner.entrypoints import Config, Outcome

_TF_HEAD = 'resource "aws_ecs_task_definition" "x" {\n'


def _tf(text: str) -> Callable[[], object]:
    return lambda: taskdefs.terraform(Path("/nonexistent"), "main.tf", text)


SHAPES: dict[str, Callable[[int], Callable[[], object]]] = {
    "tf-unclosed-resources": lambda k: _tf(_TF_HEAD * k),
    "tf-unclosed-lists": lambda k: _tf(
        _TF_HEAD + "container_definitions = jsonencode([{\n" + "command = [\n" * k
    ),
    "tf-many-containers": lambda k: _tf(
        _TF_HEAD
        + "container_definitions = jsonencode(["
        + '{ command = ["python", "-m", "serve"], entryPoint = [' * k
    ),
    "tf-deep-braces": lambda k: _tf(
        _TF_HEAD + "container_definitions = jsonencode([" + "{" * k + " command = ["
    ),
    "supervisord-sections": lambda k: (
        lambda: startconfigs.supervisord("".join(f"[program:p{i}]\ncommand=nginx\n" for i in range(k)))
    ),
    "supervisord-continuations": lambda k: (
        lambda: startconfigs.supervisord("[program:p]\ncommand=python x.py\n" + "  more\n" * k)
    ),
    "uwsgi-keys": lambda k: (
        lambda: startconfigs.uwsgi("[uwsgi]\n" + "".join(f"module = m{i}\n" for i in range(k)))
    ),
    "gunicorn-assignments": lambda k: (
        lambda: startconfigs.gunicorn("".join(f"wsgi_app = 'a{i}:app'\n" for i in range(k)), "g.py")
    ),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_start_config_shapes_are_linear(shape: str) -> None:
    assert_linear(SHAPES[shape], 2000)


def test_gunicorn_config_is_parsed_not_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = f"open({str(marker)!r}, 'w').write('x')\nwsgi_app = 'web.wsgi:app'\n"
    settings = startconfigs.gunicorn(text, "gunicorn.conf.py")
    assert settings.apps == ["web.wsgi:app"] and not marker.exists()


def test_supervisord_programs_and_includes_are_bounded() -> None:
    programs = "".join(f"[program:p{i}]\ncommand=python p{i}.py\n" for i in range(500))
    assert (
        startconfigs.supervisord(programs).problem == f"runs more than {startconfigs.MAX_PROGRAMS} programs"
    )
    reads: list[str] = []

    def read(path: str) -> str:
        reads.append(path)
        return "[include]\nfiles = conf.d/*.conf\n" if path == "main.conf" else "[program:x]\ncommand=nginx\n"

    out = Outcome()
    startconfigs.follow(
        Config("supervisord", "/etc/s.conf", "/"),
        lambda p: "main.conf" if p == "/etc/s.conf" else None,
        read,
        lambda pattern: [f"conf.d/{i}.conf" for i in range(10_000)],
        {},
        out,
    )
    assert len(reads) == 1 + startconfigs.MAX_INCLUDES
    assert any("including more than" in u for u in out.unresolved)


def test_interpolation_and_secrets_in_ini_values_stay_text() -> None:
    """``%(...)s`` is not expanded (no interpolation), and a value is never echoed in a note."""
    settings = startconfigs.supervisord(
        '[program:p]\ncommand=python -m %(ENV_APP)s\nenvironment=AWS_SECRET_ACCESS_KEY="x%(here)s"\n'
    )
    ((command, _, env),) = settings.programs
    assert command == "python -m %(ENV_APP)s" and env["AWS_SECRET_ACCESS_KEY"] == "x%(here)s"
    out = Outcome()
    startconfigs.follow(
        Config("supervisord", "/s.conf", "/"),
        lambda p: "s.conf",
        lambda p: "[program:p]\ncommand=vendor-agent --token=SECRETVALUE\n",
        lambda p: [],
        {},
        out,
    )
    assert out.unresolved and "SECRETVALUE" not in " ".join(out.unresolved)
