"""Credentials handed to calls keyshift does not rewrite, and keys that are not AWS keys.

A wrapper (``make_client(aws_access_key_id=...)``, ``detect(path, access_key_id,
secret_access_key)``, ``super().__init__(access_key, secret_key)``), legacy boto
(``boto.connect_s3(key, secret)``) or another library receives a key and passes it on; keyshift
cannot follow it there, so the call is reported. Positional arguments count when they are
variables named as a key pair (the names are the only evidence; a secret must be among them, a
key ID alone is not a credential), except values fetched from the default chain
(``session.get_credentials()``), which are what the migration wants.

``Minio(access_key=..., secret_key=...)`` holds a MinIO key, not an AWS key: the task role does
not replace it. It gets its own informational note kind, ``other-service-credentials``, so it
neither reads as an AWS finding nor fails the run; pointed at ``s3.amazonaws.com`` it is an AWS
key and reported as one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import libcst as cst
from libcst.metadata import Assignment

from keyshift.awsnames import (
    KEY_ID,
    SECRETISH,
    SPARK_CREDENTIAL_SETTING,
    is_access_key_name,
    is_credential_name,
)
from keyshift.codemod.values import Metadata, bound_value, dotted_name, literal_text

Add = Callable[..., None]  # (node, kind, message, needs_human)

#: Client classes of S3-compatible services whose keys are their own (qualified names).
OTHER_SERVICE_CLIENTS = frozenset({"minio.Minio", "minio.api.Minio", "minio.MinioAdmin"})
_NORMALISE = re.compile(r"[^a-z0-9]")
_CHAIN_READS = ("get_credentials", "get_frozen_credentials", "assume_role", "get_session_token")
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{2,80}")
#: Calls that name a credential without storing it: reads with a default, and log lines.
_NOT_STORES = frozenset(
    {"get", "getenv", "getattr", "hasattr", "pop", "config", "print", "format", "join", "replace"}
    | {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "echo", "secho"}
)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _from_chain(meta: Metadata, name: cst.Name, depth: int = 0) -> bool:
    """Is ``name`` bound to something read from the default chain or STS (``creds.access_key``
    with ``creds = session.get_credentials()``)?"""
    scope = meta.scope(name)
    if depth > 3 or scope is None:
        return False
    for assignment in scope[name.value]:
        if not isinstance(assignment, Assignment) or not isinstance(assignment.node, cst.Name):
            continue
        value = bound_value(meta.parents, assignment.node, with_items=False)
        if value is None:
            continue
        if any(m in cst.Module([]).code_for_node(value) for m in _CHAIN_READS):
            return True
        root = value
        while isinstance(root, cst.Attribute | cst.Subscript):
            root = root.value
        if isinstance(root, cst.Name) and root is not value and _from_chain(meta, root, depth + 1):
            return True
    return False


def _positional_hits(node: cst.Call, meta: Metadata) -> list[str]:
    names = [
        a.value
        for a in node.args
        if a.keyword is None and not a.star and isinstance(a.value, cst.Name) and not _is_none(a.value)
    ]
    if any(SPARK_CREDENTIAL_SETTING.search(literal_text(a.value) or "") for a in node.args):
        return []  # .config("spark.hadoop.fs.s3a.secret.key", S3_SECRET): the spark note says it
    paired = any(is_access_key_name(n.value) for n in names)
    hits = [n for n in names if is_credential_name(n.value, beside_access_key=paired)]
    secret = any("secret" in _NORMALISE.sub("", n.value.lower()) for n in hits)
    if not secret or any(_from_chain(meta, n) for n in hits):
        return []
    return [n.value for n in hits]


def _named_value_hits(node: cst.Call) -> list[str]:
    """``set_key(".env", "AWS_ACCESS_KEY_ID", key)``, ``["aws", "configure", "set",
    "aws_secret_access_key", secret]``-style calls, ``config.set("default", "aws_access_key_id",
    key)``: a credential's name and then its value, stored where the default chain finds it
    ahead of the task role (a ``.env``, ``~/.aws/credentials``). Reads that name a credential and
    give a default (``getenv``, ``.get``, ``getattr``) and log lines are not stores."""
    func = node.func
    last = (
        func.attr.value
        if isinstance(func, cst.Attribute)
        else func.value
        if isinstance(func, cst.Name)
        else ""
    )
    if last.lower() in _NOT_STORES:
        return []
    values = [a.value for a in node.args if a.keyword is None and not a.star]
    if (
        isinstance(node.func, cst.Name | cst.Attribute)
        and len(values) == 1
        and isinstance(values[0], cst.List)
    ):
        values = [e.value for e in values[0].elements]  # subprocess.run(["aws", "configure", "set", ...])
    hits: list[str] = []
    for i, value in enumerate(values[:-1]):
        name = literal_text(value)
        if name is None or _IDENTIFIER.fullmatch(name) is None or not is_credential_name(name):
            continue
        if SPARK_CREDENTIAL_SETTING.search(name):
            return []  # .config("spark.hadoop.fs.s3a.secret.key", key): the spark note says it
        stored = values[i + 1]
        text = literal_text(stored)
        if _is_none(stored) or (
            text is not None and KEY_ID.search(text) is None and SECRETISH.match(text) is None
        ):
            continue  # a default or a placeholder, not a key
        hits.append(name)
    return hits


def _endpoint_text(node: cst.Call) -> str | None:
    for index, arg in enumerate(node.args):
        named = arg.keyword is not None and arg.keyword.value == "endpoint"
        if named or (arg.keyword is None and index == 0):
            return literal_text(arg.value)
    return None


def passed_credentials(node: cst.Call, names: set[str], meta: Metadata, add: Add) -> None:
    """Report credentials given to a call that is not a boto3-family factory (see module doc)."""
    keywords = [a.keyword.value for a in node.args if a.keyword is not None and not _is_none(a.value)]
    paired = any(is_access_key_name(k) for k in keywords)
    hits = sorted({k for k in keywords if is_credential_name(k, beside_access_key=paired)})
    positional = sum(1 for a in node.args if a.keyword is None and not a.star and not _is_none(a.value))
    boto2 = any(
        n.startswith("boto.") and (n.rsplit(".", 1)[-1].startswith("connect") or n.endswith("Connection"))
        for n in names
    )
    if boto2 and not hits and positional >= 2:
        hits = ["positional key and secret"]
    if not hits:
        hits = [f"{h} (positional)" for h in _positional_hits(node, meta)]
    if not hits:
        hits = [f"{h} (by name)" for h in _named_value_hits(node)]
    if not hits:
        return
    callee = dotted_name(node.func) or cst.Module([]).code_for_node(node.func)[:40]  # rendered only here
    endpoint = _endpoint_text(node) or ""
    if names & OTHER_SERVICE_CLIENTS and "amazonaws.com" not in endpoint.lower():
        add(
            node,
            "other-service-credentials",
            f"{callee}(...) is given MinIO credentials ({', '.join(hits)}), not an AWS key: the task "
            "role does not replace them and keyshift leaves them; keep them out of the code "
            "(a secret store) all the same",
            False,
        )
        return
    add(
        node,
        "passed-credentials",
        f"{callee}(...) is given credentials ({', '.join(hits)}); keyshift rewrites only boto3-family "
        "factories: remove them (and from the code that passes them on) so AWS uses the default chain",
        True,
    )
