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
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

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

# ``--arns``: calls whose request parameters carry ARNs (KMS key, SNS topic, secret, Lambda
# function, state machine, role), as KMS data events and most service-to-service calls do
_KMS_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ARN_SERVICES = (
    ("kms.amazonaws.com", "Decrypt", {"keyId": _KMS_KEY, "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
                                      "encryptionContext": {"aws:s3:arn": "arn:aws:s3:::acme-data/exports"}}),
    ("sns.amazonaws.com", "Publish", {"topicArn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:alerts"}),
    ("secretsmanager.amazonaws.com", "GetSecretValue",
     {"secretId": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:db-AbCdEf"}),
    ("lambda.amazonaws.com", "Invoke",
     {"functionName": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:resize"}),
    ("states.amazonaws.com", "StartExecution",
     {"stateMachineArn": f"arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:orders", "name": "run"}),
    ("iam.amazonaws.com", "GetRole",
     {"roleName": "app", "policyArns": [f"arn:aws:iam::{ACCOUNT}:policy/app"]}),
)  # fmt: skip


def keys() -> list[str]:
    return [fake_key_id(ACCOUNT, seed=f"bench{i}") for i in range(24)]


def generate(
    root: Path, total: int, per_file: int, services: tuple[tuple[str, str, dict[str, Any]], ...] = SERVICES
) -> None:
    marker = root / ".complete"
    if marker.exists() and marker.read_text() == f"{total}/{per_file}/{services[0][1]}":
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
        for j, (source, name, params) in enumerate(services):
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
    marker.write_text(f"{total}/{per_file}/{services[0][1]}")


def files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*.json.gz") if "Digest" not in p.name)


_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
wall = time.perf_counter() - start
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps([wall, r.ru_utime + r.ru_stime, r.ru_maxrss / 1024]))
"""


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one command, output discarded. Measured from a fresh
    helper process, so the peak is this command's own: the largest resident set among its
    processes (the parent or one worker), not a maximum carried over from earlier commands."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True, env=env
    )
    wall, cpu, peak = json.loads(out.stdout)
    return wall, cpu, peak


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


def duckdb_cmd(paths: list[str]) -> list[str] | None:
    """The same grouping in DuckDB (``read_json`` of the gzip files, ``unnest(Records)``), if installed."""
    try:
        import duckdb  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return None
    script = (
        "import duckdb, sys; con = duckdb.connect(); con.execute("
        "\"SELECT r.userIdentity.accessKeyId, r.eventSource, r.eventName, r.userAgent, "
        "r.sourceIPAddress, count(*), min(r.eventTime), max(r.eventTime) FROM (SELECT unnest(Records) "
        "AS r FROM read_json(?, format='auto', maximum_object_size=268435456)) GROUP BY ALL\", "
        "[sys.argv[1:]]).fetchall()"
    )
    return [sys.executable, "-c", script, *paths]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/keyshift-trail-bench"))
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--per-file", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs of each command")
    ap.add_argument("--no-per-file", action="store_true", help="skip the per-file parser table")
    ap.add_argument("--arns", action="store_true", help="every call carries ARNs in its request parameters")
    ap.add_argument("--no-duckdb", action="store_true", help="leave DuckDB out")
    args = ap.parse_args()
    t0 = time.perf_counter()
    generate(args.dir, args.events, args.per_file, ARN_SERVICES if args.arns else SERVICES)
    all_files = files(args.dir)
    print(f"data: {args.events} events in {len(all_files)} files, "
          f"{sum(os.path.getsize(p) for p in all_files) / 1e6:.0f} MB gzip "
          f"(ready in {time.perf_counter() - t0:.0f} s)")  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    wanted = ",".join(keys()[:3])
    for p in all_files:  # warm the page cache
        with open(p, "rb") as fh:
            fh.read()
    quarter = all_files[: len(all_files) // 4]
    with open(args.dir / ".quarter", "w") as fh:
        fh.write("\n".join(quarter))
    commands: list[tuple[str, list[str], dict[str, str] | None]] = [
        ("gzip -dc (all files, one process)", ["gzip", "-dc", *all_files], None),
        ("keyshift trail --keys K1,K2,K3", keyshift(["trail", str(args.dir), "--keys", wanted, "-f", "json"]),
         env),
        (f"keyshift trail, no --keys, {len(quarter)} files", keyshift(["trail", *quarter, "-f", "json"]),
         env),
        ("keyshift trail, no --keys (every record read)", keyshift(["trail", str(args.dir), "-f", "json"]),
         env),
    ]  # fmt: skip
    duck = None if args.no_duckdb else duckdb_cmd(all_files)
    if duck is not None:
        commands.append(("DuckDB read_json + unnest, group by (all files)", duck, None))
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in commands}
    loads = [os.getloadavg()[0]]
    for _ in range(args.repeat):
        for name, cmd, cmd_env in commands:
            results[name].append(timed(cmd, cmd_env))
            loads.append(os.getloadavg()[0])
    gz = results[commands[0][0]]
    gz_best = min(w for w, _, _ in gz)
    gz_median = statistics.median(w for w, _, _ in gz)
    gz_cpu = min(c for _, c, _ in gz)
    head = ("command", "wall best", "median", "x gzip", "CPU s", "x gzip", "peak MB")
    print("{:<50} {:>9} {:>7} {:>7} {:>6} {:>7} {:>8}".format(*head))
    for name, runs in results.items():
        best = min(w for w, _, _ in runs)
        median = statistics.median(w for w, _, _ in runs)
        cpu = min(c for _, c, _ in runs)
        peak = max(m for _, _, m in runs)
        row = (name, best, median, median / gz_median, cpu, cpu / gz_cpu, peak)
        print("{:<50} {:9.2f} {:7.2f} {:7.2f} {:6.2f} {:7.2f} {:8.0f}".format(*row))
    ratios = (f"{n.split(',')[0]}: {min(w for w, _, _ in r) / gz_best:.2f}x" for n, r in results.items())
    print("best wall ratios:", ", ".join(ratios))
    print("load average (1 min) during the runs:", " ".join(f"{x:.1f}" for x in loads))
    if args.no_per_file:
        return
    print("per-file parsers, 50 files (50,000 events), one process:")
    for name, secs in per_file(all_files[:50]).items():
        print(f"  {name:<44} {secs:6.2f} s")


if __name__ == "__main__":
    main()
