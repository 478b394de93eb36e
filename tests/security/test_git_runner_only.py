"""Every git command keyshift runs goes through ``keyshift.gitrun`` (no other subprocess, no gitpython).

The test reads every module in ``src/keyshift`` and fails on:
- a call to ``subprocess``/``os`` process functions outside ``gitrun.py``, unless the module is
  listed in ``OTHER_PROGRAMS`` with the program it runs (none today);
- a list or tuple whose first element is the string ``"git"`` outside ``gitrun.py`` (an argv
  built for some other runner);
- any import of gitpython (``git``), which runs git with the repository's config.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "keyshift"
RUNNER = SRC / "gitrun.py"
#: modules allowed to start a program that is not git: {relative path: why}
OTHER_PROGRAMS: dict[str, str] = {}

_PROCESS_CALLS = {
    ("subprocess", name) for name in ("run", "Popen", "call", "check_call", "check_output", "getoutput", "getstatusoutput")
} | {("os", name) for name in ("system", "popen", "execv", "execve", "execvp", "execvpe", "execl", "execlp",
                              "spawnv", "spawnve", "spawnvp", "spawnl", "posix_spawn", "posix_spawnp")} | {
    ("asyncio", "create_subprocess_exec"), ("asyncio", "create_subprocess_shell"), ("pty", "spawn"),
}  # fmt: skip


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p != RUNNER)


def _aliases(tree: ast.Module) -> dict[str, tuple[str, str]]:
    """Names bound by ``from subprocess import run as r`` style imports."""
    out: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in {m for m, _ in _PROCESS_CALLS}:
            for alias in node.names:
                out[alias.asname or alias.name] = (node.module, alias.name)
    return out


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(SRC).as_posix() if path.is_relative_to(SRC) else path.name
    found: list[str] = []
    aliases = _aliases(tree)
    module_alias = {
        (a.asname or a.name): a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for a in node.names
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n == "git" or n.startswith("git.") for n in names):
                found.append(f"{rel}:{node.lineno}: imports gitpython")
        if isinstance(node, ast.Call):
            func = node.func
            target: tuple[str, str] | None = None
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                target = (module_alias.get(func.value.id, func.value.id), func.attr)
            elif isinstance(func, ast.Name) and func.id in aliases:
                target = aliases[func.id]
            if target in _PROCESS_CALLS and rel not in OTHER_PROGRAMS:
                found.append(f"{rel}:{node.lineno}: starts a process ({'.'.join(target)}) outside gitrun")
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            first = node.elts[0]
            if isinstance(first, ast.Constant) and first.value == "git":
                found.append(f"{rel}:{node.lineno}: builds a git command line outside gitrun")
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(SRC).as_posix())
def test_no_git_outside_the_runner(path: Path) -> None:
    assert violations(path) == []


@pytest.mark.parametrize(
    "source",
    [
        'import subprocess\nsubprocess.run(["git", "status"])\n',
        "import subprocess as sp\nsp.Popen(args)\n",
        'from subprocess import check_output\ncheck_output(["git", "log"])\n',
        'import os\nos.system("git status")\n',
        'import git\nrepo = git.Repo(".")\n',
        "from git import Repo\n",
        'cmd = ("git", "-C", root, "status")\n',
    ],
)
def test_the_checker_catches_bypasses(source: str, tmp_path: Path) -> None:
    """The checker itself can fail: every shape of bypass is reported."""
    fake = tmp_path / "bypass_probe.py"
    fake.write_text(source, encoding="utf-8")
    assert violations(fake)


def test_the_runner_is_where_git_runs() -> None:
    text = RUNNER.read_text(encoding="utf-8")
    for needle in (
        "core.fsmonitor=false",
        "core.hooksPath=/dev/null",
        "--no-replace-objects",
        "GIT_NO_REPLACE_OBJECTS",
    ):
        assert needle in text
