"""A small HCL (Terraform) writer: every string goes through one escaping function.

Names in generated Terraform come from repositories keyshift does not trust (compose service
names, task-definition families, folder names). Interpolating them into ``main.tf`` let a crafted
name close a string and add a resource of its own. Here nothing is interpolated: a document is
built from ``Block``s, attributes and values, and rendered by one serializer that

- quotes every string with ``quote`` (backslash, quote, newlines and control characters escaped,
  ``${``/``%{`` template sequences doubled to ``$${``/``%%{`` so they stay literal);
- accepts identifiers (block labels' HCL names, attribute names, references) only when they match
  the HCL identifier grammar, raising ``ValueError`` otherwise;
- writes comments on one line with control characters escaped.

Output is laid out the way ``terraform fmt`` lays it out, so a generated file is fmt-clean.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_TRAVERSAL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)+")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]|[$%]\{')
INDENT = "  "


def _escape_one(match: re.Match[str]) -> str:
    text = match.group(0)
    if text in ("${", "%{"):
        return text[0] + text
    if text in _ESCAPES:
        return _ESCAPES[text]
    if "\ud800" <= text <= "\udfff":  # a lone surrogate (undecodable file name byte): not valid UTF-8
        return "\\ufffd"
    return f"\\u{ord(text):04x}"


def quote(value: str) -> str:
    """``value`` as an HCL quoted string literal that evaluates to exactly ``value``."""
    return '"' + _NEEDS_ESCAPE.sub(_escape_one, value) + '"'


def identifier(name: str) -> str:
    """``name`` when it is an HCL identifier; ``ValueError`` otherwise (never repaired silently here)."""
    if not IDENTIFIER.fullmatch(name):
        raise ValueError(f"not an HCL identifier: {name!r}")
    return name


def comment_text(text: str) -> str:
    """One comment line: nothing in ``text`` can end the comment or start a new line."""
    escaped = quote(text)[1:-1]
    return "# " + escaped


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference such as ``aws_iam_role.app.arn``; each part must be an identifier."""

    path: str

    def __post_init__(self) -> None:
        if not _TRAVERSAL.fullmatch(self.path):
            raise ValueError(f"not an HCL reference: {self.path!r}")


@dataclass(frozen=True, slots=True)
class Call:
    """A function call with one argument, e.g. ``jsonencode({...})``."""

    function: str
    argument: Any

    def __post_init__(self) -> None:
        identifier(self.function)


@dataclass(frozen=True, slots=True)
class Block:
    kind: str
    labels: tuple[str, ...]
    attributes: Sequence[tuple[str, Any]]
    comments: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        identifier(self.kind)
        for name, _ in self.attributes:
            identifier(name)


def value(item: Any, depth: int = 0) -> str:
    """An HCL expression for a JSON-like value (str, int, float, bool, None, list, dict, Ref, Call)."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if item is None:
        return "null"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValueError(f"HCL has no literal for {item!r}")
        return repr(item)
    if isinstance(item, str):
        return quote(item)
    if isinstance(item, Ref):
        return item.path
    if isinstance(item, Call):
        return f"{item.function}({value(item.argument, depth)})"
    inner = INDENT * (depth + 1)
    if isinstance(item, Mapping):
        if not item:
            return "{}"
        pairs = [(quote(str(k)), value(v, depth + 1)) for k, v in item.items()]
        return "{\n" + _aligned(pairs, inner) + INDENT * depth + "}"
    if isinstance(item, list | tuple):
        if not item:
            return "[]"
        if all(isinstance(v, str | int | float | bool) for v in item):
            return "[" + ", ".join(value(v, depth) for v in item) + "]"
        return "[\n" + "".join(f"{inner}{value(v, depth + 1)},\n" for v in item) + INDENT * depth + "]"
    raise TypeError(f"cannot write {type(item).__name__} as HCL")


def _aligned(pairs: list[tuple[str, str]], indent: str) -> str:
    """``name = value`` lines, ``=`` aligned across runs of one-line values (as ``terraform fmt``)."""
    out: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(n) for n, _ in run), default=0)
        out.extend(f"{indent}{n.ljust(width)} = {v}\n" for n, v in run)
        run.clear()

    for name, text in pairs:
        if "\n" in text:
            flush()
            out.append(f"{indent}{name} = {text}\n")
        else:
            run.append((name, text))
    flush()
    return "".join(out)


def block(item: Block) -> str:
    lines = [comment_text(c) for c in item.comments]
    labels = "".join(f" {quote(label)}" for label in item.labels)
    lines.append(f"{item.kind}{labels} {{")
    body = _aligned([(name, value(attr, 1)) for name, attr in item.attributes], INDENT)
    lines.append(body + "}" if body else "}")
    return "\n".join(lines) + "\n"


def document(blocks: Sequence[Block | str]) -> str:
    """Blocks separated by blank lines; a ``str`` item is a stand-alone comment line."""
    parts = [comment_text(b) + "\n" if isinstance(b, str) else block(b) for b in blocks]
    return "\n".join(parts)
