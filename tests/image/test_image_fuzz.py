"""Damaged images never crash keyshift: random byte flips and cuts end in a result or exit 2.

``KEYSHIFT_FUZZ=3000`` runs many more examples than the default (kept small for CI time).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from imagebuild import Image, f, gz, layer, layout_members, wh, write_layout_tar, write_legacy, zip_bytes

from keyshift.config import Config
from keyshift.errors import KeyshiftError
from keyshift.fakes import fake_key_id
from keyshift.model import ScanResult
from keyshift.sources.image import scan_image

K = fake_key_id(seed="fuzz")


def _image() -> Image:
    return Image(
        layers=[
            layer([f("a/k.txt", K), f("a/z.zip", zip_bytes({"x": K})), f("a/t.gz", gz(K.encode()))]),
            layer([wh("a/k.txt"), f("b", "x" * 3000)]),
        ],
        env=[f"AWS_ACCESS_KEY_ID={K}"],
        history=[f"/bin/sh -c #(nop)  ENV K={K}"],
    )


def _seeds() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        legacy = write_legacy(Path(tmp) / "l.tar", _image(), gzip_layers=True).read_bytes()
        oci = write_layout_tar(Path(tmp) / "o.tar", layout_members([_image()])).read_bytes()
        plain = layout_members([_image()], compress=False, docker_manifest=True)
        docker25 = write_layout_tar(Path(tmp) / "d.tar", plain).read_bytes()
    return {"legacy": legacy, "oci": oci, "docker25": docker25}


SEEDS = _seeds()
edit = st.tuples(st.floats(min_value=0, max_value=1, exclude_max=True), st.binary(min_size=1, max_size=8))


@settings(
    max_examples=int(__import__("os").environ.get("KEYSHIFT_FUZZ", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    which=st.sampled_from(sorted(SEEDS)),
    edits=st.lists(edit, max_size=6),
    cut=st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
)
def test_damaged_images_give_a_result_or_a_clear_error(
    tmp_path: Path, which: str, edits: list[tuple[float, bytes]], cut: float | None
) -> None:
    data = bytearray(SEEDS[which])
    for where, new in edits:
        pos = int(where * len(data))
        data[pos : pos + len(new)] = new
    if cut is not None:
        del data[int(cut * len(data)) :]
    path = tmp_path / f"fuzz-{which}.tar"
    path.write_bytes(bytes(data))
    try:
        result = scan_image(str(path), Config())
    except KeyshiftError as exc:
        assert str(exc)
        return
    assert isinstance(result, ScanResult)
    if not edits and cut is None:
        assert K in {x.key_id for x in result.findings}


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def _layout_with(
    index_edit: tuple[str, object] | None,
    manifest_edit: tuple[str, object] | None,
    config_edit: tuple[str, object] | None,
    layer_edit: tuple[str, object] | None,
) -> dict[str, bytes]:
    """The fuzz image as an OCI layout whose JSON documents get one key replaced each, digests kept valid."""
    import hashlib
    import json

    files = layout_members([_image()])
    index = json.loads(files["index.json"])
    mname = f"blobs/sha256/{index['manifests'][0]['digest'][7:]}"
    manifest = json.loads(files[mname])
    config = json.loads(files[f"blobs/sha256/{manifest['config']['digest'][7:]}"])
    if config_edit:
        config[config_edit[0]] = config_edit[1]
    cbytes = json.dumps(config).encode()
    files[f"blobs/sha256/{hashlib.sha256(cbytes).hexdigest()}"] = cbytes
    manifest["config"]["digest"] = f"sha256:{hashlib.sha256(cbytes).hexdigest()}"
    if layer_edit and manifest["layers"]:
        manifest["layers"][0][layer_edit[0]] = layer_edit[1]
    if manifest_edit:
        manifest[manifest_edit[0]] = manifest_edit[1]
    mbytes = json.dumps(manifest).encode()
    files[f"blobs/sha256/{hashlib.sha256(mbytes).hexdigest()}"] = mbytes
    index["manifests"][0]["digest"] = f"sha256:{hashlib.sha256(mbytes).hexdigest()}"
    if index_edit:
        target = index if index_edit[0].startswith("top:") else index["manifests"][0]
        target[index_edit[0].removeprefix("top:")] = index_edit[1]
    files["index.json"] = json.dumps(index).encode()
    return files


def _edit(keys: list[str]) -> st.SearchStrategy[tuple[str, object] | None]:
    return st.none() | st.tuples(st.sampled_from(keys), json_value)


@settings(
    max_examples=int(__import__("os").environ.get("KEYSHIFT_FUZZ", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    index_edit=_edit(["top:manifests", "digest", "platform", "mediaType", "annotations", "size"]),
    manifest_edit=_edit(["config", "layers", "mediaType", "manifests", "schemaVersion"]),
    config_edit=_edit(["config", "history", "rootfs", "Config", "os"]),
    layer_edit=_edit(["digest", "size", "mediaType"]),
)
def test_odd_json_documents_never_crash(
    tmp_path: Path,
    index_edit: tuple[str, object] | None,
    manifest_edit: tuple[str, object] | None,
    config_edit: tuple[str, object] | None,
    layer_edit: tuple[str, object] | None,
) -> None:
    from imagebuild import write_layout_dir

    root = write_layout_dir(
        tmp_path / "odd", _layout_with(index_edit, manifest_edit, config_edit, layer_edit)
    )
    try:
        result = scan_image(str(root), Config())
    except KeyshiftError as exc:
        assert str(exc)
        return
    assert isinstance(result, ScanResult)


@settings(
    max_examples=int(__import__("os").environ.get("KEYSHIFT_FUZZ", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    entry_edit=_edit(["Config", "Layers", "RepoTags", "LayerSources"]),
    whole=st.none() | json_value,
    config_edit=_edit(["config", "history", "rootfs", "container_config"]),
)
def test_odd_docker_manifest_never_crashes(
    tmp_path: Path,
    entry_edit: tuple[str, object] | None,
    whole: object,
    config_edit: tuple[str, object] | None,
) -> None:
    import json

    from imagebuild import write_layout_dir

    files = _layout_with(None, None, config_edit, None)
    index = json.loads(files["index.json"])
    manifest = json.loads(files[f"blobs/sha256/{index['manifests'][0]['digest'][7:]}"])
    entry: dict[str, object] = {
        "Config": f"blobs/sha256/{manifest['config']['digest'][7:]}",
        "RepoTags": ["t:1"],
        "Layers": [f"blobs/sha256/{x['digest'][7:]}" for x in manifest["layers"]],
    }
    if entry_edit:
        entry[entry_edit[0]] = entry_edit[1]
    files["manifest.json"] = json.dumps([entry] if whole is None else whole).encode()
    root = write_layout_dir(tmp_path / "odd", files)
    try:
        result = scan_image(str(root), Config())
    except KeyshiftError as exc:
        assert str(exc)
        return
    assert isinstance(result, ScanResult)
