"""The JSON contract: the shipped schema, field meanings, order and masking."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from keyshift.model import SourceKind
from keyshift.report import render
from keyshift.report.json import schema

from .sample import COMMIT_OLD, KEY_A, KEY_B, KEY_IDS, SECRET_A, empty_result, sample_result

DOCS = Path(__file__).resolve().parents[2] / "docs" / "json-format.md"


def _doc(**options: Any) -> dict[str, Any]:
    return json.loads(render(sample_result(), "json", **options))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "options",
    [{}, {"show_suppressed": True}, {"redact_key_ids": True}],
    ids=["default", "suppressed", "redacted"],
)
@pytest.mark.parametrize("build", [sample_result, empty_result], ids=["sample", "empty"])
def test_output_matches_shipped_schema(build: Any, options: dict[str, Any]) -> None:
    document = json.loads(render(build(), "json", **options))
    jsonschema.Draft202012Validator(schema()).validate(document)


def test_schema_rejects_a_finding_without_required_fields() -> None:
    document = _doc()
    del document["findings"][0]["secret_sha1"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema()).validate(document)


def test_findings_sorted_by_path_line_column_rule_kind() -> None:
    findings = _doc()["findings"]
    keys = [(f["path"] or "", f["line"], f["column"] or 0, f["rule"], f["kind"]) for f in findings]
    assert keys == sorted(keys)


def test_field_meanings() -> None:
    findings = _doc()["findings"]
    for f in findings:
        assert (f["commit"] is not None) == (f["source"] == SourceKind.HISTORY.value)
        assert (f["secret_sha1"] is None) == (f["kind"] == "access_key_id")
        assert (f["path"] is None) == (f["image"] is not None and f["image"]["field"] is not None)
        assert f["line"] >= 1
    by_place = {(f["path"], f["line"], f["source"]): f for f in findings}
    secret = by_place[("app/settings.py", 4, "worktree")]
    assert secret["kind"] == "secret_access_key"
    assert secret["key_id"] == KEY_A  # the key ID it pairs with
    assert secret["account_id"] == "123456789012"
    old = by_place[("config/old_creds.ini", 2, "history")]
    assert old["commit"] == COMMIT_OLD
    assert old["history"]["in_head"] is False
    assert old["key_id"] == KEY_B
    lone = by_place[("scripts/sync.py", 10, "worktree")]
    assert lone["key_id"] is None and lone["account_id"] is None
    layer = next(f for f in findings if f["rule"] == "KS102")
    assert layer["image"]["deleted"] is True and layer["image"]["deleted_by_layer"] == 3


def test_suppressed_only_when_asked() -> None:
    assert _doc()["suppressed"] == []
    suppressed = _doc(show_suppressed=True)["suppressed"]
    assert {(s["path"], s["suppressed"]) for s in suppressed} == {
        ("tests/test_client.py", "inline-allow"),
        ("legacy/settings_old.py", "baseline"),
    }
    assert _doc()["summary"]["suppressed"] == 2  # counted either way


def test_summary_counts() -> None:
    summary = _doc()["summary"]
    assert summary["credentials"] == 5
    assert summary["history_only_credentials"] == 1
    assert summary["findings"] == 12
    assert summary["skipped"] == 4
    assert summary["skipped_by_reason"] == {"binary": 2, "broken-symlink": 1, "too-large": 1}
    assert summary["by_kind"] == {"access_key_id": 6, "secret_access_key": 5, "session_token": 1}


def test_redaction_masks_every_key_id() -> None:
    text = render(sample_result(), "json", redact_key_ids=True, show_suppressed=True)
    for key in KEY_IDS:
        assert key not in text
    assert f'"{KEY_A[:4]}…{KEY_A[-4:]}"' in text


def test_secret_in_free_text_is_scrubbed() -> None:
    from dataclasses import replace

    result = sample_result()
    result = replace(result, errors=(f"parse error near {SECRET_A}",))
    text = render(result, "json")
    assert SECRET_A not in text
    assert "<redacted sha1:" in text


def test_docs_describe_every_field() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    s = schema()
    names = set(s["properties"])
    for definition in s["$defs"].values():
        names |= set(definition["properties"])
    names |= set(s["properties"]["summary"]["properties"])
    missing = sorted(n for n in names if not re.search(rf"`{re.escape(n)}`", doc))
    assert not missing, f"docs/json-format.md does not describe: {missing}"
