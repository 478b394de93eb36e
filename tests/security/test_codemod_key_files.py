"""``keyshift fix`` looks into the key files a module opens (to re-derive open items); paths come
from untrusted code, so it must never read outside the tree, through a symlink, a FIFO or an
oversized file, and never print what a key file holds."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

KEY = fake_key_id("123456789012", seed="security-keyfile")
SECRET = fake_secret("security-keyfile")
runner = CliRunner()


def _fix(target: Path) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["fix", str(target), "--json", "-q"])
    return result.exit_code, json.loads(result.output)


def _app(tmp: Path, path: str) -> Path:
    tree = tmp / "tree"
    tree.mkdir(exist_ok=True)
    (tree / "app.py").write_text(
        f'import boto3\nimport yaml\nCONFIG = yaml.safe_load(open("{path}"))\ns3 = boto3.client("s3")\n'
    )
    return tree


@pytest.mark.parametrize(
    "path", ["../outside/config.yml", "/etc/keyshift-config.yml", "sub/../../outside/config.yml"]
)
def test_paths_outside_the_tree_are_not_read(tmp_path: Path, path: str) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "config.yml").write_text(f"aws_access_key_id: {KEY}\n")
    code, doc = _fix(_app(tmp_path, path))
    assert code == 0 and doc["files"] == []


def test_symlinked_key_file_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "config.yml").write_text(f"aws_access_key_id: {KEY}\n")
    tree = _app(tmp_path, "config.yml")
    (tree / "config.yml").symlink_to(tmp_path / "outside" / "config.yml")
    code, doc = _fix(tree / "app.py")
    assert code == 0 and doc["files"] == []


def test_fifo_key_file_does_not_hang(tmp_path: Path) -> None:
    tree = _app(tmp_path, "config.yml")
    os.mkfifo(tree / "config.yml")
    code, _ = _fix(tree / "app.py")
    assert code == 0


def test_key_file_contents_never_printed(tmp_path: Path) -> None:
    tree = _app(tmp_path, "config.yml")
    (tree / "config.yml").write_text(f"aws:\n  access_key: {KEY}\n  secret_key: {SECRET}\n")
    result = runner.invoke(app, ["fix", str(tree)])
    assert result.exit_code == 1
    assert "config.yml" in result.output
    assert SECRET not in result.output and KEY not in result.output
