"""The published pre-commit hooks, run by pre-commit itself (``pre-commit try-repo``) on a temp repository.

try-repo installs hooks from a git repository, so the hook repository is a throwaway git copy
of this working tree (uncommitted changes included): the manifest, pyproject.toml and src/.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from history_helpers import Repo

from keyshift.fakes import fake_key_id, fake_secret

PROJECT = Path(__file__).resolve().parents[2]
MANIFEST = PROJECT / ".pre-commit-hooks.yaml"
K1, S1 = fake_key_id("111122223333", seed="pc1"), fake_secret("pc1")

pytestmark = pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed")


def _hooks() -> dict[str, dict[str, object]]:
    return {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text())}


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("hookrepo")
    shutil.copy2(MANIFEST, copy / MANIFEST.name)
    shutil.copy2(PROJECT / "pyproject.toml", copy / "pyproject.toml")
    shutil.copytree(PROJECT / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for extra in ("README.md", "LICENSE"):
        if (PROJECT / extra).exists():
            shutil.copy2(PROJECT / extra, copy / extra)
    git = ["git", "-C", str(copy), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "snapshot"], check=True)
    return copy


def _try_repo(hook_repo: Path, target: Path, hook: str, home: Path) -> subprocess.CompletedProcess[str]:
    bindir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        # the hook's virtualenv sees this interpreter's packages, so pip installs keyshift itself
        # and finds its dependencies already satisfied (no download, seconds instead of a minute)
        "VIRTUALENV_SYSTEM_SITE_PACKAGES": "true",
    }
    return subprocess.run(
        ["pre-commit", "try-repo", str(hook_repo), hook, "--verbose", "--color", "never"],
        cwd=target,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=180,
    )


def test_manifest_is_valid_for_pre_commit() -> None:
    proc = subprocess.run(
        ["pre-commit", "validate-manifest", str(MANIFEST)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("hook_id", "entry", "language", "stages"),
    [
        ("keyshift", "keyshift scan --staged", "python", ["pre-commit", "pre-merge-commit", "manual"]),
        ("keyshift-system", "keyshift scan --staged", "system", ["pre-commit", "pre-merge-commit", "manual"]),
        ("keyshift-history", "keyshift scan --history", "python", ["manual"]),
        ("keyshift-fix", "keyshift fix --write", "python", ["manual"]),
    ],
)
def test_hook_table(hook_id: str, entry: str, language: str, stages: list[str]) -> None:
    hook = _hooks()[hook_id]
    assert (hook["entry"], hook["language"], hook["stages"]) == (entry, language, stages)
    if hook_id != "keyshift-fix":
        assert hook["pass_filenames"] is False


def _target(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "target")
    repo.write("README.md", "service\n")
    repo.commit("init")
    return repo


def test_system_hook_blocks_a_staged_key_and_passes_clean_changes(hook_repo: Path, tmp_path: Path) -> None:
    repo = _target(tmp_path)
    repo.write("notes.md", "nothing secret\n")
    repo.git("add", "notes.md")
    clean = _try_repo(hook_repo, repo.path, "keyshift-system", tmp_path / "home")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout

    repo.write("deploy/.env", f"AWS_ACCESS_KEY_ID={K1}\nAWS_SECRET_ACCESS_KEY={S1}\n")
    repo.write("unstaged.txt", "left alone\n")
    repo.git("add", "deploy/.env")
    bad = _try_repo(hook_repo, repo.path, "keyshift-system", tmp_path / "home")
    out = bad.stdout + bad.stderr
    assert bad.returncode == 1, out
    assert "Failed" in out
    assert "deploy/.env" in out and K1 in out
    assert S1 not in out
    # what pre-commit shows says the findings are staged and how to fix or allow them
    assert re.search(r"deploy/\.env:1:\d+ +key ID \S+ +KS001 +staged", out), out
    assert "keyshift fix --write" in out and "keyshift: allow" in out and "allowlist" in out


@pytest.mark.slow
def test_python_hook_installs_keyshift_and_blocks_a_staged_key(hook_repo: Path, tmp_path: Path) -> None:
    """The hook users get by default: pre-commit builds a virtualenv and pip-installs keyshift into it."""
    repo = _target(tmp_path)
    repo.write("app/settings.py", f'AWS_ACCESS_KEY_ID = "{K1}"\n')
    repo.git("add", "app/settings.py")
    proc = _try_repo(hook_repo, repo.path, "keyshift", tmp_path / "home")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "hook id: keyshift" in out
    assert "app/settings.py" in out and K1 in out


def test_installed_hook_refuses_real_commits_including_partial_ones(hook_repo: Path, tmp_path: Path) -> None:
    """`pre-commit install`, then plain `git commit`: the hook sees git's temporary index too."""
    repo = _target(tmp_path)
    rev = subprocess.run(
        ["git", "-C", str(hook_repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    config = f"repos:\n- repo: {hook_repo}\n  rev: {rev}\n  hooks:\n  - id: keyshift-system\n"
    repo.write(".pre-commit-config.yaml", config)
    repo.commit("add pre-commit config")
    env = {
        **repo.env(),
        "PRE_COMMIT_HOME": str(tmp_path / "home"),
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    }
    subprocess.run(["pre-commit", "install"], cwd=repo.path, env=env, check=True, capture_output=True)

    def commit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "commit", "-m", "change", *args], cwd=repo.path, env=env, capture_output=True, text=True
        )

    repo.write("settings.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    repo.git("add", "settings.env")
    refused = commit()
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert K1 in refused.stdout + refused.stderr
    assert S1 not in refused.stdout + refused.stderr
    repo.git("reset", "-q", "settings.env")

    repo.write("README.md", "service, documented\n")
    repo.git("add", "README.md")
    assert commit().returncode == 0
    # a partial commit (`git commit PATH`) runs the hook against git's temporary index
    repo.write("README.md", f"service\nkey: {K1}\n")
    partial = commit("README.md")
    assert partial.returncode != 0, partial.stdout + partial.stderr
    assert "README.md" in partial.stdout + partial.stderr
