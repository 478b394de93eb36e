"""Progress of long phases, reported by the stages and drawn (or not) by whoever called them.

A stage that can run for seconds (parsing 50,000 files, walking a history, planning workloads)
takes a ``Reporter`` and says which phase it is in and how far it got; it never decides whether
anything is shown. The CLI hands in a ``TerminalReporter`` only when stderr is a terminal and
``--quiet`` was not given; everyone else (tests, sweeps running many repositories in threads,
library callers) gets ``NULL``, which does nothing. Stages therefore never import the CLI and
stdout, where the results go, never receives a progress line.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any, Protocol

BYTES = "bytes"


class Reporter(Protocol):
    """What a stage may say about its progress."""

    #: whether anyone sees it: a stage may skip work done only for the display (counting ahead)
    shown: bool

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        """Start a phase (the previous one ends); ``total`` when the count is known in advance."""

    def advance(self, amount: int = 1) -> None:
        """``amount`` more units of the current phase are done."""


class _Null:
    """Says nothing: the default of every stage."""

    shown = False

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        return None

    def advance(self, amount: int = 1) -> None:
        return None


NULL: Reporter = _Null()


class TerminalReporter:
    """One transient rich progress line on stderr: phase name, bar, done/total with unit, elapsed.

    Use it as a context manager: the line is erased when the command finishes, so what remains
    on the terminal is the command's own output. Colour follows ``NO_COLOR`` (``--no-color`` sets it).
    """

    shown = True

    def __init__(self, label: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._label = label
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            _count_column(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=False,  # results printed meanwhile go to stdout, never into the bar
            redirect_stderr=False,
        )
        self._task: Any = None

    def __enter__(self) -> TerminalReporter:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        if self._task is not None:
            self._progress.refresh()  # the finished phase's last count is drawn once
            self._progress.remove_task(self._task)
        description = f"{self._label}: {name}"
        self._task = self._progress.add_task(description, total=total, unit=unit)
        self._progress.refresh()

    def advance(self, amount: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


def _count_column() -> Any:
    """``1,234/50,000 files`` or ``12.0/80.5 MB``; without a total, the count alone."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class CountColumn(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(counted(int(task.completed), task.total, task.fields.get("unit", "")))

    return CountColumn()


def counted(done: int, total: float | None, unit: str) -> str:
    """The count text of one phase: done of total in its unit, sizes for bytes."""
    if unit == BYTES:
        from rich.filesize import decimal

        return f"{decimal(done)}/{decimal(int(total))}" if total else decimal(done)
    if total is None:
        return f"{done:,} {unit}" if unit else ""  # a phase that does not count shows its time only
    return f"{done:,}/{int(total):,} {unit}".rstrip()


@contextlib.contextmanager
def reporting(label: str, quiet: bool) -> Iterator[Reporter]:
    """What a command hands its stages: a terminal line on a tty without ``--quiet``, else ``NULL``."""
    if quiet or not sys.stderr.isatty():
        yield NULL
        return
    with TerminalReporter(label) as reporter:
        yield reporter
