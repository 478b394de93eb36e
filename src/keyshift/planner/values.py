"""Abstract values the usage analysis tracks through a program.

Each is a small frozen record, so sets of them can be unioned until nothing changes. Only what
decides an IAM grant is kept: literal strings (and known prefixes of built strings), which boto3
client, resource or session an expression is, and where its credentials came from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Const:
    value: str


@dataclass(frozen=True, slots=True)
class Prefix:
    """A string built at run time whose head is literal (``f"uploads/{name}"``)."""

    value: str


@dataclass(frozen=True, slots=True)
class Glob:
    """A string built at run time with literal parts: ``*`` stands for each unknown part."""

    pattern: str


@dataclass(frozen=True, slots=True)
class EnvRead:
    name: str


@dataclass(frozen=True, slots=True)
class DictV:
    items: tuple[tuple[str, frozenset[Value]], ...]

    def get(self, key: str) -> frozenset[Value] | None:
        for name, values in self.items:
            if name == key:
                return values
        return None


@dataclass(frozen=True, slots=True)
class ListV:
    items: frozenset[Value]


@dataclass(frozen=True, slots=True)
class TupleV:
    """A tuple literal, kept in order so ``a, b = f()`` and ``g(*f())`` bind element-wise."""

    items: tuple[frozenset[Value], ...]


@dataclass(frozen=True, slots=True)
class Assumed:
    """Anything derived from ``sts.assume_role`` (credentials of another role)."""

    where: str


@dataclass(frozen=True, slots=True)
class Origin:
    """How a client, resource or session got its credentials and region."""

    creds: frozenset[Value] | None  # None: not given, default chain
    region: frozenset[Value] | None
    path: str
    line: int
    secret: frozenset[Value] | None = None  # aws_secret_access_key, matched by SHA-1 to scan findings


@dataclass(frozen=True, slots=True)
class SessionV:
    origin: Origin


@dataclass(frozen=True, slots=True)
class ClientV:
    service: str
    origin: Origin


@dataclass(frozen=True, slots=True)
class ResV:
    """A boto3 resource object; ``rtype`` "" is the service resource."""

    service: str
    rtype: str
    ids: tuple[tuple[str, frozenset[Value]], ...]
    origin: Origin


@dataclass(frozen=True, slots=True)
class CollV:
    res: ResV
    name: str
    params: tuple[tuple[str, frozenset[Value]], ...]


@dataclass(frozen=True, slots=True)
class MetaV:
    res: ResV


@dataclass(frozen=True, slots=True)
class PaginatorV:
    client: ClientV
    method: str


@dataclass(frozen=True, slots=True)
class WaiterV:
    client: ClientV
    method: str  # the client method the waiter polls


@dataclass(frozen=True, slots=True)
class BoundHelper:
    """A method looked up on a client/resource, not yet called (``fn = s3.put_object``)."""

    owner: Value
    name: str


@dataclass(frozen=True, slots=True)
class Builtin:
    """A name from an imported library we model: ``boto3.client``, ``os.getenv``, ..."""

    name: str


@dataclass(frozen=True, slots=True)
class FuncV:
    key: tuple[str, str]  # (module path, qualname)


@dataclass(frozen=True, slots=True)
class ClassV:
    key: tuple[str, str]


@dataclass(frozen=True, slots=True)
class InstV:
    """An instance of a repository class; ``site`` is where it was constructed (None: any)."""

    key: tuple[str, str]
    site: str | None = None


@dataclass(frozen=True, slots=True)
class BoundMethod:
    func: tuple[str, str]
    inst: InstV


@dataclass(frozen=True, slots=True)
class ModV:
    path: str


@dataclass(frozen=True, slots=True)
class ImportRef:
    path: str  # module file
    name: str


Value = (
    Const
    | Prefix
    | Glob
    | EnvRead
    | DictV
    | ListV
    | TupleV
    | Assumed
    | SessionV
    | ClientV
    | ResV
    | CollV
    | MetaV
    | PaginatorV
    | WaiterV
    | BoundHelper
    | Builtin
    | FuncV
    | ClassV
    | InstV
    | BoundMethod
    | ModV
    | ImportRef
)
Values = frozenset[Value]
EMPTY: Values = frozenset()
