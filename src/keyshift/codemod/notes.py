"""Credentials in a module that no rewrite removes, found afresh on every run.

Removing ``aws_access_key_id=`` from code neither revokes the key nor stops a settings module,
an ``os.environ`` write, a Spark job or a key file from handing one to the process. These
checks look at the module itself, not at what the rewrite did, so a second run (when the call
sites are already clean) still lists every item a human has not done yet. Each note carries a
line and whether it blocks a clean exit (``needs_human``); notes carry key IDs (needed to
revoke) but never secrets.

The shapes: credential settings at module level (Django, keys modules, including empty-string
placeholders) and in class bodies (Flask config classes, pydantic settings, dataclass
configs); ``os.environ`` writes (subscript, ``setdefault``, ``putenv``, ``update``);
``set_credentials(...)`` and botocore ``Credentials(...)``; s3fs keywords and ``storage_options``
(literal or through a name); Spark/Hadoop ``fs.s3a`` key settings; credential keys read from
YAML/JSON/INI/CSV files; files that look like downloaded AWS key files; other literal key IDs.
After a rewrite: constants that still hold a key (``kept_literal_notes``) and variables left
unused (``dead_read_notes``); ``config_files`` lists the files the runner may look into.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence

import libcst as cst
from libcst.metadata import Assignment, CodeRange, GlobalScope, MetadataWrapper

from keyshift.awsnames import (
    CHAIN_ENV_VARS,
    CREDENTIAL_CLASSES,
    KEY_ID,
    KEY_ID_TOKEN,
    S3FS_FACTORIES,
    S3FS_KEYS,
    SECRETISH,
    SPARK_CREDENTIAL_SETTING,
    TEMPORARY_CREDENTIAL_KEYS,
    is_access_key_name,
    is_credential_name,
)
from keyshift.codemod.passed import passed_credentials
from keyshift.codemod.records import Note, NoteKind, key_file_note, value_notes
from keyshift.codemod.returns import returned_credentials
from keyshift.codemod.values import CONFIG_FILE, Metadata, credential_read_key, file_paths, literal_text

__all__ = [
    "KEY_FILE_NAME",
    "config_files",
    "dead_read_notes",
    "kept_literal_notes",
    "leftover_notes",
    "value_notes",
]

#: Files that look like keys downloaded from the AWS console or kept next to the code.
KEY_FILE_NAME = re.compile(
    r"(?i)(?:^|[/\\])(?:[\w.-]*credentials?|[\w.-]*access_?keys?|rootkey|aws[_-]?(?:keys?|creds?|secrets?)"
    r"|secrets?|keys?)\.(?:csv|json|ya?ml|ini|cfg|conf|txt|toml)$"
)


#: A Celery/kombu SQS broker URL with a key and secret in it (``sqs://{}:{}@``, ``sqs://KEY:SECRET@``).
SQS_BROKER_WITH_KEYS = re.compile(r"(?i)sqs://[^/@\s:]+:[^/@\s]+@")
_BROKER_MESSAGE = (
    "a Celery/kombu SQS broker URL carries an access key and secret (sqs://KEY:SECRET@); kombu hands "
    "them to boto3, overriding the task role: use sqs:// with no credentials in it"
)


def _env_key(meta: Metadata, node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Subscript) and "os.environ" in meta.names(node.value) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            return literal_text(index.value)
    return None


def _env_subscript(meta: Metadata, node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Subscript) and "os.environ" in meta.names(node.value)


#: Words (each also a marker of the runner's prefilter) that tie a module to AWS: dynamic
#: ``os.environ`` writes are reported only there, not in every script that exports a file.
_AWS_CONTEXT = ("aws_", "boto", "fs.s3", "secret", "credentials", "access_key", "accesskey")


def _aws_context(module: cst.Module) -> bool:
    code = module.code.lower()
    return any(word in code for word in _AWS_CONTEXT)


def _file_name(text: str) -> bool:
    return len(text) < 200 and "\n" not in text and CONFIG_FILE.search(text) is not None


def _dynamic_env_message(files: list[str]) -> str:
    """``os.environ[key] = value`` in a loop over a file's entries: the names are data."""
    return (
        f"os.environ is filled from {', '.join(files[:3])} under names keyshift cannot read (they "
        f"are data); if {'that file holds' if len(files) == 1 else 'they hold'} AWS_ACCESS_KEY_ID/"
        "AWS_SECRET_ACCESS_KEY, the keys override the task role for the whole process: remove them "
        "from it (and revoke them)"
    )


def _env_credential(var: str | None) -> bool:
    return var is not None and (var in CHAIN_ENV_VARS or is_credential_name(var))


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


def _scope_has_access_key(body: Iterator[cst.CSTNode]) -> bool:
    for stmt in body:
        for name in _assigned_names(stmt):
            if is_access_key_name(name):
                return True
    return False


def _flat(body: Sequence[cst.CSTNode], depth: int = 0) -> Iterator[tuple[cst.CSTNode, int]]:
    """Statements of a module or class body with how deep they sit under ``if``/``try`` (a
    settings class that sets LocalStack keys ``if USE_LOCALSTACK:``, a module that sets them in
    ``try:``); not those of nested functions or classes, which are not settings, nor of ``with``
    blocks, which read a file (the key-file note names it)."""
    for stmt in body:
        yield stmt, depth
        blocks: list[cst.BaseSuite | None] = []
        if isinstance(stmt, cst.If):
            blocks.append(stmt.body)
            orelse = stmt.orelse
            while isinstance(orelse, cst.If):
                blocks.append(orelse.body)
                orelse = orelse.orelse
            blocks.append(orelse.body if orelse is not None else None)
        elif isinstance(stmt, cst.Try | cst.TryStar):
            blocks += [stmt.body, *(h.body for h in stmt.handlers)]
            blocks.append(stmt.orelse.body if stmt.orelse else None)
            blocks.append(stmt.finalbody.body if stmt.finalbody else None)
        for block in blocks:
            if isinstance(block, cst.IndentedBlock):
                yield from _flat(block.body, depth + 1)


def _assigned_names(stmt: cst.CSTNode) -> Iterator[str]:
    for target, _ in _assignments(stmt):
        yield target


def _assignments(stmt: cst.CSTNode) -> Iterator[tuple[str, cst.BaseExpression | None]]:
    if not isinstance(stmt, cst.SimpleStatementLine):
        return
    for small in stmt.body:
        if isinstance(small, cst.Assign):
            for t in small.targets:
                if isinstance(t.target, cst.Name):
                    yield t.target.value, small.value
        elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            yield small.target.value, small.value


def leftover_notes(
    wrapper: MetadataWrapper,
    meta: Metadata,
    positions: Mapping[cst.CSTNode, CodeRange],
    skip_names: frozenset[str] = frozenset(),
    dict_keys: Callable[[cst.BaseExpression], set[str] | None] | None = None,
    skip_nodes: frozenset[int] = frozenset(),
    targets: frozenset[int] = frozenset(),
) -> list[Note]:
    """Every credential in the module that is still there after the rewrite (see module doc).

    ``skip_names``: module constants the rewrite removed; ``skip_nodes``: ids of nodes inside
    removed arguments; ``dict_keys`` resolves a mapping expression to its literal keys;
    ``targets``: ids of the boto3-family calls the sites already report.
    """
    out: list[Note] = []

    def add(node: cst.CSTNode, kind: NoteKind, message: str, needs_human: bool = True) -> None:
        out.append(Note(positions[node].start.line, kind, message, needs_human))

    module_files: list[str] | None = None
    for assign in meta.assigns:
        for target in assign.targets:
            var = _env_key(meta, target.target)
            if _env_credential(var):
                add(
                    assign,
                    "environ-write",
                    f"credentials are written to os.environ[{var!r}]; that overrides the task role for "
                    "the whole process: remove the assignment",
                )
            elif var is None and _env_subscript(meta, target.target) and _aws_context(wrapper.module):
                if module_files is None:  # files the module opens, or names (a parameter's default)
                    named = [t for n in meta.strings for t in [literal_text(n)] if t and _file_name(t)]
                    module_files = list(dict.fromkeys([p for _, p in config_files(meta, positions)] + named))
                files = file_paths(meta, assign.value) or module_files
                if files:
                    add(assign, "environ-write", _dynamic_env_message(files))
    for call in meta.calls:
        if id(call) in skip_nodes:
            continue
        _call_notes(call, meta, add, dict_keys, id(call) in targets)
    for mapping in meta.dicts:
        if id(mapping) in skip_nodes or _target_argument(meta, mapping, targets):
            continue
        hits = _mapping_credentials(mapping)
        if hits:
            add(
                mapping,
                "credential-mapping",
                f"a mapping holds credentials ({', '.join(hits)}); code that passes it on (**mapping, "
                "a config object) hands a static key to AWS: delete those entries and let the code "
                "use the default chain",
            )
    for fstring in meta.fstrings:
        if id(fstring) in skip_nodes:
            continue
        shape = "".join(p.value if isinstance(p, cst.FormattedStringText) else "{}" for p in fstring.parts)
        if SQS_BROKER_WITH_KEYS.match(shape):
            add(fstring, "broker-url", _BROKER_MESSAGE)
        if SPARK_CREDENTIAL_SETTING.search(shape):
            add(
                fstring,
                "spark",
                f"Spark/Hadoop setting {shape!r} hands a key to the S3 connector; keyshift does not "
                "rewrite it: remove it so the connector uses the default chain (and revoke the key)",
            )
    _settings_notes(wrapper.module, meta, add, skip_names)
    for node in meta.strings:
        if id(node) in skip_nodes:
            continue
        text = literal_text(node)
        if text is None:
            continue
        if SPARK_CREDENTIAL_SETTING.search(text):
            add(
                node,
                "spark",
                f"Spark/Hadoop setting {text!r} hands a key to the S3 connector; keyshift does not rewrite "
                "it: remove it so the connector uses the default chain (and revoke the key)",
            )
        elif SQS_BROKER_WITH_KEYS.match(text):
            add(node, "broker-url", _BROKER_MESSAGE)
        elif len(text) < 300 and KEY_FILE_NAME.search(text):
            add(node, "key-file", key_file_note(text))
        for match in KEY_ID_TOKEN.finditer(text):
            if not match.group(0).endswith("EXAMPLE"):
                add(
                    node,
                    "literal-key",
                    f"access key {match.group(0)} is written in this file; remove it and revoke the key",
                )
    out.extend(returned_credentials(meta, positions))
    for read in meta.reads:
        found = credential_read_key(meta, read)
        if found is None or id(read) in skip_nodes:
            continue
        for path in file_paths(meta, found[1]):
            add(read, "key-file", key_file_note(path))
    return out


def _call_notes(
    node: cst.Call,
    meta: Metadata,
    add: Callable[..., None],
    dict_keys: Callable[[cst.BaseExpression], set[str] | None] | None,
    is_target: bool = False,
) -> None:
    names = meta.names(node.func)
    if names & {"os.environ.setdefault", "os.putenv"} and node.args:
        var = literal_text(node.args[0].value)
        if _env_credential(var):
            add(
                node,
                "environ-write",
                f"credentials are written to the environment ({var}); that overrides the task role: "
                "remove the call",
            )
        elif var is None and len(node.args) > 1 and file_paths(meta, node.args[1].value):
            add(node, "environ-write", _dynamic_env_message(file_paths(meta, node.args[1].value)))
    if "os.environ.update" in names and node.args:
        written = [a.keyword.value for a in node.args if a.keyword is not None]  # update(AWS_...=...)
        written += [k for a in node.args if a.keyword is None for k in _dict_literal_keys(a.value)]
        hits = sorted(k for k in set(written) if _env_credential(k))
        read = [f for a in node.args if a.keyword is None for f in file_paths(meta, a.value)]
        if not hits and read:  # os.environ.update(dotenv_values("aws.env")): the names are data
            add(node, "environ-write", _dynamic_env_message(read))
        if hits:
            add(
                node,
                "environ-write",
                f"credentials are written to os.environ ({', '.join(hits)}); that overrides the task "
                "role: remove them",
            )
    set_credentials = isinstance(node.func, cst.Attribute) and node.func.attr.value == "set_credentials"
    if not (is_target or set_credentials or names & (CREDENTIAL_CLASSES | S3FS_FACTORIES | _ENV_WRITES)):
        passed_credentials(node, names, meta, add)
    if set_credentials and node.args:
        add(
            node,
            "set-credentials",
            "set_credentials(...) gives the session a static key; keyshift does not rewrite it: remove "
            "the call so the session uses the default chain",
        )
    if names & CREDENTIAL_CLASSES:
        add(
            node,
            "credentials-object",
            f"{min(names & CREDENTIAL_CLASSES)}(...) builds a static key by hand; keyshift does not "
            "rewrite it: remove it so the code uses the default chain",
        )
    if names & S3FS_FACTORIES:
        hits = sorted(a.keyword.value for a in node.args if a.keyword and a.keyword.value in S3FS_KEYS)
        if hits:
            add(
                node,
                "s3fs",
                f"s3fs credentials ({', '.join(hits)}) are not rewritten by keyshift; remove them so "
                "s3fs uses the default chain",
            )
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value == "storage_options":
            keys = set(_dict_literal_keys(arg.value))
            if not keys and dict_keys is not None:
                keys = dict_keys(arg.value) or set()
            hits = sorted(keys & S3FS_KEYS)
            if hits:
                add(
                    node,
                    "storage-options",
                    f"storage_options carries credentials ({', '.join(hits)}); keyshift does not rewrite "
                    "them: remove them so s3fs uses the default chain",
                )


def _settings_notes(
    module: cst.Module,
    meta: Metadata,
    add: Callable[[cst.CSTNode, NoteKind, str], None],
    skip_names: frozenset[str],
) -> None:
    """Credential settings: module constants (placeholders too) and class attributes/fields."""
    paired = _scope_has_access_key(s for s, _ in _flat(module.body))
    for stmt, depth in _flat(module.body):
        for name, value in _assignments(stmt):
            if name in skip_names or value is None or not is_credential_name(name, beside_access_key=paired):
                continue
            if depth and literal_text(value) is None:
                continue  # a script's local under ``if __name__ ...:``; a written key still counts
            if isinstance(value, cst.Name) and value.value == "None":
                continue
            if literal_text(value) == "":
                add(
                    stmt,
                    "placeholder",
                    f"module-level setting {name} is an empty placeholder for a key: code that fills it "
                    "in hands a static key to AWS; delete it and let the code use the default chain",
                )
                continue
            add(
                stmt,
                "settings",
                f"module-level setting {name} holds credentials; settings modules (Django, "
                "django-storages) pass it to boto3, overriding the task role: delete it",
            )
    for assign in meta.assigns:  # self.AWS_ACCESS_KEY = ... in a settings object's __init__
        for target in assign.targets:
            node = target.target
            if (
                isinstance(node, cst.Attribute)
                and isinstance(node.value, cst.Name)
                and node.value.value in ("self", "cls")
                and is_credential_name(node.attr.value)
            ):
                add(
                    assign,
                    "settings",
                    f"attribute {node.value.value}.{node.attr.value} holds credentials for AWS clients: "
                    "drop it and let the code use the default chain",
                )
    for cls in meta.classes:
        body: Sequence[cst.CSTNode] = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
        paired = _scope_has_access_key(s for s, _ in _flat(body))
        for line, _ in _flat(body):
            for name, _value in _assignments(line):
                if is_credential_name(name, beside_access_key=paired):
                    add(
                        line,
                        "settings",
                        f"{cls.name.value}.{name} is a credential setting (config class, pydantic "
                        "settings or dataclass field) that hands a key to AWS clients: delete it and "
                        "let the code use the default chain",
                    )


def config_files(meta: Metadata, positions: Mapping[cst.CSTNode, CodeRange]) -> list[tuple[int, str]]:
    """Relative paths of configuration files passed to calls (``open("config.yml")``), and
    ``.env`` for a ``load_dotenv()`` without a path."""
    out: list[tuple[int, str]] = []
    for call in meta.calls:
        literals = [literal_text(a.value) for a in call.args]
        for text in literals:
            if text and len(text) < 200 and CONFIG_FILE.search(text) and "\n" not in text:
                out.append((positions[call].start.line, text))
        if meta.names(call.func) & {"dotenv.load_dotenv", "dotenv.dotenv_values"} and not any(literals):
            out.append((positions[call].start.line, ".env"))
    return out


def dead_read_notes(
    meta: Metadata,
    positions: Mapping[cst.CSTNode, CodeRange],
    inside: list[cst.CSTNode],
    removed_names: set[int],
    gone: set[str],
) -> list[Note]:
    """Variables that only fed removed arguments and stay behind (a config read, a local)."""
    out: list[Note] = []
    seen: set[int] = set()
    for node in inside:
        if not isinstance(node, cst.Name):
            continue
        scope = meta.scope(node)
        if scope is None:
            continue
        for assignment in scope[node.value]:
            if not isinstance(assignment, Assignment) or id(assignment) in seen:
                continue
            seen.add(id(assignment))
            if isinstance(assignment.scope, GlobalScope) and node.value in gone:
                continue
            if not isinstance(assignment.node, cst.Name) or assignment.node not in positions:
                continue
            if any(id(access.node) not in removed_names for access in assignment.references):
                continue
            files = file_paths(meta, node)
            where = f"; it reads {', '.join(files)}" if files else ""
            out.append(
                Note(
                    positions[assignment.node].start.line,
                    "dead-read",
                    f"{node.value} is no longer used after the rewrite{where}: remove it",
                    False,
                )
            )
    return out


def kept_literal_notes(
    original: cst.Module,
    positions: Mapping[cst.CSTNode, CodeRange],
    candidates: set[str],
    removed: set[str],
) -> list[Note]:
    """Constants that fed a removed argument, still hold a key, and had to stay."""
    notes: list[Note] = []
    for stmt in original.body:
        if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
            continue
        small = stmt.body[0]
        if not isinstance(small, cst.Assign | cst.AnnAssign) or small.value is None:
            continue
        target = small.targets[0].target if isinstance(small, cst.Assign) else small.target
        if not isinstance(target, cst.Name) or target.value not in candidates or target.value in removed:
            continue
        text = literal_text(small.value)
        if text and (KEY_ID.search(text) or SECRETISH.match(text)):
            notes.append(
                Note(
                    positions[stmt].start.line,
                    "kept-literal",
                    f"constant {target.value} still holds a literal credential (it is still used or "
                    "exported); remove it by hand and revoke the key",
                    True,
                )
            )
    return notes


#: Calls that write the process environment (their own note says so).
_ENV_WRITES = frozenset({"os.environ.setdefault", "os.putenv", "os.environ.update"})


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _mapping_credentials(node: cst.Dict) -> list[str]:
    """Credential keys of a dict display whose values are not ``None`` (``""`` placeholders count)."""
    pairs = [
        (key, el.value)
        for el in node.elements
        if isinstance(el, cst.DictElement)
        for key in [literal_text(el.key)]
        if key and len(key) < 80
    ]
    paired = any(is_access_key_name(k) for k, _ in pairs)
    return sorted(
        {
            k
            for k, v in pairs
            if k not in TEMPORARY_CREDENTIAL_KEYS
            and not _is_none(v)
            and is_credential_name(k, beside_access_key=paired)
        }
    )


def _target_argument(meta: Metadata, node: cst.CSTNode, targets: frozenset[int]) -> bool:
    """Is ``node`` an argument of a boto3-family call (``**{...}``), which its site reports?"""
    parent = meta.parents.get(node)
    return isinstance(parent, cst.Arg) and id(meta.parents.get(parent)) in targets
