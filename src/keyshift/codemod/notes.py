"""What a rewrite cannot settle by itself: keys to revoke, deployments to change, leftovers.

Removing ``aws_access_key_id=`` from code neither revokes the key nor stops a deployment from
injecting it. These notes tell a human what is left, each with a line and whether it blocks a
clean exit (``needs_human``). Notes carry key IDs (needed to revoke) but never secrets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper

from keyshift.awsnames import CHAIN_ENV_VARS, S3FS_FACTORIES, S3FS_KEYS
from keyshift.codemod.records import SETTINGS_NAMES, Note, value_notes
from keyshift.codemod.values import Metadata, literal_text

__all__ = ["leftover_notes", "value_notes"]


def _note(line: int, kind: str, message: str, needs_human: bool) -> Note:
    return Note(line, kind, message, needs_human)


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
