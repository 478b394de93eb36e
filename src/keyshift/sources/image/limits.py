"""Bounds that keep a hostile image from exhausting memory, disk or time.

Every number can be changed in ``[tool.keyshift.image]``; the defaults are generous for real
images and small enough that a gzip bomb or a lying header stops within seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from keyshift.errors import KeyshiftError

GiB = 1024 * 1024 * 1024
MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    max_file_size: int = 100 * MiB  # files larger than this are scanned in windows
    window: int = 8 * MiB  # window size for files over max_file_size
    max_layer_bytes: int = 16 * GiB  # decompressed bytes per layer
    max_total_bytes: int = 64 * GiB  # decompressed bytes per image
    max_ratio: int = 200  # decompressed / compressed, checked past ratio_floor bytes
    ratio_floor: int = 128 * MiB
    max_nested_depth: int = 3  # archive inside archive inside layer ...
    max_nested_bytes: int = 256 * MiB  # decompressed bytes of one nested archive member
    max_nested_members: int = 100_000
    max_nested_total: int = 1 * GiB  # decompressed bytes of all nested archives in one layer
    max_members: int = 2_000_000  # tar entries per layer
    max_json_bytes: int = 16 * MiB  # manifest, index, config
    max_json_depth: int = 64
    inline_ignores: bool = True


_KEYS = {
    "max-layer-bytes": "max_layer_bytes",
    "max-total-bytes": "max_total_bytes",
    "max-ratio": "max_ratio",
    "max-nested-depth": "max_nested_depth",
    "max-nested-bytes": "max_nested_bytes",
    "max-nested-total": "max_nested_total",
    "max-json-bytes": "max_json_bytes",
    "max-json-depth": "max_json_depth",
    "window": "window",
}


def limits_from(section: Mapping[str, Any], *, max_file_size: int, inline_ignores: bool) -> Limits:
    """Read ``[tool.keyshift.image]``; unknown keys and wrong types are errors naming the key."""
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise KeyshiftError(f"unknown setting {key!r} in [tool.keyshift.image] (known: {known})")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise KeyshiftError(f"setting {key!r} in [tool.keyshift.image] must be a non-negative integer")
        values[_KEYS[key]] = value
    assert {f.name for f in fields(Limits)} >= set(values)
    return Limits(max_file_size=max(1, max_file_size), inline_ignores=inline_ignores, **values)
