"""The README's and docs/ci.md's snippets work as pasted once ``<owner>`` is filled in.

Every YAML block parses; the workflow has its trigger; the Action inputs and hook ids it names
exist; every pin is the current release tag; and ``<owner>`` is the only placeholder left.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from keyshift import __version__

PROJECT = Path(__file__).resolve().parents[2]
DOCS = [PROJECT / "README.md", PROJECT / "docs" / "ci.md", PROJECT / "docs" / "install.md"]
TAG = f"v{__version__}"


def _blocks(path: Path, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def _yaml_docs() -> list[tuple[str, object]]:
    return [(p.name, yaml.safe_load(b)) for p in DOCS for b in _blocks(p, "yaml")]


def test_the_tag_is_the_package_version() -> None:
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["version"] == __version__
    assert re.fullmatch(r"v0\.\d+\.\d+", TAG)
    assert "v0.MINOR.PATCH" in (PROJECT / "CHANGELOG.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_one_placeholder_and_every_pin_is_the_release_tag(doc: Path) -> None:
    text = "".join(re.findall(r"```\w*\n(.*?)```", doc.read_text(encoding="utf-8"), re.S))  # the snippets
    placeholders = set(re.findall(r"<[a-z][a-z ]*>", text)) - {"<owner>"}
    assert not placeholders, placeholders
    for pin in re.findall(r"<owner>/keyshift@(\S+?)[\"\s]", text):
        assert pin == TAG


def test_workflow_snippets_have_a_trigger_and_use_real_inputs() -> None:
    action = yaml.safe_load((PROJECT / "action.yml").read_text(encoding="utf-8"))
    workflows = [d for _, d in _yaml_docs() if isinstance(d, dict) and "jobs" in d]
    assert workflows
    for workflow in workflows:
        assert True in workflow or "on" in workflow  # YAML 1.1 reads a bare `on:` key as True
        steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
        ours = [s for s in steps if str(s.get("uses", "")).startswith("<owner>/keyshift@")]
        assert len(ours) == 1
        assert set(ours[0].get("with", {})) <= set(action["inputs"])


def test_pre_commit_snippets_name_published_hooks() -> None:
    hooks = {
        h["id"] for h in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    }
    configs = [d for _, d in _yaml_docs() if isinstance(d, dict) and "repos" in d]
    assert configs
    for config in configs:
        for repo in config["repos"]:
            assert repo["repo"] == "https://github.com/<owner>/keyshift"
            assert repo["rev"] == TAG
            assert {h["id"] for h in repo["hooks"]} <= hooks
