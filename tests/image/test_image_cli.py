"""``keyshift scan --image`` end to end through the CLI: formats, exit codes, redaction."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from imagebuild import Image, f, layer, layout_members, write_layout_dir
from imagecases import Keys, standard_image
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

runner = CliRunner()


def run_json(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["scan", *args, "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("fmt", ["legacy", "docker25", "oci-dir", "oci-tar"])
def test_json_output_for_image_findings(
    fmt: str, keys: Keys, build: Callable[[str, Image], Path], sandbox: Path
) -> None:
    path = build(fmt, standard_image(keys))
    code, doc = run_json("--image", str(path))
    assert code == 1
    rows = {(x["key_id"], x["kind"], (x["image"] or {}).get("field")): x for x in doc["findings"]}
    visible = rows[(keys.visible, "access_key_id", None)]
    assert visible["source"] == "image" and visible["path"] == "app/settings.py"
    assert visible["image"]["layer_index"] == 0 and visible["image"]["layer_digest"].startswith("sha256:")
    assert visible["image"]["deleted"] is False and visible["image"]["deleted_by_layer"] is None
    deleted = rows[(keys.deleted, "access_key_id", None)]
    assert (deleted["image"]["deleted"], deleted["image"]["deleted_by_layer"]) == (True, 1)
    over = rows[(keys.overwritten, "access_key_id", None)]
    assert (over["image"]["deleted"], over["image"]["deleted_by_layer"]) == (True, 2)
    env = rows[(keys.env, "access_key_id", "env")]
    assert env["path"] is None and env["image"]["layer_digest"] is None and env["image"]["env_index"] == 1
    hist = rows[(keys.history, "access_key_id", "history")]
    assert hist["path"] is None and hist["image"]["history_index"] == 1
    assert (keys.label, "access_key_id", "label") in rows
    assert all(x["image"]["ref"] == str(path) for x in doc["findings"])


@pytest.mark.parametrize("output_format", ["text", "json", "sarif", "baseline"])
def test_secrets_never_printed(
    output_format: str, build: Callable[[str, Image], Path], sandbox: Path
) -> None:
    key, secret = fake_key_id(seed="cli-s"), fake_secret("cli-s")
    image = Image(
        layers=[layer([f("app/.env", f"AWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={secret}\n")])],
        env=[f"AWS_ACCESS_KEY_ID={key}", f"AWS_SECRET_ACCESS_KEY={secret}"],
        history=[f"/bin/sh -c aws configure set aws_secret_access_key {secret}"],
    )
    path = build("oci-tar", image)
    result = runner.invoke(app, ["scan", "--image", str(path), "--format", output_format])
    assert result.exit_code == 1, result.output
    assert secret not in result.output
    assert key in result.output or output_format == "baseline"


def test_clean_image_exits_zero(build: Callable[[str, Image], Path], sandbox: Path) -> None:
    path = build("legacy", Image(layers=[layer([f("app/main.py", "print('hi')\n")])], env=["PATH=/bin"]))
    result = runner.invoke(app, ["scan", "--image", str(path)])
    assert result.exit_code == 0, result.output


def test_several_images_and_platform_flag(keys: Keys, tmp_path: Path, sandbox: Path) -> None:
    amd, arm = fake_key_id(seed="cli-amd"), fake_key_id(seed="cli-arm")
    multi = write_layout_dir(
        tmp_path / "multi",
        layout_members(
            [
                Image(layers=[layer([f("k", amd)])], platform=("linux", "amd64")),
                Image(layers=[layer([f("k", arm)])], platform=("linux", "arm64")),
            ]
        ),
    )
    single = write_layout_dir(
        tmp_path / "single", layout_members([Image(layers=[layer([f("k", keys.visible)])])])
    )
    code, doc = run_json("--image", str(multi), "--image", str(single), "--platform", "linux/arm64")
    assert code == 1
    assert {(x["key_id"], x["image"]["ref"]) for x in doc["findings"]} == {
        (arm, str(multi)),
        (keys.visible, str(single)),
    }


def _python_m(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KEYSHIFT_CONFIG",)}
    return subprocess.run(
        [sys.executable, "-m", "keyshift", "scan", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_unreadable_image_exits_two(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"definitely not an image\n" * 100)
    proc = _python_m("--image", str(bad), cwd=tmp_path)
    assert proc.returncode == 2
    assert "keyshift: error:" in proc.stderr and "bad.tar" in proc.stderr
    assert proc.stdout == ""
    missing = _python_m("--image", str(tmp_path / "absent.tar"), cwd=tmp_path)
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_hostile_image_warns_and_reports_what_it_could_read(tmp_path: Path) -> None:
    import io

    key = fake_key_id(seed="cli-hostile")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        data = f"key={key}\n".encode()
        info = tarfile.TarInfo("../../escape-evil.txt")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    files = layout_members([Image(layers=[buf.getvalue(), layer([f("x", "y")])])], compress=False)
    index = json.loads(files["index.json"])
    manifest = json.loads(files[f"blobs/sha256/{index['manifests'][0]['digest'][7:]}"])
    del files[f"blobs/sha256/{manifest['layers'][1]['digest'][7:]}"]
    root = write_layout_dir(tmp_path / "hostile", files)
    proc = _python_m("--image", str(root), "--format", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert [(x["key_id"], x["path"]) for x in doc["findings"]] == [(key, "escape-evil.txt")]
    assert "escapes the root" in proc.stderr and "blob is missing" in proc.stderr
    assert not (tmp_path.parent / "escape-evil.txt").exists()
