"""Run the credential codemod over files: discovery, text prefilter, analysis, atomic writes.

A file is read once; unless its bytes mention ``boto3``/``botocore``/``aioboto3`` (or the s3fs
markers the report covers) it is never parsed, and a candidate without any credential text is
settled without analysis. The rest go through ``analyse``: the ``ast`` fast path (``fast``),
or libcst (``credentials``) for what the fast path does not model, with the same result either
way. Many of them are spread over a process pool that starts during discovery. The output of
every rewrite is re-parsed as a guard and, with ``write``, replaces the file atomically (temp
file in the same directory + ``os.replace``), so an interrupted run leaves every file either old
or new. One bad file never stops a sweep: it becomes an outcome with a reason. Diffs are
redacted before they leave the worker: every text of an outcome (diff, notes, reasons) passes the
file's ``Scrubber``, which knows the literals the rewrite removed and every secret the detectors
find in the file, in all their encodings and fragments; the outcome carries those secrets on so
the command's final write scrubs across files too.
"""

from __future__ import annotations

import contextlib
import difflib
import fnmatch
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from keyshift.codemod.fast import FileFix
from keyshift.codemod.records import Note, SiteReport
from keyshift.errors import KeyshiftError
from keyshift.model import Secret
from keyshift.redact import Scrubber, quiet_compiler, scrub

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from keyshift.codemod.credentials import ModuleFix

MARKERS = (b"boto3", b"botocore", b"aioboto3", b"s3fs", b"storage_options")
#: Among candidates, text without any of these cannot hold a credential argument, a ``**dict``,
#: positional session credentials or a reported leftover, so its analysis is skipped.
NEEDS_ANALYSIS = (
    b"aws_access_key_id",
    b"aws_secret_access_key",
    b"aws_session_token",
    b"AWS_ACCESS_KEY_ID",
    b"AWS_SECRET_ACCESS_KEY",
    b"AWS_SESSION_TOKEN",
    b"AWS_SECURITY_TOKEN",
    b"AWS_S3_",
    b"storage_options",
    b"s3fs",
    b"**",
    b"Session(",
)
_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "venv", "env"})
#: Files to analyse before a process pool pays: most take 1-2 ms on the fast path, and forking
#: workers from the CLI process costs about 0.15 s of CPU, so below this one process is faster.
_PARALLEL_MIN = 200
_BATCH = 8
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """What happened to one candidate file. ``diff`` is already redacted."""

    path: str
    status: str  # "unchanged" | "would-fix" | "fixed" | "report-only" | "unparsable" | "error"
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
            self.status in ("report-only", "unparsable", "error")
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
        return tuple(o for o in self.outcomes if o.status in ("fixed", "would-fix"))

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


def discover(paths: Sequence[Path], exclude: Sequence[str] = ()) -> list[tuple[Path, str]]:
    """Python files under ``paths`` (explicit files whatever their suffix), as (path, shown name)."""
    found: dict[str, Path] = {}
    for root in paths:
        if not root.exists():
            raise KeyshiftError(f"path does not exist: {root}")
        if root.is_file():
            if not root.is_symlink():
                found[_shown(root)] = root
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS)
            for name in filenames:
                if not name.endswith(".py"):
                    continue
                path = Path(dirpath, name)
                shown = _shown(path)
                rel = path.relative_to(root).as_posix()
                if path.is_symlink() or _excluded(rel, exclude):
                    continue
                found[shown] = path
    return [(found[k], k) for k in sorted(found)]


def _shown(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        rel = str(path)
    return Path(rel).as_posix() if not rel.startswith("..") else path.as_posix()


def _excluded(rel: str, patterns: Sequence[str]) -> bool:
    """Patterns apply to paths relative to the directory argument, so naming a directory
    explicitly (``keyshift fix fixtures/x``) is never undone by a project-wide exclude."""
    return any(fnmatch.fnmatch(rel, p) for p in patterns)


def is_candidate(data: bytes) -> bool:
    """Can this file hold a target or a reported leftover at all? (Cheap bytes test.)"""
    # the MARKERS, unrolled (``aioboto3`` contains ``boto3``): this runs once per file of the tree
    return b"boto3" in data or b"botocore" in data or b"s3fs" in data or b"storage_options" in data


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
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{shown}", f"b/{shown}"
    )
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see the old or the new file, never a mix."""
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".keyshift-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fix_source(data: bytes) -> ModuleFix:
    """Parse and rewrite one file's bytes on the libcst path (raises ``libcst.ParserSyntaxError``)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    from keyshift.codemod.credentials import fix_module

    module = cst.parse_module(data)
    return fix_module(MetadataWrapper(module, unsafe_skip_copy=True))


def libcst_fix(data: bytes) -> FileFix:
    """``fix_source`` as a ``FileFix`` (the reference path; raises what libcst raises)."""
    fix = fix_source(data)
    encoding = fix.module.encoding
    new = (fix.code or fix.module.code).encode(encoding) if fix.changed else None
    return FileFix(
        fix.changed,
        new,
        encoding,
        list(fix.sites),
        list(fix.notes),
        list(fix.removed_constants),
        list(fix.removed_imports),
        set(fix.secrets),
    )


def analyse(data: bytes, *, fast: bool = True) -> FileFix:
    """One file's result: the ``ast`` fast path when it models the file, else the libcst path.

    Any failure of the fast path (a construct it does not model, or even a bug) falls back to
    the libcst path, which then reports unparsable files the usual way.
    """
    with quiet_compiler():  # compiler warnings would echo the file's lines, secrets included
        if fast:
            from keyshift.codemod.fast import fast_fix

            try:
                return fast_fix(data)
            except Exception:
                pass
        return libcst_fix(data)


def process_file(path: Path, shown: str, write: bool, fast: bool = True) -> FileOutcome:
    """Rewrite one candidate file; never raises for a problem with the file itself."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileOutcome(shown, "error", scrub(f"cannot read: {exc.strerror or exc}"))
    return process_data(str(path), shown, write, data, fast)


def process_data(path: str, shown: str, write: bool, data: bytes, fast: bool = True) -> FileOutcome:
    """``process_file`` for bytes already read (``path`` is only written to, with ``write``)."""
    if not any(marker in data for marker in NEEDS_ANALYSIS):
        return FileOutcome(shown, "unchanged")
    try:
        fix = analyse(data, fast=fast)
    except (UnicodeDecodeError, LookupError, SyntaxError, ValueError) as exc:
        return FileOutcome(shown, "unparsable", scrub(f"cannot decode or parse: {type(exc).__name__}"))
    except RecursionError:
        return FileOutcome(shown, "error", "file is nested too deeply to analyse; left unchanged")
    except Exception as exc:  # a keyshift bug must cost one file, never the sweep
        import libcst as cst

        if isinstance(exc, cst.ParserSyntaxError):
            return FileOutcome(shown, "unparsable", f"does not parse (line {exc.raw_line}); left unchanged")
        return FileOutcome(shown, "error", scrub(f"internal error ({type(exc).__name__}); left unchanged"))
    report_only = any(s.status == "report-only" for s in fix.sites)
    status = "report-only" if report_only else "unchanged"
    diff = ""
    if fix.changed and fix.new is not None:
        encoding = fix.encoding
        new = fix.new
        diff = _diff(data.decode(encoding, "replace"), new.decode(encoding, "replace"), shown)
        status = "would-fix"
        if write:
            try:
                atomic_write(Path(path), new)
            except OSError as exc:
                return FileOutcome(shown, "error", scrub(f"cannot write: {exc.strerror or exc}"))
            status = "fixed"
    outcome = FileOutcome(
        shown,
        status,
        None,
        tuple(fix.sites),
        tuple(sorted(fix.notes, key=lambda n: (n.line, n.kind, n.message))),
        tuple(fix.removed_constants),
        tuple(fix.removed_imports),
        diff,
    )
    if not (diff or fix.sites or fix.notes):
        return outcome
    return scrub_outcome(outcome, file_scrubber(data, shown, fix.secrets))


def _process_packed(item: tuple[str, str, bool]) -> FileOutcome:
    return process_file(Path(item[0]), item[1], item[2])


def walk(paths: Sequence[Path], exclude: Sequence[str] = ()) -> Iterator[str]:
    """Python files under ``paths`` (explicit files whatever their suffix), each once.

    The same selection as ``discover`` (hidden and tool directories skipped, symlinks never
    followed, excludes relative to the directory argument) with ``os.scandir``, no per-file
    ``stat`` and no display names: those are made for candidates only.
    """
    seen: set[str] | None = set() if len(paths) > 1 else None
    for root in paths:
        if not root.exists():
            raise KeyshiftError(f"path does not exist: {root}")
        if root.is_file():
            if not root.is_symlink():
                yield from _once(str(root), seen)
            continue
        base = str(root).rstrip(os.sep) or os.sep
        cut = len(base) + 1 if base != os.sep else 1
        stack = [str(root)]
        while stack:
            try:
                entries = os.scandir(stack.pop())
            except OSError:
                continue
            with entries:
                subdirs: list[str] = []
                for entry in entries:
                    name = entry.name
                    if entry.is_dir(follow_symlinks=False):
                        if not name.startswith(".") and name not in _SKIP_DIRS:
                            subdirs.append(entry.path)
                    elif name.endswith(".py") and not entry.is_symlink():
                        path = entry.path
                        if exclude and _excluded(path[cut:].replace(os.sep, "/"), exclude):
                            continue
                        yield from _once(path, seen)
                stack.extend(sorted(subdirs, reverse=True))


def _once(path: str, seen: set[str] | None) -> Iterator[str]:
    if seen is None:
        yield path
        return
    key = os.path.abspath(path)
    if key not in seen:
        seen.add(key)
        yield path


def _read(path: str) -> bytes | str:
    """A whole file with plain system calls (no buffered file object: 10,000 files add up).

    Only a regular file is read: opened non-blocking and without following a symlink, then
    checked with ``fstat`` (a FIFO named ``*.py`` cannot hang the run, a device cannot fill
    memory). Anything else returns the reason, which the fix reports for that file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
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


def run_fix(
    paths: Sequence[Path], *, write: bool = False, jobs: int = 0, exclude: Sequence[str] = ()
) -> FixResult:
    """Find candidate files under ``paths`` and fix (or, without ``write``, preview) each.

    Discovery (reading every file for the marker test) runs in this process while, once there
    are enough candidates to pay for worker start-up, a process pool already analyses the ones
    found so far.
    """
    workers = jobs if jobs > 0 else (os.cpu_count() or 1)
    seen = parsed = 0
    outcomes: list[FileOutcome] = []
    pending: list[tuple[str, str, bool]] = []
    pool: ProcessPoolExecutor | None = None
    futures: list[Future[list[FileOutcome]]] = []
    try:
        for path in walk(paths, exclude):
            seen += 1
            data = _read(path)
            if isinstance(data, str):  # never skipped silently: the file is named with the reason
                outcomes.append(FileOutcome(_shown(Path(path)), "error", data))
                continue
            if not is_candidate(data):
                continue
            parsed += 1
            shown = _shown(Path(path))
            if not any(marker in data for marker in NEEDS_ANALYSIS):
                outcomes.append(FileOutcome(shown, "unchanged"))  # what a worker would say
            elif workers == 1:
                outcomes.append(process_data(path, shown, write, data))
            else:
                pending.append((path, shown, write))
                if pool is None and len(pending) >= _PARALLEL_MIN:
                    from concurrent.futures import ProcessPoolExecutor  # only now: it loads multiprocessing

                    # warm the analysis code once, before the workers fork
                    analyse(b"import boto3\nboto3.client('s3', aws_access_key_id='x')\n")
                    pool = ProcessPoolExecutor(max_workers=workers)
                if pool is not None and len(pending) >= _BATCH:
                    futures.append(pool.submit(_process_batch, pending))
                    pending = []
        if pool is not None:
            step = max(1, -(-len(pending) // workers))
            for start in range(0, len(pending), step):
                futures.append(pool.submit(_process_batch, pending[start : start + step]))
            for future in futures:
                outcomes.extend(future.result())
        else:
            outcomes.extend(_process_batch(pending))
    finally:
        if pool is not None:
            pool.shutdown()
    outcomes.sort(key=lambda o: o.path)
    return FixResult(tuple(outcomes), write, files_seen=seen, files_parsed=parsed)


def _process_batch(items: list[tuple[str, str, bool]]) -> list[FileOutcome]:
    return [_process_packed(item) for item in items]
