"""The typer app: argument parsing and exit codes only; the work lives in ``commands``.

Exit codes: 0 clean, 1 findings (or sites needing a human), 2 usage, configuration or runtime error.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import typer

from keyshift import __version__
from keyshift.errors import KeyshiftError
from keyshift.redact import scrub

app = typer.Typer(
    name="keyshift",
    help="Find hardcoded AWS keys, move boto3 onto the default credential chain, plan ECS task roles.\n\n"
    "Exit codes: 0 clean, 1 findings that fail the policy, 2 usage/config/runtime error.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"keyshift {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """keyshift: from hardcoded AWS keys to ECS task roles."""


def _exit_2_on_error(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a ``KeyshiftError`` into a scrubbed message and exit code 2, whoever invokes the app."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KeyshiftError as exc:
            typer.echo(f"keyshift: error: {scrub(str(exc))}", err=True)
            raise typer.Exit(2) from None

    return wrapper


def _register() -> None:
    from keyshift.commands import registered

    for name, func in registered():
        app.command(name)(_exit_2_on_error(func))


_register()


def main() -> None:
    """Console entry point: runs the app and turns every error into exit code 2 with a scrubbed message."""
    for stream in (sys.stdout, sys.stderr):
        # a file name that is not UTF-8 (kept as surrogate escapes) never crashes a report mid-write
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        app(standalone_mode=True)
    except KeyshiftError as exc:
        print(f"keyshift: error: {scrub(str(exc))}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("keyshift: interrupted", file=sys.stderr)
        sys.exit(2)
    except SystemExit:
        raise
    except Exception as exc:  # a bug: never print locals, never print a secret
        print(f"keyshift: internal error: {type(exc).__name__}: {scrub(str(exc))}", file=sys.stderr)
        sys.exit(2)
