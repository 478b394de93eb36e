"""Every format against a reviewed golden file; regenerate with KEYSHIFT_REGEN=1 and review the diff."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from keyshift import __version__
from keyshift.model import ScanResult
from keyshift.report import render

from .sample import KEY_IDS, SECRETS, empty_result, sample_result

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
FIXED_TIME = "2024-01-02T03:04:05Z"

CASES: list[tuple[str, Callable[[], ScanResult], str, dict[str, Any]]] = [
    ("scan.txt", sample_result, "text", {}),
    ("scan-redacted.txt", sample_result, "text", {"redact_key_ids": True}),
    ("scan-suppressed.txt", sample_result, "text", {"show_suppressed": True}),
    ("empty.txt", empty_result, "text", {}),
    ("scan.json", sample_result, "json", {}),
    ("scan-suppressed.json", sample_result, "json", {"show_suppressed": True}),
    ("scan-redacted.json", sample_result, "json", {"redact_key_ids": True}),
    ("empty.json", empty_result, "json", {}),
    ("scan.sarif", sample_result, "sarif", {}),
    ("scan-history.sarif", sample_result, "sarif", {"sarif_history": True, "show_suppressed": True}),
    ("empty.sarif", empty_result, "sarif", {}),
    ("scan.secrets.baseline", sample_result, "baseline", {"generated_at": FIXED_TIME}),
    ("scan-slim.secrets.baseline", sample_result, "baseline", {"baseline_slim": True}),
    ("empty.secrets.baseline", empty_result, "baseline", {"generated_at": FIXED_TIME}),
]


def _normalise(text: str) -> str:
    """The tool version is not part of the format: keep golden files stable across releases."""
    return text.replace(f'"{__version__}"', '"<version>"')


@pytest.mark.parametrize(("name", "build", "fmt", "options"), CASES, ids=[c[0] for c in CASES])
def test_golden(name: str, build: Callable[[], ScanResult], fmt: str, options: dict[str, Any]) -> None:
    rendered = _normalise(render(build(), fmt, **options))
    path = GOLDEN / name
    if os.environ.get("KEYSHIFT_REGEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with KEYSHIFT_REGEN=1 and review it"
    assert rendered == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "build", "fmt", "options"), CASES, ids=[c[0] for c in CASES])
def test_no_secret_plaintext(
    name: str, build: Callable[[], ScanResult], fmt: str, options: dict[str, Any]
) -> None:
    rendered = render(build(), fmt, **options)
    assert rendered.endswith("\n")
    for secret in SECRETS:
        assert secret not in rendered
        assert secret[:20] not in rendered  # no partial leak either
    if options.get("redact_key_ids"):
        for key in KEY_IDS:
            assert key not in rendered


def test_render_is_deterministic() -> None:
    for fmt in ("text", "json", "sarif"):
        assert render(sample_result(), fmt) == render(sample_result(), fmt)


def test_golden_files_cover_every_format() -> None:
    assert {c[2] for c in CASES} == {"text", "json", "sarif", "baseline"}
