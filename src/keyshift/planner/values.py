"""Abstract values the usage analysis tracks through a program.

Each is a small frozen record, so sets of them can be unioned until nothing changes. Only what
decides an IAM grant is kept: literal strings (and known prefixes of built strings), which boto3
client, resource or session an expression is, and where its credentials came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True, slots=True)
class Const:
    """A literal string. ``wild`` is set when parts of it entered a function through a parameter:
    the same string as a glob with those parts ``*``. Resource names use ``value`` (every caller
    is known); object keys and other data use ``wild`` (other callers pass other data)."""

    value: str
    wild: str | None = None


@dataclass(frozen=True, slots=True)
class Prefix:
    """A string built at run time whose head is literal (``f"uploads/{name}"``)."""

    value: str
    wild: str | None = None


@dataclass(frozen=True, slots=True)
class Glob:
    """A string built at run time with literal parts: ``*`` stands for each unknown part."""

    pattern: str
    wild: str | None = None


@dataclass(frozen=True, slots=True)
class EnvRead:
    name: str


def _nesting(groups: Iterable[Iterable[object]]) -> int:
    """1 + the deepest container among the value sets ``groups`` (each child's depth is cached)."""
    deepest = 0
    for group in groups:
        for value in group:
            deepest = max(deepest, getattr(value, "depth", 0))
    return deepest + 1


@dataclass(frozen=True, slots=True)
class DictV:
    items: tuple[tuple[str, frozenset[Value]], ...]
    # containers nested in containers: comparing two equal values built apart walks every path
    # through them, so the interpreter cuts values deeper than a few levels (``MAX_NESTING``)
    depth: int = field(default=0, init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "depth", _nesting(v for _, v in self.items))

    def get(self, key: str) -> frozenset[Value] | None:
        for name, values in self.items:
            if name == key:
                return values
        return None


@dataclass(frozen=True, slots=True)
class ListV:
    items: frozenset[Value]
    depth: int = field(default=0, init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "depth", _nesting((self.items,)))


@dataclass(frozen=True, slots=True)
class TupleV:
    """A tuple literal, kept in order so ``a, b = f()`` and ``g(*f())`` bind element-wise."""

    items: tuple[frozenset[Value], ...]
    depth: int = field(default=0, init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "depth", _nesting(self.items))


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
    endpoint: frozenset[Value] | None = None  # endpoint_url: names the API of execute-api clients


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
class PartialV:
    """``functools.partial(boto3.client, region_name=..., aws_access_key_id=...)``: a callable
    that adds its arguments to every call (client factories are often spelled this way)."""

    func: Value
    args: tuple[Values, ...]
    kwargs: tuple[tuple[str, Values], ...]


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


@dataclass(frozen=True, slots=True)
class FileV:
    """``open("config.json")``: a file of the repository the code reads its settings from
    (``json.load``/``yaml.safe_load`` of it is its literal content: ``keyshift.planner.configfiles``)."""

    path: str


Value = (
    Const
    | FileV
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
    | PartialV
    | FuncV
    | ClassV
    | InstV
    | BoundMethod
    | ModV
    | ImportRef
)
Values = frozenset[Value]
EMPTY: Values = frozenset()


def text_of(value: Const | Prefix | Glob) -> str:
    """The glob a string value stands for: ``uploads/*`` for a prefix."""
    if isinstance(value, Const):
        return value.value.replace("*", "")
    if isinstance(value, Prefix):
        return value.value.replace("*", "") + "*"
    return value.pattern


def _data_glob(glob: str) -> Const | Prefix | Glob:
    """A glob read as data: a literal, else only its literal head then ``*``.

    Unlike ``strings.glob_value``, which keeps the whole pattern for names.
    """
    while "**" in glob:
        glob = glob.replace("**", "*")
    if "*" not in glob:
        return Const(glob)
    if glob.endswith("*") and glob.count("*") == 1:
        return Prefix(glob[:-1])
    head = glob.split("*", 1)[0]
    return Prefix(head) if head else Glob(glob)


def as_data(value: Value) -> Value:
    """How a string reads where it names data (an S3 key): parameter parts unknown.

    Data keeps only the literal head before the first unknown part: ``invoices/*`` for
    ``f"invoices/{order_id}.pdf"`` when ``order_id`` is a parameter.
    """
    if isinstance(value, Const | Prefix | Glob) and value.wild is not None:
        return _data_glob(value.wild)
    return value


def taint(values: Values) -> Values:
    """Strings entering a function through a parameter: unknown wherever they name data."""
    out: set[Value] = set()
    for value in values:
        if isinstance(value, Const | Prefix | Glob):
            out.add(replace(value, wild="*"))
        elif isinstance(value, DictV):
            out.add(DictV(tuple((k, taint(v)) for k, v in value.items)))
        elif isinstance(value, ListV):
            out.add(ListV(taint(value.items)))
        elif isinstance(value, TupleV):
            out.add(TupleV(tuple(taint(v) for v in value.items)))
        else:
            out.add(value)
    return frozenset(out)
