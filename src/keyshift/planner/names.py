"""Role names: what a repository names things, turned into names AWS and Terraform accept.

Service names come from the repository (docker-compose service keys, task-definition ``family``,
folder names) and so does ``role-name-template`` (``[tool.keyshift.plan]`` in its pyproject).
Neither may reach an output raw:

- the template is parsed once, here, and only plain ``{service}``, ``{key_id}``, ``{key_suffix}``
  and ``{index}`` placeholders are allowed: no format spec (``{service:>2000000000}`` would
  allocate gigabytes), no conversion, no attribute or index access (``{service.__class__}``),
  a bounded length, and literal text from the IAM role-name alphabet. It is filled by
  concatenation, never ``str.format``;
- each name from the repository is reduced to the IAM role-name alphabet ``[A-Za-z0-9+=,.@_-]``;
  when that changes it, the role carries a note naming the file the name came from;
- the result is checked against IAM's grammar (``[\\w+=,.@-]{1,64}``) and shortened with a
  stable hash suffix when longer than 64 characters.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass

from keyshift.errors import KeyshiftError

IAM_ROLE_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]{1,64}")
_OUTSIDE = re.compile(r"[^A-Za-z0-9_+=,.@-]+")
FIELDS = ("service", "key_id", "key_suffix", "index")
MAX_TEMPLATE = 128
MAX_ROLE_NAME = 64
DEFAULT_TEMPLATE = "{service}-task-role"


@dataclass(frozen=True, slots=True)
class Template:
    """A checked role-name template: literal text and placeholder names, in order."""

    text: str
    parts: tuple[tuple[str, str | None], ...]

    def fill(self, **values: str | int) -> str:
        return "".join(
            literal + (str(values[name]) if name is not None else "") for literal, name in self.parts
        )


def parse_template(text: object, origin: str) -> Template:
    """Check ``text`` from ``origin`` (a flag or a config file); a ``KeyshiftError`` says what is wrong."""
    where = f"role-name-template from {origin}"
    if not isinstance(text, str):
        raise KeyshiftError(f"{where} must be a string")
    if not text or len(text) > MAX_TEMPLATE:
        raise KeyshiftError(f"{where} must be 1 to {MAX_TEMPLATE} characters long")
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise KeyshiftError(f"{where} is not a valid template: {exc}") from exc
    parts: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if _OUTSIDE.search(literal):
            raise KeyshiftError(
                f"{where}: text {literal!r} has characters IAM role names cannot hold "
                "(allowed: A-Z a-z 0-9 +=,.@_-)"
            )
        if name is not None:
            if name not in FIELDS:
                raise KeyshiftError(
                    f"{where}: unknown placeholder {{{name}}} (allowed: "
                    + ", ".join(f"{{{f}}}" for f in FIELDS)
                    + ")"
                )
            if spec or conversion:
                raise KeyshiftError(f"{where}: {{{name}}} may not have a format spec or conversion")
        parts.append((literal, name))
    return Template(text, tuple(parts))


def safe_part(raw: str) -> str:
    """``raw`` reduced to the IAM role-name alphabet (runs of anything else become one ``-``)."""
    return _OUTSIDE.sub("-", raw).strip("-")[:MAX_ROLE_NAME] or "service"


def fit(name: str) -> str:
    """``name`` within IAM's 64 characters; longer names keep a prefix and a stable hash."""
    if len(name) <= MAX_ROLE_NAME:
        return name
    digest = hashlib.sha1(name.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    return f"{name[: MAX_ROLE_NAME - 9].rstrip('-')}-{digest}"


def role_name(
    template: Template, *, service: str, origin: str, key_id: str, index: int
) -> tuple[str, str | None]:
    """The role name for one service and key, and a note when the service's name had to change."""
    part = safe_part(service)
    note = None
    if part != service:
        note = f"service name {service!r} (from {origin}) is not valid in an IAM role name; used {part!r}"
    name = fit(template.fill(service=part, key_id=key_id, key_suffix=key_id[-4:].lower(), index=index))
    if not IAM_ROLE_NAME.fullmatch(name):  # the template and every part are in the alphabet: cannot happen
        raise KeyshiftError(
            f"role name {name!r} from role-name-template {template.text!r} is not a valid IAM name"
        )
    return name, note


def with_suffix(name: str, suffix: str) -> str:
    """``name-suffix`` within 64 characters (two keys of one service)."""
    return fit(f"{name[: MAX_ROLE_NAME - len(suffix) - 1]}-{suffix}")


_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def logical_id(raw: str, *, prefix: str = "R") -> str:
    """A CloudFormation logical ID (``[A-Za-z0-9]{1,255}``) derived from ``raw``; distinct inputs that
    reduce to the same letters keep distinct IDs through a hash suffix."""
    words = [w for w in _NOT_ALNUM.split(raw) if w]
    base = "".join(w[:1].upper() + w[1:] for w in words) or prefix
    if not base[0].isalpha():
        base = prefix + base
    if base != raw:
        base += hashlib.sha1(raw.encode("utf-8", "surrogateescape"), usedforsecurity=False).hexdigest()[:8]
    return base[:255]
