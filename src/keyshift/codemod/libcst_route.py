"""Redaction for the ``python -m libcst.tool codemod ... RemoveStaticCredentialsCommand`` route.

Under libcst's own runner keyshift renders nothing: with ``--unified-diff`` libcst builds the
diff of the old and new file itself (``libcst.codemod._cli.diff_code``) and prints it, removed
lines included, so the secrets the rewrite takes out would be printed raw. The command
therefore wraps that function (and the printer of warnings and tracebacks) once per process,
so every diff passes the same ``Scrubber`` as ``keyshift fix`` (the literals the rewrite
removed plus every secret the detectors find in the old file). When a libcst release no
longer has that function, the command skips a file holding a secret under ``--unified-diff``
instead of printing it (``diff_requested``).
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from keyshift.redact import Scrubber, scrub

_lock = threading.Lock()
#: filename -> literals the command removed from it, handed from the transform to the diff
_removed: dict[str, frozenset[str]] = {}
_installed: bool | None = None


def scrubber_for(code: str, filename: str | None, literals: Iterable[str] = ()) -> Scrubber:
    """What one file's texts must not show: ``literals`` and every secret detected in ``code``."""
    from keyshift.detect import detect_text

    found = detect_text(code, filename or "stdin.py")
    return Scrubber.of(found, literals, _removed.get(filename or "", frozenset()))


def remember(filename: str | None, literals: Iterable[str]) -> None:
    """Record what the transform removed from ``filename`` for its diff (same process, same run)."""
    with _lock:
        _removed[filename or ""] = frozenset(literals)


def install() -> bool:
    """Wrap libcst's diff renderer with the scrubber; False when this libcst has none to wrap."""
    global _installed
    with _lock:
        if _installed is not None:
            return _installed
        try:
            from libcst.codemod import _cli
        except ImportError:  # pragma: no cover - libcst moved its runner
            _installed = False
            return False
        original: Callable[..., str] | None = getattr(_cli, "diff_code", None)
        if original is None or not callable(original):  # pragma: no cover - libcst changed
            _installed = False
            return False

        def diff_code(oldcode: str, newcode: str, context: int, *args: Any, **kwargs: Any) -> str:
            text = original(oldcode, newcode, context, *args, **kwargs)
            if not text:
                return text
            return scrubber_for(oldcode, kwargs.get("filename")).scrub(text)

        _cli.diff_code = diff_code
        printer: Callable[..., None] | None = getattr(_cli, "print_execution_result", None)
        if printer is not None and callable(printer):
            inner = printer

            def print_execution_result(result: Any) -> None:
                # warnings and tracebacks (a parse error quotes the source line): shape-scrubbed here,
                # in the parent process, which never sees the file's secrets
                buffer = io.StringIO()
                with contextlib.redirect_stderr(buffer):
                    inner(result)
                sys.stderr.write(scrub(buffer.getvalue()))

            _cli.print_execution_result = print_execution_result
        _installed = True
        return True


def diff_requested() -> bool:
    """Is libcst's runner printing diffs in this process (``-u N`` / ``--unified-diff N``)?"""
    return any(arg == "-u" or arg.startswith("--unified-diff") or arg.startswith("-u") for arg in sys.argv)
