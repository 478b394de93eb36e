"""What kind of file a path is, and the per-carrier structure pairing relies on.

The carrier decides small things only (the note attached to a finding, how sections are
delimited for pairing); every carrier goes through the same matchers.
"""

from __future__ import annotations

import posixpath
import re

_DOCKERFILE = re.compile(r"(?i)^(?:docker|container)file(?:[._-].*)?$|.*\.(?:docker|container)file$")
_EXT = {
    ".py": "python",
    ".pyw": "python",
    ".ipynb": "notebook",
    ".ini": "ini",
    ".cfg": "ini",
    ".conf": "ini",
    ".toml": "toml",
    ".env": "env",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".ps1": "shell",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".json": "json",
    ".tf": "terraform",
    ".tfvars": "terraform",
    ".hcl": "terraform",
    ".properties": "properties",
    ".java": "java",
    ".js": "javascript",
    ".ts": "javascript",
    ".go": "go",
    ".rb": "ruby",
    ".php": "php",
    ".cs": "csharp",
    ".xml": "xml",
    ".csv": "csv",
}


def carrier_of(path: str) -> str:
    base = posixpath.basename(path)
    if _DOCKERFILE.match(base):
        return "dockerfile"
    lower = base.lower()
    if (lower in ("credentials", "config") and "/.aws/" in f"/{path}") or lower == "credentials":
        return "ini"
    if lower == ".env" or lower.startswith(".env.") or lower.endswith(".env"):
        return "env"
    if lower in (".bashrc", ".zshrc", ".profile", ".bash_profile", "envrc", ".envrc"):
        return "shell"
    _, ext = posixpath.splitext(lower)
    return _EXT.get(ext, "text")


_INI_SECTION = re.compile(r"^\s*\[[^\]\n]+\]\s*$")
_YAML_DOC = re.compile(r"^---\s*$")
_DOCKER_INSTR = re.compile(r"^\s*([A-Za-z]+)\b")


def section_ids(lines: list[str], carrier: str) -> list[int]:
    """A section number per line: pairing never crosses a section boundary.

    INI profiles and YAML documents are sections; in a Dockerfile every instruction (with its
    continuation lines) is one.
    """
    ids = [0] * (len(lines) + 1)
    section = 0
    if carrier == "dockerfile":
        continuing = False
        for i, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not continuing and stripped and not stripped.startswith("#"):
                section += 1
            ids[i] = section
            if stripped and not stripped.startswith("#"):
                continuing = stripped.endswith("\\") or stripped.endswith("`")
        return ids
    check = _INI_SECTION if carrier in ("ini", "toml", "text", "properties") else _YAML_DOC
    for i, line in enumerate(lines, start=1):
        if ("[" in line or "-" in line) and check.match(line):
            section += 1
        ids[i] = section
    return ids


def dockerfile_instructions(lines: list[str], sections: list[int]) -> dict[int, str | None]:
    """The instruction keyword (ENV, ARG, RUN, ...) of each Dockerfile section, in one pass."""
    out: dict[int, str | None] = {}
    for line_no, line in enumerate(lines, start=1):
        section = sections[line_no]
        if section in out:
            continue
        text = line.strip()
        if text and not text.startswith("#"):
            m = _DOCKER_INSTR.match(text)
            out[section] = m.group(1).upper() if m else None
    return out
