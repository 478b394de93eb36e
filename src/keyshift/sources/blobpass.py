"""Pass 1 of ``scan --history``: read every blob once, keep the ids of those that hold a credential.

How the reading is split, and why (measured on botocore, 54,000 blobs, 8 GB of content):

- A ``cat-file --batch`` reader that goes through the blobs in pack order resolves each delta
  from bases it has just decompressed (git's delta base cache). Starting a new reader
  mid-chain costs the whole chain again: one reader per 16 MB chunk used 38 s of git CPU,
  per 128 MB 28 s, one reader for everything 18.5 s. So each worker gets a long contiguous
  *piece* of the pack-ordered list and reads it with one ``cat-file`` process.
- Pieces shrink as the scan goes on (each is the larger of a 1/(2 x workers) share of what is
  left and ``_PIECE_MIN``): the first pieces are long, so there are few restarts, and the last
  ones are short, so no core idles at the end while the other finishes a long piece.
- The listing is held compactly (41 bytes a blob, never the content): pieces can only be cut
  once the total is known. Only one blob per reader is in memory at a time.

The filter itself (``might_contain``, then ``_holds``) is the detectors' necessary condition;
``tests/history/test_prefilter.py`` and ``test_carrier_parity.py`` hold it to them.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from keyshift import pool
from keyshift.awsnames import KEY_ID_PATTERN
from keyshift.config import Config
from keyshift.detect import detect_bytes, might_contain
from keyshift.detect.suppress import key_id_placeholder
from keyshift.detect.textkind import as_scannable
from keyshift.model import SourceKind
from keyshift.sources.git_objects import Blob, ReadProblem, ReadStats, read_blobs

# The first pass does not know paths yet; carriers are settled in pass 3. A blob counts as a hit
# when any carrier that changes what is matched (literal joining, Dockerfile continuations) finds something.
PROBE_PATHS = ("blob", "blob.py", "Dockerfile")
_PIECE_MIN = 64 << 20  # the shortest piece one reader is started for (the end of the scan)
_IN_PROCESS = 32 << 20  # less content than this is read in this process (a pool costs more)
_BLOB_COST = 256  # per-blob overhead counted with its size when cutting pieces
_REPORT_EVERY = 4 << 20  # bytes a worker reads between two progress reports

# a key ID on word boundaries is a finding under any path (suppressed or not): no need to probe.
# Searched without look-arounds (a leading look-behind defeats ``re``'s prefix scan: 30 MB/s
# instead of 1 GB/s on multi-megabyte service models) and the boundaries checked per match.
_KEY_ID_SHAPE = re.compile(KEY_ID_PATTERN.encode())
# The lines around an example key rarely change between versions of a service model (botocore:
# 388 versions, a handful of distinct excerpts), so each worker remembers the verdicts it gave.
_EXCERPT_VERDICTS: dict[bytes, bool] = {}
_EXCERPT_MEMORY = 4096
_WORD = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(slots=True)
class Counts:
    """What pass 1 hands on: how much it read, and the ids of the blobs worth attributing."""

    blobs: int = 0
    bytes: int = 0
    binary: int = 0
    hits: list[str] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        self.blobs += other.blobs
        self.bytes += other.bytes
        self.binary += other.binary
        self.hits.extend(other.hits)
        self.problems.extend(other.problems)


def _scan_piece(
    cmd: list[str], shas: list[str], inline_ignores: bool, report: Callable[[int], None]
) -> Counts:
    """Read a contiguous run of blobs with one reader, keep the ids of those that hold a credential."""
    counts = Counts()
    stats = ReadStats()
    unreported = 0
    for sha, data in read_blobs(cmd, shas, stats):
        counts.blobs += 1
        counts.bytes += len(data)
        unreported += len(data)
        if unreported >= _REPORT_EVERY:
            report(unreported)
            unreported = 0
        scannable = as_scannable(data)  # UTF-16 decoded; stray NULs in text do not make it binary
        if scannable is None:
            counts.binary += 1
            continue
        if might_contain(scannable) and holds(scannable, inline_ignores):
            counts.hits.append(sha)
    report(unreported)
    counts.problems = stats.problems
    return counts


def holds(data: bytes, inline_ignores: bool) -> bool:
    """Pass 1's verdict on a blob the prefilter kept: does it hold a credential worth attributing?

    A key ID on word boundaries is a finding under any path, so no probe is needed, unless every
    key ID in the blob is a documentation example or placeholder (AWS's own service models and
    docs carry ``AKIAIOSFODNN7EXAMPLE`` in hundreds of multi-megabyte versions). Such a blob is
    dropped when nothing else in it could be a finding: without the examples it fails the
    prefilter, and the lines around each example (where a secret paired with it would stand)
    yield only suppressed findings. Attributing it would only list suppressed examples.
    """
    keys = plain_key_ids(data)
    if not keys:
        return probe(data, inline_ignores)
    if any(key_id_placeholder(k.decode("ascii")) is None for k in keys):
        return True
    stripped = data
    for key in keys:
        stripped = stripped.replace(key, b"")
    if might_contain(stripped):
        return True
    excerpt = around(data, keys)
    digest = hashlib.blake2b(excerpt, digest_size=20).digest()
    verdict = _EXCERPT_VERDICTS.get(digest)
    if verdict is None:
        verdict = any(
            f.suppressed not in ("example-key", "placeholder")
            for path in PROBE_PATHS
            for f in detect_bytes(excerpt, path, source=SourceKind.HISTORY, inline_ignores=False)
        )
        if len(_EXCERPT_VERDICTS) >= _EXCERPT_MEMORY:
            _EXCERPT_VERDICTS.clear()
        _EXCERPT_VERDICTS[digest] = verdict
    return verdict


def plain_key_ids(data: bytes) -> set[bytes]:
    """Every key ID in ``data`` standing on word boundaries (no letter, digit or ``_`` glued on)."""
    keys: set[bytes] = set()
    size = len(data)
    for match in _KEY_ID_SHAPE.finditer(data):
        start, end = match.span()
        if (start == 0 or data[start - 1] not in _WORD) and (end == size or data[end] not in _WORD):
            keys.add(match.group())
    return keys


def around(data: bytes, keys: set[bytes], reach: int = 8) -> bytes:
    """The lines within ``reach`` of every line holding one of ``keys`` (runs separated by a blank line).

    Found by position (``find``, then ``reach`` newlines either way), not by testing every line:
    the blobs that get here are multi-megabyte service models with a handful of examples.
    """
    size = len(data)
    spans: list[tuple[int, int]] = []
    for key in keys:
        at = data.find(key)
        while at != -1:
            start = data.rfind(b"\n", 0, at) + 1
            for _ in range(reach):
                if start == 0:
                    break
                start = data.rfind(b"\n", 0, start - 1) + 1
            end = data.find(b"\n", at)
            for _ in range(reach):
                if end == -1:
                    break
                end = data.find(b"\n", end + 1)
            spans.append((start, size if end == -1 else end))
            at = data.find(key, at + len(key))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:  # overlapping, or the very next line
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return b"\n".join(b"\n" + data[start:end] for start, end in merged)


def probe(data: bytes, inline_ignores: bool) -> bool:
    """Pass 1 without a path: as plain text, as code (split string literals joined), as a Dockerfile."""
    return any(
        detect_bytes(data, path, source=SourceKind.HISTORY, inline_ignores=inline_ignores)
        for path in PROBE_PATHS
    )


@dataclass(slots=True)
class _Listing:
    """Blob ids in pack order as ``sha\\n`` lines (one width per repository), with their sizes."""

    ids: bytearray = field(default_factory=bytearray)
    sizes: array[int] = field(default_factory=lambda: array("Q"))
    width: int = 0

    def add(self, blob: Blob) -> None:
        line = blob.sha.encode("ascii") + b"\n"
        if self.width and len(line) != self.width:
            raise ValueError(f"object id of unexpected length: {blob.sha!r}")
        self.width = len(line)
        self.ids += line
        self.sizes.append(blob.size)

    def cost(self) -> int:
        return sum(self.sizes) + _BLOB_COST * len(self.sizes)

    def pieces(self, workers: int) -> Iterator[bytes]:
        """Contiguous runs of id lines: the larger of a 1/(2 x workers) share of the rest and ``_PIECE_MIN``.

        One worker: one piece, everything in one reader.
        """
        return (piece for piece, _ in self.costed_pieces(workers))

    def costed_pieces(self, workers: int) -> Iterator[tuple[bytes, int]]:
        """``pieces`` with the cost of each (content bytes plus ``_BLOB_COST`` a blob)."""
        left = self.cost()
        start = 0
        count = len(self.sizes)
        while start < count:
            target = max(left // (2 * workers), _PIECE_MIN) if workers > 1 else left
            end, taken = start, 0
            while end < count and taken < target:
                taken += self.sizes[end] + _BLOB_COST
                end += 1
            left -= taken
            yield bytes(self.ids[start * self.width : end * self.width]), taken
            start = end


def _ids(piece: bytes) -> list[str]:
    return piece.decode("ascii").split()


#: one piece for a worker: the reader's command, the id lines, ``inline_ignores`` and its cost
_Piece = tuple[list[str], bytes, bool, int]


def _scan(task: _Piece) -> Counts:
    cmd, piece, inline_ignores, _ = task
    return _scan_piece(cmd, _ids(piece), inline_ignores, pool.report)


def _cost(task: _Piece) -> int:
    return task[3]


def scan_blobs(
    cmd: list[str], blobs: Iterable[Blob], config: Config, advance: Callable[[int], None]
) -> Counts:
    """Pass 1 over every blob in ``blobs`` (pack order), on one worker process per core.

    ``advance`` is called in this process with the number of bytes read since its last call
    (from a pool, every quarter second: ``keyshift.pool``'s ``progress``). Less than
    ``_IN_PROCESS`` of content, or one job, is read here in one piece without a pool.
    """
    listing = _Listing()
    for blob in blobs:
        listing.add(blob)
    workers = pool.workers(config.jobs)
    tasks = (
        (cmd, piece, config.inline_ignores, cost) for piece, cost in listing.costed_pieces(workers)
    )
    counts = Counts()
    # below ``_IN_PROCESS`` the listing is one piece (``_PIECE_MIN`` is larger), read here
    for done in pool.imap(
        _scan, tasks, jobs=workers, inline_below=_IN_PROCESS, weight=_cost, progress=advance
    ):
        counts.add(done)
    return counts
