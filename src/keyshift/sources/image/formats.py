"""From a store to a list of images: which config, which layers, in which order.

Handles the three on-disk layouts: the legacy ``docker save`` archive (``manifest.json`` with
``<id>/layer.tar`` and diff_ids in the config), the Docker 25+ ``docker save`` (same
``manifest.json`` pointing into ``blobs/sha256``) and the OCI image layout (``index.json``,
possibly nested indexes, several platforms). Registries reuse ``select_platform``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from keyshift.errors import KeyshiftError
from keyshift.sources.image.blobs import BlobOpener, Store, load_json, read_small
from keyshift.sources.image.limits import Limits
from keyshift.sources.image.stream import LayerProblem

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
MANIFEST_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}


@dataclass(slots=True)
class LayerSpec:
    index: int
    digest: str | None
    verify: str  # "blob" | "diff" | "none"
    opener: BlobOpener | None  # None: the blob is missing
    size: int | None
    name: str  # for messages


@dataclass(slots=True)
class ImagePlan:
    label: str  # "" for the only image, else a tag or platform
    config: Mapping[str, Any] | None
    layers: list[LayerSpec]
    problems: list[str] = field(default_factory=list)
    platform: str | None = None
    config_mismatch: bool = False  # the config's content does not match its digest


def _blob_name(digest: str) -> str | None:
    alg, _, hexpart = digest.partition(":")
    if not alg.isalnum() or not hexpart or not all(c in "0123456789abcdef" for c in hexpart):
        return None
    return f"blobs/{alg}/{hexpart}"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def platform_of(desc: Mapping[str, Any]) -> str | None:
    p = desc.get("platform")
    if not isinstance(p, Mapping) or not isinstance(p.get("os"), str):
        return None
    parts = [p["os"], str(p.get("architecture", ""))]
    if p.get("variant"):
        parts.append(str(p["variant"]))
    return "/".join(parts)


def _matches(have: str, want: str) -> bool:
    h, w = have.split("/"), want.split("/")
    return h[: len(w)] == w or (len(w) == 2 and w == h[:2])


def select_platform(
    descs: Sequence[Mapping[str, Any]], platform: str | None
) -> tuple[list[Mapping[str, Any]], str]:
    """The manifests of an index to scan, and a note on the choice (empty when all are scanned)."""
    usable = [
        d
        for d in descs
        if isinstance(d, Mapping)
        and platform_of(d) != "unknown/unknown"
        and _mapping(d.get("annotations")).get("vnd.docker.reference.type") != "attestation-manifest"
    ]
    platforms = [platform_of(d) for d in usable]
    if platform:
        chosen = [d for d, p in zip(usable, platforms, strict=True) if p and _matches(p, platform)]
        if not chosen and len(usable) == 1:
            return usable, f"platform {platforms[0]}, the only one (--platform {platform} does not match)"
        if not chosen:
            have = ", ".join(sorted({p for p in platforms if p})) or "none"
            raise KeyshiftError(f"no image for platform {platform} (available: {have})")
        return chosen[:1], ""
    # no --platform: every platform is scanned (a key baked into any variant is leaked)
    return usable, ""


def _json(store: Store, name: str, limits: Limits) -> Any:
    return load_json(read_small(store, name, limits.max_json_bytes), name, limits.max_json_depth)


def _config(store: Store, name: str, limits: Limits, plan: ImagePlan) -> None:
    try:
        data = read_small(store, name, limits.max_json_bytes)
        parts = name.split("/")
        named = len(parts) == 3 and parts[0] == "blobs" and parts[1] == "sha256"
        if named and hashlib.sha256(data).hexdigest() != parts[2]:
            plan.config_mismatch = True
            plan.problems.append("image config: digest mismatch (config content does not match its name)")
        cfg = load_json(data, "image config", limits.max_json_depth)
    except LayerProblem as exc:
        plan.problems.append(f"image config: {exc}")
        return
    if not isinstance(cfg, Mapping):
        plan.problems.append("image config: not a JSON object")
        return
    plan.config = cfg


def docker_archive(store: Store, limits: Limits) -> list[ImagePlan]:
    """``manifest.json`` of a ``docker save`` archive (legacy and Docker 25+)."""
    try:
        manifest = _json(store, "manifest.json", limits)
    except LayerProblem as exc:
        raise KeyshiftError(f"{store.description}: cannot read manifest.json: {exc}") from None
    if not isinstance(manifest, list) or not manifest:
        raise KeyshiftError(f"{store.description}: manifest.json is not a list of images")
    plans = []
    for n, entry in enumerate(manifest):
        if not isinstance(entry, Mapping):
            raise KeyshiftError(f"{store.description}: manifest.json entry {n} is not an object")
        tags = entry.get("RepoTags") or []
        label = str(tags[0]) if isinstance(tags, list) and tags and len(manifest) > 1 else ""
        if not label and len(manifest) > 1:
            label = f"image {n}"
        plan = ImagePlan(label, None, [])
        cfg_name = entry.get("Config")
        if isinstance(cfg_name, str):
            _config(store, cfg_name, limits, plan)
        else:
            plan.problems.append("manifest.json entry has no Config")
        diff_ids: list[Any] = []
        if plan.config is not None:
            rootfs = plan.config.get("rootfs")
            if isinstance(rootfs, Mapping) and isinstance(rootfs.get("diff_ids"), list):
                diff_ids = rootfs["diff_ids"]
        layers = entry.get("Layers")
        if not isinstance(layers, list):
            plan.problems.append("manifest.json entry has no Layers list")
            layers = []
        for i, name in enumerate(layers):
            name = str(name)
            if name.startswith("blobs/"):
                digest: str | None = name.split("/", 1)[1].replace("/", ":", 1)
                verify = "blob"
            else:
                digest = diff_ids[i] if i < len(diff_ids) and isinstance(diff_ids[i], str) else None
                verify = "diff" if digest else "none"
            plan.layers.append(LayerSpec(i, digest, verify, store.opener(name), store.size(name), name))
        if diff_ids and len(diff_ids) != len(layers):
            plan.problems.append(f"config lists {len(diff_ids)} layers, manifest.json {len(layers)}")
        plans.append(plan)
    return plans


def oci_layout(store: Store, limits: Limits, platform: str | None) -> list[ImagePlan]:
    """``index.json`` of an OCI image layout, following nested indexes to image manifests."""
    try:
        index = _json(store, "index.json", limits)
    except LayerProblem as exc:
        raise KeyshiftError(f"{store.description}: cannot read index.json: {exc}") from None
    if not isinstance(index, Mapping) or not isinstance(index.get("manifests"), list):
        raise KeyshiftError(f"{store.description}: index.json has no manifests list")
    plans: list[ImagePlan] = []
    problems: list[str] = []
    _walk_index(store, limits, platform, index, plans, problems, depth=0)
    if not plans:
        detail = "; ".join(problems) or "index.json lists no image manifest"
        raise KeyshiftError(f"{store.description}: no readable image: {detail}")
    if problems:
        plans[0].problems.extend(problems)
    if len(plans) > 1:
        platforms = [p.platform for p in plans]
        by_platform = None not in platforms and len(set(platforms)) == len(platforms)
        for n, plan in enumerate(plans):
            plan.label = (plan.platform if by_platform else plan.label) or f"image {n}"
    else:
        plans[0].label = ""
    return plans


def _walk_index(
    store: Store,
    limits: Limits,
    platform: str | None,
    index: Mapping[str, Any],
    plans: list[ImagePlan],
    problems: list[str],
    depth: int,
) -> None:
    if depth > 4:
        problems.append("indexes nested more than 4 deep")
        return
    chosen, note = select_platform(index["manifests"], platform)
    for desc in chosen:
        digest = desc.get("digest")
        name = _blob_name(digest) if isinstance(digest, str) else None
        if name is None:
            problems.append(f"index entry with an invalid digest {digest!r}")
            continue
        try:
            data = read_small(store, name, limits.max_json_bytes)
            if name.startswith("blobs/sha256/") and hashlib.sha256(data).hexdigest() != name[13:]:
                problems.append(f"manifest {digest}: digest mismatch (content does not match its name)")
            doc = load_json(data, name, limits.max_json_depth)
        except LayerProblem as exc:
            problems.append(f"manifest {digest}: {exc}")
            continue
        if not isinstance(doc, Mapping):
            problems.append(f"manifest {digest}: not a JSON object")
            continue
        media = doc.get("mediaType") or desc.get("mediaType")
        media = media if isinstance(media, str) else ""
        if media in INDEX_TYPES or ("manifests" in doc and "layers" not in doc):
            if isinstance(doc.get("manifests"), list):
                _walk_index(store, limits, platform, doc, plans, problems, depth + 1)
            continue
        ref_name = _mapping(desc.get("annotations")).get("org.opencontainers.image.ref.name")
        plan = manifest_plan(doc, store, limits, label=str(ref_name or ""))
        plan.platform = platform_of(desc)
        if note:
            plan.problems.append(f"scanned {note}")
        plans.append(plan)


def manifest_plan(doc: Mapping[str, Any], store: Store, limits: Limits, label: str = "") -> ImagePlan:
    """An image manifest (OCI or Docker v2 schema 2) to config plus layer specs."""
    plan = ImagePlan(label, None, [])
    cfg = doc.get("config")
    if isinstance(cfg, Mapping) and isinstance(cfg.get("digest"), str):
        name = _blob_name(cfg["digest"])
        if name is None:
            plan.problems.append("image config: invalid digest")
        else:
            _config(store, name, limits, plan)
    else:
        plan.problems.append("manifest has no config descriptor")
    layers = doc.get("layers")
    if not isinstance(layers, list):
        plan.problems.append("manifest has no layers list")
        layers = []
    for i, desc in enumerate(layers):
        digest = desc.get("digest") if isinstance(desc, Mapping) else None
        name = _blob_name(digest) if isinstance(digest, str) else None
        size = desc.get("size") if isinstance(desc, Mapping) else None
        size = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None
        opener = store.opener(name) if name else None
        plan.layers.append(
            LayerSpec(i, digest if isinstance(digest, str) else None, "blob", opener, size, name or "?")
        )
    return plan
