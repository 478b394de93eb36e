"""django-storages: the S3 calls a Django settings module makes without a line of boto3.

``DEFAULT_FILE_STORAGE``/``STATICFILES_STORAGE`` naming ``S3Boto3Storage`` (or ``S3Storage``, the
static variants, or a repository class built on them), or a Django 4.2+ ``STORAGES`` entry whose
``BACKEND`` does, makes every ``FileField`` save, open, delete and ``exists`` an S3 request
authenticated with the settings' ``AWS_ACCESS_KEY_ID`` (else the default chain). The calls are
emitted as if the settings line made them, so keys, buckets read from the environment and the
grants follow the planner's usual path: ``GetObject`` (open, ``exists``, size), ``PutObject``
(save, multipart included), ``DeleteObject``, ``ListBucket`` (``listdir``, ``exists`` telling a
missing file from a denied one) and ``PutObjectAcl`` only when ``AWS_DEFAULT_ACL`` (or the
class's ``default_acl``) is set to something other than None. An unknown bucket becomes a
placeholder a human must fill in, never ``*``.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from keyshift.planner.records import ApiCall, Unresolved
from keyshift.planner.values import EMPTY, Const, DictV, EnvRead, Glob, Origin, Prefix, Values

if TYPE_CHECKING:
    from keyshift.planner.program import Analyzer

_BACKENDS = frozenset(
    f"storages.backends.{module}.{cls}"
    for module in ("s3boto3", "s3")
    for cls in ("S3Boto3Storage", "S3Storage", "S3StaticStorage", "S3ManifestStaticStorage")
)
_BASE_NAMES = frozenset({"S3Boto3Storage", "S3Storage", "S3StaticStorage", "S3ManifestStaticStorage"})
_STORAGE_SETTINGS = ("DEFAULT_FILE_STORAGE", "STATICFILES_STORAGE", "STORAGES")
PLACEHOLDER = "<AWS_STORAGE_BUCKET_NAME>"
#: settings -> the storage option that overrides each (``OPTIONS`` keys, class attributes)
_OPTIONS = {
    "AWS_STORAGE_BUCKET_NAME": "bucket_name",
    "AWS_LOCATION": "location",
    "AWS_DEFAULT_ACL": "default_acl",
    "AWS_S3_REGION_NAME": "region_name",
    "AWS_S3_ACCESS_KEY_ID": "access_key",
    "AWS_S3_SECRET_ACCESS_KEY": "secret_key",
}


def _assigned(tree: ast.Module) -> dict[str, int]:
    """Module-level names this file assigns (any depth of ``if``/``try``), with the first line."""
    out: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id not in out:
                out[target.id] = node.lineno
    return out


def _consts(values: Values | None) -> set[str]:
    return {v.value for v in values or () if isinstance(v, Const)}


def storage_calls(analyzer: Analyzer) -> tuple[list[ApiCall], list[Unresolved]]:
    """The S3 calls every settings module's django-storages configuration makes."""
    calls: list[ApiCall] = []
    gaps: list[Unresolved] = []
    seen: set[tuple[str, str]] = set()  # repository classes a setting names
    for path, module in sorted(analyzer.modules.items()):
        assigned = _assigned(module.tree)
        if not any(name in assigned for name in _STORAGE_SETTINGS):
            continue
        names = analyzer.cur.names.get(path) or analyzer.prev.names.get(path) or {}
        for setting in ("DEFAULT_FILE_STORAGE", "STATICFILES_STORAGE"):
            if setting in assigned:
                for backend in _consts(names.get(setting)):
                    options = _class_options(analyzer, path, backend)
                    seen.add(_key(analyzer, path, backend))
                    if options is not None:
                        _emit(
                            analyzer, path, assigned, names, options, setting, assigned[setting], calls, gaps
                        )
        if "STORAGES" in assigned:
            for storages in names.get("STORAGES", EMPTY):
                if not isinstance(storages, DictV):
                    continue
                for alias, entries in storages.items:
                    for entry in entries:
                        if not isinstance(entry, DictV):
                            continue
                        for backend in _consts(entry.get("BACKEND")):
                            options = _class_options(analyzer, path, backend)
                            seen.add(_key(analyzer, path, backend))
                            if options is None:
                                continue
                            for given in entry.get("OPTIONS") or ():
                                if isinstance(given, DictV):
                                    options = {**options, **dict(given.items)}
                            where = f"STORAGES[{alias!r}]"
                            _emit(
                                analyzer,
                                path,
                                assigned,
                                names,
                                options,
                                where,
                                assigned["STORAGES"],
                                calls,
                                gaps,
                            )
    _subclasses(analyzer, calls, gaps, seen)
    return calls, gaps


def _key(analyzer: Analyzer, importer: str, backend: str) -> tuple[str, str]:
    module, _, name = backend.rpartition(".")
    return (analyzer.resolve_module(module, importer) or "" if module else "", name)


def _subclasses(
    analyzer: Analyzer, calls: list[ApiCall], gaps: list[Unresolved], seen: set[tuple[str, str]]
) -> None:
    """Repository storage classes no setting names but models use directly
    (``FileField(storage=PrivateMediaStorage())``): each makes the same calls with its own
    attributes, the settings module (the one that sets ``AWS_*`` storage settings) for the rest."""
    settings = next(
        (
            path
            for path, module in sorted(analyzer.modules.items())
            if {"AWS_STORAGE_BUCKET_NAME", "AWS_ACCESS_KEY_ID", "AWS_S3_ACCESS_KEY_ID"}
            & set(_assigned(module.tree))
        ),
        None,
    )
    names = (analyzer.cur.names.get(settings) or {}) if settings else {}
    assigned = _assigned(analyzer.modules[settings].tree) if settings else {}
    for (path, name), node in sorted(analyzer.classes.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        if "." in name or (path, name) in seen:
            continue
        options = _class_options(analyzer, path, f"{_dotted(path)}.{name}", (path, name))
        if options is not None:
            _emit(analyzer, path, assigned, names, options, name, node.lineno, calls, gaps)


def _dotted(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _class_options(
    analyzer: Analyzer, importer: str, backend: str, key: tuple[str, str] | None = None
) -> dict[str, Values] | None:
    """{} for a django-storages S3 backend; a repository subclass's class attributes
    (``bucket_name = "media"``, ``location``, ``default_acl``); None for any other backend."""
    if backend in _BACKENDS:
        return {}
    module, _, name = backend.rpartition(".")
    path = key[0] if key else analyzer.resolve_module(module, importer) if module else None
    node = analyzer.classes.get((path, name)) if path else None
    if node is None:
        return None
    scope = analyzer.scope(path or "", None, None, dict(analyzer.cur.names.get(path or "", {})))
    chain = analyzer.class_hierarchy().get((path or "", name), [(path or "", name)])
    based = False
    options: dict[str, Values] = {}
    for key in reversed(chain):  # the subclass's attributes win
        cls = analyzer.classes.get(key)
        if cls is None:
            continue
        if any(_base_name(b) in _BASE_NAMES for b in cls.bases):
            based = True
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name) and target.id in _OPTIONS.values():
                        options[target.id] = scope.eval(stmt.value)
    return options if based else None


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _emit(
    analyzer: Analyzer,
    path: str,
    assigned: dict[str, int],
    names: dict[str, Values],
    options: dict[str, Values],
    where: str,
    line: int,
    calls: list[ApiCall],
    gaps: list[Unresolved],
) -> None:
    def setting(name: str, *fallbacks: str) -> Values | None:
        option = _OPTIONS.get(name)
        if option is not None and option in options:
            return options[option]
        for candidate in (name, *fallbacks):
            if candidate in names:
                return names[candidate]
        return None

    creds = setting("AWS_S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID")
    secret = setting("AWS_S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY")
    region = setting("AWS_S3_REGION_NAME")
    origin = Origin(creds or None, region or None, path, line, secret or None)
    bucket = frozenset(v for v in setting("AWS_STORAGE_BUCKET_NAME") or () if not _none(v))
    for read in sorted((v for v in bucket if isinstance(v, EnvRead)), key=lambda v: v.name):
        # an environment variable no deployment file sets: a placeholder named after it
        bucket = (bucket - {read}) | {Const(f"<{read.name}>")}
        gaps.append(
            Unresolved(
                path,
                line,
                f"django-storages {where}",
                f"the bucket is read from {read.name}, which no deployment file sets: replace <{read.name}> "
                "in the S3 grants with the bucket",
            )
        )
    if not bucket:
        bucket = frozenset({Const(PLACEHOLDER)})
        gaps.append(
            Unresolved(
                path,
                line,
                f"django-storages {where}",
                f"AWS_STORAGE_BUCKET_NAME is not set where keyshift can read it: replace {PLACEHOLDER} "
                "in the S3 grants with the bucket",
            )
        )
    location = [v.value.strip("/") for v in setting("AWS_LOCATION") or () if isinstance(v, Const)]
    if location and location[0]:
        key: Values = frozenset({Prefix(location[0] + "/")})
        prefix: Values = frozenset({Const(location[0] + "/")})
    else:
        key, prefix = frozenset({Glob("*")}), frozenset({Const("")})
    via = f"django-storages {where}"
    for method, params in (
        ("get_object", (("Bucket", bucket), ("Key", key))),
        ("put_object", (("Bucket", bucket), ("Key", key))),
        ("delete_object", (("Bucket", bucket), ("Key", key))),
        ("list_objects_v2", (("Bucket", bucket), ("Prefix", prefix))),
    ):
        calls.append(ApiCall("s3", method, params, origin, path, line, via, transfer=method == "put_object"))
    acl = setting("AWS_DEFAULT_ACL")
    if acl and any(not _none(v) for v in acl):
        calls.append(
            ApiCall("s3", "put_object_acl", (("Bucket", bucket), ("Key", key)), origin, path, line, via)
        )


def _none(value: object) -> bool:
    """``None`` (or an unevaluable default of it): no ACL, no bucket."""
    return isinstance(value, Const) and value.value in ("", "None")
