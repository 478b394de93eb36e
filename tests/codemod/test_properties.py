"""Property tests: generated call sites with random argument orders, comments and trailing commas."""

from __future__ import annotations

import ast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import KEY, SECRET, fix

CREDENTIALS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
OTHER_KWARGS = {
    "region_name": '"eu-west-1"',
    "endpoint_url": '"http://localhost:4566"',
    "verify": "False",
    "config": "CONFIG",
    "api_version": '"2012-11-05"',
    "use_ssl": "True",
}
VALUES = (
    f'"{KEY}"',
    f'"{SECRET}"',
    'os.getenv("AWS_ACCESS_KEY_ID")',
    'os.environ["X_SECRET"]',
    "CONST",
    "cfg.KEY",
)
FACTORIES = ("boto3.client", "boto3.resource", "boto3.Session", "session.client", "b3.resource")

HEADER = """import os

import boto3
import boto3 as b3
import cfg

CONFIG = None
CONST = "value"
session = boto3.Session()
"""


@st.composite
def call_sites(draw: st.DrawFn) -> tuple[str, list[str], list[str]]:
    factory = draw(st.sampled_from(FACTORIES))
    creds = draw(st.lists(st.sampled_from(CREDENTIALS), min_size=1, max_size=3, unique=True))
    others = draw(st.lists(st.sampled_from(sorted(OTHER_KWARGS)), max_size=4, unique=True))
    kwargs = [(name, draw(st.sampled_from(VALUES))) for name in creds]
    kwargs += [(name, OTHER_KWARGS[name]) for name in others]
    kwargs = draw(st.permutations(kwargs))
    positional = [] if factory == "boto3.Session" else draw(st.sampled_from([[], ['"s3"']]))
    args = [*positional, *(f"{k}={v}" for k, v in kwargs)]
    multiline = draw(st.booleans())
    trailing = draw(st.booleans())
    comments = [draw(st.booleans()) and multiline for _ in args]
    own_lines = [draw(st.booleans()) and multiline for _ in args]
    if multiline:
        body = ""
        for i, arg in enumerate(args):
            if own_lines[i]:
                body += f"    # about arg {i}\n"
            comma = "," if i < len(args) - 1 or trailing else ""
            note = f"  # note {i}" if comments[i] else ""
            body += f"    {arg}{comma}{note}\n"
        source = f"client = {factory}(\n{body})\n"
    else:
        source = f"client = {factory}({', '.join(args)}{',' if trailing and args else ''})\n"
    kept_comments = [
        f"# note {i}" for i, arg in enumerate(args) if comments[i] and arg.split("=")[0] not in CREDENTIALS
    ]
    return HEADER + source, [a for a in args if a.split("=")[0] not in CREDENTIALS], kept_comments


def _placeholders_for_endpoint(source: str) -> bool:
    """Every credential is ``CONST`` ("value", no key shape) beside ``endpoint_url``: another
    service's placeholder keys, which keyshift leaves alone and reports (``endpoints.py``)."""
    call = _last_call(ast.parse(source))
    values = [ast.unparse(k.value) for k in call.keywords if k.arg in CREDENTIALS]
    return any(k.arg == "endpoint_url" for k in call.keywords) and all(v == "CONST" for v in values)


def _last_call(tree: ast.Module) -> ast.Call:
    stmt = tree.body[-1]
    assert isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call)
    return stmt.value


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call_sites())
def test_generated_sites(case: tuple[str, list[str], list[str]]) -> None:
    source, kept_args, kept_comments = case
    out, result = fix(source)
    if _placeholders_for_endpoint(source):
        assert out == source and [s.status for s in result.sites] == ["report-only"]
        return
    assert result.changed
    tree = ast.parse(out)  # output always parses
    call = _last_call(tree)
    shown = [ast.unparse(a) for a in call.args] + [f"{k.arg}={ast.unparse(k.value)}" for k in call.keywords]
    expected = [ast.unparse(ast.parse(a, mode="eval").body) if "=" not in a else a for a in kept_args]
    normalised = [
        a
        if "=" not in a
        else f"{a.split('=', 1)[0]}={ast.unparse(ast.parse(a.split('=', 1)[1], mode='eval').body)}"
        for a in expected
    ]
    assert shown == normalised  # every non-credential argument kept, in order
    for comment in kept_comments:
        assert comment in out
    for i in range(len(kept_args) + 3):
        assert out.count(f"# about arg {i}\n") <= 1  # comment lines are never duplicated
    # the header stays, but for the constant and the imports that only fed removed arguments
    gone = {"import os", "import cfg", 'CONST = "value"', ""}
    head = out[: out.index("client = ")]
    assert [x for x in head.splitlines() if x not in gone] == [
        x for x in HEADER.splitlines() if x not in gone
    ]
    assert not head.startswith("\n")
    again, second = fix(out)  # idempotent
    assert again == out and not second.changed


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="boto3 ()=,\n\"'#:abc_.", max_size=80))
def test_never_raises_on_noise(text: str) -> None:
    """Arbitrary text either parses and round-trips, or is rejected without an exception escaping."""
    import libcst as cst

    try:
        cst.parse_module(text)
    except Exception:
        return
    out, result = fix(text)
    ast.parse(out)
    if not result.changed:
        assert out == text
