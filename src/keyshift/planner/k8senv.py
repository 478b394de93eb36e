"""Environment variables that Kubernetes manifests set for their containers.

A Deployment (StatefulSet, DaemonSet, Job, CronJob, Pod) that sets ``AWS_ACCESS_KEY_ID`` in a
container's ``env`` hands the key to every default-chain client of that container's code, as
a compose ``environment`` does. The manifest rarely names the code's folder (its image is a
registry path, often a template such as ``{{WORKER_IMAGE}}``), so a manifest is matched to the
workload whose name is one of the words of its own name, its containers' names or its image's
repository name; with one workload in the repository, to that one. A manifest that matches
no workload, or several, is left alone: the planner reports its key as held by no workload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

MAX_MANIFEST_BYTES = 1_000_000
_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"})
_KIND_LINE = re.compile(r"^kind:\s*(" + "|".join(sorted(_KINDS)) + r")\s*$", re.M)
# Helm / Jinja / envsubst templating inside a value: ``image: {{WORKER_IMAGE}}`` is no YAML
_TEMPLATE = re.compile(r"\{\{[^{}\n]{0,200}\}\}")
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass
class Manifest:
    """One workload manifest: the words that may name its code, and the literal env it sets."""

    path: str
    words: set[str] = field(default_factory=set)
    env: list[tuple[str, str, int]] = field(default_factory=list)  # name, value, line


def manifests(root: Path, files: list[Path]) -> list[Manifest]:
    """Every Kubernetes workload manifest under ``root`` that sets a literal environment variable."""
    import yaml  # type: ignore[import-untyped]

    out: list[Manifest] = []
    for path in files:
        if path.suffix not in (".yaml", ".yml"):
            continue
        try:
            if path.stat().st_size > MAX_MANIFEST_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "apiVersion:" not in text or not _KIND_LINE.search(text):
            continue
        relpath = path.relative_to(root).as_posix()
        try:
            documents = list(yaml.safe_load_all(_TEMPLATE.sub("templated", text)))
        except yaml.YAMLError:
            continue
        lines = _name_lines(text)
        for document in documents:
            found = _manifest(document, relpath, lines)
            if found is not None and found.env:
                out.append(found)
    return out


def _dict(value: Any, key: str) -> dict[str, Any]:
    inner = value.get(key) if isinstance(value, dict) else None
    return inner if isinstance(inner, dict) else {}


def _manifest(document: Any, relpath: str, lines: dict[str, int]) -> Manifest | None:
    if not isinstance(document, dict) or document.get("kind") not in _KINDS:
        return None
    spec = _dict(document, "spec")
    if document["kind"] == "Pod":
        pod = spec
    elif document["kind"] == "CronJob":
        pod = _dict(_dict(_dict(_dict(spec, "jobTemplate"), "spec"), "template"), "spec")
    else:
        pod = _dict(_dict(spec, "template"), "spec")
    found = Manifest(relpath)
    found.words |= _words(_dict(document, "metadata").get("name"))
    containers = [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]
    for container in containers if isinstance(containers, list) else []:
        if not isinstance(container, dict):
            continue
        found.words |= _words(container.get("name"))
        image = container.get("image")
        if isinstance(image, str):
            # registry/org/repo:tag -> the repository's own name
            found.words |= _words(PurePosixPath(image.split("@")[0].split(":")[0]).name)
        env = container.get("env")
        for item in env if isinstance(env, list) else []:
            if (
                isinstance(item, dict)
                and isinstance(item.get("name"), str)
                and isinstance(item.get("value"), str)
            ):
                found.env.append((item["name"], item["value"], lines.get(item["name"], 1)))
    found.words.discard("templated")
    return found


def _words(value: Any) -> set[str]:
    return set(_WORDS.findall(value.lower())) if isinstance(value, str) else set()


_NAME_LINE = re.compile(r"\bname:\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?\s*$")


def _name_lines(text: str) -> dict[str, int]:
    """Each ``name: VAR`` line's number, found in one pass (one lookup per env entry after)."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _NAME_LINE.search(line)
        if match:
            found.setdefault(match.group(1), number)
    return found


def owner(manifest: Manifest, names: dict[str, str]) -> str | None:
    """The workload (key of ``names``: workload key -> its name) a manifest sets the environment
    of: the one whose name is a word of the manifest, else the only workload there is."""
    matched = {
        key for key, name in names.items() if name and set(_WORDS.findall(name.lower())) <= manifest.words
    }
    if len(matched) == 1:
        return next(iter(matched))
    if not matched and len(names) == 1:
        return next(iter(names))
    return None
