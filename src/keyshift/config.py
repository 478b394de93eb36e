"""Settings: defaults < ``[tool.keyshift]`` in pyproject.toml (or ``KEYSHIFT_CONFIG``) < CLI flags.

Unknown keys are an error naming the key, so a typo never silently disables a setting.
Sub-tables (``[tool.keyshift.plan]``, ``.image``, ``.history``, ``.fix``) are kept as plain
mappings for the stage that owns them to validate.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from keyshift.errors import KeyshiftError

DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024
_SECTIONS = ("plan", "image", "history", "fix", "sweep")


@dataclass(frozen=True, slots=True)
class Config:
    exclude: tuple[str, ...] = ()
    allowlist: tuple[str, ...] = ()  # key IDs or SHA-1 hex of values that are known and accepted
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    baseline: str | None = None
    all_files: bool = False
    inline_ignores: bool = True
    allow_example_keys: bool = False  # report AWS documentation example keys instead of suppressing
    jobs: int = 0  # 0 = one worker per core
    source_file: str | None = None  # where the settings came from, for messages
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        return self.sections.get(name, {})

    def with_overrides(self, **overrides: Any) -> Config:
        """Apply CLI flags; ``None`` means 'not given'."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given)


_KEYS: Mapping[str, tuple[str, type | tuple[type, ...]]] = {
    "exclude": ("exclude", list),
    "allowlist": ("allowlist", list),
    "max-file-size": ("max_file_size", int),
    "baseline": ("baseline", str),
    "all-files": ("all_files", bool),
    "inline-ignores": ("inline_ignores", bool),
    "allow-example-keys": ("allow_example_keys", bool),
    "jobs": ("jobs", int),
}


def _from_table(table: Mapping[str, Any], origin: str) -> Config:
    values: dict[str, Any] = {}
    sections: dict[str, Mapping[str, Any]] = {}
    for key, value in table.items():
        if key in _SECTIONS:
            if not isinstance(value, Mapping):
                raise KeyshiftError(f"{origin}: [tool.keyshift.{key}] must be a table")
            sections[key] = dict(value)
            continue
        if key not in _KEYS:
            known = ", ".join(sorted([*_KEYS, *_SECTIONS]))
            raise KeyshiftError(f"{origin}: unknown setting {key!r} in [tool.keyshift] (known: {known})")
        attr, expected = _KEYS[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise KeyshiftError(f"{origin}: setting {key!r} has the wrong type")
        if isinstance(value, list):
            if not all(isinstance(v, str) for v in value):
                raise KeyshiftError(f"{origin}: setting {key!r} must be a list of strings")
            value = tuple(value)
        values[attr] = value
    return Config(source_file=origin, sections=sections, **values)


def _find_pyproject(start: Path) -> Path | None:
    start = start.resolve()
    for directory in (start, *start.parents) if start.is_dir() else start.parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if (directory / ".git").exists():
            return None
    return None


def load_config(target: Path, explicit: Path | None = None) -> Config:
    """Find and read the settings for a scan of ``target``."""
    path = explicit
    if path is None and os.environ.get("KEYSHIFT_CONFIG"):
        path = Path(os.environ["KEYSHIFT_CONFIG"])
    if path is None:
        path = _find_pyproject(target)
        if path is None:
            return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KeyshiftError(f"config file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyshiftError(f"cannot read config {path}: {exc}") from exc
    return config_from_text(text, str(path), dedicated=path.name != "pyproject.toml")


def keyshift_table(text: str, origin: str, *, dedicated: bool) -> Mapping[str, Any]:
    """The ``[tool.keyshift]`` table of a TOML text (a dedicated file may hold it at top level)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KeyshiftError(f"cannot read config {origin}: {exc}") from exc
    tool = data.get("tool", {})
    table = tool.get("keyshift") if isinstance(tool, Mapping) else None
    if table is None:
        table = data if dedicated and "tool" not in data else {}
    if not isinstance(table, Mapping):
        raise KeyshiftError(f"{origin}: [tool.keyshift] must be a table")
    return table


def config_from_text(text: str, origin: str, *, dedicated: bool = False) -> Config:
    """Settings from TOML text read elsewhere (the pull-request gate reads them from the base commit)."""
    return _from_table(keyshift_table(text, origin, dedicated=dedicated), origin)
