"""``keyshift scan --image`` on a large multi-layer image, next to plain decompression of its layers.

Builds an OCI image layout (gzip layers, at least 500 MB of uncompressed content: source-like
text, config files, compressed-looking binaries, a few nested zips) with a handful of fake keys
planted in visible, deleted and overwritten files, then times in the same run:

* ``gzip -dc`` of every layer blob, one after the other (the floor: decompression alone);
* Python ``zlib`` decompression of the same blobs (what keyshift's inflater builds on);
* keyshift's ``scan_image`` with the default workers and with ``jobs=1``;
* the full CLI ``python -m keyshift scan --image``.

Target: keyshift within 1.5x of decompression alone.

    python benchmarks/scan_image.py                 # ~600 MB, 8 layers
    python benchmarks/scan_image.py --mb 120 --layers 4 --repeat 1
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from keyshift.config import Config
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.sources.image import scan_image

WORDS = [
    *("def", "class", "return", "import", "from", "self", "value", "name", "config", "data", "result"),
    *("request", "response", "items", "list", "dict", "path", "file", "open", "read", "write", "json"),
    *("yaml", "settings", "logger", "info", "debug", "error", "client", "session", "region", "bucket"),
    *("table", "queue", "user", "account", "password", "key", "id", "status"),
]
RARE = ("token", "secret")  # in about one text file in twenty, as in real code


def text_file(rng: random.Random, size: int) -> bytes:
    out = io.StringIO()
    written = 0
    words = WORDS + list(RARE) if rng.random() < 0.05 else WORDS
    while written < size:
        indent = "    " * rng.randint(0, 3)
        line = indent + " ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + "\n"
        out.write(line)
        written += len(line)
    return out.getvalue().encode()


def binary_file(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size)


def add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 0
    tf.addfile(info, io.BytesIO(data))


def build(root: Path, total_mb: int, layers: int, seed: int = 1) -> tuple[Path, set[str], int]:
    """An OCI layout at ``root``; returns it, the planted key IDs and the uncompressed size."""
    rng = random.Random(seed)
    per_layer = total_mb * 1024 * 1024 // layers
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    planted: set[str] = set()
    descs = []
    diff_ids = []
    raw_total = 0
    for n in range(layers):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tf:
            size = 0
            i = 0
            while size < per_layer:
                kind = rng.random()
                if kind < 0.75:
                    data = text_file(rng, rng.randint(2_000, 200_000))
                    name = f"app{n}/src/mod{i}.py"
                elif kind < 0.97:
                    data = binary_file(rng, rng.randint(20_000, 300_000))
                    name = f"usr/lib{n}/lib{i}.so"
                else:
                    zbuf = io.BytesIO()
                    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
                        for j in range(5):
                            zf.writestr(f"pkg/m{j}.py", text_file(rng, 20_000))
                    data = zbuf.getvalue()
                    name = f"opt/jars{n}/bundle{i}.jar"
                add(tf, name, data)
                size += len(data)
                i += 1
            key = fake_key_id("123456789012", seed=f"bench{n}")
            planted.add(key)
            env = f"AWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY={fake_secret(n)}\n"
            add(tf, f"app{n}/settings.env", env.encode())
            if n > 0:  # delete the previous layer's settings file
                add(tf, f"app{n - 1}/.wh.settings.env", b"")
        raw = buf.getvalue()
        raw_total += len(raw)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        blob = gzip.compress(raw, compresslevel=6, mtime=0)
        digest = hashlib.sha256(blob).hexdigest()
        (blobs / digest).write_bytes(blob)
        media = "application/vnd.oci.image.layer.v1.tar+gzip"
        descs.append({"mediaType": media, "digest": f"sha256:{digest}", "size": len(blob)})
        print(f"  layer {n}: {len(raw) / 1e6:.0f} MB -> {len(blob) / 1e6:.0f} MB gzip", file=sys.stderr)
    cfg = json.dumps(
        {"os": "linux", "architecture": "amd64", "config": {"Env": ["PATH=/usr/bin"]},
         "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": []}
    ).encode()  # fmt: skip
    (blobs / hashlib.sha256(cfg).hexdigest()).write_bytes(cfg)
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": "sha256:" + hashlib.sha256(cfg).hexdigest(), "size": len(cfg)},
         "layers": descs}
    ).encode()  # fmt: skip
    mdigest = hashlib.sha256(manifest).hexdigest()
    (blobs / mdigest).write_bytes(manifest)
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": f"sha256:{mdigest}", "size": len(manifest)}]}  # fmt: skip
    (root / "index.json").write_text(json.dumps(index))
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return root, planted, raw_total


def layer_blobs(root: Path) -> list[Path]:
    index = json.loads((root / "index.json").read_text())
    manifest = json.loads((root / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_text())
    return [root / "blobs/sha256" / d["digest"][7:] for d in manifest["layers"]]


def gzip_dc(blobs: list[Path]) -> None:
    for blob in blobs:
        subprocess.run(["gzip", "-dc", str(blob)], stdout=subprocess.DEVNULL, check=True)


def zlib_only(blobs: list[Path]) -> None:
    for blob in blobs:
        d = zlib.decompressobj(31)
        with open(blob, "rb") as fh:
            while chunk := fh.read(1 << 20):
                d.decompress(chunk)


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (this process plus finished children)."""
    walls, cpus = [], []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), _cpu()
        fn()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=600, help="uncompressed content in MB (default 600)")
    parser.add_argument("--layers", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--image", type=Path, help="measure an existing OCI layout instead of building one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="keyshift-bench-image-") as tmp:
        if args.image:
            root, planted, raw_total = args.image, set(), 0
        else:
            print(f"building a {args.mb} MB, {args.layers}-layer image ...", file=sys.stderr)
            root, planted, raw_total = build(Path(tmp) / "layout", args.mb, args.layers)
        blobs = layer_blobs(root)
        compressed = sum(b.stat().st_size for b in blobs)
        result = scan_image(str(root), Config())
        found = {x.key_id for x in result.findings}
        assert planted <= found, f"missed planted keys: {planted - found}"
        deleted = sum(1 for x in result.findings if x.image and x.image.deleted)
        cli = [sys.executable, "-m", "keyshift", "scan", "--image", str(root), "-q", "--format", "json"]
        steps: list[tuple[str, Callable[[], object]]] = [
            ("gzip -dc (sequential)", lambda: gzip_dc(blobs)),
            ("python zlib (sequential)", lambda: zlib_only(blobs)),
            ("keyshift scan_image (default workers)", lambda: scan_image(str(root), Config())),
            ("keyshift scan_image (jobs=1)", lambda: scan_image(str(root), Config(jobs=1))),
            (
                "keyshift CLI scan --image",
                lambda: subprocess.run(cli, stdout=subprocess.DEVNULL, check=False),
            ),
        ]
        rows = [(name, timed(fn, args.repeat)) for name, fn in steps]
        floor, floor_cpu = rows[0][1]
        mb = f"{raw_total / 1e6:.0f} MB uncompressed, {compressed / 1e6:.0f} MB gzip"
        print(f"\nimage: {len(blobs)} layers, {mb}")
        print(f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, median of {args.repeat}")
        print(f"findings: {len(result.findings)} ({deleted} in deleted files), planted: {len(planted)}")
        print("\n| step | wall s | vs gzip -dc | CPU s | CPU vs gzip -dc |\n|---|---:|---:|---:|---:|")
        for name, (secs, cpu) in rows:
            print(f"| {name} | {secs:.2f} | {secs / floor:.2f}x | {cpu:.2f} | {cpu / floor_cpu:.2f}x |")


if __name__ == "__main__":
    main()
