"""The composite GitHub Action: its structure, and its shell steps run locally against real repositories.

The runner is emulated just enough: ``${{ inputs.* }}`` and ``${{ github.* }}`` in ``env:`` are
filled in from a dict, ``GITHUB_OUTPUT`` is a temp file, and each ``run:`` goes to ``bash -e``
as the runner does. The install step runs against a stand-in ``python3`` that records its arguments
(this environment has keyshift installed already); the scan step runs the real keyshift.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from history_helpers import Repo

from keyshift.fakes import fake_key_id, fake_secret

ACTION = Path(__file__).resolve().parents[2] / "action.yml"
K1, S1 = fake_key_id("111122223333", seed="gh1"), fake_secret("gh1")
_EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _action() -> dict[str, Any]:
    data = yaml.safe_load(ACTION.read_text())
    assert isinstance(data, dict)
    return data


def _inputs(**given: str) -> dict[str, str]:
    values = {name: str(spec.get("default", "")) for name, spec in _action()["inputs"].items()}
    for key, value in given.items():
        name = key.replace("_", "-")
        assert name in values, name
        values[name] = value
    return values


def _evaluate(template: str, inputs: dict[str, str], github: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr.startswith("inputs."):
            return inputs[expr.removeprefix("inputs.")]
        if expr.startswith("github."):
            return github.get(expr.removeprefix("github."), "")
        raise AssertionError(f"unexpected expression in env: {expr}")

    return _EXPR.sub(one, template)


def _run_step(
    step: dict[str, Any], inputs: dict[str, str], github: dict[str, str], cwd: Path, path_prefix: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    output = cwd.parent / f"github_output_{step.get('id', 'step')}"
    output.write_text("")
    env = {
        **os.environ,
        "PATH": path_prefix + os.pathsep + os.environ.get("PATH", ""),
        "GITHUB_OUTPUT": str(output),
        **{k: _evaluate(str(v), inputs, github) for k, v in step.get("env", {}).items()},
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return proc, outputs


def _steps() -> list[dict[str, Any]]:
    steps = _action()["runs"]["steps"]
    assert isinstance(steps, list)
    return steps


def _step(name: str) -> dict[str, Any]:
    return next(step for step in _steps() if name in step.get("name", ""))


def test_structure() -> None:
    action = _action()
    assert {"name", "description", "runs", "inputs", "outputs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    setup, install, scan, upload = _steps()
    assert setup["uses"].startswith("actions/setup-python@")
    version = action["inputs"]["python-version"]["default"]
    assert tuple(int(p) for p in version.split(".")[:2]) >= (3, 11)
    for step in (install, scan):
        assert step["shell"] == "bash"
        # inputs reach the scripts through env:, never spliced into the script text
        assert "${{" not in step["run"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "always()" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert action["outputs"]["exit-code"]["value"] == "${{ steps.scan.outputs.exit-code }}"
    assert scan["id"] == "scan"
    assert "version" not in action["inputs"]  # nothing is installed from a package index


def test_install_step_installs_the_actions_own_checkout(tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    log = tmp_path / "pip-args"
    (shim / "python").write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\n')
    (shim / "python").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    action_path = tmp_path / "actions" / "keyshift@v1"
    proc, _ = _run_step(_step("Install"), _inputs(), {"action_path": str(action_path)}, work, str(shim))
    assert proc.returncode == 0, proc.stderr
    assert log.read_text().split() == [
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
        "--",
        str(action_path),
    ]


def _leaky_repo(tmp_path: Path) -> tuple[Repo, str]:
    repo = Repo(tmp_path / "checkout")
    repo.write("README.md", "service\n")
    repo.commit("init")
    repo.write("app/settings.py", f'AWS_ACCESS_KEY_ID = "{K1}"\nAWS_SECRET_ACCESS_KEY = "{S1}"\n')
    leaked = repo.commit("leak")
    repo.write("app/settings.py", "import os\n")
    repo.commit("scrub")
    return repo, leaked


def _scan(repo: Repo, inputs: dict[str, str], github: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return _run_step(_step("Scan"), inputs, github or {}, repo.path, str(Path(sys.executable).parent))


def test_scan_step_on_push_writes_sarif_and_fails(tmp_path: Path) -> None:
    repo, leaked = _leaky_repo(tmp_path)
    proc, outputs = _scan(repo, _inputs())
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert outputs == {"exit-code": "1", "sarif-file": "keyshift.sarif"}
    assert "::error title=keyshift::" in proc.stdout
    sarif = json.loads((repo.path / "keyshift.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    text = json.dumps(sarif)
    assert leaked in text and K1 in text
    assert S1 not in text + proc.stdout + proc.stderr


def test_scan_step_can_report_without_failing(tmp_path: Path) -> None:
    repo, _ = _leaky_repo(tmp_path)
    proc, outputs = _scan(repo, _inputs(fail_on_findings="false", sarif_file="out/ks.sarif"))
    assert proc.returncode == 0, proc.stderr
    assert outputs["exit-code"] == "1"
    assert (repo.path / "out/ks.sarif").is_file()


def test_pull_request_scans_only_new_commits(tmp_path: Path) -> None:
    repo, _ = _leaky_repo(tmp_path)
    base = repo.head()
    repo.write("docs.md", "new docs\n")
    repo.commit("pr commit")
    proc, outputs = _scan(repo, _inputs(), {"event.pull_request.base.sha": base})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert outputs["exit-code"] == "0"
    repo.write("ci.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    repo.commit("pr adds a key")
    proc, outputs = _scan(repo, _inputs(), {"event.pull_request.base.sha": base})
    assert outputs["exit-code"] == "1"


def test_pull_request_ignores_other_fetched_branches(tmp_path: Path) -> None:
    repo, _ = _leaky_repo(tmp_path)
    base = repo.head()
    repo.git("checkout", "-q", "-b", "other-pr")
    repo.write("other.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    repo.commit("someone else's branch")
    repo.git("checkout", "-q", "main")
    repo.write("docs.md", "mine\n")
    repo.commit("my change")
    proc, outputs = _scan(repo, _inputs(), {"event.pull_request.base.sha": base})
    assert outputs["exit-code"] == "0", proc.stdout + proc.stderr


def test_extra_args_and_no_history(tmp_path: Path) -> None:
    repo, _ = _leaky_repo(tmp_path)
    proc, outputs = _scan(repo, _inputs(history="false", args="--exclude app/** --quiet"))
    assert outputs["exit-code"] == "0", proc.stdout + proc.stderr


def test_inputs_cannot_inject_shell(tmp_path: Path) -> None:
    repo, _ = _leaky_repo(tmp_path)
    marker = tmp_path / "pwned"
    proc, outputs = _scan(repo, _inputs(path=f"$(touch {marker})", args=f"; touch {marker}"))
    assert not marker.exists()
    assert outputs["exit-code"] == "2", proc.stdout + proc.stderr


def test_sarif_paths_are_repository_relative_for_a_subfolder(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "checkout")
    repo.write("README.md", "mono\n")
    repo.write("services/api/app/settings.py", f'AWS_ACCESS_KEY_ID = "{K1}"\n')
    repo.commit("api")
    proc, outputs = _scan(repo, _inputs(path="services/api", history="false"), {})
    assert outputs["exit-code"] == "1", proc.stdout + proc.stderr
    sarif = json.loads((repo.path / "keyshift.sarif").read_text())
    [run] = sarif["runs"]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert locations and all(loc["uri"] == "services/api/app/settings.py" for loc in locations)
    assert all(loc["uriBaseId"] == "%SRCROOT%" for loc in locations)
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")


def test_pull_request_cannot_exempt_itself(tmp_path: Path) -> None:
    """The PR adds a key and the allowlist entry for it: the gate reads the allowlist from BASE."""
    repo, _ = _leaky_repo(tmp_path)
    base = repo.head()
    repo.write("ci.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    repo.write("pyproject.toml", f'[tool.keyshift]\nallowlist = ["{K1}"]\nexclude = ["ci.env"]\n')
    repo.commit("pr adds a key and exempts it")
    for history in ("true", "false"):  # a pull request is always gated on its commits
        proc, outputs = _scan(repo, _inputs(history=history), {"event.pull_request.base.sha": base})
        assert outputs["exit-code"] == "1", proc.stdout + proc.stderr
        assert "policy change under review" in proc.stderr
    proc, outputs = _scan(repo, _inputs(fail_on_policy_change="true"), {"event.pull_request.base.sha": base})
    assert outputs["exit-code"] == "1"
