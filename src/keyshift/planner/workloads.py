"""Which code each workload runs: imports followed from its own files, and the project's name.

A workload (task definition family, compose service with a build, Dockerfile build context)
runs the Python files of its directory and every module they import, wherever it lives in the
repository. A folder no workload's directory holds but whose modules a workload imports is a
library: its calls belong to each workload that reaches it, analysed with that workload's own
callers and environment, so two services calling one helper never lend each other buckets.
"""

from __future__ import annotations

import ast
import configparser
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath


class ModuleIndex(dict[str, list[str]]):
    """Dotted name -> files, with the length of its longest name (no longer dotted prefix of an
    import can name a file) and, for names many files share, a folder tree to find the closest."""

    longest: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.tries: dict[str, _Node] = {}


#: the longest dotted prefix looked up in an index that does not know its own longest name
#: (a path has at most this many characters on Linux)
_PATH_MAX = 4096
#: above this many files for one dotted name, ``closest`` walks a folder tree, not every file
_MANY = 32


def _module_index(paths: Iterable[str]) -> ModuleIndex:
    index = ModuleIndex()
    for path in paths:
        parts = list(PurePosixPath(path).with_suffix("").parts)
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
        for start in range(len(parts)):
            dotted = ".".join(parts[start:])
            if dotted:
                index.setdefault(dotted, []).append(path)
                index.longest = max(index.longest, len(dotted))
    return index


class _Node:
    """One folder (or file) of the candidates' paths, with the best candidate below it."""

    __slots__ = ("best", "children")

    def __init__(self, best: tuple[int, str]) -> None:
        self.best = best
        self.children: dict[str, _Node] = {}


def _tree(candidates: list[str]) -> _Node:
    root = _Node((len(candidates[0]), candidates[0]))
    for path in candidates:
        key = (len(path), path)
        node = root
        node.best = min(node.best, key)
        for part in path.split("/"):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node(key)
            node = child
            node.best = min(node.best, key)
    return root


def _nearest(index: Mapping[str, list[str]], name: str, candidates: list[str], importer: str) -> str:
    """``closest`` in time proportional to the importer's depth when many files share ``name``:
    the deepest folder of the importer's path that holds a candidate, then its shortest one
    (checked against ``closest`` by tests/security/test_planner_imports_linear.py)."""
    tries: dict[str, _Node] | None = getattr(index, "tries", None)
    if tries is None or len(candidates) <= _MANY:
        return closest(candidates, importer)
    node = tries.get(name)
    if node is None:
        node = tries[name] = _tree(candidates)
    best = node.best
    for part in importer.split("/"):
        child = node.children.get(part)
        if child is None:
            break
        node = child
        best = node.best
    return best[1]


def closest(candidates: list[str], importer: str) -> str:
    """The candidate sharing the longest folder prefix with ``importer`` (then the shortest)."""
    if len(candidates) == 1:
        return candidates[0]
    importer_parts = importer.split("/")

    def closeness(path: str) -> tuple[int, int, str]:
        common = 0
        for a, b in zip(path.split("/"), importer_parts, strict=False):
            if a != b:
                break
            common += 1
        return (-common, len(path), path)

    return min(candidates, key=closeness)


def module_index(paths: Iterable[str]) -> ModuleIndex:
    """Dotted name (every suffix of the path: ``a.b.c``, ``b.c``, ``c``) -> the files it may name."""
    return _module_index(paths)


def imports_of(path: str, tree: ast.Module, index: Mapping[str, list[str]]) -> set[str]:
    """The repository files ``path`` imports (absolute and relative imports), by ``index``."""
    found: set[str] = set()
    package = list(PurePosixPath(path).parent.parts)
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                head = ".".join([*base, node.module] if node.module else base)
            else:
                head = node.module or ""
            names = [head] + [f"{head}.{alias.name}" if head else alias.name for alias in node.names]
        resolve(names, path, index, found)
    found.discard(path)
    return found


def resolve(names: Iterable[str], importer: str, index: Mapping[str, list[str]], found: set[str]) -> None:
    """Add to ``found`` the repository files the dotted ``names`` load: ``import a.b.c`` runs
    a, a.b and a.b.c, each the candidate closest to ``importer``. Prefixes longer than the
    index's longest name are not looked up (``import a.a.a…`` of a megabyte was quadratic)."""
    longest = getattr(index, "longest", _PATH_MAX)
    for name in names:
        end = name.find(".")
        while True:
            prefix = name if end == -1 else name[:end]
            if len(prefix) > longest:
                break
            candidates = index.get(prefix)
            if candidates:
                found.add(_nearest(index, prefix, candidates, importer))
            if end == -1:
                break
            end = name.find(".", end + 1)


def import_graph(trees: Mapping[str, ast.Module]) -> dict[str, set[str]]:
    """For each file, the repository files it imports (absolute and relative imports)."""
    index = _module_index(trees)
    return {path: imports_of(path, tree, index) for path, tree in trees.items()}


def closure(seeds: Iterable[str], graph: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = list(seeds)
    while stack:
        path = stack.pop()
        if path in seen:
            continue
        seen.add(path)
        stack.extend(graph.get(path, ()))
    return seen


_LAMBDA_ARGS = ("event", "context")


def lambda_handlers(tree: ast.Module) -> list[str]:
    """Top-level functions with Lambda's ``(event, context)`` signature."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names = [a.arg for a in node.args.args]
            if len(names) == 2 and names[0].endswith("event") and names[1].endswith("context"):
                out.append(node.name)
    return out


def has_main(tree: ast.Module) -> bool:
    """``if __name__ == "__main__":`` at module level."""
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Compare):
            left = node.test.left
            if isinstance(left, ast.Name) and left.id == "__name__":
                return True
    return False


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def project_name(root: Path) -> str | None:
    """The project's own name: pyproject/setup metadata, else the git remote's repository name."""
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        for name in (data.get("project", {}).get("name"), data.get("tool", {}).get("poetry", {}).get("name")):
            if isinstance(name, str) and _NAME.match(name):
                return name
    except (OSError, ValueError, AttributeError):
        pass
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string((root / "setup.cfg").read_text(encoding="utf-8"))
        name = parser.get("metadata", "name", fallback=None)
        if name and _NAME.match(name):
            return name
    except (OSError, configparser.Error):
        pass
    try:
        setup = (root / "setup.py").read_text(encoding="utf-8", errors="replace")
        match = re.search(r"\bname\s*=\s*[\"']([A-Za-z0-9][A-Za-z0-9._-]*)[\"']", setup)
        if match:
            return match.group(1)
    except OSError:
        pass
    try:  # read as text: nothing in the repository's git config is executed
        config = (root / ".git" / "config").read_text(encoding="utf-8", errors="replace")
        match = re.search(r"url\s*=\s*\S*?[/:]([A-Za-z0-9._-]+?)(?:\.git)?/?\s*$", config, re.M)
        if match and _NAME.match(match.group(1)):
            return match.group(1)
    except OSError:
        pass
    return None


def main_package(py_files: Iterable[str]) -> str | None:
    """The one top-level package (a directory with ``__init__.py``) outside tests, if there is one."""
    packages = {
        PurePosixPath(p).parts[0]
        for p in py_files
        if len(PurePosixPath(p).parts) == 2 and PurePosixPath(p).name == "__init__.py"
    }
    packages -= {"tests", "test", "docs", "scripts", "examples"}
    return next(iter(packages)) if len(packages) == 1 else None


_K8S_WORKLOAD = re.compile(r"^kind:\s*(Deployment|StatefulSet|CronJob|Job|DaemonSet)\s*$", re.M)


def kubernetes(root: Path, files: Iterable[Path]) -> bool:
    """Kubernetes workload manifests (Deployment, CronJob, ...) or a Helm chart in the repository."""
    for path in files:
        if path.name == "Chart.yaml":
            return True
        if path.suffix in (".yaml", ".yml") and path.stat().st_size < 1_000_000:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if "apiVersion:" in text and _K8S_WORKLOAD.search(text):
                return True
    return False
