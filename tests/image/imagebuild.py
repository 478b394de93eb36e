"""Build container images byte by byte for the image tests (no Docker engine involved).

Layers are tars made with ``tarfile`` (or raw headers for hostile cases); images are written
in the three on-disk layouts keyshift reads: legacy ``docker save``, Docker 25+ ``docker
save`` (OCI-based) and the OCI image layout (directory or tar).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Entry:
    name: str
    data: bytes | None = None  # regular file body
    kind: str = "file"  # file | dir | symlink | hardlink
    target: str = ""


def f(name: str, text: str | bytes) -> Entry:
    return Entry(name, text.encode() if isinstance(text, str) else text)


def d(name: str) -> Entry:
    return Entry(name, kind="dir")


def wh(path: str) -> Entry:
    """Whiteout deleting ``path`` from lower layers."""
    head, _, base = path.rpartition("/")
    return Entry(f"{head}/.wh.{base}" if head else f".wh.{base}", b"")


def opq(directory: str) -> Entry:
    return Entry(f"{directory}/.wh..wh..opq", b"")


def layer(entries: Iterable[Entry], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in entries:
            info = tarfile.TarInfo(e.name)
            info.mtime = 0
            if e.kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tf.addfile(info)
            elif e.kind in ("symlink", "hardlink"):
                info.type = tarfile.SYMTYPE if e.kind == "symlink" else tarfile.LNKTYPE
                info.linkname = e.target
                tf.addfile(info)
            else:
                data = e.data or b""
                info.size = len(data)
                info.mode = 0o644
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def open_layer(entries: Iterable[Entry]) -> bytes:
    """A layer tar without its end-of-archive blocks, so more (hostile) bytes can follow."""
    raw = layer(entries)
    end = len(raw.rstrip(b"\0"))
    return raw[: end + (-end) % 512]


def zip_bytes(files: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


@dataclass
class Image:
    layers: Sequence[bytes]  # uncompressed layer tars
    env: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    platform: tuple[str, str] = ("linux", "amd64")

    def config(self) -> dict[str, Any]:
        cfg: dict[str, Any] = {
            "architecture": self.platform[1],
            "os": self.platform[0],
            "config": {"Env": self.env, "Labels": self.labels or None},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha(x)}" for x in self.layers]},
            "history": [{"created_by": h} for h in self.history],
        }
        return cfg

    def config_bytes(self) -> bytes:
        return json.dumps(self.config(), sort_keys=True).encode()


def write_legacy(path: Path, image: Image, *, gzip_layers: bool = False) -> Path:
    """``docker save`` before Docker 25: ``<id>/layer.tar`` and ``<sha>.json``."""
    cfg = image.config_bytes()
    cfg_name = f"{sha(cfg)}.json"
    members: list[tuple[str, bytes]] = [(cfg_name, cfg)]
    names = []
    for i, raw in enumerate(image.layers):
        lid = sha(raw + bytes([i]))
        names.append(f"{lid}/layer.tar")
        members.append((f"{lid}/VERSION", b"1.0"))
        members.append((f"{lid}/layer.tar", gz(raw) if gzip_layers else raw))
    manifest = [{"Config": cfg_name, "RepoTags": ["team/app:1"], "Layers": names}]
    members.insert(0, ("manifest.json", json.dumps(manifest).encode()))
    write_tar(path, members)
    return path


def write_tar(path: Path, members: Sequence[tuple[str, bytes]]) -> None:
    with tarfile.open(path, "w") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            tf.addfile(info, io.BytesIO(data))


def oci_blobs(image: Image, *, compress: bool) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Blobs (digest -> bytes) and the manifest descriptor of one image."""
    blobs: dict[str, bytes] = {}
    cfg = image.config_bytes()
    blobs[sha(cfg)] = cfg
    layer_descs = []
    for raw in image.layers:
        data = gz(raw) if compress else raw
        blobs[sha(data)] = data
        layer_descs.append(
            {
                "mediaType": OCI_LAYER_GZ if compress else OCI_LAYER,
                "digest": f"sha256:{sha(data)}",
                "size": len(data),
            }
        )
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": f"sha256:{sha(cfg)}", "size": len(cfg)},
        "layers": layer_descs,
    }
    mbytes = json.dumps(manifest, sort_keys=True).encode()
    blobs[sha(mbytes)] = mbytes
    desc = {
        "mediaType": OCI_MANIFEST,
        "digest": f"sha256:{sha(mbytes)}",
        "size": len(mbytes),
        "platform": {"os": image.platform[0], "architecture": image.platform[1]},
    }
    return blobs, desc


def layout_members(
    images: Sequence[Image], *, compress: bool = True, docker_manifest: bool = False
) -> dict[str, bytes]:
    """Files of an OCI layout (Docker 25+ ``docker save`` adds ``manifest.json``)."""
    files: dict[str, bytes] = {"oci-layout": b'{"imageLayoutVersion": "1.0.0"}'}
    descs = []
    docker_entries = []
    for image in images:
        blobs, desc = oci_blobs(image, compress=compress)
        for digest, data in blobs.items():
            files[f"blobs/sha256/{digest}"] = data
        descs.append(desc)
        manifest = json.loads(files[f"blobs/sha256/{desc['digest'][7:]}"])
        docker_entries.append(
            {
                "Config": f"blobs/sha256/{manifest['config']['digest'][7:]}",
                "RepoTags": ["team/app:1"],
                "Layers": [f"blobs/sha256/{x['digest'][7:]}" for x in manifest["layers"]],
            }
        )
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descs}
    files["index.json"] = json.dumps(index, sort_keys=True).encode()
    if docker_manifest:
        files["manifest.json"] = json.dumps(docker_entries).encode()
    return files


def write_layout_dir(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def write_layout_tar(path: Path, files: dict[str, bytes]) -> Path:
    write_tar(path, sorted(files.items()))
    return path


def raw_header(name: str, size: int, typeflag: bytes = b"0", linkname: str = "") -> bytes:
    """A ustar header block with any claimed size (for lying-header tests)."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.type = typeflag
    info.linkname = linkname
    info.mtime = 0
    return info.tobuf(tarfile.GNU_FORMAT)
