"""Run the credential codemod over files: discovery, text prefilter, analysis, atomic writes.

A file is read once. The prefilter (``is_candidate``) is a cheap necessary condition for
anything the engine rewrites or reports: a boto3-family module, an AWS credential name in any
spelling (settings, ``os.environ`` writes, dict keys, config-file keys), a key-ID prefix, Spark's
``fs.s3a`` keys, ``set_credentials``. Only candidates are parsed, once, by libcst
(``credentials.fix_source``), many of them in a process pool (``keyshift.pool``) that starts
during discovery.
The output of every rewrite is re-parsed as a guard and, with ``write``, replaces the file
atomically (temp file in the same directory + ``os.replace``), so an interrupted run leaves
every file either old or new. One bad file never stops a sweep: it becomes an outcome with a
reason. Diffs are redacted before they leave the worker.
The worker's texts (diff, notes, reasons) pass the file's ``Scrubber``, which knows the literals
the rewrite removed and every secret the detectors find in the file, in all their encodings and
fragments; the outcome carries those secrets on so the command's final write scrubs across files.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from keyshift import pool
from keyshift.codemod.records import Note, SiteReport
from keyshift.cwdpath import shown
from keyshift.errors import KeyshiftError
from keyshift.model import Secret
from keyshift.redact import Scrubber, scrub
from keyshift.safefs import atomic_write

if TYPE_CHECKING:
    from keyshift.codemod.credentials import ModuleFix

#: Lower-cased markers; a file without any of them holds nothing the engine rewrites or reports.
#: ``boto`` covers boto3/botocore/aioboto3/aiobotocore; ``aws_``, ``access``+``key`` spellings and
#: ``secret`` cover settings, environment writes, dict and config-file keys; the key-ID prefixes
#: cover literal keys; ``fs.s3`` covers Spark/Hadoop; ``credentials`` covers ``set_credentials``
#: and botocore ``Credentials(...)``; ``keys.``/``rootkey`` (and ``credentials``) cover key files;
#: ``sqs://`` covers Celery/kombu broker URLs with a key and secret in them.
MARKERS = (
    b"boto",
    b"s3fs",
    b"storage_options",
    b"aws_",
    b"awsaccess",
    b"awssecret",
    b"access_key",
    b"accesskey",
    b"access key",
    b"access-key",
    b"secret",
    b"credentials",
    b"fs.s3",
    b"sqs://",
    b"keys.",
    b"rootkey",
    b"akia",
    b"asia",
    b"abia",
    b"acca",
)
#: An unparsable candidate counts as "could not look" only when its bytes are about AWS at all;
#: a Python 2 script that merely says "secret" is not left for a human as unreadable AWS code.
AWS_MARKERS = (b"boto", b"aws", b"s3", b"akia", b"asia", b"abia", b"acca")


class FileStatus(StrEnum):
    """What ``fix`` did with one candidate file: a closed set (the JSON report's ``status``)."""

    UNCHANGED = "unchanged"
    WOULD_FIX = "would-fix"  # a dry run's rewrite
    FIXED = "fixed"
    REPORT_ONLY = "report-only"  # left as it is: a person must act
    UNPARSABLE = "unparsable"
    ERROR = "error"

    @property
    def changed(self) -> bool:
        return self in (FileStatus.WOULD_FIX, FileStatus.FIXED)

    @property
    def failed(self) -> bool:
        """The file could not be analysed (or written): it is named with the reason."""
        return self in (FileStatus.UNPARSABLE, FileStatus.ERROR)

    @property
    def needs_human(self) -> bool:
        return self is FileStatus.REPORT_ONLY or self.failed


#: Files to analyse before a process pool pays: a libcst parse with scope analysis takes
#: 10-40 ms per file, and forking workers from the CLI process costs about 0.15 s of CPU.
_PARALLEL_MIN = 16
_BATCH = 8
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What happened to one candidate file. ``diff`` is already redacted."""

    path: str
    status: FileStatus
    reason: str | None = None
    sites: tuple[SiteReport, ...] = ()
    notes: tuple[Note, ...] = ()
    removed_constants: tuple[tuple[str, int], ...] = ()
    removed_imports: tuple[tuple[str, int], ...] = ()
    diff: str = ""
    #: what the file's texts were scrubbed of; for the run's ``Scrubber`` only, never shown
    secrets: frozenset[Secret] = field(default=frozenset(), repr=False, compare=False)

    @property
    def needs_human(self) -> bool:
        return (
            self.status.needs_human
            or any(s.status == "report-only" for s in self.sites)
            or any(n.needs_human for n in self.notes)
        )


@dataclass(frozen=True, slots=True)
class FixResult:
    """Every candidate file's outcome plus counts; sorted by path."""

    outcomes: tuple[FileOutcome, ...]
    write: bool
    files_seen: int = 0
    files_parsed: int = 0
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> tuple[FileOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status.changed)

    @property
    def needs_human(self) -> bool:
        return any(o.needs_human for o in self.outcomes)

    @property
    def secrets(self) -> frozenset[Secret]:
        """Every secret any file's outcome was scrubbed of (for the command's final write)."""
        return frozenset(s for o in self.outcomes for s in o.secrets)

    @property
    def exit_code(self) -> int:
        """1 when a human must act (or, in a dry run, when files would change), else 0."""
        if self.needs_human or (not self.write and self.changed):
            return 1
        return 0


def _shown(path: Path) -> str:
    return shown(path)  # how a person names the file from here; scan's text report agrees


def is_candidate(data: bytes) -> bool:
    """Can this file hold a target or a reported leftover at all? (Cheap bytes test.)"""
    return _ENGINE(data)


def _has_marker(data: bytes) -> bool:
    """``is_candidate`` in Python: one ``bytes.lower`` and an ``in`` test per marker."""
    low = data.lower()
    return any(marker in low for marker in MARKERS)


def _compiled_engine() -> Callable[[bytes], bool] | None:
    """``_has_marker`` in one Hyperscan (Vectorscan) pass, when its Python binding is installed
    (the scan's prefilter already loads it): the markers as caseless literals, the scan stopped
    at the first. About ten times faster on the benchmark's 10,000 files; a property test holds
    the two to the same answers."""
    try:
        import hyperscan
    except ImportError:
        return None
    flags = hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    database.compile(
        expressions=[re.escape(marker) for marker in MARKERS],
        ids=list(range(len(MARKERS))),
        elements=len(MARKERS),
        flags=[flags] * len(MARKERS),
    )

    def stop(*_: object) -> bool:
        return True  # the first marker answers

    def has_marker(data: bytes) -> bool:
        try:
            database.scan(data, match_event_handler=stop)
        except hyperscan.ScanTerminated:
            return True
        return False

    return has_marker


_ENGINE: Callable[[bytes], bool] = _compiled_engine() or _has_marker


def file_scrubber(data: bytes, shown: str, literals: Iterable[str]) -> Scrubber:
    """What one file's outputs must not show: the literals its rewrite removed and every secret
    the detectors find in it (context lines carry those too, raw or encoded)."""
    from keyshift.detect import detect_bytes

    found = detect_bytes(data, shown)
    return Scrubber.of(found, literals)


def scrub_outcome(outcome: FileOutcome, scrubber: Scrubber) -> FileOutcome:
    """``outcome`` with every text it shows (diff, reason, notes, site reasons) scrubbed."""

    def site(report: SiteReport) -> SiteReport:
        values = tuple(replace(v, origins=tuple(scrubber.scrub(o) for o in v.origins)) for v in report.values)
        reason = scrubber.scrub(report.reason) if report.reason is not None else None
        return replace(report, reason=reason, values=values)

    return replace(
        outcome,
        reason=scrubber.scrub(outcome.reason) if outcome.reason is not None else None,
        sites=tuple(site(s) for s in outcome.sites),
        notes=tuple(replace(n, message=scrubber.scrub(n.message)) for n in outcome.notes),
        diff=scrubber.scrub(outcome.diff) if outcome.diff else "",
        secrets=outcome.secrets | scrubber.secrets,
    )


def _diff(old: str, new: str, shown: str) -> str:
    name = shown.lstrip("/")  # a file outside the current directory: a/tmp/x.py, as git writes it
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def fix_source(data: bytes) -> ModuleFix:
    """Parse and rewrite one file's bytes (raises ``libcst.ParserSyntaxError``)."""
    from keyshift.codemod.credentials import fix_source as fix

    return fix(data)


def process_data(path: str, shown: str, write: bool, data: bytes) -> FileOutcome:
    """Rewrite one candidate file from its bytes (``path`` is only written to, with ``write``);
    never raises for a problem with the file itself."""
    try:
        fix = fix_source(data)
    except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as exc:
        return _unparsable(data, shown, scrub(f"cannot decode or parse: {type(exc).__name__}"))
    except RecursionError:
        return FileOutcome(shown, FileStatus.ERROR, "file is nested too deeply to analyse; left unchanged")
    except Exception as exc:  # a keyshift bug must cost one file, never the sweep
        import libcst as cst

        if isinstance(exc, cst.ParserSyntaxError):
            return _unparsable(data, shown, f"does not parse (line {exc.raw_line}); left unchanged")
        return FileOutcome(
            shown, FileStatus.ERROR, scrub(f"internal error ({type(exc).__name__}); left unchanged")
        )
    notes = [*fix.notes, *_key_file_notes(Path(path), fix)]
    needs_human = any(s.status == "report-only" for s in fix.sites) or any(n.needs_human for n in notes)
    status = FileStatus.REPORT_ONLY if needs_human else FileStatus.UNCHANGED
    diff = ""
    if fix.changed:
        encoding = fix.module.encoding
        new = fix.code.encode(encoding)
        diff = _diff(data.decode(encoding, "replace"), new.decode(encoding, "replace"), shown)
        status = FileStatus.WOULD_FIX
        if write:
            try:
                atomic_write(Path(path), new, keep_mode=True)
            except OSError as exc:
                return FileOutcome(shown, FileStatus.ERROR, scrub(f"cannot write: {exc.strerror or exc}"))
            except KeyshiftError as exc:  # the safe writer's own refusal, already worded for a person
                return FileOutcome(shown, FileStatus.ERROR, scrub(str(exc)))
            status = FileStatus.FIXED
    outcome = FileOutcome(
        shown,
        status,
        None,
        tuple(fix.sites),
        tuple(sorted(notes, key=lambda n: (n.line, n.kind, n.message))),
        tuple(fix.removed_constants),
        tuple(fix.removed_imports),
        diff,
    )
    if not (diff or fix.sites or fix.notes):
        return outcome
    return scrub_outcome(outcome, file_scrubber(data, shown, fix.secrets))


_CONFIG_TOKENS = re.compile(r"[,:=\n\r\t\"'\[\]{}<>]")
_CONFIG_MAX = 256 * 1024


def _key_file_notes(path: Path, fix: ModuleFix) -> list[Note]:
    """Configuration files the module opens that still name AWS credentials.

    Found from the files as they are, so a second run (the call sites already clean, the read
    left behind) still lists them. Only relative paths inside the module's directory or the
    working directory are read: regular files, no symlink on the way, at most 256 KiB. Only
    the path is reported, never what the file holds.
    """
    from keyshift.awsnames import KEY_ID_TOKEN, is_credential_name
    from keyshift.codemod.records import key_file_note

    named = {n.message for n in fix.notes if n.kind == "key-file"}
    out: list[Note] = []
    for line, name in dict.fromkeys(fix.config_files):
        message = key_file_note(name)
        if message in named or os.path.isabs(name) or ".." in Path(name).parts:
            continue
        for base in (path.parent, Path.cwd()):
            data = _read_config(base, name)
            if data is None:
                continue
            text = data.decode("utf-8", "replace")
            tokens = (t.strip() for t in _CONFIG_TOKENS.split(text))
            if KEY_ID_TOKEN.search(text) or any(
                len(t) < 60 and is_credential_name(t, beside_access_key=True) for t in tokens
            ):
                out.append(Note(line, "key-file", message, True))
                named.add(message)
            break
    return out


def _read_config(base: Path, name: str) -> bytes | None:
    try:
        root = os.path.realpath(base)
        full = os.path.join(root, name)
        if os.path.realpath(full) != os.path.normpath(full):
            return None  # a symlink on the way
        st = os.lstat(full)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _CONFIG_MAX:
            return None
    except (OSError, ValueError):
        return None
    data = _read(full)
    return data if isinstance(data, bytes) else None


def _unparsable(data: bytes, shown: str, reason: str) -> FileOutcome:
    low = data.lower()
    if any(marker in low for marker in AWS_MARKERS):
        return FileOutcome(shown, FileStatus.UNPARSABLE, reason)
    return FileOutcome(shown, FileStatus.UNCHANGED, f"{reason} (no AWS marker in it)")


def walk(paths: Sequence[Path], exclude: tuple[str, ...] = ()) -> Iterator[str]:
    """Python files under ``paths`` (explicit files whatever their suffix), each once.

    Directories are listed by the one walker, ``sources.worktree.walk_tree``, so ``fix`` reads
    the Python files ``scan`` and ``plan`` read: ``git ls-files`` in a work tree (ignored files
    stay out), otherwise a walk that never follows symlinks and passes over dependency and
    cache folders; ``exclude`` means what it means there. ``--all-files`` widens what ``scan``
    reads, never what ``fix`` rewrites. Naming a file explicitly is never undone by a
    project-wide exclude.
    """
    from keyshift.sources.worktree import walk_tree

    seen: set[str] | None = set() if len(paths) > 1 else None
    for root in paths:
        if not root.exists():
            raise KeyshiftError(f"path does not exist: {root}")
        if root.is_file():
            if not root.is_symlink():
                yield from _once(str(root), seen)
            continue
        base = str(root)
        for rel in walk_tree(root, all_files=False, exclude=exclude).files:
            if rel.endswith(".py"):
                yield from _once(os.path.join(base, rel), seen)


def _once(path: str, seen: set[str] | None) -> Iterator[str]:
    if seen is None:
        yield path
        return
    key = os.path.abspath(path)
    if key not in seen:
        seen.add(key)
        yield path


def _read(path: str) -> bytes | str | None:
    """A whole file with plain system calls (no buffered file object: 10,000 files add up).

    Only a regular file is read: opened non-blocking and without following a symlink, then
    checked with ``fstat`` (a FIFO named ``*.py`` cannot hang the run, a device cannot fill
    memory). A symlink is ``None`` (never followed, never rewritten); anything else unreadable
    returns the reason, which the fix reports for that file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None
        return f"cannot read: {exc.strerror or type(exc).__name__}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "not a regular file (not read)"
        chunks = [os.read(fd, _CHUNK)]
        while len(chunks[-1]) == _CHUNK:
            chunks.append(os.read(fd, _CHUNK))
    except OSError as exc:
        return f"cannot read: {exc.strerror or type(exc).__name__}"
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@dataclass(slots=True)
class _Counts:
    seen: int = 0
    parsed: int = 0


#: One candidate for a worker: path, display name, write flag and the bytes already read.
_Item = tuple[str, str, bool, bytes]


def _candidates(
    paths: Sequence[Path],
    patterns: tuple[str, ...],
    write: bool,
    counts: _Counts,
    outcomes: list[FileOutcome],
) -> Iterator[list[_Item]]:
    """Batches of candidate files, found while walking (the pool starts before the walk ends)."""
    batch: list[_Item] = []
    for path in walk(paths, patterns):
        counts.seen += 1
        data = _read(path)
        if data is None:
            continue
        if isinstance(data, str):  # never skipped silently: the file is named with the reason
            outcomes.append(FileOutcome(_shown(Path(path)), FileStatus.ERROR, data))
            continue
        if not is_candidate(data):
            continue
        counts.parsed += 1
        batch.append((path, _shown(Path(path)), write, data))
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _warm() -> None:
    """Build the analysis code once, before the workers fork, so none of them builds it."""
    fix_source(b"import boto3\nboto3.client('s3', aws_access_key_id='x')\n")


def run_fix(
    paths: Sequence[Path],
    *,
    write: bool = False,
    jobs: int = 0,
    exclude: Sequence[str] = (),
) -> FixResult:
    """Find candidate files under ``paths`` and fix (or, without ``write``, preview) each.

    Discovery (reading every file for the marker test) runs in this process; once
    ``_PARALLEL_MIN`` candidates wait, a process pool (``keyshift.pool``) already analyses the
    ones found so far while the walk goes on. Fewer candidates are analysed in this process.
    """
    counts = _Counts()
    outcomes: list[FileOutcome] = []
    found = _candidates(paths, tuple(exclude), write, counts, outcomes)
    for done in pool.imap(
        _process_batch, found, jobs=jobs, inline_below=_PARALLEL_MIN, weight=len, warm=_warm
    ):
        outcomes.extend(done)
    outcomes.sort(key=lambda o: o.path)
    return FixResult(tuple(outcomes), write, files_seen=counts.seen, files_parsed=counts.parsed)


def _process_batch(items: list[_Item]) -> list[FileOutcome]:
    return [process_data(*item) for item in items]
