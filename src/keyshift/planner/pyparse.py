"""Parse Python 3.8-3.13 source into a stdlib ``ast`` whatever interpreter keyshift runs on.

The analysis walks ``ast`` (fast, and enough for a read-only interpreter), but the running
interpreter's ``ast`` rejects newer syntax: a PEP 701 f-string (``f"{d["k"]}"``) under 3.11 makes
the whole file unreadable, and every call in it would silently leave the plan. When ``ast``
refuses a file, libcst (whose parser knows every grammar up to 3.13) reads it, the constructs the
running ``ast`` lacks are rewritten into ones it has (each f-string becomes a marker call, type
parameters and ``type`` aliases are dropped: they never hold values), the result is parsed, and
the marker calls become ``JoinedStr`` nodes again. Line numbers are kept: the rewrite never adds
or removes a line break.
"""

from __future__ import annotations

import ast
from typing import Any

from keyshift.redact import quiet_compiler

_FSTRING = "__keyshift_fstring__"
_PART = "__keyshift_part__"


def parse(source: str, filename: str) -> ast.Module:
    """``ast.parse``, falling back to libcst for syntax newer than the running interpreter.

    Compiler warnings are silenced: they echo source lines, secrets included.
    """
    with quiet_compiler():
        return _parse(source, filename)


def _parse(source: str, filename: str) -> ast.Module:
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as first:
        from keyshift.pyguard import refused_for_depth

        if refused_for_depth(first):  # libcst would crash the process on this nesting
            raise
        try:
            rewritten = _rewrite(source)
        except Exception:  # libcst rejects it too: the file is not Python of any version
            raise first from None
        tree = ast.parse(rewritten, filename=filename)
        return _Restore().visit(tree)  # type: ignore[no-any-return]


def _rewrite(source: str) -> str:
    import libcst as cst

    module = cst.parse_module(source)
    # implicit concatenation first: libcst checks its parts are strings, which markers are not
    return str(module.visit(_Concat()).visit(_Lower()).code)


def _lower_base() -> Any:
    import libcst as cst

    return cst.CSTTransformer


class _Concat(_lower_base()):  # type: ignore[misc]
    """``"a" f"{b}"`` becomes ``"a" + f"{b}"`` (same lines, same value)."""

    def leave_ConcatenatedString(self, original: Any, updated: Any) -> Any:
        import libcst as cst

        operator = cst.Add(whitespace_before=updated.whitespace_between)
        return cst.BinaryOperation(
            updated.left, operator, updated.right, lpar=updated.lpar, rpar=updated.rpar
        )


class _Lower(_lower_base()):  # type: ignore[misc]
    """Rewrite 3.12+ syntax into 3.8 syntax with the same lines."""

    def leave_FormattedString(self, original: Any, updated: Any) -> Any:
        import libcst as cst

        quote = updated.end
        prefix = "".join(c for c in updated.prefix if c.lower() != "f")
        args: list[cst.Arg] = []
        for part in updated.parts:
            if isinstance(part, cst.FormattedStringText):
                text = part.value.replace("{{", "{").replace("}}", "}")
                args.append(cst.Arg(cst.SimpleString(f"{prefix}{quote}{text}{quote}")))
            else:
                plain = part.conversion is None and part.format_spec is None
                # the whitespace around the expression may hold line breaks and comments (PEP 701)
                inner = [cst.Arg(part.expression, whitespace_after_arg=part.whitespace_after_expression)]
                if not plain:
                    inner.append(cst.Arg(cst.Integer("1")))
                call = cst.Call(
                    cst.Name(_PART), inner, whitespace_before_args=part.whitespace_before_expression
                )
                args.append(cst.Arg(call))
        return cst.Call(cst.Name(_FSTRING), args)

    def leave_FunctionDef(self, original: Any, updated: Any) -> Any:
        if getattr(updated, "type_parameters", None) is not None:
            return updated.with_changes(type_parameters=None)
        return updated

    def leave_ClassDef(self, original: Any, updated: Any) -> Any:
        if getattr(updated, "type_parameters", None) is not None:
            return updated.with_changes(type_parameters=None)
        return updated

    def leave_TypeAlias(self, original: Any, updated: Any) -> Any:
        import libcst as cst

        return cst.Pass()


class _Restore(ast.NodeTransformer):
    """Marker calls back into ``JoinedStr``/``FormattedValue``."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == _FSTRING:
            values: list[ast.expr] = []
            for arg in node.args:
                if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id == _PART:
                    conversion = -1 if len(arg.args) == 1 else ord("r")
                    values.append(ast.FormattedValue(arg.args[0], conversion, None))
                elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    values.append(arg)
                else:  # an f-string inside the literal part cannot happen; keep it unknown
                    values.append(ast.FormattedValue(arg, ord("r"), None))
            return ast.copy_location(ast.JoinedStr(values), node)
        return node
