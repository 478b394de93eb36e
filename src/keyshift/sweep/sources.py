"""What to sweep: a directory of repositories, or a file listing paths and git URLs.

Only ordinary git transports are accepted for URLs (https, http, ssh, git, file and ``user@host:path``);
``ext::`` and other helpers could run commands, so they are refused with a clear message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from keyshift.errors import KeyshiftError

_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")
_SCP = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/]")
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")
ALLOWED_PROTOCOLS = "file:https:http:ssh:git"


@dataclass(frozen=True, slots=True)
class RepoSource:
    """One repository: a unique name (used for files), a path or URL, and whether it must be cloned."""

    name: str
    location: str
    remote: bool


def is_url(text: str) -> bool:
    return text.startswith(_SCHEMES) or bool(_SCP.match(text))


def is_repository(path: Path) -> bool:
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


def _name(location: str) -> str:
    last = location.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    last = last.removesuffix(".git")
    return _SLUG.sub("-", last).strip(".-") or "repo"


def _unique(items: list[tuple[str, bool]]) -> tuple[RepoSource, ...]:
    used: dict[str, int] = {}
    out: list[RepoSource] = []
    for location, remote in items:
        base = _name(location)
        used[base] = used.get(base, 0) + 1
        name = base if used[base] == 1 else f"{base}-{used[base]}"
        out.append(RepoSource(name, location, remote))
    return tuple(out)


def list_sources(arg: Path) -> tuple[RepoSource, ...]:
    """The repositories named by ``arg`` (a directory of repositories, one repository, or a list file)."""
    if arg.is_dir():
        children = sorted(p for p in arg.iterdir() if p.is_dir() and not p.name.startswith("."))
        repos = [p for p in children if is_repository(p)]
        if not repos and is_repository(arg):
            repos = [arg]
        if not repos:
            raise KeyshiftError(f"{arg}: no git repositories found (expected one per subdirectory)")
        return _unique([(str(p.resolve()), False) for p in repos])
    if not arg.is_file():
        raise KeyshiftError(f"sources not found: {arg}")
    items: list[tuple[str, bool]] = []
    try:
        lines = arg.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyshiftError(f"cannot read {arg}: {exc}") from exc
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "::" in line.split("/", 1)[0] or line.startswith("-"):
            raise KeyshiftError(f"{arg}:{number}: unsupported git transport or option: {line!r}")
        if is_url(line):
            items.append((line, True))
        else:
            path = Path(line).expanduser()
            if not path.is_absolute():
                path = arg.parent / path
            items.append((str(path.resolve()), False))
    if not items:
        raise KeyshiftError(f"{arg}: lists no repositories")
    return _unique(items)
