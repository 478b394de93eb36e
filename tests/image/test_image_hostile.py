"""Hostile images are normal input: no crash, no hang, no write, a clear reason, findings kept."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import time
import zlib
from pathlib import Path

import pytest
from imagebuild import (
    Entry,
    Image,
    f,
    gz,
    layer,
    layout_members,
    open_layer,
    raw_header,
    write_layout_dir,
    write_legacy,
    write_tar,
)

from keyshift.config import Config
from keyshift.errors import KeyshiftError
from keyshift.fakes import fake_key_id
from keyshift.model import ScanResult
from keyshift.sources.image import scan_image

K = [fake_key_id("123456789012", seed=f"hostile{i}") for i in range(6)]


def keys_of(result: ScanResult) -> set[str | None]:
    return {x.key_id for x in result.findings}


def oci_dir_with_raw_layers(root: Path, raw_layers: list[bytes], cfg: dict | None = None) -> Path:
    """An OCI layout whose layer blobs are given verbatim (already compressed or broken)."""
    files = layout_members([Image(layers=[b"" for _ in raw_layers])], compress=False)
    index = json.loads(files["index.json"])
    mdigest = index["manifests"][0]["digest"][7:]
    manifest = json.loads(files[f"blobs/sha256/{mdigest}"])
    for name in [n for n in files if n.startswith("blobs/")]:
        del files[name]
    cfg_bytes = json.dumps(cfg if cfg is not None else {"config": {"Env": []}, "history": []}).encode()
    files[f"blobs/sha256/{hashlib.sha256(cfg_bytes).hexdigest()}"] = cfg_bytes
    manifest["config"]["digest"] = f"sha256:{hashlib.sha256(cfg_bytes).hexdigest()}"
    manifest["layers"] = []
    for raw in raw_layers:
        digest = hashlib.sha256(raw).hexdigest()
        files[f"blobs/sha256/{digest}"] = raw
        manifest["layers"].append({"mediaType": "x", "digest": f"sha256:{digest}", "size": len(raw)})
    mbytes = json.dumps(manifest).encode()
    files[f"blobs/sha256/{hashlib.sha256(mbytes).hexdigest()}"] = mbytes
    index["manifests"][0]["digest"] = f"sha256:{hashlib.sha256(mbytes).hexdigest()}"
    index["manifests"][0]["size"] = len(mbytes)
    files["index.json"] = json.dumps(index).encode()
    return write_layout_dir(root, files)


def test_dotdot_and_absolute_member_names_are_neutralised(tmp_path: Path, sandbox: Path) -> None:
    evil = layer(
        [
            f("../../escape-evil.txt", K[0]),
            f("/etc/evil-abs.conf", K[1]),
            f("app/../../../evil-deep.txt", K[2]),
        ],
        fmt=tarfile.GNU_FORMAT,
    )
    path = write_legacy(tmp_path / "evil.tar", Image(layers=[evil]))
    result = scan_image(str(path), Config())
    paths = {x.key_id: x.path for x in result.findings}
    assert paths == {K[0]: "escape-evil.txt", K[1]: "etc/evil-abs.conf", K[2]: "evil-deep.txt"}
    assert sum("escapes the root" in e for e in result.errors) == 2
    assert any("absolute member name" in e for e in result.errors)


def test_links_are_recorded_never_followed(tmp_path: Path, sandbox: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-escape-target.txt"
    outside.write_text(f"outside secret {K[5]}\n")
    try:
        first = layer([f("app/creds.txt", K[0]), f("app/other.txt", K[1])])
        second = layer(
            [
                Entry("app/creds.txt", kind="symlink", target=str(outside)),
                Entry("app/hard", kind="hardlink", target="app/other.txt"),
                Entry("etc/passwd", kind="symlink", target="../../../../../../etc/passwd"),
            ]
        )
        path = write_legacy(tmp_path / "links.tar", Image(layers=[first, second]))
        result = scan_image(str(path), Config())
    finally:
        outside.unlink()
    assert keys_of(result) == {K[0], K[1]}  # nothing read through a link
    creds = next(x for x in result.findings if x.key_id == K[0])
    assert creds.image is not None and creds.image.deleted_by_layer == 1  # the symlink replaced the file
    assert result.stats["links"] == 3


def _bomb_layer(total: int) -> bytes:
    """A gzip stream that inflates to ``total`` bytes of zeros from about total/1000 bytes.

    One flushed deflate block of zeros is repeated (blocks after a full flush do not refer
    back), so building it costs one 16 MiB compression; the trailer is never reached.
    """
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = comp.compress(open_layer([f("keep.txt", K[0])]) + raw_header("zeros.bin", total))
    head += comp.flush(zlib.Z_FULL_FLUSH)
    chunk = 16 * 1024 * 1024
    block = comp.compress(bytes(chunk)) + comp.flush(zlib.Z_FULL_FLUSH)
    return head + block * (total // chunk) + comp.flush()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return _bomb_layer(4 * 1024 * 1024 * 1024)  # 4 GiB of zeros in about 4 MB


def test_gzip_bomb_stops_the_layer_quickly_and_keeps_findings(
    tmp_path: Path, bomb: bytes, sandbox: Path
) -> None:
    ok = gz(layer([f("ok.txt", K[1])]))
    root = oci_dir_with_raw_layers(tmp_path / "bomb", [bomb, ok])
    start = time.monotonic()
    result = scan_image(str(root), Config())
    assert time.monotonic() - start < 15
    assert keys_of(result) == {K[0], K[1]}
    assert any("decompression bomb" in e and "layer 0" in e for e in result.errors)
    assert result.bytes_scanned < 400 * 1024 * 1024


def test_layer_size_limit_from_config(tmp_path: Path, sandbox: Path) -> None:
    big = gz(layer([f("a.txt", K[0]), f("pad.bin", os.urandom(2 * 1024 * 1024)), f("b.txt", K[1])]))
    root = oci_dir_with_raw_layers(tmp_path / "lim", [big])
    result = scan_image(str(root), Config(sections={"image": {"max-layer-bytes": 1024 * 1024}}))
    assert keys_of(result) == {K[0]}
    assert any("passed the limit" in e for e in result.errors)


def test_header_claiming_a_huge_file_with_a_short_body(tmp_path: Path, sandbox: Path) -> None:
    body = f"first part {K[1]}\n".encode()
    data = open_layer([f("before.txt", K[0])]) + raw_header("huge.bin", 8 * 1024**3) + body
    data += b"\0" * ((-len(data)) % 512)
    for name, payload in [("plain", data), ("gzip", gz(data))]:
        root = oci_dir_with_raw_layers(tmp_path / name, [payload])
        result = scan_image(str(root), Config())
        assert keys_of(result) == {K[0], K[1]}, name
        assert any("truncated" in e and "huge.bin" in e for e in result.errors), result.errors


def test_truncated_compressed_layer_keeps_what_was_read(tmp_path: Path, sandbox: Path) -> None:
    data = layer([f("a.txt", K[0]), f("pad.bin", os.urandom(300_000)), f("b.txt", K[1])])
    whole = gz(data)
    cut = whole[: len(whole) // 2]
    path = write_legacy(tmp_path / "t.tar", Image(layers=[data]))
    # replace the layer.tar body with the truncated gzip stream
    with tarfile.open(path) as tf:
        members = [(m.name, tf.extractfile(m).read()) for m in tf.getmembers()]  # type: ignore[union-attr]
    members = [(n, cut if n.endswith("layer.tar") else b) for n, b in members]
    write_tar(path, members)
    result = scan_image(str(path), Config())
    assert keys_of(result) == {K[0]}
    assert any("truncated" in e for e in result.errors)


def test_truncated_outer_archive(tmp_path: Path, sandbox: Path) -> None:
    data = layer([f("a.txt", K[0]), f("pad.bin", os.urandom(400_000)), f("b.txt", K[1])])
    files = layout_members([Image(layers=[data])], compress=False)
    # metadata first, as some tools write it; the layer blob (largest) last
    members = sorted(files.items(), key=lambda item: (len(item[1]), item[0]))
    path = tmp_path / "o.tar"
    write_tar(path, members)
    raw = path.read_bytes()
    cut_at = raw.index(data[:4096]) + 200_000  # inside the layer blob
    path.write_bytes(raw[:cut_at])
    result = scan_image(str(path), Config())
    assert keys_of(result) == {K[0]}
    assert any("truncated" in e for e in result.errors), result.errors


def test_truncated_archive_that_lost_its_manifest_is_unreadable(tmp_path: Path, sandbox: Path) -> None:
    path = write_legacy(tmp_path / "l.tar", Image(layers=[layer([f("a", K[0])])]))
    raw = path.read_bytes()
    path.write_bytes(raw[:300])  # inside manifest.json (the first member)
    with pytest.raises(KeyshiftError):
        scan_image(str(path), Config())


def test_missing_blob_keeps_other_layers_and_config(tmp_path: Path, sandbox: Path) -> None:
    image = Image(layers=[layer([f("a", K[0])]), layer([f("b", K[1])])], env=[f"AWS_ACCESS_KEY_ID={K[2]}"])
    files = layout_members([image])
    index = json.loads(files["index.json"])
    manifest = json.loads(files[f"blobs/sha256/{index['manifests'][0]['digest'][7:]}"])
    del files[f"blobs/sha256/{manifest['layers'][0]['digest'][7:]}"]
    root = write_layout_dir(tmp_path / "missing", files)
    result = scan_image(str(root), Config())
    assert keys_of(result) == {K[1], K[2]}
    assert any("blob is missing" in e and "layer 0" in e for e in result.errors)


def test_digest_mismatch_is_reported_and_findings_flagged(tmp_path: Path, sandbox: Path) -> None:
    image = Image(layers=[layer([f("a", K[0])]), layer([f("b", K[1])])])
    root = write_layout_dir(tmp_path / "mm", layout_members([image], compress=False))
    index = json.loads((root / "index.json").read_bytes())
    manifest = json.loads((root / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_bytes())
    blob = root / "blobs/sha256" / manifest["layers"][1]["digest"][7:]
    data = blob.read_bytes()
    blob.write_bytes(data.replace(K[1].encode(), K[3].encode()))  # same length, other content
    result = scan_image(str(root), Config())
    assert keys_of(result) == {K[0], K[3]}
    assert sum("digest mismatch" in e for e in result.errors) == 1
    flagged = next(x for x in result.findings if x.key_id == K[3])
    assert flagged.note and "digest mismatch" in flagged.note
    clean = next(x for x in result.findings if x.key_id == K[0])
    assert clean.note is None or "digest" not in clean.note


def test_legacy_diff_id_mismatch(tmp_path: Path, sandbox: Path) -> None:
    image = Image(layers=[layer([f("a", K[0])])])
    path = write_legacy(tmp_path / "l.tar", image)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(K[0].encode(), K[4].encode()))
    result = scan_image(str(path), Config())
    assert keys_of(result) == {K[4]}
    assert any("digest mismatch" in e for e in result.errors)


@pytest.mark.parametrize(
    "config_bytes, reason",
    [
        (b"{not json", "invalid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"a": ' + b"[" * 80 + b"1" + b"]" * 80 + b"}", "deeper than 64"),
        (b"\xff\xfe garbage", "invalid JSON"),
        (json.dumps({"config": {"Env": "AWS=1", "Labels": []}, "history": {}}).encode(), "is not a list"),
    ],
    ids=["invalid", "deep-recursion", "deep", "not-utf8", "wrong-types"],
)
def test_bad_config_json_keeps_layer_findings(
    tmp_path: Path, sandbox: Path, config_bytes: bytes, reason: str
) -> None:
    image = Image(layers=[layer([f("a", K[0])])])
    files = layout_members([image])
    index = json.loads(files["index.json"])
    mname = f"blobs/sha256/{index['manifests'][0]['digest'][7:]}"
    manifest = json.loads(files[mname])
    files[f"blobs/sha256/{manifest['config']['digest'][7:]}"] = config_bytes
    root = write_layout_dir(tmp_path / "cfg", files)
    result = scan_image(str(root), Config())
    assert keys_of(result) == {K[0]}
    assert any(reason in e for e in result.errors), result.errors


def test_invalid_tar_header_mid_layer(tmp_path: Path, sandbox: Path) -> None:
    data = open_layer([f("a.txt", K[0])]) + b"\x01garbage" * 64 + layer([f("b.txt", K[1])])
    root = oci_dir_with_raw_layers(tmp_path / "hdr", [data])
    result = scan_image(str(root), Config())
    assert keys_of(result) == {K[0]}
    assert any("invalid tar header" in e for e in result.errors)


def test_huge_pax_header_is_refused(tmp_path: Path, sandbox: Path) -> None:
    info = tarfile.TarInfo("x")
    info.type = tarfile.XHDTYPE
    info.size = 512 * 1024 * 1024
    data = open_layer([f("a.txt", K[0])]) + info.tobuf(tarfile.USTAR_FORMAT) + b"1" * 2048
    root = oci_dir_with_raw_layers(tmp_path / "pax", [data])
    result = scan_image(str(root), Config())
    assert keys_of(result) == {K[0]}
    assert any("metadata header claims" in e for e in result.errors)


def test_nested_member_over_limit_is_skipped(tmp_path: Path, sandbox: Path) -> None:
    from imagebuild import zip_bytes

    inner = zip_bytes({"big.txt": b"0" * (2 * 1024 * 1024) + K[0].encode(), "small.txt": K[1]})
    path = write_legacy(tmp_path / "z.tar", Image(layers=[layer([f("a.zip", inner)])]))
    result = scan_image(str(path), Config(sections={"image": {"max-nested-bytes": 1024 * 1024}}))
    assert keys_of(result) == {K[1]}
    assert any("nested file larger than" in s.reason for s in result.skipped)


def test_manifest_pointing_outside_the_archive(tmp_path: Path, sandbox: Path) -> None:
    secret_file = tmp_path / "outside.tar"
    secret_file.write_bytes(layer([f("x", K[0])]))
    image = Image(layers=[layer([f("y", K[1])])])
    root = write_layout_dir(tmp_path / "d", layout_members([image], compress=False, docker_manifest=True))
    manifest = json.loads((root / "manifest.json").read_bytes())
    manifest[0]["Layers"].insert(0, "../outside.tar")
    manifest[0]["Layers"].append("/etc/hostname")
    (root / "manifest.json").write_text(json.dumps(manifest))
    (root / "blobs" / "link").symlink_to(secret_file)
    manifest[0]["Layers"].append("blobs/link")
    (root / "manifest.json").write_text(json.dumps(manifest))
    result = scan_image(str(root), Config())
    assert keys_of(result) == {K[1]}
    assert sum("blob is missing" in e for e in result.errors) == 3


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "not a readable tar archive|not an image"),
        (b"hello world, not an image\n" * 40, "not a readable tar archive|not an image"),
        (gz(b"x" * 1000), "not a readable tar archive|not an image"),
    ],
)
def test_unreadable_images_raise(tmp_path: Path, sandbox: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.tar"
    path.write_bytes(content)
    with pytest.raises(KeyshiftError, match=message):
        scan_image(str(path), Config())


def test_archive_with_broken_manifest_raises(tmp_path: Path, sandbox: Path) -> None:
    path = tmp_path / "m.tar"
    write_tar(path, [("manifest.json", b"{broken")])
    with pytest.raises(KeyshiftError, match=r"manifest\.json"):
        scan_image(str(path), Config())
    write_tar(path, [("index.json", json.dumps({"manifests": [{"digest": "sha256:" + "0" * 64}]}).encode())])
    with pytest.raises(KeyshiftError, match="no readable image"):
        scan_image(str(path), Config())


def test_image_whose_every_part_is_unreadable_raises(tmp_path: Path, sandbox: Path) -> None:
    root = oci_dir_with_raw_layers(tmp_path / "allbad", [b"\x01garbage" * 100], cfg={"marker": 1})
    cfg_name = next(p for p in (root / "blobs/sha256").iterdir() if p.read_bytes().startswith(b'{"marker"'))
    cfg_name.write_bytes(b"nope")
    with pytest.raises(KeyshiftError, match="could not be read at all"):
        scan_image(str(root), Config())


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(KeyshiftError, match="not found"):
        scan_image(str(tmp_path / "nope.tar"), Config())


def test_garbage_after_gzip_and_multimember_gzip(tmp_path: Path, sandbox: Path) -> None:
    data = layer([f("a.txt", K[0]), f("b.txt", K[1])])
    half = len(data) // 2
    multi = gz(data[:half]) + gz(data[half:])
    garbage = gz(data) + b"TRAILING-JUNK"
    root = oci_dir_with_raw_layers(tmp_path / "mm", [multi, garbage])
    result = scan_image(str(root), Config())
    assert keys_of(result) == {K[0], K[1]}
    assert [x.image.layer_index for x in result.findings if x.key_id == K[0]] == [0, 1]  # type: ignore[union-attr]
    assert any("unexpected data after the compressed stream" in e for e in result.errors)


def test_many_tiny_members_are_bounded(tmp_path: Path, sandbox: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for i in range(3000):
            tf.addfile(tarfile.TarInfo(f"d/{i}"), io.BytesIO(b""))
    root = oci_dir_with_raw_layers(tmp_path / "many", [buf.getvalue()])
    cfg = Config(sections={"image": {}})
    from keyshift.sources.image import limits as limits_mod

    result = scan_image(str(root), cfg)
    assert result.files_scanned == 3000 and not result.errors
    assert limits_mod.Limits().max_members >= 1_000_000


def test_compressed_outer_archive_bomb_and_truncation(tmp_path: Path, bomb: bytes, sandbox: Path) -> None:
    # a .tar.gz whose gzip stream is a bomb: stopped by the ratio bound, nothing left in temp space
    path = tmp_path / "bomb.tar.gz"
    path.write_bytes(bomb)
    start = time.monotonic()
    with pytest.raises(KeyshiftError):
        scan_image(str(path), Config())
    assert time.monotonic() - start < 15
    # a truncated .tar.gz still yields what precedes the cut
    image = Image(layers=[layer([f("a", K[0])]), layer([f("pad", os.urandom(300_000)), f("b", K[1])])])
    plain = write_legacy(tmp_path / "plain.tar", image)
    whole = gz(plain.read_bytes())
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: int(len(whole) * 0.8)])
    result = scan_image(str(cut), Config())
    assert K[0] in keys_of(result)
    assert any("truncated" in e for e in result.errors)


def test_nested_zip_bomb_is_bounded_per_layer(tmp_path: Path, sandbox: Path) -> None:
    from imagebuild import zip_bytes

    big = b"0" * (3 * 1024 * 1024)
    inner = zip_bytes({f"f{i}.txt": big for i in range(4)})
    outer = zip_bytes({f"z{i}.zip": inner for i in range(8)})
    files = [f(f"lib/o{i}.jar", outer) for i in range(4)] + [f("plain.txt", K[0])]
    path = write_legacy(tmp_path / "nb.tar", Image(layers=[layer(files)]))
    cfg = Config(sections={"image": {"max-nested-total": 20 * 1024 * 1024}})
    start = time.monotonic()
    result = scan_image(str(path), cfg)
    assert time.monotonic() - start < 10
    assert keys_of(result) == {K[0]}
    assert any("passed 20971520 decompressed bytes" in s.reason for s in result.skipped)


def test_zstd_layers_and_zstd_bomb(tmp_path: Path, sandbox: Path) -> None:
    zstandard = pytest.importorskip("zstandard")
    ok = zstandard.ZstdCompressor().compress(layer([f("z.txt", K[2])]))
    comp = zstandard.ZstdCompressor(level=3).compressobj()
    parts = [comp.compress(open_layer([f("first.txt", K[3])]) + raw_header("zeros.bin", 4 * 1024**3))]
    zeros = bytes(16 * 1024 * 1024)
    for _ in range(16):  # 256 MiB of zeros
        parts.append(comp.compress(zeros))
    parts.append(comp.flush())
    bomb = b"".join(parts)
    root = oci_dir_with_raw_layers(tmp_path / "zstd", [ok, bomb])
    start = time.monotonic()
    result = scan_image(str(root), Config())
    assert time.monotonic() - start < 15
    assert keys_of(result) == {K[2], K[3]}
    assert any("layer 1" in e and "decompression bomb" in e for e in result.errors)
    assert not any("layer 0" in e for e in result.errors)


def test_legacy_archive_without_config_still_names_layer_digests(tmp_path: Path, sandbox: Path) -> None:
    raw = layer([f("a", K[0])])
    manifest = [{"Config": "missing.json", "RepoTags": [], "Layers": ["abc/layer.tar"]}]
    path = tmp_path / "noconf.tar"
    write_tar(path, [("manifest.json", json.dumps(manifest).encode()), ("abc/layer.tar", raw)])
    result = scan_image(str(path), Config())
    hit = next(x for x in result.findings if x.key_id == K[0])
    assert hit.image is not None and hit.image.layer_digest == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert any("image config" in e and "missing" in e for e in result.errors)


def test_fifo_and_device_refs_do_not_block(tmp_path: Path, sandbox: Path) -> None:
    fifo = tmp_path / "image.tar"
    os.mkfifo(fifo)
    with pytest.raises(KeyshiftError, match="not a regular file"):
        scan_image(str(fifo), Config())
    with pytest.raises(KeyshiftError, match="not a regular file"):
        scan_image("/dev/zero", Config())
    layout = write_layout_dir(
        tmp_path / "fifo-layout", layout_members([Image(layers=[layer([f("a", K[0])])])])
    )
    (layout / "index.json").unlink()
    os.mkfifo(layout / "index.json")
    with pytest.raises(KeyshiftError):
        scan_image(str(layout), Config())


def test_file_stuffed_with_key_ids_is_capped(tmp_path: Path, sandbox: Path) -> None:
    from keyshift.sources.image.layers import MAX_KEY_IDS_PER_FILE

    stuffed = "".join(f"{fake_key_id(seed=f'stuff{i % 50}')}\n" for i in range(100_000)).encode()
    path = write_legacy(
        tmp_path / "stuffed.tar", Image(layers=[layer([f("keys.txt", stuffed), f("b", K[0])])])
    )
    start = time.monotonic()
    result = scan_image(str(path), Config())
    assert time.monotonic() - start < 30
    from_file = [x for x in result.findings if x.path == "keys.txt"]
    assert 0 < len(from_file) <= MAX_KEY_IDS_PER_FILE
    assert K[0] in keys_of(result)
    assert any("key IDs in one file" in s.reason for s in result.skipped)


def test_config_and_manifest_digest_mismatch_in_layout(tmp_path: Path, sandbox: Path) -> None:
    image = Image(layers=[layer([f("a", K[0])])], env=[f"AWS_ACCESS_KEY_ID={K[1]}"])
    root = write_layout_dir(tmp_path / "cm", layout_members([image]))
    index = json.loads((root / "index.json").read_bytes())
    mpath = root / "blobs/sha256" / index["manifests"][0]["digest"][7:]
    manifest = json.loads(mpath.read_bytes())
    cpath = root / "blobs/sha256" / manifest["config"]["digest"][7:]
    cpath.write_bytes(cpath.read_bytes().replace(K[1].encode(), K[2].encode()))
    manifest["annotations"] = {"tampered": "yes"}
    mpath.write_bytes(json.dumps(manifest).encode())
    result = scan_image(str(root), Config())
    assert keys_of(result) == {K[0], K[2]}
    assert any("image config: digest mismatch" in e for e in result.errors)
    assert any("manifest sha256:" in e and "digest mismatch" in e for e in result.errors)
    tampered = next(x for x in result.findings if x.key_id == K[2])
    assert tampered.note and "task role" in tampered.note and "digest mismatch" in tampered.note
