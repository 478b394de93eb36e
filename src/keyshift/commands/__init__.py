"""CLI commands, one module each; ``registered`` lists them in help order.

A command module exposes one typer-annotated function and keeps its heavy imports (libcst,
boto3, git) inside it, so ``keyshift --help`` and every command start quickly.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

_COMMANDS = (
    ("scan", "keyshift.commands.scan", "scan"),
    ("fix", "keyshift.commands.fix", "fix"),
    ("plan", "keyshift.commands.plan", "plan"),
    ("migrate", "keyshift.commands.migrate", "migrate"),
    ("verify", "keyshift.commands.verify", "verify"),
    ("sweep", "keyshift.commands.sweep", "sweep"),
    ("trail", "keyshift.commands.trail", "trail"),
)


def registered() -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, module_name, attr in _COMMANDS:
        yield name, getattr(importlib.import_module(module_name), attr)
