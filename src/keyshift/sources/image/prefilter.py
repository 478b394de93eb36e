"""A faster, never-narrower first pass in front of ``detect.might_contain`` for layer files.

``might_contain`` runs one substring search per keyword; on image-sized data that costs more
than decompressing it. Here the bytes are first folded by one ``bytes.translate`` (letters the
keywords differ in are merged, case is folded where keywords differ only in case) so the
keywords collapse to three folded needles. Every occurrence of a keyword is an occurrence of
its folded form, so a miss here is a miss for ``might_contain`` too; a hit falls through to the
exact test. The folded needles are derived from the detector's own keyword list, so a new
keyword there is picked up automatically; without that list every file goes to the detector.
"""

from __future__ import annotations

from keyshift import detect

_MERGE = b"KSBCIck"  # one symbol for the letters where the keywords differ
_FOLD = {b"eE": b"E", b"rR": b"R", b"tT": b"T", b"oO": b"O", b"nN": b"N"}


def _table() -> bytes:
    table = bytearray(range(256))
    for ch in _MERGE:
        table[ch] = 1
    for group, target in _FOLD.items():
        for ch in group:
            table[ch] = target[0]
    return bytes(table)


_TABLE = _table()
_KEYWORDS = getattr(detect, "_PREFILTER", None)
_NEEDLES: tuple[bytes, ...] | None = (
    tuple(sorted({k.translate(_TABLE) for k in _KEYWORDS}))
    if isinstance(_KEYWORDS, tuple) and _KEYWORDS and all(isinstance(k, bytes) and k for k in _KEYWORDS)
    else None
)


def worth_detecting(data: bytes) -> bool:
    """False only when ``detect.might_contain(data)`` is certainly False."""
    if _NEEDLES is None:
        return True
    folded = data.translate(_TABLE)
    return any(needle in folded for needle in _NEEDLES)
