"""Detector throughput on real files: ``python benchmarks/detect_files.py ROOT [--glob PATTERN]``.

Runs what the history scan runs on a blob that passed the prefilter (the detectors under the
three probe paths: plain text, code with joined literals, Dockerfile) on every matching file,
and prints MB/s for the prefilter alone and for the detectors. Used for docs/benchmarks.md
("Detectors on big structured blobs"); point it at botocore's ``botocore/data`` with
``--glob '**/service-2.json'``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from keyshift.detect import detect_bytes, might_contain
from keyshift.model import SourceKind

PROBE_PATHS = ("blob", "blob.py", "Dockerfile")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--glob", default="**/*.json")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    blobs = [p.read_bytes() for p in sorted(args.root.glob(args.glob)) if p.is_file()]
    size = sum(len(b) for b in blobs)
    best_pre = best_det = cpu = float("inf")
    passed = findings = 0
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        passing = [b for b in blobs if might_contain(b)]
        t1 = time.perf_counter()
        c1 = time.process_time()
        found = 0
        for data in passing:
            for path in PROBE_PATHS:
                found += len(detect_bytes(data, path, source=SourceKind.HISTORY))
        t2 = time.perf_counter()
        cpu = min(cpu, time.process_time() - c1)
        best_pre, best_det = min(best_pre, t1 - t0), min(best_det, t2 - t1)
        passed, findings = len(passing), found
    mb = size / 1e6
    print(f"files {len(blobs)}  bytes {size}  passed prefilter {passed}  findings {findings}")
    print(f"prefilter  {best_pre:7.3f} s  {mb / best_pre if best_pre else 0:8.1f} MB/s")
    probes = f"{len(PROBE_PATHS)} probe paths on {passed} files"
    print(f"detectors  {best_det:7.3f} s wall, {cpu:.3f} s CPU ({probes})")


if __name__ == "__main__":
    main()
