"""Kubernetes manifests' container environment (``keyshift.planner.k8senv``): the parser takes
any text without raising, in linear time, and matches a manifest to the workload it names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.security.linear import assert_linear

from keyshift.planner import k8senv

HEAD = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n"


def _write(tmp: Path, text: str) -> list[Path]:
    path = tmp / "deploy.yaml"
    path.write_text(text)
    return [path]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="kind:Deployment apiVersion{}-\n[]'\"&*!|>#name:value", max_size=400))
def test_any_text_is_read_without_raising(tmp_path: Path, text: str) -> None:
    for manifest in k8senv.manifests(tmp_path, _write(tmp_path, "apiVersion: v1\nkind: Deployment\n" + text)):
        assert all(isinstance(name, str) for name, _, _ in manifest.env)


def test_env_lines_and_words(tmp_path: Path) -> None:
    text = HEAD.format(name="worker-{{ENV}}") + (
        "        - name: worker\n          image: registry.example/team/video-worker:1.2\n          env:\n"
        "            - name: QUEUE\n              value: jobs\n"
        "            - name: TOKEN\n              valueFrom:\n                secretKeyRef: {name: s, key: k}\n"
    )
    (found,) = k8senv.manifests(tmp_path, _write(tmp_path, text))
    assert found.env == [("QUEUE", "jobs", 12)]  # a secret reference is no literal value
    assert found.words == {"worker", "video"}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({"a": "worker", "b": "bot"}, "a"),
        ({"a": "video-worker", "b": "bot"}, "a"),
        ({"a": "api"}, "a"),  # the only workload
        ({"a": "api", "b": "bot"}, None),  # none named: left to the unresolved item
        ({"a": "worker", "b": "video"}, None),  # two named: ambiguous
    ],
)
def test_owner(names: dict[str, str], expected: str | None) -> None:
    manifest = k8senv.Manifest("deploy.yaml", {"worker", "video"}, [("X", "1", 1)])
    assert k8senv.owner(manifest, names) == expected


def test_many_env_entries_are_linear(tmp_path: Path) -> None:
    def make(n: int) -> Callable[[], object]:
        folder = tmp_path / str(n)
        folder.mkdir()
        entries = "".join(f"            - name: VAR_{i}\n              value: v{i}\n" for i in range(n))
        files = _write(folder, HEAD.format(name="api") + "        - name: api\n          env:\n" + entries)
        return lambda: k8senv.manifests(folder, files)

    assert_linear(make, 1_500)
