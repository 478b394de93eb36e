"""Line boundaries: the one definition that detection, suppression and line numbers share.

A line ends where any of the languages keyshift reads ends one: ``\\n``, ``\\r\\n`` and a lone
``\\r`` (Python, Ruby, YAML, old Mac files), VT and FF, the ASCII separators FS/GS/RS, NEL
(C#, YAML 1.1), and U+2028/U+2029 (JavaScript, C#): the set of Python's ``str.splitlines``.
Splitting on the union is the safe side for suppression: an allow comment never reaches a
line that some language would run as a separate one.

Detection sees the Latin-1 view of a file (one code point per byte), where a UTF-8 encoded
NEL, LS or PS is a two- or three-character sequence; those sequences count as one break. A
lone byte 0x85 counts only after an ASCII character: inside UTF-8 it is a continuation byte
of some other character (``Å`` is C3 85), and breaking there would shift every line number.
"""

from __future__ import annotations

import bisect
import re

# Latin-1 view (and genuine str): longest alternatives first so "\r\n" is one break
_BREAK = re.compile(
    "\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\u2028\u2029]|\xc2\x85|\xe2\x80[\xa8\xa9]|(?<![\x80-\xff])\x85"
)
_UNUSUAL = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]|\xe2\x80[\xa8\xa9]")
_BREAK_BYTES = re.compile(b"\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e]|\xc2\x85|\xe2\x80[\xa8\xa9]|(?<![\x80-\xff])\x85")
_UNUSUAL_BYTES = re.compile(b"[\r\x0b\x0c\x1c\x1d\x1e\x85]|\xe2\x80[\xa8\xa9]")


class Lines:
    """The lines of one text and the offset where each starts (built once, in linear time)."""

    __slots__ = ("lines", "starts")

    def __init__(self, text: str) -> None:
        if _UNUSUAL.search(text) is None:
            self.lines = text.split("\n")
            starts = [0] * len(self.lines)
            pos = 0
            for i, line in enumerate(self.lines):
                starts[i] = pos
                pos += len(line) + 1
            self.starts = starts
            return
        self.lines = []
        self.starts = [0]
        last = 0
        for m in _BREAK.finditer(text):
            self.lines.append(text[last : m.start()])
            last = m.end()
            self.starts.append(last)
        self.lines.append(text[last:])

    def __len__(self) -> int:
        return len(self.lines)

    def line_of(self, offset: int) -> int:
        """The 1-based line holding ``offset``."""
        return bisect.bisect_right(self.starts, offset)

    def locate(self, offset: int) -> tuple[int, int]:
        """(line, column), both 1-based."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def start(self, line: int) -> int:
        """Offset of the first character of 1-based ``line`` (clamped to the text)."""
        return self.starts[min(max(line, 1), len(self.starts)) - 1]

    def end(self, line: int) -> int:
        """Offset just past the last character of 1-based ``line`` (before its break)."""
        line = min(max(line, 1), len(self.lines))
        return self.starts[line - 1] + len(self.lines[line - 1])


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` (without their breaks), as detection numbers them."""
    return Lines(text).lines


def count_breaks(data: bytes, start: int = 0, end: int | None = None) -> int:
    """Line breaks in ``data[start:end]`` (bytes as read from a file), as detection counts them."""
    stop = len(data) if end is None else end
    if _UNUSUAL_BYTES.search(data, start, stop) is None:
        return data.count(b"\n", start, stop)
    return sum(1 for _ in _BREAK_BYTES.finditer(data, start, stop))
