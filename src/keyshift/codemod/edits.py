"""Formatting-preserving removals: call arguments, ``from`` import names, module statements.

The rules keep every byte outside the edit: a removed argument takes its own comma and its
same-line trailing comment; comment lines between arguments stay; when the last arguments go,
the new last argument takes over the original last argument's comma and whitespace, so a
trailing-comma style with the closing parenthesis on its own line survives.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence

import libcst as cst

_PW = cst.ParenthesizedWhitespace


def _comma_ws(node: cst.Arg | cst.ImportAlias) -> cst.BaseParenthesizableWhitespace | None:
    comma = node.comma
    return comma.whitespace_after if isinstance(comma, cst.Comma) else None


def _with_lines(
    ws: cst.BaseParenthesizableWhitespace, lines: Sequence[cst.EmptyLine]
) -> cst.BaseParenthesizableWhitespace:
    if not lines or not isinstance(ws, _PW):
        return ws
    return ws.with_changes(empty_lines=[*ws.empty_lines, *lines])


def _closing_ws(ws: _PW, own_first: cst.TrailingWhitespace | None, lines: Sequence[cst.EmptyLine]) -> _PW:
    """The removed last argument's line break, with the new last argument's own comment kept."""
    first = own_first if own_first is not None else cst.TrailingWhitespace(newline=ws.first_line.newline)
    return ws.with_changes(first_line=first, empty_lines=[*lines, *ws.empty_lines])


def remove_args(call: cst.Call, drop: set[int]) -> cst.Call:
    """``call`` without the arguments at the indexes in ``drop``."""
    if not drop:
        return call
    args = list(call.args)
    kept: list[cst.Arg] = []
    before_args = call.whitespace_before_args
    pending: list[cst.EmptyLine] = []
    line_break: _PW | None = None  # first line break among the removed arguments' commas
    for index, arg in enumerate(args):
        if index in drop:
            ws = _comma_ws(arg)
            if isinstance(ws, _PW):
                if index < len(args) - 1:  # the last one's lines travel with its comma (below)
                    pending.extend(ws.empty_lines)
                if line_break is None:
                    line_break = ws.with_changes(
                        first_line=cst.TrailingWhitespace(newline=ws.first_line.newline), empty_lines=()
                    )
            continue
        if kept and (pending or line_break is not None):
            prev = kept[-1]
            if isinstance(prev.comma, cst.Comma):
                ws = prev.comma.whitespace_after
                if not isinstance(ws, _PW) and line_break is not None:
                    # the previous argument shared a line with a removed one that ended the line
                    ws = line_break
                kept[-1] = prev.with_changes(
                    comma=prev.comma.with_changes(whitespace_after=_with_lines(ws, pending))
                )
        elif pending:
            before_args = _with_lines(before_args, pending)
        pending = []
        line_break = None
        kept.append(arg)
    if not kept:
        return call.with_changes(args=(), whitespace_before_args=cst.SimpleWhitespace(""))
    if len(args) - 1 in drop:
        kept[-1] = _take_closing(kept[-1], args[-1], pending)
    return call.with_changes(args=kept, whitespace_before_args=before_args)


def _take_closing(new_last: cst.Arg, orig_last: cst.Arg, pending: list[cst.EmptyLine]) -> cst.Arg:
    own = _comma_ws(new_last)
    own_first = own.first_line if isinstance(own, _PW) and own.first_line.comment is not None else None
    lines = [*(own.empty_lines if isinstance(own, _PW) else ()), *pending]
    comma = orig_last.comma
    after_arg = orig_last.whitespace_after_arg
    if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, _PW):
        comma = comma.with_changes(whitespace_after=_closing_ws(comma.whitespace_after, own_first, lines))
    elif isinstance(after_arg, _PW):
        after_arg = _closing_ws(after_arg, own_first, lines)
    return new_last.with_changes(comma=comma, whitespace_after_arg=after_arg)


def remove_import_names(
    node: cst.Import | cst.ImportFrom, drop: set[int]
) -> cst.Import | cst.ImportFrom | None:
    """``import A, B`` / ``from M import A, B`` without the names at ``drop``; ``None`` when
    none is left."""
    names = node.names
    if isinstance(names, cst.ImportStar) or not drop:
        return node
    aliases = list(names)
    kept = [a for i, a in enumerate(aliases) if i not in drop]
    if not kept:
        return None
    if len(aliases) - 1 in drop:
        last = aliases[-1]
        own = _comma_ws(kept[-1])
        comma = last.comma
        if isinstance(comma, cst.Comma) and isinstance(comma.whitespace_after, _PW):
            own_first = (
                own.first_line if isinstance(own, _PW) and own.first_line.comment is not None else None
            )
            comma = comma.with_changes(whitespace_after=_closing_ws(comma.whitespace_after, own_first, ()))
        kept[-1] = kept[-1].with_changes(comma=comma)
    return node.with_changes(names=kept)


def delete_statements(
    body: Sequence[cst.BaseStatement], replace: dict[int, cst.BaseStatement | None]
) -> list[cst.BaseStatement]:
    """Apply per-index replacements (``None`` deletes) to a statement list.

    A comment or blank-line block goes only when everything it introduced goes. A run of
    deleted statements is followed by a kept one: when the kept one continues the same
    paragraph (no blank line of its own above it), the comment lines of the run's last
    paragraph introduced it too, so they stay above it, with that paragraph's blank lines
    (``# AWS Configuration`` above constants where ``REGION = ...`` stays). When it starts a
    paragraph of its own, the deleted paragraphs go with their comments, and it inherits the
    first deleted statement's blank lines if it has none, so blocks stay separated. At the top
    of the module there is nothing left to separate, so it takes the first statement's place.
    """
    out: list[cst.BaseStatement] = []
    run: list[cst.BaseStatement] = []
    for index, stmt in enumerate(body):
        new = replace.get(index, stmt) if index in replace else stmt
        if new is None:
            run.append(stmt)
            continue
        if run:
            new = _after_run(run, new, at_start=not out)
            run = []
        out.append(new)
    return out


def _after_run(run: list[cst.BaseStatement], kept: cst.BaseStatement, *, at_start: bool) -> cst.BaseStatement:
    own = list(_leading(kept))
    if at_start:  # nothing above is left to separate it from: it takes the first one's place
        while own and own[0].comment is None:
            own.pop(0)
        return kept.with_changes(leading_lines=[*_leading(run[0]), *own])
    if any(line.comment is None for line in own):  # a paragraph of its own
        if own and own[0].comment is None:
            return kept
        inherited = [line for line in _leading(run[0]) if line.comment is None]
        return kept.with_changes(leading_lines=[*inherited, *own]) if inherited else kept
    # the kept statement continues the paragraph the run's last blank line started
    start = 0
    for i, stmt in enumerate(run):
        if any(line.comment is None for line in _leading(stmt)):
            start = i
    lines: list[cst.EmptyLine] = list(_leading(run[start]))
    for stmt in run[start + 1 :]:
        lines.extend(line for line in _leading(stmt) if line.comment is not None)
    return kept.with_changes(leading_lines=[*lines, *own]) if lines else kept


def _leading(stmt: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    lines = getattr(stmt, "leading_lines", ())
    return lines if isinstance(lines, Sequence) else ()


class ArgRemover(cst.CSTTransformer):
    """Removes the arguments in ``edits`` from their calls.

    With ``parents`` (each node's parent in the original tree) only the paths from the module
    down to the edited calls are descended; every other subtree is kept as it is without being
    visited, which makes the rewrite a small part of a file's cost instead of a whole-tree pass.
    """

    def __init__(
        self, edits: dict[cst.Call, set[int]], parents: Mapping[cst.CSTNode, cst.CSTNode] | None = None
    ) -> None:
        super().__init__()
        self.edits = edits
        self.paths: set[cst.CSTNode] | None = None
        if parents is not None:
            self.paths = set()
            for call in edits:
                node: cst.CSTNode | None = call
                while node is not None and node not in self.paths:
                    self.paths.add(node)
                    node = parents.get(node)

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.paths is not None and node not in self.paths and not isinstance(node, cst.Module):
            return False
        return super().on_visit(node)

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        drop = self.edits.get(original_node)
        return remove_args(updated_node, drop) if drop else updated_node


def check_parses(code: str, original: cst.Module) -> None:
    """Raise unless ``code`` parses: with ``ast`` (fast, exact), or with libcst when the running
    interpreter is older than the file's syntax (then ``ast`` rejects the original too)."""
    try:
        ast.parse(code)
    except SyntaxError:
        try:
            ast.parse(original.code)
        except SyntaxError:
            cst.parse_module(code)
            return
        raise
