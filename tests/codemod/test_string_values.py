"""String literals' values: keyshift's uncompiled fast path gives what ``literal_eval`` gives."""

from __future__ import annotations

from ast import literal_eval

import libcst as cst
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyshift.codemod.values import _evaluated, literal_text

#: the compiler warns about invalid escapes in generated tokens; keyshift evaluates user strings
#: under ``quiet_compiler``, these tests compare values only
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")

PREFIXES = ("", "u", "U", "r", "R", "b", "rb", "Br")
QUOTES = ("'", '"', "'''", '"""')


def _token(prefix: str, quote: str, body: str) -> str | None:
    """A string token with this body, or None where it would not be one token."""
    token = f"{prefix}{quote}{body}{quote}"
    try:
        module = cst.parse_module(f"x = {token}\n")
    except (cst.ParserSyntaxError, cst.CSTValidationError):  # e.g. b'a' 'b': not one token
        return None
    value = module.body[0].body[0].value  # type: ignore[attr-defined]
    return token if isinstance(value, cst.SimpleString) and value.value == token else None


@pytest.mark.parametrize(
    "token",
    [
        "''",
        '""',
        "''''''",
        "'\"'",
        '"\'"',
        "r'\\d+'",
        "R'\\''",
        "u'caf\\u00e9'",
        "'a\\nb'",
        "'''a\r\nb'''",
        "r'''a\r\nb'''",
        "b'bytes'",
        "rb'\\x00'",
        "'''it's'''",
        '"""say ""hi"" """',
    ],
)
def test_fast_path_table(token: str) -> None:
    assert _evaluated(token) == literal_eval(token)
    assert type(_evaluated(token)) is type(literal_eval(token))


@given(
    st.sampled_from(PREFIXES),
    st.sampled_from(QUOTES),
    st.text(alphabet=st.sampled_from("ab'\"\\\r\n\tu0x{}é"), max_size=12),
)
def test_fast_path_is_literal_eval(prefix: str, quote: str, body: str) -> None:
    token = _token(prefix, quote, body)
    if token is None:
        return
    try:
        expected = literal_eval(token)
    except SyntaxError:  # libcst parses b'é'; its evaluated_value raises, and so must this
        with pytest.raises(SyntaxError):
            _evaluated(token)
        return
    assert _evaluated(token) == expected
    assert type(_evaluated(token)) is type(expected)


def test_literal_text_joins_parts() -> None:
    expr = cst.parse_expression('\'AKIA\' r\'\\x\' + """y"""')
    assert literal_text(expr) == "AKIA\\xy"
