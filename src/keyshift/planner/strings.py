"""String values the analysis builds: literals, prefixes (``orders/*``) and globs.

A bucket or key name is often assembled (f-strings, ``+``, ``%``, ``.format``); what is known of
it decides how narrow its grant can be, and which parts came from parameters decides whether a
caller's literal may stand for every caller.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from dataclasses import replace

from keyshift.planner.values import EMPTY, Const, EnvRead, Glob, Prefix, TupleV, Value, Values, text_of


def pattern(pieces: list[str | None]) -> Value:
    """Literal pieces and unknown parts (None) as a Const, a Prefix or a Glob.

    A known head gives a prefix (``orders/*``: the form grants are written in, and what S3 key
    prefixes mean); only a name whose head is unknown keeps its literal tail (``*-orders``).
    """
    if all(p is not None for p in pieces):
        return Const("".join(p for p in pieces if p is not None))
    head = ""
    for piece in pieces:
        if piece is None:
            break
        head += piece
    if head:
        return Prefix(head)
    return glob_value("".join("*" if p is None else p.replace("*", "") for p in pieces))


def _wild_text(value: Const) -> str:
    return value.wild if value.wild is not None else value.value.replace("*", "")


def _with_wild(value: Value, wild: Value) -> Value:
    """``value`` remembering which of its parts came from parameters (``wild``)."""
    if wild == value or not isinstance(value, Const | Prefix | Glob):
        return value
    text = text_of(wild) if isinstance(wild, Const | Prefix | Glob) else "*"
    return replace(value, wild=text)


def glob_value(glob: str) -> Value:
    while "**" in glob:
        glob = glob.replace("**", "*")
    if glob.endswith("*") and glob.count("*") == 1:
        return Prefix(glob[:-1])
    return Glob(glob)


def union(*sets: Iterable[Value]) -> Values:
    out: set[Value] = set()
    for values in sets:
        out.update(values)
    return frozenset(out)


def fstring(node: ast.JoinedStr, evaluate: Callable[[ast.expr], Values]) -> Values:
    """An f-string whose parts are known literals stays a literal; unknown parts make it a
    prefix (known head) or a glob, remembering which parts came from parameters."""
    pieces: list[str | None] = []  # None: a part only known at run time
    wild: list[str | None] = []  # the same with parameter parts unknown
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            pieces.append(part.value)
            wild.append(part.value)
            continue
        if isinstance(part, ast.FormattedValue):
            inner = evaluate(part.value)
            consts = [v for v in inner if isinstance(v, Const)]
            if len(inner) == 1 and consts and part.format_spec is None and part.conversion == -1:
                pieces.append(consts[0].value)
                wild.append(consts[0].value if consts[0].wild is None else None)
                continue
        pieces.append(None)
        wild.append(None)
    return frozenset({_with_wild(pattern(pieces), pattern(wild))})


def binop(op: ast.operator, left: Values, right: Values) -> Values:
    """``"orders/" + name`` and ``"%s" % name``: concatenation and formatting of strings."""
    out: set[Value] = set()
    if isinstance(op, ast.Add):
        for lv in left or {None}:
            if isinstance(lv, Const):
                for rv in right or {None}:
                    if isinstance(rv, Const):
                        joined = Const(lv.value + rv.value)
                        if lv.wild is not None or rv.wild is not None:
                            joined = Const(joined.value, _wild_text(lv) + _wild_text(rv))
                        out.add(joined)
                    else:
                        out.add(Prefix(lv.value, None if lv.wild is None else lv.wild + "*"))
            elif isinstance(lv, Prefix):
                out.add(lv)
            elif lv is None or isinstance(lv, Glob):
                head = lv.pattern if isinstance(lv, Glob) else None
                for rv in right:
                    if isinstance(rv, Const):
                        out.add(pattern([head, rv.value]))
    elif isinstance(op, ast.Mod):
        for lv in left:
            if isinstance(lv, Const):
                if "%" not in lv.value:
                    out.add(lv)
                else:
                    out.add(_percent(lv, right))
    return frozenset(out)


_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")


def _percent(template: Const, right: Values) -> Value:
    """``"SELECT * FROM %s.%s" % (db, table)``: each ``%s`` filled with its argument when
    that is one literal, else unknown (the head stays a prefix, as before)."""
    tuples = [v for v in right if isinstance(v, TupleV)]
    if len(right) == 1 and tuples:
        slots: list[Values] = list(tuples[0].items)
    else:
        slots = [right]
    pieces: list[str | None] = []
    wild: list[str | None] = []
    index, at = 0, 0
    for match in _CONVERSION.finditer(template.value):
        pieces.append(template.value[at : match.start()])
        wild.append(pieces[-1])
        at = match.end()
        if match.group(1) == "%":
            pieces.append("%")
            wild.append("%")
            continue
        values = slots[index] if index < len(slots) and "(" not in match.group(0) else EMPTY
        index += 1
        consts = [v for v in values if isinstance(v, Const)]
        known = len(values) == 1 and len(consts) == 1 and match.group(1) in "sdir"
        pieces.append(consts[0].value if known else None)
        wild.append(consts[0].value if known and consts[0].wild is None else None)
    pieces.append(template.value[at:])
    wild.append(pieces[-1])
    value = _with_wild(pattern(pieces), pattern(wild))
    if template.wild is not None and isinstance(value, Const | Prefix | Glob) and value.wild is None:
        value = replace(value, wild="*")
    return value


def str_method(owner: Const, name: str) -> Values:
    """``"{}/{}".format(...)`` keeps its literal head; case and whitespace methods keep the value."""
    if name == "format":
        if "{" not in owner.value:
            return frozenset({owner})
        return frozenset({Prefix(owner.value.split("{", 1)[0], None if owner.wild is None else "*")})
    if name in ("strip", "lower", "upper", "rstrip", "lstrip"):
        return frozenset({owner})
    return EMPTY


def env_fallback(parts: list[Values]) -> list[Values]:
    """``os.getenv("X") or "lit"`` reads as ``os.getenv("X", "lit")``: a variable no deployment
    file sets takes the literal fallback, so its read is dropped from the alternatives."""
    if len(parts) < 2 or not parts[-1] or not all(isinstance(v, Const) for v in parts[-1]):
        return parts
    out = [frozenset(v for v in part if not isinstance(v, EnvRead)) for part in parts[:-1]]
    return [part for part, old in zip(out, parts, strict=False) if part or old == part] + [parts[-1]]
