"""Fixtures for the history tests (helpers live in history_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_helpers import Repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "repo")
