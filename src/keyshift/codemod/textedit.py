"""The ``edits`` rules applied to source bytes directly, for the common shapes (no libcst).

``edits.remove_args`` and ``edits.delete_statements`` define how keyshift removes arguments and
statements on a libcst tree. For a call whose argument list holds only arguments, commas,
whitespace and comments (no parenthesised arguments, no backslash continuations), the pieces
libcst would build are cut straight from the bytes with ``ast`` positions: the text before the
first argument, each argument, the whitespace before and after its comma, and a line break
split into the rest of its line, whole comment/blank lines and the next line's indentation. The
same rules then move those pieces, so the result is byte-identical to the libcst edit without
importing or running libcst. Anything else raises ``Unsupported`` and the caller uses libcst.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from keyshift.codemod.scopes import Unsupported


@dataclass(slots=True)
class _Break:
    """Whitespace holding a line break (libcst's ``ParenthesizedWhitespace``)."""

    first: bytes  # rest of the first line: spaces and an optional comment
    newline: bytes
    empty: list[bytes] = field(default_factory=list)  # whole blank or comment lines
    last: bytes = b""  # indentation before the next token

    def text(self) -> bytes:
        return self.first + self.newline + b"".join(self.empty) + self.last

    def has_comment(self) -> bool:
        return b"#" in self.first


_Ws = bytes | _Break


def _ws(text: bytes) -> _Ws:
    """Split a whitespace run between two tokens the way libcst does."""
    if b"\\" in text:
        raise Unsupported("backslash continuation")
    if b"\n" not in text:
        if b"#" in text:
            raise Unsupported("comment without line end")
        return text
    lines = text.split(b"\n")
    first = lines[0]
    newline = b"\n"
    if first.endswith(b"\r"):
        first, newline = first[:-1], b"\r\n"
    empty = [line + b"\n" for line in lines[1:-1]]
    return _Break(first, newline, empty, lines[-1])


def _text(ws: _Ws) -> bytes:
    return ws if isinstance(ws, bytes) else ws.text()


@dataclass(slots=True)
class _Arg:
    text: bytes
    comma: bytes | None  # whitespace before the comma, None when there is no comma
    after_comma: _Ws = b""
    after_arg: _Ws = b""  # whitespace before ``)`` when there is no comma


def _scan_gap(gap: bytes) -> list[int]:
    """Offsets of commas in the bytes between two arguments (comments skipped)."""
    commas: list[int] = []
    i = 0
    while i < len(gap):
        ch = gap[i : i + 1]
        if ch == b"#":
            end = gap.find(b"\n", i)
            i = len(gap) if end < 0 else end
            continue
        if ch == b",":
            commas.append(i)
        elif ch not in (b" ", b"\t", b"\n", b"\r", b"\x0c"):
            raise Unsupported("unexpected text between arguments")
        i += 1
    return commas


class Source:
    """Byte offsets for ``ast`` positions of one file."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = [0]
        for index, byte in enumerate(data):
            if byte == 10:
                self.starts.append(index + 1)

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def line_start(self, line: int) -> int:
        return self.starts[line - 1] if line - 1 < len(self.starts) else len(self.data)


def remove_call_args(
    src: Source, call: ast.Call, ordered: list[ast.expr | ast.keyword], drop: set[int]
) -> tuple[int, int, bytes]:
    """(start, end, new text) of ``call`` without the arguments at ``drop`` (source order)."""
    data = src.data
    start, end = src.start(call), src.end(call)
    func_end = src.end(call.func)
    spans = [(src.start(a), src.end(a)) for a in ordered]
    if not spans or data[end - 1 : end] != b")":
        raise Unsupported("call shape")
    head = data[func_end : spans[0][0]]
    paren = head.find(b"(")
    if paren < 0 or head[:paren].strip(b" \t") or b"(" in head[paren + 1 :]:
        raise Unsupported("call head")
    prefix = data[start : func_end + paren + 1]
    before = _ws(head[paren + 1 :])
    args: list[_Arg] = []
    for index, (a_start, a_end) in enumerate(spans):
        text = data[a_start:a_end]
        gap_end = spans[index + 1][0] if index + 1 < len(spans) else end - 1
        gap = data[a_end:gap_end]
        commas = _scan_gap(gap)
        last = index + 1 == len(spans)
        if len(commas) > 1 or (not last and len(commas) != 1):
            raise Unsupported("argument separators")
        if commas:
            at = commas[0]
            args.append(_Arg(text, gap[:at], _ws(gap[at + 1 :])))
        else:
            args.append(_Arg(text, None, after_arg=_ws(gap)))
    kept_text = _remove(args, before, drop)
    return start, end, prefix + kept_text + b")"


def _with_lines(ws: _Ws, lines: list[bytes]) -> _Ws:
    if not lines or not isinstance(ws, _Break):
        return ws
    return _Break(ws.first, ws.newline, [*ws.empty, *lines], ws.last)


def _closing(ws: _Break, own_first: tuple[bytes, bytes] | None, lines: list[bytes]) -> _Break:
    first, newline = own_first if own_first is not None else (b"", ws.newline)
    return _Break(first, newline, [*lines, *ws.empty], ws.last)


def _remove(args: list[_Arg], before: _Ws, drop: set[int]) -> bytes:
    """``edits.remove_args`` on the pieces; returns the text between ``(`` and ``)``."""
    kept: list[_Arg] = []
    pending: list[bytes] = []
    line_break: _Break | None = None
    for index, arg in enumerate(args):
        if index in drop:
            ws = arg.after_comma if arg.comma is not None else None
            if isinstance(ws, _Break):
                if index < len(args) - 1:
                    pending.extend(ws.empty)
                if line_break is None:
                    line_break = _Break(b"", ws.newline, [], ws.last)
            continue
        if kept and (pending or line_break is not None):
            prev = kept[-1]
            if prev.comma is not None:
                ws2 = prev.after_comma
                if not isinstance(ws2, _Break) and line_break is not None:
                    ws2 = line_break
                kept[-1] = _Arg(prev.text, prev.comma, _with_lines(ws2, pending), prev.after_arg)
        elif pending:
            before = _with_lines(before, pending)
        pending = []
        line_break = None
        kept.append(arg)
    if not kept:
        return b""
    if len(args) - 1 in drop:
        kept[-1] = _take_closing(kept[-1], args[-1], pending)
    out = [_text(before)]
    for arg in kept:
        out.append(arg.text + _text(arg.after_arg))
        if arg.comma is not None:
            out.append(arg.comma + b"," + _text(arg.after_comma))
    return b"".join(out)


def _take_closing(new_last: _Arg, orig_last: _Arg, pending: list[bytes]) -> _Arg:
    own = new_last.after_comma if new_last.comma is not None else None
    own_first = (own.first, own.newline) if isinstance(own, _Break) and own.has_comment() else None
    lines = [*(own.empty if isinstance(own, _Break) else []), *pending]
    comma, after_comma, after_arg = orig_last.comma, orig_last.after_comma, orig_last.after_arg
    if comma is not None and isinstance(after_comma, _Break):
        after_comma = _closing(after_comma, own_first, lines)
    elif isinstance(after_arg, _Break):
        after_arg = _closing(after_arg, own_first, lines)
    return _Arg(new_last.text, comma, after_comma, after_arg)


def remove_import_text(src: Source, stmt: ast.ImportFrom, drop: set[int]) -> tuple[int, int, bytes]:
    """``edits.remove_import_names`` for a one-line ``from M import A, B`` without parentheses."""
    start, end = src.start(stmt), src.end(stmt)
    text = src.data[start:end]
    if b"(" in text or b"\n" in text or b"\\" in text or len(drop) >= len(stmt.names):
        raise Unsupported("import shape")
    spans = [(src.start(a), src.end(a)) for a in stmt.names]
    pieces: list[tuple[bytes, bytes]] = []  # (alias text, comma text including its whitespace)
    for index, (a_start, a_end) in enumerate(spans):
        gap_end = spans[index + 1][0] if index + 1 < len(spans) else a_end
        pieces.append((src.data[a_start:a_end], src.data[a_end:gap_end]))
    kept = [p for i, p in enumerate(pieces) if i not in drop]
    if len(pieces) - 1 in drop:
        kept[-1] = (kept[-1][0], b"")
    head = src.data[start : spans[0][0]]
    return start, spans[-1][1], head + b"".join(a + c for a, c in kept)
