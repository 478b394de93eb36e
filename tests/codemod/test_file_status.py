"""A file outcome's status is one closed set; what each member means for the exit code."""

from __future__ import annotations

import pytest

from keyshift.codemod.runner import FileOutcome, FileStatus, FixResult


@pytest.mark.parametrize(
    ("status", "changed", "needs_human", "exit_dry", "exit_write"),
    [
        (FileStatus.UNCHANGED, False, False, 0, 0),
        (FileStatus.WOULD_FIX, True, False, 1, 0),
        (FileStatus.FIXED, True, False, 1, 0),
        (FileStatus.REPORT_ONLY, False, True, 1, 1),
        (FileStatus.UNPARSABLE, False, True, 1, 1),
        (FileStatus.ERROR, False, True, 1, 1),
    ],
)
def test_status_meaning(
    status: FileStatus, changed: bool, needs_human: bool, exit_dry: int, exit_write: int
) -> None:
    outcome = FileOutcome("app.py", status)
    assert status.changed is changed
    assert outcome.needs_human is needs_human
    assert FixResult((outcome,), write=False).exit_code == exit_dry
    assert FixResult((outcome,), write=True).exit_code == exit_write


def test_the_set_is_what_the_json_report_documents() -> None:
    assert [s.value for s in FileStatus] == [
        "unchanged",
        "would-fix",
        "fixed",
        "report-only",
        "unparsable",
        "error",
    ]
