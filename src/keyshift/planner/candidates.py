"""Which Python files the planner parses: those that can take part in an AWS call.

Parsing every file of a large tree cost more than scanning it, and the analysis only finds calls
made through boto3-family clients. So a file matters when it imports the SDK (its bytes say
``boto``: boto3, botocore, aioboto3, aiobotocore), when it imports a file that matters (a caller
handed a client, or a helper that makes one), or when a file that matters imports it (the
settings and constants the calls read). The middle case is closed backwards with a cheap
necessary condition: a file can import ``pkg/storage.py`` only if one of its import statements
says ``storage``. Only files passing it are parsed, and the parsed imports decide. Each file is
read and parsed at most once; Django settings modules are always parsed (they say whether the
tree is one project).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from keyshift.planner.pyparse import parse
from keyshift.planner.workloads import ModuleIndex, module_index, resolve
from keyshift.progress import NULL, Reporter

#: bytes every file that imports boto3, botocore, aioboto3 or aiobotocore holds
SDK_MARKER = b"boto"
#: bytes every file that builds a LangChain Bedrock model holds (it makes its own client)
WRAPPER_MARKER = b"Bedrock"
#: an import statement, with its parenthesised or backslash-continued names. Linear on any input:
#: a ``(`` never closed runs to the end (rescanning the rest of the file from each one was
#: quadratic), and no part can give back what it matched
_IMPORT = re.compile(
    rb"(?m)^[ \t]*+(?:from[ \t]++[.\w]++[ \t]++)?import\b"
    rb"(?:[ \t]*+\([^)]*+(?:\)|\Z)|[^\n\\]*+(?:\\(?:\r?\n)?[^\n\\]*+)*+)"
)
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def _import_words(data: bytes) -> frozenset[bytes]:
    if b"import" not in data:
        return frozenset()
    return frozenset(_WORD.findall(b"\n".join(_IMPORT.findall(data))))


#: possessive: the dots of a relative import are never split between the level and the module
_FROM = re.compile(r"from\s++(\.*+)([\w.]*+)\s+import\s+(.*)", re.S)


def byte_imports(path: str, data: bytes, index: ModuleIndex) -> set[str]:
    """The repository files ``path`` imports, read from the text of the import statements that
    start a line, without a parse (what ``imports_of`` finds in the tree for such statements;
    an import inside a string counts too, which only widens the selection)."""
    found: set[str] = set()
    package = list(PurePosixPath(path).parent.parts)
    for match in _IMPORT.finditer(data):
        text = match.group(0).decode("utf-8", "replace")
        lines = text.replace("\\\r\n", " ").replace("\\\n", " ").splitlines()
        text = " ".join(line.split("#", 1)[0] for line in lines).replace("(", " ").replace(")", " ")
        for stmt in (part.strip() for part in text.split(";")):  # ``import a; import b``
            resolve(_statement_names(stmt, package), path, index, found)
    found.discard(path)
    return found


def _statement_names(stmt: str, package: list[str]) -> list[str]:
    """The dotted names one ``import``/``from ... import`` statement may load."""
    if stmt.startswith("from"):
        parsed = _FROM.match(stmt)
        if parsed is None:
            return []
        level, module = len(parsed.group(1)), parsed.group(2)
        if level:
            base = package[: len(package) - (level - 1)] if level > 1 else package
            head = ".".join([*base, module] if module else base)
        else:
            head = module
        aliases = [a.split()[0] for a in parsed.group(3).split(",") if a.split()]
        return [head] + [f"{head}.{a}" if head else a for a in aliases]
    if stmt.startswith("import"):
        return [a.split()[0] for a in stmt[len("import") :].split(",") if a.split()]
    return []


def _name(path: str) -> bytes:
    """The word an import of ``path`` must contain: its stem, or its package's for ``__init__``."""
    posix = PurePosixPath(path)
    stem = posix.parent.name if posix.stem == "__init__" else posix.stem
    return stem.encode("utf-8", "surrogateescape")  # a file name that is not UTF-8 keeps its bytes


def installed_code_removed(root: Path, py_files: list[str], all_files: Iterable[str]) -> list[str]:
    """``py_files`` without installed third-party code: the files a ``*.dist-info/RECORD`` lists
    (``pip install --target``: a Lambda package, a vendored dependency folder), like the
    ``site-packages`` folders the walk skips. The SDK's own sources there would otherwise be
    analysed as if they were the workload's code; the workload's files beside them stay."""
    installed: set[str] = set()
    for path in all_files:
        parent, _, name = path.rpartition("/")
        folder, _, record = parent.rpartition("/") if "/" in parent else ("", "", parent)
        if name != "RECORD" or not record.endswith(".dist-info"):
            continue
        try:
            text = (root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        base = PurePosixPath(folder)
        for line in text.splitlines():
            listed = line.split(",", 1)[0]
            if listed.endswith(".py") and not listed.startswith(("/", "../")):
                installed.add((base / listed).as_posix())
    return [p for p in py_files if p not in installed] if installed else py_files


def _settings_module(path: str) -> bool:
    return path.endswith("settings.py") or "/settings/" in path


@dataclass
class Selection:
    """The parsed files that matter, parse errors of files that might, and counts for reports.

    ``graph`` (each parsed file's imports among the parsed files), ``relevant`` (the files that
    take part in AWS calls) and ``index`` are the ones the selection used: the workloads' code is
    followed by the same imports and the same rule (``follow``), never recomputed.
    """

    trees: dict[str, ast.Module] = field(default_factory=dict)
    graph: dict[str, set[str]] = field(default_factory=dict)
    relevant: set[str] = field(default_factory=set)
    index: ModuleIndex = field(default_factory=ModuleIndex)
    errors: list[str] = field(default_factory=list)
    read: int = 0
    parsed: int = 0


#: above this many Python files, only the code a key can reach is considered (``anchors``)
LARGE_TREE = 3000


def select(
    root: Path,
    py_files: Iterable[str],
    max_bytes: int,
    progress: Reporter = NULL,
    anchors: frozenset[str] | None = None,
) -> Selection:
    """Parse the files of ``py_files`` (repo-relative) that can take part in an AWS call.

    ``anchors``: on a tree of more than ``LARGE_TREE`` Python files, the folders that hold a key
    or a deployment that sets one. Only the files below them, the files that import them (at any
    depth) and what all of those import are considered: a vendored ``site-packages`` full of SDK
    users (moto, cfn-lint, botocore itself) otherwise cost minutes to parse for calls no key
    makes. Smaller trees are read whole.
    """
    paths = sorted(py_files)
    data: dict[str, bytes] = {}
    progress.phase("reading", total=len(paths), unit="files")
    for path in paths:
        progress.advance()
        try:
            with open(root / path, "rb") as handle:
                blob = handle.read(max_bytes + 1)
        except OSError:
            continue
        if len(blob) <= max_bytes:
            data[path] = blob
    index = module_index(data)
    parsed: dict[str, ast.Module | None] = {}
    imports: dict[str, set[str]] = {}
    out = Selection(read=len(data))

    def tree_of(path: str) -> ast.Module | None:
        if path not in parsed:
            text = data[path].decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
            try:
                parsed[path] = parse(text, path)
            except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
                parsed[path] = None
                out.errors.append(
                    f"{path}: cannot parse ({type(exc).__name__}); "
                    "the AWS calls in it may be missing from the plan"
                )
        return parsed[path]

    def imported(path: str) -> set[str]:
        # read from the import statements' bytes: parsing every file that merely names a common
        # module word ("utils", "client") cost more than the rest of the plan on a large tree
        if path not in imports:
            imports[path] = byte_imports(path, data[path], index)
        return imports[path]

    words: dict[str, frozenset[bytes]] = {}
    if anchors is not None and len(data) > LARGE_TREE:
        data = _reachable(data, anchors, _Importers(data, imported, words))
        out.read = len(data)
    importers = _Importers(data, imported, words)
    relevant: set[str] = set()
    frontier = [p for p, blob in data.items() if SDK_MARKER in blob or WRAPPER_MARKER in blob]
    while frontier:
        relevant.update(frontier)
        frontier = importers(frontier, relevant)
    needed = _values_read(data, relevant, imported, index)
    progress.phase("parsing", total=len(needed), unit="files")
    for path in sorted(needed):
        progress.advance()
        tree = tree_of(path)
        if tree is not None:
            out.trees[path] = tree
    out.parsed = len(parsed)
    out.errors.sort()
    out.graph = {p: {t for t in imported(p) if t in out.trees} for p in out.trees}
    out.relevant = relevant & set(out.trees)
    out.index = index
    return out


class _Importers:
    """The files whose import statements load a given set of files: the backward step of both
    the SDK users' closure and the anchors' reach.

    A file can import ``pkg/storage.py`` only if an import statement of it says ``storage``, so
    a word index (built once) names the few files worth resolving, and each file's imports are
    resolved once, into reverse edges. Every later step reads those edges: a closure of any
    length costs each file and each import edge once, never files x steps (a 10,000-file import
    chain took 10,000 scans of the whole tree).
    """

    def __init__(
        self,
        data: Mapping[str, bytes],
        imported: Callable[[str], set[str]],
        words: dict[str, frozenset[bytes]],
    ) -> None:
        self._by_word: dict[bytes, list[str]] = {}
        for path, blob in data.items():
            if path not in words:
                words[path] = _import_words(blob)
            for word in words[path]:
                self._by_word.setdefault(word, []).append(path)
        self._data = data
        self.imported = imported
        self._reverse: dict[str, set[str]] = {}
        self._expanded: set[str] = set()

    def __call__(self, frontier: Iterable[str], exclude: set[str]) -> list[str]:
        """The files outside ``exclude`` that import a file of ``frontier``."""
        targets = list(frontier)
        for word in {_name(p) for p in targets}:
            for path in self._by_word.pop(word, ()):  # each word's files are resolved once
                if path not in self._expanded:
                    self._expanded.add(path)
                    for target in self.imported(path):
                        self._reverse.setdefault(target, set()).add(path)
        found: set[str] = set()
        for target in targets:
            found.update(self._reverse.get(target, ()))
        return sorted(p for p in found if p not in exclude and p in self._data)


def _values_read(
    data: Mapping[str, bytes], relevant: set[str], imported: Callable[[str], set[str]], index: ModuleIndex
) -> set[str]:
    """The relevant files, Django settings modules, and the code they read values from."""
    seeds = set(relevant) | {p for p in data if _settings_module(p)}
    return follow(seeds, lambda p: (t for t in imported(p) if t in data), relevant, index)


def follow(
    seeds: Iterable[str], imported: Callable[[str], Iterable[str]], relevant: set[str], index: ModuleIndex
) -> set[str]:
    """``seeds`` and the code they read values from: the files they import, at any depth.

    Everything a seed or a relevant file (one that takes part in AWS calls) imports is kept (a
    settings module, a helper handed a client), and so is what those files import inside their
    own package (``settings/__init__`` star-importing ``settings/base``). A file that takes no
    part in an AWS call is not followed out of its package: a service's ``import json`` found a
    copied standard library in a large tree, and its imports, followed everywhere, made most of
    that library part of the service. Each file and import edge is visited once.
    """
    needed = set(seeds)
    full = relevant | needed
    stack = list(needed)
    while stack:
        source = stack.pop()
        for target in imported(source):
            if target in needed:
                continue
            if source not in full and index.package_of(target) != index.package_of(source):
                continue
            needed.add(target)
            stack.append(target)
    return needed


#: import hops followed from a key's folder on a large tree: back to the code that uses the key
#: (a settings module, the helper that imports it, the view that calls the helper) and forward
#: to the values that code reads; beyond them lies library code no key reaches
_HOPS = 3


def _reachable(data: dict[str, bytes], anchors: frozenset[str], importers: _Importers) -> dict[str, bytes]:
    """The files below the anchor folders, the files that import them (up to ``_HOPS`` imports
    away, found as ``select`` finds SDK users), and what those import (as far)."""
    prefixes = tuple(f"{a}/" for a in anchors if a)
    seeds = set(data) if "" in anchors else {p for p in data if p.startswith(prefixes)}
    reach = set(seeds)
    frontier = sorted(reach)
    for _ in range(_HOPS):
        if not frontier:
            break
        frontier = importers(frontier, reach)
        reach.update(frontier)
    layer = set(reach)
    for _ in range(_HOPS):
        layer = {t for p in layer for t in importers.imported(p) if t in data and t not in reach}
        if not layer:
            break
        reach |= layer
    return {p: blob for p, blob in data.items() if p in reach}


def nearest(seeds: Iterable[str], graph: Mapping[str, set[str]], allowed: set[str], limit: int) -> list[str]:
    """Up to ``limit`` files of ``allowed``, the closest to ``seeds`` by imports either way first.

    The bound of one workload's analysis (``MAX_ANALYSED``): the whole-program passes cost
    functions x passes, and a workload of a copied library (moto: 1,200 files) did not finish in
    minutes. The files nearest the keys are where the keys' calls are. Breadth-first over each
    edge once, so the cost is linear whatever the graph's shape.
    """
    reverse: dict[str, list[str]] = {}
    for source in sorted(allowed):
        for target in graph.get(source, ()):
            reverse.setdefault(target, []).append(source)
    order = [s for s in dict.fromkeys(seeds) if s in allowed][:limit]
    seen = set(order)
    head = 0
    while head < len(order) and len(order) < limit:
        path = order[head]
        head += 1
        for other in (*sorted(graph.get(path, ())), *reverse.get(path, ())):
            if other in allowed and other not in seen:
                seen.add(other)
                order.append(other)
                if len(order) >= limit:
                    break
    if len(order) < limit:  # code no import connects to a key: the budget's rest, in path order
        order.extend(p for p in sorted(allowed - seen)[: limit - len(order)])
    return order
