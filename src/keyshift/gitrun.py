"""The one way keyshift runs git: on repositories it does not trust, with a timeout and bounded output.

Why one module: git honours the repository's own configuration, and several keys in it name a
program to run (``core.fsmonitor``, ``core.hooksPath``, ``diff.external``, textconv and filter
drivers, ``core.sshCommand``, ``core.askPass``, ``credential.helper``, ``core.pager``). A scanned
repository is attacker-controlled, so every git command keyshift issues goes through ``run`` or
``stream`` here, and both:

- put ``SAFE_OPTIONS`` in front of the subcommand: command-line ``-c`` beats every config file,
  so the executable keys are switched off whatever the repository (or an ``include.path`` it
  names) says; replace refs are ignored (``--no-replace-objects``), so a published
  ``refs/replace`` cannot hide a committed key;
- run with ``env()``: no system config or system attributes, no prompts, no pager, no lazy fetch
  from a promisor remote, and a protocol allowlist (``file`` only, unless a sweep asks for the
  network); no ``info/grafts``; none of the caller's ``GIT_*`` variables that point git at
  another repository, index or history (``GIT_DIR``, ``GIT_INDEX_FILE`` outside the target's
  git directory, ... set by some other repository's hook): only a short allowlist survives;
- refuse to start on a git directory that holds a FIFO, device or socket (``preflight``): git
  would block forever opening it;
- kill git after a timeout (``run``) or when it stays silent too long while keyshift waits on it
  (``stream``), and raise ``GitTimeout``: a run that could not look never reports clean;
- keep at most ``max_output`` bytes of stdout and a few KiB of stderr.

Filter drivers (``filter.<name>.clean``/``process``) cannot be enumerated, so keyshift only uses
subcommands that never run them: ``rev-parse``, ``ls-files``, ``ls-tree``, ``cat-file`` (no
``--filters``/``--textconv``), ``log --raw``, ``diff-index --cached``, ``for-each-ref``,
``rev-list``, ``hash-object --stdin --no-filters``; never ``status``, ``add`` or a work-tree diff.
``diff.external`` and textconv drivers only run when git makes a patch, which keyshift never asks
for; ``log`` and ``diff-index`` still pass ``--no-ext-diff --no-textconv``.

The user's global config (``~/.gitconfig``) is theirs, not the repository's, and is kept: it holds
``safe.directory`` and the credentials a sweep clones with. Its executable keys are overridden
like everyone's.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from keyshift.errors import KeyshiftError

#: ``-c`` options that switch off everything in git config that runs a program.
SAFE_OPTIONS: tuple[str, ...] = (
    "--no-pager",
    "--no-replace-objects",
    "-c", "core.fsmonitor=false",
    "-c", "core.untrackedCache=false",
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.pager=cat",
    "-c", "core.askPass=",
    "-c", "core.sshCommand=ssh",
    "-c", "credential.helper=",
    "-c", "log.showSignature=false",
    "-c", "advice.graftFileDeprecated=false",  # GIT_GRAFT_FILE is set (to nothing) on every command
)  # fmt: skip

#: Options for commands that reach a remote (sweep clones): the user's ``ssh`` setup is kept.
NETWORK_OPTIONS: tuple[str, ...] = (
    SAFE_OPTIONS[: SAFE_OPTIONS.index("core.sshCommand=ssh") - 1]
    + SAFE_OPTIONS[SAFE_OPTIONS.index("core.sshCommand=ssh") + 1 :]
)
NETWORK_PROTOCOLS = "https:http:ssh:git:file"

DEFAULT_TIMEOUT = 300.0  # seconds for a command that returns its whole output at once
DEFAULT_IDLE = 120.0  # seconds a stream may keep keyshift waiting without a byte
DEFAULT_MAX_OUTPUT = 1 << 30  # captured stdout above this is refused, not buffered
_STDERR_KEEP = 16 * 1024
_PREFLIGHT_LIMIT = 2_000_000  # entries checked inside one git directory


class GitTimeout(KeyshiftError):
    """git did not finish (or stayed silent) within the time allowed."""


class GitOutputTooLarge(KeyshiftError):
    """git produced more output than keyshift agreed to hold."""


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def timeout_default() -> float:
    """``KEYSHIFT_GIT_TIMEOUT`` (seconds) or 300."""
    return _seconds("KEYSHIFT_GIT_TIMEOUT", DEFAULT_TIMEOUT)


def idle_default() -> float:
    """``KEYSHIFT_GIT_IDLE_TIMEOUT`` (seconds) or 120."""
    return _seconds("KEYSHIFT_GIT_IDLE_TIMEOUT", DEFAULT_IDLE)


#: The caller's ``GIT_*`` variables that survive: the user's own set-up (global config, exec
#: path, TLS and HTTP settings a sweep clones with) and git's test switches. Every other one is
#: dropped: ``GIT_DIR``, ``GIT_OBJECT_DIRECTORY``, ``GIT_INDEX_FILE``, ``GIT_SHALLOW_FILE``,
#: ``GIT_NAMESPACE``, ``GIT_ATTR_SOURCE``, ``GIT_*_PATHSPECS``, ``GIT_TRACE*``... set by a hook of some
#: other repository (or a hostile CI step), they make git read another repository, another index
#: or other history than the one ``-C`` names, and keyshift report the target clean.
_KEPT = frozenset({"GIT_CONFIG_GLOBAL", "GIT_EXEC_PATH"})
_KEPT_PREFIXES = ("GIT_SSL_", "GIT_HTTP_", "GIT_TEST_")


def _kept(name: str) -> bool:
    return not name.startswith("GIT_") or name in _KEPT or name.startswith(_KEPT_PREFIXES)


def _own_index(where: Path | None) -> str | None:
    """The caller's ``GIT_INDEX_FILE`` when it lies inside the target's own git directory (a
    pre-commit hook run by ``git commit -a`` or ``git commit PATH`` stages the commit in
    ``.git/index.lock`` or ``.git/next-index-*.lock``), as an absolute path; otherwise None."""
    value = os.environ.get("GIT_INDEX_FILE", "")
    if not value or where is None:
        return None
    index = Path(os.path.abspath(value))  # git hooks run at the top of the work tree
    try:
        index = index.resolve()
        for git_dir in find_git_dirs(where):
            if index.is_relative_to(git_dir.resolve()) and stat.S_ISREG(os.lstat(index).st_mode):
                return str(index)
    except (OSError, ValueError):
        return None
    return None


def env(*, network: bool = False, where: Path | None = None) -> dict[str, str]:
    """The caller's environment without its ``GIT_*`` redirections, hardened for untrusted input.

    ``GIT_INDEX_FILE`` is kept only when it names an index inside ``where``'s own git directory.
    """
    out = {name: value for name, value in os.environ.items() if _kept(name)}
    index = _own_index(where)
    if index is not None:
        out["GIT_INDEX_FILE"] = index
    if network and "GIT_SSH_COMMAND" in os.environ:
        out["GIT_SSH_COMMAND"] = os.environ["GIT_SSH_COMMAND"]
    out.update(
        {
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_GRAFT_FILE": os.devnull,  # ``info/grafts`` hides commits like a replace ref does
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_ATTR_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_ALLOW_PROTOCOL": NETWORK_PROTOCOLS if network else "file",
            "GIT_NO_LAZY_FETCH": "1",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_EDITOR": "false",
            "GIT_LFS_SKIP_SMUDGE": "1",
            "LC_ALL": "C",
        }
    )
    return out


def command(*args: str, cwd: str | Path | None = None, network: bool = False) -> list[str]:
    """A hardened git command line: ``git <safe options> [-C cwd] args...``."""
    opts = NETWORK_OPTIONS if network else SAFE_OPTIONS
    where = ["-C", str(cwd)] if cwd is not None else []
    return ["git", *opts, *where, *args]


def harden(argv: Sequence[str], *, network: bool = False) -> list[str]:
    """``argv`` (which must start with ``git``) with the safe options in front, if not already there."""
    if not argv or argv[0] != "git":
        raise ValueError(f"not a git command line: {list(argv)[:2]}")
    opts = NETWORK_OPTIONS if network else SAFE_OPTIONS
    if tuple(argv[1 : 1 + len(opts)]) == opts:
        return list(argv)
    return ["git", *opts, *argv[1:]]


def _cwd_of(argv: Sequence[str]) -> Path | None:
    where: Path | None = None
    i = 1
    while i < len(argv) - 1:
        if argv[i] == "-C":
            where = Path(argv[i + 1]) if where is None else where / argv[i + 1]
            i += 2
        elif argv[i] == "-c":
            i += 2
        elif argv[i].startswith("-"):
            i += 1
        else:
            break
    return where


# ---------------------------------------------------------------- preflight: no FIFO inside .git


_checked: dict[str, str | None] = {}


def find_git_dirs(start: Path) -> list[Path]:
    """The git directories git would open from ``start`` (found without running git).

    ``.git`` may be a directory or a ``gitdir:`` file (linked work trees, submodules); a bare
    repository is its own git directory. ``commondir`` adds the shared one.
    """
    here = start if start.is_dir() else start.parent
    try:
        here = here.resolve()
    except OSError:
        return []
    for folder in (here, *here.parents):
        dot = folder / ".git"
        try:
            st = os.lstat(dot)
        except OSError:
            if _looks_bare(folder):
                return _with_common(folder)
            continue
        if stat.S_ISDIR(st.st_mode):
            return _with_common(dot)
        if stat.S_ISREG(st.st_mode):
            target = _read_small(dot).strip()
            if target.startswith("gitdir:"):
                linked = Path(target[len("gitdir:") :].strip())
                return [dot, *_with_common(linked if linked.is_absolute() else folder / linked)]
        return [dot]  # a FIFO or device named .git: preflight names it
    return []


def _looks_bare(folder: Path) -> bool:
    try:
        return (
            stat.S_ISDIR(os.lstat(folder / "objects").st_mode)
            and (folder / "refs").is_dir()
            and (os.path.lexists(folder / "HEAD"))
        )
    except OSError:
        return False


def _with_common(git_dir: Path) -> list[Path]:
    out = [git_dir]
    common = git_dir / "commondir"
    try:
        if stat.S_ISREG(os.lstat(common).st_mode):
            rel = Path(_read_small(common).strip())
            out.append(rel if rel.is_absolute() else git_dir / rel)
    except OSError:
        pass
    return out


def _read_small(path: Path, limit: int = 4096) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return os.read(fd, limit).decode("utf-8", "replace")
    finally:
        os.close(fd)


def special_kind(mode: int) -> str | None:
    """``FIFO``, ``device`` or ``socket``: the kinds of file an ``open`` or a ``read`` blocks on
    (git here, the tree walker for scanned files), or None for any other kind."""
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return None


def _special_inside(git_dir: Path) -> str | None:
    """The first FIFO, device or socket in ``git_dir`` (symlinks checked at their target), or None."""
    seen = 0
    try:
        st = os.stat(git_dir)
    except OSError:
        return None
    kind = special_kind(st.st_mode)
    if kind:
        return f"{git_dir} is a {kind}"
    if not stat.S_ISDIR(st.st_mode):
        return None
    pending = [str(git_dir)]
    while pending and seen < _PREFLIGHT_LIMIT:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                if entry.is_file(follow_symlinks=False):
                    continue
                mode = (
                    os.stat(entry.path).st_mode
                    if entry.is_symlink()
                    else entry.stat(follow_symlinks=False).st_mode
                )
            except OSError:
                continue  # a dangling link: git reports that itself
            kind = special_kind(mode)
            if kind:
                return f"{entry.path} is a {kind}"
    return None


#: config keys naming a file git opens on every command (``include.path``, ``includeIf.*.path``)
#: or on listings (``core.excludesFile``, ``core.attributesFile``)
_NAMED_FILE = re.compile(r"(?im)^\s*(path|excludesfile|attributesfile)\s*=\s*(.+?)\s*$")


def _named_special(git_dir: Path) -> str | None:
    """A FIFO, device or socket that the repository's config names as a file to read: git would
    block on it (outside the git directory, so ``_special_inside`` does not see it)."""
    for name in ("config", "config.worktree"):
        for match in _NAMED_FILE.finditer(_read_small(git_dir / name, 1 << 20)):
            value = match.group(2).strip().strip('"')
            if not value:
                continue
            target = Path(os.path.expanduser(value))
            if not target.is_absolute():
                target = git_dir / target
            try:
                kind = special_kind(os.stat(target).st_mode)
            except (OSError, ValueError):
                continue
            if kind:
                return f"{target} (named by {match.group(1)} in {git_dir / name}) is a {kind}"
    return None


def preflight(start: Path) -> None:
    """Refuse (``KeyshiftError``) a repository whose git directory holds a FIFO, device or socket.

    git opens ``HEAD``, ``packed-refs``, ``objects/info/alternates``, loose refs and objects with a
    blocking ``open``; one FIFO among them hangs it forever. Checked once per git directory.
    """
    for git_dir in find_git_dirs(start):
        key = str(git_dir)
        if key not in _checked:
            _checked[key] = _special_inside(git_dir) or _named_special(git_dir)
            alternates = git_dir / "objects" / "info" / "alternates"
            if _checked[key] is None and os.path.isfile(alternates):
                for line in _read_small(alternates).splitlines():
                    alt = Path(line.strip())
                    if line.strip() and not line.startswith("#") and alt.is_absolute():
                        problem = _special_inside(alt)
                        if problem:
                            _checked[key] = problem
                            break
        problem = _checked[key]
        if problem:
            raise KeyshiftError(
                f"{problem} inside the git directory; git would block reading it, "
                "so the repository was not read (remove it, or scan a clean clone)"
            )


def forget_preflight() -> None:
    """Drop the per-process preflight cache (tests build several repositories in one process)."""
    _checked.clear()


# ---------------------------------------------------------------- running


class _Bounded:
    """Reads a pipe to the end in a thread, keeping at most ``limit`` bytes."""

    def __init__(self, pipe: IO[bytes], limit: int, *, strict: bool) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.overflow = False
        self._limit = limit
        self._strict = strict
        self._pipe = pipe
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        try:
            while chunk := self._pipe.read(1 << 16):
                room = self._limit - self.size
                if len(chunk) > room:
                    self.overflow = True
                    if room > 0:
                        self.parts.append(chunk[:room])
                        self.size += room
                    if self._strict:
                        return
                    continue
                self.parts.append(chunk)
                self.size += len(chunk)
        except (OSError, ValueError):
            return

    def value(self) -> bytes:
        return b"".join(self.parts)


def _name(argv: Sequence[str]) -> str:
    i = 1
    while i < len(argv):
        if argv[i] in ("-C", "-c"):
            i += 2
        elif argv[i].startswith("-"):
            i += 1
        else:
            return argv[i]
    return "git"


def _feed(stdin: IO[bytes], data: bytes) -> None:
    try:
        stdin.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass
    finally:
        with suppress(BrokenPipeError, OSError, ValueError):
            stdin.close()


def run(
    argv: Sequence[str],
    *,
    input: bytes = b"",
    timeout: float | None = None,
    max_output: int = DEFAULT_MAX_OUTPUT,
    network: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run one git command to completion; never raises for a non-zero exit (callers decide).

    Raises ``GitTimeout`` when it runs longer than ``timeout`` (default ``timeout_default()``),
    ``GitOutputTooLarge`` when stdout passes ``max_output``, and ``KeyshiftError`` when git is
    missing or the repository fails ``preflight``.
    """
    full = harden(argv, network=network)
    where = _cwd_of(full)
    if where is not None and not network:
        preflight(where)
    limit = timeout if timeout is not None else timeout_default()
    try:
        proc = subprocess.Popen(
            full,
            stdin=subprocess.PIPE if input else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**env(network=network, where=where), **(extra_env or {})},
        )
    except FileNotFoundError as exc:
        raise KeyshiftError("git is not installed or not on PATH") from exc
    assert proc.stdout is not None and proc.stderr is not None
    out = _Bounded(proc.stdout, max_output, strict=True)
    err = _Bounded(proc.stderr, _STDERR_KEEP, strict=False)
    writer = None
    if input:
        assert proc.stdin is not None
        writer = threading.Thread(target=_feed, args=(proc.stdin, input), daemon=True)
        writer.start()
    deadline = time.monotonic() + limit
    timed_out = False
    try:
        while True:
            out.thread.join(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
            if not out.thread.is_alive():
                break
            if time.monotonic() >= deadline:
                timed_out = True
                break
    except BaseException:  # Ctrl-C, SIGTERM (``errors.Terminated``): git never outlives keyshift
        proc.kill()
        proc.wait()
        raise
    if timed_out or out.overflow:
        proc.kill()
    try:
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
        timed_out = True
    err.thread.join(timeout=5)
    if writer is not None:
        writer.join(timeout=5)
    for pipe in (proc.stdout, proc.stderr):
        pipe.close()
    if timed_out:
        raise GitTimeout(
            f"git {_name(full)} did not finish within {limit:g} s and was stopped "
            "(a FIFO or device inside the repository, or a very slow disk?); the repository was not read"
        )
    if out.overflow:
        raise GitOutputTooLarge(f"git {_name(full)} produced more than {max_output} bytes; refused")
    return subprocess.CompletedProcess(full, code, out.value(), err.value())


class GitStream:
    """stdout of a running git command, read by keyshift at its own pace.

    A watchdog counts only the time keyshift spends blocked waiting for git: scanning a blob
    between reads is not git being stuck. When a wait passes ``idle`` seconds, git is killed and
    the next read raises ``GitTimeout``.
    """

    def __init__(self, proc: subprocess.Popen[bytes], name: str, idle: float) -> None:
        assert proc.stdout is not None
        self.proc = proc
        self.stdin = proc.stdin
        self._out = proc.stdout
        self._name = name
        self._idle = idle
        self._waiting_since: float | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.timed_out = False
        self._dog = threading.Thread(target=self._watch, daemon=True)
        self._dog.start()

    def _watch(self) -> None:
        while not self._done.wait(min(1.0, self._idle / 4)):
            with self._lock:
                since = self._waiting_since
            if since is not None and time.monotonic() - since > self._idle:
                self.timed_out = True
                self.proc.kill()
                return

    def _check(self, data: bytes, wanted: int | None) -> bytes:
        if self.timed_out and (not data or (wanted is not None and len(data) < wanted)):
            raise GitTimeout(
                f"git {self._name} sent nothing for {self._idle:g} s and was stopped "
                "(a FIFO or device inside the repository?); the repository was only partly read"
            )
        return data

    def read(self, size: int = -1) -> bytes:
        with self._lock:
            self._waiting_since = time.monotonic()
        try:
            data = self._out.read(size)
        finally:
            with self._lock:
                self._waiting_since = None
        return self._check(data, size if size > 0 else None)

    def readline(self) -> bytes:
        with self._lock:
            self._waiting_since = time.monotonic()
        try:
            data = self._out.readline()
        finally:
            with self._lock:
                self._waiting_since = None
        return self._check(data, None)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line

    def close(self) -> None:
        self._done.set()


@contextmanager
def stream(
    argv: Sequence[str],
    *,
    stdin: bool = False,
    idle: float | None = None,
    errors: list[str] | None = None,
) -> Iterator[GitStream]:
    """Start a long-running git command and hand its stdout over as a ``GitStream``.

    On leaving, git is stopped if still running; its exit code and the first line of its stderr
    (at most a few KiB kept) are appended to ``errors`` as ``"exit N: message"`` when it failed.
    """
    full = harden(argv)
    where = _cwd_of(full)
    if where is not None:
        preflight(where)
    wait = idle if idle is not None else idle_default()
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                full,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                env=env(where=where),
                bufsize=1 << 20,
            )
        except FileNotFoundError as exc:
            raise KeyshiftError("git is not installed or not on PATH") from exc
        out = GitStream(proc, _name(full), wait)
        finished = False
        try:
            yield out
            finished = True
        finally:
            out.close()
            if not finished or out.timed_out:
                proc.kill()
            try:
                code = proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            for pipe in (proc.stdout, proc.stdin):
                if pipe is not None:
                    with suppress(BrokenPipeError, OSError):
                        pipe.close()
            if errors is not None and finished and code != 0:
                err.seek(0)
                text = err.read(_STDERR_KEEP).decode("utf-8", "replace").strip()
                errors.append(f"exit {code}: {text.splitlines()[0] if text else 'no message'}")
