"""Credentials a function hands to its callers through ``return``.

A helper such as ``def creds(): return os.getenv("AWS_ACCESS_KEY_ID"), os.getenv(...)``, or one
that returns the ``Access key ID`` column of a downloaded key file, has no AWS client in it: the
keys reach boto3 in whatever module calls it, often another file, where they arrive as one more
helper result (``k, s = creds()``; ``boto3.client(**creds())``). The helper is where the static
key comes from, so that is where it is reported, on every run until it is gone.

What counts: a ``return`` whose value holds a credential read, directly or through a local
variable of the same function assigned from one. A credential read is an environment read of a
credential variable (``os.getenv("AWS_SECRET_ACCESS_KEY")``, ``os.environ[...]``) or a mapping
read under a credential key (``row["Access key ID"]``, ``conf.get("aws", "secret_key")``), but
not the ``AccessKeyId`` of temporary credentials (STS, the instance metadata endpoint). The
value may be wrapped in tuples, lists, dicts, ``or``/``if`` expressions, further subscripts and
method calls on it (``.strip()``); a read that is an argument of some other call (a client built
and returned, ``len(key)``) is not handed out as such. Keys from STS (``assume_role``) are
temporary and are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import libcst as cst
from libcst.metadata import CodeRange, FunctionScope

from keyshift.awsnames import CHAIN_ENV_VARS, TEMPORARY_CREDENTIAL_KEYS, is_credential_name
from keyshift.codemod.records import ENV_READS, Note
from keyshift.codemod.values import Metadata, ValueTracer, credential_read_key, literal_text

__all__ = ["returned_credentials"]

#: Calls that hand their argument on unchanged in kind (``str(key)``, ``dict(key=...)``).
_WRAPPERS = frozenset({"str", "dict", "tuple", "list"})
_MAX_HOPS = 12  # a read is at most this many expression levels below its statement


def returned_credentials(meta: Metadata, positions: Mapping[cst.CSTNode, CodeRange]) -> list[Note]:
    """One note per function that returns credentials read in it (see module doc)."""
    found: dict[cst.FunctionDef, tuple[int, dict[str, None]]] = {}  # line, keys in order
    tracer: ValueTracer | None = None
    followed: dict[tuple[int, str], cst.Return | None] = {}  # each local's uses are read once
    for read, key in _credential_reads(meta):
        returned = _returned(meta, read, followed)
        if returned is None:
            continue
        tracer = tracer or ValueTracer(meta)
        reason = tracer.trace(read).reason
        if reason is not None and "temporary credentials" in reason:
            continue
        func = _enclosing_function(meta, returned)
        if func is None:
            continue
        found.setdefault(func, (positions[returned].start.line, {}))[1][key] = None
    return [
        Note(
            line,
            "returned-credentials",
            f"{func.name.value}() returns AWS credentials ({_shown(list(keys))}) to its callers, which "
            "hand a static key to AWS clients (in another module keyshift cannot tell where it came "
            "from): have the callers use the default chain and delete the helper",
            True,
        )
        for func, (line, keys) in found.items()
    ]


def _shown(keys: list[str]) -> str:
    return ", ".join(keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")


def _credential_reads(meta: Metadata) -> Iterator[tuple[cst.BaseExpression, str]]:
    for call in meta.calls:
        if meta.names(call.func) & ENV_READS and call.args and call.args[0].keyword is None:
            var = literal_text(call.args[0].value)
            if var is not None and (var in CHAIN_ENV_VARS or is_credential_name(var)):
                yield call, var
    for read in meta.reads:
        if isinstance(read, cst.Subscript) and "os.environ" in meta.names(read.value):
            index = read.slice[0].slice if len(read.slice) == 1 else None
            var = literal_text(index.value) if isinstance(index, cst.Index) else None
            if var is not None and (var in CHAIN_ENV_VARS or is_credential_name(var)):
                yield read, var
            continue
        hit = credential_read_key(meta, read)
        # a bare "secret" alone is not enough; STS and metadata-endpoint keys are temporary
        if hit is not None and is_credential_name(hit[0]) and hit[0] not in TEMPORARY_CREDENTIAL_KEYS:
            yield read, hit[0]


def _returned(
    meta: Metadata, read: cst.BaseExpression, followed: dict[tuple[int, str], cst.Return | None]
) -> cst.Return | None:
    """The ``return`` that hands ``read`` out, directly or through one local variable."""
    stmt = _statement(meta, read)
    if isinstance(stmt, cst.Return):
        return stmt
    if not isinstance(stmt, cst.Assign | cst.AnnAssign):
        return None
    targets = [t.target for t in stmt.targets] if isinstance(stmt, cst.Assign) else [stmt.target]
    names = [n for t in targets for n in _names(t)]
    for name in names:
        scope = meta.scope(name)
        if not isinstance(scope, FunctionScope):
            continue
        key = (id(scope), name.value)
        if key not in followed:
            followed[key] = None
            for access in scope.accesses[name.value]:
                later = _statement(meta, access.node)
                if isinstance(later, cst.Return):
                    followed[key] = later
                    break
        if followed[key] is not None:
            return followed[key]
    return None


def _names(target: cst.BaseExpression) -> Iterator[cst.Name]:
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, cst.Tuple | cst.List):
        for el in target.elements:
            yield from _names(el.value)


def _statement(meta: Metadata, node: cst.CSTNode) -> cst.CSTNode | None:
    """The small statement ``node``'s value flows into, or None where it becomes an argument."""
    child = node
    for _ in range(_MAX_HOPS):
        parent = meta.parents.get(child)
        if parent is None:
            return None
        if isinstance(parent, cst.Return | cst.Assign | cst.AnnAssign):
            return parent if getattr(parent, "value", None) is child else None
        if isinstance(parent, cst.Arg):
            call = meta.parents.get(parent)
            if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Name)):
                return None
            if call.func.value not in _WRAPPERS:
                return None
            parent = call
        elif isinstance(parent, cst.Attribute | cst.Call):
            # key.strip(): a method of the value itself; anything else uses the value
            if isinstance(parent, cst.Attribute) and parent.value is not child:
                return None
            if isinstance(parent, cst.Call) and parent.func is not child:
                return None
        elif isinstance(parent, cst.Comparison | cst.UnaryOperation) or (
            isinstance(parent, cst.IfExp) and parent.test is child
        ):
            return None  # a yes/no about the key, not the key
        elif isinstance(parent, cst.BaseSmallStatement | cst.BaseCompoundStatement | cst.Lambda):
            return None
        child = parent
    return None


def _enclosing_function(meta: Metadata, node: cst.CSTNode) -> cst.FunctionDef | None:
    parent: cst.CSTNode | None = meta.parents.get(node)
    while parent is not None and not isinstance(parent, cst.FunctionDef):
        parent = meta.parents.get(parent)
    return parent
