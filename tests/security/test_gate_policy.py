"""The gate cannot be configured by what it gates (issue 10, item 4).

Every case builds a real repository whose base commit holds the policy, then a change (a
pull-request commit or staged files) that adds a key *and* edits the policy to hide it: an
``exclude``, an ``allowlist`` entry, a tiny ``max-file-size``, a baseline entry, a config file
named by ``KEYSHIFT_CONFIG``. The gate must still fail, and say that the policy changed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

K, S = fake_key_id("111122223333", seed="gate"), fake_secret("gate")
OLD = fake_key_id("444455556666", seed="gate-old")
CLIENT = f'import boto3\nc = boto3.client("s3", aws_access_key_id="{K}", aws_secret_access_key="{S}")\n'
runner = CliRunner()


class _Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": str(self.path.parent),
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
        }
        proc = subprocess.run(["git", "-C", str(self.path), *args], capture_output=True, env=env, check=True)
        return proc.stdout.decode().strip()

    def write(self, rel: str, text: str) -> None:
        (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.path / rel).write_text(text)

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


def _baseline_with_key(tmp: Path) -> str:
    """A real keyshift baseline that knows K (made by scanning a tree that holds it)."""
    tree = tmp / "baseline-src"
    tree.mkdir()
    (tree / "app.py").write_text(CLIENT)
    result = runner.invoke(app, ["scan", str(tree), "-f", "baseline", "--slim", "-q", "--exit-zero"])
    assert result.exit_code == 0, result.output
    assert K in result.stdout or "hashed_secret" in result.stdout
    return result.stdout


def _base(tmp_path: Path, pyproject: str = "[project]\nname = 'svc'\n") -> tuple[_Repo, str]:
    repo = _Repo(tmp_path / "repo")
    repo.write("pyproject.toml", pyproject)
    repo.write(".secrets.baseline", json.dumps({"version": "1.5.0", "results": {}}))
    repo.write("README.md", "svc\n")
    return repo, repo.commit("base")


def _gate(repo: _Repo, base: str, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    args = ["scan", "--history", "--since", f"{base}..HEAD", str(repo.path), "-f", "json", *extra]
    result = runner.invoke(app, args, env=env)
    out = result.stdout + (result.stderr or "")
    assert S not in out
    return result.exit_code, out


TOOL = "\n[tool.keyshift]\n"
EVASIONS = {
    "exclude": TOOL + 'exclude = ["app.py"]\n',
    "allowlist": TOOL + f'allowlist = ["{K}"]\n',
    "max-file-size": TOOL + "max-file-size = 1\n",
    "exclude-everything": TOOL + 'exclude = ["**"]\nallowlist = ["' + K + '"]\n',
}


@pytest.mark.parametrize("evasion", sorted(EVASIONS))
def test_pr_adding_a_key_and_its_own_exemption_still_fails(tmp_path: Path, evasion: str) -> None:
    repo, base = _base(tmp_path)
    repo.write("app.py", CLIENT)
    repo.write("pyproject.toml", "[project]\nname = 'svc'\n" + EVASIONS[evasion])
    repo.commit("feature (and a quiet config change)")
    code, out = _gate(repo, base)
    assert code == 1, out
    assert K in out
    assert "policy change under review" in out and "pyproject.toml" in out


def test_pr_updating_the_baseline_still_fails(tmp_path: Path) -> None:
    repo, base = _base(tmp_path)
    repo.write("app.py", CLIENT)
    repo.write(".secrets.baseline", _baseline_with_key(tmp_path))
    repo.commit("feature and baseline")
    for extra in (["--baseline", str(repo.path / ".secrets.baseline")], []):
        if not extra:  # the baseline named by the PR's own settings
            repo.write("pyproject.toml", TOOL + 'baseline = ".secrets.baseline"\n')
            repo.commit("use the baseline")
        code, out = _gate(repo, base, *extra)
        assert code == 1, out
        assert "baseline .secrets.baseline" in out


def test_pr_adding_a_config_named_by_env_still_fails(tmp_path: Path) -> None:
    repo, base = _base(tmp_path)
    repo.write("app.py", CLIENT)
    repo.write("keyshift.toml", f'allowlist = ["{K}"]\n')
    repo.commit("feature with its own config file")
    code, out = _gate(repo, base, env={"KEYSHIFT_CONFIG": str(repo.path / "keyshift.toml")})
    assert code == 2, out  # named inside the repository: read at BASE, where it does not exist
    assert "does not exist at the base commit" in out


def test_base_policy_still_applies(tmp_path: Path) -> None:
    """The base's own allowlist keeps working: the gate reads policy, it does not drop it."""
    repo, base = _base(tmp_path, "[project]\nname = 'svc'\n" + TOOL + f'allowlist = ["{K}"]\n')
    repo.write("app.py", CLIENT.replace(f', aws_secret_access_key="{S}"', ""))
    repo.commit("use the allowlisted key")
    code, out = _gate(repo, base)
    assert code == 0, out
    assert "policy change" not in out


def test_callers_config_outside_the_repository_is_read_from_disk(tmp_path: Path) -> None:
    repo, base = _base(tmp_path)
    repo.write("app.py", CLIENT.replace(f', aws_secret_access_key="{S}"', ""))
    repo.commit("feature")
    ci = tmp_path / "ci-keyshift.toml"
    ci.write_text(f'allowlist = ["{K}"]\n')
    code, out = _gate(repo, base, "--config", str(ci))
    assert code == 0, out


def test_policy_only_change_is_reported_and_can_fail(tmp_path: Path) -> None:
    repo, base = _base(tmp_path)
    repo.write("pyproject.toml", "[project]\nname = 'svc'\n" + EVASIONS["exclude"])
    repo.commit("loosen the scanner")
    code, out = _gate(repo, base)
    assert code == 0, out
    assert "policy change under review" in out
    code, out = _gate(repo, base, "--fail-on-policy-change")
    assert code == 1, out


def test_unrelated_pyproject_edit_is_not_a_policy_change(tmp_path: Path) -> None:
    repo, base = _base(tmp_path, "[project]\nname = 'svc'\n" + TOOL + 'exclude = ["docs/**"]\n')
    repo.write("pyproject.toml", "[project]\nname = 'svc2'\n" + TOOL + 'exclude = ["docs/**"]\n')
    repo.commit("rename")
    code, out = _gate(repo, base, "--fail-on-policy-change")
    assert code == 0, out
    assert "policy change" not in out


@pytest.mark.parametrize("evasion", ["exclude", "allowlist"])
def test_precommit_gate_reads_policy_from_head(tmp_path: Path, evasion: str) -> None:
    repo, _ = _base(tmp_path)
    repo.write("app.py", CLIENT)
    repo.write("pyproject.toml", "[project]\nname = 'svc'\n" + EVASIONS[evasion])
    repo.git("add", "-A")
    result = runner.invoke(app, ["scan", "--staged", str(repo.path), "-f", "json"])
    out = result.stdout + (result.stderr or "")
    assert result.exit_code == 1, out
    assert K in out and "policy change under review" in out
