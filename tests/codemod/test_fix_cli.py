"""End-to-end tests of ``keyshift fix`` through the CLI (CliRunner and ``python -m keyshift``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.cli.subprocess_cli import libcst_codemod
from typer.testing import CliRunner

from keyshift.cli import app

from .helpers import KEY, SECRET, TOKEN

runner = CliRunner()

LITERAL_APP = f'''import boto3

AWS_KEY = "{KEY}"
AWS_SECRET = "{SECRET}"

s3 = boto3.client(
    "s3",
    aws_access_key_id=AWS_KEY,
    aws_secret_access_key=AWS_SECRET,
    aws_session_token="{TOKEN}",
    region_name="eu-west-1",
)
'''
LITERAL_APP_FIXED = """import boto3

s3 = boto3.client(
    "s3",
    region_name="eu-west-1",
)
"""
ENV_APP = """import os

import boto3

s3 = boto3.client(
    "s3",
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
)
"""
ENV_APP_FIXED = """import boto3

s3 = boto3.client(
    "s3",
)
"""
REPORT_ONLY_APP = """import boto3


def make(key):
    return boto3.client("s3", aws_access_key_id=key)
"""


def _tree(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "svc"
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode())
    return root


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["fix", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def test_dry_run_prints_redacted_diff_and_leaves_files(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"app/aws.py": LITERAL_APP})
    code, out = _invoke(str(root))
    assert code == 1
    assert (root / "app/aws.py").read_text() == LITERAL_APP
    assert "-    aws_access_key_id=AWS_KEY," in out
    assert f'-AWS_KEY = "{KEY}"' in out  # key IDs may be shown
    assert SECRET not in out and TOKEN not in out
    assert "<redacted sha1:" in out
    assert "would rewrite boto3.client()" in out
    assert "dry run; re-run with --write" in out


def test_write_applies_and_second_run_is_clean(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"app/aws.py": LITERAL_APP, "app/env.py": ENV_APP})
    code, out = _invoke(str(root), "--write")
    assert code == 1  # a literal key was removed: it still has to be revoked
    assert (root / "app/aws.py").read_text() == LITERAL_APP_FIXED
    assert (root / "app/env.py").read_text() == ENV_APP_FIXED
    assert f"revoke: access key {KEY}" in out
    assert SECRET not in out and TOKEN not in out
    code, out = _invoke(str(root), "--write")
    assert code == 0
    assert "0 file(s) changed" in out


def test_env_only_fix_exits_zero_after_write(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"env.py": ENV_APP})
    assert _invoke(str(root))[0] == 1  # dry run with pending changes
    code, out = _invoke(str(root), "--write")
    assert code == 0, out
    assert (root / "env.py").read_text() == ENV_APP_FIXED


def test_json_report(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"a.py": LITERAL_APP, "b.py": REPORT_ONLY_APP, "c.py": "print('no aws here')\n"})
    code, out = _invoke(str(root), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["version"] == 1 and doc["mode"] == "dry-run" and doc["exit_code"] == 1
    assert doc["summary"]["files_seen"] == 3
    assert doc["summary"]["files_parsed"] == 2
    assert doc["summary"]["sites_rewritten"] == 1
    assert doc["summary"]["sites_report_only"] == 1
    files = {f["path"].rsplit("/", 1)[-1]: f for f in doc["files"]}
    assert set(files) == {"a.py", "b.py"}
    a, b = files["a.py"], files["b.py"]
    assert a["status"] == "would-fix"
    assert a["sites"][0]["removed"] == ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"]
    assert a["sites"][0]["values"][0]["key_ids"] == [KEY]
    assert {c["name"] for c in a["removed_constants"]} == {"AWS_KEY", "AWS_SECRET"}
    assert b["status"] == "report-only"
    assert b["sites"][0]["line"] == 5
    assert "parameter 'key'" in b["sites"][0]["reason"]
    assert SECRET not in out and TOKEN not in out


def test_report_only_file_is_byte_identical_after_write(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"b.py": REPORT_ONLY_APP})
    before = (root / "b.py").stat().st_mtime_ns
    code, out = _invoke(str(root), "--write")
    assert code == 1
    assert (root / "b.py").read_text() == REPORT_ONLY_APP
    assert (root / "b.py").stat().st_mtime_ns == before
    assert "report-only boto3.client()" in out


def test_unparsable_file_is_reported_and_untouched(tmp_path: Path) -> None:
    broken = b"import boto3\nclient = boto3.client('s3', aws_access_key_id='x'\n"
    root = _tree(tmp_path, {"broken.py": broken})
    code, out = _invoke(str(root), "--write")
    assert code == 1
    assert (root / "broken.py").read_bytes() == broken
    assert "unparsable" in out


def test_crlf_file_stays_crlf(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"w.py": ENV_APP.replace("\n", "\r\n").encode()})
    _invoke(str(root), "--write")
    assert (root / "w.py").read_bytes() == ENV_APP_FIXED.replace("\n", "\r\n").encode()


def test_clean_tree_exits_zero(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"ok.py": "import boto3\ns3 = boto3.client('s3')\n", "x.py": "x = 1\n"})
    code, out = _invoke(str(root))
    assert code == 0
    assert "0 file(s) would change" in out


def test_exit_zero_flag(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"b.py": REPORT_ONLY_APP})
    assert _invoke(str(root), "--exit-zero")[0] == 0


def test_write_keeps_file_mode(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"env.py": ENV_APP})
    os.chmod(root / "env.py", 0o640)
    _invoke(str(root), "--write")
    assert (root / "env.py").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in root.iterdir()) == ["env.py"]  # no temp file left


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path, {"env.py": ENV_APP})

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("keyshift.safefs.os.replace", boom)
    code, out = _invoke(str(root), "--write", "--jobs", "1")
    assert code == 1
    assert "cannot write" in out
    assert (root / "env.py").read_text() == ENV_APP
    assert sorted(p.name for p in root.iterdir()) == ["env.py"]


def test_parallel_run_fixes_every_candidate(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {f"pkg/m{i}.py": ENV_APP for i in range(8)}
    files.update({f"pkg/plain{i}.py": "x = 1\n" for i in range(8)})
    root = _tree(tmp_path, files)
    code, out = _invoke(str(root), "--write", "--jobs", "2", "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["summary"]["files_changed"] == 8 and doc["summary"]["files_parsed"] == 8
    for i in range(8):
        assert (root / f"pkg/m{i}.py").read_text() == ENV_APP_FIXED


def test_explicit_file_and_exclude(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"keep/a.py": ENV_APP, "skip/b.py": ENV_APP})
    _invoke(str(root), "--write", "--exclude", "skip/*")
    assert (root / "keep/a.py").read_text() == ENV_APP_FIXED
    assert (root / "skip/b.py").read_text() == ENV_APP
    _invoke(str(root / "skip/b.py"), "--write")
    assert (root / "skip/b.py").read_text() == ENV_APP_FIXED


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "keyshift", "fix", str(tmp_path / "nope")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "path does not exist" in proc.stderr


def test_subprocess_json_stdout_is_clean(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"env.py": ENV_APP})
    proc = subprocess.run(
        [sys.executable, "-m", "keyshift", "fix", str(root), "--json"], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["summary"]["files_changed"] == 1
    assert "would change" in proc.stderr


def test_libcst_tool_codemod_runs_the_command(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"env.py": ENV_APP, "b.py": REPORT_ONLY_APP})
    proc = libcst_codemod(str(root), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (root / "env.py").read_text() == ENV_APP_FIXED
    assert (root / "b.py").read_text() == REPORT_ONLY_APP
    assert "report-only" in proc.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b'\xef\xbb\xbfimport boto3\ns = boto3.client("s3", aws_access_key_id="x")\n',
            b'\xef\xbb\xbfimport boto3\ns = boto3.client("s3")\n',
        ),
        (
            b"# -*- coding: latin-1 -*-\nimport boto3\n# caf\xe9\n"
            b's = boto3.client("s3", aws_access_key_id="x")\n',
            b'# -*- coding: latin-1 -*-\nimport boto3\n# caf\xe9\ns = boto3.client("s3")\n',
        ),
    ],
    ids=["utf8-bom", "latin1-cookie"],
)
def test_encodings_round_trip(tmp_path: Path, raw: bytes, expected: bytes) -> None:
    root = _tree(tmp_path, {"enc.py": raw})
    _invoke(str(root), "--write")
    assert (root / "enc.py").read_bytes() == expected


def test_internal_error_costs_one_file_not_the_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(tmp_path, {"a.py": ENV_APP, "b.py": ENV_APP})
    from keyshift.codemod import runner as runner_module

    real = runner_module.fix_source

    def flaky(data: bytes) -> object:
        if b"# boom" in data:
            raise RuntimeError("boom")
        return real(data)

    (root / "a.py").write_text(ENV_APP + "# boom\n")
    monkeypatch.setattr(runner_module, "fix_source", flaky)
    code, out = _invoke(str(root), "--write", "--jobs", "1")
    assert code == 1
    assert "internal error (RuntimeError)" in out
    assert (root / "a.py").read_text() == ENV_APP + "# boom\n"
    assert (root / "b.py").read_text() == ENV_APP_FIXED


def test_write_keeps_the_file_mode_and_never_follows_a_symlinked_file(tmp_path: Path) -> None:
    """``fix --write`` goes through the one safe writer: the rewritten file keeps its mode, and a
    candidate that is a symlink to a file outside the tree is never written through."""
    outside = tmp_path / "outside.py"
    outside.write_text(ENV_APP)
    root = _tree(tmp_path, {"env.py": ENV_APP})
    (root / "env.py").chmod(0o750)
    (root / "linked.py").symlink_to(outside)
    code, _ = _invoke(str(root), "--write", "--jobs", "1")
    assert code == 0
    assert (root / "env.py").read_text() != ENV_APP
    assert (root / "env.py").stat().st_mode & 0o777 == 0o750
    assert outside.read_text() == ENV_APP
