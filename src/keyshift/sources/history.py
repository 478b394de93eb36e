"""``scan --history``: every credential ever committed, each unique blob scanned once.

Three passes, cheapest questions first:

1. list every blob in the object database and stream the contents through ``cat-file --batch``
   readers in worker processes (both cores decompress); blobs that might hold a credential are
   kept by id only, so memory stays bounded whatever the history size;
2. only if something was found: one ``git log --raw`` walk over every ref (branches, tags,
   remote-tracking refs, every stash entry) says which commit put which blob at which path;
3. the few blobs with hits are read again and detected under their real paths; a value counts
   as *introduced* by a commit when that commit adds it at a path where no parent had it (and
   did not just move it from a path it deleted); each (value, path) is reported at its oldest
   introduction (every line of that version holding it), with how many commits and paths held
   it and whether HEAD still does.

Blobs that a ref reaches without a commit (a tag pointing at a blob or tree) are reported under
the ref name. Blobs no ref reaches (a mirror's ``refs/pull/*``, rewritten commits, dropped
stashes) are detected too and returned with source ``unreachable`` (``unreachable.py``); the
CLI says them in one warning unless ``--unreachable`` asks for findings. ``--since REV`` (or
``BASE..TIP``) walks only commits not reachable from REV and scans only the blobs they
touched; ``--staged`` scans the index against HEAD for pre-commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from keyshift.config import Config
from keyshift.detect import detect_bytes
from keyshift.detect.textkind import as_scannable
from keyshift.errors import KeyshiftError
from keyshift.model import Finding, HistoryInfo, ScanResult, Skipped, SourceKind
from keyshift.progress import BYTES, NULL, Reporter
from keyshift.sources.blobpass import PROBE_PATHS, Counts, scan_blobs
from keyshift.sources.git_log import Change, Commit, parse_change, walk
from keyshift.sources.git_objects import (
    Blob,
    ReadProblem,
    ReadStats,
    check_blobs,
    list_all_blobs,
    read_blobs,
)
from keyshift.sources.git_repo import (
    GitRepo,
    empty_tree,
    open_repo,
    resolve_commit,
    run_git,
    shallow_boundary,
    shallow_skips,
    stash_tips,
)
from keyshift.sources.unreachable import unreachable_findings
from keyshift.sources.worktree import is_excluded

Value = tuple[str, str]  # (rule_id, value_sha1)


def _scan_blobs(repo: GitRepo, blobs: Iterable[Blob], config: Config, progress: Reporter) -> Counts:
    """Pass 1 (``blobpass``); its bytes go to the reporter (silent unless on a terminal)."""
    return scan_blobs(repo.cmd(), blobs, config, progress.advance)


def _within_limit(blobs: Iterable[Blob], limit: int, skipped: list[Skipped]) -> Iterator[Blob]:
    for blob in blobs:
        if blob.size > limit:
            skipped.append(Skipped(f"blob {blob.sha}", f"larger than max-file-size ({blob.size} bytes)"))
        else:
            yield blob


def _announce(repo: GitRepo, blobs: Iterable[Blob], limit: int, progress: Reporter) -> None:
    """Start pass 1's phase; on a terminal, count the blobs first so the bar has a total in bytes.

    Pass 1 streams the listing to stay bounded in memory, so its total is unknown until the end.
    A person watching gets one quick listing pass (a few seconds on 70,000 blobs) shown as a count
    instead; nobody else pays for it.
    """
    if not progress.shown:
        return
    progress.phase("listing blobs", unit="blobs")
    total = done = 0
    for blob in blobs:
        done += 1
        total += blob.size if blob.size <= limit else 0
        if done % 1000 == 0:
            progress.advance(1000)
    progress.advance(done % 1000)
    progress.phase("scanning blobs", total=total, unit=BYTES)


def _excluded(path: str, patterns: tuple[str, ...]) -> bool:
    """The tree scan's own exclude globs, so ``exclude`` means the same thing in history."""
    return is_excluded(path, patterns)


class _Detections:
    """Pass 3: findings for (blob, path) pairs, read in one ``cat-file --batch`` stream."""

    def __init__(self, repo: GitRepo, source: SourceKind, inline_ignores: bool) -> None:
        self._cmd = repo.cmd()
        self._source = source
        self._inline = inline_ignores
        self.found: dict[tuple[str, str], list[Finding]] = {}
        self.problems: list[ReadProblem] = []

    def load(self, pairs: Iterable[tuple[str, str]]) -> None:
        by_blob: dict[str, set[str]] = defaultdict(set)
        for sha, path in pairs:
            if (sha, path) not in self.found:
                by_blob[sha].add(path)
        stats = ReadStats()
        for sha, data in read_blobs(self._cmd, sorted(by_blob), stats):
            text = as_scannable(data)
            for path in sorted(by_blob[sha]):
                found = (
                    []
                    if text is None
                    else detect_bytes(text, path, source=self._source, inline_ignores=self._inline)
                )
                self.found[(sha, path)] = sorted(found, key=lambda f: (f.line, f.location.column or 0))
        self.problems.extend(stats.problems)

    def values(self, sha: str, path: str) -> set[Value]:
        return {(f.rule_id, f.value_sha1) for f in self.found.get((sha, path), ())}


@dataclass(frozen=True, slots=True)
class Tag:
    """A ref that points at a blob or tree (no commit): its name and, if annotated, who tagged it when."""

    ref: str
    tagger: str
    date: str


@dataclass(slots=True)
class _Occurrences:
    """Everything pass 3 learns about one value: where it was introduced and how widely it spread."""

    commits: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    first: dict[str, tuple[Commit, str]] = field(default_factory=dict)  # path -> (oldest commit, blob)


def _by_commit(changes: Iterable[Change]) -> Iterator[list[Change]]:
    group: list[Change] = []
    for change in changes:
        if group and group[0].commit.sha != change.commit.sha:
            yield group
            group = []
        group.append(change)
    if group:
        yield group


def _introductions(changes: list[Change], det: _Detections) -> dict[Value, _Occurrences]:
    """Which commit introduced each value at each path (``changes`` grouped by commit)."""
    seen: dict[Value, _Occurrences] = defaultdict(_Occurrences)
    for group in _by_commit(changes):
        moved_out: set[Value] = set()  # values this commit removed from some path (a move source)
        for change in group:
            after = det.values(change.dst, change.path) if change.dst else set()
            for src in change.srcs:
                if src:
                    moved_out |= det.values(src, change.path) - after
        for change in group:
            if not change.dst:
                continue
            before: set[Value] = set()
            for src in change.srcs:
                if src:
                    before |= det.values(src, change.path)
            for value in det.values(change.dst, change.path):
                occ = seen[value]
                occ.commits.add(change.commit.sha)
                occ.paths.add(change.path)
                if value in before or value in moved_out:
                    continue
                current = occ.first.get(change.path)
                if current is None or change.commit.order > current[0].order:
                    occ.first[change.path] = (change.commit, change.dst)
    return seen


def _head_blobs(repo: GitRepo) -> list[tuple[str, str]]:
    if not repo.has_head:
        return []
    out = run_git(repo.cmd("ls-tree", "-r", "-z", "--full-tree", "HEAD"), check=False)
    pairs = []
    for entry in out.stdout.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == b"blob":
            pairs.append((parts[2].decode("ascii"), path.decode("utf-8", "surrogateescape")))
    return pairs


def _findings(
    seen: dict[Value, _Occurrences],
    det: _Detections,
    head_values: set[Value],
    *,
    with_history: bool,
) -> list[Finding]:
    out: list[Finding] = []
    for value, occ in seen.items():
        for path, (commit, blob) in occ.first.items():
            # every line of the introducing version that holds the value, as the tree scan reports it
            for finding in det.found.get((blob, path), ()):
                if (finding.rule_id, finding.value_sha1) != value:
                    continue
                if with_history:
                    finding = replace(
                        finding,
                        location=replace(finding.location, commit=commit.sha),
                        history=HistoryInfo(
                            commit=commit.sha,
                            author=commit.author,
                            date=commit.date,
                            commits=len(occ.commits),
                            paths=len(occ.paths),
                            in_head=value in head_values,
                        ),
                    )
                else:
                    finding = replace(finding, location=replace(finding.location, commit=None))
                out.append(finding)
    out.sort(key=lambda f: (f.path, f.line, f.location.column or 0, f.rule_id, f.commit or ""))
    return out


def _tagged_objects(repo: GitRepo) -> list[tuple[str, str, Tag]]:
    """Blobs that refs (usually tags) reach without any commit: a ref to a blob or a tree."""
    fields = "%00".join(
        (
            "%(refname)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objecttype)",
            "%(*objectname)",
            "%(taggername) %(taggeremail)",
            "%(taggerdate:iso-strict)",
        )
    )
    out = run_git(repo.cmd("for-each-ref", f"--format={fields}"), check=False)
    found: list[tuple[str, str, Tag]] = []
    for line in out.stdout.decode("utf-8", "surrogateescape").splitlines():
        parts = line.split("\0")
        if len(parts) != 7:
            continue
        refname, kind, sha, peeled_kind, peeled_sha, tagger, date = parts
        if kind == "tag":
            kind, sha = peeled_kind, peeled_sha
        tag = Tag(refname, tagger.strip(), date)
        if kind == "blob":
            found.append((sha, refname, tag))
        elif kind == "tree":
            listing = run_git(repo.cmd("ls-tree", "-r", "-z", "--full-tree", sha), check=False)
            for entry in listing.stdout.split(b"\0"):
                meta, _, path = entry.partition(b"\t")
                bits = meta.split()
                if len(bits) == 3 and bits[1] == b"blob":
                    found.append(
                        (bits[2].decode("ascii"), f"{refname}:{path.decode('utf-8', 'surrogateescape')}", tag)
                    )
    return found


def _tagged_findings(
    tagged: list[tuple[str, str, Tag]], det: _Detections, head_values: set[Value]
) -> list[Finding]:
    """Findings in blobs only a ref to a blob or tree reaches: no commit holds them, the ref names them."""
    out = []
    for sha, path, tag in tagged:
        for finding in det.found.get((sha, path), ()):
            value = (finding.rule_id, finding.value_sha1)
            out.append(
                replace(
                    finding,
                    location=replace(finding.location, commit=None),
                    history=HistoryInfo(
                        commit="",
                        author=tag.tagger,
                        date=tag.date,
                        commits=0,
                        paths=1,
                        in_head=value in head_values,
                    ),
                )
            )
    return out


def _problem_skips(problems: Iterable[ReadProblem]) -> list[Skipped]:
    return [Skipped(f"blob {p.sha}", f"{p.reason} object") for p in problems]


def _relevant(change: Change, hits: set[str]) -> bool:
    return change.dst in hits or any(s in hits for s in change.srcs)


def _prefix(repo: GitRepo, root: Path) -> str:
    """``services/api/`` when the scan targets a subdirectory of the work tree, else ``""``."""
    target = root.resolve()
    if not target.is_dir():
        target = target.parent
    try:
        rel = target.relative_to(repo.toplevel.resolve()).as_posix()
    except ValueError:
        return ""
    return "" if rel in ("", ".") else rel + "/"


def _inside(path: str, prefix: str) -> bool:
    return path.startswith(prefix)


def _strip(path: str, prefix: str) -> str:
    return path[len(prefix) :]


def _under(changes: Iterable[Change], prefix: str) -> Iterator[Change]:
    """Changes below the scanned subdirectory, with paths relative to it (as the tree scan reports them)."""
    for change in changes:
        if _inside(change.path, prefix):
            yield replace(change, path=_strip(change.path, prefix)) if prefix else change


def _since_tips(repo: GitRepo, since: str, every_ref: list[str]) -> list[str]:
    """``REV``: commits on any ref but not reachable from REV; ``BASE..TIP``: commits on TIP only.

    The range form is for pull requests in CI, where every other branch is fetched too and a key
    on someone else's branch must not fail this one.
    """
    if "..." in since:
        raise KeyshiftError(
            f"--since {since!r}: use REV or BASE..TIP (a symmetric difference is not supported)"
        )
    if ".." in since:
        base, tip = since.split("..", 1)
        return [resolve_commit(repo, tip or "HEAD"), "--not", resolve_commit(repo, base or "HEAD")]
    return [*every_ref, "--not", resolve_commit(repo, since)]


def scan_history(
    root: Path,
    config: Config,
    *,
    since: str | None = None,
    staged: bool = False,
    progress: Reporter = NULL,
) -> ScanResult:
    """Scan every reachable commit of the repository at ``root`` (or the staged index, or ``--since``)."""
    repo = open_repo(Path(root))
    prefix = _prefix(repo, Path(root))
    if staged:
        return _scan_staged(repo, config, prefix)
    errors: list[str] = []
    tips = ["--all", *stash_tips(repo)]
    if since is not None:
        tips = _since_tips(repo, since, tips)
    skipped: list[Skipped] = []
    unreachable: list[Finding] = []  # only a whole-history scan looks for them; the gates never do
    commits = [0]
    # a whole-history scan of a shallow repository is incomplete; a --since range only when its walk
    # reaches the boundary (a CI checkout deep enough for the pull request is whole for the gate)
    boundary = shallow_boundary(repo)
    cut = set(boundary) if since is not None else set()
    at_cut: list[str] = boundary if since is None else []

    def count(commit: Commit) -> None:
        commits[0] += 1
        if commit.sha in cut:
            at_cut.append(commit.sha)
        progress.advance()

    if since is None:
        listed: list[ReadProblem] = []
        _announce(repo, list_all_blobs(repo.cmd(), []), config.max_file_size, progress)
        stream = _within_limit(list_all_blobs(repo.cmd(), listed), config.max_file_size, skipped)
        counts = _scan_blobs(repo, stream, config, progress)
        counts.problems[:0] = listed
        hits = set(counts.hits)
        changes: list[Change] = []
        if hits:
            before = len(errors)
            progress.phase("walking commits", unit="commits")
            changes = [c for c in walk(repo.cmd(), tips, errors, count) if _relevant(c, hits)]
            reached = {c.dst for c in changes} | {s for c in changes for s in c.srcs}
            tagged = [(sha, path, ref) for sha, path, ref in _tagged_objects(repo) if sha in hits - reached]
            reached |= {sha for sha, _, _ in tagged}
            if len(errors) > before and hits - reached:
                errors.append(
                    f"{len(hits - reached)} blob(s) holding credentials could not be attributed to a commit"
                )
                skipped += [  # the walk failed: never clean
                    Skipped(f"blob {sha}", "unreadable: holds a credential, but the commit walk failed")
                    for sha in sorted(hits - reached)
                ]
            else:
                unreachable = unreachable_findings(
                    repo.cmd(), repo.git_dir, sorted(hits - reached), PROBE_PATHS, config.inline_ignores
                )
        else:
            tagged = []
            rev = run_git(repo.cmd("rev-list", "--count", *tips, "--"), check=False)
            if rev.returncode != 0:
                lines = rev.stderr.decode("utf-8", "replace").strip().splitlines()
                said = [x for x in lines if not x.startswith("hint:")] or ["no message"]
                errors.append(f"git rev-list failed ({said[0]}); the commit count is unknown")
            commits[0] = int(rev.stdout.strip() or 0)
    else:
        progress.phase("walking commits", unit="commits")
        changes = list(walk(repo.cmd(), tips, errors, count))
        touched = sorted({c.dst for c in changes if c.dst} | {s for c in changes for s in c.srcs if s})
        found, problems = check_blobs(repo.cmd(), touched)
        progress.phase("scanning blobs", total=sum(b.size for b in found), unit=BYTES)
        counts = _scan_blobs(repo, _within_limit(found, config.max_file_size, skipped), config, progress)
        counts.problems[:0] = problems
        hits = set(counts.hits)
        changes = [c for c in changes if _relevant(c, hits)]
        tagged = []
    if not commits[0] and since is None:
        why = f" ({'; '.join(errors)[:600]})" if errors else ""  # a dangling ref, a corrupt commit: say which
        raise KeyshiftError(f"{repo.toplevel}: no commits are reachable from any ref{why}; nothing to scan")
    if at_cut:
        errors.append(
            "shallow clone: commits before the shallow boundary are missing and were not scanned; "
            "run `git fetch --unshallow` (in CI: actions/checkout with fetch-depth: 0)"
        )
        skipped += shallow_skips(at_cut)
    changes = [c for c in _under(changes, prefix) if not _excluded(c.path, config.exclude)]
    det = _Detections(repo, SourceKind.HISTORY, config.inline_ignores)
    head = [
        (sha, _strip(path, prefix))
        for sha, path in _head_blobs(repo)
        if sha in hits and _inside(path, prefix)
    ]
    pairs = [(c.dst, c.path) for c in changes if c.dst in hits]
    pairs += [(s, c.path) for c in changes for s in c.srcs if s in hits]
    det.load([*pairs, *head, *((sha, path) for sha, path, _ in tagged)])
    head_values: set[Value] = set()
    for sha, path in head:
        head_values |= det.values(sha, path)
    seen = _introductions(changes, det)
    findings = _findings(seen, det, head_values, with_history=True)
    findings += _tagged_findings(tagged, det, head_values)
    findings += unreachable
    skipped += _problem_skips([*counts.problems, *det.problems])
    unreadable = len(counts.problems) + len(det.problems)
    if unreadable:
        errors.append(f"{unreadable} object(s) could not be read (missing or corrupt); the result is partial")
    skipped.sort(key=lambda s: (s.path, s.reason))
    return ScanResult(
        root=str(repo.toplevel / prefix) if prefix else str(repo.toplevel),
        findings=tuple(findings),
        skipped=tuple(skipped),
        files_scanned=counts.blobs,
        bytes_scanned=counts.bytes,
        errors=tuple(errors),
        stats={
            "commits": commits[0],
            "blobs": counts.blobs,
            "bytes": counts.bytes,
            "skipped_binary": counts.binary,
            "skipped_too_large": sum(1 for s in skipped if s.reason.startswith("larger")),
            "unreadable": unreadable,
            "unreachable_blobs": len({f.path for f in unreachable}),
        },
    )


def _scan_staged(repo: GitRepo, config: Config, prefix: str) -> ScanResult:
    """The index against HEAD: values a commit of what is staged would introduce."""
    base = "HEAD" if repo.has_head else empty_tree(repo)
    out = run_git(
        repo.cmd(
            "diff-index",
            "--no-color",
            "--cached",
            "--raw",
            "-z",
            "--no-renames",
            "--no-abbrev",
            "--ignore-submodules=all",
            base,
        )
    )
    pseudo = Commit("", "", "", 0)
    changes: list[Change] = []
    tokens = iter(out.stdout.split(b"\0"))
    for meta in tokens:
        if meta.startswith(b":"):
            path = next(tokens, b"").decode("utf-8", "surrogateescape")
            change = parse_change(pseudo, meta, path)
            if change is not None and _inside(change.path, prefix):
                change = replace(change, path=_strip(change.path, prefix))
                if not _excluded(change.path, config.exclude):
                    changes.append(change)
    wanted = sorted({c.dst for c in changes if c.dst} | {s for c in changes for s in c.srcs if s})
    found, problems = check_blobs(repo.cmd(), wanted)
    skipped = _problem_skips(problems)
    sizes = {b.sha: b.size for b in found}
    too_large = {sha for sha, size in sizes.items() if size > config.max_file_size}
    for change in changes:
        if change.dst in too_large:
            skipped.append(Skipped(change.path, f"larger than max-file-size ({sizes[change.dst]} bytes)"))
    det = _Detections(repo, SourceKind.WORKTREE, config.inline_ignores)
    det.load(
        [(c.dst, c.path) for c in changes if c.dst in sizes and c.dst not in too_large]
        + [(s, c.path) for c in changes for s in c.srcs if s in sizes and s not in too_large]
    )
    findings = _findings(_introductions(changes, det), det, set(), with_history=False)
    skipped += _problem_skips(det.problems)
    unreadable = len(problems) + len(det.problems)
    errors = [f"{unreadable} staged object(s) could not be read"] if unreadable else []
    scanned = [c for c in changes if c.dst in sizes and c.dst not in too_large]
    return ScanResult(
        root=str(repo.toplevel / prefix) if prefix else str(repo.toplevel),
        findings=tuple(findings),
        skipped=tuple(sorted(skipped, key=lambda s: (s.path, s.reason))),
        files_scanned=len(scanned),
        bytes_scanned=sum(sizes[c.dst] for c in scanned),
        errors=tuple(errors),
        stats={"staged_files": len(scanned)},
    )
