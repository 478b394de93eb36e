"""The layer machinery on its own: tar walking against tarfile, bounded inflation, names, history."""

from __future__ import annotations

import gzip
import io
import tarfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.sources.image.blobs import clean_name, load_json
from keyshift.sources.image.config import _history_lines
from keyshift.sources.image.formats import select_platform
from keyshift.sources.image.stream import ExactReader, HashingReader, Inflater, LayerProblem
from keyshift.sources.image.tarwalk import DIR, REGULAR, SYMLINK, TarWalker, normalise

name_part = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-é", min_size=1, max_size=40).filter(
    lambda s: s not in (".", "..")
)
member = st.tuples(
    st.lists(name_part, min_size=1, max_size=6).map("/".join),
    st.sampled_from(["file", "dir", "symlink"]),
    st.binary(max_size=3000),
)


def build_tar(members: list[tuple[str, str, bytes]], fmt: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = "../" + name
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)] or [b""]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.lists(member, max_size=12),
    fmt=st.sampled_from([tarfile.GNU_FORMAT, tarfile.PAX_FORMAT, tarfile.USTAR_FORMAT]),
    chunk=st.integers(min_value=1, max_value=5000),
)
def test_walker_agrees_with_tarfile(members: list[tuple[str, str, bytes]], fmt: int, chunk: int) -> None:
    try:
        raw = build_tar(members, fmt)
    except ValueError:  # ustar cannot hold some names; nothing to compare
        return
    expected = []
    with tarfile.open(fileobj=io.BytesIO(raw)) as tf:
        for info in tf:
            body = tf.extractfile(info).read() if info.isreg() else b""  # type: ignore[union-attr]
            kind = REGULAR if info.isreg() else DIR if info.isdir() else SYMLINK
            expected.append((normalise(info.name)[0], kind, body))
    walker = TarWalker(ExactReader(iter(chunked(raw, chunk))), max_members=1000)
    got = []
    for m in walker:
        body = walker.read_body(m.size) if m.kind == REGULAR else b""
        got.append((m.path, m.kind, body))
    assert got == expected
    assert walker.ended_cleanly


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=200_000), parts=st.integers(min_value=1, max_value=4))
def test_inflater_round_trips_multi_member_gzip(data: bytes, parts: int) -> None:
    step = max(1, len(data) // parts)
    pieces = [data[i : i + step] for i in range(0, len(data), step)] or [b""]
    blob = b"".join(gzip.compress(p) for p in pieces)
    raw = HashingReader(io.BytesIO(blob))
    inflater = Inflater(raw, max_bytes=1 << 30, max_ratio=10**9, ratio_floor=0)
    assert b"".join(inflater.chunks()) == data
    assert raw.count == len(blob)


@pytest.mark.parametrize(
    "compress",
    [gzip.compress, lambda d: __import__("bz2").compress(d), lambda d: __import__("lzma").compress(d)],
)
def test_inflater_detects_truncation(compress: object) -> None:
    blob = compress(bytes(range(256)) * 2000)  # type: ignore[operator]
    inflater = Inflater(
        HashingReader(io.BytesIO(blob[: len(blob) // 2])), max_bytes=1 << 30, max_ratio=1000, ratio_floor=0
    )
    with pytest.raises(LayerProblem, match=r"truncated|corrupt"):
        for _ in inflater.chunks():
            pass


def test_inflater_ratio_and_size_bounds() -> None:
    blob = gzip.compress(bytes(50 * 1024 * 1024))
    ratio = Inflater(HashingReader(io.BytesIO(blob)), max_bytes=1 << 40, max_ratio=100, ratio_floor=1 << 20)
    with pytest.raises(LayerProblem, match="ratio over 100:1"):
        for _ in ratio.chunks():
            pass
    size = Inflater(HashingReader(io.BytesIO(blob)), max_bytes=1 << 20, max_ratio=10**9, ratio_floor=0)
    with pytest.raises(LayerProblem, match="passed the limit"):
        for _ in size.chunks():
            pass
    assert size.produced <= (1 << 20) + 1024 * 1024


@pytest.mark.parametrize(
    "raw, path, note",
    [
        ("a/b", "a/b", None),
        ("./a/./b/", "a/b", None),
        ("/etc/passwd", "etc/passwd", "absolute member name"),
        ("../x", "x", "member name escapes the root with '..'"),
        ("a/../../x", "x", "member name escapes the root with '..'"),
        ("a/../b", "b", "member name contains '..'"),
        ("", "", None),
    ],
)
def test_normalise(raw: str, path: str, note: str | None) -> None:
    assert normalise(raw) == (path, note)


@pytest.mark.parametrize(
    "name, clean",
    [("manifest.json", "manifest.json"), ("blobs/sha256/ab", "blobs/sha256/ab"), ("../x", None), ("/x", None),
     ("a/../../x", None), ("a/./b", "a/b"), ("", None)],
)  # fmt: skip
def test_clean_name(name: str, clean: str | None) -> None:
    assert clean_name(name) == clean


@pytest.mark.parametrize(
    "created_by, lines",
    [
        ("/bin/sh -c #(nop)  ENV A=b", ["ENV A=b"]),
        ("/bin/sh -c #(nop) ARG X", ["ARG X"]),
        ("/bin/sh -c aws configure set x y", ["RUN aws configure set x y"]),
        ("|2 K1=v1 K2=v2 /bin/sh -c make", ["ARG K1=v1", "ARG K2=v2", "RUN make"]),
        ("RUN /bin/sh -c echo hi # buildkit", ["RUN /bin/sh -c echo hi # buildkit"]),
        ("RUN |1 TOKEN=x /bin/sh -c make # buildkit", ["ARG TOKEN=x", "RUN make # buildkit"]),
        ("ARG AWS_SECRET_ACCESS_KEY=abc", ["ARG AWS_SECRET_ACCESS_KEY=abc"]),
        ("ENV A=b\nC=d", ["ENV A=b C=d"]),
    ],
)
def test_history_lines(created_by: str, lines: list[str]) -> None:
    assert _history_lines(created_by) == lines


def test_select_platform_skips_attestations() -> None:
    descs = [
        {"digest": "a", "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": "b", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"digest": "c", "platform": {"os": "unknown", "architecture": "unknown"}},
    ]
    assert [d["digest"] for d in select_platform(descs, "linux/arm64")[0]] == ["b"]
    assert [d["digest"] for d in select_platform(descs, "linux/arm64/v8")[0]] == ["b"]
    chosen, note = select_platform(descs, None)
    assert [d["digest"] for d in chosen] == ["a", "b"] and note == ""
    lone, note = select_platform(descs[:1], "linux/arm64")
    assert [d["digest"] for d in lone] == ["a"] and "does not match" in note


@pytest.mark.parametrize("data", [b"[" * 5000 + b"]" * 5000, b'{"a":' * 70 + b"1" + b"}" * 70])
def test_load_json_depth(data: bytes) -> None:
    with pytest.raises(LayerProblem, match=r"deeper than 64|nested too deeply"):
        load_json(data, "x", 64)
