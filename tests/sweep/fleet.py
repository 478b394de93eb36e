"""Generated fleets of repositories, and a git server that never answers (an unreachable repository)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from keyshift.migrate.synth import make_clean_repo, make_repo


def make_fleet(root: Path, count: int) -> list[Path]:
    """``count`` repositories: most with keys (some in history only), every fifth clean; two accounts."""
    repos = []
    for i in range(count):
        path = root / f"repo{i:02d}"
        if i % 5 == 4:
            make_clean_repo(path)
        else:
            account = "111111111111" if i % 2 else "222222222222"
            make_repo(path, services=1 + i % 2, account=account, seed=f"fleet{i}", history_key=i % 3 == 0)
        repos.append(path)
    return repos


@contextmanager
def silent_server() -> Iterator[tuple[str, threading.Event]]:
    """An HTTP address on 127.0.0.1 that accepts connections and holds them until ``release`` is set."""
    release = threading.Event()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            if release.is_set():
                conn.close()  # now it fails fast: the repository is unreachable, the sweep goes on
            else:
                held.append(conn)

    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/team/slow.git", release
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        server.close()
