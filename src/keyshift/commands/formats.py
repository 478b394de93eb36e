"""The ``--format`` choice most commands share, checked by the parser (a bad value is a usage error)."""

from __future__ import annotations

from enum import StrEnum


class TextOrJson(StrEnum):
    text = "text"
    json = "json"
