"""Which calls construct a boto3/botocore client, resource or session, found by qualified name.

Matching goes through libcst's ``QualifiedNameProvider`` and ``ScopeProvider`` rather than
spelling, so ``import boto3 as b3`` or ``from boto3.session import Session`` resolve, and a vendor
SDK's ``Session().client(...)`` with the same keyword names does not. ``collect_call_sites`` is the
read-only view the planner uses: where each client is made, for which service, and which
methods the code calls on it.

``CallSite.methods`` holds method names called on the variable the client or resource is bound
to, in source order without duplicates; a chain on a resource is joined with dots
(``Bucket.objects.filter``), and ``get_paginator("x")`` / ``get_waiter("x")`` with a literal
argument add ``get_paginator:x`` / ``get_waiter:x``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst.metadata import (
    Assignment,
    CodeRange,
    MetadataWrapper,
    PositionProvider,
    ScopeProvider,
)

from keyshift.awsnames import (
    CREDENTIAL_KWARGS,
    DIRECT_TARGETS,
    SDK_MODULES,
    SESSION_FACTORIES,
    SESSION_METHODS,
)
from keyshift.codemod.metadata import Wrapper
from keyshift.codemod.values import Metadata, bound_value, dotted_name, literal_text
from keyshift.model import CallSite, Location
from keyshift.pyguard import TooDeep, check_depth
from keyshift.redact import quiet_compiler, sha1_hex

TEXT_MARKERS = tuple(module.encode() for module in SDK_MODULES)


@dataclass(frozen=True, slots=True)
class Target:
    """A matched call: what it makes and the qualified name it was recognised by."""

    call: cst.Call
    factory: str
    qualified: str


def resolve_metadata(wrapper: Wrapper) -> Metadata:
    """Scopes from libcst; parents, calls, assignments, strings ... from the node list of the
    positions pass (``Wrapper.nodes``), sorted into kinds in one loop."""
    module = wrapper.module
    star = any(
        isinstance(stmt, cst.SimpleStatementLine)
        and any(isinstance(s, cst.ImportFrom) and isinstance(s.names, cst.ImportStar) for s in stmt.body)
        for stmt in module.body
    )
    nodes = wrapper.nodes()
    meta = Metadata(scopes=wrapper.resolve(ScopeProvider), parents=nodes.parents, star_import=star)
    parents = nodes.parents
    # exact types, not isinstance: libcst's node classes are final, and ABC checks cost more
    kinds: dict[type[cst.CSTNode], list[Any]] = {
        cst.Assign: meta.assigns,
        cst.Subscript: meta.reads,
        cst.ClassDef: meta.classes,
        cst.Dict: meta.dicts,
        cst.FormattedString: meta.fstrings,
    }
    for node in nodes.order:
        if type(node) is cst.Call:
            meta.calls.append(node)
            func = node.func
            if type(func) is cst.Attribute and func.attr.value in ("get", "getstr"):
                meta.reads.append(node)
        elif type(node) is cst.SimpleString or type(node) is cst.ConcatenatedString:
            if type(parents.get(node)) is not cst.ConcatenatedString:  # "a" "b" is one string
                meta.strings.append(node)
        else:
            found = kinds.get(type(node))
            if found is not None:
                found.append(node)
    return meta


class _Collector(cst.CSTVisitor):
    """Parents of every node, plus the calls, assignments, strings, f-strings, dict displays,
    reads and classes in source order (one traversal serves every check)."""

    def __init__(self) -> None:
        super().__init__()
        self.parents: dict[cst.CSTNode, cst.CSTNode] = {}
        self.calls: list[cst.Call] = []
        self.assigns: list[cst.Assign] = []
        self.strings: list[cst.SimpleString | cst.ConcatenatedString] = []
        self.reads: list[cst.Subscript | cst.Call] = []
        self.classes: list[cst.ClassDef] = []
        self.dicts: list[cst.Dict] = []
        self.fstrings: list[cst.FormattedString] = []
        self.stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self.stack:
            self.parents[node] = self.stack[-1]
        self.stack.append(node)
        if isinstance(node, cst.Call):
            self.calls.append(node)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("get", "getstr"):
                self.reads.append(node)
        elif isinstance(node, cst.Assign):
            self.assigns.append(node)
        elif isinstance(node, cst.SimpleString | cst.ConcatenatedString):
            if not isinstance(self.stack[-2] if len(self.stack) > 1 else None, cst.ConcatenatedString):
                self.strings.append(node)  # the parts of "a" "b" are one string
        elif isinstance(node, cst.Subscript):
            self.reads.append(node)
        elif isinstance(node, cst.ClassDef):
            self.classes.append(node)
        elif isinstance(node, cst.Dict):
            self.dicts.append(node)
        elif isinstance(node, cst.FormattedString):
            self.fstrings.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


def parent_map(module: cst.Module) -> dict[cst.CSTNode, cst.CSTNode]:
    """Each node's parent (what ``ParentNodeProvider`` gives, at a fraction of its cost)."""
    collector = _Collector()
    module.visit(collector)
    return collector.parents


class TargetMatcher:
    """Decides whether a ``Call`` node is a boto3-family factory call."""

    def __init__(self, meta: Metadata) -> None:
        self.meta = meta

    def match(self, call: cst.Call) -> Target | None:
        names = self.meta.names(call.func)
        if names and all(n in DIRECT_TARGETS for n in names):
            qualified = min(names)
            return Target(call, DIRECT_TARGETS[qualified], qualified)
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in SESSION_METHODS:
            session = self.session_name(func.value, 0)
            if session is not None:
                return Target(call, func.attr.value, f"{session}().{func.attr.value}")
        return None

    def session_name(self, node: cst.BaseExpression, depth: int) -> str | None:
        """The session factory ``node`` evaluates to, if it provably is one."""
        if depth > 4:
            return None
        if isinstance(node, cst.Call):
            names = self.meta.names(node.func)
            if names and names <= SESSION_FACTORIES:
                return min(names)
            return None
        if not isinstance(node, cst.Name):
            return None
        scope = self.meta.scope(node)
        if scope is None:
            return None
        assignments = scope[node.value]
        found: set[str] = set()
        for assignment in assignments:
            if not isinstance(assignment, Assignment) or not isinstance(assignment.node, cst.Name):
                return None
            value = bound_value(self.meta.parents, assignment.node)
            name = self.session_name(value, depth + 1) if value is not None else None
            if name is None:
                return None
            found.add(name)
        return min(found) if found else None


def find_targets(wrapper: MetadataWrapper, meta: Metadata) -> list[Target]:
    """Every target call in the module, in source order."""
    matcher = TargetMatcher(meta)
    found: list[Target] = []
    for call in meta.calls:
        target = matcher.match(call)
        if target is not None:
            found.append(target)
    return found


def service_name(call: cst.Call, factory: str) -> str | None:
    """The literal service name a client/resource is made for (``None`` for sessions)."""
    if factory not in SESSION_METHODS:
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "service_name":
            return literal_text(arg.value)
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return literal_text(call.args[0].value)
    return None


def _binding_target(parents: Mapping[cst.CSTNode, cst.CSTNode], call: cst.Call) -> cst.BaseExpression | None:
    """The expression the call's result is bound to (``x = ...``, ``with ... as x``)."""
    parent = parents.get(call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        return parent.targets[0].target
    if isinstance(parent, cst.AnnAssign):
        return parent.target
    if isinstance(parent, cst.WithItem) and parent.asname is not None:
        return parent.asname.name
    if isinstance(parent, cst.Await):
        return _binding_target(parents, parent)  # type: ignore[arg-type]
    return None


def _method_chain(parents: Mapping[cst.CSTNode, cst.CSTNode], name: cst.Name) -> str | None:
    """``s3.Bucket(x).objects.filter()`` seen from the ``s3`` Name -> ``Bucket.objects.filter``."""
    parts: list[str] = []
    node: cst.CSTNode = name
    extra: str | None = None
    while True:
        parent = parents.get(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            parts.append(parent.attr.value)
            node = parent
            continue
        if isinstance(parent, cst.Call) and parent.func is node:
            if parts and parts[-1] in ("get_paginator", "get_waiter") and parent.args:
                literal = literal_text(parent.args[0].value)
                if literal:
                    extra = f"{parts[-1]}:{literal}"
            node = parent
            grand = parents.get(node)
            if isinstance(grand, cst.Attribute) and grand.value is node:
                continue
            break
        break
    if not parts:
        return None
    chain = ".".join(parts)
    return f"{chain}\n{extra}" if extra else chain


def _methods(
    meta: Metadata, positions: Mapping[cst.CSTNode, CodeRange], bound: cst.BaseExpression
) -> tuple[str, ...]:
    if not isinstance(bound, cst.Name):
        return ()
    scope = meta.scope(bound)
    if scope is None:
        return ()
    out: list[str] = []
    for assignment in scope.assignments[bound.value]:
        if not isinstance(assignment, Assignment) or assignment.node is not bound:
            continue
        refs = sorted(
            assignment.references,
            key=lambda a: (positions[a.node].start.line, positions[a.node].start.column),
        )
        for access in refs:
            if not isinstance(access.node, cst.Name):
                continue
            chain = _method_chain(meta.parents, access.node)
            if chain:
                for item in chain.split("\n"):
                    if item not in out:
                        out.append(item)
    return tuple(out)


def collect_call_sites(module_source: str, path: str) -> list[CallSite]:
    """Every boto3-family factory call in ``module_source``; read-only, for the planner.

    Returns ``[]`` for source that does not parse or cannot contain a target.
    """
    if not any(marker.decode() in module_source for marker in TEXT_MARKERS):
        return []
    with quiet_compiler():  # literal evaluation compiles user strings: no warning may echo them
        try:
            check_depth(module_source)  # libcst crashes the process on nesting Python refuses
            module = cst.parse_module(module_source)
        except (cst.ParserSyntaxError, TooDeep):
            return []
        return call_sites_of(Wrapper(module, unsafe_skip_copy=True), path)


def call_sites_of(
    wrapper: Wrapper, path: str, removed: Mapping[int, tuple[str, ...]] | None = None
) -> list[CallSite]:
    """``CallSite`` records for a parsed module (``removed`` maps id(call) to removed kwargs)."""
    meta = resolve_metadata(wrapper)
    positions = wrapper.resolve(PositionProvider)
    from keyshift.codemod.values import ValueTracer

    tracer = ValueTracer(meta)
    out: list[CallSite] = []
    for target in find_targets(wrapper, meta):
        call = target.call
        pos = positions[call]
        bound = _binding_target(meta.parents, call)
        sha1s: set[str] = set()
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in CREDENTIAL_KWARGS:
                sha1s.update(sha1_hex(lit) for lit in tracer.trace(arg.value).literals)
        methods = _methods(meta, positions, bound) if bound is not None else ()
        out.append(
            CallSite(
                location=Location(path, pos.start.line, pos.start.column + 1),
                service=service_name(call, target.factory),
                factory=target.factory,
                target=dotted_name(bound) if bound is not None else None,
                methods=methods,
                credential_sha1s=frozenset(sha1s),
                removed_kwargs=(removed or {}).get(id(call), ()),
            )
        )
    return out
