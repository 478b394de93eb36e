"""Join a key ID with the secret and token that belong to it.

Inside one file, structure decides: a section (INI profile, YAML document) is never crossed;
the same line, the same Dockerfile instruction and closeness in lines win, and a key ID above
its secret beats one below. Each key ID takes at most one secret and one token. Across files
(and history, images), a secret that was paired once lends its key ID to its other copies.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from keyshift.model import CredentialKind, Finding

WINDOW_EXPLICIT = 40
WINDOW_GENERIC = 4
NEAREST = 4  # key IDs considered on each side of a secret


@dataclass(slots=True)
class Hit:
    """A raw match inside one text, before it becomes a Finding."""

    kind: CredentialKind
    value: str
    offset: int
    line: int = 0
    column: int = 0
    name: str | None = None
    explicit: bool = True  # named as AWS (or a key ID); generic names need a key ID nearby
    key_id: str | None = None


def pair_hits(hits: Sequence[Hit], hard: Sequence[int], soft: Sequence[int]) -> None:
    """Set ``key_id`` on secret and token hits, in place.

    Only key IDs within the window are scored (found by bisection on line numbers), so a file
    holding thousands of credentials pairs in near-linear time.
    """
    keys = sorted(
        (h for h in hits if h.kind is CredentialKind.ACCESS_KEY_ID), key=lambda h: (h.line, h.offset)
    )
    if not keys:
        return
    key_lines = [k.line for k in keys]
    for kind in (CredentialKind.SECRET_ACCESS_KEY, CredentialKind.SESSION_TOKEN):
        others = [h for h in hits if h.kind is kind]
        scored: list[tuple[float, int, int]] = []
        for si, s in enumerate(others):
            window = WINDOW_EXPLICIT if s.explicit else WINDOW_GENERIC
            at = bisect.bisect_left(key_lines, s.line)
            lo = max(bisect.bisect_left(key_lines, s.line - window), at - NEAREST)
            hi = min(bisect.bisect_right(key_lines, s.line + window), at + NEAREST)
            for ki in range(lo, hi):
                k = keys[ki]
                if hard[k.line] != hard[s.line]:
                    continue
                score = abs(k.line - s.line) * 2.0
                if k.line > s.line or (k.line == s.line and k.offset > s.offset):
                    score += 1.0
                if soft[k.line] == soft[s.line] and soft[k.line]:
                    score -= 1.5
                score += abs(k.offset - s.offset) * 1e-9
                scored.append((score, si, ki))
        scored.sort()
        used_keys: set[int] = set()
        done: set[int] = set()
        for _, si, ki in scored:
            if si in done or ki in used_keys:
                continue
            others[si].key_id = keys[ki].value
            done.add(si)
            used_keys.add(ki)


def near_a_key(hits: Sequence[Hit], distance: int) -> list[Hit]:
    """Hits that stand on their own (explicit) or within ``distance`` lines of a key ID."""
    key_lines = sorted(h.line for h in hits if h.kind is CredentialKind.ACCESS_KEY_ID)
    out = []
    for h in hits:
        if h.explicit:
            out.append(h)
            continue
        i = bisect.bisect_left(key_lines, h.line - distance)
        if i < len(key_lines) and key_lines[i] <= h.line + distance:
            out.append(h)
    return out


def propagate(findings: Iterable[Finding]) -> list[Finding]:
    """Give every copy of a paired secret or token its key ID (and account) across sources."""
    items = list(findings)
    by_secret: dict[str, tuple[str, str | None]] = {}
    for f in items:
        if f.kind is not CredentialKind.ACCESS_KEY_ID and f.key_id and f.secret_sha1:
            by_secret.setdefault(f.secret_sha1, (f.key_id, f.account_id))
    out = []
    for f in items:
        if f.kind is not CredentialKind.ACCESS_KEY_ID and not f.key_id and f.secret_sha1 in by_secret:
            key_id, account = by_secret[f.secret_sha1]
            f = replace(f, key_id=key_id, account_id=account)
        out.append(f)
    return out
