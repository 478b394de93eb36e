"""The planner's import walks: Python's resolution rule, and linear cost on adversarial shapes.

``_Importers`` (the backward closure), ``follow`` (the values read) and ``nearest`` (the bound
of one workload's analysis) each visit a file and an import edge once. The properties count the
import resolutions and bound the wall time on long chains, huge fan-in, cycles and one huge
single-line import statement; the old loop scanned the whole tree once per step of a chain.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyshift.planner.candidates import _Importers, byte_imports, follow, nearest
from keyshift.planner.workloads import module_index


@pytest.mark.parametrize(
    "files, importer, name, expected",
    [
        # a vendored library's json.py is ``rich.json``, never the standard ``json``
        (["app/events.py", "vendor/rich/__init__.py", "vendor/rich/json.py"], "app/events.py", "json", None),
        # ... unless the importer runs from inside that package (a script's folder is on sys.path)
        (["rich/__init__.py", "rich/json.py", "rich/console.py"], "rich/console.py", "json", "rich/json.py"),
        # a folder without __init__.py is a possible import root: its modules are top-level names
        (
            ["app/events.py", "lib/python3.11/json/__init__.py"],
            "app/events.py",
            "json",
            "lib/python3.11/json/__init__.py",
        ),
        (["svc/main.py", "svc/helpers.py"], "svc/main.py", "helpers", "svc/helpers.py"),
        # the repository root is always a root, even when it holds __init__.py
        (["__init__.py", "config.py", "app/main.py"], "app/main.py", "config", "config.py"),
        # a full dotted name from a root
        (
            ["pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/mod.py", "x.py"],
            "x.py",
            "pkg.sub.mod",
            "pkg/sub/mod.py",
        ),
        # the closest of several roots' candidates
        (["a/util.py", "b/util.py", "b/main.py"], "b/main.py", "util", "b/util.py"),
    ],
)
def test_module_index_resolves_as_python_would(
    files: list[str], importer: str, name: str, expected: str | None
) -> None:
    assert module_index(files).find(name, importer) == expected


def test_sdk_modules_are_never_followed_into_a_vendored_copy() -> None:
    files = ["app/main.py", "vendor/boto3/__init__.py", "vendor/botocore/client.py", "vendor/os.py"]
    index = module_index(files)
    source = b"import boto3\nfrom botocore.client import Config\nimport os\n"
    assert byte_imports("app/main.py", source, index) == set()


def test_values_are_followed_out_of_a_package_only_from_relevant_files() -> None:
    files = [
        "svc/aws.py",  # relevant: imports boto3, reads settings and json
        "svc/settings/__init__.py",
        "svc/settings/base.py",
        "common/names.py",
        "lib/json/__init__.py",
        "lib/json/decoder.py",
        "lib/re.py",
    ]
    index = module_index(files)
    graph = {
        "svc/aws.py": {"svc/settings/__init__.py", "lib/json/__init__.py"},
        "svc/settings/__init__.py": {"svc/settings/base.py"},
        "svc/settings/base.py": {"common/names.py"},
        "lib/json/__init__.py": {"lib/json/decoder.py"},
        "lib/json/decoder.py": {"lib/re.py"},
    }
    reached = follow(["svc/aws.py"], lambda p: graph.get(p, set()), {"svc/aws.py"}, index)
    # the settings package is followed inside itself; json inside itself; re is another package
    assert reached == {
        "svc/aws.py",
        "svc/settings/__init__.py",
        "svc/settings/base.py",
        "lib/json/__init__.py",
        "lib/json/decoder.py",
    }


def _shape(kind: str, n: int) -> dict[str, bytes]:
    """A tree of ``n`` modules, each ``pkg/mNNNN.py``, wired as ``kind`` says."""
    names = [f"m{i:05d}" for i in range(n)]
    data: dict[str, bytes] = {}
    for i, name in enumerate(names):
        if kind == "chain":  # m1 imports m0, m2 imports m1, ...: n steps backwards
            body = f"import {names[i - 1]}\n" if i else "import boto3\n"
        elif kind == "cycle":
            body = f"import {names[(i + 1) % n]}\n" + ("import boto3\n" if i == 0 else "")
        elif kind == "fanin":  # every module imports the one SDK user
            body = "import boto3\n" if i == 0 else f"import {names[0]}\n"
        else:  # "line": one module imports all the others in one statement
            body = ("from pkg import " + ", ".join(names[1:]) + "\n") if i == 0 else "import boto3\n"
        data[f"pkg/{name}.py"] = body.encode()
    return data


def _closure(data: dict[str, bytes]) -> tuple[set[str], int]:
    index = module_index(data)
    resolved: dict[str, set[str]] = {}
    count = 0

    def imported(path: str) -> set[str]:
        nonlocal count
        if path not in resolved:
            count += 1
            resolved[path] = byte_imports(path, data[path], index)
        return resolved[path]

    importers = _Importers(data, imported, {})
    relevant: set[str] = set()
    frontier = [p for p, blob in data.items() if b"boto" in blob]
    while frontier:
        relevant.update(frontier)
        frontier = importers(frontier, relevant)
    follow(relevant, imported, relevant, index)
    return relevant, count


@settings(max_examples=8, deadline=None)
@given(kind=st.sampled_from(["chain", "cycle", "fanin", "line"]), n=st.integers(2, 3000))
def test_the_backward_closure_resolves_each_file_once(kind: str, n: int) -> None:
    data = _shape(kind, n)
    relevant, resolutions = _closure(data)
    assert resolutions <= len(data)
    if kind in ("chain", "cycle", "fanin"):
        assert relevant == set(data)  # every module reaches the SDK user


@pytest.mark.parametrize("kind", ["chain", "cycle", "fanin", "line"])
def test_the_walks_stay_linear_on_adversarial_shapes(kind: str) -> None:
    def cost(n: int) -> float:
        data = _shape(kind, n)
        start = time.process_time()
        relevant, _ = _closure(data)
        graph = {p: set() for p in data}
        nearest(sorted(relevant)[:1], graph, set(data), n // 2)
        return time.process_time() - start

    small, large = cost(2000), cost(8000)
    # 4 times the files: about 4 times the work (the quadratic loop took 16 times, minutes)
    assert large < 12 * small + 1.0, (small, large)


@given(
    edges=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=200),
    seeds=st.lists(st.integers(0, 40), max_size=5),
    limit=st.integers(0, 50),
)
def test_nearest_keeps_the_budget_and_the_seeds_first(
    edges: list[tuple[int, int]], seeds: list[int], limit: int
) -> None:
    allowed = {f"f{i}.py" for i in range(41)}
    graph: dict[str, set[str]] = {}
    for a, b in edges:
        graph.setdefault(f"f{a}.py", set()).add(f"f{b}.py")
    named = [f"f{s}.py" for s in seeds]
    kept = nearest(named, graph, allowed, limit)
    assert len(kept) == min(limit, len(allowed))
    assert len(set(kept)) == len(kept) and set(kept) <= allowed
    unique = list(dict.fromkeys(named))
    assert kept[: min(limit, len(unique))] == unique[:limit]


def test_a_workload_over_the_analysis_bound_says_what_was_not_analysed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyshift.planner.build as build

    root = tmp_path / "demo"
    shutil.copytree(Path(__file__).resolve().parents[2] / "fixtures" / "demo", root)
    monkeypatch.setattr(build, "MAX_ANALYSED", 3)
    result = build.plan_repository(root)
    bound = [e for e in result.errors if "were not analysed" in e]
    assert len(bound) == 1 and "6 Python files, more than the 3" in bound[0], result.errors
    # the files nearest the keys (settings.py holds them) are the ones analysed: a role is planned
    assert result.roles
