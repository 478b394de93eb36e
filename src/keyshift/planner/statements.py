"""The scope half of the interpreter: a module or function body's names and statements.

``Interpreter`` (``planner/interp.py``) adds expressions and calls. Kept apart because names and
statements are where a scope reads and writes the analysis state (the previous pass's entries
it reads, the writes the incremental passes log for replay: ``planner/fixpoint.py``); the
expression half only computes values.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from keyshift.planner.envmodel import (
    decorator_names,
    entry_point,
    is_static,
    pending_parameters,
    queued_with_arguments,
    set_env,
    settings_fields,
)
from keyshift.planner.records import UNKNOWN, Func
from keyshift.planner.strings import union
from keyshift.planner.values import (
    EMPTY,
    Builtin,
    ClassV,
    FuncV,
    ImportRef,
    InstV,
    ModV,
    TupleV,
    Value,
    Values,
    taint,
)

if TYPE_CHECKING:
    from keyshift.planner.program import Analyzer


class Statements:
    """Names and statements of one module body or function body (see ``Interpreter``)."""

    if TYPE_CHECKING:

        def eval(self, node: ast.expr | None) -> Values: ...

        def iterate(self, values: Values, node: ast.expr | None) -> Values: ...

    def __init__(
        self,
        analyzer: Analyzer,
        module: str,
        func: Func | None,
        cls: tuple[str, str] | None,
        env: dict[str, Values],
    ) -> None:
        self.a = analyzer
        self.module = module
        self.func = func
        self.cls = cls
        self.env = env
        self.shared = False  # ``env`` is the module's globals in the current state (a module body)
        self.inline_returns: set[Value] | None = None
        self.globals: set[str] = set()  # names a function declares ``global``
        # parameters whose callers' values are not known yet (see ``bind_params``)
        self.pending: frozenset[str] = frozenset()
        self._pending_call: tuple[ast.Call, frozenset[int], frozenset[str]] | None = None

    # ----- names ---------------------------------------------------------------------------
    def assign(self, name: str, values: Values) -> None:
        if self.shared:
            self.a.put_name(self.module, name, values)
        else:
            self.a.merge(self.env, name, values)
        if name in self.globals:
            self.a.put_name(self.module, name, values)

    def lookup(self, name: str) -> Values:
        if name in self.env:
            return self._deref(self.env[name])
        func = self.func
        log = self.a.log
        while func is not None and func.parent is not None:
            if log is not None:
                log.reads.add(("l", func.parent, name))
            outer = self.a.prev.locals.get(func.parent, {})
            if name in outer:
                return outer[name]
            func = self.a.funcs.get(func.parent)
        if log is not None:
            log.reads.add(("n", self.module, name))
        names = self.a.prev.names.get(self.module, {})
        if name in names:
            return self._deref(names[name])
        key = (self.module, name)
        if key in self.a.funcs:
            return frozenset({FuncV(key)})
        if key in self.a.classes:
            return frozenset({ClassV(key)})
        return EMPTY

    def _deref(self, values: Values) -> Values:
        for value in values:
            if isinstance(value, ImportRef):
                break
        else:
            return values
        out: set[Value] = set()
        for value in values:
            if isinstance(value, ImportRef):
                out.update(self._import_value(value))
            else:
                out.add(value)
        return frozenset(out)

    def _import_value(self, ref: ImportRef, depth: int = 0) -> Values:
        if ref.path not in self.a.modules or depth > 5:
            return EMPTY
        key = (ref.path, ref.name)
        if key in self.a.funcs:
            return frozenset({FuncV(key)})
        if key in self.a.classes:
            return frozenset({ClassV(key)})
        if self.a.log is not None:
            self.a.log.reads.add(("n", ref.path, ref.name))
        values = self.a.prev.names.get(ref.path, {}).get(ref.name, EMPTY)
        out: set[Value] = set()
        for value in values:
            if isinstance(value, ImportRef):
                out.update(self._import_value(value, depth + 1))
            else:
                out.add(value)
        return frozenset(out)

    # ----- statements ----------------------------------------------------------------------
    def exec_block(self, body: list[ast.stmt], top: bool = False) -> None:
        for node in body:
            self.exec_stmt(node, top)

    def exec_stmt(self, node: ast.stmt, top: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for name, values in self.a.import_bindings(node, self.module):
                self.assign(name, values)
        elif isinstance(node, ast.Assign):
            values = self.eval(node.value)
            for target in node.targets:
                self.bind(target, values)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.bind(node.target, self.eval(node.value))
        elif isinstance(node, ast.AugAssign | ast.Expr):
            self.eval(node.value)
        elif isinstance(node, ast.Return):
            if node.value is not None and self.inline_returns is not None:
                self.inline_returns.update(self.eval(node.value))
            elif node.value is not None and self.func is not None:
                self.a.put_return(self.func.key, self.eval(node.value))
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.bind(node.target, self.iterate(self.eval(node.iter), node.iter))
            self.exec_block(node.body)
            self.exec_block(node.orelse)
        elif isinstance(node, ast.While | ast.If):
            self.eval(node.test)
            self.exec_block(node.body)
            self.exec_block(node.orelse)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                values = self.eval(item.context_expr)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, values)
            self.exec_block(node.body)
        elif isinstance(node, ast.Try):
            self.exec_block(node.body)
            for handler in node.handlers:
                self.exec_block(handler.body)
            self.exec_block(node.orelse)
            self.exec_block(node.finalbody)
        elif isinstance(node, ast.Match):
            self.eval(node.subject)
            for case in node.cases:
                self.exec_block(case.body)
        elif isinstance(node, ast.ClassDef):
            key = (self.module, self._qual(node.name))
            self.assign(node.name, frozenset({ClassV(key)}))
            # class-level attributes are visible through instances
            scope = self.a.scope(self.module, self.func, key, {})
            for stmt in node.body:
                if isinstance(stmt, ast.Assign | ast.AnnAssign):
                    scope.exec_stmt(stmt, False)
            settings_fields(self.a, self.module, node, scope.env)
            for name, values in scope.env.items():
                self.a.put_attr((key, None, name), values)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            key = (self.module, self._qual(node.name))
            if key in self.a.funcs:
                self.assign(node.name, frozenset({FuncV(key)}))
            for deco in node.decorator_list:
                self.eval(deco)
        elif isinstance(node, ast.Global):
            self.globals.update(node.names)
        elif isinstance(node, ast.Raise | ast.Assert | ast.Delete):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.eval(child)

    def _qual(self, name: str) -> str:
        if self.func is not None:
            return f"{self.func.key[1]}.{name}"
        if self.cls is not None:
            return f"{self.cls[1]}.{name}"
        return name

    def bind(self, target: ast.expr, values: Values) -> None:
        if isinstance(target, ast.Name):
            self.assign(target.id, values)
        elif isinstance(target, ast.Attribute):
            for owner in self.eval(target.value):
                if isinstance(owner, InstV):
                    self.a.put_attr((owner.key, owner.site, target.attr), values)
                elif isinstance(owner, ClassV):
                    self.a.put_attr((owner.key, None, target.attr), values)
                elif isinstance(owner, ModV) and owner.path in self.a.modules:
                    self.a.put_name(owner.path, target.attr, values)
        elif isinstance(target, ast.Tuple | ast.List):
            tuples = [v for v in values if isinstance(v, TupleV) and len(v.items) == len(target.elts)]
            if tuples and not any(isinstance(e, ast.Starred) for e in target.elts):
                for index, element in enumerate(target.elts):
                    self.bind(element, union(*(t.items[index] for t in tuples)))
                return
            items = self.iterate(values, None)
            for element in target.elts:
                if isinstance(element, ast.Starred):
                    self.bind(element.value, EMPTY)
                else:
                    self.bind(element, items)
        elif isinstance(target, ast.Subscript):
            base = self.eval(target.value)
            if any(isinstance(v, Builtin) and v.name.endswith("environ") for v in base):
                set_env(self.a, self.module, self.eval(target.slice), values, target.lineno)

    def bind_params(self, context: dict[str, Values] | None = None) -> None:
        """Bind defaults, then the arguments of one call site (``context``) or of all of them."""
        func = self.func
        assert func is not None
        args = func.node.args
        names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
        defaults = list(args.defaults)
        positional = [*args.posonlyargs, *args.args]
        for arg, default in zip(positional[len(positional) - len(defaults) :], defaults, strict=False):
            self.assign(arg.arg, taint(self.eval(default)))
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=False):
            if kw_default is not None:
                self.assign(arg.arg, taint(self.eval(kw_default)))
        log = self.a.log
        for name in names:
            if context is None and log is not None:
                log.reads.add(("p", (func.key, name)))
            values = context.get(name) if context is not None else self.a.prev.params.get((func.key, name))
            if values:
                self.env[name] = taint(values)
        if entry_point(func) and log is not None:
            log.reads.update(("p", (func.key, name)) for name in names)
        if entry_point(func) and not queued_with_arguments(func, names, self.a.prev.params):
            first = positional[0].arg if func.cls is not None and positional else None
            for name in names:
                if name != first:
                    self.env[name] = self.env.get(name, EMPTY) | UNKNOWN
        if log is not None:
            log.reads.add(("s", func.key))
            if not self.a.prev.sites.get(func.key):
                log.reads.add(("first",))  # read only when the function has no call site
        self.pending = pending_parameters(self.a, func, names, self.env)
        if func.cls is not None and positional and not is_static(func):
            first = positional[0].arg
            kind = decorator_names(func)
            if "classmethod" in kind:
                self.assign(first, frozenset({ClassV(func.cls)}))
            elif not self.env.get(first):
                self.assign(first, frozenset({InstV(func.cls), *self.a.subclass_instances(func.cls)}))
