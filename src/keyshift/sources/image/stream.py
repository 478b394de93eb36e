"""Byte streams for layers: hashing while reading, bounded decompression, exact reads.

A layer is read exactly once, front to back. The raw bytes feed a SHA-256 (so the digest is
checked without a second pass), the decompressor refuses to produce more than the limits
allow, and the tar walker above pulls exact-sized pieces out of the decompressed chunks.
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import zlib
from collections.abc import Iterator
from typing import Any, Protocol

CHUNK = 1024 * 1024


class LayerProblem(Exception):
    """The rest of a layer cannot be read; the message says why (no secret in it)."""


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class HashingReader:
    """Reads a raw blob, hashing and counting every byte; stops at ``limit`` bytes if given."""

    def __init__(self, raw: Readable, limit: int | None = None) -> None:
        self._raw = raw
        self._limit = limit
        self.sha256 = hashlib.sha256()
        self.count = 0
        self.eof = False

    def read(self, n: int = CHUNK) -> bytes:
        if self._limit is not None:
            n = min(n, self._limit - self.count)
            if n <= 0:
                self.eof = True
                return b""
        data = self._raw.read(n)
        if not data:
            self.eof = True
            return b""
        self.sha256.update(data)
        self.count += len(data)
        return data

    def drain(self) -> None:
        """Read the rest so the digest covers the whole blob."""
        while self.read(CHUNK):
            pass

    def hexdigest(self) -> str:
        return self.sha256.hexdigest()


def sniff(head: bytes) -> str:
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if head[:3] == b"BZh":
        return "bzip2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    return "none"


class Inflater:
    """Decompressed chunks of a raw stream, refusing bombs and noticing truncation.

    ``produced`` counts output bytes; a ``LayerProblem`` is raised when the output passes
    ``max_bytes``, or passes ``ratio_floor`` while being more than ``max_ratio`` times the
    input read so far (a gzip bomb), or when a compressed stream ends before its trailer.
    """

    def __init__(self, raw: HashingReader, *, max_bytes: int, max_ratio: int, ratio_floor: int) -> None:
        self.raw = raw
        self.max_bytes = max_bytes
        self.max_ratio = max_ratio
        self.ratio_floor = ratio_floor
        self.produced = 0
        self.compression = "none"
        self.trailing_garbage = False

    def _check(self, n: int) -> None:
        self.produced += n
        if self.produced > self.max_bytes:
            raise LayerProblem(f"decompressed size passed the limit of {self.max_bytes} bytes; layer stopped")
        if (
            self.compression != "none"
            and self.produced > self.ratio_floor
            and self.produced > self.max_ratio * max(1, self.raw.count)
        ):
            raise LayerProblem(
                f"compression ratio over {self.max_ratio}:1 after {self.produced} bytes "
                "(decompression bomb?); layer stopped"
            )

    def chunks(self) -> Iterator[bytes]:
        head = self.raw.read(CHUNK)
        self.compression = sniff(head)
        if self.compression == "none":
            data = head
            while data:
                self._check(len(data))
                yield data
                data = self.raw.read(CHUNK)
            return
        if self.compression == "gzip":
            yield from self._gzip(head)
            return
        yield from self._other(head)

    def _gzip(self, data: bytes) -> Iterator[bytes]:
        d = zlib.decompressobj(31)
        while True:
            if not data:
                data = self.raw.read(CHUNK)
                if not data:
                    if not d.eof:
                        raise LayerProblem("compressed stream is truncated (ended before its trailer)")
                    return
            try:
                out = d.decompress(data, CHUNK)
            except zlib.error as exc:
                raise LayerProblem(f"corrupt gzip data: {exc}") from None
            data = d.unconsumed_tail
            if out:
                self._check(len(out))
                yield out
            if d.eof:
                rest = d.unused_data + data
                data = b""
                if rest[:2] == b"\x1f\x8b":  # another gzip member follows
                    d = zlib.decompressobj(31)
                    data = rest
                elif rest.strip(b"\0"):
                    self.trailing_garbage = True
                    return
                else:
                    # padding (or nothing) after the last member: done unless another member comes
                    nxt = self.raw.read(CHUNK)
                    if not nxt:
                        return
                    if nxt[:2] == b"\x1f\x8b":
                        d = zlib.decompressobj(31)
                        data = nxt
                    elif nxt.strip(b"\0"):
                        self.trailing_garbage = True
                        return
                    else:
                        # only zeros: keep the eof state, loop reads further padding
                        continue

    def _other(self, data: bytes) -> Iterator[bytes]:
        if self.compression == "zstd":
            yield from self._zstd(data)
            return
        dec: bz2.BZ2Decompressor | lzma.LZMADecompressor = (
            bz2.BZ2Decompressor() if self.compression == "bzip2" else lzma.LZMADecompressor()
        )
        while True:
            try:
                out = dec.decompress(data, CHUNK)
            except (OSError, EOFError, lzma.LZMAError) as exc:
                raise LayerProblem(f"corrupt {self.compression} data: {exc}") from None
            if out:
                self._check(len(out))
                yield out
            if dec.eof:
                return
            data = b""
            if dec.needs_input:
                data = self.raw.read(CHUNK)
                if not data:
                    raise LayerProblem("compressed stream is truncated (ended before its trailer)")

    def _zstd(self, data: bytes) -> Iterator[bytes]:
        try:
            import zstandard
        except ImportError:
            raise LayerProblem("zstd-compressed layer and the 'zstandard' package is not installed") from None

        class _Prefixed:  # the sniffed head, then the rest of the raw stream
            def __init__(self, head: bytes, raw: HashingReader) -> None:
                self.head, self.raw = head, raw

            def read(self, n: int = CHUNK) -> bytes:
                if self.head:
                    out, self.head = self.head[:n], self.head[n:]
                    return out
                return self.raw.read(n)

        # stream_reader bounds each read's output, so a zstd bomb cannot allocate more than CHUNK at once
        source: Any = _Prefixed(data, self.raw)  # file-like: stream_reader only calls read()
        reader = zstandard.ZstdDecompressor().stream_reader(source, read_size=CHUNK, read_across_frames=True)
        while True:
            try:
                out = reader.read(CHUNK)
            except zstandard.ZstdError as exc:
                raise LayerProblem(f"corrupt zstd data: {exc}") from None
            if not out:
                return
            self._check(len(out))
            yield out


class ExactReader:
    """Exact-size reads over an iterator of chunks; ``offset`` is the position in the stream."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._it = chunks
        self._buf = b""
        self._pos = 0
        self.offset = 0
        self.failure: LayerProblem | None = None  # why the stream ended early, if it did

    def _next(self) -> bytes | None:
        if self.failure is not None:
            return None
        try:
            return next(self._it, None)
        except LayerProblem as exc:
            self.failure = exc  # surfaced by the caller after it scanned what it got
            return None

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes; fewer only at the end of the stream."""
        avail = len(self._buf) - self._pos
        if avail >= n:
            out = self._buf[self._pos : self._pos + n]
            self._pos += n
            self.offset += n
            return out
        parts = [self._buf[self._pos :]] if avail else []
        have = avail
        while have < n:
            chunk = self._next()
            if chunk is None:
                break
            parts.append(chunk)
            have += len(chunk)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if len(data) <= n:
            self._buf, self._pos = b"", 0
            self.offset += len(data)
            return data
        self._buf, self._pos = data, n
        self.offset += n
        return data[:n]

    def skip(self, n: int) -> int:
        """Skip ``n`` bytes without keeping them; returns how many were skipped."""
        done = 0
        while done < n:
            avail = len(self._buf) - self._pos
            if avail:
                step = min(avail, n - done)
                self._pos += step
                done += step
                continue
            chunk = self._next()
            if chunk is None:
                break
            self._buf, self._pos = chunk, 0
        self.offset += done
        return done
