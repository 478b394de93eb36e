"""The one place that hides credential values, in every encoding, on every way out.

Secret access keys and session tokens never leave keyshift. Detection knows each value it
finds and wraps it in a ``Secret`` (which prints as its hash); the stages hand those forward
with their results, and every command builds one ``Scrubber`` from them and passes all it
writes through it: reports in every format, fix diffs and notes, review folders, sweep
summaries, error messages. A ``Scrubber`` knows each secret's raw text, base64 (standard and
URL alphabets, at the three byte alignments, so a secret inside a larger base64 blob is still
caught), URL encoding (either case of hex digits), JSON escaping (``\\/``) and hex, and it
masks any run of 12 or more consecutive characters of any of those forms, so a truncated or
split copy does not get out either. ``scrub`` (shape-based: anything that looks like a secret
key or token) is the backstop for values detection never saw.

Matching is linear in the text: one regex finds the runs of characters an encoded secret can
consist of, and inside a run only every sixth position is looked up (in a set of 6-grams); a
hit is confirmed against the set of 12-grams. Key IDs are identifiers users need to revoke
keys, so they are shown unless ``mask_key_ids`` is asked for (``--redact``).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import re
import threading
import urllib.parse
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from keyshift.model import Secret

if TYPE_CHECKING:
    from keyshift.model import Finding

__all__ = [
    "FRAGMENT",
    "Scrubber",
    "Secret",
    "encodings",
    "mask_key_id",
    "quiet_compiler",
    "scrub",
    "secrets_of",
    "sha1_hex",
]

# Anything that could be a secret access key (40 base64 chars) or a session token (long base64).
_SECRETISH = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])|[A-Za-z0-9/+]{60,}={0,2}")
_KEY_ID = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])")

#: The shortest run of a secret's characters (in any of its encodings) that is masked.
FRAGMENT = 12
_PROBE = FRAGMENT // 2
#: Characters any encoded form can hold: base64 (both alphabets, padding), percent escapes, JSON ``\/``.
_RUN = re.compile(r"[A-Za-z0-9+/=%\\_\-]{" + str(FRAGMENT) + ",}")
#: Values shorter than this are too common to mask (the codemod reports every literal it removes).
_MIN_SECRET = 8
#: Findings suppressed for these reasons hold documentation examples or filler, not secrets.
_NOT_SECRET = frozenset({"example-key", "placeholder"})


def sha1_hex(value: str) -> str:
    """SHA-1 hex of a value, as detect-secrets' ``hashed_secret``."""
    return hashlib.sha1(value.encode("utf-8"), usedforsecurity=False).hexdigest()


def mask_key_id(key_id: str) -> str:
    """``AKIAABCDEFGHIJKLWXYZ`` -> ``AKIA…WXYZ``."""
    return f"{key_id[:4]}…{key_id[-4:]}" if len(key_id) > 8 else "…"


def _looks_secret(candidate: str) -> bool:
    has_upper = any(c.isupper() for c in candidate)
    has_lower = any(c.islower() for c in candidate)
    return has_upper and has_lower


def _marker(sha1: str) -> str:
    return f"<redacted sha1:{sha1[:12]}>"


def scrub(text: str, *, mask_key_ids: bool = False) -> str:
    """Replace anything secret-shaped in free text by a hash marker (and key IDs, if asked).

    The shape-based backstop: it needs no knowledge of the run's secrets, so it also serves
    text produced before detection (argument errors, subprocess messages).
    """

    def _replace(match: re.Match[str]) -> str:
        value = match.group(0)
        if not _looks_secret(value):
            return value
        return _marker(sha1_hex(value))

    text = _SECRETISH.sub(_replace, text)
    if mask_key_ids:
        text = _KEY_ID.sub(lambda m: mask_key_id(m.group(0)), text)
    return text


def _base64_slices(data: bytes) -> Iterator[str]:
    """The characters of ``data``'s base64 that ``data`` alone decides, at each byte alignment.

    Inside a larger blob, ``data`` starts at offset 0, 1 or 2 of a 3-byte group; the first
    characters then mix in the bytes before it and the last ones the bytes after it, so only the
    characters whose six bits all come from ``data`` are kept.
    """
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        start = -(-8 * offset // 6)
        stop = 8 * (offset + len(data)) // 6
        yield encoded[start:stop]


def encodings(value: str) -> tuple[str, ...]:
    """Every form of ``value`` a scrubber masks: raw, base64 (std/url, three alignments),
    URL-encoded (upper/lower hex, ``/`` kept or escaped), JSON-escaped, hex (lower/upper)."""
    raw = value.encode("utf-8")
    forms: list[str] = [value]
    for b64 in _base64_slices(raw):
        forms.append(b64)
        forms.append(b64.translate(_URLSAFE))
    for safe in ("", "/"):
        quoted = urllib.parse.quote(value, safe=safe)
        forms.append(quoted)
        forms.append(_lower_escapes(quoted))
    forms.append(urllib.parse.quote_plus(value))
    forms.append(value.replace("/", "\\/"))
    forms.append(value.replace("/", "\\u002f").replace("+", "\\u002b"))
    forms.append(value.replace("/", "\\u002F").replace("+", "\\u002B"))
    forms.append(raw.hex())
    forms.append(raw.hex().upper())
    return tuple(dict.fromkeys(f for f in forms if f))


_URLSAFE = str.maketrans("+/", "-_")
_ESCAPE = re.compile(r"%[0-9A-F]{2}")


def _lower_escapes(quoted: str) -> str:
    return _ESCAPE.sub(lambda m: m.group(0).lower(), quoted)


def secrets_of(findings: Iterable[Finding]) -> frozenset[Secret]:
    """The secrets and tokens among ``findings`` (suppressed ones too: an allow comment or a
    baseline hides a finding from the report, not its value from the outputs), except
    documentation examples and filler."""
    return frozenset(f.secret for f in findings if f.secret is not None and f.suppressed not in _NOT_SECRET)


@functools.lru_cache(maxsize=4096)
def _tables(value: str) -> tuple[dict[str, str], frozenset[str], dict[str, str]]:
    """One secret's 12-grams (to its SHA-1), 6-gram probes and short forms, built once per process:
    a fix builds a scrubber per file, and the same keys recur across the files of a repository."""
    digest = sha1_hex(value)
    grams: dict[str, str] = {}
    probes: set[str] = set()
    short: dict[str, str] = {}
    for form in encodings(value):
        if len(form) < FRAGMENT:
            short[form] = digest
            continue
        grams.update(dict.fromkeys([form[i : i + FRAGMENT] for i in range(len(form) - FRAGMENT + 1)], digest))
        probes.update([form[i : i + _PROBE] for i in range(len(form) - _PROBE + 1)])
    return grams, frozenset(probes), short


class Scrubber:
    """Masks a run's known secrets in any encoding, then anything secret-shaped.

    Build one per run from the ``Secret`` values the stages hand forward (``Scrubber.of``) and
    pass every text that leaves keyshift through ``scrub``. Immutable; ``|`` joins two.
    """

    __slots__ = ("_grams", "_probes", "_secrets", "_short")

    def __init__(self, secrets: Iterable[Secret | str] = ()) -> None:
        values = {s.value if isinstance(s, Secret) else s for s in secrets}
        self._secrets = frozenset(Secret(v) for v in values if len(v) >= _MIN_SECRET)
        self._grams: dict[str, str] = {}  # 12-gram of any form -> SHA-1 of its secret
        self._probes: set[str] = set()  # 6-grams of every form
        self._short: dict[str, str] = {}  # forms too short for fragments -> SHA-1 of their secret
        for secret in sorted(self._secrets, key=lambda s: s.value):
            grams, probes, short = _tables(secret.value)
            self._grams.update(grams)
            self._probes.update(probes)
            self._short.update(short)

    @classmethod
    def of(cls, findings: Iterable[Finding], *more: Iterable[Secret | str]) -> Scrubber:
        """The scrubber for a run's findings (suppressed ones included, except examples/filler)."""
        return cls([*secrets_of(findings), *(s for group in more for s in group)])

    @property
    def secrets(self) -> frozenset[Secret]:
        return self._secrets

    def __or__(self, other: Scrubber) -> Scrubber:
        return Scrubber(self._secrets | other._secrets)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def __repr__(self) -> str:
        return f"Scrubber({len(self._secrets)} secrets)"

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, sha1)`` of every maximal run of known-secret characters in ``text``."""
        if not self._grams:
            return []
        grams, probes = self._grams, self._probes
        found: list[tuple[int, int, str]] = []
        for run in _RUN.finditer(text):
            begin, end = run.span()
            last = end - FRAGMENT  # the last start of a whole 12-gram
            for probe in range(begin, end - _PROBE + 1, _PROBE):
                if text[probe : probe + _PROBE] not in probes:
                    continue
                # every 12-gram holding this probe starts in [probe - 6, probe]
                for start in range(max(begin, probe - _PROBE), min(probe, last) + 1):
                    digest = grams.get(text[start : start + FRAGMENT])
                    if digest is not None:
                        stop = start + FRAGMENT
                        if found and start <= found[-1][1]:
                            prev = found[-1]
                            found[-1] = (prev[0], max(prev[1], stop), prev[2])
                        else:
                            found.append((start, stop, digest))
        return found

    def scrub(self, text: str, *, mask_key_ids: bool = False) -> str:
        """``text`` with every known secret (any encoding, 12+ character fragments) and anything
        secret-shaped replaced by ``<redacted sha1:…>`` markers."""
        spans = self.spans(text)
        if spans:
            out: list[str] = []
            last = 0
            for start, stop, digest in spans:
                # never leave half of a JSON/string escape: take an odd run of backslashes along
                backslashes = 0
                while start - backslashes - 1 >= last and text[start - backslashes - 1] == "\\":
                    backslashes += 1
                if backslashes % 2:
                    start -= 1
                out.append(text[last:start])
                out.append(_marker(digest))
                last = stop
            out.append(text[last:])
            text = "".join(out)
        for form, digest in sorted(self._short.items(), key=lambda item: -len(item[0])):
            if form in text:
                text = text.replace(form, _marker(digest))
        return scrub(text, mask_key_ids=mask_key_ids)

    def scrub_data(self, data: Any) -> Any:
        """Every string inside a JSON-like value (dicts, lists, tuples) scrubbed, keys included."""
        if isinstance(data, str):
            return self.scrub(data)
        if isinstance(data, dict):
            return {self.scrub_data(k): self.scrub_data(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.scrub_data(v) for v in data]
        return data


#: Knows no secret: only the shape-based backstop.
EMPTY = Scrubber()


_quiet_lock = threading.Lock()
_quiet_depth = 0
_quiet_saved: warnings.catch_warnings[None] | None = None


@contextlib.contextmanager
def quiet_compiler() -> Iterator[None]:
    """Silence every warning while keyshift parses or evaluates user code.

    Python's compiler warns about user source (``SyntaxWarning``/``DeprecationWarning`` for an
    invalid escape, ...) and the warning printer echoes the source line, secrets included, to
    stderr; with ``PYTHONWARNINGS=error`` the warning even becomes an exception that would cost
    the file. Wrap every ``ast.parse``/``compile``/libcst parse and literal evaluation of user
    code in this. ``warnings.catch_warnings`` is process-wide, not per thread, so nested and
    concurrent users (sweeps run threads) share one filter that the last one out removes.
    """
    global _quiet_depth, _quiet_saved
    with _quiet_lock:
        if _quiet_depth == 0:
            saved: warnings.catch_warnings[None] = warnings.catch_warnings(record=False)
            saved.__enter__()
            warnings.simplefilter("ignore")
            _quiet_saved = saved
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0 and _quiet_saved is not None:
                saved, _quiet_saved = _quiet_saved, None
                saved.__exit__(None, None, None)
