"""Dockerfiles as Docker reads them: continuation lines joined, original positions kept.

Docker removes the escape character and the newline after it (and comment lines inside a
continuation), so ``ENV KEY=abc\\`` + ``def`` sets ``abcdef``. Matching runs on the joined
text; ``to_original`` maps an offset in it back to the file, so findings keep their real
line and column.
"""

from __future__ import annotations

import bisect
import re

_ESCAPE_DIRECTIVE = re.compile(
    r"\A(?:[ \t]*#[ \t]*\w+[ \t]*=[^\n]*\n)*?[ \t]*#[ \t]*escape[ \t]*=[ \t]*([\\`])", re.I
)


def _continuation(escape: str) -> re.Pattern[str]:
    return re.compile(re.escape(escape) + r"[ \t]*\r?\n(?:[ \t]*#[^\n]*\r?\n|[ \t]*\r?\n)*")


class Joined:
    """Joined text plus the offset map back to the original."""

    def __init__(self, original: str) -> None:
        m = _ESCAPE_DIRECTIVE.match(original)
        escape = m.group(1) if m else "\\"
        parts: list[str] = []
        self._joined_starts: list[int] = []
        self._original_starts: list[int] = []
        pos = joined = 0
        for cont in _continuation(escape).finditer(original):
            self._joined_starts.append(joined)
            self._original_starts.append(pos)
            parts.append(original[pos : cont.start()])
            joined += cont.start() - pos
            pos = cont.end()
        self._joined_starts.append(joined)
        self._original_starts.append(pos)
        parts.append(original[pos:])
        self.text = "".join(parts)

    def to_original(self, offset: int) -> int:
        i = bisect.bisect_right(self._joined_starts, offset) - 1
        return self._original_starts[i] + (offset - self._joined_starts[i])
