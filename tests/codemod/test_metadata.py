"""``codemod.metadata.Wrapper``: the same libcst metadata as ``MetadataWrapper``, fewer walks."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from keyshift.codemod.metadata import Wrapper

SOURCE = '''import boto3 as b3
from os import environ

KEY = environ["AWS_ACCESS_KEY_ID"]


class Settings:
    key = KEY

    def client(self, region):
        return b3.client("s3", aws_access_key_id=self.key, region_name=region)


print([k for k in (KEY,)], lambda x: x + 1)
'''


def _nodes(module: cst.Module) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []

    class Every(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            out.append(node)
            return True

    module.visit(Every())
    return out


def test_same_metadata_as_libcst() -> None:
    module = cst.parse_module(SOURCE)
    ours = Wrapper(module, unsafe_skip_copy=True)
    theirs = MetadataWrapper(module, unsafe_skip_copy=True)
    nodes = _nodes(module)
    for provider in (ScopeProvider, PositionProvider, ExpressionContextProvider, QualifiedNameProvider):
        a, b = ours.resolve(provider), theirs.resolve(provider)
        assert set(a) == set(b), provider
        if provider is PositionProvider or provider is ExpressionContextProvider:
            assert all(a.get(n) == b.get(n) for n in nodes), provider
    # the scopes agree on what each name refers to and where it is read
    sa, sb = ours.resolve(ScopeProvider), theirs.resolve(ScopeProvider)
    for node in nodes:
        if isinstance(node, cst.Name) and sa.get(node) is not None:
            left, right = sa[node], sb[node]
            assert left is not None and right is not None
            assert type(left) is type(right)
            assert sorted(q.name for q in left.get_qualified_names_for(node)) == sorted(
                q.name for q in right.get_qualified_names_for(node)
            )
            assert len(left.accesses[node.value]) == len(right.accesses[node.value])


def test_a_provider_with_its_own_walk_still_walks() -> None:
    """``ParentNodeProvider`` visits every node: it keeps libcst's batched walk."""
    module = cst.parse_module(SOURCE)
    parents = Wrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider)
    assert len(parents) == len(MetadataWrapper(module, unsafe_skip_copy=True).resolve(ParentNodeProvider))
