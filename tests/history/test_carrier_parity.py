"""Same detectors, same results: every carrier committed and then deleted is reported from history
exactly as the detectors report the file itself (kinds, lines, rules, carriers), at its commit.

The carrier table is the detector tests' own (``tests/detect/test_carriers.py``), so a carrier added
there is checked here too; a few multi-line carriers are added below.
"""

from __future__ import annotations

import base64
import importlib.util
from pathlib import Path
from typing import Any

from history_helpers import Repo, scan

from keyshift.detect import detect_bytes
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token

KEY, SECRET, TOKEN = fake_key_id("123456789012", seed="par"), fake_secret("par"), fake_session_token("par")


def _detector_cases() -> list[tuple[str, str, str]]:
    source = Path(__file__).resolve().parents[1] / "detect" / "test_carriers.py"
    spec = importlib.util.spec_from_file_location("_carrier_table", source)
    module: Any = None
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    creds = {"key": KEY, "secret": SECRET, "token": TOKEN}
    cases = []
    for case in getattr(module, "CASES", []):
        name, path, template = case[0], case[1], case[2]
        cases.append((name, path, module._render(template, creds)))
    return cases


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


EXTRA = [
    ("twice", "conf/app.ini", f"[a]\naws_access_key_id = {KEY}\n[b]\naws_access_key_id = {KEY}\n"),
    ("k8s-secret", "k8s/secret.yaml", f"kind: Secret\ndata:\n  AWS_ACCESS_KEY_ID: {_b64(KEY)}\n"),
    ("js-split", "src/aws.js", f'const k = "{KEY[:10]}" +\n  "{KEY[10:]}";\n'),
    (
        "dockerfile-continued",
        "Dockerfile",
        f"FROM alpine\nRUN aws configure set aws_access_key_id {KEY} && \\\n"
        f"    aws configure set aws_secret_access_key {SECRET[:20]}\\\n{SECRET[20:]}\n",
    ),
    (
        "terraform",
        "variables.tf",
        f'variable "aws_access_key" {{ default = "{KEY}" }}\n'
        f'variable "aws_secret_key" {{\n  default = "{SECRET}"\n}}\n',
    ),
]


def _shape(findings: Any) -> set[tuple[str, str, int, str]]:
    return {(f.rule_id, f.kind.value, f.line, f.carrier) for f in findings if f.suppressed is None}


def test_every_carrier_from_history(repo: Repo) -> None:
    cases = _detector_cases() + EXTRA
    assert len(cases) >= 10
    repo.write("README.md", "carriers\n")
    repo.commit("init")
    expected: dict[str, tuple[str, set[tuple[str, str, int, str]]]] = {}
    for name, path, text in cases:
        want = _shape(detect_bytes(text.encode(), path))
        if not want:
            continue
        path = f"{name}/{path}"  # one directory per case: same credentials, distinct paths
        repo.write(path, text)
        expected[path] = (repo.commit(f"add {name}"), want)
    for path in expected:
        (repo.path / path).unlink()
    repo.commit("remove every carrier")
    result = scan(repo.path)
    got: dict[str, tuple[set[str | None], set[tuple[str, str, int, str]]]] = {}
    for f in result.findings:
        commits, shapes = got.setdefault(f.path, (set(), set()))
        commits.add(f.location.commit)
        shapes |= _shape([f])
    assert set(got) == set(expected)
    for path, (commit, want) in expected.items():
        assert got[path] == ({commit}, want), path
