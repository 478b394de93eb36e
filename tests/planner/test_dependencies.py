"""Every third-party package the planner imports is a declared dependency.

PyYAML (compose files) once arrived only through another package's requirements; a declared
dependency is the only kind a user's install is guaranteed to have.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from .plan_helpers import REPO

# reached through a declared dependency that pins it (boto3 requires botocore)
_VIA = {"botocore": "boto3"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_normal(re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}


def _imports() -> set[str]:
    found: set[str] = set()
    for path in [
        *(REPO / "src" / "keyshift" / "planner").rglob("*.py"),
        REPO / "src/keyshift/commands/plan.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "keyshift"}


def test_planner_imports_are_declared() -> None:
    declared = _declared()
    distributions = packages_distributions()
    missing = []
    for module in sorted(_imports()):
        if module in _VIA and _normal(_VIA[module]) in declared:
            continue
        names = {_normal(d) for d in distributions.get(module, [module])}
        if not names & declared:
            missing.append(module)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    assert "pyyaml" in declared
