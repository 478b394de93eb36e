"""One CloudTrail file of 10,000,000 records through ``keyshift trail``: streamed, memory flat.

CloudTrail delivers files of a few MB, but a user may hand keyshift anything: an export
concatenated into one file, a Lake result, a hostile file. This writes one ``{"Records": [...]}``
file of ``--records`` records (default 10,000,000; 24 keys, six calls, random event IDs, object keys
and client tokens, about 0.6 KB per record) as gzip members of 10,000 records each (one chunk of
records written again and again, so writing 6 GB of JSON takes seconds), then runs the whole
CLI on it with and without ``--keys`` and reports wall time, CPU time (user + system of the
command and its workers), peak memory of the command's processes, and the load average.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import uuid
from pathlib import Path

_CHUNK = 10_000  # records per gzip member

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from keyshift.trail import gen  # noqa: E402
from trail import ACCOUNT, SERVICES, keys, keyshift, timed  # noqa: E402


def write(path: Path, total: int) -> None:
    marker = path.with_suffix(".complete")
    if path.exists() and marker.exists() and marker.read_text() == str(total):
        return
    rng = random.Random(11)
    ua = gen.BOTO3_UA
    actors = [gen.Actor(ACCOUNT, k, f"203.0.113.{n}", ua, user=f"svc{n}") for n, k in enumerate(keys())]
    templates = []
    for i, a in enumerate(actors):
        for source, name, params in SERVICES:
            marked = {**params, "clientToken": "@C"}
            rec = gen.record(a, source, name, time="@T", params=marked, seed=f"{i}/{name}")
            del rec["tlsDetails"]
            rec["eventID"] = "@I"
            if "key" in params:
                rec["requestParameters"]["key"] = "@K"
            text = json.dumps(rec, separators=(",", ":")).replace("%", "%%")
            for mark, slot in (("@T", "%(t)s"), ("@I", "%(i)s"), ("@C", "%(c)s"), ("@K", "%(k)s")):
                text = text.replace(f'"{mark}"', f'"{slot}"')
            templates.append(text)
    piece: list[str] = []
    for i in range(_CHUNK):
        day, hour, minute = 1 + i * 28 // _CHUNK, i // 3600 % 24, i // 60 % 60
        values = {
            "t": f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:{i % 60:02d}Z",
            "i": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "c": f"{rng.getrandbits(64):016x}",
            "k": f"exports/part-{rng.randrange(10**6):06d}.parquet",
        }
        piece.append(templates[rng.randrange(len(templates))] % values)
    chunk = ",".join(piece).encode()
    # one gzip member per chunk of records, the same chunk again and again (a trail concatenated
    # into one file is several members too): writing it costs no compression time per record
    members = total // _CHUNK
    with open(path, "wb") as out:
        for n in range(members):
            head = b'{"Records":[' if n == 0 else b""
            tail = b"]}" if n == members - 1 else b","
            if n in (0, 1, members - 1):
                member = gzip.compress(head + chunk + tail, compresslevel=1, mtime=0)
            out.write(member)
    marker.write_text(str(total))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--file", type=Path, default=Path("/tmp/keyshift-trail-big/one.json.gz"))
    ap.add_argument("--records", type=int, default=10_000_000)
    args = ap.parse_args()
    args.file.parent.mkdir(parents=True, exist_ok=True)
    write(args.file, args.records)
    print(f"{args.records} records, {args.file.stat().st_size / 1e6:.0f} MB gzip")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for name, extra in (("--keys K1,K2,K3", ["--keys", ",".join(keys()[:3])]), ("no --keys", [])):
        load = os.getloadavg()[0]
        wall, cpu, peak = timed(keyshift(["trail", str(args.file), "-f", "json", "--exit-zero", *extra]), env)
        print(f"keyshift trail {name}: wall {wall:.1f} s, CPU {cpu:.1f} s, peak {peak:.0f} MB, "
              f"load {load:.1f}-{os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
