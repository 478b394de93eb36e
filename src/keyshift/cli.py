"""The typer app: argument parsing and exit codes only; the work lives in ``commands``.

Exit codes: 0 clean, 1 findings (or sites needing a human), 2 usage, configuration or runtime error.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from typer.models import ArgumentInfo, OptionInfo

from keyshift import __version__
from keyshift.errors import KeyshiftError, Terminated, raise_terminated
from keyshift.redact import scrub

app = typer.Typer(
    name="keyshift",
    help="Find hardcoded AWS keys, move boto3 onto the default credential chain, plan ECS task roles.\n\n"
    "Exit codes: 0 clean, 1 findings that fail the policy, 2 usage/config/runtime error.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: conventional metavars, 80 columns, no Python types
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


#: (parameter, option, annotation) that ``_common_options`` gives a command lacking it.
_COMMON_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("no_color", typer.Option(False, "--no-color", help="Plain text output.", metavar=""), bool),
    (
        "output",
        typer.Option(None, "--output", "-o", help="Write what would be printed to FILE.", metavar="FILE"),
        Path | None,
    ),
    ("quiet", typer.Option(False, "--quiet", "-q", help="Nothing on stderr but errors.", metavar=""), bool),
)


def _common_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Give every command ``--no-color``, ``--quiet`` and ``-o/--output FILE`` unless it defines them.

    One grammar for all commands: ``-o`` is always a file that receives what the command would print,
    and colour is off when asked. A command with its own ``output`` (scan merges baselines and writes
    through devices) keeps its implementation.
    """
    signature = inspect.signature(func, eval_str=True)
    names = set(signature.parameters)
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation)
        for name, option, annotation in _COMMON_OPTIONS
        if name not in names
    ]
    if not extra:
        return func

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        no_color = kwargs.pop("no_color", False) if "no_color" not in names else kwargs.get("no_color")
        output = kwargs.pop("output", None) if "output" not in names else None
        quiet = kwargs.pop("quiet", False) if "quiet" not in names else kwargs.get("quiet")
        if no_color:
            os.environ["NO_COLOR"] = "1"
        with contextlib.ExitStack() as stack:
            if quiet and "quiet" not in names:
                stack.enter_context(contextlib.redirect_stderr(stack.enter_context(open(os.devnull, "w"))))
            if output is None:
                return func(*args, **kwargs)
            return _printing_to(output, func, args, kwargs, quiet=bool(quiet))

    params = [p for p in signature.parameters.values()]
    wrapper.__signature__ = signature.replace(parameters=[*params, *extra])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {
        **{p.name: p.annotation for p in params},
        **{p.name: p.annotation for p in extra},
        "return": signature.return_annotation,
    }
    return wrapper


def _printing_to(output: Path, func: Callable[..., Any], args: Any, kwargs: Any, *, quiet: bool) -> Any:
    """Run ``func`` with standard output going to ``output``, replaced atomically when it finishes."""
    import tempfile

    directory = output.parent if str(output.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise KeyshiftError(f"cannot write {output}: {exc.strerror}") from None
    code: int | None = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle, contextlib.redirect_stdout(handle):
            try:
                func(*args, **kwargs)
            except typer.Exit as exc:
                code = exc.exit_code
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if not quiet:
        print(f"keyshift: wrote {output}", file=sys.stderr)
    if code:
        raise typer.Exit(code)
    return None


# Conventional metavars, by parameter name, then by annotation. Help shows these instead of Python
# types (``<bool>``, ``<list[Path]>``), and flags show none, as every other CLI does.
_METAVAR_BY_NAME = {
    "output": "FILE",
    "baseline": "FILE",
    "config": "FILE",
    "config_file": "FILE",
    "out": "DIR",
    "cache": "DIR",
    "since": "REV",
    "exclude": "GLOB",
    "image": "IMAGE",
    "platform": "OS/ARCH",
    "registry_username": "USER",
    "endpoint_url": "URL",
    "region": "REGION",
    "role_name_template": "TEMPLATE",
    "dask": "ADDRESS",
    "dask_timeout": "SECONDS",
    "timeout": "SECONDS",
    "rate": "N",
    "jobs": "N",
    "workers": "N",
    "max_file_size": "SIZE",
    "output_format": "FORMAT",
    "trail": "PATH",
    "logs": "PATH",
    "keys": "KEYS",
    "sources": "SOURCE",
}
# Lower bounds checked by the parser, so ``--jobs -3`` is a usage error, not a silent default.
_MINIMUM_BY_NAME = {"jobs": 1, "workers": 1}
_METAVAR_BY_TYPE = {"int": "N", "float": "N", "str": "TEXT", "Path": "PATH"}


def _metavar(name: str, annotation: str) -> str:
    if annotation == "bool":
        return ""
    if name in _METAVAR_BY_NAME:
        return _METAVAR_BY_NAME[name]
    bare = annotation.replace(" | None", "").removeprefix("list[").removesuffix("]")
    return _METAVAR_BY_TYPE.get(bare, "VALUE")


def _conventional_help(func: Callable[..., Any]) -> None:
    """Give every option and argument a conventional metavar and bound unless its command chose one."""
    for param in inspect.signature(func).parameters.values():
        info = param.default
        if not isinstance(info, OptionInfo | ArgumentInfo) or info.metavar is not None:
            continue
        annotation = param.annotation if isinstance(param.annotation, str) else param.annotation.__name__
        metavar = _metavar(param.name, annotation)
        info.metavar = metavar
        if param.name in _MINIMUM_BY_NAME and info.min is None and info.default is None:
            info.min = _MINIMUM_BY_NAME[param.name]


def _no_argument_types(self: Any, ctx: Any) -> None:
    return None


# typer prints an argument's Python type beside its metavar (``PATH <list[Path]>``); the metavar
# already says what to give.
typer.core.TyperArgument.display_type_rich = _no_argument_types  # type: ignore[method-assign]


def _register() -> None:
    from keyshift.commands import registered

    for name, func in registered():
        _conventional_help(func)
        app.command(name)(_exit_2_on_error(_common_options(func)))


_register()


def _usage_error_line(exc: Exception) -> str:
    """One line in keyshift's error style, without the parser's internal prefixes."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    message = message.replace("Value error, ", "").strip()
    ctx = getattr(exc, "ctx", None)
    hint = f" (see 'keyshift {ctx.command.name} --help')" if ctx is not None and ctx.parent else ""
    return f"keyshift: error: {scrub(message)}{hint}"


def main() -> None:
    """Console entry point: one error style (``keyshift: error: ...``, exit 2) for every failure."""
    from typer.exceptions import Abort, TyperException

    for stream in (sys.stdout, sys.stderr):
        # a file name that is not UTF-8 (kept as surrogate escapes) never crashes a report mid-write
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    # SIGTERM unwinds like Ctrl-C: workers and git processes stopped, temporary files removed
    signal.signal(signal.SIGTERM, raise_terminated)
    try:
        code = app(standalone_mode=False, prog_name="keyshift")
    except KeyshiftError as exc:
        print(f"keyshift: error: {scrub(str(exc))}", file=sys.stderr)
        sys.exit(2)
    except TyperException as exc:  # usage errors: unknown option, bad value, missing argument
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare ``keyshift``: the help, as a usage error
            print(exc.format_message(), file=sys.stderr)
            sys.exit(2)
        print(_usage_error_line(exc), file=sys.stderr)
        sys.exit(2)
    except Terminated:
        print("keyshift: terminated", file=sys.stderr)
        sys.exit(143)
    except (KeyboardInterrupt, Abort):
        print("keyshift: interrupted", file=sys.stderr)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # a bug: never print locals, never print a secret
        print(f"keyshift: internal error: {type(exc).__name__}: {scrub(str(exc))}", file=sys.stderr)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)
