"""Refuse Python source nested deeper than Python itself accepts, before libcst sees it.

libcst's native parser recurses once per nesting level without a limit of its own: 5,000 nested
parentheses or 50,000 unary ``-``/``not`` crash the whole process (a segmentation fault, no
message, nothing reported), and a 300,000-term ``1+1+…`` kept it busy for minutes. CPython's
parser has limits (200 nested brackets, 100 indentation levels, a bounded parser stack and AST
depth) and reports them as exceptions in a fraction of the time, so its verdict is asked first:
a file Python would refuse for its depth cannot run anyway, and is left unchanged with a reason.
Other syntax errors are left to libcst (it reads some code CPython's current grammar rejects).
"""

from __future__ import annotations

import ast
import warnings

_DEPTH_WORDS = ("too many nested", "too many levels of indentation", "too complex", "too deeply")


class TooDeep(RecursionError):
    """Nested deeper than Python accepts: never handed to libcst."""


def refused_for_depth(exc: SyntaxError) -> bool:
    """``exc`` is CPython refusing a file for its nesting (libcst must not be tried on it)."""
    return any(word in str(exc.msg) for word in _DEPTH_WORDS)


def check_depth(source: bytes | str) -> None:
    """Raise ``TooDeep`` when CPython refuses ``source`` for its nesting (never runs it)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no SyntaxWarning may echo the file's strings
            compile(source, "<scanned>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (RecursionError, MemoryError) as exc:
        raise TooDeep("nested deeper than Python accepts") from exc
    except SyntaxError as exc:
        if refused_for_depth(exc):
            raise TooDeep("nested deeper than Python accepts") from exc
    except ValueError:  # NUL bytes and the like: libcst gives its own verdict
        return
