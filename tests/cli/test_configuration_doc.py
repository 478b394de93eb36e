"""docs/configuration.md cannot drift: every key of every table it documents is the parser's, and back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from keyshift import config as config_module
from keyshift.config import config_from_text
from keyshift.errors import KeyshiftError
from keyshift.planner.build import _settings as plan_settings
from keyshift.sources.image.limits import _KEYS as IMAGE_KEYS

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def documented() -> dict[str, set[str]]:
    """Section title -> the keys in its table (first column, in backticks)."""
    tables: dict[str, set[str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"## `\[(tool\.keyshift(?:\.\w+)?)\]`", line)
        if heading:
            current = heading.group(1)
            tables[current] = set()
        elif current and (row := re.match(r"\| `([a-z-]+)` \|", line)):
            tables[current].add(row.group(1))
    return tables


PARSED = {
    "tool.keyshift": set(config_module._KEYS),
    "tool.keyshift.plan": {"role-name-template", "region", "account", "partition"},
    "tool.keyshift.fix": set(config_module._FIX_KEYS),
    "tool.keyshift.image": set(IMAGE_KEYS),
}


def test_every_table_is_documented_exactly() -> None:
    assert documented() == PARSED


@pytest.mark.parametrize("key", sorted(PARSED["tool.keyshift.plan"]))
def test_documented_plan_keys_are_accepted(key: str) -> None:
    assert key in plan_settings({key: "x"})


def test_an_undocumented_plan_key_is_rejected() -> None:
    with pytest.raises(KeyshiftError, match="unknown setting"):
        plan_settings({"role-name": "x"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tool.keyshift.history]\ndepth = 1\n", "is not read"),
        ("[tool.keyshift.sweep]\nworkers = 2\n", "is not read"),
        ("[tool.keyshift.fix]\nexclude = 'x'\n", "list of strings"),
        ("[tool.keyshift.fix]\nwrite = true\n", "unknown setting 'write'"),
        ("[tool.keyshift]\nmax-file-size = -1\n", "max-file-size"),
        ("[tool.keyshift]\nexclud = []\n", "unknown setting 'exclud'"),
    ],
)
def test_bad_tables_are_errors(text: str, message: str) -> None:
    with pytest.raises(KeyshiftError, match=message):
        config_from_text(text, "pyproject.toml")


def test_documented_example_sizes_parse() -> None:
    config = config_from_text('[tool.keyshift]\nmax-file-size = "10MB"\n', "pyproject.toml")
    assert config.max_file_size == 10 * 1024 * 1024
