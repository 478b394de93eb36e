"""The byte prefilter is a necessary condition: any file the engine rewrites or reports passes it.

The CLI only parses files ``is_candidate`` admits, so a shape the engine reports but the
prefilter skips goes by silently with exit 0. Generated modules mix the statements of every
reported shape (leftover table, call sites) with neutral code, in random case and order; the
property is checked in one direction only: reported or changed implies candidate.
"""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.codemod import runner
from keyshift.codemod.runner import is_candidate

from .helpers import fill, fix
from .test_leftovers import LEFTOVER_CASES

NEUTRAL = (
    "x = 1\n",
    "def f(a, b):\n    return a + b\n",
    "import json\n",
    'NAME = "media"\n',
    "class A:\n    value: int = 0\n",
)
SHAPES = (
    *(fill(textwrap.dedent(c[1]).lstrip("\n")) for c in LEFTOVER_CASES),
    "import boto3\ns3 = boto3.client('s3', aws_access_key_id=K, aws_secret_access_key=S)\n",
    "import boto3\ndef c(creds):\n    return boto3.client('s3', **creds)\n",
    "import pandas as pd\ndf = pd.read_csv(p, storage_options={'key': k, 'secret': s})\n",
    "spark.conf.set(f'fs.s3a.bucket.{b}.secret.key', s)\n",
    "broker_url = 'sqs://{}:{}@'.format(k, s)\n",
    "import os\nimport configparser\n# AWS_ keys for s3a\nc = configparser.ConfigParser()\nc.read('a.cfg')\n"
    "for k, v in c.items('x'):\n    os.environ[k] = v\n",
    "def f(access_key, secret_key):\n    return Wrapper(access_key, secret_key)\n",
)


def _reported(source: str) -> bool:
    try:
        _, result = fix(source)
    except Exception:  # not Python after the mix-up: nothing to report
        return False
    return result.changed or bool(result.sites) or any(n.needs_human for n in result.notes)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(SHAPES + NEUTRAL), min_size=1, max_size=4),
    st.sampled_from(("utf-8", "latin-1")),
)
def test_any_reported_module_passes_the_prefilter(parts: list[str], encoding: str) -> None:
    source = "".join(parts)
    if _reported(source):
        assert is_candidate(source.encode(encoding, "replace"))


@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_is_a_candidate(shape: str) -> None:
    assert _reported(shape)
    assert is_candidate(shape.encode())


def _cased(text: bytes, upper: list[bool]) -> bytes:
    return bytes(
        c - 32 if 97 <= c <= 122 and u else c for c, u in zip(text, upper + [False] * len(text), strict=False)
    )


@pytest.mark.skipif(runner._compiled_engine() is None, reason="hyperscan is not installed")
@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(runner.MARKERS).map(lambda m: m[: len(m) - 1]),  # one byte short
            st.sampled_from(runner.MARKERS),
            st.binary(max_size=6),
            st.sampled_from((b".", b"-", b" ", b"_", b"\xc3\xa9", b"\n", b"\x00", b"/")),
        ),
        max_size=8,
    ),
    st.lists(st.booleans(), max_size=40),
)
def test_compiled_engine_answers_as_the_python_test(parts: list[bytes], upper: list[bool]) -> None:
    """The Hyperscan pass and the ``in`` tests agree, markers cut short and in any case."""
    engine = runner._compiled_engine()
    assert engine is not None
    data = _cased(b"".join(parts), upper)
    assert engine(data) == runner._has_marker(data)


@pytest.mark.parametrize("marker", runner.MARKERS)
def test_each_marker_alone_in_any_case(marker: bytes) -> None:
    for data in (marker, marker.upper(), b"x = '" + marker.title() + b"'\n"):
        assert runner.is_candidate(data)
        assert runner._has_marker(data)
    assert runner.is_candidate(marker[:-1]) == runner._has_marker(marker[:-1])
