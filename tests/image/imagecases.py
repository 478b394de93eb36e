"""The standard test image (keys in every hiding place) and the layouts it is written in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imagebuild import (
    Image,
    d,
    f,
    gz,
    layer,
    layout_members,
    opq,
    wh,
    write_layout_dir,
    write_layout_tar,
    write_legacy,
    zip_bytes,
)

from keyshift.fakes import fake_key_id, fake_secret

EXAMPLE_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS documentation example: a negative
AIDA_ID = "AIDA" + "JQABLZS4A3QDU576Q"  # a user ID, not an access key: a negative


@dataclass(frozen=True)
class Keys:
    visible: str
    deleted: str
    opaque: str
    overwritten: str
    nested: str
    env: str
    label: str
    history: str
    arg: str
    same_layer: str
    secret: str


def make_keys() -> Keys:
    ids = [fake_key_id("123456789012", seed=f"img{i}") for i in range(10)]
    return Keys(*ids, secret=fake_secret("img"))  # type: ignore[call-arg]


def standard_image(keys: Keys) -> Image:
    """Three layers: keys visible, whiteout-deleted, opaque-deleted, overwritten, nested, config-borne."""
    base = layer(
        [
            d("app"),
            f("app/settings.py", f'AWS_ACCESS_KEY_ID = "{keys.visible}"\n'),
            f("app/old.env", f"AWS_ACCESS_KEY_ID={keys.deleted}\nAWS_SECRET_ACCESS_KEY={keys.secret}\n"),
            d("etc"),
            d("etc/cfg"),
            f("etc/cfg/aws.ini", f"[default]\naws_access_key_id = {keys.opaque}\n"),
            f("srv/boot.sh", f"export AWS_ACCESS_KEY_ID={keys.overwritten}\n"),
            f("docs/example.md", f"use {EXAMPLE_KEY} as a placeholder; {AIDA_ID} is a user id\n"),
            f("tmp/twice.txt", f"id {keys.same_layer}\n"),
            f("tmp/twice.txt", "clean now\n"),
        ]
    )
    middle = layer(
        [
            wh("app/old.env"),
            opq("etc/cfg"),
            f("etc/cfg/other.ini", "[default]\nregion = eu-west-1\n"),
            f(
                "opt/lib/bundle.jar",
                zip_bytes({"META-INF/x": "x", "conf/aws.properties": f"key={keys.nested}\n"}),
            ),
        ]
    )
    top = layer([f("srv/boot.sh", "exec app\n")])
    return Image(
        layers=[base, middle, top],
        env=["PATH=/usr/bin", f"AWS_ACCESS_KEY_ID={keys.env}"],
        labels={"maintainer": "team", "build.key": keys.label},
        history=[
            "/bin/sh -c #(nop) ADD file:abc in / ",
            f"/bin/sh -c #(nop)  ENV AWS_ACCESS_KEY_ID={keys.history}",
            f"|1 AWS_KEY={keys.arg} /bin/sh -c ./build.sh",
        ],
    )


FORMATS = ["legacy", "legacy-gzip", "docker25", "oci-dir", "oci-tar", "oci-tar-plain", "legacy-outer-gzip"]


def write_format(fmt: str, image: Image, tmp: Path) -> Path:
    if fmt == "legacy":
        return write_legacy(tmp / "img.tar", image)
    if fmt == "legacy-gzip":
        return write_legacy(tmp / "img.tar", image, gzip_layers=True)
    if fmt == "legacy-outer-gzip":
        plain = write_legacy(tmp / "plain.tar", image)
        out = tmp / "img.tar.gz"
        out.write_bytes(gz(plain.read_bytes()))
        plain.unlink()
        return out
    if fmt == "docker25":
        return write_layout_tar(
            tmp / "img.tar", layout_members([image], compress=False, docker_manifest=True)
        )
    if fmt == "oci-dir":
        return write_layout_dir(tmp / "layout", layout_members([image]))
    if fmt == "oci-tar":
        return write_layout_tar(tmp / "img.tar", layout_members([image]))
    if fmt == "oci-tar-plain":
        return write_layout_tar(tmp / "img.tar", layout_members([image], compress=False))
    raise AssertionError(fmt)
