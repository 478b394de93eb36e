"""Bulk reading of git objects: list blobs once, stream their contents through ``git cat-file --batch``.

Why not ``git log -p``: making diffs costs as much as reading the objects, and a blob shared
by many commits would be scanned many times. Listing every object once and streaming each
blob once through a ``cat-file --batch`` reader is as fast as git can decompress; splitting the
list into chunks read by several worker processes lets every core decompress.

A reader never holds more than one blob in memory. A corrupt object makes ``cat-file`` die:
the reader records the object as unreadable and restarts after it, so one bad object never
ends the scan.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from keyshift import gitrun

BINARY_PROBE = 8000  # git's own heuristic: a NUL byte in the first 8000 bytes means binary


@dataclass(frozen=True, slots=True)
class Blob:
    sha: str
    size: int


@dataclass(slots=True)
class ReadProblem:
    sha: str
    reason: str  # "missing" | "corrupt" | ...


def list_all_blobs(cmd: list[str], problems: list[ReadProblem]) -> Iterator[Blob]:
    """Every blob in the object database (packs, loose, alternates) in pack order.

    ``cmd`` is the repository's git prefix (``git -C root``). Pack order keeps delta chains
    together, which is what makes contiguous chunks cheap to decompress. An object that is
    listed but whose header cannot be read is corrupt; it goes to ``problems``.
    """
    args = [
        *cmd,
        "cat-file",
        "--batch-all-objects",
        "--unordered",
        "--batch-check=%(objectname) %(objecttype) %(objectsize)",
    ]
    with gitrun.stream(args) as out:
        for line in out:
            parts = line.split()
            if len(parts) == 3 and parts[1] == b"blob":
                yield Blob(parts[0].decode("ascii"), int(parts[2]))
            elif len(parts) == 2 and parts[1] == b"missing":
                problems.append(ReadProblem(parts[0].decode("ascii"), "corrupt"))


def check_blobs(cmd: list[str], shas: Iterable[str]) -> tuple[list[Blob], list[ReadProblem]]:
    """Sizes of the named blobs (``--batch-check``); missing ones are reported, not raised."""
    wanted = "".join(f"{sha}\n" for sha in shas).encode("ascii")
    proc = gitrun.run(
        [*cmd, "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"], input=wanted
    )
    blobs: list[Blob] = []
    problems: list[ReadProblem] = []
    for line in proc.stdout.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "blob":
            blobs.append(Blob(parts[0], int(parts[2])))
        elif len(parts) == 2 and parts[1] == "missing":
            problems.append(ReadProblem(parts[0], "missing"))
    return blobs, problems


@dataclass(slots=True)
class ReadStats:
    problems: list[ReadProblem] = field(default_factory=list)


def _feed(stdin: IO[bytes], shas: list[str]) -> None:
    try:
        for start in range(0, len(shas), 512):
            stdin.write("".join(f"{sha}\n" for sha in shas[start : start + 512]).encode("ascii"))
        stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # cat-file died on a corrupt object; the reader notices and restarts


def read_blobs(cmd: list[str], shas: list[str], stats: ReadStats) -> Iterator[tuple[str, bytes]]:
    """Stream ``(sha, content)`` for each sha, in order; unreadable objects go to ``stats``."""
    position = 0
    while position < len(shas):
        pending = shas[position:]
        done = 0
        with gitrun.stream([*cmd, "cat-file", "--batch", "--buffer"], stdin=True) as out:
            assert out.stdin is not None
            writer = threading.Thread(target=_feed, args=(out.stdin, pending), daemon=True)
            writer.start()
            for sha in pending:
                header = out.readline()
                if not header:
                    break  # cat-file died on this object
                parts = header.split()
                if len(parts) == 2 and parts[1] == b"missing":
                    stats.problems.append(ReadProblem(sha, "missing"))
                    done += 1
                    continue
                if len(parts) != 3:
                    break
                size = int(parts[2])
                data = out.read(size)
                trailer = out.read(1)
                if len(data) != size or trailer != b"\n":
                    break
                done += 1
                yield sha, data
            out.proc.kill()  # the batch is done (or cat-file died): stop feeding it
            writer.join(timeout=5)
        position += done
        if position < len(shas):
            stats.problems.append(ReadProblem(shas[position], "corrupt"))
            position += 1
