"""Where image parts come from: a directory, a tar archive, or a registry, behind one interface.

A ``BlobOpener`` is a small picklable recipe ("this file from byte X", "this URL with these
headers") so worker processes open their own layer streams. A ``Store`` lists the names an
image format refers to (``manifest.json``, ``blobs/sha256/…``) and hands out openers; names
that try to leave the store (``../``, absolute, links pointing outside) are refused.
"""

from __future__ import annotations

import json
import os
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from keyshift.sources.image.stream import LayerProblem


class BlobOpener(Protocol):
    def open(self) -> BinaryIO: ...


class _Bounded:
    """A read-only view of ``size`` bytes of an open file."""

    def __init__(self, fh: BinaryIO, size: int) -> None:
        self._fh = fh
        self._left = size

    def read(self, n: int = -1) -> bytes:
        if n < 0 or n > self._left:
            n = self._left
        data = self._fh.read(n)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._fh.close()


@dataclass(frozen=True, slots=True)
class FileBlob:
    """Bytes ``offset .. offset+size`` of a local file (a whole file when ``size`` is None)."""

    path: str
    offset: int = 0
    size: int | None = None

    def open(self) -> BinaryIO:
        try:
            fh = open(self.path, "rb")  # noqa: SIM115  # closed by the caller
        except FileNotFoundError:
            raise LayerProblem("blob is missing") from None
        except OSError as exc:
            raise LayerProblem(f"blob cannot be opened: {exc.strerror}") from None
        if self.offset:
            fh.seek(self.offset)
        if self.size is None:
            return fh
        return _Bounded(fh, self.size)  # type: ignore[return-value]


class Store(Protocol):
    description: str

    def opener(self, name: str) -> BlobOpener | None: ...

    def size(self, name: str) -> int | None: ...


def read_small(store: Store, name: str, limit: int) -> bytes:
    """A whole (small) part of the image, refusing anything over ``limit`` bytes."""
    opener = store.opener(name)
    if opener is None:
        raise LayerProblem(f"{name} is missing")
    size = store.size(name)
    if size is not None and size > limit:
        raise LayerProblem(f"{name} is {size} bytes, over the limit of {limit}")
    fh = opener.open()
    try:
        data = fh.read(limit + 1)
    finally:
        fh.close()
    if len(data) > limit:
        raise LayerProblem(f"{name} is over the limit of {limit} bytes")
    return data


def _depth(value: Any, limit: int) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise LayerProblem(f"JSON nested deeper than {limit} levels")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def load_json(data: bytes, what: str, max_depth: int) -> Any:
    """Parse image JSON; invalid, too deep or non-UTF-8 JSON is a ``LayerProblem``."""
    try:
        value = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise LayerProblem(f"{what}: JSON nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise LayerProblem(f"{what}: invalid JSON ({type(exc).__name__})") from None
    _depth(value, max_depth)
    return value


def clean_name(name: str) -> str | None:
    """A store-relative name, or None when it tries to leave the store."""
    if not isinstance(name, str) or not name or name.startswith("/") or "\0" in name:
        return None
    norm = posixpath.normpath(name)
    if norm.startswith("../") or norm == ".." or norm.startswith("/"):
        return None
    return norm


class DirStore:
    """An OCI layout directory (or an unpacked ``docker save``)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.description = str(root)

    def _path(self, name: str) -> Path | None:
        clean = clean_name(name)
        if clean is None:
            return None
        path = Path(os.path.realpath(self.root / clean))
        if path != self.root and self.root not in path.parents:
            return None  # a symlink pointing out of the layout
        return path if path.is_file() else None

    def opener(self, name: str) -> BlobOpener | None:
        path = self._path(name)
        return FileBlob(str(path)) if path else None

    def size(self, name: str) -> int | None:
        path = self._path(name)
        return path.stat().st_size if path else None


class TarStore:
    """A ``docker save`` archive or an OCI layout tar, indexed once by member name.

    Only headers are read to build the index (tarfile seeks over bodies in an uncompressed
    file); symlinks between members (``docker save`` links repeated layers) are resolved
    inside the archive only.
    """

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.description = str(path)
        self.members: dict[str, tuple[int, int]] = {}
        self.links: dict[str, str] = {}
        self.problems: list[str] = []
        self.file_size = path.stat().st_size
        try:
            with tarfile.open(self.path, "r:") as tf:
                while True:
                    try:
                        info = tf.next()
                    except tarfile.TarError as exc:
                        self.problems.append(f"archive index stopped: {exc}")
                        break
                    if info is None:
                        break
                    name = clean_name(info.name)
                    if name is None:
                        self.problems.append(f"archive member {info.name!r} escapes the archive; ignored")
                        continue
                    if info.isreg():
                        self.members[name] = (info.offset_data, info.size)
                    elif info.issym():
                        self.links[name] = posixpath.normpath(
                            posixpath.join(posixpath.dirname(name), info.linkname)
                        )
                    elif info.islnk():
                        target = clean_name(info.linkname)
                        if target is not None:
                            self.links[name] = target
        except tarfile.ReadError as exc:
            raise LayerProblem(f"not a readable tar archive ({exc})") from None
        except (OSError, EOFError) as exc:
            raise LayerProblem(f"archive cannot be read: {exc}") from None

    def _resolve(self, name: str) -> str | None:
        clean = clean_name(name)
        for _ in range(16):
            if clean is None:
                return None
            if clean in self.members:
                return clean
            clean = self.links.get(clean)
            clean = clean_name(clean) if clean is not None else None
        return None

    def opener(self, name: str) -> BlobOpener | None:
        found = self._resolve(name)
        if found is None:
            return None
        offset, size = self.members[found]
        return FileBlob(self.path, offset, size)

    def size(self, name: str) -> int | None:
        found = self._resolve(name)
        return self.members[found][1] if found else None

    def names(self) -> set[str]:
        return set(self.members) | set(self.links)
