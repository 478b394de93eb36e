"""Scan one layer blob: stream it, verify its digest, run the detectors on every regular file.

Runs in a worker process (everything in and out is picklable). A layer is never extracted:
each member's body is read into memory up to ``max_file_size`` (larger files in overlapping
windows), links are recorded but never read through, and nested zip/tar/gzip archives are
opened in memory up to a bounded depth. Problems stop the layer with a reason; findings from
the part already read are kept.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from keyshift.awsnames import KEY_ID_PREFIXES_BYTES as _KEY_PREFIXES
from keyshift.detect import detect_bytes, might_contain
from keyshift.model import Finding, SourceKind
from keyshift.sources.image.blobs import BlobOpener
from keyshift.sources.image.limits import Limits
from keyshift.sources.image.stream import ExactReader, HashingReader, Inflater, LayerProblem
from keyshift.sources.image.tarwalk import DIR, REGULAR, TarWalker, Truncated

WH_PREFIX = ".wh."
WH_OPAQUE = ".wh..wh..opq"
_OVERLAP = 4096
MAX_KEY_IDS_PER_FILE = 2000
_DENSE_CHECK_BYTES = 32 * 1024  # below this a file cannot hold that many key IDs


@dataclass(frozen=True, slots=True)
class LayerTask:
    ref: str
    index: int
    digest: str | None  # what the manifest says (or the diff_id for legacy archives)
    verify: str  # "blob": digest is over the raw blob; "diff": over the decompressed tar; "none"
    opener: BlobOpener
    limits: Limits
    size: int | None = None  # declared blob size, if known


@dataclass(slots=True)
class Hit:
    finding: Finding
    layer_path: str  # the file in the layer that held it (outer file for nested archives)
    member: int  # ordinal of that member in the layer, to notice a later duplicate


@dataclass(slots=True)
class LayerResult:
    index: int
    digest: str | None
    hits: list[Hit] = field(default_factory=list)
    entries: dict[str, tuple[int, bool]] = field(default_factory=dict)  # path -> (last member, is_dir)
    whiteouts: set[str] = field(default_factory=set)
    opaque: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    files: int = 0
    bytes_raw: int = 0
    bytes_out: int = 0
    links: int = 0
    nested: int = 0
    windowed: int = 0
    complete: bool = False
    digest_ok: bool | None = None


class _Scanner:
    """Detection for one layer, including nested archives."""

    def __init__(self, task: LayerTask, result: LayerResult) -> None:
        self.task = task
        self.limits = task.limits
        self.result = result
        self.nested_left = task.limits.max_nested_total  # decompressed nested bytes, whole layer

    def _spend(self, n: int) -> None:
        self.nested_left -= n
        if self.nested_left < 0:
            raise LayerProblem(
                f"nested archives in this layer passed {self.limits.max_nested_total} decompressed bytes"
            )

    def detect(self, data: bytes, path: str, layer_path: str, member: int, line_offset: int = 0) -> None:
        if not might_contain(data):
            return
        if len(data) > _DENSE_CHECK_BYTES:
            data = self._cap_key_ids(data, path)
        for f in detect_bytes(data, path, source=SourceKind.IMAGE, inline_ignores=self.limits.inline_ignores):
            loc = f.location
            if line_offset:
                loc = replace(loc, line=loc.line + line_offset)
            f = replace(f, rule_id="KS102", location=loc)
            self.result.hits.append(Hit(f, layer_path, member))

    def _cap_key_ids(self, data: bytes, path: str) -> bytes:
        """A file stuffed with key IDs would take minutes to report; keep the part with the first ones."""
        if sum(data.count(prefix) for prefix in _KEY_PREFIXES) <= MAX_KEY_IDS_PER_FILE:
            return data
        positions: list[int] = []
        for prefix in _KEY_PREFIXES:  # the first MAX+1 of each prefix hold the first MAX+1 overall
            pos, found = data.find(prefix), 0
            while pos >= 0 and found <= MAX_KEY_IDS_PER_FILE:
                positions.append(pos)
                found += 1
                pos = data.find(prefix, pos + 1)
        positions.sort()
        cut = positions[MAX_KEY_IDS_PER_FILE]
        cut = data.rfind(b"\n", 0, cut) + 1 or cut
        self.result.skipped.append(
            (path, f"more than {MAX_KEY_IDS_PER_FILE} key IDs in one file: only the first ones reported")
        )
        return data[:cut]

    def scan_file(self, data: bytes, path: str, layer_path: str, member: int, depth: int) -> None:
        kind = _archive_kind(data, path)
        if kind and depth < self.limits.max_nested_depth:
            self.result.nested += 1
            try:
                self._scan_nested(kind, data, path, layer_path, member, depth + 1)
                return
            except LayerProblem as exc:
                self.result.skipped.append((f"{path}", f"nested archive: {exc}"))
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, tarfile.TarError, ValueError) as exc:
                self.result.skipped.append((f"{path}", f"nested archive unreadable: {type(exc).__name__}"))
        elif kind:
            self.result.skipped.append((path, f"nested archive deeper than {self.limits.max_nested_depth}"))
        self.detect(data, path, layer_path, member)

    def _scan_nested(
        self, kind: str, data: bytes, path: str, layer_path: str, member: int, depth: int
    ) -> None:
        cap = self.limits.max_nested_bytes
        if kind == "zip":
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                infos = zf.infolist()
                if len(infos) > self.limits.max_nested_members:
                    raise LayerProblem(f"more than {self.limits.max_nested_members} entries")
                for info in infos:
                    if info.is_dir():
                        continue
                    inner = f"{path}!{info.filename.lstrip('/')}"
                    if info.file_size > cap:
                        self.result.skipped.append((inner, f"nested file larger than {cap} bytes"))
                        continue
                    if self.nested_left <= 0:
                        self._spend(1)
                    try:
                        with zf.open(info) as fh:
                            body = fh.read(min(cap, self.nested_left) + 1)
                    except (
                        zipfile.BadZipFile,
                        zlib.error,
                        NotImplementedError,
                        RuntimeError,
                        EOFError,
                    ) as exc:
                        self.result.skipped.append((inner, f"nested file unreadable: {type(exc).__name__}"))
                        continue
                    self._spend(len(body))
                    if len(body) > cap:
                        self.result.skipped.append((inner, f"nested file larger than {cap} bytes"))
                        continue
                    self.scan_file(body, inner, layer_path, member, depth)
            return
        if kind == "gzip":
            d = zlib.decompressobj(31)
            body = d.decompress(data, min(cap, max(0, self.nested_left)) + 1)
            self._spend(len(body))
            if len(body) > cap or d.unconsumed_tail:
                raise LayerProblem(f"decompresses to more than {cap} bytes")
            inner_name = path.rsplit("/", 1)[-1]
            inner_name = inner_name[:-3] if inner_name.endswith(".gz") else inner_name[:-4] + ".tar"
            if _archive_kind(body, inner_name) == "tar":
                self._scan_nested("tar", body, path, layer_path, member, depth)
            else:
                self.scan_file(body, f"{path}!{inner_name}", layer_path, member, depth)
            return
        walker = TarWalker(ExactReader(iter((data,))), max_members=self.limits.max_nested_members)
        for m in walker:
            if m.kind != REGULAR:
                continue
            inner = f"{path}!{m.path}"
            if m.size > cap:
                self.result.skipped.append((inner, f"nested file larger than {cap} bytes"))
                continue
            self.scan_file(walker.read_body(m.size), inner, layer_path, member, depth)


def _archive_kind(data: bytes, path: str) -> str | None:
    if data[:4] == b"PK\x03\x04":
        return "zip"
    if data[:2] == b"\x1f\x8b":
        return "gzip"
    if len(data) >= 262 and data[257:262] == b"ustar":
        return "tar"
    if path.lower().endswith(".tar") and len(data) >= 512:
        try:
            tarfile.TarInfo.frombuf(data[:512], "utf-8", "surrogateescape")
            return "tar"
        except tarfile.HeaderError:
            return None
    return None


def scan_layer(task: LayerTask) -> LayerResult:
    """Stream one layer and return its hits, its path set and every problem met."""
    result = LayerResult(index=task.index, digest=task.digest)
    limits = task.limits
    where = f"layer {task.index} ({task.digest or 'unknown digest'})"
    try:
        fh = task.opener.open()
    except LayerProblem as exc:
        result.errors.append(f"{where}: {exc}")
        result.skipped.append((f"layer {task.index}", str(exc)))
        return result
    try:
        raw = HashingReader(fh, task.size)
        inflater = Inflater(
            raw, max_bytes=limits.max_layer_bytes, max_ratio=limits.max_ratio, ratio_floor=limits.ratio_floor
        )
        diff_hash = hashlib.sha256() if task.verify == "diff" else None
        chunks = inflater.chunks()
        if diff_hash is not None:
            chunks = _tee_hash(chunks, diff_hash)
        walker = TarWalker(ExactReader(chunks), max_members=limits.max_members)
        scanner = _Scanner(task, result)
        try:
            _walk(walker, scanner, result, where)
            result.complete = walker.ended_cleanly
            for _ in chunks:  # padding after the end marker: part of the diff_id and the blob digest
                pass
            raw.drain()
        except LayerProblem as exc:
            result.errors.append(f"{where}: {exc}")
            result.skipped.append((f"layer {task.index}", str(exc)))
        except OSError as exc:
            result.errors.append(f"{where}: read error: {exc.strerror or type(exc).__name__}")
            result.skipped.append((f"layer {task.index}", "read error"))
        if inflater.trailing_garbage:
            result.errors.append(f"{where}: unexpected data after the compressed stream (ignored)")
        result.bytes_raw = raw.count
        if result.digest is None and raw.eof:
            result.digest = f"sha256:{raw.hexdigest()}"  # no digest named anywhere: report what was read
        result.bytes_out = inflater.produced
        if task.size is not None and raw.count < task.size:
            result.errors.append(f"{where}: blob is truncated ({raw.count} of {task.size} bytes)")
        if task.digest and task.verify != "none" and task.digest.startswith("sha256:"):
            if task.verify == "blob" and raw.eof:
                got = raw.hexdigest()
            elif diff_hash is not None and result.complete:
                got = diff_hash.hexdigest()
            else:
                got = None
            if got is not None:
                result.digest_ok = got == task.digest.split(":", 1)[1]
                if not result.digest_ok:
                    result.errors.append(f"{where}: digest mismatch (content is sha256:{got})")
            elif not result.complete:
                result.digest_ok = False
    finally:
        fh.close()
    if result.digest_ok is False:
        note = "layer digest mismatch or unreadable: content may not be what the manifest names"
        for hit in result.hits:
            own = hit.finding.note
            hit.finding = replace(hit.finding, note=f"{own} {note}" if own else note)
    return result


def _tee_hash(chunks: Iterator[bytes], h: Any) -> Iterator[bytes]:
    for c in chunks:
        h.update(c)
        yield c


def _walk(walker: TarWalker, scanner: _Scanner, result: LayerResult, where: str) -> None:
    limits = scanner.limits
    for ordinal, m in enumerate(walker):
        if m.unsafe:
            result.errors.append(f"{where}: {m.unsafe}: {m.raw_name!r} read as {m.path!r}")
        if not m.path:
            continue
        head, _, base = m.path.rpartition("/")
        if base == WH_OPAQUE:
            result.opaque.add(head)
            continue
        if base.startswith(WH_PREFIX):
            result.whiteouts.add(f"{head}/{base[len(WH_PREFIX) :]}" if head else base[len(WH_PREFIX) :])
            continue
        result.entries[m.path] = (ordinal, m.kind == DIR)
        if m.kind != REGULAR:
            if m.kind != DIR:
                result.links += 1
            continue
        result.files += 1
        if m.size <= limits.max_file_size:
            try:
                data = walker.read_body(m.size)
            except Truncated as exc:
                scanner.detect(exc.data, m.path, m.path, ordinal)
                raise LayerProblem(f"{exc} ({m.path!r} claims {m.size} bytes)") from None
            scanner.scan_file(data, m.path, m.path, ordinal, 0)
            continue
        result.windowed += 1  # larger than max_file_size: scanned in overlapping windows
        seen: set[tuple[str, str, int, int | None]] = set()
        lines_before = 0
        windows = walker.body_windows(limits.window, _OVERLAP)
        while True:
            try:
                _offset, window = next(windows)
            except StopIteration:
                break
            except Truncated as exc:
                scanner.detect(exc.data, m.path, m.path, ordinal, line_offset=lines_before)
                raise LayerProblem(f"{exc} ({m.path!r} claims {m.size} bytes)") from None
            before = len(result.hits)
            scanner.detect(window, m.path, m.path, ordinal, line_offset=lines_before)
            kept = []
            for hit in result.hits[before:]:
                f = hit.finding
                key = (f.rule_id, f.value_sha1, f.location.line, f.location.column)
                if key not in seen:
                    seen.add(key)
                    kept.append(hit)
            del result.hits[before:]
            result.hits.extend(kept)
            lines_before += window.count(b"\n", 0, max(0, len(window) - _OVERLAP))
