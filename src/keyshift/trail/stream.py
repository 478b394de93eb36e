"""Incremental JSON: the records of a top-level array read one at a time, with bounded memory.

A delivered CloudTrail file is one line, ``{"Records": [...]}``; ``lookup-events`` output is
``{"Events": [...], "NextToken": ...}``; CloudTrail Lake results hold ``QueryResultRows``. This
reader walks the top-level object key by key, skips the values it is not asked for, and decodes
each element of the wanted array with the C decoder (``json.JSONDecoder.raw_decode``) as soon as
it is in the buffer. Memory is one read chunk plus the largest record, never the whole file;
a record larger than ``max_record`` characters is an error, not an allocation.

Decompression is bounded too (``Bounded``): a total output size and a ratio of output to input,
so a zip bomb ends as a clear error after a few megabytes instead of filling memory.
"""

from __future__ import annotations

import codecs
import json
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any, Protocol

CHUNK = 1 << 20
MAX_RECORD = 8 << 20  # characters; CloudTrail caps an event at 256 KB, Lake rows are smaller
_WS = re.compile(r"[ \t\r\n]*")
_DECODER = json.JSONDecoder()


class TrailFormatError(ValueError):
    """Input that is not what it claims to be; the message says what and where."""


class _Reader(Protocol):
    def read(self, n: int, /) -> bytes: ...


class Bounded:
    """A ``read(n)`` that refuses to produce more than ``limit`` bytes or ``ratio`` x the input read.

    ``consumed`` reports how many compressed bytes the decompressor has taken so far.
    """

    def __init__(self, raw: _Reader, consumed: Callable[[], int], *, limit: int, ratio: int) -> None:
        self._raw = raw
        self._consumed = consumed
        self._limit = limit
        self._ratio = ratio
        self.produced = 0

    def read(self, n: int) -> bytes:
        data = self._raw.read(n)
        self.produced += len(data)
        if self.produced > self._limit:
            raise TrailFormatError(f"decompressed size exceeds the limit of {self._limit} bytes")
        # a small input may expand a lot early on; judge the ratio only past the first megabyte
        if self.produced > (1 << 20) and self.produced > self._ratio * max(self._consumed(), 1):
            raise TrailFormatError(
                f"compression ratio above {self._ratio}:1 (a zip bomb?); stopped after {self.produced} bytes"
            )
        return data


class _Buffer:
    """Decoded text with a cursor; ``fill`` appends the next chunk (or at least doubles the tail)."""

    __slots__ = ("_decoder", "_error", "_read", "eof", "offset", "pos", "text")

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
        self.text = ""
        self.pos = 0
        self.offset = 0  # characters dropped before ``text``
        self.eof = False
        self._error: Exception | None = None  # a read that failed after text was read: raised next

    def fill(self, at_least: int = 0) -> None:
        if self.eof:
            return
        if self._error is not None:
            raise self._error
        want = max(CHUNK, at_least)
        parts = [self.text[self.pos :]]
        got = 0
        while got < want:
            try:
                raw = self._read(CHUNK)
            except (EOFError, OSError, zlib.error) as exc:
                if not got:
                    raise
                # a truncated or corrupt stream: the records before the damage are read first,
                # and the error surfaces when the parser needs what was lost (a counted partial read)
                self._error = exc
                break
            if not raw:
                parts.append(self._decode(b"", final=True))
                self.eof = True
                break
            piece = self._decode(raw, final=False)
            parts.append(piece)
            got += len(piece)
        self.offset += self.pos
        self.text = "".join(parts)
        self.pos = 0

    def _decode(self, raw: bytes, final: bool) -> str:
        try:
            return self._decoder.decode(raw, final)
        except UnicodeDecodeError as exc:
            raise TrailFormatError(f"not UTF-8 text near character {self.offset + len(self.text)}") from exc

    def skip_ws(self) -> None:
        while True:
            m = _WS.match(self.text, self.pos)
            assert m is not None
            self.pos = m.end()
            if self.pos < len(self.text) or self.eof:
                return
            self.fill()

    def peek(self) -> str:
        self.skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            found = self.peek() or "end of input"
            raise TrailFormatError(
                f"expected {char!r} at character {self.offset + self.pos}, found {found!r}"
            )
        self.pos += 1

    def value(self, max_size: int) -> Any:
        """Decode the JSON value at the cursor, reading more until it is complete."""
        self.skip_ws()
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.text, self.pos)
            except RecursionError:
                raise TrailFormatError(
                    f"JSON nested too deeply at character {self.offset + self.pos}"
                ) from None
            except json.JSONDecodeError as exc:
                if self.eof:
                    where = self.offset + exc.pos
                    raise TrailFormatError(f"invalid or truncated JSON at character {where}") from None
                if len(self.text) - self.pos > max_size:
                    raise TrailFormatError(
                        f"a value at character {self.offset + self.pos} is larger than {max_size} characters"
                    ) from None
                self.fill(at_least=len(self.text) - self.pos)
                continue
            except ValueError:  # an integer of more than 4,300 digits: one file's problem, not the run's
                raise TrailFormatError(
                    f"the value at character {self.offset + self.pos} holds a number with too many digits"
                ) from None
            if end >= len(self.text) and not self.eof:
                # a number or literal may continue in the next chunk
                self.fill(at_least=len(self.text) - self.pos)
                continue
            if end - self.pos > max_size:
                raise TrailFormatError(
                    f"a value at character {self.offset + self.pos} is larger than {max_size} characters"
                )
            self.pos = end
            return obj


def iter_array(
    read: Callable[[int], bytes],
    keys: tuple[str, ...] = ("Records",),
    *,
    max_record: int = MAX_RECORD,
    found: list[str] | None = None,
) -> Iterator[Any]:
    """Yield the elements of the first top-level array named in ``keys`` (or of a top-level array).

    ``found`` (if given) receives the key that was read, so callers can tell formats apart.
    Raises ``TrailFormatError`` for anything that is not such a document.
    """
    buf = _Buffer(read)
    buf.fill()
    first = buf.peek()
    if first == "[":
        if found is not None:
            found.append("")
        yield from _elements(buf, max_record)
        return
    if first != "{":
        raise TrailFormatError("not a JSON object or array")
    buf.pos += 1
    if buf.peek() == "}":
        raise TrailFormatError(f"no {'/'.join(keys)} array (empty object)")
    while True:
        key = buf.value(max_record)
        if not isinstance(key, str):
            raise TrailFormatError("malformed JSON object key")
        buf.expect(":")
        if key in keys and buf.peek() == "[":
            if found is not None:
                found.append(key)
            yield from _elements(buf, max_record)
            return
        buf.value(max_record)  # a value we do not need (bounded like a record)
        if buf.peek() == ",":
            buf.pos += 1
            continue
        buf.expect("}")
        raise TrailFormatError(f"no {'/'.join(keys)} array in this JSON document")


def _elements(buf: _Buffer, max_record: int) -> Iterator[Any]:
    buf.expect("[")
    if buf.peek() == "]":
        return
    while True:
        yield buf.value(max_record)
        nxt = buf.peek()
        if nxt == ",":
            buf.pos += 1
        elif nxt == "]":
            return
        else:
            raise TrailFormatError(
                f"expected ',' or ']' at character {buf.offset + buf.pos}, found {nxt or 'end of input'!r}"
            )
