"""Join Python string literals split by implicit concatenation or ``+`` before matching.

``"AKIA" "QX..."`` and ``("wJal" +\\n "rXUt...")`` hide a credential from a line-based matcher.
The joined value replaces the first literal and the rest of the span keeps only its newlines,
so every line number after the join is unchanged.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

# A literal that ends in a base64 character next to one that starts with one: worth tokenizing.
_SPLIT_HINT = re.compile(r"""[A-Za-z0-9/+]["']\s*(?:\+\s*)?(?:\\?\r?\n\s*)*(?:\+\s*)?[rRuU]?["'][A-Za-z0-9/+]""")
_JOINABLE = {tokenize.NL, tokenize.COMMENT}


def needs_join(text: str) -> bool:
    return _SPLIT_HINT.search(text) is not None


def _literal(token: str) -> str | None:
    prefix = token[: len(token) - len(token.lstrip("rRuUbBfF"))].lower()
    if "b" in prefix or ("f" in prefix and "{" in token):
        return None
    try:
        value = ast.literal_eval(token.replace("f", "", 1) if prefix.startswith("f") else token)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, str) else None


def join_literals(text: str) -> str:
    """``text`` with adjacent/concatenated string literals merged; unchanged if it cannot tokenize."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError):
        return text
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))

    def offset(row: int, col: int) -> int:
        return line_starts[row - 1] + col

    edits: list[tuple[int, int, str]] = []
    run: list[tokenize.TokenInfo] = []
    pending_plus = False

    def flush() -> None:
        if len(run) > 1:
            values = [_literal(t.string) for t in run]
            if all(v is not None for v in values):
                start = offset(*run[0].start)
                end = offset(*run[-1].end)
                joined = "".join(v for v in values if v is not None)
                newlines = text.count("\n", start, end)
                edits.append((start, end, repr(joined) + "\n" * newlines))
        run.clear()

    for tok in tokens:
        if tok.type == tokenize.STRING:
            run.append(tok)
            pending_plus = False
        elif tok.type == tokenize.OP and tok.string == "+" and run:
            pending_plus = True
        elif tok.type in _JOINABLE and run:
            continue
        else:
            flush()
            pending_plus = False
    flush()
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

