"""Remove static credentials from boto3-family call sites so they use the default credential chain.

``fix_module`` is the whole transform as a function of one parsed module: it finds target calls
by qualified name (``callsites``), decides per call whether every credential value is ambient
(``values``), removes the credential keyword arguments, then deletes module-level constants and
imports that only fed them (``__all__`` read with libcst's ``GatherExportsVisitor``; the
statement removal is ours, since libcst's ``RemoveImportsVisitor`` drops the comment lines above
a removed import, and a comment goes only when everything it introduced goes). A module with
any site that must stay (a parameter, a ``self.`` attribute, ``**dict``, positional
credentials) is returned unchanged: keyshift never half-fixes a file a human has to look at
anyway; ``notes`` reports every credential the rewrite leaves alone. The one transform is
``fix_module``: ``keyshift fix``/``migrate`` run it through ``fix_source``, and
``python -m libcst.tool codemod`` through ``RemoveStaticCredentialsCommand``, which wraps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import (
    Assignment,
    CodeRange,
    GlobalScope,
    ImportAssignment,
    PositionProvider,
)

from keyshift.awsnames import CREDENTIAL_KWARGS, FIRST_POSITIONAL_CREDENTIAL, KEY_ID, is_credential_name
from keyshift.codemod.callsites import Target, find_targets, resolve_metadata
from keyshift.codemod.edits import ArgRemover, check_parses, delete_statements, remove_import_names
from keyshift.codemod.endpoints import other_service_reason, session_endpoint_calls
from keyshift.codemod.metadata import Wrapper
from keyshift.codemod.notes import config_files, dead_read_notes, kept_literal_notes, leftover_notes
from keyshift.codemod.records import (
    Note,
    SiteReport,
    Trace,
    ValueReport,
    site_outcome,
    unseen_note,
)
from keyshift.codemod.values import Metadata, ValueTracer, file_paths, literal_text
from keyshift.pyguard import check_depth
from keyshift.redact import quiet_compiler

if TYPE_CHECKING:
    from keyshift.codemod.command import RemoveStaticCredentialsCommand

__all__ = [
    "ModuleFix",
    "Note",
    "RemoveStaticCredentialsCommand",
    "SiteReport",
    "ValueReport",
    "fix_module",
    "fix_source",
]

#: Reads of the environment with no side effect: a constant bound to one is dead with its uses.
_DEAD_RHS_CALLS = frozenset({"os.getenv", "os.getenvb", "os.environ.get", "decouple.config"})


@dataclass(slots=True)
class ModuleFix:
    """Result of ``fix_module``. ``secrets`` exists only to redact diffs; never print it."""

    module: cst.Module
    changed: bool
    sites: list[SiteReport] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    removed_constants: list[tuple[str, int]] = field(default_factory=list)
    removed_imports: list[tuple[str, int]] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)
    code: str = ""  # the rewritten source, generated once
    #: (line, path) of configuration files the module opens, for the runner to look into
    config_files: list[tuple[int, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Site:
    target: Target
    drop: set[int]
    traces: dict[str, Trace]
    reason: str | None
    names: list[cst.Name]
    unseen: list[str] = field(default_factory=list)


def _analyse(target: Target, tracer: ValueTracer) -> _Site:
    call = target.call
    drop: set[int] = set()
    traces: dict[str, Trace] = {}
    names: list[cst.Name] = []
    reason: str | None = None
    positional = 0
    unseen: list[str] = []
    for index, arg in enumerate(call.args):
        if arg.star == "*":
            unseen.append(f"positional arguments come through *{_shown(arg.value)}")
        elif arg.star == "**":
            visible = _double_star_reason(arg, tracer)
            if visible is None:
                unseen.append(f"keyword arguments come through **{_shown(arg.value)}")
            reason = reason or visible
        elif arg.keyword is None:
            positional += 1
        elif arg.keyword.value in CREDENTIAL_KWARGS:
            drop.add(index)
            trace = tracer.trace(arg.value)
            traces[arg.keyword.value] = trace
            if isinstance(arg.value, cst.Name):
                names.append(arg.value)
            if trace.reason is not None and reason is None:
                reason = f"{arg.keyword.value}: {trace.reason}"
    first = FIRST_POSITIONAL_CREDENTIAL.get(target.factory)
    if first is not None and positional > first and reason is None:
        reason = "credentials are passed positionally"
    return _Site(target, drop, traces, reason, names, unseen)


def _shown(node: cst.BaseExpression) -> str:
    text = cst.Module([]).code_for_node(node)
    return text if len(text) <= 40 else text[:37] + "..."


def _double_star_reason(arg: cst.Arg, tracer: ValueTracer) -> str | None:
    """Report-only when a ``**mapping`` may carry credential keys (``None`` otherwise).

    It may when its keys are visible and include one (``**AWS``, ``**dict(...)``, a name
    filled by ``creds["aws_access_key_id"] = ...``), or, for a mapping keyshift cannot see into
    (``**self.config``, ``**load()``), when the module names a credential key anywhere else,
    when the mapping is named as credentials (``**creds``, ``**self.aws_credentials``),
    when the mapping is object state (``**self.config``: filled elsewhere, often from a config
    file) or when it is read from a configuration file. A plain ``**kwargs`` parameter passed
    through stays an informational note: the caller decides.
    """
    keys = _dict_keys(arg.value, tracer.meta)
    if keys is None:
        shown = _shown(arg.value)
        hints = _credential_key_mentions(tracer.meta)
        if hints:
            return (
                f"keyword arguments come through **{shown}, and this module names "
                f"{', '.join(hints)}: they may carry credentials"
            )
        named = arg.value.attr.value if isinstance(arg.value, cst.Attribute) else _shown(arg.value)
        if "cred" in named.lower() or is_credential_name(named):
            return f"keyword arguments come through **{shown}, named as credentials"
        root = arg.value
        while isinstance(root, cst.Attribute | cst.Subscript):
            root = root.value
        if isinstance(root, cst.Name) and root.value in ("self", "cls") and root is not arg.value:
            return f"keyword arguments come through **{shown}, object state keyshift cannot see into"
        files = file_paths(tracer.meta, arg.value)
        if files:
            return f"keyword arguments come through **{shown}, read from {', '.join(files)}"
        return None
    hits = sorted(k for k in keys if k in CREDENTIAL_KWARGS)
    if hits:
        return f"credentials ({', '.join(hits)}) come through **dict"
    return None


def _credential_key_mentions(meta: Metadata) -> list[str]:
    """Credential keyword names the module spells as strings (mapping keys, subscripts)."""
    found: set[str] = set()
    for node in meta.strings:
        text = literal_text(node)
        if text in CREDENTIAL_KWARGS:
            found.add(text)
    return sorted(found)


def _dict_keys(node: cst.BaseExpression, meta: Metadata, depth: int = 0) -> set[str] | None:
    if depth > 4:
        return None
    if isinstance(node, cst.Dict):
        if any(isinstance(el, cst.StarredDictElement) for el in node.elements):
            return None
        return {
            k for el in node.elements if isinstance(el, cst.DictElement) for k in [literal_text(el.key)] if k
        }
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        if any(a.keyword is None for a in node.args):
            return None
        return {a.keyword.value for a in node.args if a.keyword is not None}
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and not node.args:
        return _returned_keys(node.func, meta, depth)
    if isinstance(node, cst.Name):
        scope = meta.scope(node)
        if scope is None:
            return None
        keys: set[str] = set()
        assignments = scope[node.value]
        if not assignments:
            return None
        for assignment in assignments:
            if not isinstance(assignment, Assignment) or not isinstance(assignment.node, cst.Name):
                return None
            parent = meta.parents.get(assignment.node)
            stmt = meta.parents.get(parent) if isinstance(parent, cst.AssignTarget) else None
            found = _dict_keys(stmt.value, meta, depth + 1) if isinstance(stmt, cst.Assign) else None
            if found is None:
                return None
            keys |= found
        # subscript stores: creds["aws_access_key_id"] = ...
        for access in scope.accesses[node.value]:
            parent = meta.parents.get(access.node)
            if isinstance(parent, cst.Subscript) and len(parent.slice) == 1:
                index = parent.slice[0].slice
                if isinstance(index, cst.Index):
                    text = literal_text(index.value)
                    if text and isinstance(meta.parents.get(parent), cst.AssignTarget):
                        keys.add(text)
        return keys
    return None


def _returned_keys(func: cst.Name, meta: Metadata, depth: int) -> set[str] | None:
    """Keys of the mappings a module function returns (``storage_options=get_options()``)."""
    scope = meta.scope(func)
    assignments = scope[func.value] if scope is not None else ()
    if len(assignments) != 1:
        return None
    (assignment,) = assignments
    definition = assignment.node if isinstance(assignment, Assignment) else None
    if not isinstance(definition, cst.FunctionDef):
        return None
    keys: set[str] = set()
    returns = [n for n in _walk(definition.body) if isinstance(n, cst.Return) and n.value is not None]
    for ret in returns:
        assert ret.value is not None
        found = _dict_keys(ret.value, meta, depth + 1)
        if found is None:
            return None
        keys |= found
    return keys if returns else None


def fix_source(data: bytes) -> ModuleFix:
    """Parse one file's bytes once and run the transform on it, minus libcst's defensive copy
    of the tree (raises ``libcst.ParserSyntaxError``).

    ``fix_module`` directly, not through the command: the command's own wrapping serves
    libcst's runner only (it renders the whole original file again to scrub libcst's diff and
    warnings, about a fifth of a file's cost); ``keyshift fix`` scrubs its own outputs.
    """
    check_depth(data)  # libcst crashes the process on nesting Python itself refuses
    wrapper = Wrapper(cst.parse_module(data), unsafe_skip_copy=True)
    with quiet_compiler():  # literal evaluation compiles user strings: no warning may echo them
        return fix_module(wrapper)


def fix_module(wrapper: Wrapper) -> ModuleFix:
    """Analyse and rewrite one module; the input module object is never mutated."""
    result = _fix_module(wrapper)
    seen: set[tuple[str, str]] = set()
    notes: list[Note] = []
    # a literal key another note already names (revoke, kept constant, setting) is said once
    said = {m.group(0) for n in result.notes if n.kind != "literal-key" for m in KEY_ID.finditer(n.message)}
    human_lines = {n.line for n in result.notes if n.needs_human and n.kind != "literal-key"}
    for note in sorted(result.notes, key=lambda n: (n.line, n.kind, n.message)):
        if note.kind == "literal-key" and (
            note.line in human_lines or any(m.group(0) in said for m in KEY_ID.finditer(note.message))
        ):
            continue
        if (note.kind, note.message) not in seen:  # one note per fact, at its first line
            seen.add((note.kind, note.message))
            notes.append(note)
    result.notes = notes
    return result


def _fix_module(wrapper: Wrapper) -> ModuleFix:
    original = wrapper.module
    meta = resolve_metadata(wrapper)
    positions = wrapper.resolve(PositionProvider)
    tracer = ValueTracer(meta)
    sites = [_analyse(t, tracer) for t in find_targets(wrapper, meta)]
    result = ModuleFix(module=original, changed=False)
    result.config_files = config_files(meta, positions)
    # a LocalStack/MinIO endpoint set on a session's client/resource (``self.session.resource``,
    # a session passed in), not on the session call itself
    session_endpoint = bool(session_endpoint_calls(meta))
    other_service: set[str] = set()  # constants holding another service's keys: not AWS settings
    for site in sites:
        if site.drop and site.reason is None:
            site.reason = other_service_reason(
                site.target.call, meta, site.traces, session_endpoint and site.target.factory == "Session"
            )
            if site.reason is not None:
                other_service.update(n.value for n in site.names)
    blocked = any(s.reason is not None for s in sites)
    for site in sites:
        for text in site.unseen:
            result.notes.append(unseen_note(positions[site.target.call].start.line, text))
        if not site.drop and site.reason is None:
            continue
        pos = positions[site.target.call].start
        removed = tuple(
            a.keyword.value for i, a in enumerate(site.target.call.args) if i in site.drop and a.keyword
        )
        keywords = {a.keyword.value for a in site.target.call.args if a.keyword is not None}
        report, notes, secrets = site_outcome(
            line=pos.line,
            column=pos.column + 1,
            factory=site.target.factory,
            qualified=site.target.qualified,
            blocked=blocked,
            removed=removed,
            reason=site.reason,
            traces=site.traces,
            endpoint_url="endpoint_url" in keywords
            or (site.target.factory == "Session" and session_endpoint),
        )
        result.sites.append(report)
        result.notes.extend(notes)
        result.secrets.update(secrets)
    edits = {s.target.call: s.drop for s in sites if s.drop}
    targets = frozenset(id(s.target.call) for s in sites)

    def dict_keys(node: cst.BaseExpression) -> set[str] | None:
        return _dict_keys(node, meta)

    if blocked or not edits:
        result.notes.extend(
            leftover_notes(
                wrapper, meta, positions, frozenset(other_service), dict_keys=dict_keys, targets=targets
            )
        )
        if blocked:  # the report-only sites already send a human to the file
            result.notes = [n for n in result.notes if n.kind != "literal-key"]
        return result
    new_module = original.visit(ArgRemover(edits, meta.parents))
    removed_values = [a.value for s in sites for i, a in enumerate(s.target.call.args) if i in s.drop]
    candidates = _candidates(sites, meta, removed_values)
    inside = _nodes_inside(removed_values)
    removed_names = {id(n) for n in inside if isinstance(n, cst.Name)}
    new_module, consts, imports = _remove_dead(
        original, new_module, meta, positions, candidates, removed_names
    )
    result.removed_constants = consts
    result.removed_imports = imports
    result.notes.extend(
        leftover_notes(
            wrapper,
            meta,
            positions,
            frozenset(n for n, _ in consts),
            dict_keys=dict_keys,
            skip_nodes=frozenset(id(n) for n in inside),
            targets=targets,
        )
    )
    result.notes.extend(kept_literal_notes(original, positions, candidates, {n for n, _ in consts}))
    result.notes.extend(dead_read_notes(meta, positions, inside, removed_names, {n for n, _ in consts}))
    try:
        result.code = new_module.code
        check_parses(result.code, original)
    except (SyntaxError, ValueError, cst.ParserSyntaxError):  # pragma: no cover - a bug guard
        result.notes.append(Note(1, "internal", "the rewrite did not parse again; file left unchanged", True))
        result.sites = [_as_report_only(s, "internal check failed") for s in result.sites]
        return result
    result.module = new_module
    result.changed = True
    return result


def _as_report_only(site: SiteReport, reason: str) -> SiteReport:
    return SiteReport(
        site.line, site.column, site.factory, site.qualified, "report-only", (), reason, site.values
    )


def _candidates(sites: list[_Site], meta: Metadata, removed: list[cst.BaseExpression]) -> set[str]:
    """Module-level names that fed a removed argument: constants and imports passed directly,
    and imports used anywhere inside one (``os`` of ``os.environ[...]``, ``settings`` of
    ``settings.AWS_ACCESS_KEY_ID``)."""
    out: set[str] = set()
    for site in sites:
        for name in site.names:
            scope = meta.scope(name)
            if scope is None:
                continue
            assignments = scope[name.value]
            if assignments and all(
                isinstance(a, Assignment | ImportAssignment) and isinstance(a.scope, GlobalScope)
                for a in assignments
            ):
                out.add(name.value)
    out.update(n.value for n in _nodes_inside(removed) if isinstance(n, cst.Name) and _global_import(meta, n))
    return out


def _global_import(meta: Metadata, node: cst.Name) -> bool:
    scope = meta.scope(node)
    assignments = scope[node.value] if scope is not None else ()
    return bool(assignments) and all(
        isinstance(a, ImportAssignment) and isinstance(a.scope, GlobalScope) for a in assignments
    )


def _all_names(module: cst.Module) -> set[str]:
    """Names listed in ``__all__`` (libcst's ``GatherExportsVisitor``): they stay."""
    if not any(_binds_all(stmt) for stmt in module.body):
        return set()  # the visitor costs as much as the scope analysis: only where it can find something
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import GatherExportsVisitor

    visitor = GatherExportsVisitor(CodemodContext())
    module.visit(visitor)
    return set(visitor.explicit_exported_objects)


def _binds_all(stmt: cst.CSTNode) -> bool:
    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            targets = (
                [t.target for t in small.targets]
                if isinstance(small, cst.Assign)
                else [small.target]
                if isinstance(small, cst.AugAssign | cst.AnnAssign)
                else []
            )
            if any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets):
                return True
        return False
    # __all__ built inside ``if``/``try`` blocks: let the visitor look
    return isinstance(stmt, cst.BaseCompoundStatement) and not isinstance(
        stmt, cst.FunctionDef | cst.ClassDef
    )


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    out = [node]
    for child in node.children:
        out.extend(_walk(child))
    return out


def _dead_rhs(value: cst.BaseExpression, meta: Metadata) -> bool:
    if literal_text(value) is not None:
        return True
    if isinstance(value, cst.Call):
        return bool(meta.names(value.func) & _DEAD_RHS_CALLS)
    if isinstance(value, cst.Subscript):
        return "os.environ" in meta.names(value.value)
    return False


def _nodes_inside(values: Iterable[cst.BaseExpression]) -> list[cst.CSTNode]:
    """Every node inside the removed argument values."""
    return [node for value in values for node in _walk(value)]


def _remove_dead(
    original: cst.Module,
    module: cst.Module,
    meta: Metadata,
    positions: Mapping[cst.CSTNode, CodeRange],
    candidates: set[str],
    removed_names: set[int],
) -> tuple[cst.Module, list[tuple[str, int]], list[tuple[str, int]]]:
    """Drop module-level constants and ``from`` imports that only fed removed arguments.

    Uses the original module's scope analysis: a binding is unused when every reference to it
    sat inside a removed argument. ``module`` (the rewritten tree) has the same top-level
    statements in the same order, since only call arguments changed.
    """
    if not candidates:
        return module, [], []
    exported = _all_names(original)
    gscope = next(
        (s for s in (meta.scope(stmt) for stmt in original.body) if isinstance(s, GlobalScope)),
        None,
    )
    if gscope is None:
        return module, [], []

    def unused(name: str) -> bool:
        if name in exported:
            return False
        return not any(
            id(access.node) not in removed_names for a in gscope.assignments[name] for access in a.references
        )

    replace: dict[int, cst.BaseStatement | None] = {}
    consts: list[tuple[str, int]] = []
    imports: list[tuple[str, int]] = []
    # constants first: an import that only fed a removed constant (``os`` of
    # ``KEY = os.environ["K"]``) is then unused as well
    removed_names = set(removed_names)
    candidates = set(candidates)
    for index, stmt in enumerate(original.body):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        target: cst.BaseExpression | None = None
        value: cst.BaseExpression | None = None
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target, value = small.targets[0].target, small.value
        elif isinstance(small, cst.AnnAssign):
            target, value = small.target, small.value
        if not isinstance(target, cst.Name) or value is None:
            continue
        if target.value in candidates and unused(target.value) and _dead_rhs(value, meta):
            replace[index] = None
            consts.append((target.value, positions[stmt].start.line))
            inside = [n for n in _walk(value) if isinstance(n, cst.Name)]
            removed_names.update(id(n) for n in inside)
            candidates.update(n.value for n in inside if _global_import(meta, n))
    for index, stmt in enumerate(original.body):
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if isinstance(small, cst.Import | cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
            line = positions[stmt].start.line
            drop: set[int] = set()
            for i, alias in enumerate(small.names):
                bound = alias.evaluated_alias or alias.evaluated_name
                if isinstance(small, cst.Import) and alias.asname is None:
                    bound = bound.split(".", 1)[0]  # ``import os.path`` binds ``os``
                if "." not in bound and bound in candidates and unused(bound):
                    drop.add(i)
                    imports.append((bound, line))
            new_stmt = module.body[index]
            if drop and isinstance(new_stmt, cst.SimpleStatementLine):
                new_import = remove_import_names(small, drop)
                replace[index] = None if new_import is None else new_stmt.with_changes(body=[new_import])
    if not replace:
        return module, [], []
    return module.with_changes(body=delete_statements(module.body, replace)), consts, imports


def __getattr__(name: str) -> object:
    """``RemoveStaticCredentialsCommand`` on first use: libcst's codemod framework (its
    ``matchers`` module alone) costs more to import than ``keyshift fix`` spends on a small tree,
    and only ``python -m libcst.tool codemod`` needs it."""
    if name == "RemoveStaticCredentialsCommand":
        from keyshift.codemod.command import RemoveStaticCredentialsCommand

        return RemoveStaticCredentialsCommand
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
