"""The fast path of ``keyshift fix``: decide with the stdlib ``ast``, edit with libcst only if needed.

The same contract as ``credentials.fix_module`` (targets by qualified name, ambient values, dead
constants, notes), computed on ``ast`` with the scopes of ``scopes.ModuleScopes`` instead of
libcst's ``ScopeProvider``, which is most of the libcst path's cost. Files with no target call
that has a credential argument never reach libcst at all; files that need an edit are parsed by
libcst without any metadata, the edited calls and statements are found by source order, and the
same formatting-preserving edits (``edits``) are applied. Whatever the fast path does not model
(``global``, star imports, names bound twice, f-string values, parenthesised calls, ...) raises
``Unsupported`` and the caller runs the libcst path, so the result is the same either way; a
test runs every case through both paths and compares.
"""

from __future__ import annotations

import ast
import itertools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from keyshift.codemod.records import (
    ARGV_METHODS,
    ARGV_REASON,
    CHAIN_ENV_VARS,
    ENV_READS,
    KEY_ID,
    MAPPING_READS,
    MAX_DEPTH,
    PROMPT_REASON,
    PROMPTS,
    S3FS_FACTORIES,
    S3FS_KEYS,
    SECRETISH,
    SETTINGS_NAMES,
    STS_METHODS,
    Note,
    SiteReport,
    Trace,
    derived,
    merge,
    site_outcome,
    unseen_note,
)
from keyshift.codemod.scopes import Binding, ModuleScopes, Scope, Unsupported
from keyshift.codemod.targets import (
    CREDENTIAL_KWARGS,
    DIRECT_TARGETS,
    FIRST_POSITIONAL_CREDENTIAL,
    SESSION_FACTORIES,
    SESSION_METHODS,
)

if TYPE_CHECKING:
    import libcst as cst

__all__ = ["FileFix", "Unsupported", "fast_fix"]

_DEAD_RHS_CALLS = frozenset({"os.getenv", "os.environ.get"})
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_COMPS = ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp


@dataclass(slots=True)
class FileFix:
    """One file's analysis, whichever path made it. ``secrets`` only redacts diffs; never print it."""

    changed: bool
    new: bytes | None = None  # the rewritten file when ``changed``
    encoding: str = "utf-8"
    sites: list[SiteReport] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    removed_constants: list[tuple[str, int]] = field(default_factory=list)
    removed_imports: list[tuple[str, int]] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)


def _pos_key(node: ast.expr) -> tuple[int, int, int, int]:
    return (node.lineno, node.col_offset, -(node.end_lineno or 0), -(node.end_col_offset or 0))


def _args_in_order(call: ast.Call) -> list[ast.expr | ast.keyword]:
    """Positional, starred and keyword arguments in source order (libcst's ``Call.args``)."""
    return sorted([*call.args, *call.keywords], key=lambda a: (a.lineno, a.col_offset))


def _literal(node: ast.AST | None) -> str | None:
    """A string constant, ``"ab" + "cd"`` included (the scanner joins it: ``values.literal_text``)."""
    parts: list[str] = []
    pending: list[ast.AST | None] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.BinOp):
            if not isinstance(current.op, ast.Add):
                return None
            pending.append(current.right)
            pending.append(current.left)
            continue
        if not (isinstance(current, ast.Constant) and isinstance(current.value, str)):
            return None
        parts.append(current.value)
    return "".join(parts)


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _root_name(node: ast.expr) -> ast.Name | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node if isinstance(node, ast.Name) else None


def _sub_expressions(node: ast.AST) -> list[ast.expr]:
    """Direct sub-expressions in source order (libcst's ``_sub_expressions``)."""
    out: list[ast.expr] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            out.append(child)
        elif isinstance(child, ast.keyword):
            out.append(child.value)
    return sorted(out, key=lambda e: (e.lineno, e.col_offset))


class _Analysis:
    """One module's decisions on ``ast``; mirrors ``ValueTracer``/``TargetMatcher``/``fix_module``."""

    def __init__(self, source: bytes, tree: ast.Module) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.tree = tree
        self.scopes = ModuleScopes(tree)

    # -- positions ------------------------------------------------------------------------------------
    def line(self, node: ast.expr | ast.stmt) -> int:
        if not isinstance(node, ast.stmt):
            self._no_paren_before(node)
        return int(node.lineno)

    def column(self, node: ast.expr) -> int:
        """1-based character column (``ast`` counts UTF-8 bytes)."""
        prefix = self.lines[node.lineno - 1][: node.col_offset]
        return len(prefix.decode("utf-8", "replace")) + 1

    def _no_paren_before(self, node: ast.expr) -> None:
        """libcst counts a node's own parentheses in its position; ``ast`` does not."""
        up: ast.AST | None = node
        while up is not None and not isinstance(up, ast.stmt):
            up = self.scopes.parents.get(id(up))
        if isinstance(up, ast.stmt) and (up.lineno, up.col_offset) == (node.lineno, node.col_offset):
            return  # the statement starts with this node: no parenthesis of its own before it
        lineno, col = node.lineno - 1, node.col_offset
        while lineno >= 0:
            text = self.lines[lineno][:col].rstrip()
            if text:
                if text.endswith(b"("):
                    parent = self.scopes.parents.get(id(node))
                    if isinstance(parent, ast.Call) and parent.args and parent.args[0] is node:
                        return
                    raise Unsupported("parenthesised node")
                if lineno != node.lineno - 1 and b"#" in text:
                    raise Unsupported("comment before node")
                return
            lineno -= 1
            col = len(self.lines[lineno]) if lineno >= 0 else 0

    # -- names --------------------------------------------------------------------------------------
    def scope_of(self, node: ast.AST) -> Scope:
        scope = self.scopes.scope_of.get(id(node))
        if scope is None:
            raise Unsupported("node outside the scope map")
        return scope

    def names(self, node: ast.expr) -> set[str]:
        if not isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.Subscript):
            return set()
        return self.scopes.qualified_names(node, self.scope_of(node))

    def bindings(self, node: ast.Name) -> list[Binding]:
        found = self.scopes.lookup(node.id, self.scope_of(node))
        if any(b.via == "augassign" for b in found):
            raise Unsupported("augmented assignment")
        return found

    # -- targets --------------------------------------------------------------------------------------
    def match(self, call: ast.Call) -> tuple[str, str] | None:
        """(factory, qualified) when ``call`` is a target."""
        names = self.names(call.func)
        if names and all(n in DIRECT_TARGETS for n in names):
            qualified = min(names)
            return DIRECT_TARGETS[qualified], qualified
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in SESSION_METHODS:
            session = self.session_name(func.value, 0)
            if session is not None:
                return func.attr, f"{session}().{func.attr}"
        return None

    def session_name(self, node: ast.expr, depth: int) -> str | None:
        if depth > 4:
            return None
        if isinstance(node, ast.Call):
            names = self.names(node.func)
            return min(names) if names and names <= SESSION_FACTORIES else None
        if not isinstance(node, ast.Name):
            return None
        found: set[str] = set()
        for binding in self.bindings(node):
            if binding.via not in ("assign", "annassign", "with") or binding.value is None:
                return None
            name = self.session_name(binding.value, depth + 1)
            if name is None:
                return None
            found.add(name)
        return min(found) if found else None

    # -- values ---------------------------------------------------------------------------------------
    def trace(self, node: ast.expr, depth: int = 0, seen: frozenset[int] = frozenset()) -> Trace:
        if depth > MAX_DEPTH:
            return Trace("value is built too indirectly to trace")
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return Trace(kind="literal", literals=(node.value,))
            if isinstance(node.value, bytes):
                return Trace(kind="expression")
            return Trace(kind="literal")
        if isinstance(node, ast.JoinedStr | ast.NamedExpr | ast.Slice):
            raise Unsupported("f-string, assignment expression or slice value")
        if isinstance(node, ast.Name):
            return self._trace_name(node, depth, seen)
        if isinstance(node, ast.Attribute):
            return self._trace_attribute(node, depth, seen)
        if isinstance(node, ast.Subscript):
            return self._trace_subscript(node, depth, seen)
        if isinstance(node, ast.Call):
            return self._trace_call(node, depth, seen)
        if isinstance(node, ast.Lambda | ast.Await | ast.Yield | ast.YieldFrom | _COMPS):
            return Trace("value is computed at run time in a way keyshift cannot follow")
        return merge("expression", [self.trace(e, depth + 1, seen) for e in _sub_expressions(node)])

    def _trace_name(self, node: ast.Name, depth: int, seen: frozenset[int]) -> Trace:
        found = self.bindings(node)
        if not found:
            if self.scopes.is_builtin(node.id, self.scope_of(node)):
                return Trace(kind="builtin")
            return Trace(f"name {node.id!r} is not bound in this module")
        if len(found) > 1:
            raise Unsupported("name bound more than once")
        part = self._trace_binding(node.id, found[0], depth, seen)
        return merge(part.kind, [part])

    def _trace_binding(self, name: str, binding: Binding, depth: int, seen: frozenset[int]) -> Trace:
        if binding.via == "import":
            module = binding.origin_module
            origin = f"{name} imported from {module}" if module else f"{name} (imported module)"
            return Trace(kind="imported-name", origins=(origin,))
        if binding.via == "param":
            return Trace(f"value is the function parameter {name!r}")
        is_global = binding.scope.kind == "module"
        if binding.via == "def":
            return Trace(kind="module-name" if is_global else "local")
        value = binding.value if binding.via in ("assign", "annassign", "walrus") else None
        if is_global:
            sts = _sts_call(value) if value is not None else None
            if sts:
                return Trace(f"{name!r} holds temporary credentials from {sts}(); keep them")
            if value is None or id(value) in seen:
                return Trace(kind="module-name")
            facts = self.trace(value, depth + 1, seen | {id(value)})
            return Trace(None, "module-name", facts.literals, facts.env_vars, facts.origins)
        if value is None:
            return Trace(f"local {name!r} is bound in a way keyshift cannot follow")
        if id(value) in seen:
            return Trace(f"local {name!r} is defined in terms of itself")
        inner = self.trace(value, depth + 1, seen | {id(value)})
        return Trace(inner.reason, "local", inner.literals, inner.env_vars, inner.origins)

    def _trace_attribute(self, node: ast.Attribute, depth: int, seen: frozenset[int]) -> Trace:
        root = _root_name(node)
        if root is not None and root.id in ("self", "cls") and root is node.value:
            return Trace(f"value is the attribute {root.id}.{node.attr}")
        if root is not None and root.id in ("self", "cls"):
            return Trace(f"value comes from an attribute of {root.id}")
        base = self.trace(node.value, depth + 1, seen)
        if base.reason is not None:
            return Trace(derived(base.reason), "attribute")
        dotted = _dotted(node)
        origins = base.origins
        if base.kind == "imported-name" and dotted:
            origins = (*origins, dotted)
        return Trace(None, "attribute", base.literals, base.env_vars, origins)

    def _trace_subscript(self, node: ast.Subscript, depth: int, seen: frozenset[int]) -> Trace:
        index = node.slice
        indexes = _sub_expressions(index) if isinstance(index, ast.Slice) else [index]
        index_parts = [self.trace(e, depth + 1, seen) for e in indexes]
        if "os.environ" in self.names(node.value):
            if isinstance(index, ast.Tuple):
                raise Unsupported("tuple index on os.environ")
            text = None if isinstance(index, ast.Slice) else _literal(index)
            env = (text,) if text is not None else ()
            merged = merge("env", index_parts)
            reason = derived(merged.reason) if merged.reason is not None else None
            return Trace(reason, "env", (), env, ())
        if isinstance(node.value, ast.Attribute | ast.Name):
            root = _root_name(node.value)
            if root is not None and root.id in ("self", "cls"):
                return Trace(f"value comes from an attribute of {root.id}")
        base = self.trace(node.value, depth + 1, seen)
        if base.reason is not None:
            return Trace(derived(base.reason), "subscript")
        merged = merge("subscript", [base, *index_parts])
        return Trace(merged.reason, "subscript", (), merged.env_vars, merged.origins)

    def _trace_call(self, node: ast.Call, depth: int, seen: frozenset[int]) -> Trace:
        names = self.names(node.func)
        args = _args_in_order(node)
        arg_parts = [self.trace(_arg_value(a), depth + 1, seen) for a in args]
        func = node.func
        if names & ENV_READS:
            env: tuple[str, ...] = ()
            if args and not (isinstance(args[0], ast.keyword) and args[0].arg is not None):
                first = _literal(_arg_value(args[0]))
                env = (first,) if first is not None else ()
            merged = merge("env", arg_parts)
            reason = derived(merged.reason) if merged.reason is not None else None
            return Trace(reason, "env", (), env, ())
        if isinstance(func, ast.Attribute) and func.attr in STS_METHODS:
            return Trace(f"value is temporary credentials from {func.attr}(); keep them")
        if isinstance(func, ast.Attribute) and func.attr in ARGV_METHODS:
            return Trace(ARGV_REASON)
        if names & PROMPTS:
            return Trace(PROMPT_REASON)
        callee = self.trace(func, depth + 1, seen)
        merged = merge("call", [callee, *arg_parts])
        if merged.reason is not None:
            return Trace(derived(merged.reason), "call")
        if isinstance(func, ast.Attribute) and func.attr in MAPPING_READS:
            return Trace(None, "subscript", (), merged.env_vars, merged.origins)
        shown = _dotted(func) or "a computed function"
        return Trace(f"value is returned by {shown}(), which keyshift cannot follow", "call")

    # -- **dict ---------------------------------------------------------------------------------------
    def dict_keys(self, node: ast.expr, depth: int = 0) -> set[str] | None:
        if depth > 4:
            return None
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                return None
            return {t for k in node.keys for t in [_literal(k)] if t}
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            if node.args or any(k.arg is None for k in node.keywords):
                return None
            return {k.arg for k in node.keywords if k.arg is not None}
        if isinstance(node, ast.Name):
            if node.id in self.scope_of(node).globals:
                raise Unsupported("**dict of a name declared global")
            found = self.bindings(node)
            if not found:
                return None
            keys: set[str] = set()
            for binding in found:
                if binding.via != "assign" or binding.value is None:
                    return None
                inner = self.dict_keys(binding.value, depth + 1)
                if inner is None:
                    return None
                keys |= inner
            for assign in self.scope_of(node).assigns:
                for target in assign.targets:
                    if (
                        isinstance(target, ast.Subscript)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == node.id
                    ):
                        text = _literal(target.slice)
                        if text:
                            keys.add(text)
            return keys
        return None


def _arg_value(arg: ast.expr | ast.keyword) -> ast.expr:
    if isinstance(arg, ast.keyword):
        return arg.value
    return arg.value if isinstance(arg, ast.Starred) else arg


def _sts_call(node: ast.AST) -> str | None:
    found = {
        n.func.attr
        for n in ast.walk(node)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in STS_METHODS
    }
    if len(found) > 1:
        raise Unsupported("several STS calls in one value")
    return found.pop() if found else None


@dataclass(slots=True)
class _Site:
    call: ast.Call
    factory: str
    qualified: str
    drop: set[int]
    traces: dict[str, Trace]
    reason: str | None
    names: list[ast.Name]
    unseen: list[str] = field(default_factory=list)


def _shown(analysis: _Analysis, node: ast.expr) -> str:
    text = ast.get_source_segment(analysis.source.decode("utf-8", "replace"), node) or ""
    if not _DOTTED.fullmatch(text):
        raise Unsupported("complex starred argument")
    return text if len(text) <= 40 else text[:37] + "..."


def _analyse_site(analysis: _Analysis, call: ast.Call, factory: str, qualified: str) -> _Site:
    drop: set[int] = set()
    traces: dict[str, Trace] = {}
    names: list[ast.Name] = []
    reason: str | None = None
    positional = 0
    unseen: list[str] = []
    for index, arg in enumerate(_args_in_order(call)):
        if isinstance(arg, ast.Starred):
            unseen.append(f"positional arguments come through *{_shown(analysis, arg.value)}")
        elif isinstance(arg, ast.keyword) and arg.arg is None:
            keys = analysis.dict_keys(arg.value)
            hits = sorted(k for k in keys if k in CREDENTIAL_KWARGS) if keys is not None else []
            visible = f"credentials ({', '.join(hits)}) come through **dict" if hits else None
            if visible is None:
                unseen.append(f"keyword arguments come through **{_shown(analysis, arg.value)}")
            reason = reason or visible
        elif not isinstance(arg, ast.keyword):
            positional += 1
        elif arg.arg in CREDENTIAL_KWARGS:
            drop.add(index)
            trace = analysis.trace(arg.value)
            traces[arg.arg] = trace
            if isinstance(arg.value, ast.Name):
                names.append(arg.value)
            if trace.reason is not None and reason is None:
                reason = f"{arg.arg}: {trace.reason}"
    first = FIRST_POSITIONAL_CREDENTIAL.get(factory)
    if first is not None and positional > first and reason is None:
        reason = "credentials are passed positionally"
    return _Site(call, factory, qualified, drop, traces, reason, names, unseen)


# -- leftovers (``notes.leftover_notes``) ----------------------------------------------------------------
def _dict_literal_keys(node: ast.expr) -> set[str]:
    out: set[str] = set()
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                text = _literal(key)
                if text:
                    out.add(text)
                out |= _dict_literal_keys(value)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
        for arg in node.keywords:
            if arg.arg is not None:
                out.add(arg.arg)
            out |= _dict_literal_keys(arg.value)
        for positional in node.args:
            out |= _dict_literal_keys(_arg_value(positional))
    return out


def _leftover_notes(a: _Analysis, skip_names: frozenset[str] = frozenset()) -> list[Note]:
    out: list[Note] = []
    for assign in a.scopes.assigns:
        for target in assign.targets:
            if isinstance(target, ast.Subscript) and "os.environ" in a.names(target.value):
                if isinstance(target.slice, ast.Tuple | ast.Slice):
                    continue
                var = _literal(target.slice)
                if var in CHAIN_ENV_VARS:
                    out.append(
                        Note(
                            a.line(assign),
                            "environ-write",
                            f"credentials are written to os.environ[{var!r}]; that overrides the task "
                            "role for the whole process: remove the assignment",
                            True,
                        )
                    )
    for call in a.scopes.calls:
        names = a.names(call.func)
        args = _args_in_order(call)
        if names & {"os.environ.setdefault", "os.putenv"} and args:
            var = _literal(_arg_value(args[0]))
            if var in CHAIN_ENV_VARS:
                out.append(
                    Note(
                        a.line(call),
                        "environ-write",
                        f"credentials are written to the environment ({var}); that overrides the "
                        "task role: remove the call",
                        True,
                    )
                )
        if "os.environ.update" in names and args:
            hits = sorted(_dict_literal_keys(_arg_value(args[0])) & CHAIN_ENV_VARS)
            if hits:
                out.append(
                    Note(
                        a.line(call),
                        "environ-write",
                        f"credentials are written to os.environ ({', '.join(hits)}); that overrides "
                        "the task role: remove them",
                        True,
                    )
                )
        if names & S3FS_FACTORIES:
            hits = sorted(k.arg for k in call.keywords if k.arg in S3FS_KEYS)
            if hits:
                out.append(
                    Note(
                        a.line(call),
                        "s3fs",
                        f"s3fs credentials ({', '.join(hits)}) are not rewritten by keyshift; remove "
                        "them so s3fs uses the default chain",
                        True,
                    )
                )
        for keyword in call.keywords:
            if keyword.arg == "storage_options":
                hits = sorted(_dict_literal_keys(keyword.value) & S3FS_KEYS)
                if hits:
                    out.append(
                        Note(
                            a.line(call),
                            "storage-options",
                            f"storage_options carries credentials ({', '.join(hits)}); keyshift does "
                            "not rewrite them: remove them so s3fs uses the default chain",
                            True,
                        )
                    )
    for group in _groups(a):
        for stmt in group:
            if isinstance(stmt, ast.Assign):
                targets: list[ast.expr] = list(stmt.targets)
                value: ast.expr | None = stmt.value
            elif isinstance(stmt, ast.AnnAssign):
                targets, value = [stmt.target], stmt.value
            else:
                continue
            for target in targets:
                if not isinstance(target, ast.Name) or target.id not in SETTINGS_NAMES:
                    continue
                if target.id in skip_names or value is None:
                    continue
                if (isinstance(value, ast.Constant) and value.value is None) or _literal(value) == "":
                    continue
                out.append(
                    Note(
                        a.line(group[0]),
                        "settings",
                        f"module-level setting {target.id} holds credentials; settings modules "
                        "(Django, django-storages) pass it to boto3, overriding the task role: delete it",
                        True,
                    )
                )
    return out


def _groups(a: _Analysis) -> list[list[ast.stmt]]:
    """Top-level statements grouped as libcst's module body (``a = 1; b = 2`` is one line)."""
    groups: list[list[ast.stmt]] = []
    previous: ast.stmt | None = None
    for stmt in a.tree.body:
        if previous is not None and stmt.lineno == previous.end_lineno and _is_simple(previous):
            groups[-1].append(stmt)
        else:
            tail = a.lines[stmt.end_lineno - 1][stmt.end_col_offset :] if stmt.end_lineno else b""
            if _is_simple(stmt) and tail.lstrip().startswith(b";") and b"\\" in tail:
                raise Unsupported("statement continued after a semicolon")
            groups.append([stmt])
        previous = stmt
    return groups


_COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Match,
)


def _is_simple(stmt: ast.stmt) -> bool:
    return not isinstance(stmt, _COMPOUND) and type(stmt).__name__ != "TryStar"


# -- dead constants (``credentials._remove_dead``) ---------------------------------------------------------
def _all_names(a: _Analysis) -> set[str]:
    names: set[str] = set()
    for stmt in a.tree.body:
        if isinstance(stmt, ast.Assign):
            targets, value = list(stmt.targets), stmt.value
        elif isinstance(stmt, ast.AugAssign | ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            for node in ast.walk(value):
                text = _literal(node)
                if text:
                    names.add(text)
    return names


_TYPING_CALLS = frozenset({"TypeVar", "NewType", "cast"})


def _annotation_strings(tree: ast.Module) -> list[str]:
    """Strings libcst may read as type annotations (and count names in), over-approximated:
    anything under an annotation, a ``Name[...]`` subscript or a TypeVar/NewType/cast call."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            roots.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            roots.append(node.returns)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            roots.append(node.slice)
        elif isinstance(node, ast.Call):
            func = node.func
            last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if last in _TYPING_CALLS:
                roots.extend([*node.args, *(k.value for k in node.keywords)])
    return [
        n.value
        for root in roots
        for n in ast.walk(root)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _dead_rhs(a: _Analysis, value: ast.expr) -> bool:
    if _literal(value) is not None:
        return True
    if isinstance(value, ast.Call):
        return bool(a.names(value.func) & _DEAD_RHS_CALLS)
    if isinstance(value, ast.Subscript):
        return "os.environ" in a.names(value.value)
    return False


@dataclass(slots=True)
class _Dead:
    delete: set[int] = field(default_factory=set)  # group indexes of statements to delete
    imports: dict[int, set[int]] = field(default_factory=dict)  # group index -> alias indexes to drop
    consts: list[tuple[str, int]] = field(default_factory=list)
    names: list[tuple[str, int]] = field(default_factory=list)


def _remove_dead(
    a: _Analysis, groups: list[list[ast.stmt]], candidates: set[str], removed: set[int]
) -> _Dead:
    dead = _Dead()
    if not candidates:
        return dead
    exported = _all_names(a)
    strings = _annotation_strings(a.tree)

    def unused(name: str) -> bool:
        if name in exported:
            return False
        word = re.compile(rf"\b{re.escape(name)}\b")
        if any(word.search(s) for s in strings):
            raise Unsupported("name mentioned in a string (annotation?)")
        for node, scope in a.scopes.walk_names():
            if node.id != name or not isinstance(node.ctx, ast.Load | ast.Del):
                continue
            found = a.scopes.lookup(name, scope)
            if found and found[0].scope.kind == "module" and id(node) not in removed:
                return False
        return True

    for index, group in enumerate(groups):
        if len(group) != 1:
            continue
        stmt = group[0]
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        if isinstance(target, ast.Name) and value is not None:
            if target.id in candidates and unused(target.id) and _dead_rhs(a, value):
                dead.delete.add(index)
                dead.consts.append((target.id, stmt.lineno))
            continue
        if isinstance(stmt, ast.ImportFrom):
            drop: set[int] = set()
            for i, alias in enumerate(stmt.names):
                bound = alias.asname or alias.name
                if "." not in bound and bound in candidates and unused(bound):
                    drop.add(i)
                    dead.names.append((bound, stmt.lineno))
            if drop:
                dead.imports[index] = drop
    return dead


def _candidates(a: _Analysis, sites: list[_Site]) -> set[str]:
    out: set[str] = set()
    for site in sites:
        for name in site.names:
            found = a.bindings(name)
            if found and all(b.scope.kind == "module" for b in found):
                out.add(name.id)
    return out


def _kept_literal_notes(
    a: _Analysis, groups: list[list[ast.stmt]], candidates: set[str], removed: set[str]
) -> list[Note]:
    notes: list[Note] = []
    for group in groups:
        if len(group) != 1:
            continue
        stmt = group[0]
        if not isinstance(stmt, ast.Assign | ast.AnnAssign) or stmt.value is None:
            continue
        target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
        if not isinstance(target, ast.Name) or target.id not in candidates or target.id in removed:
            continue
        text = _literal(stmt.value)
        if text and (KEY_ID.search(text) or SECRETISH.match(text)):
            notes.append(
                Note(
                    stmt.lineno,
                    "kept-literal",
                    f"constant {target.id} still holds a literal credential (it is still used or "
                    "exported); remove it by hand and revoke the key",
                    True,
                )
            )
    return notes


# -- the whole file ---------------------------------------------------------------------------------------
def fast_fix(data: bytes) -> FileFix:
    """Analyse (and, when needed, rewrite) one file's bytes; raises ``Unsupported``."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
        raise Unsupported("ast cannot parse this file") from exc
    if data.startswith(b"\xef\xbb\xbf") or b"\r" in data.replace(b"\r\n", b""):
        raise Unsupported("byte-order mark or bare carriage returns")
    for head in data.split(b"\n", 2)[:2]:
        if b"coding" in head and not _utf8_cookie(head):
            raise Unsupported("encoding declaration other than UTF-8")
    a = _Analysis(data, tree)
    sites: list[_Site] = []
    for call in sorted(a.scopes.calls, key=_pos_key):
        matched = a.match(call)
        if matched is not None:
            sites.append(_analyse_site(a, call, *matched))
    result = FileFix(changed=False)
    blocked = any(s.reason is not None for s in sites)
    for site in sites:
        for text in site.unseen:
            result.notes.append(unseen_note(a.line(site.call), text))
        if not site.drop and site.reason is None:
            continue
        ordered = _args_in_order(site.call)
        removed = tuple(
            arg.arg
            for i, arg in enumerate(ordered)
            if i in site.drop and isinstance(arg, ast.keyword) and arg.arg
        )
        report, notes, secrets = site_outcome(
            line=a.line(site.call),
            column=a.column(site.call),
            factory=site.factory,
            qualified=site.qualified,
            blocked=blocked,
            removed=removed,
            reason=site.reason,
            traces=site.traces,
            endpoint_url=any(k.arg == "endpoint_url" for k in site.call.keywords),
        )
        result.sites.append(report)
        result.notes.extend(notes)
        result.secrets.update(secrets)
    edits = [s for s in sites if s.drop]
    if blocked or not edits:
        result.notes.extend(_leftover_notes(a))
        result.notes = _dedupe(result.notes)
        return result
    groups = _groups(a)
    candidates = _candidates(a, sites)
    removed_ids = {
        id(n)
        for s in sites
        for i, arg in enumerate(_args_in_order(s.call))
        if i in s.drop
        for n in ast.walk(_arg_value(arg))
        if isinstance(n, ast.Name)
    }
    dead = _remove_dead(a, groups, candidates, removed_ids)
    result.removed_constants = dead.consts
    result.removed_imports = dead.names
    result.notes.extend(_leftover_notes(a, frozenset(n for n, _ in dead.consts)))
    result.notes.extend(_kept_literal_notes(a, groups, candidates, {n for n, _ in dead.consts}))
    result.notes = _dedupe(result.notes)
    try:
        new, encoding = _apply_text(data, a, groups, edits, dead), "utf-8"
    except Unsupported:
        new, encoding = _apply(data, a, groups, edits, dead)
    result.changed, result.new, result.encoding = True, new, encoding
    return result


def _first_line(stmt: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", None) or []
    return min([stmt.lineno, *(d.lineno for d in decorators)])


def _blank(line: bytes) -> bool:
    return not line.strip()


def _apply_text(
    data: bytes, a: _Analysis, groups: list[list[ast.stmt]], sites: list[_Site], dead: _Dead
) -> bytes:
    """The edits on the bytes themselves (``textedit``); ``Unsupported`` when a shape needs libcst."""
    from keyshift.codemod.textedit import Source, remove_call_args, remove_import_text

    src = Source(data)
    edits: list[tuple[int, int, bytes]] = []
    for site in sites:
        edits.append(remove_call_args(src, site.call, _args_in_order(site.call), site.drop))
    deletes = set(dead.delete)
    for index, drop in dead.imports.items():
        stmt = groups[index][0]
        if not isinstance(stmt, ast.ImportFrom):
            raise Unsupported("import does not line up")
        if len(drop) == len(stmt.names):
            deletes.add(index)
        else:
            edits.append(remove_import_text(src, stmt, drop))
    if deletes:
        if not data.endswith(b"\n"):
            raise Unsupported("deletion in a file without a final newline")
        lines = a.lines
        inherited: list[bytes] | None = None
        for index, group in enumerate(groups):
            if index == 0:
                if index in deletes:
                    raise Unsupported("deleting the first statement (module header)")
                continue
            if not all(_is_simple(s) for s in groups[index - 1]):
                if index in deletes or inherited is not None:
                    raise Unsupported("statement after a compound statement")
                continue
            lead_start = (groups[index - 1][-1].end_lineno or 0) + 1
            lead = lines[lead_start - 1 : _first_line(group[0]) - 1]
            if index in deletes:
                if inherited is None:
                    inherited = [line for line in lead if _blank(line)]
                end_line = (group[-1].end_lineno or 0) + 1
                edits.append((src.line_start(lead_start), src.line_start(end_line), b""))
                continue
            if inherited is not None:
                if inherited and not any(_blank(line) for line in lead):
                    at = src.line_start(lead_start)
                    edits.append((at, at, b"".join(inherited)))
                inherited = None
    edits.sort(key=lambda e: (e[0], e[1]))
    for (_, end, _), (start, _, _) in itertools.pairwise(edits):
        if end > start:
            raise Unsupported("overlapping edits")
    out = data
    for start, end, text in reversed(edits):
        out = out[:start] + text + out[end:]
    try:
        ast.parse(out)
    except (SyntaxError, ValueError) as exc:
        raise Unsupported("text edit did not parse") from exc
    return out


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _utf8_cookie(line: bytes) -> bool:
    """``# -*- coding: utf-8 -*-`` and its spellings: ``ast`` offsets are then UTF-8 bytes too."""
    import codecs

    match = _COOKIE.match(line)
    if match is None:
        return False
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name == "utf-8"
    except (LookupError, UnicodeDecodeError):
        return False


def _dedupe(notes: list[Note]) -> list[Note]:
    seen: set[tuple[str, str]] = set()
    out: list[Note] = []
    for note in sorted(notes, key=lambda n: (n.line, n.kind, n.message)):
        if (note.kind, note.message) not in seen:
            seen.add((note.kind, note.message))
            out.append(note)
    return out


# -- applying the edits with libcst (no metadata) ------------------------------------------------
def _calls_in_order(node: cst.CSTNode) -> list[cst.Call]:
    import libcst as cst

    out: list[cst.Call] = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            out.append(call)

    node.visit(_Calls())
    return out


def _same_call(mine: ast.Call, theirs: cst.Call) -> bool:
    """Cheap identity check: same callee spelling, same argument kinds and keywords in order."""
    import libcst as cst

    def dotted(node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            base = dotted(node.value)
            return f"{base}.{node.attr.value}" if base else None
        return None

    ours = [
        (a.arg, "**" if a.arg is None else "")
        if isinstance(a, ast.keyword)
        else (None, "*" if isinstance(a, ast.Starred) else "")
        for a in _args_in_order(mine)
    ]
    other = [(a.keyword.value if a.keyword else None, a.star) for a in theirs.args]
    return ours == other and (_dotted(mine.func) or "") == (dotted(theirs.func) or "")


_VALUE_STATEMENTS = (ast.Assign, ast.AnnAssign, ast.Expr, ast.Return)


def _direct_edit(
    stmt: cst.BaseStatement, group: list[ast.stmt], sites: list[_Site]
) -> cst.BaseStatement | None:
    """The common shape ``x = factory(...)`` edited without a tree walk (``None``: walk instead)."""
    import libcst as cst

    from keyshift.codemod.edits import remove_args

    if len(sites) != 1 or len(group) != 1 or not isinstance(stmt, cst.SimpleStatementLine):
        return None
    mine, site = group[0], sites[0]
    if not isinstance(mine, _VALUE_STATEMENTS) or mine.value is not site.call or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if not isinstance(small, cst.Assign | cst.AnnAssign | cst.Expr | cst.Return):
        return None
    call = small.value
    if not isinstance(call, cst.Call) or not _same_call(site.call, call):
        return None
    return stmt.with_changes(body=[small.with_changes(value=remove_args(call, site.drop))])


def _apply(
    data: bytes, a: _Analysis, groups: list[list[ast.stmt]], sites: list[_Site], dead: _Dead
) -> tuple[bytes, str]:
    import libcst as cst

    from keyshift.codemod.edits import ArgRemover, check_parses, delete_statements, remove_import_names

    module = cst.parse_module(data)
    body = list(module.body)
    if len(body) != len(groups):
        raise Unsupported("module body does not line up")
    for stmt, group in zip(body, groups, strict=True):
        size = len(stmt.body) if isinstance(stmt, cst.SimpleStatementLine) else 1
        if size != len(group):
            raise Unsupported("statement groups do not line up")
    by_group: dict[int, list[_Site]] = {}
    top = {id(stmt): index for index, group in enumerate(groups) for stmt in group}
    for site in sites:
        node: Any = site.call
        while id(node) not in top:
            node = a.scopes.parents.get(id(node))
            if node is None:
                raise Unsupported("call outside the module body")
        by_group.setdefault(top[id(node)], []).append(site)
    replace: dict[int, cst.BaseStatement | None] = {}
    for index, group_sites in by_group.items():
        direct = _direct_edit(body[index], groups[index], group_sites)
        if direct is not None:
            replace[index] = direct
            continue
        mine = sorted(
            (n for stmt in groups[index] for n in ast.walk(stmt) if isinstance(n, ast.Call)), key=_pos_key
        )
        theirs = _calls_in_order(body[index])
        if len(mine) != len(theirs):
            raise Unsupported("calls do not line up")
        where = {id(call): i for i, call in enumerate(mine)}
        edits: dict[cst.Call, set[int]] = {}
        for site in group_sites:
            found = theirs[where[id(site.call)]]
            if not _same_call(site.call, found):
                raise Unsupported("call does not line up")
            edits[found] = site.drop
        replace[index] = body[index].visit(ArgRemover(edits))  # type: ignore[assignment]
    for index in dead.delete:
        replace[index] = None
    for index, drop in dead.imports.items():
        stmt = body[index]
        if not isinstance(stmt, cst.SimpleStatementLine) or not isinstance(stmt.body[0], cst.ImportFrom):
            raise Unsupported("import does not line up")
        new_import = remove_import_names(stmt.body[0], drop)
        replace[index] = None if new_import is None else stmt.with_changes(body=[new_import])
    new_body = delete_statements(body, replace)
    new_module = module.with_changes(body=new_body)
    code = new_module.code
    check_parses(code, module)
    return code.encode(module.encoding), module.encoding
