"""A streaming tar header parser that never extracts, never follows links, never trusts a size.

``tarfile`` in stream mode hides truncation (an invalid header mid-stream just ends the
iteration), so layers are walked here: headers are decoded with ``TarInfo.frombuf``
(checksum, octal and base-256 numbers), GNU long names and pax records are applied by hand,
and every body is read or skipped through an ``ExactReader`` that reports short reads.
"""

from __future__ import annotations

import posixpath
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass

from keyshift.sources.image.stream import ExactReader, LayerProblem

BLOCK = 512
REGULAR = "file"
DIR = "dir"
SYMLINK = "symlink"
HARDLINK = "hardlink"
OTHER = "other"

_TYPES = {
    tarfile.REGTYPE: REGULAR,
    tarfile.AREGTYPE: REGULAR,
    tarfile.CONTTYPE: REGULAR,
    tarfile.DIRTYPE: DIR,
    tarfile.SYMTYPE: SYMLINK,
    tarfile.LNKTYPE: HARDLINK,
}
_MAX_META = 1024 * 1024  # a long name or a pax header larger than this is hostile


class Truncated(LayerProblem):
    """A body ended early; ``data`` holds what was read so it can still be scanned."""

    def __init__(self, data: bytes, reason: LayerProblem | None = None) -> None:
        super().__init__(str(reason) if reason else "layer is truncated inside a file body")
        self.data = data


@dataclass(slots=True)
class Member:
    raw_name: str
    path: str  # normalised: relative, no "..", no leading "./"
    kind: str
    size: int
    linkname: str
    unsafe: str | None  # why the raw name was rewritten, if it was


def normalise(name: str) -> tuple[str, str | None]:
    """A member name as a clean relative path, and a note when the raw name tried to escape."""
    parts: list[str] = []
    escaped = dotdot = False
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            dotdot = True
            if parts:
                parts.pop()
            else:
                escaped = True
            continue
        parts.append(part)
    note = None
    if escaped:
        note = "member name escapes the root with '..'"
    elif dotdot:
        note = "member name contains '..'"
    elif name.startswith("/"):
        note = "absolute member name"
    return "/".join(parts), note


def _parse_pax(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            raise LayerProblem("invalid pax header record") from None
        if length <= 0 or pos + length > len(data):
            raise LayerProblem("invalid pax header record length")
        record = data[space + 1 : pos + length - 1]
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


class TarWalker:
    """Iterates members; the caller may ``read_body``/``body_windows`` before the next step.

    Bodies not consumed by the caller are skipped. ``ended_cleanly`` is True once the
    end-of-archive marker (or a clean end of data after the last body) was seen.
    """

    def __init__(self, reader: ExactReader, *, max_members: int) -> None:
        self.r = reader
        self.max_members = max_members
        self._left = 0  # body bytes of the current member not yet consumed
        self._pad = 0
        self.ended_cleanly = False
        self.count = 0

    def _finish_body(self) -> None:
        want = self._left + self._pad
        if want:
            got = self.r.skip(want)
            self._left = self._pad = 0
            if got < want:
                raise self.r.failure or LayerProblem("layer is truncated inside a file body")

    def _read_meta(self, size: int) -> bytes:
        if size > _MAX_META:
            raise LayerProblem(f"tar metadata header claims {size} bytes; refusing")
        data = self.r.read(size)
        pad = (-size) % BLOCK
        if len(data) < size or self.r.skip(pad) < pad:
            raise self.r.failure or LayerProblem("layer is truncated inside a tar header")
        return data

    def __iter__(self) -> Iterator[Member]:
        long_name: str | None = None
        long_link: str | None = None
        pax: dict[str, str] = {}
        global_pax: dict[str, str] = {}
        while True:
            self._finish_body()
            block = self.r.read(BLOCK)
            if self.r.failure is not None and len(block) < BLOCK:
                raise self.r.failure
            if not block:
                # no end-of-archive marker; tolerated when the stream stops at a member boundary
                self.ended_cleanly = True
                return
            if len(block) < BLOCK:
                raise LayerProblem("layer is truncated inside a tar header")
            if block.count(0) == BLOCK:
                self.ended_cleanly = True
                return
            try:
                info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
            except tarfile.HeaderError as exc:
                raise LayerProblem(f"invalid tar header at offset {self.r.offset - BLOCK}: {exc}") from None
            t = info.type
            if t == tarfile.GNUTYPE_LONGNAME:
                long_name = self._read_meta(info.size).rstrip(b"\0").decode("utf-8", "surrogateescape")
                continue
            if t == tarfile.GNUTYPE_LONGLINK:
                long_link = self._read_meta(info.size).rstrip(b"\0").decode("utf-8", "surrogateescape")
                continue
            if t == tarfile.XHDTYPE:
                pax = _parse_pax(self._read_meta(info.size))
                continue
            if t == tarfile.XGLTYPE:
                global_pax.update(_parse_pax(self._read_meta(info.size)))
                continue
            merged = {**global_pax, **pax}
            name = long_name or merged.get("path") or info.name
            link = long_link or merged.get("linkpath") or info.linkname
            size = info.size
            if "size" in merged:
                try:
                    size = int(merged["size"])
                except ValueError:
                    raise LayerProblem("invalid pax size") from None
            long_name = long_link = None
            pax = {}
            if size < 0:
                raise LayerProblem("negative size in tar header")
            kind = _TYPES.get(t, OTHER)
            if kind in (DIR, SYMLINK, HARDLINK) or t in (tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE):
                body = 0
            else:
                body = size
            self._left = body
            self._pad = (-body) % BLOCK
            self.count += 1
            if self.count > self.max_members:
                raise LayerProblem(f"more than {self.max_members} tar entries; layer stopped")
            path, unsafe = normalise(name)
            yield Member(name, path, kind, size if kind == REGULAR else 0, link, unsafe)

    def read_body(self, limit: int) -> bytes:
        """The current member's body, up to ``limit`` bytes (the rest is skipped later)."""
        n = min(limit, self._left)
        data = self.r.read(n)
        self._left -= len(data)
        if len(data) < n:
            self._left = self._pad = 0
            raise Truncated(data, self.r.failure)
        return data

    def body_windows(self, window: int, overlap: int) -> Iterator[tuple[int, bytes]]:
        """The body as (offset, bytes) windows of ``window`` bytes that overlap by ``overlap``."""
        carry = b""
        offset = 0
        while self._left:
            try:
                fresh = self.read_body(window - len(carry))
            except Truncated as exc:
                exc.data = carry + exc.data
                raise
            data = carry + fresh
            yield offset, data
            if not self._left:
                return
            carry = data[-overlap:] if overlap else b""
            offset += len(data) - len(carry)


def parent_dirs(path: str) -> Iterator[str]:
    """``a/b/c`` -> ``a/b``, ``a`` (not the root)."""
    while True:
        path = posixpath.dirname(path)
        if not path:
            return
        yield path
