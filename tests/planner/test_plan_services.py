"""The planner on small services with known IAM needs (``benchmarks/plan_services/``).

Each service is planned through the CLI (in process) and scored by the benchmark's own scorer:
every required (action, resource) pair granted, precision >= 0.95 and specificity >= 0.9, no
forbidden grant, one role per workload replacing the keys it should, nothing undeployable.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

from .plan_helpers import REPO


def _scorer() -> ModuleType:
    path = REPO / "benchmarks" / "plan_services.py"
    spec = importlib.util.spec_from_file_location("plan_services_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


bench = _scorer()


def run_in_process(root: Path) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(app, ["plan", str(root), "--format", "json", "--exit-zero"])
    assert result.exit_code == 0, result.output
    data: dict = json.loads(result.stdout)  # type: ignore[type-arg]
    return data


def test_there_are_enough_services() -> None:
    assert len(bench.services()) >= 25


@pytest.mark.parametrize("service", bench.services(), ids=lambda p: p.name)
def test_service(service: Path) -> None:
    score = bench.score_service(service, run_in_process)
    assert score.missed == [], score.missed
    assert score.forbidden == [], score.forbidden
    assert score.errors == [], score.errors
    assert score.precision >= bench.TARGETS["precision"], score.extra
    assert score.specificity >= bench.TARGETS["specificity"], score.extra


ROLE = {"directory": "", "name": "x-task-role", "credentials": [{"key_id": bench.key_id("111122223333:x")}]}
EXPECTED = {
    "directory": ".",
    "keys": ["111122223333:x"],
    "required": [["s3:GetObject", "arn:aws:s3:::b/in/*"], ["cloudwatch:PutMetricData", "*"]],
    "allowed": [["s3:ListBucket", "arn:aws:s3:::b"]],
    "forbidden": ["s3:Delete*"],
}


def _role(*pairs: tuple[str, str]) -> dict:  # type: ignore[type-arg]
    permissions = [{"action": a, "resources": [r]} for a, r in pairs]
    return {**ROLE, "permissions": permissions}


# (what the plan grants, recall, precision, specificity, forbidden, errors)
SCORER_CASES = [
    ((("s3:GetObject", "arn:aws:s3:::b/in/*"), ("cloudwatch:PutMetricData", "*")), 1.0, 1.0, 1.0, 0, 0),
    ((("s3:GetObject", "arn:aws:s3:::b/in/a.csv"), ("cloudwatch:PutMetricData", "*")), 0.5, 1.0, 1.0, 0, 0),
    ((("s3:GetObject", "*"), ("cloudwatch:PutMetricData", "*")), 1.0, 0.5, 0.5, 0, 0),
    ((("s3:GetObject", "arn:aws:s3:::b/*"), ("s3:ListBucket", "arn:aws:s3:::b")), 0.5, 0.5, 0.5, 0, 0),
    ((("s3:DeleteObject", "arn:aws:s3:::b/in/*"),), 0.0, 0.0, 1.0, 1, 0),
    ((("s3:*", "arn:aws:s3:::b/in/*"),), 0.0, 0.0, 1.0, 1, 1),
    ((("s3:PutObject", "arn:aws:s3:::<BUCKET>/in/*"),), 0.0, 0.0, 1.0, 0, 1),
    ((), 0.0, 1.0, 1.0, 0, 1),
]


@pytest.mark.parametrize(
    ("granted", "recall", "precision", "specificity", "forbidden", "errors"), SCORER_CASES
)
def test_scorer(
    granted: tuple[tuple[str, str], ...],
    recall: float,
    precision: float,
    specificity: float,
    forbidden: int,
    errors: int,
) -> None:
    score = bench.score_role("case", EXPECTED, _role(*granted))
    assert (score.recall, score.precision, score.specificity) == (recall, precision, specificity)
    assert (len(score.forbidden), len(score.errors)) == (forbidden, errors)
    assert score.passes() == (precision >= 0.95 and specificity >= 0.9 and not forbidden and not errors)


def test_scorer_counts_a_missing_and_an_unexpected_role() -> None:
    assert bench.score_role("case", EXPECTED, None).errors == ["no role for ."]
    other = bench.score_role("case", {**EXPECTED, "keys": ["111122223333:y"]}, _role(("s3:GetObject", "*")))
    assert any("does not replace key" in e for e in other.errors)
