#!/usr/bin/env python3
"""Build the planner's shipped IAM table from a folder of AWS service reference files.

Usage: python scripts/build_iam_table.py [SERVICE_REFERENCE_DIR] [OUT_FILE]

The service reference lists, per operation, every action it *may* be authorized by. A task
role needs far fewer: the table records a ``primary`` choice per boto3 method (the action named
like the operation, else the only action of the operation's own service) next to the full list,
so the planner grants what a careful engineer would and the overlay fixes the rest by hand.
Output is gzip'd JSON with sorted keys and a fixed mtime, so a rebuild is byte-for-byte stable.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO.parent / "shared" / "anchor-data" / "service-reference"
DEFAULT_OUT = REPO / "src" / "keyshift" / "planner" / "data" / "iam_table.json.gz"
TABLE_VERSION = 1
# actions an operation is authorized by only when the request asks for them (tags, ACLs, locks)
_OPTIONAL = re.compile(
    r":(TagResource|CallWithBearerToken|ApplyGuardrail|\w*(Acl|LegalHold|Retention|Tagging))$"
)


def _primary(prefix: str, op: dict[str, Any], actions: set[str]) -> tuple[list[str], str]:
    """The actions an operation needs, and how sure we are ("mapped" | "conditional" | "inferred")."""
    name = op["Name"]
    authorized = [(a["Service"], a["Name"]) for a in op.get("AuthorizedActions") or []]
    same = [f"{s}:{n}" for s, n in authorized if n == name]
    if same:
        own = [a for a in same if a.startswith(prefix + ":")]
        return ([own[0]] if own else [sorted(same)[0]]), "mapped"
    own_actions = sorted({f"{s}:{n}" for s, n in authorized if s == prefix})
    if len(own_actions) == 1:
        return own_actions, "mapped"
    if name in actions:
        return [f"{prefix}:{name}"], "mapped"
    if own_actions:
        needed = [a for a in own_actions if not _OPTIONAL.search(a)]
        if len(needed) == 1:
            return needed, "mapped"
        return (needed or own_actions), "conditional"
    others = sorted({f"{s}:{n}" for s, n in authorized})
    if len(others) == 1:
        return others, "mapped"
    return [f"{prefix}:{name}"], "inferred"


def build(src: Path) -> dict[str, Any]:
    """Read every ``<prefix>/<prefix>.json`` under ``src`` into the compact table."""
    services: dict[str, Any] = {}
    methods: dict[str, dict[str, Any]] = {}
    files = sorted(src.glob("*/*.json"))
    if not files:
        raise SystemExit(f"no service reference files under {src}")
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        prefix = data.get("Name") or path.stem
        actions = {a["Name"]: a for a in data.get("Actions", [])}
        services[prefix] = {
            "actions": {
                name: sorted(r["Name"] for r in a.get("Resources") or [])
                for name, a in sorted(actions.items())
            },
            "resources": {r["Name"]: list(r.get("ARNFormats") or []) for r in data.get("Resources", [])},
        }
        for op in data.get("Operations", []):
            primary, confidence = _primary(prefix, op, set(actions))
            authorized = sorted({f"{a['Service']}:{a['Name']}" for a in op.get("AuthorizedActions") or []})
            for sdk in op.get("SDK", []):
                if sdk.get("Package") != "Boto3":
                    continue
                entry = {"op": op["Name"], "actions": primary, "confidence": confidence}
                if authorized and authorized != primary:
                    entry["authorized"] = authorized
                current = methods.setdefault(sdk["Name"], {}).get(sdk["Method"])
                # a method listed by two prefixes keeps the entry of the one named like its service
                if current is None or prefix == sdk["Name"]:
                    methods[sdk["Name"]][sdk["Method"]] = entry
    return {"version": TABLE_VERSION, "services": services, "methods": methods}


def serialize(table: dict[str, Any]) -> bytes:
    raw = json.dumps(table, sort_keys=True, separators=(",", ":")).encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9, filename="") as handle:
        handle.write(raw)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    src = Path(argv[1]) if len(argv) > 1 else DEFAULT_SRC
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    table = build(src)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(serialize(table))
    n_methods = sum(len(m) for m in table["methods"].values())
    print(f"wrote {out}: {len(table['services'])} services, {n_methods} boto3 methods", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
