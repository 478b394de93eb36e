"""The whole program: its modules, functions and classes, and the passes that run to a fixpoint.

Passes repeat until no value set grows; calls are recorded in a final pass so every call sees
everything its client could be. One module or function the analysis cannot follow is reported
and skipped (``_guarded``), so a gap costs the calls in it, never the plan.
"""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath
from typing import Any

from keyshift.awsnames import LANGCHAIN_BEDROCK_PACKAGES, SDK_MODULES
from keyshift.planner.djstorages import storage_calls
from keyshift.planner.pyparse import parse
from keyshift.planner.records import (
    MAX_CONTEXTS,
    MAX_PASSES,
    Analysis,
    ApiCall,
    Func,
    Module,
    State,
    Unresolved,
)
from keyshift.planner.sdk import Scope
from keyshift.planner.values import EMPTY, Builtin, ClassV, ImportRef, InstV, ModV, Origin, Value, Values
from keyshift.planner.workloads import ModuleIndex, module_index

# modules the interpreter models itself (the SDK family from ``awsnames``, and ``os`` for the
# environment): names imported from them are ``Builtin`` values, never repository code
# functools: partial client factories (``functools.partial(boto3.client, ...)``)
_BUILTIN_MODULES = frozenset({*SDK_MODULES, *LANGCHAIN_BEDROCK_PACKAGES, "os", "functools"})
_FACTORY_NAMES = frozenset(
    {"client", "resource", "Session", "create_client", "Table", "Bucket", "Queue", "Object"}
)


def _inlinable(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Short functions that return something built from a boto3 factory call."""
    statements = 0
    returns = False
    factory = False
    for child in ast.walk(node):
        if isinstance(child, ast.stmt):
            statements += 1
            returns = returns or (isinstance(child, ast.Return) and child.value is not None)
        elif isinstance(child, ast.Call):
            func = child.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            factory = factory or name in _FACTORY_NAMES
    return returns and factory and statements <= 40


class Analyzer:
    """Whole-program analysis of the Python files under ``root``."""

    def __init__(
        self,
        root: Path,
        files: list[str],
        env_lookup: Any = None,
        trees: dict[str, ast.Module] | None = None,
    ) -> None:
        self.root = root
        self.env_lookup = env_lookup  # (path, name) -> str | None
        self.modules: dict[str, Module] = {}
        self.errors: list[str] = []
        self.funcs: dict[tuple[str, str], Func] = {}
        self.classes: dict[tuple[str, str], ast.ClassDef] = {}
        self.class_bases: dict[tuple[str, str], list[ast.expr]] = {}
        self.prev = State()
        self.cur = State()
        self.index = ModuleIndex()  # the one import resolver, over the files that parsed
        self.recording = False
        self.inline_depth = 0
        self.depth = 0  # expressions being evaluated, across scopes (see Interpreter.eval)
        self.hierarchy: dict[tuple[str, str], list[tuple[str, str]]] | None = None
        self.subclasses: dict[tuple[str, str], set[Value]] | None = None
        self._any_site: tuple[State, dict[tuple[tuple[str, str], str], Values]] | None = None
        self.calls: set[ApiCall] = set()
        self.unresolved: set[Unresolved] = set()
        self.default_sessions: set[tuple[str, Origin]] = set()
        # regions the code makes the default (setup_default_session, os.environ["AWS_REGION"]):
        # kept from every pass, so clients made without a region use them in the next
        self.default_regions: set[Value] = set()
        self.outside: set[tuple[str, int, str, str]] = set()
        self.trees = trees or {}  # already parsed (the workload discovery parses every file once)
        self.binds: dict[str, frozenset[str] | None] = {}  # module -> names it binds (``module_binds``)
        for path in files:
            self._load(path)
        self.index = module_index(self.modules)

    # ----- loading -------------------------------------------------------------------------
    def _load(self, path: str) -> None:
        try:
            tree = self.trees.get(path) or parse(
                (self.root / path).read_text(encoding="utf-8", errors="replace"), path
            )
        except (SyntaxError, ValueError, OSError, RecursionError, MemoryError) as exc:
            self.errors.append(
                f"{path}: cannot parse ({type(exc).__name__}); "
                "the AWS calls in it may be missing from the plan"
            )
            return
        self.modules[path] = Module(path, tree)
        self._index(path, tree.body, "", None, None)

    def _index(
        self,
        module: str,
        body: list[ast.stmt],
        prefix: str,
        cls: tuple[str, str] | None,
        parent: tuple[str, str] | None,
    ) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                key = (module, prefix + node.name)
                is_prop = any(
                    (isinstance(d, ast.Name) and d.id in ("property", "cached_property"))
                    or (isinstance(d, ast.Attribute) and d.attr == "cached_property")
                    for d in node.decorator_list
                )
                self.funcs[key] = Func(key, node, module, cls, parent, is_prop, _inlinable(node))
                self._index(module, node.body, key[1] + ".", None, key)
            elif isinstance(node, ast.ClassDef):
                key = (module, prefix + node.name)
                self.classes[key] = node
                self.class_bases[key] = list(node.bases)
                self._index(module, node.body, key[1] + ".", key, parent)
            elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
                blocks = [
                    getattr(node, "body", []),
                    getattr(node, "orelse", []),
                    getattr(node, "finalbody", []),
                ]
                blocks += [h.body for h in getattr(node, "handlers", [])]
                for block in blocks:
                    self._index(module, block, prefix, cls, parent)

    def resolve_module(self, dotted: str, importer: str) -> str | None:
        """The file ``import dotted`` in ``importer`` loads: the workload discovery's resolver
        (Python's rule for names inside regular packages, then the closest file), so the
        analysis binds the same module the import graph followed."""
        return self.index.find(dotted, importer)

    def scope(
        self, module: str, func: Func | None, cls: tuple[str, str] | None, env: dict[str, Values]
    ) -> Scope:
        """An evaluator for one module body or function body (the interpreter with the SDK model)."""
        return Scope(self, module, func, cls, env)

    # ----- imports -------------------------------------------------------------------------
    def import_bindings(self, node: ast.Import | ast.ImportFrom, importer: str) -> list[tuple[str, Values]]:
        """The names an import statement binds in ``importer`` and what each one is."""
        out: list[tuple[str, Values]] = []
        if isinstance(node, ast.Import):
            for alias in node.names:
                name, asname = alias.name, alias.asname
                top = name.split(".")[0]
                if top in _BUILTIN_MODULES:
                    out.append((asname or top, frozenset({Builtin(name if asname else top)})))
                    continue
                path = self.resolve_module(name, importer)
                if path is not None:
                    if asname:
                        out.append((asname, frozenset({ModV(path)})))
                    else:
                        top_path = self.resolve_module(top, importer)
                        out.append((top, frozenset({ModV(top_path or path)})))
            return out
        module = node.module or ""
        if node.level:
            base = PurePosixPath(importer).parent
            for _ in range(node.level - 1):
                base = base.parent
            dotted = ".".join(p for p in [*base.parts, *module.split(".")] if p)
        else:
            dotted = module
        for alias in node.names:
            bound = alias.asname or alias.name
            if module.split(".")[0] in _BUILTIN_MODULES:
                out.append((bound, frozenset({Builtin(f"{module}.{alias.name}")})))
                continue
            sub = self.resolve_module(f"{dotted}.{alias.name}" if dotted else alias.name, importer)
            if sub is not None:
                out.append((bound, frozenset({ModV(sub)})))
                continue
            path = self.resolve_module(dotted, importer) if dotted else None
            if path is not None:
                out.append((bound, frozenset({ImportRef(path, alias.name)})))
            elif module == "django.conf" and alias.name == "settings" and self.index.get("settings"):
                # Django's settings object is the project's settings module
                out.append((bound, frozenset({ModV(self.resolve_module("settings", importer) or "")})))
        return out

    # ----- driver --------------------------------------------------------------------------
    def run(self) -> Analysis:
        for _ in range(MAX_PASSES):
            self.cur = State()
            self._pass()
            if self.cur == self.prev:
                break
            self.prev = self.cur
        self.recording = True
        self.cur = State()
        self._pass()
        self._guarded("django-storages settings", self._storages)
        return Analysis(
            calls=tuple(
                sorted(self.calls, key=lambda c: (c.path, c.line, c.service, c.method, repr(c.params)))
            ),
            unresolved=tuple(sorted(self.unresolved, key=lambda u: (u.path, u.line, u.what))),
            default_sessions=tuple(sorted(self.default_sessions, key=lambda d: (d[0], d[1].line))),
            errors=tuple(self.errors),
            outside=tuple(sorted(self.outside)),
        )

    def _storages(self) -> None:
        calls, gaps = storage_calls(self)
        self.calls.update(calls)
        self.unresolved.update(gaps)

    def _pass(self) -> None:
        self.hierarchy = None
        self.subclasses = None
        for path, module in sorted(self.modules.items()):
            scope = self.scope(path, None, None, self.cur.names.setdefault(path, {}))
            self._guarded(path, scope.exec_block, module.tree.body, True)
        for key, func in sorted(self.funcs.items()):
            self._guarded(f"{key[0]}:{func.node.lineno}", self._function, key, func)

    def _guarded(self, where: str, work: Any, *args: Any) -> None:
        """One unanalysable module or function is reported and skipped; the rest goes on."""
        try:
            work(*args)
        except RecursionError:
            self._fail(where, "expression nested too deeply")
        except Exception as exc:  # a gap in the analysis must not stop the plan
            self._fail(where, f"analysis failed ({type(exc).__name__})")

    def _fail(self, where: str, reason: str) -> None:
        message = f"{where}: {reason}; calls there are not planned"
        if message not in self.errors:
            self.errors.append(message)

    def _function(self, key: tuple[str, str], func: Func) -> None:
        body = func.node.body if not isinstance(func.node, ast.Lambda) else []
        contexts = list(self.prev.sites.get(key, {}).values())
        if 0 < len(contexts) <= MAX_CONTEXTS:
            # each call site's view separately, so two clients (two keys) passed to one helper,
            # or two instances of one class, never lend each other resources
            merged = self.cur.locals.setdefault(key, {})
            for context in contexts:
                scope = self.scope(func.module, func, func.cls, {})
                scope.bind_params(context)
                for _ in range(2):
                    scope.exec_block(body)
                for name, values in scope.env.items():
                    self.merge(merged, name, values)
            return
        env = self.cur.locals.setdefault(key, {})
        scope = self.scope(func.module, func, func.cls, env)
        scope.bind_params()
        for _ in range(2):
            scope.exec_block(body)

    def any_site_attrs(self) -> dict[tuple[tuple[str, str], str], Values]:
        if self._any_site is None or self._any_site[0] is not self.prev:
            merged: dict[tuple[tuple[str, str], str], Values] = {}
            for (cls, _site, attr), values in self.prev.attrs.items():
                merged[(cls, attr)] = merged.get((cls, attr), EMPTY) | values
            self._any_site = (self.prev, merged)
        return self._any_site[1]

    def merge(self, table: dict[Any, Values], key: Any, values: Values) -> None:
        if not values:
            return
        old = table.get(key, EMPTY)
        if not values <= old:
            table[key] = old | values

    def record(self, call: ApiCall) -> None:
        if self.recording:
            self.calls.add(call)

    def note(self, item: Unresolved) -> None:
        if self.recording:
            self.unresolved.add(item)

    def env_value(self, path: str, name: str) -> str | None:
        if self.env_lookup is None:
            return None
        value = self.env_lookup(path, name)
        return value if isinstance(value, str) else None

    # ----- classes -------------------------------------------------------------------------
    def subclass_instances(self, cls: tuple[str, str]) -> set[Value]:
        """Instances of every subclass of ``cls``: what ``self`` may be in an inherited method."""
        if self.subclasses is None:
            subclasses: dict[tuple[str, str], set[Value]] = {}
            for sub, supers in self.class_hierarchy().items():
                for sup in supers:
                    if sup != sub:
                        subclasses.setdefault(sup, set()).add(InstV(sub))
            self.subclasses = subclasses
        return self.subclasses.get(cls, set())

    def class_hierarchy(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """Each class with its base classes in this repository (computed once per pass)."""
        if self.hierarchy is None:
            # evaluating a base (``Parent.Meta``, ``db.Model``) looks up members, which asks for the
            # hierarchy again: while it is being built, every class is its own only class
            self.hierarchy = {}
            direct: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for key, bases in self.class_bases.items():
                scope = self.scope(key[0], None, None, {})
                direct[key] = [
                    v.key
                    for base in bases
                    for v in scope.eval(base)
                    if isinstance(v, ClassV) and v.key != key
                ]
            closed: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for key in direct:
                seen = [key]
                queue = list(direct[key])
                while queue and len(seen) < 20:
                    base = queue.pop(0)
                    if base not in seen:
                        seen.append(base)
                        queue.extend(direct.get(base, []))
                closed[key] = seen
            self.hierarchy = closed
        return self.hierarchy
