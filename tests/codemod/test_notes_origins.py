"""A setting reached through an imported module is reported once, naming the module."""

from __future__ import annotations

import pytest

from keyshift.codemod.records import _settings_origins


@pytest.mark.parametrize(
    ("origins", "expected"),
    [
        (
            ["settings imported from orders", "settings.AWS_ACCESS_KEY_ID"],
            ["settings.AWS_ACCESS_KEY_ID (imported from orders)"],
        ),
        (["AWS_KEY imported from config"], ["AWS_KEY imported from config"]),
        (["conf.aws_key"], ["conf.aws_key"]),
        (
            ["settings imported from app", "settings.KEY", "other imported from lib"],
            ["settings.KEY (imported from app)", "other imported from lib"],
        ),
        (["a literal", "os.environ"], ["os.environ"]),
    ],
)
def test_settings_origins(origins: list[str], expected: list[str]) -> None:
    assert _settings_origins(origins) == expected
