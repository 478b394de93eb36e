"""``scan --image``: credentials in container images, layer by layer, with no Docker engine.

``scan_image`` reads a ``docker save`` archive, an OCI layout (directory or tar) or a registry
image, scans the config (Env, Labels, history) and every file of every layer (streamed, in
parallel worker processes), then decides for each layer hit whether the file is still in the
final filesystem or was deleted (whiteout, opaque directory) or overwritten, and by which
layer. Problems become ``errors``/``skipped`` entries; only an unreadable image raises.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from keyshift import pool
from keyshift.config import Config
from keyshift.errors import KeyshiftError
from keyshift.model import Finding, ImageInfo, ScanResult, Skipped
from keyshift.progress import NULL, Reporter
from keyshift.sources.image.blobs import DirStore, Store, TarStore
from keyshift.sources.image.config import scan_config
from keyshift.sources.image.formats import ImagePlan, docker_archive, oci_layout
from keyshift.sources.image.layers import LayerResult, LayerTask, scan_layer
from keyshift.sources.image.limits import Limits, limits_from
from keyshift.sources.image.stream import HashingReader, Inflater, LayerProblem, sniff
from keyshift.sources.image.tarwalk import parent_dirs

__all__ = ["scan_image"]

_PARALLEL_MIN_BYTES = 8 * 1024 * 1024
_LOCAL_PREFIXES = ("oci:", "oci-archive:", "docker-archive:")


def scan_image(
    ref: str,
    config: Config,
    *,
    platform: str | None = None,
    username: str | None = None,
    password: str | None = None,
    allow_http: bool = False,
    progress: Reporter = NULL,
) -> ScanResult:
    """Scan one image; ``ref`` is a local archive/layout path or a registry reference."""
    limits = limits_from(
        config.section("image"), max_file_size=config.max_file_size, inline_ignores=config.inline_ignores
    )
    with contextlib.ExitStack() as stack:
        local = _local_path(ref)
        if local is not None:
            plans, kind, notes = _open_local(local, limits, platform, stack)
        else:
            from keyshift.sources.image.registry import open_registry

            plans, kind, notes = open_registry(
                ref, limits, platform=platform, username=username, password=password, allow_http=allow_http
            )
        return _scan_plans(ref, kind, plans, notes, limits, config.jobs, progress)


_ARCHIVE_SUFFIXES = (
    ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.zstd", ".tzst", ".tar.xz", ".txz", ".tar.bz2", ".tbz2",
    ".gz", ".zst", ".xz", ".bz2", ".zip", ".oci", ".docker", ".img",
)  # fmt: skip
_REGISTRY_PREFIXES = ("docker://", "registry:")


def _local_path(ref: str) -> Path | None:
    """The local archive or layout ``ref`` names, or None for a registry reference.

    A reference that looks local (a path prefix, ``~``, an archive extension, a backslash, or a
    folder that exists here) but is missing is an error, never a registry lookup: a typo must not
    go online. ``docker://`` or ``registry:`` in front always means a registry.
    """
    for prefix in _LOCAL_PREFIXES:
        if ref.startswith(prefix):
            return Path(ref[len(prefix) :]).expanduser()
    if ref.startswith(_REGISTRY_PREFIXES):
        return None
    path = Path(ref).expanduser()
    if path.exists() or path.is_symlink():
        return path
    if _looks_local(ref):
        raise KeyshiftError(
            f"image file not found: {ref} (an image from a registry is named docker://NAME[:TAG])"
        )
    return None


def _looks_local(ref: str) -> bool:
    if ref in (".", "..") or ref.startswith(("/", "./", "../", "~", ".\\")) or "\\" in ref:
        return True
    if ref.lower().endswith(_ARCHIVE_SUFFIXES):
        return True
    first, sep, _ = ref.partition("/")
    explicit_host = "." in first or ":" in first or first == "localhost"
    # ``build/app`` while ./build exists: a path into a local folder, not a Docker Hub namespace
    return bool(sep) and not explicit_host and Path(ref).parent.is_dir()


def _open_local(
    path: Path, limits: Limits, platform: str | None, stack: contextlib.ExitStack
) -> tuple[list[ImagePlan], str, list[str]]:
    notes: list[str] = []
    if not path.exists():
        raise KeyshiftError(f"image file not found: {path}")
    store: Store
    if path.is_dir():
        store = DirStore(path)
    elif not path.is_file():  # a FIFO or device would block or never end
        raise KeyshiftError(f"{path}: not a regular file or directory")
    else:
        try:
            with open(path, "rb") as fh:
                head = fh.read(8)
        except OSError as exc:
            raise KeyshiftError(f"cannot read {path}: {exc.strerror}") from None
        kind = sniff(head)
        if kind != "none":
            path = _decompress_outer(path, kind, limits, stack, notes)
            notes.append(f"archive was {kind}-compressed; unpacked to a private temporary file")
        try:
            tar_store = TarStore(path)
        except LayerProblem as exc:
            raise KeyshiftError(f"{path}: {exc}") from None
        notes.extend(tar_store.problems)
        store = tar_store
    if store.opener("manifest.json") is not None:
        return docker_archive(store, limits), "docker-archive", notes
    if store.opener("index.json") is not None:
        return oci_layout(store, limits, platform), "oci-layout", notes
    raise KeyshiftError(f"{path}: not an image (no manifest.json or index.json)")


def _decompress_outer(
    path: Path, kind: str, limits: Limits, stack: contextlib.ExitStack, notes: list[str]
) -> Path:
    """A compressed archive is unpacked once into a private temp file (needed for random access).

    The same bounds as for layers apply (total size, compression ratio), so a compressed bomb
    stops early instead of filling the disk.
    """
    tmpdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="keyshift-image-"))
    out = Path(tmpdir) / "image.tar"
    with open(path, "rb") as src, open(out, "wb") as dst:
        inflater = Inflater(
            HashingReader(src),
            max_bytes=limits.max_total_bytes,
            max_ratio=limits.max_ratio,
            ratio_floor=limits.ratio_floor,
        )
        try:
            for chunk in inflater.chunks():
                dst.write(chunk)
        except LayerProblem as exc:
            if inflater.produced == 0:
                raise KeyshiftError(f"{path}: cannot decompress: {exc}") from None
            notes.append(f"{kind}-compressed archive: {exc}; reading the part before that")
        except OSError as exc:
            raise KeyshiftError(f"{path}: cannot decompress: {exc.strerror or exc}") from None
    return out


def _scan_plans(
    ref: str,
    kind: str,
    plans: list[ImagePlan],
    notes: list[str],
    limits: Limits,
    jobs: int,
    progress: Reporter,
) -> ScanResult:
    findings: list[Finding] = []
    errors: list[str] = list(notes)
    skipped: list[Skipped] = []
    stats: dict[str, Any] = {"format": kind, "images": len(plans), "layers": 0}
    tasks: list[tuple[int, LayerTask]] = []
    for n, plan in enumerate(plans):
        label = f"{ref}#{plan.label}" if plan.label else ref
        prefix = f"{plan.label}: " if plan.label else ""
        errors.extend(prefix + p for p in plan.problems)
        if plan.config is not None:
            cfg_findings, cfg_problems = scan_config(plan.config, label, limits.inline_ignores)
            if plan.config_mismatch:
                note = "image config digest mismatch: content may not be what the manifest names"
                cfg_findings = [replace(x, note=f"{x.note} {note}" if x.note else note) for x in cfg_findings]
            findings.extend(cfg_findings)
            errors.extend(prefix + p for p in cfg_problems)
        else:
            skipped.append(Skipped(f"{label} <config>", "image config unreadable"))
        if plan.platform:
            stats.setdefault("platforms", []).append(plan.platform)
        for spec in plan.layers:
            if spec.opener is None:
                errors.append(f"{prefix}layer {spec.index} ({spec.digest or spec.name}): blob is missing")
                skipped.append(Skipped(f"{label} layer {spec.index}", "blob is missing"))
                continue
            tasks.append(
                (n, LayerTask(label, spec.index, spec.digest, spec.verify, spec.opener, limits, spec.size))
            )
        stats["layers"] += len(plan.layers)
    readable_layers = len(tasks)
    results = _run(tasks, limits, jobs, progress)
    if not any(p.config is not None for p in plans) and not any(r.files or r.entries for _, r in results):
        problems = errors + [e for _, r in results for e in r.errors]
        detail = "; ".join(problems[:5]) or f"{readable_layers} readable layers, no files"
        raise KeyshiftError(f"image {ref} could not be read at all: {detail}")
    by_image: dict[int, list[LayerResult]] = {}
    for n, r in results:
        by_image.setdefault(n, []).append(r)
    files = bytes_out = 0
    for n, layer_results in by_image.items():
        plan = plans[n]
        total_layers = len(plan.layers)
        layers_by_index = {r.index: r for r in layer_results}
        for r in layer_results:
            errors.extend((f"{plan.label}: " if plan.label else "") + e for e in r.errors)
            label = f"{ref}#{plan.label}" if plan.label else ref
            skipped.extend(
                Skipped(f"{label} layer {r.index}: {p}" if p else label, why) for p, why in r.skipped
            )
            files += r.files
            bytes_out += r.bytes_out
            for hit in r.hits:
                deleted_by = _deleted_by(hit.layer_path, hit.member, r.index, layers_by_index, total_layers)
                info = ImageInfo(
                    ref=label,
                    layer_index=r.index,
                    layer_digest=r.digest,
                    deleted=deleted_by is not None,
                    deleted_by_layer=deleted_by,
                )
                findings.append(replace(hit.finding, image=info))
    findings.sort(key=_sort_key)
    stats.update(
        {
            "files": files,
            "bytes_decompressed": bytes_out,
            "links": sum(r.links for _, r in results),
            "nested_archives": sum(r.nested for _, r in results),
            "windowed_files": sum(r.windowed for _, r in results),
        }
    )
    return ScanResult(
        root=ref,
        findings=tuple(f for f in findings if f.suppressed is None),
        suppressed=tuple(f for f in findings if f.suppressed is not None),
        skipped=tuple(sorted(set(skipped), key=lambda s: (s.path, s.reason))),
        files_scanned=files,
        bytes_scanned=bytes_out,
        errors=tuple(errors),
        stats=stats,
    )


def _sort_key(f: Finding) -> tuple[Any, ...]:
    img = f.image
    return (
        img.ref if img else "",
        -1 if img is None or img.layer_index is None else img.layer_index,
        img.field or "" if img else "",
        f.location.path,
        f.location.line,
        f.location.column or 0,
        f.rule_id,
        f.value_sha1,
    )


def _deleted_by(path: str, member: int, index: int, layers: dict[int, LayerResult], total: int) -> int | None:
    """The first layer (this one or later) in which ``path`` from layer ``index`` stops being visible."""
    own = layers.get(index)
    if own is not None:
        last = own.entries.get(path)
        if last is not None and last[0] > member:
            return index  # the same layer wrote the path again later
    ancestors = list(parent_dirs(path))
    for j in range(index + 1, total):
        layer = layers.get(j)
        if layer is None:
            continue
        if path in layer.whiteouts or any(a in layer.whiteouts for a in ancestors):
            return j
        if "" in layer.opaque or any(a in layer.opaque for a in ancestors):
            return j
        if path in layer.entries:
            return j
        for a in ancestors:
            entry = layer.entries.get(a)
            if entry is not None and not entry[1]:
                return j  # a file or link replaced a parent directory
    return None


def _run(
    tasks: list[tuple[int, LayerTask]], limits: Limits, jobs: int, progress: Reporter
) -> list[tuple[int, LayerResult]]:
    workers = min(pool.workers(jobs), len(tasks))
    progress.phase("image layers", total=len(tasks), unit="layers")
    total = sum(t.size or 0 for _, t in tasks)
    budget = limits.max_total_bytes
    out: list[tuple[int, LayerResult]] = []
    if workers <= 1 or total < _PARALLEL_MIN_BYTES:
        for n, task in tasks:
            out.append((n, _bounded(task, budget, out)))
            progress.advance()
        return out
    for numbered in pool.imap(_scan_numbered, tasks, jobs=workers, order="submission", lost=_scan_here):
        out.append(numbered)
        progress.advance()
    used = 0
    for _, r in out:
        used += r.bytes_out
        if used > budget:
            r.errors.append(f"the image passed the total limit of {budget} decompressed bytes")
            break
    return out


def _scan_numbered(item: tuple[int, LayerTask]) -> tuple[int, LayerResult]:
    return item[0], scan_layer(item[1])


def _scan_here(item: tuple[int, LayerTask]) -> tuple[int, LayerResult]:
    """A layer lost with a dead worker (killed, out of memory) is scanned in the main process."""
    result = scan_layer(item[1])
    result.errors.append("a worker process died; this layer was scanned in the main process")
    return item[0], result


def _bounded(task: LayerTask, budget: int, done: list[tuple[int, LayerResult]]) -> LayerResult:
    used = sum(r.bytes_out for _, r in done)
    left = max(0, budget - used)
    if left < task.limits.max_layer_bytes:
        task = replace(task, limits=replace(task.limits, max_layer_bytes=left))
    return scan_layer(task)
