"""Score ``keyshift plan`` on small services whose IAM needs are known (``benchmarks/plan_services/``).

Each service folder holds ``repo/`` (Python code, Dockerfile or ECS task definition, with
``{{key:ACCOUNT:SEED}}`` and ``{{secret:SEED}}`` placeholders that become fake credentials from
``keyshift.fakes`` when the repository is copied out) and ``expected.json``:

    {"about": "...",
     "roles": [{"directory": "orders",             # the workload's folder ("." for the root)
                "keys": ["111122223333:orders"],   # placeholder specs of the keys it replaces
                "required": [["s3:GetObject", "arn:aws:s3:::bucket/key"], ...],
                "allowed": [[action, resource], ...],   # harmless extras (optional)
                "forbidden": ["s3:Delete*", ...]}]}     # action globs never to grant

The measures, per service and in total, over the (action, resource) pairs of the plan's roles:

- recall: required pairs some grant covers (same action, granted resource glob matches);
- precision: granted pairs some required or allowed pair covers (a grant on ``*`` is justified
  only where ``*`` is expected, as for ``cloudwatch:PutMetricData``);
- specificity: of the granted pairs whose action is expected, those whose resource is no wider
  than expected (precision without the wrong-action misses: it measures resource scoping);
- forbidden: grants of a forbidden action, and any action with a wildcard;
- role errors: an expected role missing, a role nobody expected, a role without permissions, a
  key the role should replace and does not, or a role that cannot be deployed (placeholders,
  unknown actions).

Targets: precision >= 0.95, specificity >= 0.9, no forbidden grant, no role error.
``python benchmarks/plan_services.py`` runs the CLI on every service (``--only NAME`` for some).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "benchmarks" / "plan_services"
sys.path.insert(0, str(ROOT / "src"))

from keyshift.fakes import fake_key_id, fake_secret  # noqa: E402

TARGETS = {"precision": 0.95, "specificity": 0.9}
_PLACEHOLDER = re.compile(r"\{\{(key|secret):([^}]+)\}\}")

Pair = tuple[str, str]
Runner = Callable[[Path], dict]  # type: ignore[type-arg]


def key_id(spec: str) -> str:
    account, seed = spec.split(":", 1)
    return fake_key_id(account, seed=seed)


def substitute(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        return key_id(match.group(2)) if match.group(1) == "key" else fake_secret(match.group(2))

    return _PLACEHOLDER.sub(one, text)


def materialize(service: Path, dest: Path) -> Path:
    """Copy ``service/repo`` to ``dest`` with the placeholders filled in."""
    source = service / "repo"
    for path in sorted(source.rglob("*")):
        if path.is_file():
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(substitute(path.read_text(encoding="utf-8")), encoding="utf-8")
    return dest


def run_cli(root: Path, src: Path = ROOT / "src") -> dict:  # type: ignore[type-arg]
    """``keyshift plan ROOT --format json`` in a subprocess (the whole CLI, as a user runs it),
    from the source tree ``src`` (another checkout's, to measure a before)."""
    command = [sys.executable, "-m", "keyshift", "plan", str(root), "--format", "json", "--exit-zero"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"keyshift plan {root}: exit {done.returncode}: {done.stderr[-2000:]}")
    data: dict = json.loads(done.stdout)  # type: ignore[type-arg]
    return data


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$", re.S)


def covers(general: Pair, specific: Pair) -> bool:
    """``general`` grants at least what ``specific`` does (same action, resource glob matches)."""
    return general[0] == specific[0] and bool(_glob(general[1]).match(specific[1]))


@dataclass
class Score:
    name: str
    required: int = 0
    met: int = 0
    granted: int = 0
    justified: int = 0
    scoped_of: int = 0
    scoped: int = 0
    forbidden: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, other: Score, label: bool = True) -> None:
        for name in ("required", "met", "granted", "justified", "scoped_of", "scoped"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        head = f"{other.name}: " if label else ""
        for name in ("forbidden", "missed", "extra", "errors"):
            getattr(self, name).extend(f"{head}{item}" for item in getattr(other, name))

    @property
    def recall(self) -> float:
        return self.met / self.required if self.required else 1.0

    @property
    def precision(self) -> float:
        return self.justified / self.granted if self.granted else 1.0

    @property
    def specificity(self) -> float:
        return self.scoped / self.scoped_of if self.scoped_of else 1.0

    def passes(self) -> bool:
        return (
            self.precision >= TARGETS["precision"]
            and self.specificity >= TARGETS["specificity"]
            and not self.forbidden
            and not self.errors
        )


def _granted(role: dict) -> set[Pair]:  # type: ignore[type-arg]
    return {(p["action"], r) for p in role["permissions"] for r in p["resources"]}


def _known_action(action: str) -> bool:
    from keyshift.planner import iam_map

    return iam_map.action_exists(action)


def score_role(name: str, expected: dict, role: dict | None) -> Score:  # type: ignore[type-arg]
    score = Score(name)
    required = {(a, r) for a, r in expected["required"]}
    allowed = required | {(a, r) for a, r in expected.get("allowed", [])}
    score.required = len(required)
    if role is None:
        score.errors.append(f"no role for {expected['directory']}")
        score.missed.extend(f"{a} {r}" for a, r in sorted(required))
        return score
    granted = _granted(role)
    if not granted:
        score.errors.append(f"{role['name']}: empty role")
    keys = {c["key_id"] for c in role["credentials"]}
    for spec in expected.get("keys", []):
        if key_id(spec) not in keys:
            score.errors.append(f"{role['name']}: does not replace key {spec}")
    for action, resource in sorted(granted):
        if "<" in resource:
            score.errors.append(f"{role['name']}: placeholder {action} {resource}")
        if not _known_action(action):
            score.errors.append(f"{role['name']}: unknown action {action}")
    for pair in sorted(required):
        if any(covers(g, pair) for g in granted):
            score.met += 1
        else:
            score.missed.append(f"{pair[0]} {pair[1]}")
    expected_actions = {a for a, _ in allowed}
    for pair in sorted(granted):
        score.granted += 1
        ok = any(covers(e, pair) for e in allowed)
        score.justified += ok
        if pair[0] in expected_actions:
            score.scoped_of += 1
            score.scoped += ok
        if not ok:
            score.extra.append(f"{pair[0]} {pair[1]}")
        if "*" in pair[0] or any(fnmatch.fnmatchcase(pair[0], f) for f in expected.get("forbidden", [])):
            score.forbidden.append(f"{pair[0]} {pair[1]}")
    return score


def score_service(service: Path, run: Runner = run_cli) -> Score:
    expected = json.loads((service / "expected.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix=f"plan-{service.name}-") as tmp:
        data = run(materialize(service, Path(tmp) / service.name))
    total = Score(service.name)
    roles = {r["directory"] or ".": r for r in data["roles"]}
    for want in expected["roles"]:
        part = score_role(service.name, want, roles.pop(want["directory"], None))
        total.add(part, label=False)
    for role in roles.values():
        extra = Score(service.name)
        extra.errors.append(f"unexpected role {role['name']} ({role['directory']})")
        extra.granted = len(_granted(role))
        extra.extra.extend(f"{a} {r}" for a, r in sorted(_granted(role)))
        total.add(extra, label=False)
    for error in data.get("errors", []):
        total.errors.append(f"plan error: {error}")
    return total


def services(only: list[str] | None = None) -> list[Path]:
    found = sorted(p for p in SERVICES.iterdir() if (p / "expected.json").is_file())
    return [p for p in found if not only or p.name in only]


def score_all(paths: list[Path], run: Runner = run_cli) -> tuple[list[Score], Score]:
    scores = [score_service(p, run) for p in paths]
    total = Score("total")
    for score in scores:
        total.add(score)
    return scores, total


def report(scores: list[Score], total: Score) -> str:
    lines = ["| service | required met | granted justified | precision | specificity | forbidden | errors |"]
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for s in [*scores, total]:
        lines.append(
            f"| {s.name} | {s.met}/{s.required} | {s.justified}/{s.granted} | {s.precision:.3f} | "
            f"{s.specificity:.3f} | {len(s.forbidden)} | {len(s.errors)} |"
        )
    details = [f"  missed  {m}" for m in total.missed] + [f"  extra   {e}" for e in total.extra]
    details += [f"  FORBID  {f}" for f in total.forbidden] + [f"  ERROR   {e}" for e in total.errors]
    verdict = "PASS" if total.passes() else "FAIL"
    return "\n".join([*lines, "", *details, "", f"recall {total.recall:.3f}  {verdict}"])


def main() -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--only", action="append", help="score only this service (repeatable)")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="run keyshift from this source tree")
    args = parser.parse_args()
    scores, total = score_all(services(args.only), lambda root: run_cli(root, args.src))
    print(report(scores, total))
    return 0 if total.passes() else 1


if __name__ == "__main__":
    raise SystemExit(main())
