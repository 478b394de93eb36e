"""Property tests: any findings render in every format, the JSON and SARIF stay valid, no secret leaks."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.detect.account import account_id
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.model import (
    CredentialKind,
    Finding,
    HistoryInfo,
    ImageInfo,
    Location,
    ScanResult,
    Skipped,
    SourceKind,
)
from keyshift.redact import sha1_hex
from keyshift.report import render
from keyshift.report.baseline import parse_baseline
from keyshift.report.json import schema

SECRETS = tuple(fake_secret(f"prop-{i}") for i in range(4))
KEYS = tuple(fake_key_id("123456789012", seed=f"prop-{i}") for i in range(4))


@cache
def _validators() -> tuple[jsonschema.Draft202012Validator, jsonschema.Draft4Validator]:
    sarif = json.loads(Path(__file__).with_name("sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema()), jsonschema.Draft4Validator(sarif)


paths = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30
)
commits = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
free_text = st.one_of(st.none(), st.text(max_size=40), st.sampled_from(SECRETS).map(lambda s: f"value={s}"))


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    kind = draw(st.sampled_from(list(CredentialKind)))
    source = draw(st.sampled_from(list(SourceKind)))
    key = draw(st.one_of(st.none(), st.sampled_from(KEYS)))
    if kind is CredentialKind.ACCESS_KEY_ID:
        key = key or KEYS[0]
        value = key
    else:
        value = draw(st.sampled_from(SECRETS))
    commit = draw(commits) if source is SourceKind.HISTORY else None
    history = None
    if source is SourceKind.HISTORY and draw(st.booleans()):
        history = HistoryInfo(
            commit or "", draw(st.text(max_size=20)), "2024-01-02T03:04:05+00:00",
            draw(st.integers(0, 9)), draw(st.integers(0, 9)), draw(st.booleans()),
        )  # fmt: skip
    image = None
    if source is SourceKind.IMAGE:
        image = ImageInfo(
            ref=draw(st.text(min_size=1, max_size=20)),
            layer_index=draw(st.one_of(st.none(), st.integers(0, 50))),
            layer_digest=draw(st.one_of(st.none(), st.just("sha256:" + "a" * 64))),
            deleted=draw(st.booleans()),
            deleted_by_layer=draw(st.one_of(st.none(), st.integers(0, 50))),
            field=draw(st.sampled_from([None, "env", "label", "history"])),
            env_index=draw(st.one_of(st.none(), st.integers(0, 50))),
        )
    return Finding(
        rule_id=draw(st.sampled_from(["KS001", "KS002", "KS003", "KS101", "KS102", "KS103", "KS777"])),
        kind=kind,
        key_id=key,
        secret_sha1=None if kind is CredentialKind.ACCESS_KEY_ID else sha1_hex(value),
        account_id=account_id(key) if key else None,
        value_sha1=sha1_hex(value),
        location=Location(
            draw(paths), draw(st.integers(1, 10**6)), draw(st.one_of(st.none(), st.integers(1, 500))), commit
        ),
        source=source,
        carrier=draw(st.sampled_from(["text", "python", "env"])),
        context_name=draw(st.one_of(st.none(), st.text(max_size=20))),
        note=draw(free_text),
        suppressed=draw(st.sampled_from([None, None, "inline-allow", "baseline", "example-key"])),
        history=history,
        image=image,
    )


results = st.builds(
    ScanResult,
    root=st.text(max_size=20),
    findings=st.lists(findings(), max_size=8).map(tuple),
    suppressed=st.lists(findings(), max_size=3).map(tuple),
    skipped=st.lists(st.builds(Skipped, paths, st.text(min_size=1, max_size=15)), max_size=3).map(tuple),
    files_scanned=st.integers(0, 10**6),
    bytes_scanned=st.integers(0, 10**9),
    errors=st.lists(free_text.filter(lambda t: t is not None), max_size=2).map(tuple),
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results, st.booleans(), st.booleans())
def test_every_format_renders_valid_output(result: ScanResult, redact: bool, show: bool) -> None:
    json_validator, sarif_validator = _validators()
    outputs = {
        fmt: render(result, fmt, redact_key_ids=redact, show_suppressed=show, sarif_history=True)
        for fmt in ("text", "json", "sarif", "baseline")
    }
    for fmt, text in outputs.items():
        assert text.endswith("\n"), fmt
        for secret in SECRETS:
            assert secret not in text, fmt
        if redact and fmt != "baseline":
            for key in KEYS:
                assert key not in text, fmt
    document = json.loads(outputs["json"])
    json_validator.validate(document)
    assert document["summary"]["findings"] == len(document["findings"])
    sarif = json.loads(outputs["sarif"])
    errors = list(sarif_validator.iter_errors(sarif))
    assert not errors, errors[0].message
    baseline = parse_baseline(json.loads(outputs["baseline"]))
    assert not baseline.warnings
