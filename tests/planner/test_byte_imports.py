"""The planner's candidate selection reads imports from bytes; it must follow what a parse follows."""

from __future__ import annotations

import ast

import pytest

from keyshift.planner.candidates import byte_imports
from keyshift.planner.workloads import imports_of, module_index

FILES = [
    "app/__init__.py",
    "app/aws.py",
    "app/settings.py",
    "app/views/__init__.py",
    "app/views/orders.py",
    "common/storage.py",
    "common/keys.py",
    "lib/util.py",
]


@pytest.mark.parametrize(
    "importer, source",
    [
        ("app/views/orders.py", "from app.aws import client\n"),
        ("app/views/orders.py", "from ..aws import client\nfrom . import __init__\n"),
        ("app/views/orders.py", "from .. import settings\n"),
        ("app/aws.py", "import common.storage as storage, lib.util\n"),
        ("app/aws.py", "from common import (\n    storage,  # the helper\n    keys,\n)\n"),
        ("app/aws.py", "from common.storage import \\\n    put\n"),
        ("app/aws.py", "import os; import common.keys\n"),
        ("app/aws.py", "def f():\n    from common import storage\n    return storage\n"),
        ("app/aws.py", "try:\n    import lib.util\nexcept ImportError:\n    pass\n"),
        ("app/aws.py", "x = 1  # no imports at all\n"),
    ],
)
def test_byte_imports_follow_what_the_parse_follows(importer: str, source: str) -> None:
    index = module_index(FILES)
    parsed = imports_of(importer, ast.parse(source), index)
    assert parsed <= byte_imports(importer, source.encode(), index)
