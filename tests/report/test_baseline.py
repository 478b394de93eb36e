"""Baselines: what keyshift writes detect-secrets reads (and vice versa), merging keeps others' entries."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from detect_secrets.core import baseline as ds_baseline
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import transient_settings

from keyshift.errors import KeyshiftError
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.model import ScanResult, SourceKind
from keyshift.redact import sha1_hex
from keyshift.report import render
from keyshift.report.baseline import (
    AWS_TYPE,
    load_baseline,
    merge,
    merge_file,
    parse_baseline,
)

from .gitutil import git, init_repo
from .sample import KEY_A, SECRET_A, key_finding, sample_result, secret_finding

FIXED = "2024-01-02T03:04:05Z"
WT = SourceKind.WORKTREE


def _identities(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (filename, item["hashed_secret"], item["type"])
        for filename, items in document["results"].items()
        for item in items
    }


@pytest.fixture
def ds_settings() -> Iterator[None]:
    """detect-secrets keeps global settings; never leak them into other tests."""
    with transient_settings({}) as settings:
        settings.clear()  # start from nothing, as the detect-secrets command line does
        yield


@pytest.mark.parametrize("slim", [False, True], ids=["full", "slim"])
def test_detect_secrets_reads_it_and_writes_it_back_identically(slim: bool, ds_settings: None) -> None:
    text = render(sample_result(), "baseline", baseline_slim=slim, generated_at=FIXED)
    ours = json.loads(text)
    secrets = ds_baseline.load(ours, "")
    assert isinstance(secrets, SecretsCollection)
    assert {(f, s.secret_hash, s.type) for f, s in secrets} == _identities(ours)
    # detect-secrets cannot re-emit a slim baseline it loaded (no line numbers to pop), so compare full
    theirs = ds_baseline.format_for_output(secrets, is_slim_mode=False)
    del theirs["generated_at"]
    ours.pop("generated_at", None)
    if slim:
        for items in theirs["results"].values():
            for item in items:
                item.pop("line_number", None)
    assert theirs == ours  # same plugins, filters, order and fields as detect-secrets writes
    assert text.endswith("}\n") and "  " in text


def test_only_files_at_head_go_in() -> None:
    document = json.loads(render(sample_result(), "baseline", generated_at=FIXED))
    files = set(document["results"])
    assert files == {
        "Dockerfile",
        "app/settings.py",
        "deploy/env.sh",
        "scripts/sync.py",
        "legacy/settings_old.py",
    }
    # repeats of one value in one file collapse; the baseline-suppressed finding is kept, others not
    assert all(
        item["type"] == AWS_TYPE and item["is_verified"] is False
        for f in document["results"].values()
        for item in f
    )
    assert "tests/test_client.py" not in files


def test_full_has_timestamp_and_lines_slim_has_neither() -> None:
    full = json.loads(render(sample_result(), "baseline", generated_at=FIXED))
    slim = json.loads(render(sample_result(), "baseline", baseline_slim=True))
    assert full["generated_at"] == FIXED
    assert list(full) == ["version", "plugins_used", "filters_used", "results", "generated_at"]
    assert "generated_at" not in slim
    assert all("line_number" in i for items in full["results"].values() for i in items)
    assert not any("line_number" in i for items in slim["results"].values() for i in items)


def test_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    assert json.loads(render(sample_result(), "baseline"))["generated_at"] == "1970-01-02T00:00:00Z"


def test_round_trip_contains(tmp_path: Path) -> None:
    result = sample_result()
    path = tmp_path / ".secrets.baseline"
    path.write_text(render(result, "baseline", baseline_slim=True), encoding="utf-8")
    known = load_baseline(path)
    for finding in result.findings:
        expected = finding.source in (SourceKind.WORKTREE, SourceKind.DOCKERFILE)
        if finding.source is SourceKind.HISTORY and finding.location.path == "deploy/env.sh":
            expected = True  # the same value in the same file is known, wherever it was found
        assert known.contains(finding) is expected, finding.location
    first = result.findings[0]
    assert known.contains(replace(first, location=replace(first.location, line=99)))
    assert not known.contains(replace(first, location=replace(first.location, path="elsewhere.py")))
    assert not known.contains(replace(first, value_sha1="0" * 40))


def _repo_with_credentials(root: Path) -> tuple[Path, str, str]:
    repo = init_repo(root / "repo")
    key, secret = fake_key_id("123456789012", seed="bl"), fake_secret("bl")
    (repo / "app").mkdir()
    (repo / "app" / "settings.py").write_text(
        f'import boto3\nAWS_ACCESS_KEY_ID = "{key}"\naws_secret_access_key = "{secret}"\n'
        'DB_PASSWORD = "correct-horse-battery-staple-42"\n',
        encoding="utf-8",
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "settings")
    return repo, key, secret


def _detect_secrets(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("detect-secrets")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "detect_secrets"]
    return subprocess.run([*command, *args], cwd=repo, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def ds_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, dict[str, Any]]:
    repo, key, secret = _repo_with_credentials(tmp_path_factory.mktemp("ds"))
    proc = _detect_secrets(repo, "scan")
    assert proc.returncode == 0, proc.stderr
    return repo, key, secret, json.loads(proc.stdout)


def _findings_for(key: str, secret: str) -> ScanResult:
    return ScanResult(
        root=".",
        findings=(
            key_finding(key, "app/settings.py", 2, 22, WT),
            secret_finding(secret, key, "app/settings.py", 3, 26, WT),
        ),
    )


def test_reads_a_real_detect_secrets_baseline(ds_repo: Any, tmp_path: Path) -> None:
    _repo, key, secret, document = ds_repo
    path = tmp_path / ".secrets.baseline"
    path.write_text(json.dumps(document), encoding="utf-8")
    known = load_baseline(path)
    assert known.version == document["version"]
    assert {e.type for e in known.entries} >= {AWS_TYPE, "Secret Keyword"}
    for finding in _findings_for(key, secret).findings:
        assert known.contains(finding)
    other = key_finding(fake_key_id("123456789012", seed="new"), "app/settings.py", 2, 22, WT)
    assert not known.contains(other)


def test_merge_keeps_other_plugins_and_labels(ds_repo: Any, ds_settings: None) -> None:
    _repo, key, secret, existing = ds_repo
    existing = json.loads(json.dumps(existing))
    for item in existing["results"]["app/settings.py"]:
        if item["type"] == AWS_TYPE and item["hashed_secret"] == sha1_hex(secret):
            item["is_secret"] = True  # an audit label detect-secrets users set
    new_key = fake_key_id("123456789012", seed="merged")
    result = _findings_for(key, secret)
    result = replace(result, findings=(*result.findings, key_finding(new_key, "app/extra.py", 1, 7, WT)))
    merged = merge(existing, result, generated_at=FIXED)
    assert merged["plugins_used"] == existing["plugins_used"]
    assert merged["filters_used"] == existing["filters_used"]
    assert merged["version"] == existing["version"]
    assert merged["generated_at"] == FIXED
    others = [i for items in existing["results"].values() for i in items if i["type"] != AWS_TYPE]
    kept = [i for items in merged["results"].values() for i in items if i["type"] != AWS_TYPE]
    assert sorted(others, key=str) == sorted(kept, key=str)
    labelled = [i for i in merged["results"]["app/settings.py"] if i.get("is_secret") is True]
    assert [i["hashed_secret"] for i in labelled] == [sha1_hex(secret)]
    assert (("app/extra.py", sha1_hex(new_key), AWS_TYPE)) in _identities(merged)
    loaded = ds_baseline.load(merged, "")  # detect-secrets accepts the result
    assert {(f, s.secret_hash, s.type) for f, s in loaded} == _identities(merged)


def test_merge_prune_and_slim(ds_repo: Any) -> None:
    _repo, key, secret, existing = ds_repo
    slim = {k: v for k, v in existing.items() if k != "generated_at"}
    only_key = ScanResult(root=".", findings=(key_finding(key, "app/settings.py", 2, 22, WT),))
    kept = merge(slim, only_key)
    assert "generated_at" not in kept
    assert not any("line_number" in i for items in kept["results"].values() for i in items)
    assert ("app/settings.py", sha1_hex(secret), AWS_TYPE) in _identities(kept)  # not pruned by default
    pruned = merge(slim, only_key, prune=True)
    assert ("app/settings.py", sha1_hex(secret), AWS_TYPE) not in _identities(pruned)
    assert ("app/settings.py", sha1_hex(secret), "Secret Keyword") in _identities(pruned)  # other plugin


def test_merge_adds_the_aws_plugin_when_missing() -> None:
    existing = {
        "version": "1.4.0",
        "plugins_used": [{"name": "KeywordDetector"}],
        "filters_used": [],
        "results": {},
    }
    merged = merge(existing, ScanResult(root=".", findings=(key_finding(KEY_A, "a.py", 1, 1, WT),)))
    assert merged["plugins_used"] == [{"name": "AWSKeyDetector"}, {"name": "KeywordDetector"}]
    assert merged["filters_used"] == []


def test_merge_file(tmp_path: Path) -> None:
    path = tmp_path / ".secrets.baseline"
    result = ScanResult(root=".", findings=(secret_finding(SECRET_A, KEY_A, "a.py", 3, 1, WT),))
    fresh = merge_file(path, result, generated_at=FIXED)
    assert fresh == render(result, "baseline", generated_at=FIXED)
    path.write_text(fresh, encoding="utf-8")
    again = merge_file(path, result, generated_at=FIXED)
    assert again == fresh  # merging the same findings changes nothing


def test_merge_refuses_old_baselines() -> None:
    with pytest.raises(KeyshiftError, match=r"0\.14\.3"):
        merge({"version": "0.14.3", "results": {}}, sample_result())


BAD: list[tuple[str, str]] = [
    ('{"version": "2.0.0", "results": {}}', "version 2.0.0 is not supported"),
    ('{"version": "banana", "results": {}}', "invalid 'version'"),
    ('{"results": {}}', "missing or invalid 'version'"),
    ("[]", "expected a JSON object"),
    ('{"version": "1.5.0", "results": []}', "'results' must be an object"),
    ("{not json", "not valid JSON"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_baselines_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KeyshiftError, match=message.replace("(", r"\(")) as caught:
        load_baseline(path)
    assert str(path) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyshiftError, match="not found"):
        load_baseline(tmp_path / "nope.baseline")


def test_bad_entries_are_skipped_with_a_warning() -> None:
    known = parse_baseline(
        {
            "version": "1.5.0",
            "results": {
                "./a.py": [
                    {"hashed_secret": sha1_hex(KEY_A), "type": AWS_TYPE, "line_number": 2},
                    {"type": "x"},
                ],
                "b.py": "oops",
            },
        }
    )
    assert len(known) == 1
    assert len(known.warnings) == 2
    assert known.contains(key_finding(KEY_A, "a.py", 7, 1, WT))  # "./" is normalised


def test_baseline_built_directly() -> None:
    from keyshift.report.baseline import Baseline, BaselineEntry

    known = Baseline("1.5.0", (BaselineEntry("a.py", sha1_hex(KEY_A), AWS_TYPE),))
    assert known.contains(key_finding(KEY_A, "a.py", 3, 1, WT))
    assert not known.contains(key_finding(KEY_A, "b.py", 3, 1, WT))
