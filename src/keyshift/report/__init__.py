"""Reporters: a ``ScanResult`` in, one text out, in the format the user asked for.

Every format goes through the same ordering, masking and hashing helpers (``_common``), so a
finding has the same identity in text, JSON, SARIF and a baseline. No reporter ever sees a
secret's plaintext: findings only carry SHA-1 digests.
"""

from __future__ import annotations

from keyshift.errors import KeyshiftError
from keyshift.model import ScanResult

FORMATS = ("text", "json", "sarif", "baseline")


def render(
    result: ScanResult,
    fmt: str,
    *,
    redact_key_ids: bool = False,
    show_suppressed: bool = False,
    color: bool = False,
    sarif_history: bool = False,
    baseline_slim: bool = False,
    generated_at: str | None = None,
) -> str:
    """Render ``result`` as ``fmt`` (one of ``FORMATS``); the text always ends with a newline.

    ``color`` applies to text only (and yields to ``NO_COLOR``); ``sarif_history`` adds a separate
    ``keyshift/history/`` run for history findings; ``baseline_slim`` drops ``generated_at`` and line
    numbers, and ``generated_at`` pins the baseline's timestamp (default: now, or ``SOURCE_DATE_EPOCH``).
    """
    if fmt == "text":
        from keyshift.report import text

        return text.render(
            result, redact_key_ids=redact_key_ids, show_suppressed=show_suppressed, color=color
        )
    if fmt == "json":
        from keyshift.report import json

        return json.render(result, redact_key_ids=redact_key_ids, show_suppressed=show_suppressed)
    if fmt == "sarif":
        from keyshift.report import sarif

        return sarif.render(
            result,
            redact_key_ids=redact_key_ids,
            show_suppressed=show_suppressed,
            sarif_history=sarif_history,
        )
    if fmt == "baseline":
        from keyshift.report import baseline

        return baseline.render(result, slim=baseline_slim, generated_at=generated_at)
    raise KeyshiftError(f"unknown output format {fmt!r} (choose from {', '.join(FORMATS)})")


__all__ = ["FORMATS", "render"]
