"""Escaping for what keyshift writes as Markdown and HTML: names from a repository are data.

File names, service names, notes and error messages reach ``report.md``, ``runbook.md``, the
review folder's HTML and the sweep summaries. A file named ``[x](https://evil)`` or one holding
``<img onerror=...>``, a pipe that splits a table row, a newline that starts a heading, or an
escape sequence for the terminal must all come out as the literal text they are.

- ``printable`` makes control characters, line/paragraph separators, bidi controls and bytes that
  were not UTF-8 (lone surrogates from ``surrogateescape``) visible as ``\\xNN``/``\\uNNNN``, with a
  backslash doubled, so the text stays one line and the original is recoverable;
- ``md_code`` puts text in a code span (nothing inside is markup), safe inside a table cell;
- ``md_text`` escapes every character Markdown or inline HTML could read as syntax;
- ``html_text`` is ``html.escape`` of the printable text.
"""

from __future__ import annotations

import html
import re

# inline syntax only: our own prefix ("- ", "| ") starts every line and ``printable`` keeps text on one
# line, so line-start syntax (``#``, ``1.``, ``-``) cannot occur inside escaped text. ``_`` is left
# alone: identifiers are full of it and GFM ignores it inside words (at worst it italicises).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|!&~$])")
_BACKTICKS = re.compile(r"`+")


def printable(text: str) -> str:
    """``text`` on one line with every invisible or control character shown as an escape."""
    if text.isprintable() and "\\" not in text:
        return text
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


def md_text(text: object) -> str:
    """Plain Markdown text: every character with a meaning in Markdown or HTML is escaped."""
    return _MD_SPECIAL.sub(r"\\\1", printable(str(text)))


def md_code(text: object) -> str:
    """A Markdown code span holding ``text`` literally; safe in a table cell (``|`` escaped)."""
    body = printable(str(text))
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * (longest + 1)
    if body.startswith("`") or body.endswith("`") or not body.strip():
        body = f" {body} "
    return fence + body.replace("|", "\\|") + fence


def html_text(text: object) -> str:
    """Text for HTML element content or a quoted attribute."""
    return html.escape(printable(str(text)), quote=True)
