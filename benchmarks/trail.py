"""Benchmark ``keyshift trail`` on 1,000,000 CloudTrail events in the delivered S3 layout.

Generates the events once (``--dir``, default /tmp/keyshift-trail-bench; reused when present):
1,000 gzip files of 1,000 records, 24 IAM users' long-lived keys and role sessions over six
services, about 1.1 KB per record as real trails are. Then, each in the same run:

- ``gzip -dc`` of the same files to /dev/null (the target: keyshift at most 2x its wall time);
- ``keyshift trail DIR --keys K1,K2,K3`` (the normal use: keys from a scan), whole CLI;
- ``keyshift trail DIR`` (no key list: every record parsed);
- the same with a quarter of the files, to show peak memory does not grow with the input;
- per-file parsers on 50 files in one process: ``json.loads`` of the whole file vs the
  streaming reader, msgspec's typed decode and the whole every-record path with its fold against
  the full parse with its fold, and orjson, ijson and DuckDB's ``read_json`` if they are installed.

Peak memory is the largest resident set of the process tree (``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from keyshift.fakes import fake_key_id  # noqa: E402
from keyshift.trail import gen  # noqa: E402

ACCOUNT = "111122223333"
SERVICES = (
    ("dynamodb.amazonaws.com", "PutItem", {"tableName": "orders"}),
    (
        "s3.amazonaws.com",
        "GetObject",
        {"bucketName": "acme-data", "key": "exports/2026/11/part-0001.parquet"},
    ),
    ("sqs.amazonaws.com", "SendMessage", {"queueUrl": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/jobs"}),
    ("kms.amazonaws.com", "Decrypt", {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
    ("ec2.amazonaws.com", "DescribeInstances", {"instancesSet": {}, "filterSet": {}}),
    ("sts.amazonaws.com", "GetCallerIdentity", {}),
)


def keys() -> list[str]:
    return [fake_key_id(ACCOUNT, seed=f"bench{i}") for i in range(24)]


def generate(root: Path, total: int, per_file: int) -> None:
    marker = root / ".complete"
    if marker.exists() and marker.read_text() == f"{total}/{per_file}":
        return
    import shutil

    shutil.rmtree(root, ignore_errors=True)
    users = keys()
    actors = [
        gen.Actor(ACCOUNT, k, f"203.0.113.{i + 1}", gen.BOTO3_UA if i % 3 else gen.CLI_UA, user=f"svc{i}")
        for i, k in enumerate(users)
    ] + [
        gen.Actor(ACCOUNT, fake_key_id(ACCOUNT, prefix="ASIA", seed=f"s{i}"), "198.51.100.9", gen.JAVA_UA,
                  role=f"worker-{i}", session=f"i-0{i:016x}")
        for i in range(8)
    ]  # fmt: skip
    templates = []
    for i, actor in enumerate(actors):
        for j, (source, name, params) in enumerate(SERVICES):
            version = ("1.08", "1.09", "1.10")[j % 3]
            padded = {**params, "Host": f"{source.split('.')[0]}.eu-west-1.amazonaws.com"}
            templates.append(
                gen.record(
                    actor,
                    source,
                    name,
                    time="2026-11-01T00:00:00Z",
                    params=padded,
                    version=version,
                    seed=f"{i}/{j}",
                )
            )
    written = 0
    n = 0
    rng = random.Random(7)
    while written < total:
        day = 1 + (n // 100) % 28
        batch = []
        for k in range(min(per_file, total - written)):
            rec = dict(templates[rng.randrange(len(templates))])
            rec["eventTime"] = f"2026-11-{day:02d}T{(k // 60) % 24:02d}:{k % 60:02d}:{rng.randrange(60):02d}Z"
            rec["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            rec["requestID"] = f"{rng.getrandbits(80):020X}"
            # what varies in real records: request IDs, object keys, item keys, session names
            params = dict(rec["requestParameters"] or {})
            params["clientToken"] = f"{rng.getrandbits(64):016x}-{rng.getrandbits(48):012x}"
            if "key" in params:
                params["key"] = f"exports/2026/11/{day:02d}/part-{rng.randrange(10**6):06d}.parquet"
            rec["requestParameters"] = params
            rec["responseElements"] = {
                "requestId": f"{rng.getrandbits(128):032x}",
                "x-amz-id-2": f"{rng.getrandbits(256):064x}",
            }
            batch.append(rec)
        gen.write_delivered(root, batch, per_file=per_file, first_seq=n)
        written += len(batch)
        n += 1
    marker.write_text(f"{total}/{per_file}")


def files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*.json.gz") if "Digest" not in p.name)


def timed(cmd: list[str], **kw: object) -> tuple[float, float]:
    """(wall seconds, peak RSS MB of the process tree) of one command, output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, **kw)  # type: ignore[call-overload]
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def keyshift(args: list[str]) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from keyshift.cli import main; sys.argv[0]='keyshift'; main()",
        *args,
    ]


def per_file(paths: list[str]) -> dict[str, float]:
    from keyshift.trail.stream import iter_array

    out: dict[str, float] = {}
    start = time.perf_counter()
    for p in paths:
        with open(p, "rb") as fh:
            len(json.loads(gzip.decompress(fh.read()))["Records"])
    out["json.loads per file"] = time.perf_counter() - start
    start = time.perf_counter()
    for p in paths:
        with gzip.open(p, "rb") as fh:
            sum(1 for _ in iter_array(fh.read))
    out["streaming reader"] = time.perf_counter() - start
    try:
        import orjson  # type: ignore[import-not-found]

        start = time.perf_counter()
        for p in paths:
            with open(p, "rb") as fh:
                len(orjson.loads(gzip.decompress(fh.read()))["Records"])
        out["orjson.loads per file"] = time.perf_counter() - start
    except ImportError:
        pass
    try:
        from keyshift.trail import quick
        from keyshift.trail.sources import Unit, read_unit

        start = time.perf_counter()
        for p in paths:
            with open(p, "rb") as fh:
                quick._RECORDS.decode(gzip.decompress(fh.read())[len(b'{"Records":') : -1])
        out["msgspec structs, decode only"] = time.perf_counter() - start
        start = time.perf_counter()
        for p in paths:
            read_unit(Unit(p, path=p), None)
        out["every-record path (keyshift.trail.quick), with fold"] = time.perf_counter() - start
        from keyshift.trail import sources

        sources.quick = None  # type: ignore[assignment]
        start = time.perf_counter()
        for p in paths:
            read_unit(Unit(p, path=p), None)
        out["full parse (streaming reader), with fold"] = time.perf_counter() - start
        sources.quick = quick
    except ImportError:
        pass
    start = time.perf_counter()
    for p in paths:
        with gzip.open(p, "rb") as fh:
            while fh.read(1 << 20):
                pass
    out["gzip only (zlib)"] = time.perf_counter() - start
    try:
        import ijson  # type: ignore[import-not-found]

        start = time.perf_counter()
        for p in paths:
            with gzip.open(p, "rb") as fh:
                sum(1 for _ in ijson.items(fh, "Records.item"))
        out[f"ijson items ({ijson.backend})"] = time.perf_counter() - start
    except ImportError:
        pass
    try:
        import duckdb  # type: ignore[import-not-found]
    except ImportError:
        return out
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute(
        "SELECT r.userIdentity.accessKeyId AS k, r.eventName, count(*) FROM "
        "(SELECT unnest(Records) AS r FROM read_json(?, format='auto', maximum_object_size=268435456)) "
        "GROUP BY ALL",
        [paths],
    ).fetchall()
    out["duckdb read_json (group by key, event)"] = time.perf_counter() - start
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/keyshift-trail-bench"))
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--per-file", type=int, default=1000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    generate(args.dir, args.events, args.per_file)
    print(f"data: {args.events} events in {len(files(args.dir))} files, "
          f"{sum(os.path.getsize(p) for p in files(args.dir)) / 1e6:.0f} MB gzip "
          f"(ready in {time.perf_counter() - t0:.0f} s)")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    all_files = files(args.dir)
    wanted = ",".join(keys()[:3])
    # warm the page cache
    subprocess.run(["cat", *all_files[:1]], stdout=subprocess.DEVNULL, check=True)
    for p in all_files:
        with open(p, "rb") as fh:
            fh.read()
    gz, _ = timed(["sh", "-c", f"find {args.dir} -name '*_CloudTrail_*.json.gz' -print0 | xargs -0 gzip -dc"])
    rows = [("gzip -dc (all files, one process)", gz, 0.0)]
    wall, peak = timed(keyshift(["trail", str(args.dir), "--keys", wanted, "--format", "json"]), env=env)
    rows.append(("keyshift trail --keys K1,K2,K3", wall, peak))
    days_dir = args.dir / "AWSLogs" / ACCOUNT / "CloudTrail" / "eu-west-1" / "2026" / "11"
    days = sorted(days_dir.iterdir())
    part = days[: max(1, len(days) // 4)]
    part_files = sum(1 for d in part for _ in d.glob("*.json.gz"))
    wall_q, peak_q = timed(
        keyshift(["trail", *map(str, part), "--keys", wanted, "--format", "json"]), env=env
    )
    rows.append((f"keyshift trail --keys, {part_files} of {len(all_files)} files", wall_q, peak_q))
    wall_f, peak_f = timed(keyshift(["trail", str(args.dir), "--format", "json"]), env=env)
    rows.append(("keyshift trail (no --keys: every record parsed)", wall_f, peak_f))
    print(f"{'command':<52} {'wall s':>8} {'x gzip':>7} {'peak MB':>8}")
    for name, w, mem in rows:
        print(f"{name:<52} {w:8.2f} {w / gz:7.2f} {mem:8.0f}")
    print("load average:", " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print("per-file parsers, 50 files (50,000 events), one process:")
    for name, secs in per_file(all_files[:50]).items():
        print(f"  {name:<44} {secs:6.2f} s")


if __name__ == "__main__":
    main()
