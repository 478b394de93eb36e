"""Text output names files from the current directory; JSON keeps them relative to the scanned root.

``scan``, ``fix`` and ``plan`` run through ``python -m keyshift`` on a copy of the demo from the
repository root, from its parent and from a subfolder: a person can paste any path printed into
an editor from where they stand, and ``scan`` and ``fix`` name the same file the same way.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.cli.subprocess_cli import keyshift as run

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo"



def keyshift(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(*args, cwd=cwd, columns=200, timeout=120)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    parent = tmp_path_factory.mktemp("paths")
    shutil.copytree(DEMO, parent / "demo")
    return parent


# (working directory under the copy, target as typed, how orders/settings.py, orders/db.py and
# the Dockerfile are named: outside the working directory, absolute)
CASES = [
    ("demo", ".", "orders/settings.py", "orders/db.py", "Dockerfile"),
    (".", "demo", "demo/orders/settings.py", "demo/orders/db.py", "demo/Dockerfile"),
    ("demo/orders", "..", "settings.py", "db.py", "{abs}/demo/Dockerfile"),
]
IDS = ["root", "parent", "sub"]


@pytest.mark.parametrize(("cwd", "target", "settings", "db", "dockerfile"), CASES, ids=IDS)
def test_scan_fix_and_plan_name_files_from_the_current_directory(
    tree: Path, cwd: str, target: str, settings: str, db: str, dockerfile: str
) -> None:
    here = tree / cwd
    dockerfile = dockerfile.replace("{abs}", tree.resolve().as_posix())
    scan = keyshift("scan", target, cwd=here)
    assert scan.returncode == 1, scan.stderr
    assert re.search(rf"^  {re.escape(settings)}:7:\d+ ", scan.stdout, re.M), scan.stdout
    fix = keyshift("fix", target, cwd=here)
    names = set(re.findall(r"^(\S+\.py):\d+: ", fix.stdout, re.M))
    assert db in names, fix.stdout
    assert f"--- a/{db.lstrip('/')}" in fix.stdout
    # orders/events.py holds a key and a call site: both commands name it, the same way
    events = db.removesuffix("db.py") + "events.py"
    assert events in names
    assert events in set(re.findall(r"^  (\S+\.py):\d+:\d+ ", scan.stdout, re.M))
    plan = keyshift("plan", target, cwd=here)
    assert f"BLOCKER {dockerfile}:6:" in plan.stdout, plan.stdout
    assert re.search(rf"^  {re.escape(dockerfile)}:7:\d+ ", scan.stdout, re.M)


@pytest.mark.parametrize(("cwd", "target"), [c[:2] for c in CASES], ids=IDS)
def test_json_and_sarif_stay_relative_to_the_scanned_root(tree: Path, cwd: str, target: str) -> None:
    here = tree / cwd
    report = json.loads(keyshift("scan", target, "--format", "json", cwd=here).stdout)
    assert "orders/settings.py" in {f["path"] for f in report["findings"]}
    sarif = json.loads(keyshift("scan", target, "--format", "sarif", cwd=here).stdout)
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
        for loc in result["locations"]
    }
    assert "orders/settings.py" in uris


@pytest.mark.parametrize("fmt", ["json", "sarif", "text"])
def test_two_trees_in_one_scan_keep_their_files_apart(tmp_path: Path, fmt: str) -> None:
    """``scan a b`` is one report with one root: each tree's files start with its own folder."""
    for name in ("a", "b"):
        shutil.copytree(DEMO, tmp_path / "copies" / name)
    out = keyshift("scan", "copies/a", "copies/b", "--format", fmt, cwd=tmp_path)
    assert out.returncode == 1, out.stderr
    if fmt == "json":
        paths = {f["path"] for f in json.loads(out.stdout)["findings"]}
    elif fmt == "sarif":
        paths = {
            loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in json.loads(out.stdout)["runs"][0]["results"]
            for loc in result["locations"]
        }
    else:
        paths = set(re.findall(r"^  (\S+):\d+:\d+ ", out.stdout, re.M))
    prefix = "" if fmt != "text" else "copies/"
    for name in ("a", "b"):
        assert {f"{prefix}{name}/orders/settings.py", f"{prefix}{name}/Dockerfile"} <= paths, sorted(paths)
