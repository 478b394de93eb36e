"""The planner's whole-program analysis, per workload: CPU time, fixpoint passes, units interpreted.

``keyshift plan`` spends most of its time on a large tree in ``analysis.analyze`` (the passes of
``planner/program.py`` to a fixpoint). This runs the planner in process on each tree given, with
``analyze`` wrapped to time every workload's analysis (CPU, ``time.process_time``) and to read the
engine's counters: passes, units (module bodies and functions) interpreted and replayed.
``--compare`` also runs the full-pass engine (every unit re-interpreted each pass) on the same
workload and checks that both engines hand forward the same ``Analysis``.

    python benchmarks/plan_analysis.py /work/scratch/plan50k
    python benchmarks/plan_analysis.py --compare DIR [DIR ...]
    python benchmarks/plan_analysis.py --save w.json DIR   # then --load w.json: the analyses alone

``--load`` analyses the saved workloads' files without the rest of the planner (and without the
workloads' deployment settings, so region lookups differ): quick repeated engine measurements.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from pathlib import Path
from typing import Any

from keyshift.planner import build
from keyshift.planner.program import Analyzer
from keyshift.planner.records import Analysis

SAVED: list[tuple[str, list[str]]] = []


def _run(
    root: Path, files: list[str], env: Any, trees: Any, incremental: bool
) -> tuple[Analysis, float, Analyzer]:
    start = time.process_time()
    analyzer = Analyzer(root, files, env, trees, incremental=incremental)
    analysis = analyzer.run()
    return analysis, time.process_time() - start, analyzer


def measure(root: Path, compare: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    original = build.analyze

    def timed(
        root: Path, files: list[str], env_lookup: Any = None, trees: dict[str, ast.Module] | None = None
    ) -> Analysis:
        SAVED.append((str(root), list(files)))
        analysis, cpu, analyzer = _run(root, files, env_lookup, trees, True)
        row: dict[str, Any] = {
            "tree": root.name,
            "files": len(files),
            "first": files[0] if files else "",
            "cpu": cpu,
            "calls": len(analysis.calls),
            **analyzer.stats,
        }
        if compare:
            full, full_cpu, full_analyzer = _run(root, files, env_lookup, trees, False)
            row["full_cpu"] = full_cpu
            row["full_units"] = full_analyzer.stats["units_run"]
            row["same"] = full == analysis
        rows.append(row)
        return analysis

    build.analyze = timed  # type: ignore[assignment]
    try:
        build.plan_repository(root)
    finally:
        build.analyze = original
    return rows


def replay(saved: Path, compare: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for root, files in json.loads(saved.read_text()):
        analysis, cpu, analyzer = _run(Path(root), files, None, None, True)
        row: dict[str, Any] = {
            "tree": Path(root).name,
            "files": len(files),
            "first": files[0] if files else "",
            "cpu": cpu,
            "calls": len(analysis.calls),
            **analyzer.stats,
        }
        if compare:
            full, full_cpu, full_analyzer = _run(Path(root), files, None, None, False)
            row["full_cpu"] = full_cpu
            row["full_units"] = full_analyzer.stats["units_run"]
            row["same"] = full == analysis
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("trees", nargs="*", type=Path)
    parser.add_argument("--save", type=Path, help="write each workload's root and files (JSON)")
    parser.add_argument("--load", type=Path, help="analyse the workloads of a --save file")
    parser.add_argument("--compare", action="store_true", help="also run the full-pass engine and compare")
    args = parser.parse_args(argv)
    differ = 0
    print("tree | workload (first file) | files | passes | units run | replayed | CPU s | full CPU s | same")
    groups = [replay(args.load, args.compare)] if args.load else []
    for root in args.trees:
        groups.append(measure(root, args.compare))
    for rows in groups:
        for row in rows:
            same = row.get("same")
            differ += same is False
            print(
                f"{row['tree']} | {row['first']} | {row['files']} | {row['passes']} | {row['units_run']} | "
                f"{row['units_replayed']} | {row['cpu']:.2f} | "
                f"{row['full_cpu']:.2f} | {same}"
                if "full_cpu" in row
                else f"{row['tree']} | {row['first']} | {row['files']} | {row['passes']} | "
                f"{row['units_run']} | {row['units_replayed']} | {row['cpu']:.2f} | - | -",
                flush=True,
            )
    if args.save:
        args.save.write_text(json.dumps(SAVED))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
