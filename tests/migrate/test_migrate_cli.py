"""``keyshift migrate`` end to end through the CLI: demo and generated repositories, goldens, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.migrate.synth import make_clean_repo, make_repo

from .helpers import DEMO, OLD_KEY, OLD_SECRET, all_text, check_golden, demo_repo

DEMO_SECRETS = ("GJtUcPiTVMi0Vka0p4vL/o+/nfaJt9a8v3YjjFq4", "++vyVNDKzG3TxsgniQ5Lx6yMuLDJX2q0CIH58oYM")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["migrate", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def demo_review(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int, str]:
    base = tmp_path_factory.mktemp("demo")
    repo = demo_repo(base / "demo")
    out = base / "review"
    code, stdout, _ = run(str(repo), "--out", str(out))
    return repo, out, code, stdout


def test_demo_exit_code_and_golden(demo_review: tuple[Path, Path, int, str]) -> None:
    _, out, code, stdout = demo_review
    assert code == 1
    assert "AKIARTX3GSDS7HNK5FSF" in stdout and "history only" in stdout
    check_golden(out, "demo")


def test_demo_keys_places_roles(demo_review: tuple[Path, Path, int, str]) -> None:
    _, out, _, _ = demo_review
    data = json.loads((out / "migration.json").read_text())
    keys = {k["key"]: k for k in data["keys"]}
    assert set(keys) == {"AKIARTX3GSDS7HNK5FSF", "AKIARTX3GSDSXD4EDCUD", OLD_KEY}
    main = keys["AKIARTX3GSDS7HNK5FSF"]
    assert main["at_head"] and main["account_id"] == "111122223333"
    assert {p["path"] for p in main["places"]} >= {".env", "Dockerfile", "orders/settings.py"}
    assert any(s.startswith("s3:PutObject <- s3.put_object at orders/storage.py") for s in main["served"])
    # one task definition family, one task role holding both keys' calls
    assert main["roles"] == keys["AKIARTX3GSDSXD4EDCUD"]["roles"] == ["orders-service-task-role"]
    old = keys[OLD_KEY]
    assert old["history_only"] and not old["at_head"] and old["roles"] == []
    assert all(p["where"] == "history" and p["commit"] for p in old["places"])
    assert any("git history" in s for s in old["steps"])
    # the documentation example key in the demo README is not a key to migrate and gets no role
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(data)
    assert sorted(p.name for p in (out / "roles").iterdir()) == ["orders-service-task-role", "plan.json"]
    patch = json.loads((out / "roles" / "orders-service-task-role" / "taskdef-patch.json").read_text())
    assert patch["taskRoleArn"].endswith(":role/orders-service-task-role")
    for role in ("orders-service-task-role",):
        for name in (
            "policy.json",
            "trust-policy.json",
            "main.tf",
            "cloudformation.json",
            "taskdef-patch.json",
        ):
            assert (out / "roles" / role / name).is_file()
    assert "storage.py" in (out / "fix.diff").read_text()


def test_no_secret_anywhere(demo_review: tuple[Path, Path, int, str]) -> None:
    _, out, _, stdout = demo_review
    text = all_text(out) + stdout
    for secret in (*DEMO_SECRETS, OLD_SECRET):
        assert secret not in text


def test_demo_is_deterministic(demo_review: tuple[Path, Path, int, str], tmp_path: Path) -> None:
    repo, out, _, _ = demo_review
    again = tmp_path / "again"
    code, _, _ = run(str(repo), "--out", str(again), "--jobs", "2")
    assert code == 1
    for name in ("report.md", "report.html", "migration.json", "runbook.md", "fix.diff", "roles/plan.json"):
        assert (again / name).read_text() == (out / name).read_text(), name


def test_multi_service_golden(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "multi", services=4)
    out = tmp_path / "review"
    code, _, _ = run(str(repo), "--out", str(out))
    assert code == 1
    check_golden(out, "multi")
    data = json.loads((out / "migration.json").read_text())
    assert data["totals"]["keys_at_head"] == 4 and data["totals"]["keys_history_only"] == 1
    # roles are named after the task definition families
    assert sorted(data["roles"]) == [
        "multi-api-task-role",
        "multi-billing-task-role",
        "multi-notify-task-role",
        "multi-worker-task-role",
    ]


def test_write_applies_and_second_run_has_no_diff(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "svc", services=2, history_key=False)
    code, _, _ = run(str(repo), "--out", str(tmp_path / "r1"), "--write", "--no-history")
    assert code == 1
    assert "aws_access_key_id" not in (repo / "services/api/app/aws.py").read_text()
    assert "Review and deploy the applied rewrite" in (tmp_path / "r1" / "report.md").read_text()
    run(str(repo), "--out", str(tmp_path / "r2"), "--no-history")
    assert (tmp_path / "r2" / "fix.diff").read_text() == ""


def test_clean_repo_exits_0(tmp_path: Path) -> None:
    repo = make_clean_repo(tmp_path / "clean")
    code, stdout, _ = run(str(repo), "--out", str(tmp_path / "out"))
    assert code == 0, stdout
    assert "no hardcoded AWS key" in stdout
    assert "No hardcoded AWS key was found" in (tmp_path / "out" / "report.md").read_text()


def test_not_a_git_repo_notes_history(tmp_path: Path) -> None:
    code, _, stderr = run(str(DEMO), "--out", str(tmp_path / "out"))
    assert code == 1
    assert "history not scanned" in stderr
    assert "history not scanned" in (tmp_path / "out" / "report.md").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/keyshift-path"], "not a directory"),
        ([".", "--endpoint-url", "http://127.0.0.1:1"], "--endpoint-url and --insecure need --verify"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    code, _, stderr = run(*args, "--out", str(tmp_path / "o"))
    assert code == 2
    assert message in stderr


def _docker_archive(path: Path, env: list[str]) -> Path:
    import hashlib
    import io
    import tarfile

    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        data = b"print('hello')\n"
        info = tarfile.TarInfo("app/main.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    layer_bytes = layer.getvalue()
    diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Env": env},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [{"created_by": "COPY app/ app/"}],
        }
    ).encode()
    manifest = json.dumps(
        [{"Config": "config.json", "RepoTags": ["svc:1"], "Layers": ["l1/layer.tar"]}]
    ).encode()
    with tarfile.open(path, "w") as tar:
        for name, blob in (
            ("config.json", config),
            ("l1/layer.tar", layer_bytes),
            ("manifest.json", manifest),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return path


def test_image_places(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "svc", services=1, history_key=False)
    key = fake_key_id("123456789012", seed="synth:0")
    baked = fake_key_id("123456789012", seed="baked")
    image = _docker_archive(
        tmp_path / "svc.tar",
        [
            f"AWS_ACCESS_KEY_ID={key}",
            f"OTHER_KEY_ID={baked}",
            f"AWS_SECRET_ACCESS_KEY={fake_secret('baked')}",
        ],
    )
    out = tmp_path / "out"
    code, _, _ = run(str(repo), "--image", str(image), "--out", str(out))
    assert code == 1
    data = json.loads((out / "migration.json").read_text())
    keys = {k["key"]: k for k in data["keys"]}
    assert keys[key]["at_head"] and keys[key]["in_image"]
    assert any(p["where"] == "image" and "svc.tar" in p["detail"] for p in keys[key]["places"])
    assert "image" in data["sources"]
    assert any("Rebuild" in s for s in keys[key]["steps"])
    assert fake_secret("baked") not in all_text(out)


def test_subprocess_entry_point(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "svc", services=1, history_key=False)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "keyshift",
            "migrate",
            str(repo),
            "--out",
            str(tmp_path / "o"),
            "--json",
            "-q",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["totals"]["keys"] == 1
    assert proc.stderr == ""


def test_timestamp_only_with_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_clean_repo(tmp_path / "clean")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    code, _, _ = run(str(repo), "--out", str(tmp_path / "out"), "--no-history")
    assert code == 0
    assert "Generated 2023-11-14T22:13:20Z." in (tmp_path / "out" / "report.md").read_text()
    assert "Generated 2023-11-14T22:13:20Z." in (tmp_path / "out" / "report.html").read_text()


def test_review_folder_inside_the_target_is_never_scanned(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "svc", services=2, history_key=False)
    out = repo / "keyshift-review"
    first, _, _ = run(str(repo), "--out", str(out), "--json", "-q")
    first_json = (out / "migration.json").read_text()
    second, _, _ = run(str(repo), "--out", str(out), "-q")
    assert first == second == 1
    assert (out / "migration.json").read_text() == first_json
    assert "keyshift-review" not in first_json
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""  # the folder ignores itself
