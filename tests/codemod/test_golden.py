"""Golden before/after cases in ``fixtures/codemod/<case>/``.

Each case holds ``before.py``, the expected ``after.py`` (byte-exact; equal to ``before.py`` for a
report-only file) and ``expected.json`` (site statuses, removed names, note kinds). Regenerate
with ``KEYSHIFT_REGEN=1 python -m pytest tests/codemod/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from keyshift.codemod.credentials import ModuleFix
from keyshift.codemod.runner import fix_source

CASES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "codemod"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "before.py").is_file())
REGEN = os.environ.get("KEYSHIFT_REGEN") == "1"


def _summary(result: ModuleFix) -> dict[str, Any]:
    return {
        "sites": [
            {"line": s.line, "status": s.status, "qualified_name": s.qualified, "removed": list(s.removed)}
            for s in result.sites
        ],
        "removed_constants": [name for name, _ in result.removed_constants],
        "removed_imports": [name for name, _ in result.removed_imports],
        "notes": sorted({f"{n.line}:{n.kind}:{'human' if n.needs_human else 'info'}" for n in result.notes}),
    }


def test_cases_exist() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case: str) -> None:
    folder = CASES_DIR / case
    before = (folder / "before.py").read_bytes()
    result = fix_source(before)
    after = result.module.bytes if result.changed else before
    summary = _summary(result)
    if REGEN:
        (folder / "after.py").write_bytes(after)
        (folder / "expected.json").write_text(json.dumps(summary, indent=2) + "\n")
    assert after == (folder / "after.py").read_bytes()
    assert summary == json.loads((folder / "expected.json").read_text())
    if any(s["status"] == "report-only" for s in summary["sites"]):
        assert after == before
    cst.parse_module(after)
    again = fix_source(after)
    assert not again.changed
