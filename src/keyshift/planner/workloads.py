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

from keyshift.awsnames import SDK_MODULES


class ModuleIndex(dict[str, list[str]]):
    """Dotted name -> the files it may load, as Python's import system would find them.

    The folders on ``sys.path`` are unknown, so every suffix of a file's path is a name it may be
    imported by (``a.b.c``, ``b.c``, ``c``), except that a suffix starting inside a regular
    package (a folder holding ``__init__.py``) is usable only by importers in or below that
    folder (a script's own folder is on ``sys.path``): ``rich/json.py`` is ``rich.json``, never
    ``json`` for a service elsewhere. Without that rule, ``import json`` in a service resolved to
    whichever vendored ``json.py`` had the shortest path, and one service's code reached most of
    a copied ``site-packages``. The repository root is always an import root.

    The mapping holds every suffix (``get``); ``find`` applies the rule. ``longest``: no longer
    dotted prefix of an import can name a file. For names many files share, a folder tree finds
    the closest (``_nearest``); answers are memoised per (name, importer folder).
    """

    longest: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.tries: dict[str, _Node] = {}
        self.packages: set[str] = set()
        self._outer: dict[str, list[str]] = {}  # names usable from anywhere
        self._inner: dict[tuple[str, str], list[str]] = {}  # (name, package it starts in)
        self._memo: dict[tuple[str, str], str | None] = {}

    def find(self, dotted: str, importer: str) -> str | None:
        """The file ``import dotted`` in ``importer`` loads, closest to it; None: none here."""
        folder = importer.rpartition("/")[0]
        key = (dotted, folder)
        if key in self._memo:
            return self._memo[key]
        usable: list[str] = []
        outer = self._outer.get(dotted)
        if outer:
            usable.append(_nearest(self._outer, dotted, outer, folder + "/", self.tries))
        if self._inner:
            start = folder
            while True:  # the importer's folder and each one above it (depth, not file count)
                usable.extend(self._inner.get((dotted, start), ()))
                if not start:
                    break
                start = start.rpartition("/")[0]
        found = closest(usable, folder + "/") if usable else None
        self._memo[key] = found
        return found

    def package_of(self, path: str) -> str:
        """The outermost regular package holding ``path``, else its folder: a library's boundary."""
        folder = path.rpartition("/")[0]
        top = folder
        while folder in self.packages:
            top = folder
            folder = folder.rpartition("/")[0]
        return top


#: above this many files for one dotted name, ``closest`` walks a folder tree, not every file
_MANY = 32


def _module_index(paths: Iterable[str]) -> ModuleIndex:
    index = ModuleIndex()
    entries: list[tuple[str, str, str]] = []
    for path in paths:
        parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
        if parts and parts[-1] == "__init__":
            parts = parts[:-1]
            index.packages.add("/".join(parts))
        for start in range(len(parts)):
            dotted = ".".join(parts[start:])
            if dotted:
                index.setdefault(dotted, []).append(path)
                index.longest = max(index.longest, len(dotted))
                entries.append((dotted, path, "/".join(parts[:start])))
    for dotted, path, folder in entries:
        if folder and folder in index.packages:
            index._inner.setdefault((dotted, folder), []).append(path)
        else:
            index._outer.setdefault(dotted, []).append(path)
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


def _nearest(
    index: Mapping[str, list[str]],
    name: str,
    candidates: list[str],
    importer: str,
    tries: dict[str, _Node] | None = None,
) -> str:
    """``closest`` in time proportional to the importer's depth when many files share ``name``:
    the deepest folder of the importer's path that holds a candidate, then its shortest one
    (checked against ``closest`` by tests/security/test_planner_imports_linear.py)."""
    tries = tries if tries is not None else getattr(index, "tries", None)
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


def imports_of(path: str, tree: ast.Module, index: ModuleIndex) -> set[str]:
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


#: modules the analysis models itself (the SDK family, and ``os`` for the environment): an import
#: of them never loads repository code, even where a copy of them is vendored in the tree
MODELLED = frozenset({*SDK_MODULES, "os"})


def resolve(names: Iterable[str], importer: str, index: ModuleIndex, found: set[str]) -> None:
    """Add to ``found`` the repository files the dotted ``names`` load: ``import a.b.c`` runs
    a, a.b and a.b.c, each the candidate closest to ``importer`` (``ModuleIndex.find``).
    Prefixes longer than the index's longest name are not looked up (``import a.a.a…`` of a
    megabyte was quadratic)."""
    longest = index.longest
    for name in names:
        end = name.find(".")
        if (name if end == -1 else name[:end]) in MODELLED:
            continue
        while True:
            prefix = name if end == -1 else name[:end]
            if len(prefix) > longest:
                break
            target = index.find(prefix, importer)
            if target is not None:
                found.add(target)
            if end == -1:
                break
            end = name.find(".", end + 1)


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
