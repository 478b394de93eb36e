"""What a rewrite cannot settle by itself: keys to revoke, deployments to change, leftovers.

Removing ``aws_access_key_id=`` from code neither revokes the key nor stops a deployment from
injecting it. These notes tell a human what is left, each with a line and whether it blocks a
clean exit (``needs_human``). Notes carry key IDs (needed to revoke) but never secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper

from keyshift.codemod.values import Metadata, Trace, literal_text
from keyshift.redact import sha1_hex

if TYPE_CHECKING:
    from keyshift.codemod.credentials import Note

#: Variables botocore's environment provider reads.
CHAIN_ENV_VARS = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}
)
#: Module-level settings that django-storages and similar settings modules hand to boto3.
SETTINGS_NAMES = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_S3_ACCESS_KEY_ID",
        "AWS_S3_SECRET_ACCESS_KEY",
        "AWS_S3_SESSION_TOKEN",
    }
)
S3FS_FACTORIES = frozenset({"s3fs.S3FileSystem", "s3fs.core.S3FileSystem"})
S3FS_KEYS = frozenset(
    {"key", "secret", "token", "aws_access_key_id", "aws_secret_access_key", "aws_session_token"}
)
_KEY_ID = re.compile(r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}")
_SECRETISH = re.compile(r"^[A-Za-z0-9/+=]{40,}$")


def _note(line: int, kind: str, message: str, needs_human: bool) -> Note:
    from keyshift.codemod.credentials import Note

    return Note(line, kind, message, needs_human)


def value_notes(line: int, traces: Mapping[str, Trace]) -> list[Note]:
    """Notes about the values removed from one rewritten call site."""
    out: list[Note] = []
    key_ids = sorted(
        {m.group(0) for t in traces.values() for lit in t.literals for m in _KEY_ID.finditer(lit)}
    )
    for key_id in key_ids:
        out.append(
            _note(
                line,
                "revoke",
                f"access key {key_id} was hardcoded here; removing it from code does not revoke it: "
                "deactivate and delete it in IAM",
                True,
            )
        )
    if not key_ids:
        for kwarg, trace in sorted(traces.items()):
            for lit in trace.literals:
                if kwarg != "aws_access_key_id" and _SECRETISH.match(lit):
                    out.append(
                        _note(
                            line,
                            "revoke",
                            f"a literal {kwarg} (sha1:{sha1_hex(lit)[:12]}) was hardcoded here; "
                            "revoke the access key it belongs to",
                            True,
                        )
                    )
    for kwarg, trace in sorted(traces.items()):
        for var in dict.fromkeys(trace.env_vars):
            if var in CHAIN_ENV_VARS:
                out.append(
                    _note(
                        line,
                        "env",
                        f"{kwarg} was read from ${var}; the default chain reads it too and, if the "
                        "deployment still sets it, it overrides the task role: stop setting it",
                        False,
                    )
                )
            else:
                out.append(
                    _note(
                        line,
                        "env-name",
                        f"{kwarg} was read from ${var}, which the default credential chain does not "
                        "read: the deployment must change (drop the variable; the task role replaces it)",
                        True,
                    )
                )
        for origin in dict.fromkeys(trace.origins):
            if ("." in origin and " " not in origin) or " imported from " in origin:
                out.append(
                    _note(
                        line,
                        "settings",
                        f"{kwarg} came from {origin}; that setting still exists in its own module or "
                        "deployment: remove it there",
                        True,
                    )
                )
    return out


def _qnames(meta: Metadata, node: cst.CSTNode) -> set[str]:
    return meta.names(node)


def _env_key(meta: Metadata, node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Subscript) and "os.environ" in _qnames(meta, node.value) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            return literal_text(index.value)
    return None


def _dict_literal_keys(node: cst.BaseExpression) -> Iterator[str]:
    if isinstance(node, cst.Dict):
        for el in node.elements:
            if isinstance(el, cst.DictElement):
                key = literal_text(el.key)
                if key:
                    yield key
                yield from _dict_literal_keys(el.value)
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "dict":
        for arg in node.args:
            if arg.keyword is not None:
                yield arg.keyword.value
            yield from _dict_literal_keys(arg.value)


def leftover_notes(
    wrapper: MetadataWrapper,
    meta: Metadata,
    positions: Mapping[cst.CSTNode, CodeRange],
    skip_names: frozenset[str] = frozenset(),
) -> list[Note]:
    """Credentials written to ``os.environ``, s3fs/pandas options, settings-style constants."""
    out: list[Note] = []

    def line_of(node: cst.CSTNode) -> int:
        return positions[node].start.line

    class _Checks:
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                var = _env_key(meta, target.target)
                if var in CHAIN_ENV_VARS:
                    out.append(
                        _note(
                            line_of(node),
                            "environ-write",
                            f"credentials are written to os.environ[{var!r}]; that overrides the task "
                            "role for the whole process: remove the assignment",
                            True,
                        )
                    )

        def visit_Call(self, node: cst.Call) -> None:
            names = _qnames(meta, node.func)
            if names & {"os.environ.setdefault", "os.putenv"} and node.args:
                var = literal_text(node.args[0].value)
                if var in CHAIN_ENV_VARS:
                    out.append(
                        _note(
                            line_of(node),
                            "environ-write",
                            f"credentials are written to the environment ({var}); that overrides the "
                            "task role: remove the call",
                            True,
                        )
                    )
            if "os.environ.update" in names and node.args:
                hits = sorted(set(_dict_literal_keys(node.args[0].value)) & CHAIN_ENV_VARS)
                if hits:
                    out.append(
                        _note(
                            line_of(node),
                            "environ-write",
                            f"credentials are written to os.environ ({', '.join(hits)}); that overrides "
                            "the task role: remove them",
                            True,
                        )
                    )
            if names & S3FS_FACTORIES:
                hits = sorted(
                    a.keyword.value for a in node.args if a.keyword and a.keyword.value in S3FS_KEYS
                )
                if hits:
                    out.append(
                        _note(
                            line_of(node),
                            "s3fs",
                            f"s3fs credentials ({', '.join(hits)}) are not rewritten by keyshift; remove "
                            "them so s3fs uses the default chain",
                            True,
                        )
                    )
            for arg in node.args:
                if arg.keyword is not None and arg.keyword.value == "storage_options":
                    hits = sorted(set(_dict_literal_keys(arg.value)) & S3FS_KEYS)
                    if hits:
                        out.append(
                            _note(
                                line_of(node),
                                "storage-options",
                                f"storage_options carries credentials ({', '.join(hits)}); keyshift does "
                                "not rewrite them: remove them so s3fs uses the default chain",
                                True,
                            )
                        )

    checks = _Checks()
    for assign in meta.assigns:
        checks.visit_Assign(assign)
    for call in meta.calls:
        checks.visit_Call(call)
    for stmt in wrapper.module.body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
                value: cst.BaseExpression | None = small.value
            elif isinstance(small, cst.AnnAssign):
                targets, value = [small.target], small.value
            else:
                continue
            for target in targets:
                if not isinstance(target, cst.Name) or target.value not in SETTINGS_NAMES:
                    continue
                if target.value in skip_names or value is None:
                    continue
                if (isinstance(value, cst.Name) and value.value == "None") or literal_text(value) == "":
                    continue
                out.append(
                    _note(
                        line_of(stmt),
                        "settings",
                        f"module-level setting {target.value} holds credentials; settings modules "
                        "(Django, django-storages) pass it to boto3, overriding the task role: delete it",
                        True,
                    )
                )
    return out
