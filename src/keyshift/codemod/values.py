"""Is a credential value *ambient*, i.e. fixed by the module rather than supplied by a caller?

Removing ``aws_access_key_id=X`` is only safe when ``X`` does not come from whoever calls the
code. Ambient values: a string literal; a module-level name; an imported name; an attribute or
subscript of an imported module or module-level object (``settings.X``, ``st.secrets[...]``,
``conf["aws"]["key"]``); an environment read (``os.getenv``, ``os.environ.get``,
``os.environ[...]``); ``.get(...)`` on such an object (a subscript with a default, as in
``config.get("aws", "key")``); a local variable assigned from one of these; and expressions
built only from them (``os.getenv("A") or "b"``, f-strings). Anything else is not ambient: a
parameter or a value derived from one, a ``self.``/``cls.`` attribute, and the result of any
other call (a helper, ``sts.assume_role(...)``, ``parser.parse_args()``), so the site is
reported and the file left alone. The analysis is scope-aware (libcst ``ScopeProvider``): a
local of the same name as a constant is a different binding.
"""

from __future__ import annotations

import re
from ast import literal_eval
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import libcst as cst
from libcst._metadata_dependent import LazyValue
from libcst.metadata import (
    Assignment,
    BuiltinAssignment,
    GlobalScope,
    ImportAssignment,
    QualifiedName,
    Scope,
)

from keyshift.awsnames import is_credential_name
from keyshift.codemod.records import (
    ARGV_METHODS,
    ARGV_REASON,
    ENV_READS,
    MAPPING_READS,
    MAX_DEPTH,
    PROMPT_REASON,
    PROMPTS,
    STS_METHODS,
    Trace,
    derived,
    merge,
)


@dataclass(slots=True)
class Metadata:
    """The libcst metadata one module's analysis needs: scopes (resolved once) and parents.

    Qualified names are asked of the scope only for the few nodes that need them, which is
    much cheaper than resolving ``QualifiedNameProvider`` for every node of the module.
    """

    scopes: Mapping[cst.CSTNode, object]
    parents: Mapping[cst.CSTNode, cst.CSTNode]
    star_import: bool = False
    calls: list[cst.Call] = field(default_factory=list)  # every call, in source order
    assigns: list[cst.Assign] = field(default_factory=list)  # every assignment, in source order
    strings: list[cst.SimpleString | cst.ConcatenatedString] = field(default_factory=list)
    reads: list[cst.Subscript | cst.Call] = field(default_factory=list)  # subscripts and .get() calls
    classes: list[cst.ClassDef] = field(default_factory=list)
    dicts: list[cst.Dict] = field(default_factory=list)  # dict displays, for credential mappings
    fstrings: list[cst.FormattedString] = field(default_factory=list)  # Spark keys built per bucket
    _names: dict[int, set[str]] = field(default_factory=dict)

    def names(self, node: cst.CSTNode) -> set[str]:
        cached = self._names.get(id(node))
        if cached is not None:
            return cached
        scope = self.scope(node)
        found: set[str] = set()
        if scope is not None and isinstance(node, cst.Name | cst.Attribute | cst.Call):
            try:
                found = {q.name for q in scope.get_qualified_names_for(node) if isinstance(q, QualifiedName)}
            except (KeyError, ValueError, AttributeError):  # pragma: no cover - defensive
                found = set()
        self._names[id(node)] = found
        return found

    def scope(self, node: cst.CSTNode) -> Scope | None:
        scope = unlazy(self.scopes.get(node))
        return scope if isinstance(scope, Scope) else None


def unlazy(value: Any) -> Any:
    """libcst may store metadata as a lazily computed value; force it."""
    return value() if isinstance(value, LazyValue) else value


def literal_text(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal (no f-string expressions), else None.

    ``"ab" "cd"`` and ``"ab" + "cd"`` are literals too: the scanner joins both (``detect.pyjoin``),
    so a constant it reports as a secret must be removed or reported here, never left behind.
    """
    parts: list[str] = []
    pending: list[cst.BaseExpression] = [node]
    while pending:  # left-deep ``+`` chains without recursion
        current = pending.pop()
        if isinstance(current, cst.BinaryOperation):
            if not isinstance(current.operator, cst.Add):
                return None
            pending.append(current.right)
            pending.append(current.left)
            continue
        if not isinstance(current, cst.SimpleString | cst.ConcatenatedString):
            return None
        value = (
            _evaluated(current.value) if isinstance(current, cst.SimpleString) else current.evaluated_value
        )
        if not isinstance(value, str):
            return None
        parts.append(value)
    return "".join(parts)


@lru_cache(maxsize=4096)
def _evaluated(token: str) -> str | bytes:
    """A string token's value (``SimpleString.evaluated_value``), without compiling the token
    when it is its own text: no prefix or ``u``, no backslash (or an ``r`` prefix), no carriage
    return (a triple-quoted CR LF reads as LF). Cached: the analysis asks for the same strings."""
    prefix = len(token) - len(token.lstrip("uUrR"))
    quote = token[-1]
    if prefix <= 1 and quote in "'\"" and token[prefix] == quote:
        width = 3 if len(token) - prefix >= 6 and token.startswith(quote * 3, prefix) else 1
        body = token[prefix + width : len(token) - width]
        raw = prefix == 1 and token[0] in "rR"
        if (raw or "\\" not in body) and "\r" not in body:
            return body
    value: str | bytes = literal_eval(token)
    return value


def _sub_expressions(node: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    for child in node.children:
        if isinstance(child, cst.BaseExpression):
            yield child
        elif not isinstance(child, cst.BaseParenthesizableWhitespace | cst.Comma | cst.LeftParen):
            yield from _sub_expressions(child)


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for a chain of names and attributes, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted_name(node.value)
        return f"{base}.{node.attr.value}" if base else None
    return None


def bound_value(
    parents: Mapping[cst.CSTNode, cst.CSTNode], bound: cst.CSTNode, *, with_items: bool = True
) -> cst.BaseExpression | None:
    """The expression that binds a Name: a plain, annotated or walrus assignment, or (with
    ``with_items``) the context manager of ``with ... as name``."""
    parent = parents.get(bound)
    if isinstance(parent, cst.AssignTarget):
        stmt = parents.get(parent)
        return stmt.value if isinstance(stmt, cst.Assign) else None
    if isinstance(parent, cst.AnnAssign | cst.NamedExpr) and parent.target is bound:
        return parent.value
    if with_items and isinstance(parent, cst.AsName):
        item = parents.get(parent)
        if isinstance(item, cst.WithItem) and item.asname is parent:
            return item.item
    return None


def _root_name(node: cst.BaseExpression) -> cst.Name | None:
    while isinstance(node, cst.Attribute | cst.Subscript | cst.Call):
        node = node.func if isinstance(node, cst.Call) else node.value
    return node if isinstance(node, cst.Name) else None


def _contains_sts_call(node: cst.CSTNode) -> str | None:
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in STS_METHODS
    ):
        return node.func.attr.value
    for child in node.children:
        found = _contains_sts_call(child)
        if found:
            return found
    return None


#: Configuration files a credential may be read from.
#: ``.env.local``/``.env.production`` are dotenv files too.
CONFIG_FILE = re.compile(
    r"(?i)(?:\.(?:csv|json|ya?ml|ini|cfg|cnf|conf|properties|toml|txt|env)|\.env\.[\w-]+)$"
)
#: Methods that fill an already made reader from a path (``ConfigParser().read("aws.ini")``).
_READ_METHODS = frozenset({"read", "read_file", "load", "safe_load", "read_csv", "read_json"})


def file_paths(meta: Metadata, node: cst.BaseExpression, depth: int = 0) -> list[str]:
    """Configuration files ``node`` is read from: literal paths in the calls that build it.

    Follows names to what binds them (``with open("c.json") as f: json.load(f)``) and, for a
    name, the reader methods called on it (``config.read("aws.ini")``).
    """
    if depth > 6:
        return []
    out: list[str] = []
    if isinstance(node, cst.Call):
        for arg in node.args:
            text = literal_text(arg.value)
            if text is not None and CONFIG_FILE.search(text) and "\n" not in text:
                out.append(text)
            else:
                out.extend(file_paths(meta, arg.value, depth + 1))
        out.extend(file_paths(meta, node.func, depth + 1))
    elif isinstance(node, cst.Attribute | cst.Subscript):
        out.extend(file_paths(meta, node.value, depth + 1))
    elif isinstance(node, cst.Name):
        scope = meta.scope(node)
        if scope is None:
            return out
        for assignment in scope[node.value]:
            if not isinstance(assignment, Assignment) or not isinstance(assignment.node, cst.Name):
                continue
            value = bound_value(meta.parents, assignment.node)
            if value is not None:
                out.extend(file_paths(meta, value, depth + 1))
            for access in assignment.references:
                parent = meta.parents.get(access.node)
                grand = meta.parents.get(parent) if parent is not None else None
                if (
                    isinstance(parent, cst.Attribute)
                    and parent.attr.value in _READ_METHODS
                    and isinstance(grand, cst.Call)
                    and grand.func is parent
                ):
                    out.extend(file_paths(meta, grand, depth + 1))
    return list(dict.fromkeys(out))


def credential_read_key(meta: Metadata, node: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """``conf["aws"]["access_key"]`` / ``conf.get("aws", "secret_key")``: (key, the object read)."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            key = literal_text(index.value)
            if key and is_credential_name(key, beside_access_key=True):
                return key, node.value
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ("get", "getstr")
    ):
        for arg in node.args[:2]:
            key = literal_text(arg.value)
            if key and is_credential_name(key, beside_access_key=True):
                return key, node.func.value
    return None


class ValueTracer:
    """Classifies credential values of one module."""

    def __init__(self, meta: Metadata) -> None:
        self.meta = meta

    def trace(self, node: cst.BaseExpression) -> Trace:
        return self._trace(node, 0, frozenset())

    # -- dispatch ---------------------------------------------------------------------------------
    def _trace(self, node: cst.BaseExpression, depth: int, seen: frozenset[int]) -> Trace:
        if depth > MAX_DEPTH:
            return Trace("value is built too indirectly to trace")
        text = literal_text(node)
        if text is not None:
            return Trace(kind="literal", literals=(text,))
        if isinstance(node, cst.Integer | cst.Float | cst.Imaginary | cst.Ellipsis):
            return Trace(kind="literal")
        if isinstance(node, cst.FormattedString):
            return merge("literal", [self._trace(e, depth + 1, seen) for e in _sub_expressions(node)])
        if isinstance(node, cst.Name):
            return self._trace_name(node, depth, seen)
        if isinstance(node, cst.Attribute):
            return self._trace_attribute(node, depth, seen)
        if isinstance(node, cst.Subscript):
            return self._trace_subscript(node, depth, seen)
        if isinstance(node, cst.Call):
            return self._trace_call(node, depth, seen)
        if isinstance(node, cst.Lambda | cst.Await | cst.Yield | cst.BaseComp):
            return Trace("value is computed at run time in a way keyshift cannot follow")
        return merge("expression", [self._trace(e, depth + 1, seen) for e in _sub_expressions(node)])

    # -- names --------------------------------------------------------------------------------------
    def _trace_name(self, node: cst.Name, depth: int, seen: frozenset[int]) -> Trace:
        if node.value in ("None", "True", "False"):
            return Trace(kind="literal")
        scope = self.meta.scope(node)
        if scope is None:
            return Trace(f"name {node.value!r} cannot be resolved")
        assignments = scope[node.value]
        if not assignments:
            if self.meta.star_import:
                return Trace(kind="imported-name", origins=(f"{node.value} (star import)",))
            return Trace(f"name {node.value!r} is not bound in this module")
        parts = [self._trace_assignment(node.value, a, depth, seen) for a in assignments]
        kinds = {p.kind for p in parts}
        return merge(kinds.pop() if len(kinds) == 1 else "name", parts, origins=self._files(node))

    def _files(self, node: cst.BaseExpression) -> tuple[str, ...]:
        """``file <path>`` origins: the configuration files ``node`` is read from."""
        return tuple(f"file {path}" for path in file_paths(self.meta, node))

    def _trace_assignment(self, name: str, assignment: object, depth: int, seen: frozenset[int]) -> Trace:
        if isinstance(assignment, BuiltinAssignment):
            return Trace(kind="builtin")
        if isinstance(assignment, ImportAssignment):
            imp = assignment.node
            module = ""
            if isinstance(imp, cst.ImportFrom) and imp.module is not None:
                module = "." * len(imp.relative) + (dotted_name(imp.module) or "")
            origin = f"{name} imported from {module}" if module else f"{name} (imported module)"
            return Trace(kind="imported-name", origins=(origin,))
        if not isinstance(assignment, Assignment):
            return Trace(f"name {name!r} cannot be resolved")
        bound = assignment.node
        if isinstance(bound, cst.Param):
            return Trace(f"value is the function parameter {name!r}")
        if isinstance(bound, cst.FunctionDef | cst.ClassDef):
            return Trace(kind="module-name" if isinstance(assignment.scope, GlobalScope) else "local")
        value = self._assigned_value(bound)
        if isinstance(assignment.scope, GlobalScope):
            sts = _contains_sts_call(value) if value is not None else None
            if sts:
                return Trace(f"{name!r} holds temporary credentials from {sts}(); keep them")
            if value is None or id(value) in seen:
                return Trace(kind="module-name")
            # a module-level name is ambient whatever it holds; its value still tells the report
            # which literals and environment variables were involved
            facts = self._trace(value, depth + 1, seen | {id(value)})
            return Trace(None, "module-name", facts.literals, facts.env_vars, facts.origins)
        if value is None:
            return Trace(f"local {name!r} is bound in a way keyshift cannot follow")
        key = id(value)
        if key in seen:
            return Trace(f"local {name!r} is defined in terms of itself")
        inner = self._trace(value, depth + 1, seen | {key})
        return Trace(inner.reason, "local", inner.literals, inner.env_vars, inner.origins)

    def _assigned_value(self, bound: cst.CSTNode) -> cst.BaseExpression | None:
        return bound_value(self.meta.parents, bound, with_items=False)

    # -- attributes, subscripts, calls --------------------------------------------------------------
    def _trace_attribute(self, node: cst.Attribute, depth: int, seen: frozenset[int]) -> Trace:
        root = _root_name(node)
        if root is not None and root.value in ("self", "cls") and root is node.value:
            return Trace(f"value is the attribute {root.value}.{node.attr.value}")
        if root is not None and root.value in ("self", "cls"):
            return Trace(f"value comes from an attribute of {root.value}")
        base = self._trace(node.value, depth + 1, seen)
        if base.reason is not None:
            return Trace(derived(base.reason), "attribute")
        dotted = dotted_name(node)
        origins = base.origins
        if base.kind == "imported-name" and dotted:
            origins = (*origins, dotted)
        return Trace(None, "attribute", base.literals, base.env_vars, origins)

    def _trace_subscript(self, node: cst.Subscript, depth: int, seen: frozenset[int]) -> Trace:
        index_parts = [self._trace(e, depth + 1, seen) for el in node.slice for e in _sub_expressions(el)]
        if "os.environ" in self.meta.names(node.value):
            env = tuple(
                t
                for el in node.slice
                if isinstance(el.slice, cst.Index)
                for t in [literal_text(el.slice.value)]
                if t is not None
            )
            merged = merge("env", index_parts)
            reason = derived(merged.reason) if merged.reason is not None else None
            return Trace(reason, "env", (), env, ())
        if isinstance(node.value, cst.Attribute | cst.Name):
            root = _root_name(node.value)
            if root is not None and root.value in ("self", "cls"):
                return Trace(f"value comes from an attribute of {root.value}")
        base = self._trace(node.value, depth + 1, seen)
        if base.reason is not None:
            return Trace(derived(base.reason), "subscript")
        merged = merge("subscript", [base, *index_parts])
        return Trace(merged.reason, "subscript", (), merged.env_vars, merged.origins)

    def _trace_call(self, node: cst.Call, depth: int, seen: frozenset[int]) -> Trace:
        trace = self._trace_call_value(node, depth, seen)
        files = self._files(node)
        if files:
            trace = Trace(trace.reason, trace.kind, trace.literals, trace.env_vars, (*trace.origins, *files))
        return trace

    def _trace_call_value(self, node: cst.Call, depth: int, seen: frozenset[int]) -> Trace:
        names = self.meta.names(node.func)
        arg_parts = [self._trace(a.value, depth + 1, seen) for a in node.args]
        if names & ENV_READS:
            env: tuple[str, ...] = ()
            if node.args and not node.args[0].keyword:
                first = literal_text(node.args[0].value)
                env = (first,) if first is not None else ()
            merged = merge("env", arg_parts)
            reason = derived(merged.reason) if merged.reason is not None else None
            return Trace(reason, "env", (), env, ())
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in STS_METHODS:
            return Trace(f"value is temporary credentials from {node.func.attr.value}(); keep them")
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ARGV_METHODS:
            return Trace(ARGV_REASON)
        if names & PROMPTS:
            return Trace(PROMPT_REASON)
        callee = self._trace(node.func, depth + 1, seen)
        merged = merge("call", [callee, *arg_parts])
        if merged.reason is not None:
            return Trace(derived(merged.reason), "call")
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in MAPPING_READS:
            # conf.get("aws", "key") / settings.get("KEY"): a subscript with a default
            return Trace(None, "subscript", (), merged.env_vars, merged.origins)
        # Not in the contract's ambient list: a helper, a config reader method or a builtin may
        # return credentials chosen at run time, so the site is left for a human.
        shown = dotted_name(node.func) or "a computed function"
        return Trace(f"value is returned by {shown}(), which keyshift cannot follow", "call")
