"""detect-secrets compatible ``.secrets.baseline``: write ours, read anyone's, merge into a shared one.

A baseline records known secrets by identity (file name, SHA-1 of the value); keyshift and
detect-secrets hash the same way, so each can honour the other's entries. keyshift writes its AWS
findings as detect-secrets' ``AWSKeyDetector`` results (type "AWS Access Key", used by
detect-secrets for key IDs and secret keys alike), and leaves every other plugin's results alone.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keyshift.errors import KeyshiftError
from keyshift.model import Finding, ScanResult, SourceKind
from keyshift.report._common import active_findings, suppressed_findings

FORMAT_VERSION = "1.5.0"
AWS_TYPE = "AWS Access Key"
AWS_PLUGIN = "AWSKeyDetector"
KNOWN_MAJORS = (0, 1)  # 0.x baselines have the same results layout; 1.x is the current one

# What ``detect-secrets scan`` 1.5 records when run with default settings.
DEFAULT_FILTERS: tuple[Mapping[str, Any], ...] = (
    {"path": "detect_secrets.filters.allowlist.is_line_allowlisted"},
    {"path": "detect_secrets.filters.common.is_ignored_due_to_verification_policies", "min_level": 2},
    {"path": "detect_secrets.filters.heuristic.is_indirect_reference"},
    {"path": "detect_secrets.filters.heuristic.is_likely_id_string"},
    {"path": "detect_secrets.filters.heuristic.is_lock_file"},
    {"path": "detect_secrets.filters.heuristic.is_not_alphanumeric_string"},
    {"path": "detect_secrets.filters.heuristic.is_potential_uuid"},
    {"path": "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign"},
    {"path": "detect_secrets.filters.heuristic.is_sequential_string"},
    {"path": "detect_secrets.filters.heuristic.is_swagger_file"},
    {"path": "detect_secrets.filters.heuristic.is_templated_secret"},
)

# Findings that belong in a file checked into the repository: values in files at HEAD. History-only
# keys must be revoked rather than accepted, and images are not files detect-secrets can re-scan.
_BASELINE_SOURCES = frozenset({SourceKind.WORKTREE, SourceKind.DOCKERFILE})


def timestamp() -> str:
    """detect-secrets' ``generated_at``; ``SOURCE_DATE_EPOCH`` makes it reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    seconds = int(epoch) if epoch and epoch.isdigit() else None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def normalize_filename(name: str) -> str:
    name = name.replace("\\", "/")
    while name.startswith("./"):
        name = name[2:]
    return name


def baseline_findings(result: ScanResult) -> list[Finding]:
    """What a rewritten baseline must hold: active findings plus those a baseline already suppressed."""
    items = active_findings(result)
    items += [f for f in suppressed_findings(result) if f.suppressed == "baseline"]
    return [f for f in items if f.source in _BASELINE_SOURCES]


def _sort_key(item: Mapping[str, Any]) -> tuple[int, str, str]:
    line = item.get("line_number")
    return (
        line if isinstance(line, int) else 0,
        str(item.get("hashed_secret", "")),
        str(item.get("type", "")),
    )


def _our_entries(findings: Iterable[Finding], *, slim: bool) -> dict[str, list[dict[str, Any]]]:
    """One entry per (file, hash): detect-secrets collapses repeats and keeps the first line."""
    first_line: dict[tuple[str, str], int] = {}
    for finding in findings:
        ident = (normalize_filename(finding.location.path), finding.value_sha1)
        line = finding.location.line
        if ident not in first_line or line < first_line[ident]:
            first_line[ident] = line
    results: dict[str, list[dict[str, Any]]] = {}
    for (filename, hashed), line in first_line.items():
        entry: dict[str, Any] = {
            "type": AWS_TYPE,
            "filename": filename,
            "hashed_secret": hashed,
            "is_verified": False,
        }
        if line > 0:
            entry["line_number"] = line
        results.setdefault(filename, []).append(entry)
    return _finish(results, slim=slim)


def _finish(results: Mapping[str, list[dict[str, Any]]], *, slim: bool) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for filename in sorted(results):
        items = sorted(results[filename], key=_sort_key)
        if slim:
            items = [{k: v for k, v in item.items() if k != "line_number"} for item in items]
        if items:
            out[filename] = items
    return out


def to_document(result: ScanResult, *, slim: bool = False, generated_at: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "plugins_used": [{"name": AWS_PLUGIN}],
        "filters_used": [dict(f) for f in DEFAULT_FILTERS],
        "results": _our_entries(baseline_findings(result), slim=slim),
    }
    if not slim:
        document["generated_at"] = generated_at or timestamp()
    return document


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def render(result: ScanResult, *, slim: bool = False, generated_at: str | None = None) -> str:
    """A fresh baseline holding keyshift's findings. Slim drops ``generated_at`` and line numbers."""
    return dumps(to_document(result, slim=slim, generated_at=generated_at))


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    filename: str
    hashed_secret: str
    type: str
    line_number: int | None = None
    is_secret: bool | None = None


@dataclass(frozen=True, slots=True)
class Baseline:
    """Known secrets from a keyshift or detect-secrets baseline; identity is (file name, SHA-1)."""

    version: str
    entries: tuple[BaselineEntry, ...]
    origin: str = ""
    warnings: tuple[str, ...] = ()
    _identities: frozenset[tuple[str, str]] = field(
        default=frozenset(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        identities = frozenset((e.filename, e.hashed_secret) for e in self.entries)
        object.__setattr__(self, "_identities", identities)

    def contains(self, finding: Finding) -> bool:
        """Known when the same value sits in the same file, on whatever line it has moved to."""
        return (normalize_filename(finding.location.path), finding.value_sha1) in self._identities

    def __len__(self) -> int:
        return len(self.entries)


def _major(version: object, origin: str) -> int:
    if not isinstance(version, str) or not version.split(".")[0].isdigit():
        raise KeyshiftError(f"{origin}: not a secrets baseline (missing or invalid 'version': {version!r})")
    major = int(version.split(".")[0])
    if major not in KNOWN_MAJORS:
        known = ", ".join(f"{m}.x" for m in KNOWN_MAJORS)
        raise KeyshiftError(
            f"{origin}: baseline version {version} is not supported (keyshift reads versions {known})"
        )
    return major


def parse_baseline(data: object, origin: str = "baseline") -> Baseline:
    """Validate a decoded baseline; bad entries are skipped with a warning, a bad file is an error."""
    if not isinstance(data, Mapping):
        raise KeyshiftError(f"{origin}: not a secrets baseline (expected a JSON object)")
    version = data.get("version")
    _major(version, origin)
    results = data.get("results", {})
    if not isinstance(results, Mapping):
        raise KeyshiftError(f"{origin}: 'results' must be an object keyed by file name")
    entries: list[BaselineEntry] = []
    warnings: list[str] = []
    for filename, items in results.items():
        if not isinstance(items, list):
            warnings.append(f"{origin}: results for {filename!r} are not a list; ignored")
            continue
        for position, item in enumerate(items):
            hashed = item.get("hashed_secret") if isinstance(item, Mapping) else None
            if not isinstance(hashed, str) or not hashed:
                warnings.append(f"{origin}: entry {position} of {filename!r} has no hashed_secret; ignored")
                continue
            assert isinstance(item, Mapping)
            line = item.get("line_number")
            is_secret = item.get("is_secret")
            entries.append(
                BaselineEntry(
                    filename=normalize_filename(str(filename)),
                    hashed_secret=hashed.lower(),
                    type=str(item.get("type", "")),
                    line_number=line if isinstance(line, int) and not isinstance(line, bool) else None,
                    is_secret=is_secret if isinstance(is_secret, bool) else None,
                )
            )
    return Baseline(str(version), tuple(entries), origin, tuple(warnings))


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KeyshiftError(f"baseline file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyshiftError(f"cannot read baseline {path}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyshiftError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    except (ValueError, RecursionError):  # a number of thousands of digits, nesting past the stack
        raise KeyshiftError(f"{path}: not a readable baseline (nested too deep, or a huge number)") from None


def load_baseline(path: Path) -> Baseline:
    """Read a keyshift or detect-secrets baseline; unknown major versions are refused by name."""
    return parse_baseline(_read_json(path), str(path))


# --- merging ---------------------------------------------------------------------------------


def merge(
    existing: Mapping[str, Any],
    result: ScanResult,
    *,
    origin: str = "baseline",
    prune: bool = False,
    generated_at: str | None = None,
) -> dict[str, Any]:
    """Write keyshift's AWS results into an existing detect-secrets baseline.

    Other plugins' results, ``plugins_used`` and ``filters_used`` are kept as they are (``AWSKeyDetector``
    is added to ``plugins_used`` if missing, so detect-secrets keeps checking the entries). Audit labels
    (``is_secret``, ``is_verified``) of entries keyshift finds again are kept. AWS entries keyshift did
    not find stay unless ``prune``: keyshift may not have scanned that file, and dropping a known
    secret would make detect-secrets report it as new. The file's style is kept: a slim baseline
    (no ``generated_at``) stays slim.
    """
    parsed = parse_baseline(existing, origin)
    if _major(parsed.version, origin) != 1:
        raise KeyshiftError(
            f"{origin}: baseline version {parsed.version} is too old to merge into; "
            "upgrade it with `detect-secrets scan --baseline FILE` first"
        )
    slim = "generated_at" not in existing
    old_results: Mapping[str, Any] = existing.get("results", {})
    ours = _our_entries(baseline_findings(result), slim=False)

    merged: dict[str, list[dict[str, Any]]] = {}
    for filename, items in old_results.items():
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, Mapping) or not isinstance(item.get("hashed_secret"), str):
                continue
            if item.get("type") == AWS_TYPE and prune:
                continue
            merged.setdefault(normalize_filename(str(filename)), []).append(dict(item))
    for filename, entries in ours.items():
        bucket = merged.setdefault(filename, [])
        known = {(str(i.get("hashed_secret")), str(i.get("type"))): i for i in bucket}
        for entry in entries:
            old = known.get((entry["hashed_secret"], AWS_TYPE))
            if old is None:
                bucket.append(entry)
                continue
            if "line_number" in entry:  # audit labels kept, line refreshed
                old["line_number"] = entry["line_number"]

    document = dict(existing)
    plugins = [dict(p) for p in existing.get("plugins_used", []) if isinstance(p, Mapping)]
    if not any(p.get("name") == AWS_PLUGIN for p in plugins):
        plugins.append({"name": AWS_PLUGIN})
        plugins.sort(key=lambda p: str(p.get("name", "")))
    document["plugins_used"] = plugins
    document.setdefault("filters_used", [dict(f) for f in DEFAULT_FILTERS])
    document["results"] = _finish(merged, slim=slim)
    if not slim:
        document["generated_at"] = generated_at or timestamp()
    return document


def merge_file(
    path: Path,
    result: ScanResult,
    *,
    prune: bool = False,
    slim: bool = False,
    generated_at: str | None = None,
) -> str:
    """The text to write to ``path``: merged into it if it exists, else a fresh baseline."""
    if not path.exists():
        return render(result, slim=slim, generated_at=generated_at)
    existing = _read_json(path)
    if not isinstance(existing, Mapping):
        raise KeyshiftError(f"{path}: not a secrets baseline (expected a JSON object)")
    return dumps(merge(existing, result, origin=str(path), prune=prune, generated_at=generated_at))
