"""Settings: defaults < ``[tool.keyshift]`` in pyproject.toml (or ``KEYSHIFT_CONFIG``) < CLI flags.

Unknown keys are an error naming the key, so a typo never silently disables a setting.
Sub-tables (``[tool.keyshift.plan]``, ``.image``, ``.fix``) are kept as plain mappings for the
stage that owns them to validate (``.fix`` is checked here: its one key is read through
``Config.fix_exclude``). Tables no stage reads (``.history``, ``.sweep``) are errors.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from keyshift.errors import KeyshiftError

if TYPE_CHECKING:
    from keyshift.model import Finding

DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024
#: the sub-tables a stage reads
Section = Literal["plan", "image", "fix"]
_SECTIONS: tuple[Section, ...] = get_args(Section)
# tables earlier versions accepted without reading them: an error now, so no setting is silently ignored
_RETIRED_SECTIONS = {
    "history": "history scans are configured with command-line flags (--history, --since, --unreachable)",
    "sweep": "sweeps are configured with command-line flags (keyshift sweep --help)",
}
_FIX_KEYS = {"exclude": "globs the codemod skips, on top of [tool.keyshift] exclude"}


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
    #: found inside the scanned tree (its own pyproject.toml), not given by the user: what these
    #: settings suppress is named in every report (``repo_suppressions``)
    from_target: bool = False
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def section(self, name: Section) -> Mapping[str, Any]:
        return self.sections.get(name, {})

    @property
    def fix_exclude(self) -> tuple[str, ...]:
        """What ``fix`` skips: ``exclude`` plus ``[tool.keyshift.fix] exclude`` (checked on load)."""
        return (*self.exclude, *self.section("fix").get("exclude", ()))

    def with_overrides(self, **overrides: Any) -> Config:
        """Apply CLI flags; ``None`` means 'not given'."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given)


_KEYS: Mapping[str, tuple[str, type | tuple[type, ...]]] = {
    "exclude": ("exclude", list),
    "allowlist": ("allowlist", list),
    "max-file-size": ("max_file_size", (int, str)),
    "baseline": ("baseline", str),
    "all-files": ("all_files", bool),
    "inline-ignores": ("inline_ignores", bool),
    "allow-example-keys": ("allow_example_keys", bool),
    "jobs": ("jobs", int),
}


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
MAX_SIZE = 1024**5  # a petabyte: anything larger is a typo


def parse_size(value: object, origin: str) -> int:
    """A size in bytes from ``10485760``, ``"10MB"``, ``"512 KiB"`` or ``"1.5G"`` (K/M/G/T = 1024^n).

    Zero, negative and unreadable sizes are errors naming ``origin``: ``-1`` used to be accepted
    and then skipped every file, so the scan reported clean without reading anything.
    """
    if isinstance(value, bool):
        raise KeyshiftError(f"{origin}: a size must be a number of bytes or a string like '10MB'")
    if isinstance(value, int):
        size = value
    elif isinstance(value, str):
        match = _SIZE.fullmatch(value)
        if match is None or (match.group(3) and not match.group(2) and match.group(3).lower() != "b"):
            raise KeyshiftError(f"{origin}: {value!r} is not a size (examples: 1048576, 512KB, 10MB, 1GiB)")
        size = int(float(match.group(1)) * _UNITS[match.group(2).lower()])
    else:
        raise KeyshiftError(f"{origin}: a size must be a number of bytes or a string like '10MB'")
    if size <= 0:
        raise KeyshiftError(f"{origin}: the size must be greater than 0 (got {value!r})")
    if size > MAX_SIZE:
        raise KeyshiftError(f"{origin}: {value!r} is larger than {MAX_SIZE} bytes")
    return size


def _from_table(table: Mapping[str, Any], origin: str) -> Config:
    values: dict[str, Any] = {}
    sections: dict[str, Mapping[str, Any]] = {}
    for key, value in table.items():
        if key in _RETIRED_SECTIONS:
            raise KeyshiftError(f"{origin}: [tool.keyshift.{key}] is not read: {_RETIRED_SECTIONS[key]}")
        if key in _SECTIONS:
            if not isinstance(value, Mapping):
                raise KeyshiftError(f"{origin}: [tool.keyshift.{key}] must be a table")
            if key == "fix":
                _check_fix(value, origin)
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
        if key == "max-file-size":
            value = parse_size(value, f"{origin}: setting 'max-file-size'")
        if key == "jobs" and value < 0:
            raise KeyshiftError(f"{origin}: setting 'jobs' must be 0 (one per core) or more")
        values[attr] = value
    return Config(source_file=origin, sections=sections, **values)


def _check_fix(table: Mapping[str, Any], origin: str) -> None:
    for name, value in table.items():
        if name not in _FIX_KEYS:
            known = ", ".join(sorted(_FIX_KEYS))
            raise KeyshiftError(f"{origin}: unknown setting {name!r} in [tool.keyshift.fix] (known: {known})")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise KeyshiftError(
                f"{origin}: setting {name!r} in [tool.keyshift.fix] must be a list of strings"
            )


def _find_pyproject(start: Path) -> Path | None:
    start = start.resolve()
    for directory in (start, *start.parents) if start.is_dir() else start.parents:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if (directory / ".git").exists():
            return None
    return None


def load_config(target: Path, explicit: Path | None = None, *, repo_config: bool = True) -> Config:
    """Find and read the settings for a scan of ``target``.

    ``explicit`` (``--config``) and ``KEYSHIFT_CONFIG`` are the user's. Otherwise the nearest
    ``pyproject.toml`` is the scanned repository's own, which may be hostile: with
    ``repo_config=False`` (``--no-repo-config``, ``sweep``) it is not read at all.
    """
    path = explicit
    if path is None and os.environ.get("KEYSHIFT_CONFIG"):
        path = Path(os.environ["KEYSHIFT_CONFIG"])
    found = path is None
    if path is None:
        path = _find_pyproject(target) if repo_config else None
        if path is None:
            return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KeyshiftError(f"config file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyshiftError(f"cannot read config {path}: {exc}") from exc
    config = config_from_text(text, str(path), dedicated=path.name != "pyproject.toml")
    return replace(config, from_target=True) if found else config


def repo_suppressions(
    config: Config, suppressed: Iterable[Finding], *, own_baseline: bool
) -> tuple[int, str | None]:
    """How many findings the scanned repository's own settings suppressed, and one warning naming
    them (and the files its excludes and size limit leave out), or None.

    Policy: a repository's own allowlist, baseline, excludes and size limit apply (a team's own
    repository configures its own scan), but never silently: every finding they suppress is
    counted and located here, and ``--no-repo-config`` (and every ``sweep``) ignores them.
    ``own_baseline``: the baseline in use is the one these settings name (not ``--baseline``).
    """
    if not config.from_target:
        return 0, None
    reasons = {"allowlist"} | ({"baseline"} if own_baseline else set())
    hidden = [f for f in suppressed if f.suppressed in reasons]
    parts: list[str] = []
    if hidden:
        counts = Counter(str(f.suppressed) for f in hidden)
        places = sorted({f"{f.location.path}:{f.location.line}" for f in hidden})
        shown = ", ".join(places[:10]) + (f" and {len(places) - 10} more" if len(places) > 10 else "")
        by = ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items()))
        parts.append(f"{len(hidden)} finding(s) suppressed by them ({by}) at {shown}")
    if config.exclude:
        shown = ", ".join(repr(e) for e in config.exclude[:10])
        parts.append(f"they exclude {shown}" + (" and more" if len(config.exclude) > 10 else ""))
    if config.max_file_size < DEFAULT_MAX_FILE_SIZE:
        parts.append(f"they skip files over {config.max_file_size} bytes")
    if not parts:
        return 0, None
    said = f"settings from the scanned repository ({config.source_file}): " + "; ".join(parts)
    return len(hidden), said + "; --no-repo-config ignores them"


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
