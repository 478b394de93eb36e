"""``keyshift fix`` on a large synthetic tree, next to the floor measured in the same run.

The floor is what any codemod built on libcst's scope analysis must at least do: find the
candidate files (keyshift's own prefilter, the same walk and byte test) and, for those only,
parse with libcst and resolve scope and qualified-name metadata. keyshift also traces values,
edits, re-checks the output and renders a diff; the target is to stay within 1.5x of that floor,
both as commands (interpreter start-up and imports included). The CLI's start-up on an empty
directory is printed too: it is paid once whatever the tree.

    python benchmarks/fix_tree.py                  # 10,000 files, 1% with credential call sites
    python benchmarks/fix_tree.py --files 2000 --repeat 1
    python benchmarks/fix_tree.py --baseline-src ../old/src   # another checkout's CLI, alternately

``--baseline-src`` runs the same command from another checkout's ``src`` (for instance the last
commit with the ``ast`` fast path) in every round, between the runs of this one, so both see
the same load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from keyshift.fakes import fake_key_id, fake_secret

PLAIN = '''"""Module {i}: ordinary application code without AWS clients."""

from __future__ import annotations

import dataclasses
import json


@dataclasses.dataclass
class Record{i}:
    name: str
    size: int = 0

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))


def load_{i}(text: str) -> list[Record{i}]:
    rows = json.loads(text)
    return [Record{i}(**row) for row in rows if row.get("name")]


def total_{i}(records: list[Record{i}]) -> int:
    return sum(r.size for r in records)
'''

SITE = '''"""Module {i}: talks to S3 and SQS with hardcoded credentials."""

import os

import boto3

AWS_KEY = "{key}"
AWS_SECRET = "{secret}"
QUEUE_URL = os.environ.get("QUEUE_URL", "")

s3 = boto3.client(
    "s3",
    aws_access_key_id=AWS_KEY,
    aws_secret_access_key=AWS_SECRET,
    region_name="eu-west-1",
)
sqs = boto3.resource("sqs", aws_access_key_id=os.getenv("AWS_ACCESS_KEY_ID"))


def upload_{i}(path: str, bucket: str) -> None:
    with open(path, "rb") as handle:
        s3.put_object(Bucket=bucket, Key=os.path.basename(path), Body=handle.read())
    sqs.Queue(QUEUE_URL).send_message(MessageBody=path)
'''


def build_tree(dest: Path, files: int, share: float) -> int:
    """Write ``files`` modules in nested packages; every 1/share-th one has call sites."""
    step = max(1, round(1 / share))
    sites = 0
    for i in range(files):
        folder = dest / f"pkg{i // 500:03d}" / f"sub{(i // 50) % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        if i % step == 0:
            text = SITE.format(i=i, key=fake_key_id("111122223333", seed=i), secret=fake_secret(i))
            sites += 1
        else:
            text = PLAIN.format(i=i)
        (folder / f"mod_{i}.py").write_text(text)
    return sites


_PYCACHE = Path(tempfile.gettempdir()) / "keyshift-fix-bench-pycache"


def _cli_env(src: Path | None = None) -> dict[str, str]:
    """The CLI's environment: keyshift from this checkout (or ``src``), with byte-code caching on
    (in a temporary prefix, never in the tree) as in an installed package, even where the caller
    sets PYTHONDONTWRITEBYTECODE; the floor runs in this already warm process."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(src or Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPYCACHEPREFIX"] = str(_PYCACHE)
    return env


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the machine may be shared)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def floor(tree: Path) -> tuple[float, float, int]:
    """Prefilter, then libcst parse + scope and qualified-name metadata of the candidates."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, QualifiedNameProvider, ScopeProvider

    from keyshift.codemod.runner import _read, is_candidate, walk

    cpu = _cpu()
    start = time.perf_counter()
    found = 0
    for path in walk([tree]):
        data = _read(path)
        if data is None or not is_candidate(data):
            continue
        found += 1
        wrapper = MetadataWrapper(cst.parse_module(data), unsafe_skip_copy=True)
        wrapper.resolve_many([ScopeProvider, QualifiedNameProvider])
    return time.perf_counter() - start, _cpu() - cpu, found


_FLOOR_SCRIPT = (
    "import sys, libcst\n"
    "from libcst.metadata import MetadataWrapper, QualifiedNameProvider, ScopeProvider\n"
    "from keyshift.codemod.runner import _read, is_candidate, walk\n"
    "from pathlib import Path\n"
    "for p in walk([Path(sys.argv[1])]):\n"
    "    d = _read(p)\n"
    "    if d is not None and is_candidate(d):\n"
    "        w = MetadataWrapper(libcst.parse_module(d), unsafe_skip_copy=True)\n"
    "        w.resolve_many([ScopeProvider, QualifiedNameProvider])\n"
)


def floor_command(tree: Path) -> tuple[float, float]:
    """The floor as a command, like for like with the CLI: one ``python`` process (interpreter
    start-up and the libcst import included) doing the prefilter, parse and metadata."""
    cpu = _cpu()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", _FLOOR_SCRIPT, str(tree)],
        check=True,
        env=_cli_env(),
    )
    return time.perf_counter() - start, _cpu() - cpu


def keyshift(tree: Path, src: Path | None = None) -> tuple[float, float, int]:
    """The whole CLI as a user runs it: ``python -m keyshift fix TREE`` (dry run, JSON report)."""
    cpu = _cpu()
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "keyshift", "fix", str(tree), "--json", "-q"],
        capture_output=True,
        text=True,
        check=False,
        env=_cli_env(src),
    )
    elapsed = time.perf_counter() - start
    cpu = _cpu() - cpu
    if proc.returncode not in (0, 1):
        raise SystemExit(f"keyshift failed: {proc.stderr}")
    import json

    return elapsed, cpu, int(json.loads(proc.stdout)["summary"]["files_changed"])


def startup() -> tuple[float, float]:
    """The CLI on an empty directory: interpreter, typer and command imports, nothing to scan."""
    empty = Path(tempfile.mkdtemp(prefix="keyshift-fix-empty-"))
    try:
        cpu = _cpu()
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "keyshift", "fix", str(empty), "--json", "-q"],
            capture_output=True,
            check=False,
            env=_cli_env(),
        )
        return time.perf_counter() - start, _cpu() - cpu
    finally:
        shutil.rmtree(empty, ignore_errors=True)


def in_process(tree: Path) -> tuple[float, float, int]:
    """``run_fix`` called in this process: the same work as the CLI minus interpreter start-up."""
    from keyshift.codemod.runner import run_fix

    cpu = _cpu()
    start = time.perf_counter()
    result = run_fix([tree], write=False)
    return time.perf_counter() - start, _cpu() - cpu, len(result.changed)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--share", type=float, default=0.01, help="fraction of files with call sites")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tree", type=Path, help="measure an existing tree instead")
    parser.add_argument("--baseline-src", type=Path, help="another checkout's src/ to run alternately")
    args = parser.parse_args()
    tmp = None
    if args.tree is None:
        tmp = Path(tempfile.mkdtemp(prefix="keyshift-fix-bench-"))
        sites = build_tree(tmp, args.files, args.share)
        tree = tmp
        print(f"tree: {args.files} files, {sites} with call sites, in {tree}", file=sys.stderr)
    else:
        tree = args.tree
    try:
        floor(tree)  # warm the page cache and imports
        keyshift(tree)  # and the CLI's byte-code cache
        startup()
        floors, ours, inproc, floor_cpu, our_cpu, inproc_cpu = [], [], [], [], [], []
        boot, boot_cpu = [], []
        floor_cmd, floor_cmd_cpu = [], []
        base, base_cpu = [], []
        if args.baseline_src is not None:
            keyshift(tree, args.baseline_src)  # its byte-code cache
        changed = found = 0
        for _ in range(args.repeat):
            seconds, cpu, found = floor(tree)
            floors.append(seconds)
            floor_cpu.append(cpu)
            seconds, cpu, changed = keyshift(tree)
            ours.append(seconds)
            our_cpu.append(cpu)
            seconds, cpu, _ = in_process(tree)
            inproc.append(seconds)
            inproc_cpu.append(cpu)
            seconds, cpu = startup()
            boot.append(seconds)
            boot_cpu.append(cpu)
            seconds, cpu = floor_command(tree)
            floor_cmd.append(seconds)
            floor_cmd_cpu.append(cpu)
            if args.baseline_src is not None:
                seconds, cpu, _ = keyshift(tree, args.baseline_src)
                base.append(seconds)
                base_cpu.append(cpu)
        f, k, i = statistics.median(floors), statistics.median(ours), statistics.median(inproc)
        fc, kc = statistics.median(floor_cpu), statistics.median(our_cpu)
        ic = statistics.median(inproc_cpu)
        load = os.getloadavg()[0]
        print(f"cores: {os.cpu_count()}  load: {load:.1f}  candidates: {found}  would change: {changed}")
        print(f"floor (prefilter + parse + scope/qname, in process): {f:6.2f} s wall  {fc:6.2f} s CPU")
        print(f"keyshift fix (whole CLI, dry run):             {k:6.2f} s wall  {kc:6.2f} s CPU")
        print(f"keyshift run_fix (in process, dry run):        {i:6.2f} s wall  {ic:6.2f} s CPU")
        b, bc = statistics.median(boot), statistics.median(boot_cpu)
        print(f"CLI start-up alone (empty directory):          {b:6.2f} s wall  {bc:6.2f} s CPU")
        g, gc = statistics.median(floor_cmd), statistics.median(floor_cmd_cpu)
        print(f"floor as a command (one python process):       {g:6.2f} s wall  {gc:6.2f} s CPU")
        print(
            f"ratio CLI: {k / f:.2f}x wall, {kc / fc:.2f}x CPU; "
            f"in process: {i / f:.2f}x wall, {ic / fc:.2f}x CPU"
        )
        print(f"ratio CLI to the floor as a command: {k / g:.2f}x wall, {kc / gc:.2f}x CPU (target 1.5x)")
        if base:
            o, oc = statistics.median(base), statistics.median(base_cpu)
            print(f"baseline CLI ({args.baseline_src}):  {o:6.2f} s wall  {oc:6.2f} s CPU")
            print(f"ratio CLI to the baseline CLI: {k / o:.2f}x wall, {kc / oc:.2f}x CPU (target 2x)")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
