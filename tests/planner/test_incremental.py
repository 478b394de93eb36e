"""The incremental fixpoint (``planner/fixpoint.py``) finds exactly what re-running every unit finds.

Hypothesis writes small programs (modules importing each other, chains of functions passing
clients and strings, classes keeping a client on ``self``, module globals set from functions,
recursion and import cycles) and both engines analyse each: the ``Analysis`` must be equal, and
the incremental engine must never interpret more units than the full-pass one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.planner.program import Analyzer
from keyshift.planner.pyparse import parse
from keyshift.planner.records import MAX_PASSES

CALLS = (
    "put_object(Bucket={0}, Key={1})",
    "send_message(QueueUrl={0}, MessageBody={1})",
    "put_item(TableName={0}, Item={1})",
    "publish(TopicArn={0}, Message={1})",
)
SERVICES = ("s3", "sqs", "dynamodb", "sns")
WORDS = ("orders", "invoices", "jobs", "audit")


class _Writer:
    """Draws one program: ``modules`` files of functions, classes and globals."""

    def __init__(self, draw: st.DrawFn, modules: int) -> None:
        self.draw = draw
        self.modules = modules
        self.funcs = [draw(st.integers(1, 3)) for _ in range(modules)]
        self.classes = [draw(st.integers(0, 2)) for _ in range(modules)]

    def pick(self, options: list[str]) -> str:
        return options[self.draw(st.integers(0, len(options) - 1))]

    def callee(self, module: int) -> str:
        other = self.draw(st.integers(0, self.modules - 1))
        index = self.draw(st.integers(0, self.funcs[other] - 1))
        return f"f{other}_{index}" if other == module else f"m{other}.f{other}_{index}"

    def expr(self, module: int, names: list[str], depth: int = 0) -> str:
        kinds = ["client", "const", "global"] + (["name"] * 2 if names else [])
        if depth < 2:
            kinds += ["call", "call", "new", "attr", "fstring", "env", "method"]
            if self.classes[module]:
                kinds.append("new")
        kind = self.pick(kinds)
        if kind == "client":
            key = ", aws_access_key_id=KEY" if self.draw(st.booleans()) else ""
            return f'boto3.client("{self.pick(list(SERVICES))}"{key})'
        if kind == "const":
            return f'"{self.pick(list(WORDS))}"'
        if kind == "name":
            return self.pick(names)
        if kind == "global":
            other = self.draw(st.integers(0, self.modules - 1))
            return f"G{other}" if other == module else f"m{other}.G{other}"
        inner = self.expr(module, names, depth + 1)
        if kind == "call":
            return f"{self.callee(module)}({inner}, {self.expr(module, names, depth + 1)})"
        if kind == "new":
            other = self.draw(st.integers(0, self.modules - 1))
            if not self.classes[other]:
                return inner
            index = self.draw(st.integers(0, self.classes[other] - 1))
            name = f"C{other}_{index}" if other == module else f"m{other}.C{other}_{index}"
            return f"{name}({inner})"
        if kind == "attr":
            return f"{inner}.client"
        if kind == "fstring":
            return f'f"{self.pick(list(WORDS))}/{{{inner}}}"'
        if kind == "env":
            return f'os.environ.get("BUCKET", {inner})'
        return f"{inner}.run({self.expr(module, names, depth + 1)})"

    def stmt(self, module: int, names: list[str], indent: str) -> str:
        kind = self.pick(["assign", "assign", "call", "call", "return", "global", "loop", "self"])
        if kind == "assign":
            name = f"x{len(names)}"
            line = f"{indent}{name} = {self.expr(module, names)}"
            names.append(name)
            return line
        if kind == "call":
            template = self.pick(list(CALLS))
            args = template.format(self.expr(module, names, 1), self.expr(module, names, 1))
            return f"{indent}{self.expr(module, names, 1)}.{args}"
        if kind == "return":
            return f"{indent}return {self.expr(module, names)}"
        if kind == "global":
            return f"{indent}global G{module}\n{indent}G{module} = {self.expr(module, names)}"
        if kind == "loop":
            body = self.stmt(module, [*names, "item"], indent + "    ")
            return f"{indent}for item in [{self.expr(module, names)}]:\n{body}"
        if "self" in names:
            return f"{indent}self.client = {self.expr(module, names)}"
        return f"{indent}{self.expr(module, names)}"

    def body(self, module: int, names: list[str], indent: str) -> str:
        return "\n".join(self.stmt(module, names, indent) for _ in range(self.draw(st.integers(1, 4))))

    def module(self, module: int) -> str:
        lines = ["import os", "import boto3", "from pkg import keys"]
        lines += [f"from pkg import m{other}" for other in range(self.modules) if other != module]
        lines += ["KEY = keys.KEY", f"G{module} = {self.expr(module, [])}"]
        for index in range(self.classes[module]):
            lines.append(f"class C{module}_{index}:")
            lines.append("    def __init__(self, client):")
            lines.append("        self.client = client")
            lines.append("    def run(self, name):")
            lines.append(self.body(module, ["self", "name"], "        "))
        for index in range(self.funcs[module]):
            lines.append(f"def f{module}_{index}(a, b):")
            lines.append(self.body(module, ["a", "b"], "    "))
        lines.append(self.body(module, [], ""))
        return "\n".join(lines) + "\n"


@st.composite
def programs(draw: st.DrawFn) -> dict[str, str]:
    writer = _Writer(draw, draw(st.integers(1, 3)))
    files = {f"pkg/m{m}.py": writer.module(m) for m in range(writer.modules)}
    files["pkg/__init__.py"] = ""
    files["pkg/keys.py"] = 'KEY = "AKIA" + "Q" * 16\n'
    return files


def _analyse(files: dict[str, str], incremental: bool) -> Analyzer:
    trees = {path: parse(text, path) for path, text in files.items()}
    analyzer = Analyzer(Path("/nonexistent"), sorted(files), None, trees, incremental=incremental)
    analyzer.analysis = analyzer.run()  # type: ignore[attr-defined]
    return analyzer


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_incremental_passes_find_what_full_passes_find(files: dict[str, str]) -> None:
    full = _analyse(files, incremental=False)
    fast = _analyse(files, incremental=True)
    assert fast.analysis == full.analysis  # type: ignore[attr-defined]
    assert fast.stats["passes"] == full.stats["passes"] <= MAX_PASSES + 1
    assert fast.stats["units_run"] <= full.stats["units_run"]


CHAIN = """\
import boto3
from pkg import b

def make(name):
    return boto3.client(name)

def first(client, bucket):
    return b.second(client, bucket)

def loop(n):
    return loop(n)

S3 = make("s3")
first(S3, "orders")
"""
CHAIN_B = """\
from pkg import a

class Store:
    def __init__(self, client):
        self.client = client

    def put(self, key):
        self.client.put_object(Bucket=BUCKET, Key=key)

def second(client, bucket):
    global BUCKET
    BUCKET = bucket
    Store(client).put("k")
    return a.loop(1)
"""


def test_a_long_chain_settles_with_units_replayed() -> None:
    """Values reach ``Store.put`` only after several passes: the units they never touch replay."""
    files = {"pkg/__init__.py": "", "pkg/a.py": CHAIN, "pkg/b.py": CHAIN_B}
    full = _analyse(files, incremental=False)
    fast = _analyse(files, incremental=True)
    assert fast.analysis == full.analysis  # type: ignore[attr-defined]
    assert [(c.service, c.method) for c in fast.analysis.calls] == [("s3", "put_object")]  # type: ignore[attr-defined]
    assert fast.stats["units_replayed"] > 0
    assert fast.stats["units_run"] < full.stats["units_run"]


@pytest.mark.parametrize("incremental", [True, False])
def test_an_unanalysable_function_is_reported_once_in_either_engine(incremental: bool) -> None:
    deep = "x = " + "[" * 200 + "]" * 200
    files = {"app.py": f"import boto3\ndef f():\n    {deep}\n    boto3.client('s3').list_buckets()\n"}
    analyzer = _analyse(files, incremental)
    assert [(c.service, c.method) for c in analyzer.analysis.calls] == [("s3", "list_buckets")]  # type: ignore[attr-defined]
