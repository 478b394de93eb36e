"""The analysis never silently drops calls: class graphs, attribute chains and newer syntax.

Two real repositories got empty roles: evaluating ``class Meta(Parent.Meta)`` (Django REST
Framework) or ``class User(db.Model)`` asked for the class hierarchy while it was being built and
recursed until Python gave up, and a PEP 701 f-string made a file unreadable under 3.11. These
properties generate class graphs (cycles included) and attribute chains and require the call at
the end to be found, with no error.
"""

from __future__ import annotations

import keyword
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.planner.analysis import analyze
from keyshift.planner.pyparse import parse

CLIENT = 'import boto3\ns3 = boto3.client("s3")\n'


def _run(tmp: Path, source: str) -> tuple[set[tuple[str, int]], tuple[str, ...]]:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "app.py").write_text(source, encoding="utf-8")
    result = analyze(tmp, ["app.py"])
    return {(c.method, c.line) for c in result.calls}, result.errors


@st.composite
def class_graphs(draw: st.DrawFn) -> tuple[str, int]:
    """Classes whose bases are other classes (forward references and cycles too), their nested
    ``Meta`` classes, instances and instance attributes; the last class's method calls S3."""
    count = draw(st.integers(1, 7))
    lines = [CLIENT.rstrip("\n"), "class Holder:", "    def __init__(self):", "        self.Model = object"]
    lines.append("db = Holder()")
    for index in range(count):
        bases = draw(st.lists(st.integers(0, count - 1), max_size=3, unique=True))
        spelled = []
        for base in bases:
            kind = draw(st.sampled_from(["plain", "meta", "db"]))
            spelled.append({"plain": f"C{base}", "meta": f"C{base}.Meta", "db": "db.Model"}[kind])
        lines.append(f"class C{index}({', '.join(spelled)}):")
        meta_base = draw(st.sampled_from(["", f"C{bases[0]}.Meta" if bases else ""]))
        lines.append(f"    class Meta({meta_base}):")
        lines.append("        fields = ('a',)")
        lines.append("    def go(self):")
        lines.append("        return self")
    lines.append(f"class Last(C{count - 1}):")
    lines.append("    def save(self):")
    lines.append('        s3.put_object(Bucket="b", Key="k", Body=b"")')
    call_line = "\n".join(lines).count("\n") + 1
    lines.append("Last().go().save()")
    return "\n".join(lines) + "\n", call_line


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(class_graphs())
def test_class_graphs_never_hide_calls(tmp_path: Path, graph: tuple[str, int]) -> None:
    source, line = graph
    calls, errors = _run(tmp_path / "g", source)
    assert errors == ()
    assert ("put_object", line) in calls


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.from_regex(r"[a-z]{1,6}", fullmatch=True).filter(lambda n: not keyword.iskeyword(n)),
        min_size=1,
        max_size=60,
    )
)
def test_attribute_chains_terminate(tmp_path: Path, names: list[str]) -> None:
    chain = ".".join(["a", *names])
    source = (
        CLIENT
        + "class A:\n    pass\na = A()\n"
        + f"{chain} = a\nx = {chain}.{chain}\n"
        + 's3.get_object(Bucket="b", Key="k")\n'
    )
    calls, errors = _run(tmp_path / "c", source)
    assert errors == ()
    assert ("get_object", 8) in calls


def test_drf_meta_inheritance_and_db_model(tmp_path: Path) -> None:
    source = CLIENT + (
        "class Base:\n    class Meta:\n        fields = ('a',)\n"
        "class Child(Base):\n    class Meta(Base.Meta):\n        fields = ('b',)\n"
        "    def save(self):\n        s3.put_object(Bucket='b', Key='k', Body=b'')\n"
        "class SQLAlchemy:\n    def __init__(self):\n        self.Model = object\n"
        "db = SQLAlchemy()\n"
        "class User(db.Model):\n    def avatar(self):\n        return s3.get_object(Bucket='b', Key='a')\n"
        "Child().save()\nUser().avatar()\n"
    )
    calls, errors = _run(tmp_path, source)
    assert errors == ()
    assert {("put_object", 10), ("get_object", 17)} <= calls


def test_deeply_nested_expression_is_reported_not_fatal(tmp_path: Path) -> None:
    source = CLIENT + "y = " + "+".join(["'a'"] * 400) + "\n" + 's3.get_object(Bucket="b", Key="k")\n'
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "app.py").write_text(source, encoding="utf-8")
    result = analyze(tmp_path, ["app.py"])
    assert ("get_object", 4) in {(c.method, c.line) for c in result.calls}
    assert any("nested too deeply" in u.reason for u in result.unresolved)


PEP701 = '''import boto3
s3 = boto3.client("s3")
def go(d):
    s3.put_object(Bucket="b", Key=f"{d["k"]}/y", Body=b"")
    s3.get_object(Bucket="b", Key=f"{'a' f"{d['z']!r}"}"
                  f"""x{
                      d["q"]  # a comment inside a replacement field
                  }""")
def g[T](a: T) -> T:
    return a
type Alias = int
s3.delete_object(Bucket="b", Key="gone")
'''


def test_pep701_fstrings_parse_on_any_interpreter(tmp_path: Path) -> None:
    tree = parse(PEP701, "app.py")
    assert [n.lineno for n in tree.body] == [1, 2, 3, 9, 11, 12]
    calls, errors = _run(tmp_path, PEP701)
    assert errors == ()
    assert {("put_object", 4), ("get_object", 5), ("delete_object", 12)} <= calls


def test_not_python_is_an_error(tmp_path: Path) -> None:
    _, errors = _run(tmp_path, "def (:\n")
    assert errors and "may be missing" in errors[0]


@st.composite
def hostile_programs(draw: st.DrawFn) -> dict[str, str]:
    """Two modules importing each other, self- and mutually recursive functions, containers
    nested in containers line after line, attribute chains on module objects and instances of
    repository classes used as bases: every recursion the interpreter has, at once."""
    depth = draw(st.integers(1, 60))
    width = draw(st.integers(1, 3))
    lines = ["import boto3", "import b", "from b import helper", 's3 = boto3.client("s3")', 'x0 = "k"']
    for index in range(1, depth):
        parts = [f"x{index - 1}"] * width + [f'{{"k": x{index - 1}}}', f"(x{index - 1},)"]
        lines.append(f"x{index} = [{', '.join(draw(st.permutations(parts)))}]")
    lines += [
        "def ping(n):",
        "    return pong(n) if n else ping(helper(n))",
        "def pong(n):",
        "    return ping([n, n])",
        "class Base(b.Holder().Model):",
        "    class Meta(b.Base.Meta):",
        "        pass",
        "    def go(self):",
        "        return self.go()",
    ]
    chain = ".".join(["b", *draw(st.lists(st.sampled_from(["b", "a", "Holder", "x"]), max_size=20))])
    lines.append(f"y = {chain}")
    lines.append(f"ping(x{depth - 1})")
    lines.append("Base().go()")
    lines.append('s3.get_object(Bucket="orders", Key="k")')
    other = [
        "import a",
        "from a import ping",
        "b = a",
        "def helper(v):",
        "    return ping(helper(v))",
        "class Holder:",
        "    def __init__(self):",
        "        self.Model = Base",
        "class Base(Holder().Model):",
        "    class Meta(a.Base.Meta):",
        "        pass",
    ]
    return {"a.py": "\n".join(lines) + "\n", "b.py": "\n".join(other) + "\n"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hostile_programs())
def test_hostile_programs_terminate_without_recursion_errors(tmp_path: Path, files: dict[str, str]) -> None:
    root = tmp_path / "h"
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = analyze(root, sorted(files))
    assert time.monotonic() - started < 30
    assert result.errors == ()  # a RecursionError or crash would be an error naming the file
    call_line = files["a.py"].count("\n")
    assert ("get_object", call_line) in {(c.method, c.line) for c in result.calls}


def test_nested_containers_stay_linear(tmp_path: Path) -> None:
    """Each level refers to the one before twice: without a nesting cap, comparing two passes'
    states walked 2**n paths (22 lines took most of a minute)."""
    lines = [CLIENT.rstrip("\n"), 'x0 = "a"']
    lines += [f'x{i} = [x{i - 1}, {{"k": x{i - 1}}}]' for i in range(1, 300)]
    lines.append('s3.get_object(Bucket="b", Key="k")')
    started = time.monotonic()
    calls, errors = _run(tmp_path, "\n".join(lines) + "\n")
    assert time.monotonic() - started < 30
    assert errors == ()
    assert ("get_object", "\n".join(lines).count("\n") + 1) in calls
