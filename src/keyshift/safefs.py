"""Writing output files without following symlinks, and replacing them atomically.

keyshift writes its folders (``plan --out``, the migrate review folder, its ``roles/``, the sweep
folder) into or next to repositories it does not trust. A repository can commit ``keyshift-review``
or ``roles`` as a symlink to anywhere; a plain ``mkdir``/``open`` would follow it and write outside
the target. So every directory below the trusted base is opened with ``O_NOFOLLOW | O_DIRECTORY``
relative to its parent's descriptor (``openat`` style), and every file is written to a fresh,
unpredictable temporary name (``O_CREAT | O_EXCL | O_NOFOLLOW``) in the same directory and then
renamed over the destination; a rename replaces a symlink instead of writing through it.

The trusted base is what the user named: the scanned directory when the output lies inside it,
otherwise the output folder's parent. Everything below the base must be a real directory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path
from types import TracebackType

from keyshift.errors import KeyshiftError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC
_MAX_NAME = 255


def _check_name(name: str, where: Path) -> None:
    too_long = len(name.encode("utf-8", "surrogateescape")) > _MAX_NAME
    if not name or name in (".", "..") or "/" in name or "\0" in name or too_long:
        raise KeyshiftError(f"refusing to write a file named {name!r} in {where}")


def _symlink_error(path: Path) -> KeyshiftError:
    return KeyshiftError(
        f"refusing to write through a symlink: {path} (remove it or choose another --out-dir)"
    )


class SafeDir:
    """An open output directory; children are created relative to its descriptor, never via a symlink."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    def __enter__(self) -> SafeDir:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def subdir(self, name: str) -> SafeDir:
        """Open (creating if needed) the real directory ``name`` below this one."""
        _check_name(name, self.path)
        path = self.path / name
        try:
            os.mkdir(name, 0o777, dir_fd=self.fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise KeyshiftError(f"cannot create {path}: {exc.strerror}") from exc
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK) and _is_symlink(name, self.fd):
                raise _symlink_error(path) from exc
            raise KeyshiftError(f"cannot open {path}: {exc.strerror}") from exc
        return SafeDir(fd, path)

    def write_text(self, relpath: str, text: str) -> Path:
        """Atomically replace ``relpath`` (POSIX, below this folder) with ``text``; returns its path."""
        return self.write_bytes(relpath, text.encode("utf-8", "surrogateescape"))

    def write_bytes(self, relpath: str, data: bytes) -> Path:
        *folders, name = relpath.split("/")
        if not folders:
            _check_name(name, self.path)
            _replace(self.fd, name, data, self.path)
            return self.path / name
        with self.subdir(folders[0]) as child:
            return child.write_bytes("/".join([*folders[1:], name]), data)

    def names(self) -> list[str]:
        """The entries of this folder (read through its descriptor, not its path)."""
        return sorted(os.listdir(self.fd))

    def remove(self, name: str) -> None:
        """Remove the file ``name`` (a symlink is removed, not followed); missing is fine."""
        _check_name(name, self.path)
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            os.unlink(name, dir_fd=self.fd)


def _is_symlink(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _replace(dir_fd: int, name: str, data: bytes, where: Path, mode: int | None = None) -> None:
    """Write ``data`` to a fresh temporary in ``dir_fd`` and rename it over ``name``.

    The temporary is synced before the rename, so a crash leaves the old file or the new one,
    never an empty one; ``mode`` (a rewritten source file's own) is set on it first.
    """
    for _ in range(100):
        tmp = f".{name[:100]}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o666, dir_fd=dir_fd
            )
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise KeyshiftError(f"cannot write {where / name}: {exc.strerror}") from exc
    else:  # pragma: no cover - 100 collisions of 64 random bits
        raise KeyshiftError(f"cannot create a temporary file in {where}")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        if isinstance(exc, OSError):
            raise KeyshiftError(f"cannot write {where / name}: {exc.strerror}") from exc
        raise


def _open_trusted(path: Path) -> int:
    try:
        return os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except OSError as exc:
        raise KeyshiftError(f"cannot open {path}: {exc.strerror}") from exc


def open_output_dir(out: Path, within: Path | None = None) -> SafeDir:
    """Open (creating) the output folder ``out`` without following a symlink below the trusted base.

    When ``out`` lies inside ``within`` (the scanned directory), every component from ``within``
    down is checked; otherwise only the components ``out`` adds to its existing ancestors, so
    the user's own path (``/tmp`` on systems where it is a symlink) keeps working.
    """
    target = Path(os.path.abspath(out))
    base: Path | None = None
    if within is not None:
        root = Path(os.path.abspath(within))
        if target.is_relative_to(root) and root.is_dir():
            base = root
    if base is None:
        base = target.parent
        while not base.exists() and base != base.parent:  # ancestors still to create are ours
            base = base.parent
    if target == base:
        return SafeDir(_open_trusted(base), target)
    current = SafeDir(_open_trusted(base), base)
    try:
        for part in target.relative_to(base).parts:
            child = current.subdir(part)
            current.close()
            current = child
    except BaseException:
        current.close()
        raise
    return current


def atomic_write(path: Path, text: str | bytes, *, keep_mode: bool = False) -> None:
    """Replace the single file ``path`` atomically, via a safe temporary: readers see the old
    file or the new one, never a mix. ``keep_mode`` keeps an existing file's permissions (a
    source file ``fix --write`` rewrites); the file itself is replaced, never written through."""
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    with SafeDir(_open_trusted(Path(os.path.abspath(path)).parent), path.parent) as folder:
        _check_name(path.name, path.parent)
        mode = None
        if keep_mode:
            try:
                mode = stat.S_IMODE(os.stat(path.name, dir_fd=folder.fd, follow_symlinks=False).st_mode)
            except OSError as exc:
                raise KeyshiftError(f"cannot write {path}: {exc.strerror}") from exc
        _replace(folder.fd, path.name, data, path.parent, mode)
