"""What the usage analysis hands forward (calls, gaps, errors) and the state its passes share.

Kept apart from the interpreter so the stages that consume calls (grants, resources, build)
import plain records, not the machinery that found them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from keyshift.planner.values import Glob, Origin, Value, Values

MAX_PASSES = 16
MAX_DEPTH = 120  # nested expressions followed before a value is taken as unknown
MAX_NESTING = 8  # containers in containers kept; deeper is unknown (see values.DictV.depth)
MAX_CONTEXTS = 16  # call sites analysed one by one when recording; more are merged
# an argument the analysis cannot evaluate: unknown, never left out (one caller's literal is
# not every caller's)
UNKNOWN: frozenset[Value] = frozenset({Glob("*")})


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One API operation a piece of code invokes through a client or resource."""

    service: str
    method: str
    params: tuple[tuple[str, Values], ...]
    origin: Origin
    path: str
    line: int
    via: str  # how the code spelled it, for the report: "s3.upload_file", "Table.put_item", ...
    transfer: bool = False

    def param(self, name: str) -> Values | None:
        for key, values in self.params:
            if key == name:
                return values
        return None


@dataclass(frozen=True, slots=True)
class Unresolved:
    path: str
    line: int
    what: str
    reason: str


@dataclass(slots=True)
class Module:
    path: str  # repo-relative
    tree: ast.Module


@dataclass(slots=True)
class State:
    """Everything one pass learns; a pass reads the previous pass's state and writes a fresh one,
    so a value guessed before its inputs were known (an empty credential) never outlives the pass."""

    names: dict[str, dict[str, Values]] = field(default_factory=dict)  # module globals
    params: dict[tuple[tuple[str, str], str], Values] = field(default_factory=dict)
    returns: dict[tuple[str, str], Values] = field(default_factory=dict)
    attrs: dict[tuple[tuple[str, str], str | None, str], Values] = field(default_factory=dict)
    # per function, per call site: the arguments that site passes (for per-context recording)
    sites: dict[tuple[str, str], dict[str, dict[str, Values]]] = field(default_factory=dict)
    locals: dict[tuple[str, str], dict[str, Values]] = field(default_factory=dict)


@dataclass(slots=True)
class Func:
    key: tuple[str, str]
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    module: str
    cls: tuple[str, str] | None
    parent: tuple[str, str] | None  # enclosing function, for closures
    is_property: bool = False
    inlinable: bool = False  # small and builds boto3 objects: evaluated per call site


@dataclass(frozen=True, slots=True)
class Analysis:
    calls: tuple[ApiCall, ...]
    unresolved: tuple[Unresolved, ...]
    default_sessions: tuple[tuple[str, Origin], ...]  # (module path, origin) of setup_default_session
    errors: tuple[str, ...]
    # a key ID passed to something other than an AWS SDK: (path, line, key ID, callee)
    outside: tuple[tuple[str, int, str, str], ...] = ()
