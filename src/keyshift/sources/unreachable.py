"""Blobs that hold a credential but that no ref reaches: found, suppressed like the rest, said once.

An object no ref reaches is not in the history anyone sees, yet it is in this object database:
a mirror fetched ``refs/pull/*`` (or a local clone hard-linked a mirror's packs), a commit was
rewritten (rebase, amend, reset), a stash was dropped. Such a blob is read again and detected
under the same probe paths as the first pass, so documentation example keys, placeholders and
allow comments are suppressed exactly as in the reachable history; allowlists and baselines are
applied by the scan's policy afterwards, like every other finding.

By default the CLI turns what survives into one warning naming each key ID and blob ID;
``--unreachable`` reports them as findings (source ``unreachable``, path = blob ID, no commit).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from keyshift.detect import detect_bytes
from keyshift.model import CredentialKind, Finding, Location, SourceKind
from keyshift.sources.git_objects import BINARY_PROBE, ReadStats, read_blobs

REMOVE = "git reflog expire --expire-unreachable=now --all && git gc --prune=now"


def unreachable_findings(
    cmd: list[str], git_dir: Path, shas: Sequence[str], probe_paths: Sequence[str], inline_ignores: bool
) -> list[Finding]:
    """Findings in blobs no ref reaches, one per (value, line) whichever probe path found it."""
    out: list[Finding] = []
    stats = ReadStats()
    packs = _LocalPacks(git_dir / "objects" / "pack")
    for sha, data in read_blobs(cmd, sorted(shas), stats):
        if b"\0" in data[:BINARY_PROBE]:
            continue
        seen: set[tuple[str, int, str]] = set()
        if _regular(git_dir / "objects" / sha[:2] / sha[2:]):
            origin = "loose"
        elif packs.holds(sha):
            origin = "packed"
        else:  # only in an alternate object store (objects/info/alternates): another repository's
            continue
        for path in probe_paths:
            for f in detect_bytes(data, path, source=SourceKind.UNREACHABLE, inline_ignores=inline_ignores):
                key = (f.value_sha1, f.line, f.kind.value)
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    replace(
                        f,
                        location=Location(sha, f.line, f.location.column, None),
                        source=SourceKind.UNREACHABLE,
                        note=_NOTES[origin],
                    )
                )
    return out


def _regular(path: Path) -> bool:
    """A regular file reached without a symlink in its last two steps (a loose object, a pack index)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode) and not os.path.islink(path.parent)
    except OSError:
        return False


class _LocalPacks:
    """The object ids in this repository's own pack indexes (v1 and v2), so a blob that only an
    alternate object store (or a symlinked pack) holds is told apart: no ref of this repository
    reaches it, and it is the other repository's to report."""

    def __init__(self, folder: Path) -> None:
        self._indexes: list[tuple[memoryview, bool]] = []  # (index bytes, version 1)
        try:
            names = [] if os.path.islink(folder) else sorted(os.listdir(folder))
        except OSError:
            names = []
        for name in names:
            if name.endswith(".idx") and _regular(folder / name):
                try:
                    data = memoryview((folder / name).read_bytes())
                except OSError:
                    continue
                self._indexes.append((data, bytes(data[:4]) != b"\xfftOc"))

    def holds(self, sha: str) -> bool:
        try:
            wanted = bytes.fromhex(sha)
        except ValueError:
            return False
        width = len(wanted)
        for data, v1 in self._indexes:
            fanout = 0 if v1 else 8  # v2: magic and version first
            table, entry, skip = (fanout + 1024, width + 4, 4) if v1 else (fanout + 1024, width, 0)
            if len(data) < table or not wanted:
                continue
            first = wanted[0]
            lo = int.from_bytes(data[fanout + 4 * (first - 1) : fanout + 4 * first], "big") if first else 0
            hi = int.from_bytes(data[fanout + 4 * first : fanout + 4 * first + 4], "big")
            while lo < hi:
                mid = (lo + hi) // 2
                at = table + mid * entry + skip
                found = bytes(data[at : at + width])
                if found == wanted:
                    return True
                if len(found) < width:
                    break
                lo, hi = (mid + 1, hi) if found < wanted else (lo, mid)
        return False


_NOTES = {
    "loose": (
        "Loose object no ref reaches: made in this clone (a rebase, amend or reset, a dropped stash). "
        f"Rotate the key if it was ever pushed; `{REMOVE}` removes the object."
    ),
    "packed": (
        "Packed object no ref reaches: it came with a clone or fetch (e.g. a mirror's refs/pull/*, "
        "a branch deleted upstream), so the server may still serve it: rotate the key. "
        f"`{REMOVE}` removes it from this clone only."
    ),
}


def warning(findings: Iterable[Finding]) -> str | None:
    """One line naming each credential and blob once, with where they came from and what removes them."""
    by_blob: dict[str, list[str]] = {}
    packed = loose = False
    for f in findings:
        if f.kind is CredentialKind.ACCESS_KEY_ID or f.key_id:
            label = f.key_id or "?"
        else:
            label = f"{'session token' if f.kind is CredentialKind.SESSION_TOKEN else 'secret key'}"
            label += f" sha1:{f.value_sha1[:12]}"
        names = by_blob.setdefault(f.path, [])
        if label not in names:
            names.append(label)
        packed |= (f.note or "").startswith("Packed")
        loose |= (f.note or "").startswith("Loose")
    if not by_blob:
        return None
    listed = "; ".join(f"blob {sha}: {', '.join(names)}" for sha, names in sorted(by_blob.items()))
    origins = []
    if packed:
        origins.append(
            "packed objects came with a clone or fetch (a mirror's refs/pull/*, a branch deleted upstream) "
            "and may still be on the server"
        )
    if loose:
        origins.append("loose objects were made here (a rebase, amend or reset, a dropped stash)")
    return (
        f"{len(by_blob)} blob(s) that no ref reaches hold credentials ({listed}); "
        + "; ".join(origins)
        + f". Rotate keys that were ever pushed; `{REMOVE}` removes the objects from this clone; "
        "`--unreachable` reports them as findings"
    )
