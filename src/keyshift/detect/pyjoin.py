"""Join Python string literals split by implicit concatenation or ``+`` before matching.

``"AKIA" "QX..."`` and ``("wJal" +\\n "rXUt...")`` hide a credential from a line-based matcher.
Only runs of short base64-alphabet literals are considered (a credential has no other
characters), found with one regex instead of tokenizing: this runs on every Python file that
passes the prefilter, so it must cost little. A joined run replaces the first literal and the
rest of its span keeps only its newlines, so every line number after the join is unchanged.
"""

from __future__ import annotations

import re

# possessive: no backtracking. A comment between pieces is bounded (and must end its line):
# unbounded, every literal on one long line would rescan the rest of that line.
_GAP = r"""(?:[ \t]|\\\r?\n|\r?\n|\+|\(|#[^\n]{0,200}+\n)*+"""
_RUN = re.compile(
    r"""(["'])[A-Za-z0-9/+=]{1,64}+\1""" + r"(?:" + _GAP + r"""[rRuU]?(["'])[A-Za-z0-9/+=]{1,64}+\2)++"""
)
_LITERAL = re.compile(r"""[rRuU]?(["'])([A-Za-z0-9/+=]{1,64})\1""")
_WORTH = re.compile(r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}|[A-Za-z0-9/+]{40}|[A-Za-z0-9/+=]{64,}")


def join_literals(text: str) -> str:
    """``text`` with split credential-shaped literals merged into one literal each."""
    edits: list[tuple[int, int, str]] = []
    for run in _RUN.finditer(text):
        span = run.group(0)
        pieces = [m.group(2) for m in _LITERAL.finditer(span)]
        joined = "".join(pieces)
        if len(pieces) < 2 or not _WORTH.fullmatch(joined):
            continue
        newlines = span.count("\n")
        edits.append((run.start(), run.end(), f'"{joined}"' + "\n" * newlines))
    if not edits:
        return text
    out: list[str] = []
    last = 0
    for start, end, replacement in edits:
        out.append(text[last:start])
        out.append(replacement)
        last = end
    out.append(text[last:])
    return "".join(out)
