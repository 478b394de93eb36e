"""The codemod's matchers on adversarial shapes: run time grows linearly with the input."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyshift.awsnames import SPARK_CREDENTIAL_SETTING, is_credential_name
from keyshift.codemod.credentials import fix_source
from keyshift.codemod.notes import KEY_FILE_NAME
from keyshift.codemod.runner import is_candidate

SHAPES = {
    "key-file-name": lambda n: 'open("' + "credentials" * n + '.cs")\n',
    "dotted-names": lambda n: 'x = "' + "fs.s3a." * n + 'access.keyz"\n',
    "credential-names": lambda n: "AWS_" * n + "SECRET_NAME = 1\n",
    "many-settings": lambda n: "".join(f'AWS_SECRET_ACCESS_KEY_{i} = ""\n' for i in range(n)),
    # n locals bound from credential reads, all returned; n distinct keys in one return (one
    # local rebound n times is quadratic in libcst's own scope analysis, not a shape of ours)
    "returned-locals": lambda n: (
        "import os\ndef keys():\n"
        + "".join(f'    k{i} = os.getenv("AWS_ACCESS_KEY_ID")\n    print(k{i})\n' for i in range(n))
        + "    return ("
        + ", ".join(f"k{i}" for i in range(n))
        + ")\n"
    ),
    "returned-distinct-keys": lambda n: (
        "import os\ndef keys():\n    return ("
        + ", ".join(f'os.environ["AWS_SECRET_ACCESS_KEY_{i}"]' for i in range(n))
        + ")\n"
    ),
    "settings-under-nested-ifs": lambda n: (
        "class C:\n"
        + "".join("    " * (i + 1) + "if x:\n" for i in range(min(n, 40)))
        + "".join("    " * (min(n, 40) + 1) + f'AWS_SECRET_ACCESS_KEY_{i} = "test"\n' for i in range(n))
    ),
}


def _seconds(source: str) -> float:
    start = time.perf_counter()
    fix_source(source.encode())
    return time.perf_counter() - start


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_linear(shape: str) -> None:
    make = SHAPES[shape]
    _seconds(make(10))
    small = min(_seconds(make(250)) for _ in range(2))
    large = min(_seconds(make(1000)) for _ in range(2))
    assert large < max(small, 0.01) * 10, (small, large)  # 4x input: well under quadratic 16x


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_matchers_never_raise(text: str) -> None:
    is_credential_name(text)
    is_credential_name(text, beside_access_key=True)
    SPARK_CREDENTIAL_SETTING.search(text)
    KEY_FILE_NAME.search(text)
    is_candidate(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.booleans())
def test_any_endpoint_text_is_judged_without_raising(url: str, session: bool) -> None:
    """``endpoint_url`` is whatever the scanned code wrote: bad ports, brackets, NULs, no scheme."""
    literal = repr(url)
    if session:
        source = f"import boto3\ns = boto3.Session(aws_access_key_id='x')\nc = s.client('s3', endpoint_url={literal})\n"
    else:
        source = f"import boto3\nc = boto3.client('s3', aws_access_key_id='x', endpoint_url={literal})\n"
    result = fix_source(source.encode())
    assert [s.status for s in result.sites] in (["rewritten"], ["report-only"])
