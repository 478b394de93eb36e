"""The codemod's records and value facts, with no libcst import.

The reports (``SiteReport``, ``Note``), the value classification (``Trace``) and the notes
derived from values are plain data, so the runner, the report renderers and ``migrate`` read
them without loading libcst.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from keyshift.awsnames import CHAIN_ENV_VARS, KEY_ID, SECRETISH
from keyshift.redact import sha1_hex

#: Calls that read the process environment (qualified names).
ENV_READS = frozenset(
    {"os.getenv", "os.environ.get", "os.getenvb", "os.environ.setdefault", "decouple.config"}
)
#: Methods whose result is temporary credentials the code asked for on purpose.
STS_METHODS = frozenset(
    {
        "assume_role",
        "assume_role_with_saml",
        "assume_role_with_web_identity",
        "get_session_token",
        "get_federation_token",
    }
)
#: Methods that read a mapping or config object like a subscript does.
MAPPING_READS = frozenset({"get"})
#: Methods that return command-line arguments (argparse, optparse).
ARGV_METHODS = frozenset({"parse_args", "parse_known_args", "parse_intermixed_args"})
#: Calls that ask the person running the program.
PROMPTS = frozenset({"builtins.input", "input", "getpass.getpass"})
MAX_DEPTH = 12
ARGV_REASON = "value comes from command-line arguments; the user chooses the credentials"
PROMPT_REASON = "value is typed in by the user at run time"


#: where a credential value comes from (the JSON report's ``values[].kind``): a closed set
ValueKind = Literal[
    "literal",
    "env",
    "module-name",
    "imported-name",
    "attribute",
    "local",
    "call",
    "subscript",
    "builtin",
    "name",
    "expression",
]


@dataclass(frozen=True, slots=True)
class Trace:
    """Where a value comes from; ``reason`` says why it is not ambient (``None`` when it is)."""

    reason: str | None = None
    kind: ValueKind = "expression"
    literals: tuple[str, ...] = ()  # string literals the value is built from
    env_vars: tuple[str, ...] = ()  # environment variable names read (literal names only)
    origins: tuple[str, ...] = ()  # e.g. "settings.AWS_ACCESS_KEY_ID", "AWS_KEY from config"

    @property
    def ambient(self) -> bool:
        return self.reason is None


def merge(kind: ValueKind, parts: list[Trace], *, origins: tuple[str, ...] = ()) -> Trace:
    reason = next((p.reason for p in parts if p.reason is not None), None)
    return Trace(
        reason=reason,
        kind=kind,
        literals=tuple(x for p in parts for x in p.literals),
        env_vars=tuple(x for p in parts for x in p.env_vars),
        origins=origins + tuple(x for p in parts for x in p.origins),
    )


def derived(reason: str) -> str:
    if reason.startswith("value is the function parameter"):
        return "value is derived from" + reason[len("value is") :]
    return reason


@dataclass(frozen=True, slots=True)
class ValueReport:
    """One credential argument's value, as safe to print: never a secret."""

    kwarg: str
    kind: ValueKind
    env_vars: tuple[str, ...] = ()
    key_ids: tuple[str, ...] = ()
    origins: tuple[str, ...] = ()


SiteStatus = Literal["rewritten", "report-only"]
NoteKind = Literal[
    "revoke",
    "env",
    "env-name",
    "settings",
    "placeholder",
    "endpoint",
    "environ-write",
    "s3fs",
    "storage-options",
    "spark",
    "set-credentials",
    "credentials-object",
    "credential-mapping",
    "returned-credentials",
    "passed-credentials",
    "other-service-credentials",
    "broker-url",
    "key-file",
    "dead-read",
    "literal-key",
    "kept-literal",
    "unseen-arguments",
    "internal",
]


@dataclass(frozen=True, slots=True)
class SiteReport:
    """One call site with credentials: rewritten, or left alone and why."""

    line: int
    column: int
    factory: str
    qualified: str
    status: SiteStatus
    removed: tuple[str, ...]
    reason: str | None
    values: tuple[ValueReport, ...]


@dataclass(frozen=True, slots=True)
class Note:
    """Something about the file the rewrite did not (or could not) settle."""

    line: int
    kind: NoteKind
    message: str
    needs_human: bool


def value_report(kwarg: str, trace: Trace) -> ValueReport:
    key_ids = tuple(sorted({m.group(0) for lit in trace.literals for m in KEY_ID.finditer(lit)}))
    return ValueReport(kwarg, trace.kind, tuple(dict.fromkeys(trace.env_vars)), key_ids, trace.origins)


def unseen_note(line: int, text: str) -> Note:
    """``**kwargs`` / ``*args`` at a site: keyshift cannot see whether they carry credentials."""
    return Note(
        line, "unseen-arguments", f"{text}; keyshift cannot see whether they carry credentials", False
    )


def site_outcome(
    *,
    line: int,
    column: int,
    factory: str,
    qualified: str,
    blocked: bool,
    removed: tuple[str, ...],
    reason: str | None,
    traces: Mapping[str, Trace],
    endpoint_url: bool,
) -> tuple[SiteReport, list[Note], set[str]]:
    """One target site's report, notes and literal values to redact, whichever path analysed it.

    ``blocked`` means the file stays untouched because some site needs a human.
    """
    if blocked and reason is None:
        reason = "left unchanged because another site in this file needs a human"
    report = SiteReport(
        line,
        column,
        factory,
        qualified,
        "report-only" if blocked else "rewritten",
        removed if not blocked else (),
        reason,
        tuple(value_report(k, t) for k, t in traces.items()),
    )
    if blocked:
        return report, [], set()
    secrets = {
        lit for kwarg, trace in traces.items() if kwarg != "aws_access_key_id" for lit in trace.literals
    }
    notes = value_notes(line, traces)
    if endpoint_url:
        notes.append(
            Note(
                line,
                "endpoint",
                "endpoint_url is set: if it is not an AWS endpoint (MinIO, LocalStack, R2), that "
                "service still needs its own credentials; check before deploying",
                False,
            )
        )
    return report, notes, secrets


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


def key_file_note(path: str) -> str:
    """One message per key file, whichever check found it (so the notes merge)."""
    return (
        f"credentials are read from {path}, which still holds a key: remove it from that file (and "
        "from the repository's history) and revoke the key"
    )


def value_notes(line: int, traces: Mapping[str, Trace]) -> list[Note]:
    """Notes about the values removed from one rewritten call site."""
    out: list[Note] = []
    key_ids = sorted(
        {m.group(0) for t in traces.values() for lit in t.literals for m in KEY_ID.finditer(lit)}
    )
    for key_id in key_ids:
        out.append(
            Note(
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
                if kwarg != "aws_access_key_id" and SECRETISH.match(lit):
                    out.append(
                        Note(
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
                    Note(
                        line,
                        "env",
                        f"{kwarg} was read from ${var}; the default chain reads it too and, if the "
                        "deployment still sets it, it overrides the task role: stop setting it",
                        False,
                    )
                )
            else:
                out.append(
                    Note(
                        line,
                        "env-name",
                        f"{kwarg} was read from ${var}, which the default credential chain does not "
                        "read: the deployment must change (drop the variable; the task role replaces it)",
                        True,
                    )
                )
        for origin in dict.fromkeys(o for o in trace.origins if o.startswith("file ")):
            out.append(Note(line, "key-file", key_file_note(origin[5:]), True))
        for origin in _settings_origins(o for o in trace.origins if not o.startswith("file ")):
            out.append(
                Note(
                    line,
                    "settings",
                    f"{kwarg} came from {origin}; that setting still exists in its own module or "
                    "deployment: remove it there",
                    True,
                )
            )
    return out


def _settings_origins(origins: Iterable[str]) -> list[str]:
    """One origin per setting: ``settings.KEY`` absorbs ``settings imported from pkg``."""
    unique = list(dict.fromkeys(origins))
    attributes = [o for o in unique if "." in o and " " not in o]
    out: list[str] = []
    for origin in unique:
        if " imported from " in origin:
            name = origin.split(" imported from ", 1)[0]
            if any(a.split(".", 1)[0] == name for a in attributes):
                continue  # said by the attribute's note, with the module named there
            out.append(origin)
        elif origin in attributes:
            base = origin.split(".", 1)[0]
            source = next(
                (o.split(" imported from ", 1)[1] for o in unique if o.startswith(f"{base} imported from ")),
                None,
            )
            out.append(f"{origin} (imported from {source})" if source else origin)
    return out
