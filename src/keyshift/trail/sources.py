"""CloudTrail as users have it: inputs -> units of work -> records, every skip counted.

Inputs are the delivered S3 layout (``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz``)
as a folder or a tar of one, ``aws cloudtrail lookup-events`` output, CloudTrail Lake
``get-query-results`` JSON and Athena/Lake CSV or JSON results. A unit is one file (or tar
member); workers read units independently, and anything unreadable becomes a counted skip or a
counted partial read with its reason, never an exception and never a silent loss.

Delivered files are compact JSON with ``eventVersion`` first in every record. When the caller
knows which keys it wants, ``_fast`` finds the records that name one of them (or a denial) with
byte searches and decodes only those; any surprise falls back to the full streaming parse.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import stat
import tarfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from keyshift.trail import flat
from keyshift.trail.fold import Partial, fold, new_partial
from keyshift.trail.stream import CHUNK, MAX_RECORD, Bounded, TrailFormatError, iter_array

try:
    from keyshift.trail import quick
except ImportError:  # msgspec is not installed: every record goes through the full parse
    quick = None  # type: ignore[assignment]

MAX_BYTES = 16 << 30  # decompressed bytes per file
MAX_RATIO = 200  # CloudTrail JSON compresses about 10-20:1; a bomb goes far beyond
#: bytes of one member of a compressed tar: each is held in memory while it waits for a worker
#: (a few per worker), so a 12 MB .tar.gz of 900 MB members used to exhaust memory; a delivered
#: file is a few MB
MAX_MEMBER = 32 << 20
_BOMB_SLACK = 64 << 20  # decompressed bytes allowed before the ratio of a compressed tar is judged
_SUFFIXES = (".json.gz", ".json", ".csv", ".csv.gz", ".gz", ".log", ".log.gz")
_LOGS = (".log", ".log.gz")
IAM_EXPORT = "authorization-details"  # an `aws iam get-account-authorization-details` export


@dataclass(frozen=True, slots=True)
class Unit:
    """One file to read: on disk, a slice of an uncompressed tar, or bytes from a compressed tar."""

    name: str  # what messages call it
    path: str | None = None
    offset: int = 0
    size: int = -1
    data: bytes | None = None
    log: bool = False  # application log (botocore denials), not CloudTrail


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = MAX_BYTES
    max_ratio: int = MAX_RATIO
    max_record: int = MAX_RECORD


def units(paths: list[Path], skipped: list[tuple[str, str]]) -> Iterator[Unit]:
    """The units below ``paths`` in a stable order; what is not read goes to ``skipped``."""
    for path in paths:
        name = str(path)
        try:
            st = path.lstat()
        except OSError as exc:
            skipped.append((name, f"cannot read: {exc.strerror}"))
            continue
        if stat.S_ISLNK(st.st_mode):
            skipped.append((name, "symbolic link (not followed)"))
        elif stat.S_ISDIR(st.st_mode):
            yield from _walk(path, skipped)
        elif not stat.S_ISREG(st.st_mode):
            skipped.append((name, "not a regular file"))
        elif path.name.startswith(IAM_EXPORT):
            continue  # the IAM export is read by ``blast``, not as CloudTrail
        elif _is_tar(path):
            yield from _tar(path, skipped)
        else:
            yield Unit(name, path=name, size=st.st_size, log=name.endswith(_LOGS))


def _walk(root: Path, skipped: list[tuple[str, str]]) -> Iterator[Unit]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        if "CloudTrail-Digest" in dirnames:
            dirnames.remove("CloudTrail-Digest")  # digest files prove integrity; they hold no events
        for fname in sorted(filenames):
            full = os.path.join(dirpath, fname)
            rel = os.path.relpath(full, root)
            try:
                st = os.lstat(full)
            except OSError as exc:
                skipped.append((full, f"cannot read: {exc.strerror}"))
                continue
            if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
                skipped.append((full, "symbolic link or special file (not followed)"))
            elif fname.startswith("."):
                continue  # hidden: editor and tool state (``--lookup`` keeps its progress there)
            elif "CloudTrail-Digest" in fname or fname.startswith(IAM_EXPORT):
                continue  # digests hold no events; the IAM export is read by ``blast``
            elif not fname.endswith(_SUFFIXES):
                if not fname.startswith("."):
                    skipped.append((full, "not a trail file name (.json, .json.gz, .csv)"))
            else:
                unit_name = os.path.join(str(root), rel)
                yield Unit(unit_name, path=full, size=st.st_size, log=fname.endswith(_LOGS))


def _is_tar(path: Path) -> bool:
    n = path.name
    if n.endswith((".tar", ".tar.gz", ".tgz", ".tar.zst", ".tar.bz2", ".tar.xz")):
        return True
    try:
        return tarfile.is_tarfile(path) and not n.endswith((".gz", ".json", ".csv"))
    except OSError:
        return False


def _tar(path: Path, skipped: list[tuple[str, str]]) -> Iterator[Unit]:
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed with the tar below)
        tar = tarfile.open(fileobj=raw, mode="r:*")  # noqa: SIM115
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        skipped.append((str(path), f"unreadable tar: {exc}"))
        with contextlib.suppress(UnboundLocalError, OSError):
            raw.close()
        return
    unpacked = 0  # decompressed member bytes so far, against the compressed bytes read (``raw``)
    with open(path, "rb") as fh:
        magic = fh.read(6)
    compressed = magic[:2] == b"\x1f\x8b" or magic[:3] == b"BZh" or magic[:6] == b"\xfd7zXZ\x00"
    plain = not compressed  # members of a plain tar are read in place by the workers
    with raw, tar:
        try:
            read: set[str] = set()
            for member in tar:
                name = f"{path}!{member.name}"
                if member.isdir():
                    continue
                if member.islnk() and member.linkname in read:
                    continue  # a hard link to a member already read: its events are counted once
                if member.issym() or member.islnk() or member.isdev():  # never followed: counted
                    kind = "symbolic link" if member.issym() else "hard link" if member.islnk() else "device"
                    skipped.append((name, f"{kind} in the tar (not followed)"))
                    continue
                if not member.isfile():
                    skipped.append((name, "not a regular file in a tar"))
                    continue
                base = member.name.rsplit("/", 1)[-1]
                if "CloudTrail-Digest" in member.name:
                    continue
                if not base.endswith(_SUFFIXES):
                    skipped.append((name, "not a trail file name (.json, .json.gz, .csv)"))
                elif plain:
                    read.add(member.name)
                    log = base.endswith(_LOGS)
                    yield Unit(name, path=str(path), offset=member.offset_data, size=member.size, log=log)
                elif member.size > MAX_MEMBER:
                    why = f"member larger than {MAX_MEMBER >> 20} MiB in a compressed tar: unpack it first"
                    skipped.append((name, why))
                else:
                    read.add(member.name)
                    handle = tar.extractfile(member)
                    assert handle is not None
                    data = bytearray()
                    while chunk := handle.read(CHUNK):
                        data += chunk
                        unpacked += len(chunk)
                        if unpacked > MAX_RATIO * raw.tell() + _BOMB_SLACK:
                            skipped.append(
                                (name, f"compressed more than {MAX_RATIO}:1 (a decompression bomb?); "
                                 "this member and the rest of the tar were not read")
                            )
                            return
                    yield Unit(name, data=bytes(data), log=base.endswith(_LOGS))
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            skipped.append((str(path), f"tar ends early or is corrupt ({exc}); members before it were read"))


class _Slice(io.RawIOBase):
    """``size`` bytes of a file from ``offset`` (a member of an uncompressed tar)."""

    def __init__(self, handle: BinaryIO, offset: int, size: int) -> None:
        handle.seek(offset)
        self._handle = handle
        self._left = size
        self.taken = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._handle.close()  # the tar file this slice was opened on
        super().close()

    def readinto(self, b: Any) -> int:
        n = min(len(b), self._left)
        data = self._handle.read(n)
        b[: len(data)] = data
        self._left -= len(data)
        self.taken += len(data)
        return len(data)


class _Gunzip:
    """gzip decompression in C (``zlib``, which checks each member's CRC and length), every member.

    ``read(n)`` returns at most about ``n`` bytes, so the caller bounds what is produced;
    an input that ends inside a member raises ``EOFError`` like ``gzip`` does.
    """

    _IN = 1 << 18

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._d = zlib.decompressobj(31)
        self._pending = b""
        self._taken = 0
        self._done = False

    def consumed(self) -> int:
        return self._taken

    def read(self, n: int) -> bytes:
        while not self._done:
            if not self._pending:
                self._pending = self._raw.read(self._IN)
                self._taken += len(self._pending)
                if not self._pending:
                    if not self._d.eof:
                        raise EOFError("compressed stream ends early")
                    self._done = True
                    return b""
            out = self._d.decompress(self._pending, n)
            self._pending = self._d.unconsumed_tail
            if self._d.eof:
                # the input after the member is in ``unused_data``; with an output limit, zlib
                # may leave the same bytes in ``unconsumed_tail`` too, so that is not added again
                rest = self._d.unused_data.lstrip(b"\x00")  # members may be padded with zeros
                self._d = zlib.decompressobj(31)
                self._pending = rest
                if not self._pending:
                    more = self._raw.read(self._IN)
                    self._taken += len(more)
                    if not more.lstrip(b"\x00"):
                        self._done = True
                    self._pending = more.lstrip(b"\x00")
            if out:
                return out
        return b""


def _open(unit: Unit, limits: Limits) -> tuple[Callable[[int], bytes], Callable[[], None], str]:
    """(read, close, kind) for a unit; gzip is detected by its magic bytes, not its name."""
    handle: Any
    if unit.data is not None:
        handle = io.BytesIO(unit.data)
    elif unit.size >= 0 and unit.offset:
        handle = _Slice(open(unit.path or "", "rb"), unit.offset, unit.size)  # noqa: SIM115
    else:
        handle = open(unit.path or "", "rb")  # noqa: SIM115
    raw = io.BufferedReader(handle) if isinstance(handle, _Slice) else handle
    head = raw.getbuffer()[:4].tobytes() if isinstance(raw, io.BytesIO) else raw.peek(4)[:4]
    if head[:2] == b"\x1f\x8b":
        gz = _Gunzip(raw)
        bounded = Bounded(gz, gz.consumed, limit=limits.max_bytes, ratio=limits.max_ratio)
        return bounded.read, raw.close, "gzip"
    if head[:4] == b"PK\x03\x04":
        raw.close()
        raise TrailFormatError("a zip archive: unpack it first")
    if head[:4] == b"\x28\xb5\x2f\xfd" or head[:3] == b"BZh":
        raw.close()
        raise TrailFormatError("compressed with something other than gzip: decompress it first")
    return raw.read, raw.close, "plain"


def fast_available() -> bool:
    """True when msgspec is installed: without ``--keys``, delivered files take ``quick``."""
    return quick is not None


def read_unit(unit: Unit, wanted: frozenset[str] | None, limits: Limits = Limits()) -> Partial:
    """Fold every record of one unit into a fresh partial; errors become counted skips."""
    p = new_partial()
    p["stats"]["files"] = 1
    if not unit.log and (wanted is not None or quick is not None):
        try:
            fast = _fast(unit, wanted, limits)
        except TrailFormatError as exc:
            fast = None
            p["skipped"].append((unit.name, str(exc)))  # replaced below if the full read does better
        except (OSError, EOFError, zlib.error) as exc:
            fast = None
            p["skipped"].append((unit.name, _io_reason(exc)))
        if fast is not None:
            return fast
        p["skipped"].clear()
    read: Callable[[int], bytes] | None = None
    close: Callable[[], None] = lambda: None  # noqa: E731
    try:
        read, close, _ = _open(unit, limits)
        if unit.log:
            from keyshift.trail.denials import fold_log

            fold_log(read, unit.name, p)
        else:
            _records(read, unit, p, wanted, limits)
    except TrailFormatError as exc:
        _lost(p, unit, str(exc))
    except (OSError, EOFError, zlib.error) as exc:
        _lost(p, unit, _io_reason(exc))
    finally:
        with contextlib.suppress(OSError, EOFError, zlib.error):
            close()
    return p


def _io_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "truncated gzip (compressed stream ends early)"
    if isinstance(exc, zlib.error):
        return f"corrupt gzip ({exc})"
    return f"cannot read: {getattr(exc, 'strerror', None) or exc}"


def _lost(p: Partial, unit: Unit, reason: str) -> None:
    read = p["stats"]["records"] + p["stats"]["bad_records"]
    if read:
        p["partial"].append((unit.name, reason, read))
    else:
        p["skipped"].append((unit.name, reason))


def _records(
    read: Callable[[int], bytes], unit: Unit, p: Partial, wanted: frozenset[str] | None, limits: Limits
) -> None:
    """The full streaming read: JSON (any of the supported shapes) or CSV."""
    reader = _Peek(read)
    first = reader.first_byte()
    if first in (b"{", b"["):
        found: list[str] = []
        rows = iter_array(
            reader.read, ("Records", "Events", "QueryResultRows"), max_record=limits.max_record, found=found
        )
        for element in rows:
            kind = found[0] if found else ""
            if kind == "Records":
                fold(p, element, wanted)
            elif kind == "Events":
                fold(p, flat.from_lookup(element), wanted)
            elif kind == "QueryResultRows":
                fold(p, flat.from_row(flat.lake_row(element)), wanted)
            elif isinstance(element, dict) and "eventSource" in element and "userIdentity" in element:
                fold(p, element, wanted)
            else:
                fold(p, flat.from_row(element), wanted)
        return
    if unit.name.endswith((".csv", ".csv.gz")) or reader.looks_like_csv():
        text = io.TextIOWrapper(
            io.BufferedReader(_Readable(reader.read)), encoding="utf-8", errors="replace", newline=""
        )
        try:
            for row in csv.DictReader(text):
                fold(p, flat.from_row(row), wanted)
        except csv.Error as exc:
            raise TrailFormatError(f"malformed CSV: {exc}") from None
        return
    raise TrailFormatError("not CloudTrail: neither a JSON document nor a CSV with a header")


class _Peek:
    """A reader that can look at its first bytes without losing them."""

    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self._head = read(CHUNK)

    def first_byte(self) -> bytes:
        stripped = self._head.lstrip(b" \t\r\n\xef\xbb\xbf")
        return stripped[:1]

    def looks_like_csv(self) -> bool:
        line = self._head.split(b"\n", 1)[0].lower()
        return b"eventname" in line and b"," in line

    def read(self, n: int) -> bytes:
        if self._head:
            out, self._head = self._head, b""
            if out.startswith(b"\xef\xbb\xbf"):
                out = out[3:]
            return out
        return self._read(n)


class _Readable(io.RawIOBase):
    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self._rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._rest or self._read(len(b))
        n = min(len(b), len(data))
        b[:n] = data[:n]
        self._rest = data[n:]
        return n


# ---- the fast path for delivered files -------------------------------------------------------

_HEAD = b'{"Records":['
_START = b'{"eventVersion":"'
_NEXT = b',{"eventVersion":"'
_KEY = b'"accessKeyId":"'
_DENIALS = (
    b'"errorCode":"AccessDenied',
    b'"errorCode":"UnauthorizedOperation',
    b'"errorCode":"Client.Unauthorized',
)
_VERSION = re.compile(rb'\{"eventVersion":"([^"]{0,9})"')


def _fast(unit: Unit, wanted: frozenset[str] | None, limits: Limits) -> Partial | None:
    """Fold a delivered file: with ``wanted``, decoding only records that name a wanted key or a
    denial; without, every record through ``quick``.

    Returns None when the file is not in the delivered shape (the caller then parses it fully).
    """
    read, close, _ = _open(unit, limits)
    try:
        if wanted is not None:
            return _fast_read(read, unit, wanted, limits)
        first = read(CHUNK)
        if not first.startswith(_HEAD):
            return None
        try:
            return quick.fold_regions(regions(read, first, limits))
        except quick.Fallback:
            return None
    finally:
        close()


def _fast_read(
    read: Callable[[int], bytes], unit: Unit, wanted: frozenset[str], limits: Limits
) -> Partial | None:
    first = read(CHUNK)
    if not first.startswith(_HEAD):
        return None
    p = new_partial()
    stats = p["stats"]
    stats["files"] = 1
    versions = stats["versions"]
    wanted_b = {k.encode() for k in wanted}
    for region in regions(read, first, limits):
        for v, n in Counter(_VERSION.findall(region)).items():
            name = v.decode("ascii", "replace") if len(v) <= 8 else "?"
            versions[name] = versions.get(name, 0) + n
            stats["records"] += n
        stats["data"] += region.count(b'"eventCategory":"Data"')
        stats["kms"] += region.count(b'"eventSource":"kms.amazonaws.com"')
        _times(region, stats)
        hits: list[int] = []
        if len(wanted_b) <= 16:
            # a few keys: one memory search per key beats a step per record
            for needle in wanted_b:
                at = region.find(needle)
                while at >= 0:
                    if region[at - len(_KEY) : at] == _KEY:
                        hits.append(at)
                    at = region.find(needle, at + 1)
        else:
            at = region.find(_KEY)
            while at >= 0:
                end = region.find(b'"', at + len(_KEY), at + len(_KEY) + 40)
                if end > 0 and region[at + len(_KEY) : end] in wanted_b:
                    hits.append(at)
                at = region.find(_KEY, at + 1)
        for needle in _DENIALS:
            at = region.find(needle)
            while at >= 0:
                hits.append(at)
                at = region.find(needle, at + 1)
        done = -1  # end of the last record decoded: each record is decoded (and searched back) once
        for at in sorted(hits):
            if at < done:
                continue
            start = region.rfind(_START, max(done, 0), at)
            if start < 0:
                return None
            end = region.find(_NEXT, at)
            done = end if end >= 0 else len(region)
            chunk = region[start:done].rstrip(b",")
            try:
                rec = json.loads(chunk)
            except (ValueError, RecursionError):
                return None  # a nested look-alike confused the cut: parse the file properly
            if not isinstance(rec, dict) or "eventSource" not in rec or "userIdentity" not in rec:
                return None
            fold(p, rec, wanted, counted=True)
    return p


def regions(read: Callable[[int], bytes], first: bytes, limits: Limits) -> Iterator[bytes]:
    """Slices of a delivered file's ``Records`` array, each cut just after a record's comma.

    ``first`` is the first chunk read (it starts with ``{"Records":[``). A cut is made before
    ``,{"eventVersion":"``, which in compact JSON starts a record unless a parameter holds a
    nested look-alike; callers either verify what they decode or fall back to the full parse.
    Every slice but the last ends with the comma that follows its last record.
    """
    buf = first
    pos = len(_HEAD)
    eof = False
    while True:
        if not eof:
            more = read(CHUNK)
            if more:
                buf = buf[pos:] + more
                pos = 0
            else:
                eof = True
        if eof:
            tail = buf.rstrip(b" \t\r\n")
            if not tail.endswith(b"]}"):
                raise TrailFormatError("not a complete CloudTrail file (no closing ]})")
            cut = len(tail) - 2
        else:
            cut = buf.rfind(_NEXT, pos)
            if cut <= pos:
                if len(buf) - pos > limits.max_record:
                    raise TrailFormatError(f"a record is larger than {limits.max_record} bytes")
                continue
            cut += 1  # keep the comma with this region
        if cut - pos > limits.max_record + CHUNK:
            # a region is at most one chunk plus the record carried over from the last one
            raise TrailFormatError(f"a record is larger than {limits.max_record} bytes")
        yield buf[pos:cut]
        pos = cut
        if eof:
            return


def _times(region: bytes, stats: dict[str, Any]) -> None:
    """First and last ``eventTime`` of a region (files are written in about time order)."""
    marker = b'"eventTime":"'
    for at in (region.find(marker), region.rfind(marker)):
        if at >= 0:
            t = region[at + len(marker) : at + len(marker) + 20].decode("ascii", "replace")
            if not stats["first"] or t < stats["first"]:
                stats["first"] = t
            if t > stats["last"]:
                stats["last"] = t
