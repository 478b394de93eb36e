"""What decides whether a sweep may reuse an earlier result: content keyshift hashes itself.

A cached result is reused only when nothing that could change it changed:

- the tree: every file a scan would read, hashed by content (``tree_digest``), not ``git status``,
  which runs the repository's filter drivers and misses edits to already-modified or untracked
  files; for a ``--history`` sweep the refs too (a new branch can add a key without moving HEAD);
- the settings: the bytes of ``--config`` / ``KEYSHIFT_CONFIG`` (``config_digest``), not their name;
- where it came from: a clone lives in a folder keyed by a hash of its URL and of shallow vs full
  (``clone_dir``), so two URLs with one base name never share a clone, and a ``--history`` sweep
  never reads a shallow clone.

State files are read back as untrusted data: ``valid_state`` checks the type of every field the
sweep reads, and a bad file is rebuilt with a note, never a crash.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path
from typing import Any

from keyshift import gitrun
from keyshift.errors import KeyshiftError

_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")
_READ = 1 << 20


def clone_dir(clones: Path, name: str, location: str, *, shallow: bool) -> Path:
    """``clones/<name>-<hash of URL and depth>``: the readable name is decoration, the hash is the key."""
    digest = hashlib.sha256(f"{location}\0{'shallow' if shallow else 'full'}".encode()).hexdigest()[:20]
    slug = _SLUG.sub("-", name).strip(".-")[:40] or "repo"
    return clones / f"{slug}-{digest}"


def _hash_file(digest: Any, path: str) -> None:
    """Feed one file into ``digest``: its type, and for a regular file its bytes (never blocking)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        try:
            st = os.lstat(path)
        except OSError:
            digest.update(b"missing\0")
            return
        if stat.S_ISLNK(st.st_mode):
            digest.update(b"link\0" + os.fsencode(os.readlink(path)) + b"\0")
        else:
            digest.update(f"unreadable {exc.errno} {stat.S_IFMT(st.st_mode)}\0".encode())
        return
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            digest.update(f"special {stat.S_IFMT(st.st_mode)}\0".encode())
            return
        digest.update(f"file {st.st_mode & 0o777}\0".encode())
        while block := os.read(fd, _READ):
            digest.update(block)
        digest.update(b"\0")
    except OSError as exc:
        digest.update(f"unreadable {exc.errno}\0".encode())
    finally:
        os.close(fd)


def tree_digest(root: Path, *, refs: bool = False) -> str:
    """A hash of the content of every file below ``root`` that a scan would list, and of their names.

    ``refs``: add every ref and its target (``git for-each-ref``), for history scans.
    """
    from keyshift.sources.worktree import list_files

    digest = hashlib.blake2b(digest_size=16)
    for rel in list_files(root, all_files=False, exclude=()):
        digest.update(os.fsencode(rel) + b"\0")
        _hash_file(digest, os.path.join(root, rel))
    if refs:
        try:
            proc = gitrun.run(gitrun.command("for-each-ref", "--format=%(objectname) %(refname)", cwd=root))
            digest.update(b"refs\0" + proc.stdout)
        except KeyshiftError as exc:
            digest.update(f"refs unreadable {exc}".encode())
    return digest.hexdigest()


def config_digest(explicit: str | None) -> str:
    """A hash of the settings file's bytes (``--config``, else ``KEYSHIFT_CONFIG``); "" when neither."""
    path = explicit or os.environ.get("KEYSHIFT_CONFIG") or ""
    if not path:
        return ""
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape") + b"\0")
    _hash_file(digest, path)
    return digest.hexdigest()[:16]


_STR_FIELDS = ("name", "location", "status")
_OPTIONAL_STR = ("cache_key", "head", "report", "error")
_STR_LISTS = ("roles", "notes", "errors")


def valid_state(data: object) -> str | None:
    """None when ``data`` is a saved outcome the sweep can read, else what is wrong with it."""
    if not isinstance(data, dict):
        return "not an object"
    for name in _STR_FIELDS:
        if not isinstance(data.get(name), str):
            return f"{name} is not a string"
    for name in _OPTIONAL_STR:
        if data.get(name) is not None and not isinstance(data[name], str):
            return f"{name} is not a string"
    for name in _STR_LISTS:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{name} is not a list of strings"
    totals = data.get("totals", {})
    if not isinstance(totals, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in totals.items()
    ):
        return "totals is not a table of counts"
    keys = data.get("keys", [])
    if not isinstance(keys, list):
        return "keys is not a list"
    for key in keys:
        if not isinstance(key, dict) or not isinstance(key.get("key"), str):
            return "a key entry has no key"
        if key.get("account_id") is not None and not isinstance(key["account_id"], str):
            return "a key's account_id is not a string"
        verdict = key.get("verify")
        if verdict is not None and not isinstance(verdict, dict):
            return "a key's verify is not an object"
    seconds = data.get("seconds", 0)
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        return "seconds is not a number"
    return None
