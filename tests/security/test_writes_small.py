"""Small attack surfaces: a path typo that goes online, verify's real endpoint, size options.

- A local-looking ``--image`` (``./``, ``/``, ``~``, an archive extension, a path into a folder that
  exists) that does not exist is an error (exit 2); no socket is ever opened for it.
- ``verify`` (and ``migrate``/``sweep --verify``) name the endpoint they really use, including one
  set by ``AWS_ENDPOINT_URL_STS``/``AWS_ENDPOINT_URL``, and refuse ``http://`` unless ``--insecure``.
- ``--max-file-size`` and the ``max-file-size`` setting must be sizes greater than zero: ``-1``
  used to skip every file and report clean.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git, init_repo
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

KEY = fake_key_id("123456789012", seed="small")
SECRET = fake_secret("small")


def _repo(root: Path, files: dict[str, str] | None = None) -> Path:
    init_repo(root)
    for name, text in (
        files or {".env": f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY={SECRET}\n"}
    ).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "files")
    return root


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection attempt is recorded and refused."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.mark.parametrize(
    "ref",
    [
        "./missing-image.tar",
        "/nonexistent/keyshift/image.tar",
        "~/keyshift-no-such-image.tar",
        "~/keyshift-no-such-layout",
        "missing-image.tar.gz",
        "missing-image.tar.zst",
        "missing-image.oci",
        "Missing.TAR",
        "build/app",  # ./build exists: a path into it, not a Docker Hub namespace
        "..\\images\\app.tar",
    ],
)
def test_missing_local_image_is_an_error_not_a_lookup(
    ref: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "build").mkdir()
    result = CliRunner().invoke(app, ["scan", "--image", ref, "--format", "json"])
    assert result.exit_code == 2, result.output
    assert "image file not found" in result.stderr
    assert no_network == []


def test_explicit_registry_reference_still_goes_to_the_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "build").mkdir()
    result = CliRunner().invoke(
        app, ["scan", "--image", "docker://127.0.0.1:9/build/app:1", "--format", "json"]
    )
    assert result.exit_code == 2, result.output
    assert "image file not found" not in result.stderr


@pytest.mark.parametrize(
    ("env", "flags", "named"),
    [
        ({}, ["--endpoint-url", "http://127.0.0.1:9"], "--endpoint-url"),
        ({"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"}, [], "AWS_ENDPOINT_URL_STS"),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, [], "AWS_ENDPOINT_URL"),
    ],
)
@pytest.mark.parametrize("command", ["verify", "migrate", "sweep"])
def test_verify_refuses_plain_http(
    command: str,
    env: dict[str, str],
    flags: list[str],
    named: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_network: list[Any],
) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    repo = _repo(tmp_path / "fleet" / "svc")
    args = {
        "verify": ["verify", str(repo)],
        "migrate": ["migrate", str(repo), "--out", str(tmp_path / "review"), "--verify"],
        "sweep": ["sweep", str(tmp_path / "fleet"), "--out", str(tmp_path / "sweep"), "--verify"],
    }[command]
    result = CliRunner().invoke(app, [*args, *flags])
    assert result.exit_code == 2, result.output
    assert "refusing to send keys to http://127.0.0.1:9" in result.stderr
    assert named in result.stderr and "--insecure" in result.stderr
    assert no_network == []


def test_verify_names_the_endpoint_the_environment_chose(
    moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", moto_endpoint)
    repo = _repo(tmp_path / "svc")
    result = CliRunner().invoke(app, ["verify", str(repo), "--insecure", "--json", "--rate", "0"])
    assert result.exit_code in (0, 1), result.output
    assert f"against {moto_endpoint} (set by AWS_ENDPOINT_URL_STS" in result.stderr
    assert "AWS STS" not in result.stderr
    (verdict,) = json.loads(result.stdout)["keys"]
    assert verdict["status"] == "invalid"  # moto answered: the call went where the message says


def test_verify_default_endpoint_is_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyshift.verify import sts_endpoint

    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    endpoint = sts_endpoint(None, "eu-west-1")
    assert endpoint.source == "AWS STS" and endpoint.url.startswith("https://sts.")
    assert endpoint.describe().startswith("AWS STS at https://")


@pytest.mark.parametrize("size", ["-1", "0", "0MB", "big", "10XB", "-5KB", ""])
def test_bad_max_file_size_flag(size: str, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "svc")
    result = CliRunner().invoke(app, ["scan", str(repo), "--max-file-size", size])
    assert result.exit_code == 2, result.output
    assert "--max-file-size" in result.stderr


@pytest.mark.parametrize("size", ["-1", "0", "'-1'", "'0KB'", "'lots'", "true", "1.5"])
def test_bad_max_file_size_setting(size: str, tmp_path: Path) -> None:
    repo = _repo(
        tmp_path / "svc",
        {
            "pyproject.toml": f"[tool.keyshift]\nmax-file-size = {size}\n",
            ".env": f"AWS_ACCESS_KEY_ID={KEY}\n",
        },
    )
    result = CliRunner().invoke(app, ["scan", str(repo)])
    assert result.exit_code == 2, result.output
    assert "pyproject.toml" in result.stderr and "max-file-size" in result.stderr


@pytest.mark.parametrize(
    ("size", "skipped"), [("1KB", True), ("'1KB'", True), ("'1 MiB'", False), ("2048", False)]
)
def test_sizes_with_units(size: str, skipped: bool, tmp_path: Path) -> None:
    padding = "# " + "x" * 1500 + "\n"
    files = {
        "pyproject.toml": f"[tool.keyshift]\nmax-file-size = {size}\n",
        "big.env": padding + f"AWS_ACCESS_KEY_ID={KEY}\n",
    }
    if size == "1KB":  # the flag form
        files["pyproject.toml"] = "[tool.keyshift]\n"
    repo = _repo(tmp_path / "svc", files)
    args = ["scan", str(repo), "--format", "json"] + (["--max-file-size", "1KB"] if size == "1KB" else [])
    result = CliRunner().invoke(app, args)
    doc = json.loads(result.stdout)
    found = any(f["path"] == "big.env" for f in doc["findings"])
    assert found is not skipped, result.output
