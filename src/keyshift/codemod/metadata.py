"""``Wrapper``: libcst's ``MetadataWrapper`` without the tree walks that compute nothing, and
with positions, parents and the node list from one code-generation pass.

libcst resolves a batchable provider by walking the whole tree with a batched visitor. The
providers the codemod needs do their work elsewhere: ``ExpressionContextProvider`` and
``ScopeProvider`` run their own visitor from ``visit_Module`` and define no other visitor
method, and ``PositionProvider`` is not batchable at all, yet resolving it still ends in a
batched walk with no visitor. On the benchmark's candidate files those three empty walks were
about half of the metadata cost (see docs/benchmarks.md, "Codemod speed").

``Wrapper.visit_batched`` therefore calls ``visit_Module`` directly when every visitor in the
batch defines nothing else (what the batched walk would do, minus the walk), and skips an empty
batch. Dependency resolution, caching and the metadata itself stay libcst's: the same
providers, the same results, read through ``resolve`` as usual. A provider with any other
visitor method (another libcst release, another provider) takes libcst's own walk.

``PositionProvider`` renders the module once, recording where each node starts and ends. That
pass reaches every node that prints anything (libcst's positions leave out the rest too: a few
empty whitespace nodes in ``match`` patterns), in source order, with its parent on the stack, so
``Wrapper.nodes`` takes the node list and the parent map from it instead of a second walk (a
libcst visitor rebuilds every node it passes). The position arithmetic is libcst's
(``PositionProvidingCodegenState``: a node's range, its syntactic range where the node records
one, hoisted from child nodes where it says so) with a fast path for tokens without a line
break, and a range becomes a ``CodeRange`` only when it is read. ``tests/codemod/test_metadata``
compares every node's position, the node order and the parents with libcst's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from libcst import BatchableCSTVisitor, CSTNode, MetadataWrapper
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodePosition, CodeRange, PositionProvider
from libcst.metadata.position_provider import NEWLINE_RE

if TYPE_CHECKING:
    from libcst.metadata.base_provider import ProviderT

#: visitor class -> does it define ``visit_Module`` and no other visitor method?
_MODULE_ONLY: dict[type, bool] = {}


def _module_only(visitor: BatchableCSTVisitor) -> bool:
    kind = type(visitor)
    known = _MODULE_ONLY.get(kind)
    if known is None:
        known = _MODULE_ONLY[kind] = set(visitor.get_visitors()) == {"visit_Module"}
    return known


@dataclass(frozen=True, slots=True)
class Nodes:
    """Every node of a module in source order, and each node's parent (the module has none)."""

    order: list[CSTNode]
    parents: dict[CSTNode, CSTNode]


class Wrapper(MetadataWrapper):
    """A ``MetadataWrapper`` whose metadata passes skip the tree walks that visit nothing, and
    whose positions pass also yields the node list and the parents (``nodes``)."""

    _nodes: Nodes | None = None

    def visit_batched(
        self,
        visitors: Iterable[BatchableCSTVisitor],
        before_visit: Any = None,
        after_leave: Any = None,
    ) -> CSTNode:
        batch = list(visitors)
        if before_visit is not None or after_leave is not None or not all(map(_module_only, batch)):
            return super().visit_batched(batch, before_visit, after_leave)
        with ExitStack() as stack:
            for visitor in batch:  # resolve every dependency first, as libcst does
                stack.enter_context(visitor.resolve(self))
            for visitor in batch:
                visitor.visit_Module(self.module)  # type: ignore[attr-defined]
        return self.module

    def resolve_many(self, providers: Iterable[ProviderT]) -> Mapping[ProviderT, Mapping[CSTNode, object]]:
        providers = list(providers)
        if PositionProvider not in self._metadata and any(
            PositionProvider in _dependencies(p) for p in providers
        ):
            self.nodes()
        return super().resolve_many(providers)

    def nodes(self) -> Nodes:
        """The module's nodes and parents; resolves ``PositionProvider`` in the same pass."""
        if self._nodes is None:
            module = self.module
            state = _Render(module.default_indent, module.default_newline)
            module._codegen(state)
            self._nodes = Nodes(state.order, state.parents)
            if PositionProvider not in self._metadata:
                self._metadata[PositionProvider] = _Ranges(state.ranges)
        return self._nodes


def _dependencies(provider: ProviderT) -> set[ProviderT]:
    seen: set[ProviderT] = set()
    todo = [provider]
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(p.METADATA_DEPENDENCIES)
    return seen


#: a node's range as (start line, start column, end line, end column), as libcst counts them
_Raw = tuple[int, int, int, int]


class _Ranges(Mapping[CSTNode, CodeRange]):
    """``PositionProvider``'s mapping; a range becomes a ``CodeRange`` when first read."""

    __slots__ = ("_made", "_raw")

    def __init__(self, raw: dict[CSTNode, _Raw]) -> None:
        self._raw = raw
        self._made: dict[CSTNode, CodeRange] = {}

    def __getitem__(self, node: CSTNode) -> CodeRange:
        made = self._made.get(node)
        if made is None:
            line, column, end_line, end_column = self._raw[node]
            start, end = CodePosition(line, column), CodePosition(end_line, end_column)
            made = self._made[node] = CodeRange(start, end)
        return made

    def __contains__(self, node: object) -> bool:
        return node in self._raw

    def __iter__(self) -> Iterator[CSTNode]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


class _Render(CodegenState):
    """libcst's ``PositionProvidingCodegenState`` arithmetic, plus the node order and parents."""

    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.line = 1  # one-indexed
        self.column = 0  # zero-indexed
        self.stack: list[tuple[CSTNode, int, int]] = []
        self.ranges: dict[CSTNode, _Raw] = {}
        self.order: list[CSTNode] = []
        self.parents: dict[CSTNode, CSTNode] = {}

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" in value or "\r" in value:
            segments = NEWLINE_RE.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def before_codegen(self, node: CSTNode) -> None:
        stack = self.stack
        if stack:
            self.parents[node] = stack[-1][0]
        self.order.append(node)
        stack.append((node, self.line, self.column))

    def after_codegen(self, node: CSTNode) -> None:
        _, line, column = self.stack.pop()
        if node not in self.ranges:  # a syntactic range recorded inside wins
            self.ranges[node] = (line, column, self.line, self.column)

    def record_syntactic_position(  # type: ignore[override]  # a context manager all the same
        self, node: CSTNode, *, start_node: CSTNode | None = None, end_node: CSTNode | None = None
    ) -> _Syntactic:
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """``record_syntactic_position`` as a plain context manager (libcst's is a generator)."""

    __slots__ = ("column", "end_node", "line", "node", "start_node", "state")

    def __init__(self, state: _Render, node: CSTNode, start_node: CSTNode | None, end_node: CSTNode | None):
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node

    def __enter__(self) -> None:
        self.line = self.state.line
        self.column = self.state.column

    def __exit__(self, *exc: object) -> None:
        state = self.state
        ranges = state.ranges
        line, column, end_line, end_column = self.line, self.column, state.line, state.column
        if self.start_node is not None:
            line, column = ranges[self.start_node][:2]
        if self.end_node is not None:
            end_line, end_column = ranges[self.end_node][2:]
        ranges[self.node] = (line, column, end_line, end_column)
