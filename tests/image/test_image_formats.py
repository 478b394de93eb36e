"""Every on-disk image layout, with keys in every hiding place: layer, deleted status, config field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from imagebuild import Image, d, f, gz, layer, layout_members, opq, wh, write_layout_dir, zip_bytes
from imagecases import AIDA_ID, EXAMPLE_KEY, FORMATS, Keys, standard_image

from keyshift.config import Config
from keyshift.model import CredentialKind, Finding, SourceKind
from keyshift.sources.image import scan_image


def by_key(findings: tuple[Finding, ...], key: str, field: str | None = None) -> list[Finding]:
    return [
        x
        for x in findings
        if x.key_id == key and x.kind is CredentialKind.ACCESS_KEY_ID and (x.image and x.image.field) == field
    ]


def one(findings: tuple[Finding, ...], key: str, field: str | None = None) -> Finding:
    found = by_key(findings, key, field)
    assert len(found) == 1, (key, field, [(x.path, x.image) for x in findings if x.key_id == key])
    return found[0]


# key attribute, path, layer index, deleted_by_layer (None = still visible)
LAYER_CASES = [
    ("visible", "app/settings.py", 0, None),
    ("deleted", "app/old.env", 0, 1),
    ("opaque", "etc/cfg/aws.ini", 0, 1),
    ("overwritten", "srv/boot.sh", 0, 2),
    ("same_layer", "tmp/twice.txt", 0, 0),
    ("nested", "opt/lib/bundle.jar!conf/aws.properties", 1, None),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_layout_finds_every_key_with_layer_and_status(
    fmt: str, keys: Keys, build: Callable[[str, Image], Path], sandbox: Path
) -> None:
    path = build(fmt, standard_image(keys))
    result = scan_image(str(path), Config())
    assert not [e for e in result.errors if "archive was gzip" not in e], result.errors
    assert all(x.source is SourceKind.IMAGE for x in result.findings)
    for attr, file_path, layer_index, deleted_by in LAYER_CASES:
        hit = one(result.findings, getattr(keys, attr))
        assert hit.rule_id == "KS102"
        assert hit.path == file_path
        assert hit.image is not None
        assert hit.image.layer_index == layer_index
        assert hit.image.layer_digest and hit.image.layer_digest.startswith("sha256:")
        assert hit.image.deleted is (deleted_by is not None), attr
        assert hit.image.deleted_by_layer == deleted_by, attr
        assert hit.image.ref == str(path)
    env = one(result.findings, keys.env, "env")
    assert (env.rule_id, env.path, env.image.env_index, env.image.layer_index) == (
        "KS103",
        "<config>",
        1,
        None,
    )
    assert env.note and "task role" in env.note
    label = one(result.findings, keys.label, "label")
    assert label.rule_id == "KS103" and label.image.layer_digest is None
    hist = one(result.findings, keys.history, "history")
    assert hist.image.history_index == 1
    arg = one(result.findings, keys.arg, "history")
    assert arg.image.history_index == 2
    # the secret beside the deleted key ID is reported (hashed), paired with its key ID
    secrets = [x for x in result.findings if x.kind is CredentialKind.SECRET_ACCESS_KEY]
    assert [(x.path, x.key_id, x.image.deleted) for x in secrets] == [("app/old.env", keys.deleted, True)]
    assert secrets[0].secret_sha1 and keys.secret not in repr(result)
    # look-alike negatives are never findings
    every = result.findings
    assert EXAMPLE_KEY not in {x.key_id for x in every}
    assert not [x for x in every if AIDA_ID in (x.key_id or "")]


@pytest.mark.parametrize("fmt", ["legacy", "oci-tar"])
def test_layer_digest_matches_the_manifest(fmt: str, keys: Keys, build: Callable[[str, Image], Path]) -> None:
    import hashlib

    image = standard_image(keys)
    path = build(fmt, image)
    result = scan_image(str(path), Config())
    hit = one(result.findings, keys.visible)
    raw = image.layers[0]
    expected = hashlib.sha256(raw if fmt == "legacy" else gz(raw)).hexdigest()
    assert hit.image is not None and hit.image.layer_digest == f"sha256:{expected}"


def test_clean_image_has_no_findings(build: Callable[[str, Image], Path]) -> None:
    image = Image(
        layers=[layer([f("app/main.py", "print('hello')\n"), f("docs/a.md", f"{EXAMPLE_KEY}\n")])],
        env=["PATH=/usr/bin", f"EXAMPLE={EXAMPLE_KEY}"],
        history=['/bin/sh -c #(nop) CMD ["app"]'],
    )
    result = scan_image(str(build("oci-dir", image)), Config())
    assert result.findings == ()
    assert result.errors == ()
    assert result.files_scanned == 2


def test_whiteout_of_a_parent_directory_and_file_replacing_directory(
    build: Callable[[str, Image], Path],
) -> None:
    from keyshift.fakes import fake_key_id

    k1, k2, k3 = (fake_key_id(seed=f"wd{i}") for i in range(3))
    image = Image(
        layers=[
            layer([f("a/b/c.txt", k1), f("x/y/z.txt", k2), f("keep/k.txt", k3)]),
            layer([wh("a")]),
            layer([f("x", "now a file")]),
        ]
    )
    result = scan_image(str(build("legacy", image)), Config())
    assert one(result.findings, k1).image.deleted_by_layer == 1
    assert one(result.findings, k2).image.deleted_by_layer == 2
    assert one(result.findings, k3).image.deleted is False


def test_opaque_marker_hides_only_lower_layers(build: Callable[[str, Image], Path]) -> None:
    from keyshift.fakes import fake_key_id

    low, same = fake_key_id(seed="op1"), fake_key_id(seed="op2")
    image = Image(layers=[layer([f("d/low.txt", low)]), layer([d("d"), opq("d"), f("d/new.txt", same)])])
    result = scan_image(str(build("oci-tar", image)), Config())
    assert one(result.findings, low).image.deleted_by_layer == 1
    assert one(result.findings, same).image.deleted is False


def test_nested_archives_to_bounded_depth(build: Callable[[str, Image], Path]) -> None:
    from keyshift.fakes import fake_key_id

    k_zip, k_tgz, k_gz, k_deep = (fake_key_id(seed=f"n{i}") for i in range(4))
    inner_tar = layer([f("conf/creds", f"id={k_tgz}")])
    deep = zip_bytes({"l1.zip": zip_bytes({"l2.zip": zip_bytes({"l3.zip": zip_bytes({"k": k_deep})})})})
    image = Image(
        layers=[
            layer(
                [
                    f("a.zip", zip_bytes({"in/k.txt": k_zip})),
                    f("b.tgz", gz(inner_tar)),
                    f("c.txt.gz", gz(f"x={k_gz}".encode())),
                    f("deep.zip", deep),
                ]
            )
        ]
    )
    result = scan_image(str(build("oci-dir", image)), Config())
    assert one(result.findings, k_zip).path == "a.zip!in/k.txt"
    assert one(result.findings, k_tgz).path == "b.tgz!conf/creds"
    assert one(result.findings, k_gz).path == "c.txt.gz!c.txt"
    assert by_key(result.findings, k_deep) == []
    assert any("deeper than" in s.reason for s in result.skipped)


def test_multi_platform_layout_with_platform_choice(tmp_path: Path) -> None:
    from keyshift.fakes import fake_key_id

    amd, arm = fake_key_id(seed="amd"), fake_key_id(seed="arm")
    images = [
        Image(layers=[layer([f("k", amd)])], platform=("linux", "amd64")),
        Image(layers=[layer([f("k", arm)])], platform=("linux", "arm64")),
    ]
    root = write_layout_dir(tmp_path / "multi", layout_members(images))
    default = scan_image(str(root), Config())  # every platform when none is chosen
    assert {(x.key_id, x.image.ref) for x in default.findings} == {
        (amd, f"{root}#linux/amd64"),
        (arm, f"{root}#linux/arm64"),
    }
    assert default.errors == () and default.stats["platforms"] == ["linux/amd64", "linux/arm64"]
    chosen = scan_image(str(root), Config(), platform="linux/arm64")
    assert {(x.key_id, x.image.ref) for x in chosen.findings} == {(arm, str(root))}
    assert chosen.errors == ()
    from keyshift.errors import KeyshiftError

    with pytest.raises(KeyshiftError, match="no image for platform windows/amd64"):
        scan_image(str(root), Config(), platform="windows/amd64")


def test_large_file_is_scanned_in_windows(build: Callable[[str, Image], Path]) -> None:
    from keyshift.fakes import fake_key_id

    k = fake_key_id(seed="big")
    body = (b"x" * 99 + b"\n") * 3000 + f"key={k}\n".encode() + b"y" * 5000
    image = Image(layers=[layer([f("big.log", body)])])
    cfg = Config(max_file_size=64 * 1024, sections={"image": {"window": 32 * 1024}})
    result = scan_image(str(build("legacy", image)), cfg)
    hit = one(result.findings, k)
    assert hit.line == 3001
    assert result.stats["windowed_files"] == 1 and result.skipped == ()


def test_inline_ignore_suppresses_layer_finding(build: Callable[[str, Image], Path]) -> None:
    from keyshift.fakes import fake_key_id

    k = fake_key_id(seed="pragma")
    image = Image(layers=[layer([f("app.py", f'KEY = "{k}"  # pragma: allowlist secret\n')])])
    path = build("legacy", image)
    result = scan_image(str(path), Config())
    assert result.findings == () and [x.key_id for x in result.suppressed] == [k]
    audit = scan_image(str(path), Config(inline_ignores=False))
    assert [x.key_id for x in audit.findings] == [k]


def test_unknown_image_setting_is_an_error(build: Callable[[str, Image], Path]) -> None:
    from keyshift.errors import KeyshiftError

    path = build("legacy", Image(layers=[layer([f("a", "b")])]))
    with pytest.raises(KeyshiftError, match="max-layer-byte"):
        scan_image(str(path), Config(sections={"image": {"max-layer-byte": 1}}))


def test_parallel_workers_give_the_same_result(tmp_path: Path) -> None:
    import os

    from keyshift.fakes import fake_key_id

    rnd = os.urandom(3 * 1024 * 1024)
    ks = [fake_key_id(seed=f"par{i}") for i in range(4)]
    layers = [layer([f(f"blob{i}.bin", rnd), f(f"k{i}.txt", ks[i])]) for i in range(4)]
    layers.append(layer([wh("k1.txt")]))
    root = write_layout_dir(tmp_path / "par", layout_members([Image(layers=layers)]))
    serial = scan_image(str(root), Config(jobs=1))
    parallel = scan_image(str(root), Config(jobs=2))
    assert serial.findings == parallel.findings
    assert [x.image.deleted for x in parallel.findings] == [False, True, False, False]


def test_buildkit_history_args_and_run_lines(build: Callable[[str, Image], Path]) -> None:
    from keyshift.fakes import fake_key_id, fake_secret

    k1, s1, k2 = fake_key_id(seed="bk1"), fake_secret("bk1"), fake_key_id(seed="bk2")
    image = Image(
        layers=[layer([f("app/run.sh", "exec app\n")])],
        history=[
            "ARG AWS_SECRET_ACCESS_KEY",
            f"RUN |2 AWS_ACCESS_KEY_ID={k1} AWS_SECRET_ACCESS_KEY={s1} /bin/sh -c ./deploy.sh # buildkit",
            f"RUN /bin/sh -c aws configure set aws_access_key_id {k2} # buildkit",
        ],
    )
    result = scan_image(str(build("oci-tar", image)), Config())
    rows = sorted((x.kind.value, x.key_id, x.image.history_index) for x in result.findings if x.image)
    assert rows == [
        ("access_key_id", k1, 1),
        ("access_key_id", k2, 2),
        ("secret_access_key", k1, 1),
    ]
    assert all(x.rule_id == "KS103" and x.image.field == "history" for x in result.findings if x.image)


def test_docker_archive_with_several_images(tmp_path: Path) -> None:
    import json

    from imagebuild import write_tar

    from keyshift.fakes import fake_key_id

    k1, k2 = fake_key_id(seed="multi1"), fake_key_id(seed="multi2")
    files = layout_members(
        [
            Image(layers=[layer([f("a", k1)])]),
            Image(layers=[layer([f("b", k2)])], platform=("linux", "arm64")),
        ],
        compress=False,
        docker_manifest=True,
    )
    entries = json.loads(files["manifest.json"])
    entries[0]["RepoTags"], entries[1]["RepoTags"] = ["team/one:1"], ["team/two:2"]
    files["manifest.json"] = json.dumps(entries).encode()
    path = tmp_path / "two.tar"
    write_tar(path, sorted(files.items()))
    result = scan_image(str(path), Config())
    assert {(x.key_id, x.image.ref) for x in result.findings} == {
        (k1, f"{path}#team/one:1"),
        (k2, f"{path}#team/two:2"),
    }
    assert result.stats["images"] == 2
