"""``keyshift plan`` and ``migrate`` on a large tree, next to ``keyshift scan`` measured in the same run.

The target: planning a tree costs at most twice scanning it. A plan has to scan (it needs the
keys), then look for AWS calls; on a tree where few files touch AWS, that second part should
cost little. The tree is real source: the running Python's standard library and site-packages
text files (the same corpus as ``scan_tree.py``), cut at ``--files`` files, with the keyshift
demo service (``fixtures/demo``: S3, DynamoDB, SQS and SNS calls with hardcoded fake keys)
planted under ``apps/orders`` so there is a role to plan. Every command runs as a fresh CLI
process (interpreter start-up and imports included), best of ``--repeat``, page cache warm.

    python benchmarks/plan_tree.py                    # 50,000 files
    python benchmarks/plan_tree.py --files 5000 --repeat 1
    python benchmarks/plan_tree.py --tree DIR         # measure an existing tree
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_tree import TEXT_SUFFIXES  # the same corpus as the scan benchmark

REPO = Path(__file__).resolve().parents[1]


SKIP = ("__pycache__", "test", "tests", "site-packages")


def build_tree(dest: Path, count: int) -> int:
    """Copy up to ``count`` library text files into ``dest``, plant the demo service; file count."""
    sources: list[Path] = []
    for key in ("stdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(key)
        if path and Path(path).is_dir() and Path(path) not in sources:
            sources.append(Path(path))
    demo = REPO / "fixtures" / "demo"
    shutil.copytree(demo, dest / "apps" / "orders")
    written = sum(1 for p in (dest / "apps").rglob("*") if p.is_file())
    copy = 0
    while written < count:
        before = written
        for src in sources:
            for root, dirs, names in os.walk(src):
                # site-packages is its own source (the stdlib folder holds it too)
                dirs[:] = sorted(d for d in dirs if d not in SKIP)
                for name in sorted(names):
                    path = Path(root) / name
                    if path.suffix not in TEXT_SUFFIXES or path.is_symlink() or written >= count:
                        continue
                    # not "site-packages": the planner skips folders of that name as installed code
                    part = "packages" if src.name == "site-packages" else src.name
                    out = dest / f"lib{copy}" / part / path.relative_to(src)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(path, out)
                    written += 1
        if written == before:
            break
        copy += 1
    return written


def warm(tree: Path) -> None:
    for p in tree.rglob("*"):
        if p.is_file() and not p.is_symlink():
            with open(p, "rb") as fh:
                while fh.read(1 << 20):
                    pass


def timed(cmd: list[str], repeat: int, written: Path) -> tuple[float, float] | None:
    """Best wall time of ``repeat`` runs and the CPU (user + system, the process and its pool
    workers) of that run: on a shared machine the wall time follows the load, the CPU much less."""
    best: tuple[float, float] | None = None
    for _ in range(repeat):
        if written.is_dir():
            shutil.rmtree(written)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if proc.returncode not in (0, 1):
            print(
                f"  ! {' '.join(cmd[3:5])} exited {proc.returncode}: {proc.stderr[-500:]!r}", file=sys.stderr
            )
            return None
        if best is None or elapsed < best[0]:
            best = (elapsed, cpu)
    return best


def commands(tree: Path, out: Path) -> list[tuple[str, list[str], Path]]:
    """(name, command, what it writes): scan first, the reference of the others."""
    keyshift = [sys.executable, "-m", "keyshift"]
    quiet = ["-q", "--exit-zero"]
    return [
        (
            "scan (reference)",
            [*keyshift, "scan", str(tree), *quiet, "-o", str(out / "scan.txt")],
            out / "scan.txt",
        ),
        (
            "plan --out-dir",
            [*keyshift, "plan", str(tree), *quiet, "--out-dir", str(out / "plan")],
            out / "plan",
        ),
        (
            "migrate --no-history",
            [*keyshift, "migrate", str(tree), *quiet, "--no-history", "--out-dir", str(out / "review")],
            out / "review",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tree", type=Path, help="measure this tree instead of building one")
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated tree (its path is printed)")
    args = parser.parse_args()
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "src"), env_path) if p)
    tmp = Path(tempfile.mkdtemp(prefix="keyshift-plan-bench-"))
    try:
        if args.tree:
            tree = args.tree
        else:
            tree = tmp / "tree"
            tree.mkdir()
            print(f"building a {args.files}-file tree in {tree} ...", file=sys.stderr)
            build_tree(tree, args.files)
        files = sum(1 for p in tree.rglob("*") if p.is_file())
        size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file() and not p.is_symlink())
        warm(tree)
        out = tmp / "out"
        out.mkdir()
        print(f"\ntree: {files} files, {size / 1e6:.1f} MB, {os.cpu_count()} cores\n")
        print(f"| command | wall, best of {args.repeat} (s) | x scan | CPU (s) | x scan | load average |")
        print("|---|---:|---:|---:|---:|---|")
        reference: tuple[float, float] | None = None
        for name, cmd, written in commands(tree, out):
            measured = timed(cmd, args.repeat, written)
            load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
            if measured is None:
                print(f"| {name} | failed | - | - | - | {load} |")
                continue
            reference = reference or measured
            wall, cpu = measured
            ratios = f"{wall / reference[0]:.2f} | {cpu:.2f} | {cpu / reference[1]:.2f}"
            print(f"| {name} | {wall:.2f} | {ratios} | {load} |", flush=True)
    finally:
        if args.keep and not args.tree:
            print(f"tree kept: {tmp / 'tree'}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
