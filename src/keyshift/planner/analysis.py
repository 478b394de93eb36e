"""Which AWS API calls a repository's Python code makes, and with which client.

A small whole-program abstract interpreter over the stdlib ``ast``: read-only analysis needs no
lossless tree (LibCST's strength, used by ``fix``), ``ast`` is several times faster on large
repositories, and a flow-insensitive union of value sets is enough to follow a client through
local variables, ``self.`` attributes, module globals, imports, function and constructor
arguments and return values. Passes repeat until no value set grows; calls are recorded in a
final pass so every call sees everything its client could be.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from keyshift.awsnames import KEY_ID
from keyshift.planner import iam_map
from keyshift.planner.pyparse import parse
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
    FuncV,
    Glob,
    ImportRef,
    InstV,
    ListV,
    MetaV,
    ModV,
    Origin,
    PaginatorV,
    Prefix,
    ResV,
    SessionV,
    TupleV,
    Value,
    Values,
    WaiterV,
    taint,
    text_of,
)

MAX_PASSES = 16
MAX_DEPTH = 120  # nested expressions followed before a value is taken as unknown
MAX_CONTEXTS = 16  # call sites analysed one by one when recording; more are merged
_CRED_KW = "aws_access_key_id"
_ENV_FUNCS = frozenset({"getenv", "config", "env", "get_env", "get_setting"})
# an argument the analysis cannot evaluate: unknown, never left out (one caller's literal is
# not every caller's)
UNKNOWN: frozenset[Value] = frozenset({Glob("*")})
# decorators that register a function with a framework: web routes, task queues, consumers,
# CLI commands. Such a function is called from outside the repository with arguments the
# analysis never sees, so its parameters are unknown whatever the repository's own calls pass.
_ENTRY_DECORATORS = frozenset(
    [
        "route",
        "api_route",
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "websocket",
        "task",
        "shared_task",
        "periodic_task",
        "actor",
        "job",
        "command",
        "group",
        "handler",
        "subscribe",
        "subscriber",
        "listener",
        "receiver",
        "consumer",
        "on_event",
        "on_message",
        "event",
        "callback",
        "endpoint",
        "view",
        "cron",
        "schedule",
        "lambda_handler",
        "sqs_handler",
        "event_source",
    ]
)
_ENTRY_NAMES = frozenset({"handler", "lambda_handler", "handle", "main", "run_handler"})


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One API operation a piece of code invokes through a client or resource."""

    service: str
    method: str
    params: tuple[tuple[str, Values], ...]
    origin: Origin
    path: str
    line: int
    via: str  # how the code spelled it, for the report: "s3.upload_file", "Table.put_item", ...
    transfer: bool = False

    def param(self, name: str) -> Values | None:
        for key, values in self.params:
            if key == name:
                return values
        return None


@dataclass(frozen=True, slots=True)
class Unresolved:
    path: str
    line: int
    what: str
    reason: str


@dataclass(slots=True)
class Module:
    path: str  # repo-relative
    tree: ast.Module


@dataclass(slots=True)
class State:
    """Everything one pass learns; a pass reads the previous pass's state and writes a fresh one,
    so a value guessed before its inputs were known (an empty credential) never outlives the pass."""

    names: dict[str, dict[str, Values]] = field(default_factory=dict)  # module globals
    params: dict[tuple[tuple[str, str], str], Values] = field(default_factory=dict)
    returns: dict[tuple[str, str], Values] = field(default_factory=dict)
    attrs: dict[tuple[tuple[str, str], str | None, str], Values] = field(default_factory=dict)
    # per function, per call site: the arguments that site passes (for per-context recording)
    sites: dict[tuple[str, str], dict[str, dict[str, Values]]] = field(default_factory=dict)
    locals: dict[tuple[str, str], dict[str, Values]] = field(default_factory=dict)


@dataclass(slots=True)
class Func:
    key: tuple[str, str]
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    module: str
    cls: tuple[str, str] | None
    parent: tuple[str, str] | None  # enclosing function, for closures
    is_property: bool = False
    inlinable: bool = False  # small and builds boto3 objects: evaluated per call site


@dataclass(frozen=True, slots=True)
class Analysis:
    calls: tuple[ApiCall, ...]
    unresolved: tuple[Unresolved, ...]
    default_sessions: tuple[tuple[str, Origin], ...]  # (module path, origin) of setup_default_session
    errors: tuple[str, ...]
    # a key ID passed to something other than an AWS SDK: (path, line, key ID, callee)
    outside: tuple[tuple[str, int, str, str], ...] = ()


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


# SDK modules whose sessions and clients the analysis models (aioboto3 and aiobotocore mirror
# boto3's and botocore's session, client and resource calls)
_SDK_MODULES = ("boto3", "botocore", "aioboto3", "aiobotocore")

# modules whose functions never send a value anywhere (the SDKs themselves, the environment,
# string and logging helpers): a key passed to them is not a use outside AWS
_LOCAL_MODULES = frozenset(
    {
        "boto3",
        "botocore",
        "aioboto3",
        "aiobotocore",
        "os",
        "environ",
        "logging",
        "re",
        "json",
        "typing",
        "warnings",
        "sys",
        "base64",
        "hashlib",
        "hmac",
        "settings",
        "config",
    }
)
_KEY_ID = KEY_ID
# functions and methods that only shape or inspect a value in memory
_HARMLESS = frozenset(
    {
        "print",
        "str",
        "repr",
        "len",
        "isinstance",
        "format",
        "dict",
        "list",
        "tuple",
        "set",
        "sorted",
        "getattr",
        "hasattr",
        "setattr",
        "strip",
        "rstrip",
        "lstrip",
        "encode",
        "decode",
        "join",
        "get",
        "setdefault",
        "update",
        "append",
        "extend",
        "items",
        "startswith",
        "endswith",
        "replace",
        "split",
        "lower",
        "upper",
        "Session",
        "client",
        "resource",
        "Client",
        "Config",
        "debug",
        "info",
        "warning",
        "error",
        "exception",
        "critical",
        "log",
        "getenv",
        "pop",
        "copy",
        "deepcopy",
        "dumps",
        "loads",
        "any",
        "all",
        "bool",
        "hash",
        "id",
        "type",
        "super",
        "zip",
        "map",
        "filter",
        "enumerate",
        "range",
    }
)


def _dotted(node: ast.expr) -> str | None:
    """``requests.post`` for ``requests.post(...)``; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call) and parts:
        inner = _dotted(node.func)
        return f"{inner}().{'.'.join(reversed(parts))}" if inner else None
    return None


def _key_ids(values: Iterable[Values], depth: int = 0) -> set[str]:
    """Key IDs among literal values, inside dicts, lists and tuples too."""
    found: set[str] = set()
    if depth > 6:
        return found
    for group in values:
        consts = [v for v in group if isinstance(v, Const)]
        # a value that may be a key or several other strings is a merge of unrelated settings
        # (one helper returning every environment variable), not a key handed over
        certain = bool(consts) and all(_KEY_ID.fullmatch(c.value.strip()) for c in consts)
        for value in group:
            if certain and isinstance(value, Const):
                found.add(value.value.strip())
            elif isinstance(value, DictV):
                found |= _key_ids([v for _, v in value.items], depth + 1)
            elif isinstance(value, ListV):
                found |= _key_ids([value.items], depth + 1)
            elif isinstance(value, TupleV):
                found |= _key_ids(value.items, depth + 1)
    return found


def _pattern(pieces: list[str | None]) -> Value:
    """Literal pieces and unknown parts (None) as a Const, a Prefix or a Glob.

    A known head gives a prefix (``orders/*``: the form grants are written in, and what S3 key
    prefixes mean); only a name whose head is unknown keeps its literal tail (``*-orders``).
    """
    if all(p is not None for p in pieces):
        return Const("".join(p for p in pieces if p is not None))
    head = ""
    for piece in pieces:
        if piece is None:
            break
        head += piece
    if head:
        return Prefix(head)
    return _glob_value("".join("*" if p is None else p.replace("*", "") for p in pieces))


def _wild_text(value: Const) -> str:
    return value.wild if value.wild is not None else value.value.replace("*", "")


def _with_wild(value: Value, wild: Value) -> Value:
    """``value`` remembering which of its parts came from parameters (``wild``)."""
    if wild == value or not isinstance(value, Const | Prefix | Glob):
        return value
    text = text_of(wild) if isinstance(wild, Const | Prefix | Glob) else "*"
    return replace(value, wild=text)


def _entry_point(func: Func) -> bool:
    """Called from outside the repository (a framework registers it), so callers are unknown."""
    node = func.node
    if isinstance(node, ast.Lambda):
        return False
    if node.name in _ENTRY_NAMES:
        return True
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in _ENTRY_DECORATORS:
            return True
    return False


def _glob_value(glob: str) -> Value:
    while "**" in glob:
        glob = glob.replace("**", "*")
    if glob.endswith("*") and glob.count("*") == 1:
        return Prefix(glob[:-1])
    return Glob(glob)


def _env_fallback(parts: list[Values]) -> list[Values]:
    """``os.getenv("X") or "lit"`` reads as ``os.getenv("X", "lit")``: a variable no deployment
    file sets takes the literal fallback, so its read is dropped from the alternatives."""
    if len(parts) < 2 or not parts[-1] or not all(isinstance(v, Const) for v in parts[-1]):
        return parts
    out = [frozenset(v for v in part if not isinstance(v, EnvRead)) for part in parts[:-1]]
    return [part for part, old in zip(out, parts, strict=False) if part or old == part] + [parts[-1]]


def _union(*sets: Iterable[Value]) -> Values:
    out: set[Value] = set()
    for values in sets:
        out.update(values)
    return frozenset(out)


def is_test_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1]
    return (
        any(p in ("tests", "test", "testing") for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


@cache
def _resource_model(service: str) -> dict[str, Any] | None:
    import boto3  # type: ignore[import-untyped]

    base = Path(boto3.__file__).parent / "data" / service
    if not base.is_dir():
        return None
    versions = sorted(p for p in base.iterdir() if (p / "resources-1.json").is_file())
    if not versions:
        return None
    data: dict[str, Any] = json.loads((versions[-1] / "resources-1.json").read_text(encoding="utf-8"))
    return data


@cache
def _shape_members(service: str, shape: str) -> frozenset[str]:
    """snake_case attribute names a resource exposes from its loaded shape."""
    model = iam_map.service_model(service)
    if model is None or not shape:
        return frozenset()
    try:
        members = model.shape_for(shape).members
    except Exception:  # botocore raises its own NoShapeFoundError
        return frozenset()
    return frozenset(_xform(name) for name in members)


def _xform(name: str) -> str:
    from botocore import xform_name  # type: ignore[import-untyped]

    return str(xform_name(name))


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
        self.module_names: dict[str, list[str]] = {}  # dotted name -> module paths
        self.recording = False
        self.inline_depth = 0
        self.depth = 0  # expressions being evaluated, across scopes (see _Scope.eval)
        self.hierarchy: dict[tuple[str, str], list[tuple[str, str]]] | None = None
        self.subclasses: dict[tuple[str, str], set[Value]] | None = None
        self._any_site: tuple[State, dict[tuple[tuple[str, str], str], Values]] | None = None
        self.calls: set[ApiCall] = set()
        self.unresolved: set[Unresolved] = set()
        self.default_sessions: set[tuple[str, Origin]] = set()
        self.outside: set[tuple[str, int, str, str]] = set()
        self.trees = trees or {}  # already parsed (the workload discovery parses every file once)
        for path in files:
            self._load(path)

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
        parts = list(PurePosixPath(path).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for start in range(len(parts)):
            dotted = ".".join(parts[start:])
            if dotted:
                self.module_names.setdefault(dotted, []).append(path)
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
        candidates = self.module_names.get(dotted, [])
        if not candidates:
            return None
        importer_parts = PurePosixPath(importer).parts

        def closeness(path: str) -> tuple[int, str]:
            parts = PurePosixPath(path).parts
            common = 0
            for a, b in zip(parts, importer_parts, strict=False):
                if a != b:
                    break
                common += 1
            return (-common, path)

        return sorted(candidates, key=closeness)[0]

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
        return Analysis(
            calls=tuple(
                sorted(self.calls, key=lambda c: (c.path, c.line, c.service, c.method, repr(c.params)))
            ),
            unresolved=tuple(sorted(self.unresolved, key=lambda u: (u.path, u.line, u.what))),
            default_sessions=tuple(sorted(self.default_sessions, key=lambda d: (d[0], d[1].line))),
            errors=tuple(self.errors),
            outside=tuple(sorted(self.outside)),
        )

    def _pass(self) -> None:
        self.hierarchy = None
        self.subclasses = None
        for path, module in sorted(self.modules.items()):
            scope = _Scope(self, path, None, None, self.cur.names.setdefault(path, {}))
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
                scope = _Scope(self, func.module, func, func.cls, {})
                scope.bind_params(context)
                for _ in range(2):
                    scope.exec_block(body)
                for name, values in scope.env.items():
                    self.merge(merged, name, values)
            return
        env = self.cur.locals.setdefault(key, {})
        scope = _Scope(self, func.module, func, func.cls, env)
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


class _Scope:
    """Evaluates statements and expressions of one module body or function body."""

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
        if isinstance(node, ast.Import):
            for alias in node.names:
                self._import(alias.name, alias.asname, None)
        elif isinstance(node, ast.ImportFrom):
            self._import_from(node)
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
            scope = _Scope(self.a, self.module, self.func, key, {})
            for stmt in node.body:
                if isinstance(stmt, ast.Assign | ast.AnnAssign):
                    scope.exec_stmt(stmt, False)
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

    def _import(self, name: str, asname: str | None, _: None) -> None:
        top = name.split(".")[0]
        if name.startswith(_SDK_MODULES) or top == "os":
            bound = asname or top
            self.assign(bound, frozenset({Builtin(name if asname else top)}))
            return
        path = self.a.resolve_module(name, self.module)
        if path is not None:
            if asname:
                self.assign(asname, frozenset({ModV(path)}))
            else:
                top_path = self.a.resolve_module(top, self.module)
                self.assign(top, frozenset({ModV(top_path or path)}))

    def _import_from(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            base = PurePosixPath(self.module).parent
            for _ in range(node.level - 1):
                base = base.parent
            rel = ".".join(p for p in [*base.parts, *module.split(".")] if p)
            dotted = rel
        else:
            dotted = module
        for alias in node.names:
            bound = alias.asname or alias.name
            if module.startswith(_SDK_MODULES) or module == "os":
                self.assign(bound, frozenset({Builtin(f"{module}.{alias.name}")}))
                continue
            sub = self.a.resolve_module(f"{dotted}.{alias.name}" if dotted else alias.name, self.module)
            if sub is not None:
                self.assign(bound, frozenset({ModV(sub)}))
                continue
            path = self.a.resolve_module(dotted, self.module) if dotted else None
            if path is not None:
                self.assign(bound, frozenset({ImportRef(path, alias.name)}))
            elif module == "django.conf" and alias.name == "settings":
                # Django's settings object is the project's settings module
                candidates = self.a.module_names.get("settings", [])
                if candidates:
                    self.assign(
                        bound, frozenset({ModV(self.a.resolve_module("settings", self.module) or "")})
                    )

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
                    self.bind(element, _union(*(t.items[index] for t in tuples)))
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
                self._set_env(self.eval(target.slice), values, target)

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
        if _entry_point(func):
            first = positional[0].arg if func.cls is not None and positional else None
            for name in names:
                if name != first:
                    self.env[name] = self.env.get(name, EMPTY) | UNKNOWN
        if func.cls is not None and positional and not self._is_static(func):
            first = positional[0].arg
            kind = self._decorator_names(func)
            if "classmethod" in kind:
                self.assign(first, frozenset({ClassV(func.cls)}))
            elif not self.env.get(first):
                self.assign(first, frozenset({InstV(func.cls), *self._subclass_instances(func.cls)}))

    def _subclass_instances(self, cls: tuple[str, str]) -> set[Value]:
        if self.a.subclasses is None:
            subclasses: dict[tuple[str, str], set[Value]] = {}
            for sub, supers in self._hierarchy().items():
                for sup in supers:
                    if sup != sub:
                        subclasses.setdefault(sup, set()).add(InstV(sub))
            self.a.subclasses = subclasses
        return self.a.subclasses.get(cls, set())

    def _hierarchy(self) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """Each class with its base classes in this repository (computed once per pass)."""
        if self.a.hierarchy is None:
            # evaluating a base (``Parent.Meta``, ``db.Model``) looks up members, which asks for the
            # hierarchy again: while it is being built, every class is its own only class
            self.a.hierarchy = {}
            direct: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for key, bases in self.a.class_bases.items():
                scope = _Scope(self.a, key[0], None, None, {})
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
            self.a.hierarchy = closed
        return self.a.hierarchy

    @staticmethod
    def _decorator_names(func: Func) -> set[str]:
        names = set()
        node = func.node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Name):
                    names.add(deco.id)
        return names

    def _is_static(self, func: Func) -> bool:
        return "staticmethod" in self._decorator_names(func)

    # ----- expressions ---------------------------------------------------------------------
    def iterate(self, values: Values, node: ast.expr | None) -> Values:
        out: set[Value] = set()
        for value in values:
            if isinstance(value, ListV):
                out.update(value.items)
            elif isinstance(value, TupleV):
                out.update(_union(*value.items))
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
            return self._eval(node)
        finally:
            self.a.depth -= 1

    def _eval(self, node: ast.expr) -> Values:
        if isinstance(node, ast.Constant):
            return frozenset({Const(node.value)}) if isinstance(node.value, str) else EMPTY
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
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
            return frozenset({ListV(_union(*(self.eval(e) for e in node.elts)))})
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
                parts = _env_fallback(parts)
            out = _union(*parts)
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

    def _fstring(self, node: ast.JoinedStr) -> Values:
        pieces: list[str | None] = []  # None: a part only known at run time
        wild: list[str | None] = []  # the same with parameter parts unknown
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                pieces.append(part.value)
                wild.append(part.value)
                continue
            if isinstance(part, ast.FormattedValue):
                inner = self.eval(part.value)
                consts = [v for v in inner if isinstance(v, Const)]
                if len(inner) == 1 and consts and part.format_spec is None and part.conversion == -1:
                    pieces.append(consts[0].value)
                    wild.append(consts[0].value if consts[0].wild is None else None)
                    continue
            pieces.append(None)
            wild.append(None)
        return frozenset({_with_wild(_pattern(pieces), _pattern(wild))})

    def _binop(self, node: ast.BinOp) -> Values:
        left = self.eval(node.left)
        right = self.eval(node.right)
        out: set[Value] = set()
        if isinstance(node.op, ast.Add):
            for lv in left or {None}:
                if isinstance(lv, Const):
                    for rv in right or {None}:
                        if isinstance(rv, Const):
                            joined = Const(lv.value + rv.value)
                            if lv.wild is not None or rv.wild is not None:
                                joined = Const(joined.value, _wild_text(lv) + _wild_text(rv))
                            out.add(joined)
                        else:
                            out.add(Prefix(lv.value, None if lv.wild is None else lv.wild + "*"))
                elif isinstance(lv, Prefix):
                    out.add(lv)
                elif lv is None or isinstance(lv, Glob):
                    head = lv.pattern if isinstance(lv, Glob) else None
                    for rv in right:
                        if isinstance(rv, Const):
                            out.add(_pattern([head, rv.value]))
        elif isinstance(node.op, ast.Mod):
            for lv in left:
                if isinstance(lv, Const):
                    if "%" not in lv.value:
                        out.add(lv)
                    else:
                        head = lv.value.split("%", 1)[0]
                        out.add(Prefix(head, None if lv.wild is None else "*"))
        return frozenset(out)

    def _subscript(self, node: ast.Subscript) -> Values:
        base = self.eval(node.value)
        keys = self.eval(node.slice)
        out: set[Value] = set()
        for value in base:
            if isinstance(value, Builtin) and value.name in ("os.environ", "environ"):
                out.update(self._env(keys, None))
            elif isinstance(value, DictV):
                for key in keys:
                    if isinstance(key, Const):
                        out.update(value.get(key.value) or EMPTY)
            elif isinstance(value, ListV):
                out.update(value.items)
            elif isinstance(value, TupleV):
                out.update(_union(*value.items))
            elif isinstance(value, Assumed):
                out.add(value)
        return frozenset(out)

    def _set_env(self, keys: Values, values: Values, node: ast.AST) -> None:
        """``os.environ["AWS_ACCESS_KEY_ID"] = KEY`` makes every default-chain client use the key."""
        if Const("AWS_ACCESS_KEY_ID") in keys and self.a.recording:
            path, line = self._loc(node)
            self.a.default_sessions.add((self.module, Origin(values, None, path, line)))

    def _env(self, keys: Values, default: Values | None) -> Values:
        out: set[Value] = set()
        for key in keys:
            if not isinstance(key, Const):
                continue
            found = self.a.env_value(self.module, key.value)
            if found is not None:
                out.add(Const(found))
            elif default:
                out.update(default)
            else:
                out.add(EnvRead(key.value))
        return frozenset(out)

    def _attribute(self, owners: Values, attr: str, node: ast.expr | None) -> Values:
        out: set[Value] = set()
        for owner in owners:
            if isinstance(owner, Builtin):
                out.add(Builtin(f"{owner.name}.{attr}"))
            elif isinstance(owner, ModV):
                out.update(self._import_value(ImportRef(owner.path, attr)))
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
        return self._hierarchy().get(key) or [key]

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
        out: set[Value] = set()
        for callee in callees:
            out.update(self._call_one(callee, args, kwargs, node))
        if self.a.recording and callees and all(isinstance(c, Builtin) for c in callees):
            for callee in callees:
                assert isinstance(callee, Builtin)
                if callee.name.split(".", 1)[0] not in _LOCAL_MODULES:
                    for key in _key_ids([*args, *kwargs.values()]):
                        path, line = self._loc(node)
                        self.a.outside.add((path, line, key, callee.name))
        if self.a.recording and not callees:
            dotted = _dotted(node.func)
            if (
                dotted
                and dotted.split(".", 1)[0] not in _LOCAL_MODULES
                and dotted.rsplit(".", 1)[-1] not in _HARMLESS
            ):
                for key in _key_ids([*args, *kwargs.values()]):
                    path, line = self._loc(node)
                    self.a.outside.add((path, line, key, dotted))
        if not callees and isinstance(node.func, ast.Name | ast.Attribute):
            name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            if name in _ENV_FUNCS and args:
                out.update(self._env(args[0], args[1] if len(args) > 1 else None))
            elif name == "dict" and isinstance(node.func, ast.Name):
                out.add(DictV(tuple(sorted(kwargs.items(), key=lambda kv: kv[0]))))
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
        if inst is not None and positional and not self._is_static(func):
            bound[positional[0]] = frozenset({inst})
            positional = positional[1:]
        for name, values in zip(positional, args, strict=False):
            bound[name] = values or UNKNOWN
        known = set(positional) | {a.arg for a in fargs.kwonlyargs}
        for name, values in kwargs.items():
            if name in known:
                bound[name] = values or UNKNOWN
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
        scope = _Scope(self.a, func.module, func, func.cls, env)
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

    def _origin(self, kwargs: dict[str, Values], node: ast.Call, base: Origin | None = None) -> Origin:
        creds = kwargs.get(_CRED_KW)
        secret = kwargs.get("aws_secret_access_key")
        region = kwargs.get("region_name")
        if region is None and "config" in kwargs:
            for value in kwargs["config"]:
                if isinstance(value, DictV) and value.get("region_name") is not None:
                    region = value.get("region_name")
        if base is not None:
            creds = creds if creds is not None else base.creds
            secret = secret if secret is not None else base.secret
            region = region if region is not None else base.region
        path, line = self._loc(node)
        return Origin(creds, region, path, line, secret)

    def _builtin(self, name: str, args: list[Values], kwargs: dict[str, Values], node: ast.Call) -> Values:
        short = name.rsplit(".", 1)[-1]
        if name in ("boto3.client", "boto3.resource", "boto3.session.Session.client") or (
            name.startswith("boto3") and short in ("client", "resource") and "Session" not in name
        ):
            service = self._service_arg(args, kwargs)
            origin = self._origin(kwargs, node)
            return self._make(short, service, origin, node)
        if short == "Session" and name.startswith(("boto3", "aioboto3")):
            return frozenset({SessionV(self._origin(kwargs, node))})
        if short == "setup_default_session" and name.startswith("boto3"):
            origin = self._origin(kwargs, node)
            if self.a.recording:
                self.a.default_sessions.add((self.module, origin))
            return EMPTY
        if short == "get_session" and name.startswith(("botocore", "aiobotocore")):
            return frozenset({SessionV(Origin(None, None, *self._loc(node)))})
        if short == "Config" and name.startswith("botocore"):
            return frozenset({DictV(tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))})
        if short == "setdefault" and name.endswith("environ.setdefault") and len(args) > 1:
            self._set_env(args[0], args[1], node)
        if short == "update" and name.endswith("environ.update"):
            for value in args[0] if args else EMPTY:
                if isinstance(value, DictV) and value.get("AWS_ACCESS_KEY_ID") is not None:
                    self._set_env(
                        frozenset({Const("AWS_ACCESS_KEY_ID")}), value.get("AWS_ACCESS_KEY_ID") or EMPTY, node
                    )
            if "AWS_ACCESS_KEY_ID" in kwargs:
                self._set_env(frozenset({Const("AWS_ACCESS_KEY_ID")}), kwargs["AWS_ACCESS_KEY_ID"], node)
            return EMPTY
        if name in ("os.getenv", "os.environ.get", "os.environ.setdefault", "environ.get", "getenv") or (
            name.endswith("environ.get") or name.endswith(".getenv")
        ):
            keys = args[0] if args else kwargs.get("key", EMPTY)
            default = args[1] if len(args) > 1 else kwargs.get("default")
            return self._env(keys, default)
        return EMPTY

    @staticmethod
    def _service_arg(args: list[Values], kwargs: dict[str, Values]) -> Values:
        return args[0] if args else kwargs.get("service_name", EMPTY)

    def _make(self, factory: str, services: Values, origin: Origin, node: ast.Call) -> Values:
        out: set[Value] = set()
        names = [v.value for v in services if isinstance(v, Const)]
        if not names:
            path, line = self._loc(node)
            self.a.note(Unresolved(path, line, f"boto3.{factory}(...)", "service name is not a literal"))
        for service in names:
            if factory in ("client", "create_client"):
                out.add(ClientV(service, origin))
            else:
                out.add(ResV(service, "", (), origin))
        return frozenset(out)

    # ----- boto3 objects -------------------------------------------------------------------
    def _helper(
        self, bound: BoundHelper, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        owner, name = bound.owner, bound.name
        path, line = self._loc(node)
        if isinstance(owner, SessionV):
            if name in ("client", "resource", "create_client"):
                service = self._service_arg(args, kwargs)
                return self._make(name, service, self._origin(kwargs, node, owner.origin), node)
            return EMPTY
        if isinstance(owner, DictV):
            if name == "get" and args:
                return _union(*(owner.get(k.value) or EMPTY for k in args[0] if isinstance(k, Const)))
            return EMPTY
        if isinstance(owner, Const):
            if name == "format":
                if "{" not in owner.value:
                    return frozenset({owner})
                return frozenset({Prefix(owner.value.split("{", 1)[0], None if owner.wild is None else "*")})
            if name in ("strip", "lower", "upper", "rstrip", "lstrip"):
                return frozenset({owner})
            return EMPTY
        if isinstance(owner, ClientV):
            return self._client_call(owner, name, args, kwargs, node)
        if isinstance(owner, PaginatorV):
            if name == "paginate":
                self._emit(
                    owner.client.service,
                    owner.method,
                    kwargs,
                    owner.client.origin,
                    node,
                    f"{owner.client.service} paginator {owner.method}",
                )
                pages = _derived_result(owner.client.service, owner.method, kwargs)
                return frozenset({ListV(pages)}) if pages else EMPTY
            return EMPTY
        if isinstance(owner, WaiterV):
            if name == "wait":
                self._emit(
                    owner.client.service,
                    owner.method,
                    kwargs,
                    owner.client.origin,
                    node,
                    f"{owner.client.service} waiter polling {owner.method}",
                )
            return EMPTY
        if isinstance(owner, CollV):
            return self._collection_call(owner, name, args, kwargs, node)
        if isinstance(owner, ResV):
            return self._resource_call(owner, name, args, kwargs, node)
        if isinstance(owner, ListV):
            return EMPTY
        del path, line
        return EMPTY

    def _emit(
        self,
        service: str,
        method: str,
        params: dict[str, Values],
        origin: Origin,
        node: ast.AST,
        via: str,
        transfer: bool = False,
    ) -> None:
        path, line = self._loc(node)
        items = tuple(sorted(((k, v) for k, v in params.items() if v), key=lambda kv: kv[0]))
        self.a.record(ApiCall(service, method, items, origin, path, line, via, transfer))

    def _client_call(
        self, client: ClientV, name: str, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        service = client.service
        path, line = self._loc(node)
        if name == "get_paginator":
            return frozenset(
                PaginatorV(client, m.value)
                for m in (args[0] if args else kwargs.get("operation_name", EMPTY))
                if isinstance(m, Const)
            )
        if name == "get_waiter":
            out: set[Value] = set()
            for waiter in args[0] if args else kwargs.get("waiter_name", EMPTY):
                if isinstance(waiter, Const):
                    op = iam_map.waiter_operation(service, waiter.value)
                    if op is None:
                        self.a.note(
                            Unresolved(path, line, f"{service} waiter {waiter.value}", "unknown waiter")
                        )
                    else:
                        out.add(WaiterV(client, _xform(op)))
            return frozenset(out)
        if name == "generate_presigned_url":
            methods = args[0] if args else kwargs.get("ClientMethod", EMPTY)
            params = args[1] if len(args) > 1 else kwargs.get("Params", EMPTY)
            merged: dict[str, Values] = {}
            for value in params:
                if isinstance(value, DictV):
                    for key, inner in value.items:
                        merged[key] = merged.get(key, EMPTY) | inner
            for method in methods:
                if isinstance(method, Const):
                    self._emit(
                        service,
                        method.value,
                        merged,
                        client.origin,
                        node,
                        f"{service} presigned URL for {method.value}",
                    )
            if not any(isinstance(m, Const) for m in methods):
                self.a.note(
                    Unresolved(
                        path, line, f"{service}.generate_presigned_url", "client method is not a literal"
                    )
                )
            return EMPTY
        if name == "generate_presigned_post":
            names = ["Bucket", "Key", "Fields", "Conditions", "ExpiresIn"]
            post: dict[str, Values] = dict(zip(names, args, strict=False)) | kwargs
            keys: set[Value] = set()
            for key_value in post.get("Key", EMPTY):
                if isinstance(key_value, Const) and "${filename}" in key_value.value:
                    wild = key_value.wild and key_value.wild.split("${filename}", 1)[0] + "*"
                    keys.add(Prefix(key_value.value.split("${filename}", 1)[0], wild or None))
                elif isinstance(key_value, Glob) and "${filename}" in key_value.pattern:
                    keys.add(_glob_value(key_value.pattern.split("${filename}", 1)[0] + "*"))
                else:
                    keys.add(key_value)
            post["Key"] = frozenset(keys)
            self._emit(service, "put_object", post, client.origin, node, f"{service} presigned POST")
            return EMPTY
        if name == "assume_role" and service == "sts":
            self._emit(service, name, kwargs, client.origin, node, f"{service}.{name}")
            return frozenset({Assumed(f"{path}:{line}")})
        if name in ("can_paginate", "close", "meta", "exceptions", "get_waiter_names"):
            return EMPTY
        helpers = iam_map.overlay()["helpers"].get(service, {})
        if name in helpers and "client" in helpers[name]:
            spec = helpers[name]
            called: dict[str, Values] = dict(zip(spec["client"], args, strict=False)) | kwargs
            self._transfer(service, spec["operation"], called, client.origin, node, f"{service}.{name}")
            return EMPTY
        if iam_map.operation_name(service, name) is None:
            self.a.note(Unresolved(path, line, f"{service}.{name}", "not a method of this client"))
            return EMPTY
        self._emit(service, name, kwargs, client.origin, node, f"{service}.{name}")
        derived = _derived_result(service, name, kwargs)
        if derived:
            return derived
        if service == "sts" and name in (
            "assume_role_with_web_identity",
            "get_session_token",
            "get_federation_token",
        ):
            return frozenset({Assumed(f"{path}:{line}")})
        return EMPTY

    def _transfer(
        self, service: str, operation: str, params: dict[str, Values], origin: Origin, node: ast.AST, via: str
    ) -> None:
        extra: dict[str, Values] = {}
        for value in params.get("ExtraArgs", EMPTY):
            if isinstance(value, DictV):
                for key, inner in value.items:
                    extra[key] = extra.get(key, EMPTY) | inner
        base = {k: v for k, v in params.items() if k not in ("ExtraArgs", "Filename", "Fileobj")}
        if operation == "copy_object":
            self._emit(service, "copy_object", base | extra, origin, node, via, transfer=True)
            return
        self._emit(service, operation, base | extra, origin, node, via, transfer=True)

    # ----- resources -----------------------------------------------------------------------
    def _rdef(self, res: ResV) -> dict[str, Any] | None:
        model = _resource_model(res.service)
        if model is None:
            return None
        if res.rtype == "":
            service_def: dict[str, Any] = model.get("service", {})
            return service_def
        rdef: dict[str, Any] | None = model.get("resources", {}).get(res.rtype)
        return rdef

    def _res_attribute(self, res: ResV, attr: str, node: ast.expr | None) -> Values:
        if attr == "meta":
            return frozenset({MetaV(res)})
        rdef = self._rdef(res) or {}
        for name in rdef.get("hasMany", {}):
            if _xform(name) == attr:
                return frozenset({CollV(res, name, ())})
        if node is not None and "load" in rdef and attr in _shape_members(res.service, rdef.get("shape", "")):
            # reading a loaded attribute (table.item_count) makes boto3 call the load operation
            request = rdef["load"].get("request", {})
            params = self._request_params(res, request, {})
            label = f"{res.rtype}.{attr}"
            self._emit(res.service, _xform(request.get("operation", "")), params, res.origin, node, label)
        return frozenset({BoundHelper(res, attr)})

    def _ids_from(
        self, res: ResV, identifiers: list[dict[str, Any]], args: list[Values], params: dict[str, Values]
    ) -> tuple[tuple[str, Values], ...]:
        ids: dict[str, Values] = {}
        inputs = iter(args)
        for ident in identifiers:
            source = ident.get("source")
            if source == "input":
                ids[ident["target"]] = next(inputs, EMPTY) or params.get(_xform(ident["target"]), EMPTY)
            elif source == "identifier":
                ids[ident["target"]] = dict(res.ids).get(ident["name"], EMPTY)
            elif source == "requestParameter":
                ids[ident["target"]] = params.get(ident.get("path", ""), EMPTY)
        # request parameters name the resource when the response would (get_queue_by_name)
        for key, values in params.items():
            if isinstance(key, str) and key[:1].isupper():
                ids.setdefault(f"hint:{key}", values)
        return tuple(sorted(ids.items(), key=lambda kv: kv[0]))

    def _request_params(
        self, res: ResV, request: dict[str, Any], kwargs: dict[str, Values]
    ) -> dict[str, Values]:
        params: dict[str, Values] = {}
        ids = dict(res.ids)
        for spec in request.get("params", []):
            source = spec.get("source")
            target = str(spec["target"]).split(".")[0].split("[")[0]
            if source == "identifier":
                params[target] = ids.get(spec["name"], EMPTY)
            elif source == "string":
                params[target] = frozenset({Const(str(spec.get("value")))})
        for key, values in ids.items():
            if key.startswith("hint:"):
                params.setdefault(key[5:], values)
        # S3 batch delete names the objects by key
        if "Delete" in params and "Key" in ids:
            params["Key"] = ids["Key"]
            del params["Delete"]
        return params | kwargs

    def _resource_call(
        self, res: ResV, name: str, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        rdef = self._rdef(res)
        path, line = self._loc(node)
        label = res.rtype or f"{res.service} resource"
        if rdef is None:
            self.a.note(Unresolved(path, line, f"{label}.{name}", "no resource model for this service"))
            return EMPTY
        for sub, spec in rdef.get("has", {}).items():
            if sub == name:
                rspec = spec.get("resource", {})
                ids = self._ids_from(res, rspec.get("identifiers", []), args, kwargs)
                return frozenset({ResV(res.service, rspec.get("type", sub), ids, res.origin)})
        model = _resource_model(res.service) or {}
        if not res.rtype and name in model.get("resources", {}):
            # the service resource builds any resource type from its identifiers: s3.Object(b, k)
            names = [i["name"] for i in model["resources"][name].get("identifiers", [])]
            given = dict(zip(names, args, strict=False))
            given.update({k: v for k, v in kwargs.items() if k in names})
            ids = tuple(sorted(given.items(), key=lambda kv: kv[0]))
            return frozenset({ResV(res.service, name, ids, res.origin)})
        for action, spec in rdef.get("actions", {}).items():
            if _xform(action) == name:
                request = spec.get("request", {})
                method = _xform(request.get("operation", action))
                params = self._request_params(res, request, kwargs)
                self._emit(res.service, method, params, res.origin, node, f"{label}.{name}")
                rspec = spec.get("resource")
                if rspec:
                    ids = self._ids_from(res, rspec.get("identifiers", []), [], params)
                    return frozenset({ResV(res.service, rspec.get("type", ""), ids, res.origin)})
                return EMPTY
        for waiter, spec in rdef.get("waiters", {}).items():
            if name == f"wait_until_{_xform(waiter)}":
                op = iam_map.waiter_operation(res.service, spec.get("waiterName", waiter))
                if op is not None:
                    params = self._request_params(res, spec, kwargs)
                    self._emit(res.service, _xform(op), params, res.origin, node, f"{label}.{name}")
                return EMPTY
        if name in ("load", "reload") and "load" in rdef:
            request = rdef["load"].get("request", {})
            params = self._request_params(res, request, kwargs)
            self._emit(
                res.service, _xform(request.get("operation", "")), params, res.origin, node, f"{label}.{name}"
            )
            return EMPTY
        helpers = iam_map.overlay()["helpers"].get(res.service, {})
        if name in helpers and res.rtype in helpers[name]:
            spec = helpers[name]
            called: dict[str, Values] = dict(zip(spec[res.rtype], args, strict=False)) | kwargs
            id_map = dict(res.ids)
            if "Name" in id_map and res.rtype == "Bucket":
                called["Bucket"] = id_map["Name"]
            if "BucketName" in id_map:
                called["Bucket"] = id_map["BucketName"]
            if "Key" in id_map:
                called["Key"] = id_map["Key"]
            if res.rtype == "Table":
                called["TableName"] = id_map.get("Name", EMPTY)
                self._emit(res.service, spec["operation"], called, res.origin, node, f"{label}.{name}")
                return EMPTY
            self._transfer(res.service, spec["operation"], called, res.origin, node, f"{label}.{name}")
            return EMPTY
        if name in ("get_available_subresources",):
            return EMPTY
        self.a.note(Unresolved(path, line, f"{label}.{name}", "not an action of this resource"))
        return EMPTY

    def _collection_call(
        self, coll: CollV, name: str, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        if name in ("all", "filter", "limit", "page_size"):
            params = dict(coll.params)
            if name == "filter":
                params |= kwargs
            return frozenset(
                {CollV(coll.res, coll.name, tuple(sorted(params.items(), key=lambda kv: kv[0])))}
            )
        rdef = self._rdef(coll.res) or {}
        spec = rdef.get("hasMany", {}).get(coll.name, {})
        item_type = spec.get("resource", {}).get("type", "")
        model = _resource_model(coll.res.service) or {}
        batch = model.get("resources", {}).get(item_type, {}).get("batchActions", {})
        for action, bspec in batch.items():
            if _xform(action) == name:
                self._list(coll, node)
                request = bspec.get("request", {})
                items = self._collection_items(coll, None)
                for item in items or {ResV(coll.res.service, item_type, (), coll.res.origin)}:
                    if isinstance(item, ResV):
                        params = self._request_params(item, request, kwargs)
                        self._emit(
                            coll.res.service,
                            _xform(request.get("operation", action)),
                            params,
                            coll.res.origin,
                            node,
                            f"{item_type}s.{name}",
                        )
                return EMPTY
        return EMPTY

    def _list(self, coll: CollV, node: ast.AST) -> None:
        rdef = self._rdef(coll.res) or {}
        spec = rdef.get("hasMany", {}).get(coll.name)
        if not spec:
            return
        request = spec.get("request", {})
        params = self._request_params(coll.res, request, dict(coll.params))
        self._emit(
            coll.res.service,
            _xform(request.get("operation", "")),
            params,
            coll.res.origin,
            node,
            f"{coll.res.rtype or coll.res.service}.{_xform(coll.name)}",
        )

    def _collection_items(self, coll: CollV, node: ast.AST | None) -> Values:
        rdef = self._rdef(coll.res) or {}
        spec = rdef.get("hasMany", {}).get(coll.name)
        if not spec:
            return EMPTY
        if node is not None:
            self._list(coll, node)
        rspec = spec.get("resource", {})
        ids = dict(self._ids_from(coll.res, rspec.get("identifiers", []), [], {}))
        params = dict(coll.params)
        for ident in rspec.get("identifiers", []):
            if ident.get("source") == "response" and ident["target"] == "Key" and "Prefix" in params:
                ids["Key"] = frozenset(
                    Prefix(v.value, v.wild and v.wild + "*") if isinstance(v, Const) else v
                    for v in params["Prefix"]
                )
        items = tuple(sorted(ids.items(), key=lambda kv: kv[0]))
        return frozenset({ResV(coll.res.service, rspec.get("type", ""), items, coll.res.origin)})


# responses that name a resource the request already named: the planner fills in region/account
_DERIVED = {
    ("sqs", "get_queue_url"): ("QueueName", "QueueUrl", "https://sqs.{region}.amazonaws.com/{account}/%s"),
    ("sqs", "create_queue"): ("QueueName", "QueueUrl", "https://sqs.{region}.amazonaws.com/{account}/%s"),
    ("sns", "create_topic"): ("Name", "TopicArn", "arn:aws:sns:{region}:{account}:%s"),
}


def _derived_result(service: str, method: str, kwargs: dict[str, Values]) -> Values:
    if service == "s3" and method in ("list_objects_v2", "list_objects", "list_object_versions"):
        # every key a listing returns starts with the prefix it asked for
        keys: set[Value] = set()
        for prefix in kwargs.get("Prefix", EMPTY):
            if isinstance(prefix, Const | Prefix) and prefix.value:
                wild = prefix.wild + "*" if isinstance(prefix, Const) and prefix.wild else prefix.wild
                keys.add(Prefix(prefix.value, wild))
            else:
                return EMPTY
        if not keys:
            return EMPTY
        entry = DictV((("Key", frozenset(keys)),))
        field_name = "Versions" if method == "list_object_versions" else "Contents"
        return frozenset({DictV(((field_name, frozenset({ListV(frozenset({entry}))})),))})
    spec = _DERIVED.get((service, method))
    if spec is None:
        return EMPTY
    source, field_name, template = spec
    names = [v.value for v in kwargs.get(source, EMPTY) if isinstance(v, Const)]
    if not names:
        return EMPTY
    owners = [v.value for v in kwargs.get("QueueOwnerAWSAccountId", EMPTY) if isinstance(v, Const)]
    if service == "sqs" and len(owners) == 1:
        template = template.replace("{account}", owners[0])  # another account's queue
    values = frozenset(Const(template % n) for n in names)
    return frozenset({DictV(((field_name, values),))})


def analyze(
    root: Path, files: list[str], env_lookup: Any = None, trees: dict[str, ast.Module] | None = None
) -> Analysis:
    """Analyze ``files`` (repo-relative ``.py`` paths) under ``root``."""
    return Analyzer(root, files, env_lookup, trees).run()


def iter_python_files(paths: Iterable[str]) -> Iterator[str]:
    for path in paths:
        if path.endswith(".py") and not is_test_path(path):
            yield path
