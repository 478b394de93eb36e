"""The program's surroundings: environment variables, framework entry points, and where a key
goes when it leaves the AWS SDK.

Values the deployment sets (task definition ``environment``, compose files) replace the code's
``os.getenv`` defaults, so a bucket named by ``BUCKET`` gets its real name; functions a framework
registers (routes, tasks, handlers) are called with arguments the repository never shows; a key
handed to anything but an SDK or an in-memory helper is a use the migration must report.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from keyshift.awsnames import KEY_ID, SDK_MODULES
from keyshift.planner.records import Func
from keyshift.planner.values import (
    EMPTY,
    Builtin,
    Const,
    DictV,
    EnvRead,
    ListV,
    Origin,
    TupleV,
    Value,
    Values,
)

if TYPE_CHECKING:
    from keyshift.planner.program import Analyzer

ENV_FUNCS = frozenset({"getenv", "config", "env", "get_env", "get_setting"})
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


# modules whose functions never send a value anywhere (the SDKs themselves, the environment,
# string and logging helpers): a key passed to them is not a use outside AWS
LOCAL_MODULES = frozenset(
    {
        *SDK_MODULES,
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
# functions and methods that only shape or inspect a value in memory
HARMLESS = frozenset(
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


def dotted_name(node: ast.expr) -> str | None:
    """``requests.post`` for ``requests.post(...)``; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call) and parts:
        inner = dotted_name(node.func)
        return f"{inner}().{'.'.join(reversed(parts))}" if inner else None
    return None


def key_ids(values: Iterable[Values], depth: int = 0) -> set[str]:
    """Key IDs among literal values, inside dicts, lists and tuples too."""
    found: set[str] = set()
    if depth > 6:
        return found
    for group in values:
        consts = [v for v in group if isinstance(v, Const)]
        # a value that may be a key or several other strings is a merge of unrelated settings
        # (one helper returning every environment variable), not a key handed over
        certain = bool(consts) and all(KEY_ID.fullmatch(c.value.strip()) for c in consts)
        for value in group:
            if certain and isinstance(value, Const):
                found.add(value.value.strip())
            elif isinstance(value, DictV):
                found |= key_ids([v for _, v in value.items], depth + 1)
            elif isinstance(value, ListV):
                found |= key_ids([value.items], depth + 1)
            elif isinstance(value, TupleV):
                found |= key_ids(value.items, depth + 1)
    return found


def entry_point(func: Func) -> bool:
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


_TASK_DECORATORS = frozenset({"task", "shared_task", "actor", "job"})


def queued_with_arguments(func: Func, names: list[str], params: Mapping[tuple[Any, str], Values]) -> bool:
    """A queued task (Celery ``@app.task``, Dramatiq ``@actor``, RQ ``@job``) runs with the
    arguments the repository's own ``delay``/``apply_async``/``send``/``enqueue`` calls give it
    (``keyshift.planner.deferred``): when such calls exist, its parameters are those values,
    not unknown like a web handler's."""
    node = func.node
    if isinstance(node, ast.Lambda):
        return False
    tasks = False
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        tasks = tasks or name in _TASK_DECORATORS
    return tasks and any(params.get((func.key, name)) for name in names)


def decorator_names(func: Func) -> set[str]:
    names = set()
    node = func.node
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for deco in node.decorator_list:
            if isinstance(deco, ast.Name):
                names.add(deco.id)
    return names


def is_static(func: Func) -> bool:
    return "staticmethod" in decorator_names(func)


def read_env(analyzer: Analyzer, module: str, keys: Values, default: Values | None) -> Values:
    """An environment variable read: its value where the deployment sets it, else the code's
    default, else a named unknown the planner can still report (``EnvRead``)."""
    out: set[Value] = set()
    for key in keys:
        if not isinstance(key, Const):
            continue
        found = analyzer.env_value(module, key.value)
        if found is not None:
            out.add(Const(found))
        elif default:
            out.update(default)
        else:
            out.add(EnvRead(key.value))
    return frozenset(out)


def set_env(analyzer: Analyzer, module: str, keys: Values, values: Values, line: int) -> None:
    """``os.environ["AWS_ACCESS_KEY_ID"] = KEY`` makes every default-chain client use the key."""
    if Const("AWS_ACCESS_KEY_ID") in keys and analyzer.recording:
        analyzer.default_sessions.add((module, Origin(values, None, module, line)))
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        if Const(name) in keys and analyzer.env_value(module, name) is None:
            # the code's region for default-chain clients, unless the deployment sets one
            analyzer.default_regions.update(v for v in values if isinstance(v, Const))


def environ_call(
    analyzer: Analyzer, module: str, name: str, args: list[Values], kwargs: dict[str, Values], line: int
) -> Values | None:
    """``os.getenv``, ``os.environ.get/setdefault/update``: the values read, or None when
    ``name`` is no environment function."""
    short = name.rsplit(".", 1)[-1]
    if short == "setdefault" and name.endswith("environ.setdefault") and len(args) > 1:
        set_env(analyzer, module, args[0], args[1], line)
    if short == "update" and name.endswith("environ.update"):
        key_id = frozenset({Const("AWS_ACCESS_KEY_ID")})
        for value in args[0] if args else EMPTY:
            if isinstance(value, DictV) and value.get("AWS_ACCESS_KEY_ID") is not None:
                set_env(analyzer, module, key_id, value.get("AWS_ACCESS_KEY_ID") or EMPTY, line)
        if "AWS_ACCESS_KEY_ID" in kwargs:
            set_env(analyzer, module, key_id, kwargs["AWS_ACCESS_KEY_ID"], line)
        return EMPTY
    if name in ("os.getenv", "os.environ.get", "os.environ.setdefault", "environ.get", "getenv") or (
        name.endswith("environ.get") or name.endswith(".getenv")
    ):
        keys = args[0] if args else kwargs.get("key", EMPTY)
        default = args[1] if len(args) > 1 else kwargs.get("default")
        return read_env(analyzer, module, keys, default)
    return None


def report_outside(
    analyzer: Analyzer, module: str, node: ast.Call, callees: Values, args: list[Values]
) -> None:
    """A literal key ID passed to something other than an AWS SDK or an in-memory helper
    (``requests.post(url, json={"key": KEY})``): a use the migration must report."""
    if callees and all(isinstance(c, Builtin) for c in callees):
        for callee in callees:
            assert isinstance(callee, Builtin)
            if callee.name.split(".", 1)[0] not in LOCAL_MODULES:
                for key in key_ids(args):
                    analyzer.outside.add((module, node.lineno, key, callee.name))
    if not callees:
        called = dotted_name(node.func)
        if (
            called
            and called.split(".", 1)[0] not in LOCAL_MODULES
            and called.rsplit(".", 1)[-1] not in HARMLESS
        ):
            for key in key_ids(args):
                analyzer.outside.add((module, node.lineno, key, called))


#: a configuration constant's name (``AWS_STORAGE_BUCKET_NAME``); credentials are never guessed
_SETTING_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")
_CREDENTIAL_WORDS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "CREDENTIAL", "ACCESS", "AUTH")


def setting_name(name: str) -> bool:
    """``name`` is an UPPER_CASE setting that is not a credential: when nothing in the repository
    sets it, the plan names it (``EnvRead``) in placeholders instead of the API's parameter."""
    return bool(_SETTING_NAME.fullmatch(name)) and not any(w in name for w in _CREDENTIAL_WORDS)


def module_binds(tree: ast.Module) -> frozenset[str] | None:
    """The names a module binds at top level; None when it may bind others (a star import,
    ``globals()``, a module ``__getattr__``), so an absent name is not known to be unset."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return None
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if node.name == "__getattr__":
                return None
            names.add(node.name)
    for sub in ast.walk(tree):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
        elif isinstance(sub, ast.alias):
            names.add((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, ast.Name) and sub.id in ("globals", "setattr", "vars"):
            return None
    return frozenset(names)


def unset_in_module(analyzer: Analyzer, path: str, name: str) -> bool:
    """``name`` is certainly not bound in module ``path`` (read syntactically, once per module)."""
    module = analyzer.modules.get(path)
    if module is None:
        return False
    if path not in analyzer.binds:
        analyzer.binds[path] = module_binds(module.tree)
    binds = analyzer.binds[path]
    return binds is not None and name not in binds


def pending_parameters(
    analyzer: Analyzer, func: Func, names: list[str], env: dict[str, Values]
) -> frozenset[str]:
    """Parameters with no value yet, of a function something calls (or any on the first pass,
    when nothing is known): their callers' values arrive in a later pass, so passing one on is
    not an unknown argument. Treating it as one made mutual recursion (``is_active`` calling
    ``create`` calling ``is_active``) keep "unknown" for good: a grant on ``*``."""
    first_pass = not analyzer.prev.params and not analyzer.prev.sites
    if first_pass or analyzer.prev.sites.get(func.key):
        return frozenset(n for n in names if not env.get(n))
    return frozenset()


def pending_arguments(
    node: ast.Call, args: list[Values], kwargs: dict[str, Values], pending: frozenset[str]
) -> tuple[ast.Call, frozenset[int], frozenset[str]]:
    """The positions and keywords of ``node`` that pass a pending parameter on (see above)."""
    positions = frozenset(
        i for i, a in enumerate(node.args) if isinstance(a, ast.Name) and a.id in pending and not args[i]
    )
    keywords = frozenset(
        k.arg
        for k in node.keywords
        if k.arg and isinstance(k.value, ast.Name) and k.value.id in pending and not kwargs.get(k.arg)
    )
    return node, positions, keywords


def _settings_config(node: ast.ClassDef) -> tuple[str, bool]:
    """A pydantic settings class's ``env_prefix`` and ``case_sensitive`` (literals only), from
    ``model_config = SettingsConfigDict(...)`` or an inner ``class Config``."""
    prefix, sensitive = "", False
    for stmt in node.body:
        pairs: list[tuple[str, ast.expr]] = []
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
            if any(isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets):
                pairs = [(k.arg, k.value) for k in stmt.value.keywords if k.arg]
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            pairs = [
                (t.id, inner.value)
                for inner in stmt.body
                if isinstance(inner, ast.Assign)
                for t in inner.targets
                if isinstance(t, ast.Name)
            ]
        for name, value in pairs:
            if name == "env_prefix" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                prefix = value.value
            elif name == "case_sensitive" and isinstance(value, ast.Constant):
                sensitive = value.value is True
    return prefix, sensitive


def _settings_base(base: ast.expr) -> bool:
    name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
    return name == "BaseSettings"


def settings_fields(analyzer: Analyzer, module: str, node: ast.ClassDef, env: dict[str, Values]) -> None:
    """A pydantic ``BaseSettings`` class fills each annotated field from the environment (its
    ``.env`` file too), case-insensitively and after ``env_prefix``; the class default is only
    the fallback. Without this, ``dynamodb_table: str`` set in the workload's ``.env`` is unknown
    and every table and bucket named by settings becomes ``*`` or a placeholder."""
    if not any(_settings_base(base) for base in node.bases):
        return
    prefix, sensitive = _settings_config(node)
    for stmt in node.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        field = stmt.target.id
        if field == "model_config" or "ClassVar" in ast.unparse(stmt.annotation):
            continue
        name = prefix + field
        names = [name] if sensitive else list(dict.fromkeys([name, name.upper(), name.lower()]))
        found = next((v for v in (analyzer.env_value(module, n) for n in names) if v is not None), None)
        if found is not None:
            env[field] = frozenset({Const(found)})
        elif (default := _field_default(stmt.value)) is not None:
            env[field] = frozenset({Const(default)})
        elif stmt.value is None or not env.get(field):
            env[field] = frozenset({EnvRead(name if sensitive else name.upper())})


def _field_default(value: ast.expr | None) -> str | None:
    """The literal default of ``Field("x")`` / ``Field(default="x")``."""
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name | ast.Attribute):
        return None
    if (value.func.id if isinstance(value.func, ast.Name) else value.func.attr) != "Field":
        return None
    given = [k.value for k in value.keywords if k.arg == "default"] or value.args[:1]
    if given and isinstance(given[0], ast.Constant) and isinstance(given[0].value, str):
        return given[0].value
    return None
