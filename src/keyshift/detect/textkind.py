"""Text or binary: which bytes to hand the detectors, decided once for every source.

A NUL byte does not make a file binary: a shell script with one stray NUL still runs (bash
drops it), and UTF-16 text is half NULs. So the decision looks at what the bytes are:

- bytes without a NUL in the sniff window are text, as before (even after ``\xff\xfe``);
- UTF-16 (little or big endian, with or without a byte-order mark) is decoded and scanned
  as UTF-8; without a BOM it is recognised by its pattern of NULs in the high bytes;
- otherwise a known binary signature (PNG, ZIP, ELF, ...) is binary, and else the NULs are
  set aside and the rest judged: mostly printable text is scanned (NULs and all: the
  detectors take any bytes), control-byte noise is binary.

Binary files are skipped by the caller with a counted reason, never silently.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

SNIFF = 8192
_SAMPLE = 64 * 1024  # NULs are stripped from this much before judging what remains
# control bytes that do not occur in text (everything below 0x20 but TAB LF VT FF CR ESC, and DEL)
_CONTROL = bytes(c for c in range(256) if (c < 0x20 and c not in (9, 10, 11, 12, 13, 27)) or c == 0x7F)
_MAX_CONTROL = 0.02  # random or compressed bytes have ~10% control bytes besides NUL
# formats whose files hold NULs by design (images, archives, executables, fonts, databases)
_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",
    b"\xfe\xed\xfa",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"MZ",
    b"\0asm",
    b"SQLite format 3",
    b"7z\xbc\xaf",
    b"\xfd7zXZ",
    b"OggS",
    b"RIFF",
    b"wOFF",
    b"wOF2",
    b"\0\x01\0\0",
    b"%PDF",
    b"\x00\x00\x01\x00",
)
_UTF16_ZERO_SHARE = 0.6  # of the bytes on one parity that are NUL when the text is mostly ASCII


@dataclass(frozen=True, slots=True)
class TextKind:
    """How a file's bytes are to be read: ``encoding`` is None for binary."""

    encoding: str | None  # "utf-8" (bytes as they are), "utf-16-le", "utf-16-be", or None

    @property
    def binary(self) -> bool:
        return self.encoding is None


TEXT = TextKind("utf-8")
BINARY = TextKind(None)


def text_kind(head: bytes) -> TextKind:
    """Decide from the first bytes of a file (at least ``SNIFF`` of them when it has that many)."""
    sniff = head[:SNIFF]
    if b"\0" not in sniff:
        return TEXT  # a BOM-like start without NULs is Latin-1 text (\xff\xfe is "ÿþ")
    if head[:2] == codecs.BOM_UTF16_LE and head[:4] != codecs.BOM_UTF32_LE:
        return TextKind("utf-16-le")
    if head[:2] == codecs.BOM_UTF16_BE:
        return TextKind("utf-16-be")
    utf16 = _utf16_without_bom(sniff)
    if utf16 is not None:
        return TextKind(utf16)
    if sniff.startswith(_MAGIC):
        return BINARY
    sample = head[:_SAMPLE].replace(b"\0", b"")[:SNIFF]
    if not sample:
        return TEXT  # only NULs so far: nothing to judge, and scanning costs one prefilter pass
    control = len(sample) - len(sample.translate(None, _CONTROL))
    return TEXT if control <= _MAX_CONTROL * len(sample) else BINARY


def _utf16_without_bom(sniff: bytes) -> str | None:
    even, odd = sniff[0::2], sniff[1::2]
    if len(odd) < 2:
        return None
    zero_even, zero_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zero_odd >= _UTF16_ZERO_SHARE and zero_even < 0.1:
        return "utf-16-le"
    if zero_even >= _UTF16_ZERO_SHARE and zero_odd < 0.1:
        return "utf-16-be"
    return None


def as_scannable(data: bytes) -> bytes | None:
    """The bytes the detectors should read (UTF-16 re-encoded as UTF-8), or None for binary."""
    kind = text_kind(data)
    if kind.encoding is None:
        return None
    if kind.encoding == "utf-8":
        return data
    return decode_utf16(data, kind.encoding)


def decode_utf16(data: bytes, encoding: str) -> bytes:
    """UTF-16 bytes as UTF-8 (a BOM dropped, broken pairs replaced, never an exception)."""
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        data = data[2:]
    return data.decode(encoding, "replace").encode("utf-8")


def utf16_decoder(encoding: str) -> codecs.IncrementalDecoder:
    """For files read in windows: feeds may split a code unit; the decoder keeps the half."""
    return codecs.getincrementaldecoder(encoding)("replace")
