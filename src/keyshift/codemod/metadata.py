"""``Wrapper``: libcst's ``MetadataWrapper`` without the tree walks that compute nothing.

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
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from libcst import BatchableCSTVisitor, MetadataWrapper

if TYPE_CHECKING:
    from libcst import CSTNode

#: visitor class -> does it define ``visit_Module`` and no other visitor method?
_MODULE_ONLY: dict[type, bool] = {}


def _module_only(visitor: BatchableCSTVisitor) -> bool:
    kind = type(visitor)
    known = _MODULE_ONLY.get(kind)
    if known is None:
        known = _MODULE_ONLY[kind] = set(visitor.get_visitors()) == {"visit_Module"}
    return known


class Wrapper(MetadataWrapper):
    """A ``MetadataWrapper`` whose metadata passes skip the tree walks that visit nothing."""

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
