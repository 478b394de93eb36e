"""The planner's import reading grows linearly on hostile trees (round 4 attack pass).

Before: ``import a.a.a…`` of a megabyte looked up every dotted prefix (quadratic), each
``from . import (`` never closed rescanned the rest of the file, ``import a; from ......``
split its dots every way, a chain of imports rescanned every file once per link, and 100,000
files sharing a module name (``utils``) compared every importer with every one of them.
Each shape is built at n and 4n; 4n must cost less than ``RATIO`` times n in CPU time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.security.linear import assert_linear

from keyshift.planner.candidates import _import_words, byte_imports, select
from keyshift.planner.workloads import _nearest, closest, module_index, resolve

INDEX = module_index(["a/b.py", "a/__init__.py", "x/y/z.py", "m.py"])


BYTE_SHAPES: dict[str, Callable[[int], bytes]] = {
    "long-dotted-import": lambda k: b"import " + b"a." * k + b"b\n",
    "long-dotted-from": lambda k: b"from " + b"a." * k + b"b import c\n",
    "many-names": lambda k: b"from a import (" + b"b, " * k + b")\n",
    "unclosed-paren-lines": lambda k: b"from . import (\n" * k,
    "unclosed-plain-import": lambda k: b"import (\n" * k,
    "relative-dots": lambda k: b"from " + b"." * k + b"a import b\n",
    "semicolon-then-dots": lambda k: b"import a;from " + b"." * k + b" x\n",
    "backslash-lines": lambda k: b"import a\\\n" * k,
    "from-without-import": lambda k: b"from " + b"a" * k + b" x\n",
    "indent-run": lambda k: b" \t" * k + b"x\n",
    "nul-and-invalid-utf8": lambda k: b"import a.\x00\xff.b\n" * k,
    "crlf-continuations": lambda k: b"from a import b, \\\r\n" * k,
}


@pytest.mark.parametrize("shape", sorted(BYTE_SHAPES))
def test_byte_imports_linear(shape: str) -> None:
    def make(k: int) -> Callable[[], object]:
        data = BYTE_SHAPES[shape](k)
        return lambda: (byte_imports("p/q/m.py", data, INDEX), _import_words(data))

    assert_linear(make, 20_000)


ATOMS = ["import ", "from ", ".", "a", "b.", "(", ")", "\\\n", ";", ",", " ", "\n", "#", "\x00", "é", "\t"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=6))
def test_composed_import_text_linear(atoms: list[str]) -> None:
    unit = "".join(atoms).encode("utf-8", "surrogatepass")

    def make(k: int) -> Callable[[], object]:
        data = unit * (k // len(unit) + 1)
        return lambda: (byte_imports("p/m.py", data, INDEX), _import_words(data))

    assert_linear(make, 40_000)


def test_long_dotted_name_still_resolves_its_short_prefixes() -> None:
    found: set[str] = set()
    resolve(["a.b." + "z." * 50_000], "m.py", INDEX, found)
    assert found == {"a/__init__.py", "a/b.py"}


def test_backslash_continuation_names_are_read() -> None:
    index = module_index(["pkg/one.py", "pkg/two.py", "pkg/__init__.py"])
    for newline in (b"\n", b"\r\n"):
        data = b"from pkg import one, \\" + newline + b"    two\n"
        assert byte_imports("main.py", data, index) == {"pkg/__init__.py", "pkg/one.py", "pkg/two.py"}


def test_non_utf8_file_names_do_not_crash(tmp_path: Path) -> None:
    name = b"caf\xe9.py"
    (tmp_path / "app.py").write_bytes(b"import boto3\n")
    with open(bytes(tmp_path) + b"/" + name, "wb") as handle:
        handle.write(b"import app\n")
    files = ["app.py", name.decode("utf-8", "surrogateescape")]
    selection = select(tmp_path, files, 1 << 20)
    assert set(selection.trees) == set(files)


_PARTS = st.sampled_from(["a", "b", "utils", "src", "x.py", "utils.py"])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(_PARTS, min_size=1, max_size=5), min_size=33, max_size=60),
    st.lists(_PARTS, min_size=1, max_size=6),
)
def test_nearest_is_closest(candidates: list[list[str]], importer: list[str]) -> None:
    paths = ["/".join(p) for p in candidates]
    index = module_index(paths)
    who = "/".join(importer)
    assert _nearest(index, "k", paths, who) == closest(paths, who)


def _chain(root: Path, k: int) -> list[str]:
    files = []
    for i in range(k):
        (root / f"m{i}.py").write_text(f"import m{i + 1}\n" if i < k - 1 else "import boto3\n")
        files.append(f"m{i}.py")
    return files


def _fan_in(root: Path, k: int) -> list[str]:
    files = []
    for i in range(k):
        folder = root / f"d{i}"
        folder.mkdir()
        (folder / "utils.py").write_text("import boto3\n")
        (folder / "main.py").write_text("import utils\n")
        files += [f"d{i}/utils.py", f"d{i}/main.py"]
    return files


@pytest.mark.parametrize(("shape", "n"), [("chain", 2000), ("fan-in", 1000)])
def test_select_linear_on_import_graphs(tmp_path: Path, shape: str, n: int) -> None:
    build = _chain if shape == "chain" else _fan_in

    def make(k: int) -> Callable[[], object]:
        root = tmp_path / f"{shape}{k}"
        root.mkdir()
        files = build(root, k)
        return lambda: select(root, files, 1 << 20)

    assert_linear(make, n)
    if shape == "fan-in":  # each main.py still imports the utils.py beside it
        index = module_index(f"d{i}/{f}" for i in range(100) for f in ("utils.py", "main.py"))
        assert byte_imports("d57/main.py", b"import utils\n", index) == {"d57/utils.py"}
