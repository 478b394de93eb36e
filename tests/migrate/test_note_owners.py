"""Codemod notes are listed under the key they are about, not every key of the file."""

from __future__ import annotations

import pytest

from keyshift.migrate.pipeline import note_owners

KEYS = {
    "AKIAONE": {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
    "AKIATWO": {"REPORTS_KEY_ID", "REPORTS_SECRET"},
}


@pytest.mark.parametrize(
    ("message", "owners"),
    [
        ("access key AKIATWO was hardcoded here; removing it from code does not revoke it", {"AKIATWO"}),
        (
            "aws_access_key_id came from settings.AWS_ACCESS_KEY_ID (imported from orders); remove it",
            {"AKIAONE"},
        ),
        ("aws_secret_access_key came from REPORTS_SECRET imported from app.keys; remove it", {"AKIATWO"}),
        ("aws_access_key_id came from conf.UNKNOWN_NAME; remove it there", None),
        ("aws_access_key_id was read from $AWS_KEY, which the default chain does not read", None),
    ],
)
def test_note_owners(message: str, owners: set[str] | None) -> None:
    assert note_owners(message, KEYS) == owners
