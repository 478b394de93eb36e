"""``codemod.metadata.Wrapper``: the same libcst metadata as ``MetadataWrapper``, fewer walks."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import (
    ExpressionContextProvider,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from keyshift.codemod.metadata import Wrapper

SOURCE = """import boto3 as b3
from os import environ

KEY = environ["AWS_ACCESS_KEY_ID"]


class Settings:
    key = KEY

    def client(self, region):
        return b3.client("s3", aws_access_key_id=self.key, region_name=region)


print([k for k in (KEY,)], lambda x: x + 1)
"""


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


#: shapes where libcst records a syntactic range, hoists one from a child, or where a visitor's
#: field order is not the source order (``as`` names, ``del``)
SHAPES = {
    "decorated": "@app.route('/x')\n@other\nasync def f(a, *, b=1) -> int:\n    return await g(a)\n",
    "class": "class A(B, metaclass=M):\n    '''doc'''\n    x: int = 1\n    def m(self): ...\n",
    "strings": "s = 'a' 'b' f'{x!r:>{w}}' r'\\d'\nt = (\n    'c'\n    'd'\n)\n",
    "with-as": "with open(p) as fh, ctx() as (a, b):\n    pass\ntry:\n    x()\nexcept E as e:\n    del d['k'], e\n",
    "imports": "import a.b as c\nfrom x import (y as z,\n    w)\nfrom . import *\n",
    "crlf": "import boto3\r\nc = boto3.client(\r\n    's3',\r\n)\r\n",
    "tabs": "if x:\n\tif y:\n\t\tz = {'k': [1, 2], **m}\n\telse:\n\t\tpass\n",
    "comments": "# head\n\n# lead\nx = 1  # trail\n\n\n# foot\n",
    "no-newline": "x = lambda a, /, b: (yield)",
    "empty": "",
    "match": "match v:\n    case {'k': [1, *rest]} | None if rest:\n        pass\n    case _:\n        pass\n",
    "walrus-slice": "if (n := len(a[1:2, ::3])) > 0:\n    print(*a, sep='', **kw)\n",
    "continuation": "x = 1 + \\\n    2\nglobal g\nassert x, 'm'\n",
}


def _kinds(nodes: list[cst.CSTNode]) -> list[cst.CSTNode]:
    """The nodes ``resolve_metadata`` sorts into lists; their order is what the analysis reads."""
    kept = (
        cst.Call,
        cst.Assign,
        cst.SimpleString,
        cst.ConcatenatedString,
        cst.Subscript,
        cst.ClassDef,
        cst.Dict,
        cst.FormattedString,
    )
    return [n for n in nodes if isinstance(n, kept)]


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_one_pass_positions_parents_and_order_are_libcsts(name: str) -> None:
    """``Wrapper.nodes``'s render pass gives libcst's positions and parents for every node it
    renders (libcst's own positions skip the few whitespace nodes that print nothing, in some
    ``match`` patterns), and the analysed kinds in the order a libcst visitor meets them."""
    module = cst.parse_module(SHAPES[name])
    ours = Wrapper(module, unsafe_skip_copy=True)
    nodes = ours.nodes()
    theirs = MetadataWrapper(module, unsafe_skip_copy=True)
    positions, expected = ours.resolve(PositionProvider), theirs.resolve(PositionProvider)
    every = [n for n in _nodes(module) if n in expected]
    assert len(positions) == len(expected) == len(every) == len(nodes.order)
    assert all(positions[n] == expected[n] for n in every)
    assert {id(n) for n in nodes.order} == {id(n) for n in every}
    assert [id(n) for n in _kinds(nodes.order)] == [id(n) for n in _kinds(every)]
    parents = theirs.resolve(ParentNodeProvider)
    assert all(nodes.parents[n] is parents[n] for n in every if n is not module)
    assert module not in nodes.parents


def test_positions_asked_first_come_from_the_same_pass() -> None:
    """Resolving ``PositionProvider`` (directly or as a dependency) runs the one pass, once."""
    module = cst.parse_module(SHAPES["decorated"])
    wrapper = Wrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    nodes = wrapper.nodes()
    assert wrapper.nodes() is nodes
    assert wrapper.resolve(PositionProvider) is positions
    call = next(n for n in nodes.order if isinstance(n, cst.Call))
    assert positions[call] is positions[call]  # one CodeRange per node, made when first read
    assert (positions[call].start.line, positions[call].start.column) == (1, 1)
