"""Sweep throughput: repositories per minute next to the sum of single-repository scan times.

Generates a fleet of small multi-service git repositories (fake keys, some only in history), then,
in the same run: (1) every repository scanned alone, one after the other, in this process (the
per-repository task `keyshift sweep` runs: scan, plan, fix preview, review folder); (2) the whole
fleet swept with N worker processes. Parallel efficiency = sum of single times / (wall x workers).

    python benchmarks/sweep.py                      # 200 repositories, 2 workers
    python benchmarks/sweep.py --repos 400 --workers 4 --clone   # through file:// clones
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from keyshift.migrate.synth import make_clean_repo, make_repo
from keyshift.sweep.runner import run_local
from keyshift.sweep.sources import RepoSource
from keyshift.sweep.task import RepoTask, run_task


def build_fleet(root: Path, count: int) -> list[Path]:
    repos = []
    for i in range(count):
        path = root / f"repo{i:03d}"
        if i % 5 == 4:
            make_clean_repo(path)
        else:
            make_repo(
                path,
                services=1 + i % 3,
                account=f"{111111111111 * (1 + i % 3):012d}",
                seed=f"b{i}",
                history_key=i % 3 == 0,
            )
        repos.append(path)
    return repos


def tasks_for(repos: list[Path], out: Path, clone: bool) -> list[RepoTask]:
    return [
        RepoTask(
            source=RepoSource(p.name, p.as_uri() if clone else str(p), clone),
            out=str(out),
            clones=str(out / "clones"),
        )
        for p in repos
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clone", action="store_true", help="sweep through file:// clones")
    parser.add_argument("--keep", action="store_true", help="keep the generated fleet")
    parser.add_argument("--rounds", type=int, default=2, help="alternating sequential/sweep rounds (mean)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="keyshift-sweep-bench-"))
    try:
        t0 = time.perf_counter()
        repos = build_fleet(work / "fleet", args.repos)
        print(f"generated {len(repos)} repositories in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        run_task(tasks_for(repos[:1], work / "warm", args.clone)[0])  # imports and caches, not measured

        # alternate the two measurements so a change in machine load hits both alike
        singles: list[list[float]] = []
        seq_walls: list[float] = []
        seq_cpus: list[float] = []
        walls: list[float] = []
        cpus: list[float] = []
        outcomes: list[dict[str, object]] = []
        for round_ in range(args.rounds):
            single: list[float] = []
            seq0 = os.times()
            t0 = time.perf_counter()
            for task in tasks_for(repos, work / f"single{round_}", args.clone):
                outcome = run_task(task)
                assert outcome["status"] == "ok", outcome
                single.append(float(outcome["seconds"]))
            seq_walls.append(time.perf_counter() - t0)
            seq1 = os.times()
            seq_cpus.append(sum(seq1[:4]) - sum(seq0[:4]))
            singles.append(single)

            cpu0 = os.times()
            t0 = time.perf_counter()
            outcomes = run_local(tasks_for(repos, work / f"swept{round_}", args.clone), args.workers)
            walls.append(time.perf_counter() - t0)
            cpu1 = os.times()
            cpus.append(
                (cpu1.children_user + cpu1.children_system) - (cpu0.children_user + cpu0.children_system)
            )
            assert all(o["status"] == "ok" and not o["cached"] for o in outcomes)
        keys = sum(o["totals"]["keys"] for o in outcomes)  # type: ignore[index]
        single = [sum(values) / len(values) for values in zip(*singles, strict=True)]
        sequential_wall = sum(seq_walls) / len(seq_walls)
        seq_cpu = sum(seq_cpus) / len(seq_cpus)
        wall = sum(walls) / len(walls)
        cpu = sum(cpus) / len(cpus)

        t0 = time.perf_counter()
        cached = run_local(tasks_for(repos, work / "swept0", args.clone), args.workers)
        cached_wall = time.perf_counter() - t0
        assert all(o["cached"] for o in cached)

        total_single = sum(single)
        efficiency = total_single / (wall * args.workers)
        per_round = ", ".join(
            f"{sum(v) / (w * args.workers):.0%}" for v, w in zip(singles, walls, strict=True)
        )
        median = sorted(single)[len(single) // 2]
        rows = [
            ("repositories", f"{len(repos)} ({keys} keys)"),
            ("workers", f"{args.workers} (cores: {os.cpu_count()})"),
            ("sum of single-repository times", f"{total_single:.1f} s (median {median:.3f} s)"),
            ("sequential loop", f"{sequential_wall:.1f} s wall, {seq_cpu:.1f} s CPU"),
            ("sweep", f"{wall:.1f} s wall, {cpu:.1f} s worker CPU"),
            (
                "repositories per minute",
                f"{len(repos) / wall * 60:.0f} (one at a time: {len(repos) / total_single * 60:.0f})",
            ),
            ("parallel efficiency (wall)", f"{efficiency:.0%} (per round: {per_round})"),
            (
                "CPU per repository, sweep vs alone",
                f"{cpu / len(repos) * 1000:.0f} ms vs {seq_cpu / len(repos) * 1000:.0f} ms",
            ),
            ("re-run, all cached", f"{cached_wall:.1f} s"),
        ]
        for name, value in rows:
            print(f"| {name} | {value} |")
        load = " ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"| load average (1, 5, 15 min) | {load} |")
    finally:
        if args.keep:
            print(f"fleet kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
