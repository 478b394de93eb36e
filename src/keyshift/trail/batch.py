"""Without ``--keys``: the delivered files of a batch folded together (``quick.Batch``).

What the records of a month of trail share (who called what, from where, with which agent) is
folded once per batch instead of once per file. A small file (all delivered files are) is read
and decompressed whole, in C, and its ``Records`` array decoded in one msgspec call; a larger
one streams through ``sources.regions``. Any file the batch cannot read exactly goes back to the
caller to be read on its own (``sources.read_unit``), where every error is counted.
"""

from __future__ import annotations

import zlib

from keyshift.trail import quick
from keyshift.trail.fold import Partial, merge
from keyshift.trail.sources import _HEAD, Limits, Unit, _open, regions
from keyshift.trail.stream import CHUNK, TrailFormatError

_WHOLE = 16 << 20  # decompressed bytes of a file read whole (a delivered file is a few MB)


def _whole(unit: Unit, limits: Limits) -> bytes | None:
    """A small file's decompressed bytes in one piece, or None to stream it (larger than
    ``_WHOLE``, several gzip members, truncated or corrupt: the streaming read reports those)."""
    if unit.data is not None:
        raw = unit.data
    elif 0 <= unit.size <= _WHOLE:
        with open(unit.path or "", "rb") as fh:
            if unit.offset:
                fh.seek(unit.offset)
            raw = fh.read(unit.size)
    else:
        return None
    # no larger than a record may be: then no record in it can break that limit unnoticed
    whole = min(_WHOLE, limits.max_record, limits.max_bytes)
    if raw[:2] != b"\x1f\x8b":
        return raw if len(raw) <= whole and raw[:4] != b"PK\x03\x04" else None
    cap = min(whole, max(limits.max_ratio * len(raw), 1 << 20))
    d = zlib.decompressobj(31)
    try:
        out = d.decompress(raw, cap)
    except zlib.error:
        return None
    if not d.eof or d.unused_data.strip(b"\x00"):
        return None
    return out


def read_batch(batch: list[Unit], limits: Limits, into: Partial) -> list[Unit]:
    """Fold the delivered files of ``batch`` into ``into`` together (``quick.Batch``: what their
    records share is folded once); returns the units to read one by one (``read_unit``): not
    in the delivered shape, unreadable, or all of them when the batch reached a cap."""
    acc = quick.Batch()
    alone: list[Unit] = []
    for unit in batch:
        if unit.log:
            alone.append(unit)
            continue
        try:
            whole = _whole(unit, limits)
            if whole is not None:
                acc.add_document(whole)  # Fallback when not in the compact delivered form
                continue
            read, close, _ = _open(unit, limits)
            try:
                first = read(CHUNK)
                if first.startswith(_HEAD):
                    acc.add(regions(read, first, limits))
                else:
                    alone.append(unit)
            finally:
                close()
        except (quick.Fallback, TrailFormatError, OSError, EOFError, zlib.error):
            alone.append(unit)
    try:
        part = acc.finish()
    except quick.Fallback:
        return batch
    merge(into, part)
    return alone
