"""SARIF 2.1.0: valid against the official schema, stable fingerprints, history kept apart."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from keyshift.model import Location, ScanResult
from keyshift.report import render
from keyshift.report.sarif import partial_fingerprint

from .sample import COMMIT_OLD, SECRETS, empty_result, sample_result

SCHEMA = Path(__file__).with_name("sarif-schema-2.1.0.json")


@cache
def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _sarif(result: ScanResult | None = None, **options: Any) -> dict[str, Any]:
    return json.loads(render(result or sample_result(), "sarif", **options))  # type: ignore[no-any-return]


def _runs(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["automationDetails"]["id"]: run for run in document["runs"]}


@pytest.mark.parametrize(
    "options",
    [{}, {"sarif_history": True}, {"show_suppressed": True, "redact_key_ids": True}],
    ids=["default", "history", "suppressed-redacted"],
)
@pytest.mark.parametrize("build", [sample_result, empty_result], ids=["sample", "empty"])
def test_valid_against_official_schema(build: Any, options: dict[str, Any]) -> None:
    document = _sarif(build(), **options)
    errors = sorted(_validator().iter_errors(document), key=str)
    assert not errors, errors[0].message
    assert document["version"] == "2.1.0"


def test_schema_check_can_fail() -> None:
    document = _sarif()
    document["runs"][0]["results"][0]["level"] = "fatal"
    assert list(_validator().iter_errors(document))


def test_runs_by_category() -> None:
    runs = _runs(_sarif())
    assert list(runs) == ["keyshift/worktree/", "keyshift/image/"]
    sources = {r["properties"]["source"] for r in runs["keyshift/worktree/"]["results"]}
    assert sources == {"worktree", "dockerfile"}
    assert {r["properties"]["source"] for r in runs["keyshift/image/"]["results"]} == {"image"}


def test_empty_scan_still_has_a_run() -> None:
    """An empty run is what lets code scanning close alerts that were fixed."""
    runs = _runs(_sarif(empty_result()))
    assert list(runs) == ["keyshift/worktree/"]
    assert runs["keyshift/worktree/"]["results"] == []


def test_history_only_on_request() -> None:
    runs = _runs(_sarif(sarif_history=True))
    history = runs["keyshift/history/"]
    assert history["results"]
    for result in history["results"]:
        assert result["level"] == "warning"
        assert result["properties"]["source"] == "history"
        text = result["message"]["text"]
        if result["properties"]["inHead"]:
            assert "still at HEAD" in text and "not enough" not in text
        else:
            assert "removing it from HEAD is not enough" in text
    old = [r for r in history["results"] if r["properties"]["commit"] == COMMIT_OLD]
    assert old and all(COMMIT_OLD[:7] in r["message"]["text"] for r in old)
    assert "keyshift/history/" not in _runs(_sarif())


def test_rules_unique_and_indexed() -> None:
    for run in _sarif(sarif_history=True, show_suppressed=True)["runs"]:
        rules = run["tool"]["driver"]["rules"]
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids))
        assert set(ids) == {r["ruleId"] for r in run["results"]}  # only rules that are used
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        for rule in rules:
            severity = rule["properties"]["security-severity"]
            assert isinstance(severity, str) and 0.0 <= float(severity) <= 10.0
            assert "security" in rule["properties"]["tags"]


def test_fingerprint_ignores_line_but_not_path() -> None:
    base = sample_result()
    first = base.findings[0]
    moved = replace(first, location=replace(first.location, line=first.location.line + 40))
    renamed = replace(first, location=Location("other/place.py", first.location.line))

    def fingerprint(finding: Any) -> str:
        result = replace(base, findings=(finding,), suppressed=())
        runs = [r for r in _sarif(result)["runs"] if r["results"]]
        return str(runs[0]["results"][0]["partialFingerprints"]["keyshift/v1"])

    assert fingerprint(first) == fingerprint(moved)
    assert fingerprint(first) != fingerprint(renamed)
    raw = f"{first.rule_id}\0{first.location.path}\0{first.value_sha1}".encode()
    assert fingerprint(first) == hashlib.sha256(raw).hexdigest()
    assert partial_fingerprint("KS001", "a.py", "0" * 40) != partial_fingerprint("KS002", "a.py", "0" * 40)


def test_locations_and_regions() -> None:
    for run in _sarif()["runs"]:
        for result in run["results"]:
            location = result["locations"][0]["physicalLocation"]
            uri = location["artifactLocation"]["uri"]
            assert not uri.startswith("/") and "\\" not in uri and " " not in uri
            assert location["region"]["startLine"] >= 1
            assert "snippet" not in location["region"]


def test_suppressed_results_carry_suppressions() -> None:
    results = [r for run in _sarif(show_suppressed=True)["runs"] for r in run["results"]]
    suppressed = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r
        for r in results
        if "suppressions" in r
    }
    assert suppressed["tests/test_client.py"]["suppressions"] == [
        {"kind": "inSource", "justification": "inline-allow"}
    ]
    assert suppressed["legacy/settings_old.py"]["suppressions"][0]["kind"] == "external"
    assert not any("suppressions" in r for run in _sarif()["runs"] for r in run["results"])


def test_never_the_secret() -> None:
    text = render(sample_result(), "sarif", sarif_history=True, show_suppressed=True)
    for secret in SECRETS:
        assert secret not in text


def test_unknown_rule_gets_a_descriptor() -> None:
    base = sample_result()
    odd = replace(base.findings[0], rule_id="KS999")
    document = _sarif(replace(base, findings=(odd,), suppressed=()))
    rules = [rule for run in document["runs"] for rule in run["tool"]["driver"]["rules"]]
    assert [rule["id"] for rule in rules] == ["KS999"]
    assert not list(_validator().iter_errors(document))


def _only(result: ScanResult, source: str, **stats: Any) -> ScanResult:
    keep = tuple(f for f in result.findings if f.source.value == source)
    return replace(result, findings=keep, suppressed=(), stats=stats)


RUN_CASES: list[tuple[str, str, dict[str, Any], bool, list[str]]] = [
    # (case, findings kept, stats, sarif_history, expected run ids)
    ("image scan, no tree", "image", {"images": 1}, False, ["keyshift/image/"]),
    ("clean image scan", "none", {"images": 1}, False, ["keyshift/image/"]),
    ("tree and image", "image", {"images": 1, "skipped_by_reason": {}}, False,
     ["keyshift/worktree/", "keyshift/image/"]),
    ("clean tree", "none", {"skipped_by_reason": {}}, False, ["keyshift/worktree/"]),
    ("clean history, asked", "none", {"commits": 3, "skipped_by_reason": {}}, True,
     ["keyshift/worktree/", "keyshift/history/"]),
    ("declared sources win", "none", {"sources": ["image", "history"], "skipped_by_reason": {}}, True,
     ["keyshift/image/", "keyshift/history/"]),
    ("declared dockerfile only", "dockerfile", {"sources": ["dockerfile"]}, False, ["keyshift/worktree/"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "keep", "stats", "history", "expected"), RUN_CASES, ids=[c[0] for c in RUN_CASES]
)
def test_a_run_only_for_what_was_scanned(
    case: str, keep: str, stats: dict[str, Any], history: bool, expected: list[str]
) -> None:
    """An empty run closes alerts, so never emit one for a source that was not scanned."""
    document = _sarif(_only(sample_result(), keep, **stats), sarif_history=history)
    assert [r["automationDetails"]["id"] for r in document["runs"]] == expected
    assert not list(_validator().iter_errors(document))
