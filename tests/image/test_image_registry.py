"""Registry pulls against a real registry on 127.0.0.1: anonymous, basic auth, tokens, platforms."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from imagebuild import Image, f, layer, layout_members, write_layout_dir
from imagecases import Keys, make_keys, standard_image
from registryfix import RealRegistry, TokenRegistry, require_registry, skopeo_available
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.config import Config
from keyshift.errors import KeyshiftError
from keyshift.fakes import fake_key_id
from keyshift.sources.image import scan_image
from keyshift.sources.image.registry import parse_challenge, parse_reference

USER, PASSWORD = "ci-user", "s3cret-Pass-for-tests"


@pytest.fixture(scope="module")
def keys_mod() -> Keys:
    return make_keys()


@pytest.fixture(scope="module")
def open_registry(tmp_path_factory: pytest.TempPathFactory, keys_mod: Keys) -> Iterator[RealRegistry]:
    require_registry()
    reg = RealRegistry(tmp_path_factory.mktemp("registry-open"))
    try:
        reg.push_layout("team/app", "1", layout_members([standard_image(keys_mod)]))
        multi = [
            Image(layers=[layer([f("k", fake_key_id(seed="reg-amd"))])], platform=("linux", "amd64")),
            Image(layers=[layer([f("k", fake_key_id(seed="reg-arm"))])], platform=("linux", "arm64")),
        ]
        reg.push_layout("team/multi", "latest", layout_members(multi))
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory: pytest.TempPathFactory, keys_mod: Keys) -> Iterator[RealRegistry]:
    require_registry()
    reg = RealRegistry(tmp_path_factory.mktemp("registry-auth"), users={USER: PASSWORD})
    try:
        reg.push_layout("private/app", "2", layout_members([standard_image(keys_mod)]))
        yield reg
    finally:
        reg.stop()


@pytest.fixture
def no_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    empty = tmp_path / "docker-empty"
    empty.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(empty))
    return empty


def check_standard(result_findings: tuple, keys: Keys) -> None:  # type: ignore[type-arg]
    found = {(x.key_id, x.image.field): x for x in result_findings if x.kind.value == "access_key_id"}
    assert found[(keys.visible, None)].image.deleted is False
    assert found[(keys.deleted, None)].image.deleted_by_layer == 1
    assert found[(keys.opaque, None)].image.deleted_by_layer == 1
    assert found[(keys.overwritten, None)].image.deleted_by_layer == 2
    assert found[(keys.nested, None)].image.layer_index == 1
    assert found[(keys.env, "env")].image.env_index == 1
    assert found[(keys.history, "history")].image.history_index == 1
    assert (keys.label, "label") in found


def test_anonymous_pull(open_registry: RealRegistry, keys_mod: Keys, no_docker_config: Path) -> None:
    ref = f"{open_registry.host}/team/app:1"
    result = scan_image(ref, Config())
    assert result.errors == ()
    check_standard(result.findings, keys_mod)
    files = layout_members([standard_image(keys_mod)])
    index = json.loads(files["index.json"])
    manifest = json.loads(files[f"blobs/sha256/{index['manifests'][0]['digest'][7:]}"])
    visible = next(x for x in result.findings if x.key_id == keys_mod.visible)
    assert visible.image.layer_digest == manifest["layers"][0]["digest"]
    assert visible.image.ref == ref
    by_digest = scan_image(f"{open_registry.host}/team/app@{index['manifests'][0]['digest']}", Config())
    assert by_digest.errors == ()
    assert summary(by_digest.findings) == summary(result.findings)


def summary(findings: tuple) -> list[tuple]:  # type: ignore[type-arg]
    return [
        (x.key_id, x.kind, x.path, x.image.layer_index, x.image.deleted_by_layer, x.image.field)
        for x in findings
    ]


def test_multi_arch_index_and_platform(open_registry: RealRegistry, no_docker_config: Path) -> None:
    ref = f"{open_registry.host}/team/multi:latest"
    default = scan_image(ref, Config())  # every platform when none is chosen
    assert {(x.key_id, x.image.ref) for x in default.findings} == {
        (fake_key_id(seed="reg-amd"), f"{ref}#linux/amd64"),
        (fake_key_id(seed="reg-arm"), f"{ref}#linux/arm64"),
    }
    arm = scan_image(ref, Config(), platform="linux/arm64")
    assert {x.key_id for x in arm.findings} == {fake_key_id(seed="reg-arm")}
    with pytest.raises(KeyshiftError, match="available: linux/amd64, linux/arm64"):
        scan_image(ref, Config(), platform="linux/s390x")


def test_unknown_repository_and_unreachable_registry(
    open_registry: RealRegistry, no_docker_config: Path
) -> None:
    with pytest.raises(KeyshiftError, match="not found"):
        scan_image(f"{open_registry.host}/team/nope:1", Config())
    with pytest.raises(KeyshiftError, match="cannot be reached"):
        scan_image("127.0.0.1:9/team/app:1", Config())


def test_basic_auth_with_flags(auth_registry: RealRegistry, keys_mod: Keys, no_docker_config: Path) -> None:
    ref = f"{auth_registry.host}/private/app:2"
    with pytest.raises(KeyshiftError, match="needs credentials"):
        scan_image(ref, Config())
    with pytest.raises(KeyshiftError, match="authentication failed") as info:
        scan_image(ref, Config(), username=USER, password="wrong-password")
    assert "wrong-password" not in str(info.value)
    result = scan_image(ref, Config(), username=USER, password=PASSWORD)
    check_standard(result.findings, keys_mod)


def test_basic_auth_from_docker_config(
    auth_registry: RealRegistry, keys_mod: Keys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (home / ".docker" / "config.json").write_text(json.dumps({"auths": {auth_registry.host: {"auth": auth}}}))
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(home))
    result = scan_image(f"{auth_registry.host}/private/app:2", Config())
    check_standard(result.findings, keys_mod)
    # DOCKER_CONFIG takes precedence and may name the registry with a scheme
    other = tmp_path / "dc"
    other.mkdir()
    (other / "config.json").write_text(
        json.dumps({"auths": {f"http://{auth_registry.host}": {"username": USER, "password": PASSWORD}}})
    )
    monkeypatch.setenv("DOCKER_CONFIG", str(other))
    assert scan_image(f"{auth_registry.host}/private/app:2", Config()).findings


def test_cli_registry_scan_with_password_on_stdin(
    auth_registry: RealRegistry, keys_mod: Keys, no_docker_config: Path
) -> None:
    ref = f"{auth_registry.host}/private/app:2"
    result = CliRunner().invoke(
        app,
        [
            "scan",
            "--image",
            ref,
            "--registry-username",
            USER,
            "--registry-password-stdin",
            "--format",
            "json",
        ],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    images = [x["image"] for x in doc["findings"]]
    assert all(i["ref"] == ref for i in images)
    assert {x["key_id"] for x in doc["findings"]} >= {keys_mod.visible, keys_mod.deleted, keys_mod.env}
    assert PASSWORD not in result.output and keys_mod.secret not in result.output
    denied = CliRunner().invoke(app, ["scan", "--image", ref, "--format", "json"])
    if isinstance(denied.exception, KeyshiftError):  # raised to main(), which exits 2
        assert "needs credentials" in str(denied.exception)
    else:
        assert denied.exit_code == 2 and "needs credentials" in denied.output


def test_bearer_token_auth_and_no_credentials_across_redirects(
    tmp_path: Path, no_docker_config: Path
) -> None:
    k = fake_key_id(seed="bearer")
    files = layout_members([Image(layers=[layer([f("app/k.txt", k)])], env=[f"AWS_ACCESS_KEY_ID={k}"])])
    reg = TokenRegistry(files, "team/tok", user=USER, password=PASSWORD)
    try:
        with pytest.raises(KeyshiftError, match=r"token request refused \(HTTP 401\)"):
            scan_image(f"{reg.host}/team/tok:1", Config())
        result = scan_image(f"{reg.host}/team/tok:1", Config(), username=USER, password=PASSWORD)
    finally:
        reg.stop()
    assert {(x.key_id, x.image.field) for x in result.findings} == {(k, None), (k, "env")}
    assert reg.leaked == []
    assert any(
        "scope=repository%3Ateam%2Ftok%3Apull" in q and "service=test-registry" in q
        for q in reg.token_requests
    )


def test_expired_token_is_renewed_by_the_layer_reader(tmp_path: Path, no_docker_config: Path) -> None:
    ks = [fake_key_id(seed=f"exp{i}") for i in range(4)]
    files = layout_members([Image(layers=[layer([f(f"k{i}", k)]) for i, k in enumerate(ks)])])
    reg = TokenRegistry(files, "team/exp", user=USER, password=PASSWORD, max_uses=2)
    try:
        result = scan_image(f"{reg.host}/team/exp:1", Config(), username=USER, password=PASSWORD)
    finally:
        reg.stop()
    assert {x.key_id for x in result.findings} == set(ks)
    assert result.errors == ()
    assert len(reg.uses) >= 3  # the first token expired and was renewed
    assert reg.leaked == []


def test_missing_blob_on_registry(tmp_path: Path, no_docker_config: Path) -> None:
    k1, k2 = fake_key_id(seed="rb1"), fake_key_id(seed="rb2")
    files = layout_members([Image(layers=[layer([f("a", k1)]), layer([f("b", k2)])])])
    index = json.loads(files["index.json"])
    manifest = json.loads(files[f"blobs/sha256/{index['manifests'][0]['digest'][7:]}"])
    del files[f"blobs/sha256/{manifest['layers'][0]['digest'][7:]}"]
    reg = TokenRegistry(files, "team/miss", user=USER, password=PASSWORD)
    try:
        result = scan_image(f"{reg.host}/team/miss:1", Config(), username=USER, password=PASSWORD)
    finally:
        reg.stop()
    assert {x.key_id for x in result.findings} == {k2}
    assert any("layer 0" in e and "blob is missing (HTTP 404)" in e for e in result.errors)


def test_skopeo_pushed_image(open_registry: RealRegistry, tmp_path: Path, no_docker_config: Path) -> None:
    if not skopeo_available():
        if os.environ.get("CI"):  # .ci/run installs it: its absence there is a failure
            pytest.fail("skopeo is missing in CI: scripts/install-system-deps.sh should install it")
        pytest.skip("skopeo is not installed")
    k = fake_key_id(seed="skopeo")
    files = layout_members([Image(layers=[layer([f("etc/app.conf", f"key={k}\n")])])])
    index = json.loads(files["index.json"])
    index["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
    files["index.json"] = json.dumps(index).encode()
    root = write_layout_dir(tmp_path / "layout", files)
    subprocess.run(
        [
            "skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false",
            f"oci:{root}:v1", f"docker://{open_registry.host}/team/skopeo:v1",
        ],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    result = scan_image(f"{open_registry.host}/team/skopeo:v1", Config())
    assert [(x.key_id, x.path) for x in result.findings] == [(k, "etc/app.conf")]


@pytest.mark.parametrize(
    "ref, host, repo, reference",
    [
        ("alpine", "registry-1.docker.io", "library/alpine", "latest"),
        ("team/app:1.2", "registry-1.docker.io", "team/app", "1.2"),
        ("docker.io/library/x:tag", "registry-1.docker.io", "library/x", "tag"),
        ("localhost:5000/a/b", "localhost:5000", "a/b", "latest"),
        ("127.0.0.1:5000/a:v1", "127.0.0.1:5000", "a", "v1"),
        ("ghcr.io/o/r@sha256:" + "a" * 64, "ghcr.io", "o/r", "sha256:" + "a" * 64),
        ("docker://reg.example.com/x/y:z", "reg.example.com", "x/y", "z"),
    ],
)
def test_parse_reference(ref: str, host: str, repo: str, reference: str) -> None:
    parsed = parse_reference(ref)
    assert (parsed.host, parsed.repository, parsed.reference) == (host, repo, reference)


@pytest.mark.parametrize("ref", ["UPPER/case", "a/b@sha256:zz", "a:b:c/d", "x/y:" + "t" * 200, ""])
def test_parse_reference_rejects(ref: str) -> None:
    with pytest.raises(KeyshiftError):
        parse_reference(ref)


@pytest.mark.parametrize(
    "header, scheme, params",
    [
        (
            'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
            "bearer",
            {
                "realm": "https://auth.example/token",
                "service": "registry.example",
                "scope": "repository:a/b:pull",
            },
        ),
        ('Basic realm="Registry Realm"', "basic", {"realm": "Registry Realm"}),
        (
            "bearer realm=https://t.example/x, service=s",
            "bearer",
            {"realm": "https://t.example/x", "service": "s"},
        ),
        (
            'Bearer realm="https://t/x",error="insufficient_scope"',
            "bearer",
            {"realm": "https://t/x", "error": "insufficient_scope"},
        ),
    ],
)
def test_parse_challenge(header: str, scheme: str, params: dict[str, str]) -> None:
    assert parse_challenge(header) == (scheme, params)


def test_plain_http_is_refused_for_remote_token_realm() -> None:
    from keyshift.sources.image.registry import Client

    client = Client(parse_reference("reg.example.com/a/b:1"), username=None, password=None, allow_http=False)
    assert client.base.startswith("https://")
    with pytest.raises(KeyshiftError, match="plain HTTP"):
        client._authenticate('Bearer realm="http://auth.example.com/token",service="x"')
    insecure = Client(parse_reference("reg.example.com/a/b:1"), username=None, password=None, allow_http=True)
    assert insecure.base.startswith("http://")
