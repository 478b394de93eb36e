"""The human report: one block per credential, the history-only warning, colour rules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from keyshift.report import render
from keyshift.report.text import HISTORY_ONLY_ADVICE

from .sample import KEY_A, KEY_B, KEY_C, KEY_D, SECRET_LONE, empty_result, sample_result


def _blocks(text: str) -> list[list[str]]:
    return [block.splitlines() for block in text.strip().split("\n\n")]


def test_one_block_per_credential() -> None:
    blocks = _blocks(render(sample_result(), "text"))
    headings = [b[0] for b in blocks if not b[0].startswith(("Errors", "Suppressed"))][:-1]
    assert [h.split()[0] for h in headings] == [KEY_D, KEY_A, KEY_B, KEY_C, "secret"]
    by_key = {b[0].split()[0]: b for b in blocks}
    assert by_key[KEY_B][0].endswith("account 210987654321  temporary access key (STS)")
    assert by_key[KEY_B][1].strip().startswith("found: key ID, secret sha1:")
    assert "token sha1:" in by_key[KEY_B][1]
    assert len([line for line in by_key[KEY_A] if line.startswith("  ") and "KS" in line]) == 4


def test_history_only_warning_only_for_history_only_credentials() -> None:
    text = render(sample_result(), "text")
    by_key = {b[0].split()[0]: "\n".join(b) for b in _blocks(text)}
    assert HISTORY_ONLY_ADVICE in by_key[KEY_B]
    assert HISTORY_ONLY_ADVICE not in by_key[KEY_C]  # also in history, but still at HEAD
    assert "still at HEAD" in by_key[KEY_C]
    assert text.count(HISTORY_ONLY_ADVICE) == 1


def test_image_and_notes() -> None:
    block = next(b for b in _blocks(render(sample_result(), "text")) if b[0].startswith(KEY_D))
    text = "\n".join(block)
    assert "config env[3]" in text
    assert "layer 2, deleted by layer 3 but still in the image" in text
    assert "note: ENV values are stored in the image" in text


def test_lone_secret_is_named_by_hash() -> None:
    from keyshift.redact import sha1_hex

    text = render(sample_result(), "text")
    assert f"secret sha1:{sha1_hex(SECRET_LONE)[:12]}  account unknown  no key ID found" in text


def test_summary_line() -> None:
    last = render(sample_result(), "text").rstrip("\n").splitlines()[-1]
    assert last == (
        "5 credentials (1 history only), 12 findings, 42 files scanned, "
        "4 skipped (binary: 2, broken-symlink: 1, too-large: 1), 2 suppressed, 1 error"
    )
    assert render(empty_result(), "text").startswith("No AWS credentials found.\n")


def test_colour_on_request_and_no_color_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    coloured = render(sample_result(), "text", color=True)
    assert "\x1b[" in coloured and coloured.endswith("\n")
    monkeypatch.setenv("NO_COLOR", "1")
    assert render(sample_result(), "text", color=True) == render(sample_result(), "text")
    monkeypatch.setenv("NO_COLOR", "")  # empty means unset (no-color.org)
    assert "\x1b[" in render(sample_result(), "text", color=True)


def test_colour_keeps_the_words() -> None:
    import re

    coloured = render(sample_result(), "text", color=True)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert [line.rstrip() for line in plain.splitlines()] == render(sample_result(), "text").splitlines()


def test_unknown_format_is_a_usage_error() -> None:
    from keyshift.errors import KeyshiftError

    with pytest.raises(KeyshiftError, match="unknown output format 'xml'"):
        render(sample_result(), "xml")


def test_missing_history_details_still_render() -> None:
    result = sample_result()
    bare = replace(result.findings[4], history=None)
    text = render(replace(result, findings=(bare,), suppressed=()), "text")
    assert "history only" in text and HISTORY_ONLY_ADVICE in text
