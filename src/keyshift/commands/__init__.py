"""CLI commands, one module each; ``registered`` lists them in help order.

A command module exposes one typer-annotated function. Modules that are not written yet are
simply absent from the list, so each command can land on its own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any

_COMMANDS = (
    ("scan", "keyshift.commands.scan", "scan"),
    ("baseline", "keyshift.commands.baseline", "baseline"),
    ("fix", "keyshift.commands.fix", "fix"),
    ("plan", "keyshift.commands.plan", "plan"),
    ("migrate", "keyshift.commands.migrate", "migrate"),
    ("verify", "keyshift.commands.verify", "verify"),
    ("sweep", "keyshift.commands.sweep", "sweep"),
)


def registered() -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, module_name, attr in _COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        yield name, getattr(module, attr)
