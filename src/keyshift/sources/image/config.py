"""Credentials in the image config: ``Env``, ``Labels`` and ``history[].created_by``.

Each field becomes one small text so the detectors pair a key ID with its secret (the whole
``Env`` list is one ``.env``-style text, one entry per line); history entries are rewritten as
Dockerfile instructions (``#(nop) ENV …`` -> ``ENV …``, ``|1 A=b /bin/sh -c …`` -> ``ARG A=b``
and ``RUN …``) so the Dockerfile rules apply. Line numbers map back to entry indexes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from keyshift.detect import detect_bytes
from keyshift.model import CredentialKind, Finding, ImageInfo, Location, SourceKind

CONFIG_PATH = "<config>"
_ENV_NOTE = (
    "set in the image config Env: every container of this image gets it, and it overrides the ECS task role"
)
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
_SHELL = re.compile(r"^(?:/bin/(?:ba)?sh|sh) -c\s+")
_ARGS = re.compile(r"^\|(\d+)\s+")


def _history_lines(created_by: str) -> list[str]:
    text = created_by.replace("\r", " ").replace("\n", " ").strip()
    lines: list[str] = []
    if text.startswith("RUN |"):  # BuildKit: "RUN |1 A=b /bin/sh -c …"
        text = text[4:]
    m = _ARGS.match(text)
    if m:
        count = int(m.group(1))
        rest = text[m.end() :].split(" ")
        args, text = rest[:count], " ".join(rest[count:])
        lines.extend(f"ARG {a}" for a in args)
    nop = _NOP.match(text)
    if nop:
        lines.append(text[nop.end() :])
        return lines
    shell = _SHELL.match(text)
    if shell:
        lines.append(f"RUN {text[shell.end() :]}")
        return lines
    lines.append(text)
    return lines


def _detect(
    lines: list[str], owners: list[int], path: str, inline_ignores: bool
) -> list[tuple[Finding, int]]:
    data = "\n".join(lines).encode("utf-8", "surrogateescape")
    out = []
    for f in detect_bytes(data, path, source=SourceKind.IMAGE, inline_ignores=inline_ignores):
        line = f.location.line
        owner = owners[line - 1] if 0 < line <= len(owners) else 0
        out.append((f, owner))
    return out


def scan_config(cfg: Mapping[str, Any], ref: str, inline_ignores: bool) -> tuple[list[Finding], list[str]]:
    """Findings from Env, Labels and history of one image config, and problems met."""
    findings: list[Finding] = []
    problems: list[str] = []
    inner = cfg.get("config")
    if inner is None:
        inner = cfg.get("Config") or {}
    if not isinstance(inner, Mapping):
        problems.append("image config: 'config' is not an object")
        inner = {}
    env = inner.get("Env") or []
    if isinstance(env, list):
        lines = [e if isinstance(e, str) else "" for e in env]
        for f, idx in _detect(lines, list(range(len(lines))), ".env", inline_ignores):
            note = f.note
            if note is None and (f.kind is CredentialKind.ACCESS_KEY_ID or "AWS_" in (f.context_name or "")):
                note = _ENV_NOTE
            findings.append(_place(f, ImageInfo(ref, field="env", env_index=idx), idx, note))
    else:
        problems.append("image config: Env is not a list")
    labels = inner.get("Labels") or {}
    if isinstance(labels, Mapping):
        items = [(str(k), v if isinstance(v, str) else str(v)) for k, v in labels.items()]
        lines = [f"{k}={v}" for k, v in items]
        for f, idx in _detect(lines, list(range(len(lines))), ".env", inline_ignores):
            findings.append(_place(f, ImageInfo(ref, field="label"), idx, f.note))
    else:
        problems.append("image config: Labels is not an object")
    history = cfg.get("history") or []
    if isinstance(history, list):
        lines, owners = [], []
        for i, entry in enumerate(history):
            created = entry.get("created_by") if isinstance(entry, Mapping) else None
            if not isinstance(created, str):
                continue
            for line in _history_lines(created):
                lines.append(line)
                owners.append(i)
        for f, idx in _detect(lines, owners, "Dockerfile", inline_ignores):
            findings.append(_place(f, ImageInfo(ref, field="history", history_index=idx), idx, f.note))
    else:
        problems.append("image config: history is not a list")
    return findings, problems


def _place(f: Finding, info: ImageInfo, index: int, note: str | None) -> Finding:
    loc = Location(CONFIG_PATH, index + 1, f.location.column)
    return replace(f, rule_id="KS103", location=loc, image=info, note=note, source=SourceKind.IMAGE)
