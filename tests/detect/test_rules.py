"""Every rule's own true- and false-positive samples."""

from __future__ import annotations

import pytest

from keyshift.detect import detect_bytes
from keyshift.detect.rules import RULES, all_rules

POSITIVES = [(r.id, path, text) for r in RULES for path, text in r.positives]
NEGATIVES = [(r.id, path, text) for r in RULES for path, text in r.negatives]


def _fill(text: str, creds: dict[str, str]) -> str:
    return text.format(key=creds["key"], secret=creds["secret"], token=creds["token"])


@pytest.mark.parametrize(("rule_id", "path", "text"), POSITIVES)
def test_positive_sample(rule_id: str, path: str, text: str, creds: dict[str, str]) -> None:
    found = [f for f in detect_bytes(_fill(text, creds).encode(), path) if not f.suppressed]
    assert rule_id in {f.rule_id for f in found}


@pytest.mark.parametrize(("rule_id", "path", "text"), NEGATIVES)
def test_negative_sample(rule_id: str, path: str, text: str, creds: dict[str, str]) -> None:
    found = [f for f in detect_bytes(_fill(text, creds).encode(), path) if not f.suppressed]
    assert rule_id not in {f.rule_id for f in found}


def test_rule_ids_unique_and_stable() -> None:
    ids = [r.id for r in all_rules()]
    assert len(ids) == len(set(ids))
    assert ids[:4] == ["KS001", "KS002", "KS003", "KS101"]
