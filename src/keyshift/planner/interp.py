"""A small abstract interpreter for Python: which values each name, attribute and call may have.

Over the stdlib ``ast``: read-only analysis needs no lossless tree (LibCST's strength, used by
``fix``), ``ast`` is several times faster on large repositories, and a flow-insensitive union
of value sets is enough to follow a client through local variables, ``self.`` attributes,
module globals, imports, function and constructor arguments and return values. Every recursion
here is bounded: expression depth (``MAX_DEPTH``, across scopes), import chains, class
hierarchies (closed once per pass, at most 20 bases) and inlining (two levels).
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from keyshift.planner.configfiles import load as load_config
from keyshift.planner.deferred import TASK_METHODS, runner_call, task_arguments
from keyshift.planner.envmodel import (
    ENV_FUNCS,
    decorator_names,
    entry_point,
    environ_call,
    is_static,
    pending_arguments,
    pending_parameters,
    queued_with_arguments,
    read_env,
    report_outside,
    set_env,
    setting_name,
    settings_fields,
    unset_in_module,
)
from keyshift.planner.records import MAX_DEPTH, MAX_NESTING, UNKNOWN, Func, Unresolved
from keyshift.planner.strings import binop, env_fallback, fstring, str_method, union
from keyshift.planner.values import (
    EMPTY,
    Assumed,
    BoundHelper,
    BoundMethod,
    Builtin,
    ClassV,
    ClientV,
    CollV,
    Const,
    DictV,
    EnvRead,
    FileV,
    FuncV,
    Glob,
    ImportRef,
    InstV,
    ListV,
    MetaV,
    ModV,
    PaginatorV,
    PartialV,
    Prefix,
    ResV,
    SessionV,
    TupleV,
    Value,
    Values,
    WaiterV,
    taint,
)

if TYPE_CHECKING:
    from keyshift.planner.program import Analyzer


class Interpreter:
    """Evaluates statements and expressions of one module body or function body.

    Python semantics only; what boto3 objects do when called or read is the SDK model's
    (``planner/sdk.py``), which fills in the hooks at the end of this class.
    """

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
        self.inline_returns: set[Value] | None = None
        self.globals: set[str] = set()  # names a function declares ``global``
        # parameters whose callers' values are not known yet (see ``bind_params``)
        self.pending: frozenset[str] = frozenset()
        self._pending_call: tuple[ast.Call, frozenset[int], frozenset[str]] | None = None

    # ----- names ---------------------------------------------------------------------------
    def assign(self, name: str, values: Values) -> None:
        self.a.merge(self.env, name, values)
        if name in self.globals:
            self.a.merge(self.a.cur.names.setdefault(self.module, {}), name, values)

    def lookup(self, name: str) -> Values:
        if name in self.env:
            return self._deref(self.env[name])
        func = self.func
        while func is not None and func.parent is not None:
            outer = self.a.prev.locals.get(func.parent, {})
            if name in outer:
                return outer[name]
            func = self.a.funcs.get(func.parent)
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
                self.a.merge(self.a.cur.returns, self.func.key, self.eval(node.value))
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
                self.a.merge(self.a.cur.attrs, (key, None, name), values)
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
                    self.a.merge(self.a.cur.attrs, (owner.key, owner.site, target.attr), values)
                elif isinstance(owner, ClassV):
                    self.a.merge(self.a.cur.attrs, (owner.key, None, target.attr), values)
                elif isinstance(owner, ModV) and owner.path in self.a.modules:
                    self.a.merge(self.a.cur.names.setdefault(owner.path, {}), target.attr, values)
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
        for name in names:
            values = context.get(name) if context is not None else self.a.prev.params.get((func.key, name))
            if values:
                self.env[name] = taint(values)
        if entry_point(func) and not queued_with_arguments(func, names, self.a.prev.params):
            first = positional[0].arg if func.cls is not None and positional else None
            for name in names:
                if name != first:
                    self.env[name] = self.env.get(name, EMPTY) | UNKNOWN
        self.pending = pending_parameters(self.a, func, names, self.env)
        if func.cls is not None and positional and not is_static(func):
            first = positional[0].arg
            kind = decorator_names(func)
            if "classmethod" in kind:
                self.assign(first, frozenset({ClassV(func.cls)}))
            elif not self.env.get(first):
                self.assign(first, frozenset({InstV(func.cls), *self.a.subclass_instances(func.cls)}))

    # ----- expressions ---------------------------------------------------------------------
    def iterate(self, values: Values, node: ast.expr | None) -> Values:
        out: set[Value] = set()
        for value in values:
            if isinstance(value, ListV):
                out.update(value.items)
            elif isinstance(value, TupleV):
                out.update(union(*value.items))
            elif isinstance(value, CollV):
                out.update(self._collection_items(value, node))
            elif isinstance(value, ResV) and value.rtype:
                out.add(value)  # an action that returns a list of resources (receive_messages)
            elif isinstance(value, DictV):
                out.update(Const(k) for k, _ in value.items)
        return frozenset(out)

    def eval(self, node: ast.expr | None) -> Values:
        """The values ``node`` may have; deeper than ``MAX_DEPTH`` is unknown and reported, so a
        pathological expression costs one unknown value, not the whole module."""
        if node is None:
            return EMPTY
        if self.a.depth >= MAX_DEPTH:
            path, line = self._loc(node)
            self.a.note(
                Unresolved(
                    path, line, "expression", "nested too deeply to follow; calls in it may be missing"
                )
            )
            return UNKNOWN
        self.a.depth += 1
        try:
            values = self._eval(node)
        finally:
            self.a.depth -= 1
        if any(getattr(v, "depth", 0) > MAX_NESTING for v in values):
            # ``x2 = [x1, {"k": x1}]`` repeated: each level doubles the paths an equality test
            # walks, so a few hostile lines would stall the fixpoint; deep is unknown instead
            values = frozenset(v for v in values if getattr(v, "depth", 0) <= MAX_NESTING) | UNKNOWN
        return values

    def _eval(self, node: ast.expr) -> Values:
        if isinstance(node, ast.Constant):
            return frozenset({Const(node.value)}) if isinstance(node.value, str) else EMPTY
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.JoinedStr):
            return fstring(node, self.eval)
        if isinstance(node, ast.BinOp):
            return binop(node.op, self.eval(node.left), self.eval(node.right))
        if isinstance(node, ast.Dict):
            items: dict[str, Values] = {}
            for key, value in zip(node.keys, node.values, strict=False):
                values = self.eval(value)
                if key is None:
                    for inner in values:
                        if isinstance(inner, DictV):
                            for k, v in inner.items:
                                items[k] = items.get(k, EMPTY) | v
                    continue
                for key_value in self.eval(key):
                    if isinstance(key_value, Const):
                        items[key_value.value] = items.get(key_value.value, EMPTY) | values
            return frozenset({DictV(tuple(sorted(items.items(), key=lambda kv: kv[0])))})
        if isinstance(node, ast.Tuple) and not any(isinstance(e, ast.Starred) for e in node.elts):
            return frozenset({TupleV(tuple(self.eval(e) for e in node.elts))})
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return frozenset({ListV(union(*(self.eval(e) for e in node.elts)))})
        if isinstance(node, ast.Attribute):
            return self._attribute(self.eval(node.value), node.attr, node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.IfExp):
            self.eval(node.test)
            return self.eval(node.body) | self.eval(node.orelse)
        if isinstance(node, ast.BoolOp):
            parts = [self.eval(v) for v in node.values]
            if isinstance(node.op, ast.Or):
                parts = env_fallback(parts)
            out = union(*parts)
            # ``name or "fallback"``: the fallback is one alternative, the value the code could not
            # follow is another (never fold to the literal alone)
            strings = any(isinstance(v, Const | Prefix | Glob | EnvRead) for part in parts for v in part)
            if isinstance(node.op, ast.Or) and strings and any(not part for part in parts[:-1]):
                out = out | UNKNOWN
            return out
        if isinstance(node, ast.Await):
            return self.eval(node.value)
        if isinstance(node, ast.NamedExpr):
            values = self.eval(node.value)
            self.bind(node.target, values)
            return values
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            for gen in node.generators:
                self.bind(gen.target, self.iterate(self.eval(gen.iter), gen.iter))
                for cond in gen.ifs:
                    self.eval(cond)
            if isinstance(node, ast.DictComp):
                self.eval(node.key)
                self.eval(node.value)
                return EMPTY
            return frozenset({ListV(self.eval(node.elt))})
        if isinstance(node, ast.Lambda):
            self.eval(node.body)  # calls inside a lambda still happen (map(lambda k: s3.delete_object(...)))
            return EMPTY
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.eval(child)
        return EMPTY

    def _subscript(self, node: ast.Subscript) -> Values:
        base = self.eval(node.value)
        keys = self.eval(node.slice)
        out: set[Value] = set()
        for value in base:
            if isinstance(value, Builtin) and value.name in ("os.environ", "environ"):
                out.update(read_env(self.a, self.module, keys, None))
            elif isinstance(value, DictV):
                for key in keys:
                    if isinstance(key, Const):
                        out.update(value.get(key.value) or EMPTY)
            elif isinstance(value, ListV):
                out.update(value.items)
            elif isinstance(value, TupleV):
                out.update(union(*value.items))
            elif isinstance(value, Assumed):
                out.add(value)
        if not out and not any(isinstance(v, DictV | ListV | TupleV | Builtin | Assumed) for v in base):
            # config["S3_SOURCE_BUCKET"] of a file the analysis cannot read: name what is missing
            out.update(EnvRead(k.value) for k in keys if isinstance(k, Const) and setting_name(k.value))
        return frozenset(out)

    def _attribute(self, owners: Values, attr: str, node: ast.expr | None) -> Values:
        out: set[Value] = set()
        for owner in owners:
            if isinstance(owner, Builtin):
                out.add(Builtin(f"{owner.name}.{attr}"))
            elif isinstance(owner, ModV):
                found = self._import_value(ImportRef(owner.path, attr))
                if not found and setting_name(attr) and unset_in_module(self.a, owner.path, attr):
                    found = frozenset({EnvRead(attr)})  # settings.AWS_BUCKET that no file sets
                out.update(found)
            elif isinstance(owner, InstV | ClassV):
                out.update(self._member(owner, attr))
            elif isinstance(owner, ClientV):
                out.add(BoundHelper(owner, attr))
            elif isinstance(owner, ResV):
                out.update(self._res_attribute(owner, attr, node))
            elif isinstance(owner, MetaV) and attr == "client":
                out.add(ClientV(owner.res.service, owner.res.origin))
            elif isinstance(owner, CollV | PaginatorV | WaiterV | SessionV):
                out.add(BoundHelper(owner, attr))
            elif isinstance(owner, Assumed):
                out.add(owner)
            elif isinstance(owner, DictV | Const | ListV):
                out.add(BoundHelper(owner, attr))
        return frozenset(out)

    def _classes_of(self, key: tuple[str, str]) -> list[tuple[str, str]]:
        return self.a.class_hierarchy().get(key) or [key]

    def _member(self, owner: InstV | ClassV, attr: str) -> Values:
        out: set[Value] = set()
        if isinstance(owner, InstV) and owner.site is not None:
            out.update(self._deref(self.a.prev.attrs.get((owner.key, owner.site, attr), EMPTY)))
        elif isinstance(owner, InstV):
            # an instance from nowhere in particular (a method no code calls) sees every instance's state
            for cls in self._classes_of(owner.key):
                out.update(self._deref(self.a.any_site_attrs().get((cls, attr), EMPTY)))
        for cls in self._classes_of(owner.key):
            out.update(self._deref(self.a.prev.attrs.get((cls, None, attr), EMPTY)))
            method = (cls[0], f"{cls[1]}.{attr}")
            if method in self.a.classes:  # a nested class: ``Parent.Meta``
                out.add(ClassV(method))
                break
            func = self.a.funcs.get(method)
            if func is not None:
                if func.is_property and isinstance(owner, InstV):
                    self.a.merge(self.a.cur.params, (method, self._first_param(func)), frozenset({owner}))
                    out.update(self.a.prev.returns.get(method, EMPTY))
                elif isinstance(owner, InstV):
                    out.add(BoundMethod(method, owner))
                else:
                    out.add(FuncV(method))
                break
        return frozenset(out)

    @staticmethod
    def _first_param(func: Func) -> str:
        args = func.node.args
        positional = [*args.posonlyargs, *args.args]
        return positional[0].arg if positional else "self"

    # ----- calls ---------------------------------------------------------------------------
    def _call(self, node: ast.Call) -> Values:
        callees = self.eval(node.func)
        args: list[Values] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                spread = self.eval(arg.value)
                tuples = [v for v in spread if isinstance(v, TupleV)]
                if len(tuples) == 1 and len(spread) == 1:
                    args.extend(tuples[0].items)
                else:
                    args.append(self.iterate(spread, None))
            else:
                args.append(self.eval(arg))
        kwargs: dict[str, Values] = {}
        for kw in node.keywords:
            values = self.eval(kw.value)
            if kw.arg is None:
                for value in values:
                    if isinstance(value, DictV):
                        for key, inner in value.items:
                            kwargs[key] = kwargs.get(key, EMPTY) | inner
                continue
            kwargs[kw.arg] = values
        if self.pending:
            self._pending_call = pending_arguments(node, args, kwargs, self.pending)
        out: set[Value] = set()
        for callee in callees:
            out.update(self._call_one(callee, args, kwargs, node))
        if self.a.recording:
            report_outside(self.a, self.module, node, callees, [*args, *kwargs.values()])
        if not callees and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in ENV_FUNCS and args:
                out.update(read_env(self.a, self.module, args[0], args[1] if len(args) > 1 else None))
            elif name == "dict" and isinstance(node.func, ast.Name):
                out.add(DictV(tuple(sorted(kwargs.items(), key=lambda kv: kv[0]))))
            elif name == "dumps" and args and isinstance(node.func, ast.Attribute):
                # json.dumps(payload) carries what it serializes: a key inside still leaves
                # with the request it is sent in (a third party storing to S3 with it)
                out.update(v for v in args[0] if isinstance(v, DictV | ListV | TupleV))
            elif name == "Depends" and args:
                # FastAPI's Depends(provider) parameter default: the handler gets what the
                # provider returns
                for provider in args[0]:
                    out.update(self._call_one(provider, [], {}, node))
            elif name == "open" and isinstance(node.func, ast.Name) and args:
                out.update(FileV(v.value) for v in args[0] if isinstance(v, Const) and v.wild is None)
            elif name in ("load", "safe_load") and args and any(isinstance(v, FileV) for v in args[0]):
                for opened in args[0]:  # json.load(open("config.json")): the file's literal content
                    if isinstance(opened, FileV) and (
                        content := load_config(self.a.root, self.module, opened.path)
                    ):
                        out.add(content)
            elif (deferred := runner_call(name, args, kwargs)) is not None:
                for func in deferred[0]:  # the callable runs later with these arguments
                    out.update(self._call_one(func, deferred[1], deferred[2], node))
            elif name in TASK_METHODS and isinstance(node.func, ast.Attribute):
                task_args, task_kwargs = task_arguments(name, args, kwargs)
                for func in self.eval(node.func.value):
                    if isinstance(func, FuncV | BoundMethod | PartialV):
                        out.update(self._call_one(func, task_args, task_kwargs, node))
            elif name == "getattr" and isinstance(node.func, ast.Name) and len(args) >= 2:
                found: set[Value] = set()
                for attr in args[1]:
                    if isinstance(attr, Const):
                        found.update(self._attribute(args[0], attr.value, None))
                out.update(found or (args[2] if len(args) > 2 else EMPTY))
        return frozenset(out)

    def _call_one(
        self, callee: Value, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        if isinstance(callee, Builtin) and callee.name in ("functools.partial", "partial") and args:
            # a partial's own arguments come first; the call's keywords override its keywords
            made = args[0]
            rest = tuple(args[1:])
            bound = tuple(sorted(kwargs.items(), key=lambda kv: kv[0]))
            return frozenset(PartialV(func, rest, bound) for func in made)
        if isinstance(callee, PartialV):
            return self._call_one(callee.func, [*callee.args, *args], {**dict(callee.kwargs), **kwargs}, node)
        if isinstance(callee, Builtin):
            return self._builtin(callee.name, args, kwargs, node)
        if isinstance(callee, FuncV):
            return self._invoke(callee.key, None, args, kwargs, node)
        if isinstance(callee, BoundMethod):
            return self._invoke(callee.func, callee.inst, args, kwargs, node)
        if isinstance(callee, ClassV):
            inst = InstV(callee.key, f"{self.module}:{node.lineno}:{node.col_offset}")
            for cls in self._classes_of(callee.key):
                init = (cls[0], f"{cls[1]}.__init__")
                if init in self.a.funcs:
                    self._invoke(init, inst, args, kwargs, node)
                    break
            return frozenset({inst})
        if isinstance(callee, BoundHelper):
            return self._helper(callee, args, kwargs, node)
        return EMPTY

    def _invoke(
        self,
        key: tuple[str, str],
        inst: InstV | None,
        args: list[Values],
        kwargs: dict[str, Values],
        node: ast.AST | None = None,
    ) -> Values:
        func = self.a.funcs.get(key)
        if func is None:
            return EMPTY
        fargs = func.node.args
        positional = [a.arg for a in [*fargs.posonlyargs, *fargs.args]]
        bound: dict[str, Values] = {}
        if inst is not None and positional and not is_static(func):
            bound[positional[0]] = frozenset({inst})
            positional = positional[1:]
        pending = self._pending_call if self._pending_call and self._pending_call[0] is node else None
        for index, (name, values) in enumerate(zip(positional, args, strict=False)):
            bound[name] = values or (EMPTY if pending and index in pending[1] else UNKNOWN)
        known = set(positional) | {a.arg for a in fargs.kwonlyargs}
        for name, values in kwargs.items():
            if name in known:
                bound[name] = values or (EMPTY if pending and name in pending[2] else UNKNOWN)
            elif fargs.kwarg is not None:
                extra = frozenset({DictV(((name, values),))})
                bound[fargs.kwarg.arg] = bound.get(fargs.kwarg.arg, EMPTY) | extra
        for name, values in bound.items():
            self.a.merge(self.a.cur.params, (key, name), values)
        if node is not None and self.a.inline_depth == 0:
            site = f"{self.module}:{getattr(node, 'lineno', 0)}:{getattr(node, 'col_offset', 0)}"
            contexts = self.a.cur.sites.setdefault(key, {})
            previous = contexts.setdefault(site, {})
            for name, values in bound.items():
                self.a.merge(previous, name, values)
        inlined = self._inline(func, inst, positional, args, kwargs)
        return inlined if inlined is not None else self.a.prev.returns.get(key, EMPTY)

    def _inline(
        self,
        func: Func,
        inst: InstV | None,
        positional: list[str],
        args: list[Values],
        kwargs: dict[str, Values],
    ) -> Values | None:
        """Return value of a small factory for this call's arguments (``make("s3")`` is an S3 client).

        Merged over all call sites, ``def make(name): return boto3.client(name)`` would make
        every caller's client every service; evaluating short functions per call keeps them apart.
        """
        node = func.node
        if isinstance(node, ast.Lambda) or not func.inlinable or self.a.inline_depth >= 2:
            return None
        env: dict[str, Values] = {}
        scope = self.a.scope(func.module, func, func.cls, env)
        scope.bind_params()
        for name, values in zip(positional, args, strict=False):
            env[name] = taint(values)
        for name, values in kwargs.items():
            env[name] = taint(values)
        if inst is not None and func.node.args.args:
            env[func.node.args.args[0].arg] = frozenset({inst})
        scope.inline_returns = set()
        self.a.inline_depth += 1
        recording, self.a.recording = self.a.recording, False
        try:
            scope.exec_block(node.body)
        finally:
            self.a.inline_depth -= 1
            self.a.recording = recording
        return frozenset(scope.inline_returns) or None

    def _loc(self, node: ast.AST) -> tuple[str, int]:
        return self.module, getattr(node, "lineno", 0)

    # ----- hooks the SDK model fills in -----------------------------------------------------
    def _builtin(self, name: str, args: list[Values], kwargs: dict[str, Values], node: ast.Call) -> Values:
        """A call of a module function the analysis models (``os.getenv``, ``boto3.client``)."""
        found = environ_call(self.a, self.module, name, args, kwargs, node.lineno)
        return found if found is not None else EMPTY

    def _helper(
        self, bound: BoundHelper, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        """A method call on a value: strings and dicts here, boto3 objects in the SDK model."""
        owner, name = bound.owner, bound.name
        if isinstance(owner, DictV):
            if name == "get" and args:
                return union(*(owner.get(k.value) or EMPTY for k in args[0] if isinstance(k, Const)))
            return EMPTY
        if isinstance(owner, Const):
            return str_method(owner, name)
        return EMPTY

    def _res_attribute(self, res: ResV, attr: str, node: ast.expr | None) -> Values:
        return frozenset({BoundHelper(res, attr)})

    def _collection_items(self, coll: CollV, node: ast.AST | None) -> Values:
        return EMPTY
