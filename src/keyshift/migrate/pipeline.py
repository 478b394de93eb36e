"""Compose scan (tree, Dockerfiles, history, images), plan and fix into one ``MigrationResult``.

The order matters: the scan and the plan read the code *before* the codemod rewrites it (with
``--write``), because the plan needs the call sites that still name their key. Everything after
detection is keyed by key ID (or a secret's SHA-1), so no plaintext ever reaches a report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from keyshift import gitrun
from keyshift.codemod.runner import FileOutcome, FixResult, run_fix
from keyshift.config import Config
from keyshift.errors import KeyshiftError
from keyshift.model import Finding, ScanResult, SourceKind
from keyshift.planner.build import PlanResult, RolePlan, plan_repository
from keyshift.progress import NULL, Reporter
from keyshift.redact import Scrubber

# the verify stage is optional; its verdicts are plain records so the report can show them
from keyshift.verify import Verdict


@dataclass(frozen=True, slots=True)
class KeyPlace:
    """One place a key (or its secret) lives: at HEAD, only in history, or in an image."""

    where: str  # "head" | "history" | "image"
    path: str
    line: int
    kind: str  # CredentialKind value
    detail: str = ""
    commit: str | None = None


@dataclass(frozen=True, slots=True)
class KeyReport:
    """Everything a person needs to retire one key."""

    ident: str  # key ID, or "sha1:<12 hex>" for a secret found without its key ID
    key_id: str | None
    account_id: str | None
    kinds: tuple[str, ...]
    places: tuple[KeyPlace, ...]
    served: tuple[str, ...]  # "s3:PutObject <- s3.put_object at orders/storage.py:17"
    roles: tuple[str, ...]
    steps: tuple[str, ...]
    verdict: Verdict | None = None

    @property
    def at_head(self) -> bool:
        return any(p.where == "head" for p in self.places)

    @property
    def in_history_only(self) -> bool:
        return not self.at_head and any(p.where == "history" for p in self.places)

    @property
    def in_image(self) -> bool:
        return any(p.where == "image" for p in self.places)


@dataclass(frozen=True, slots=True)
class MigrationResult:
    root: str
    name: str
    sources: tuple[str, ...]
    scan: ScanResult
    fix: FixResult
    plan: PlanResult
    keys: tuple[KeyReport, ...]
    notes: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    verified: bool = False
    errors: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scrubber(self) -> Scrubber:
        """Masks every secret any stage found (scan, plan, fix), for everything the run writes."""
        return Scrubber.of((*self.scan.findings, *self.scan.suppressed), self.plan.secrets, self.fix.secrets)

    @property
    def exit_code(self) -> int:
        """1 when a key was found or anything needs a human, else 0."""
        needs = bool(self.keys) or self.fix.needs_human or bool(self.plan.unresolved)
        return 1 if needs else 0


def is_git_top(path: Path) -> bool:
    """True when ``path`` is the top of a git work tree (a subdirectory would scan a foreign history)."""
    proc = gitrun.run(gitrun.command("rev-parse", "--show-toplevel", cwd=path))
    if proc.returncode != 0:
        return False
    return Path(os.fsdecode(proc.stdout.rstrip(b"\n"))).resolve() == path.resolve()


def run_migration(
    path: Path,
    config: Config,
    *,
    images: Sequence[str] = (),
    write: bool = False,
    history: bool = True,
    jobs: int | None = None,
    verifier: Callable[[ScanResult, Path], tuple[Verdict, ...]] | None = None,
    progress: Reporter = NULL,
    image_options: dict[str, object] | None = None,
) -> MigrationResult:
    """Run every stage on ``path``; ``verifier`` (opt-in) adds live/dead verdicts per key."""
    from keyshift.config import repo_suppressions
    from keyshift.scan import apply_policy, merge, scan_relpaths, scan_tree
    from keyshift.sources.worktree import ignored_local_files, is_excluded

    if not path.is_dir():
        raise KeyshiftError(f"not a directory: {path}")
    if jobs is not None:
        config = config.with_overrides(jobs=jobs)
    notes: list[str] = []
    progress.phase("scanning files")
    results = [scan_tree(path, config)]
    local = [r for r in ignored_local_files(path) if not is_excluded(r, config.exclude)]
    if local:
        # the .env or local settings module git ignores is where a checkout keeps its key
        results.append(scan_relpaths(path, local, config))
    sources = ["worktree"]
    if history:
        if is_git_top(path):
            from keyshift.sources.history import scan_history

            try:
                results.append(scan_history(path, config, progress=progress))
                sources.append("history")
            except KeyshiftError as exc:
                notes.append(f"history not scanned: {exc}")
        else:
            notes.append("history not scanned: the path is not the top of a git repository")
    else:
        notes.append("history not scanned (--no-history)")
    for ref in images:
        from keyshift.sources.image import scan_image

        opts = dict(image_options or {})
        results.append(scan_image(ref, config, progress=progress, **opts))  # type: ignore[arg-type]
        if "image" not in sources:
            sources.append("image")
    known = None
    if config.baseline:
        from keyshift.report.baseline import load_baseline

        base = Path(config.baseline)
        known = load_baseline(base if base.is_absolute() else path / base)
    scan = apply_policy(merge(results, str(path)), config, known)
    _, said = repo_suppressions(config, scan.suppressed, own_baseline=True)
    if said:  # what the repository's own settings hide is said, never silent
        scan = replace(scan, errors=(*scan.errors, said))
    # the plan reads the scan it is given: one scan per migration
    plan = plan_repository(path, config.section("plan"), scan_config=config, scan=scan, progress=progress)
    progress.phase("preparing the code fix")
    fix = _run_fix(path, config, write)
    if verifier is not None:
        progress.phase("verifying keys")
    verdicts = verifier(scan, path) if verifier is not None else ()
    keys = build_keys(scan, plan, fix, verdicts)
    return MigrationResult(
        root=str(path),
        name=path.resolve().name,
        sources=tuple(sources),
        scan=scan,
        fix=fix,
        plan=plan,
        keys=keys,
        notes=tuple(notes),
        images=tuple(images),
        verified=verifier is not None,
        errors=(*scan.errors, *plan.errors),
    )


def _run_fix(path: Path, config: Config, write: bool) -> FixResult:
    # a small service is analysed in this process: run_fix starts workers only for enough candidates
    result = run_fix([path], write=write, jobs=config.jobs, exclude=config.fix_exclude)
    return replace(result, outcomes=tuple(_relative(o, path) for o in result.outcomes))


def _relative(outcome: FileOutcome, root: Path) -> FileOutcome:
    """Paths relative to the target, whatever the working directory (no chdir: sweeps run in threads)."""
    rel = Path(os.path.relpath(os.path.abspath(outcome.path), os.path.abspath(root))).as_posix()
    diff = outcome.diff
    if diff:
        shown = outcome.path.lstrip("/")  # an absolute path's diff header is a/tmp/..., as git writes it
        diff = diff.replace(f"--- a/{shown}\n", f"--- a/{rel}\n", 1)
        diff = diff.replace(f"+++ b/{shown}\n", f"+++ b/{rel}\n", 1)
    return replace(outcome, path=rel, diff=diff)


def _place(f: Finding) -> KeyPlace | None:
    if f.source is SourceKind.HISTORY:
        info = f.history
        if info is not None and info.in_head:
            return None  # the tree scan reports it at HEAD
        detail = ""
        if info is not None:
            detail = (
                f"added in {info.commit[:12]} by {info.author} on {info.date[:10]}; "
                f"in {info.commits} commit(s), removed from HEAD"
            )
        return KeyPlace("history", f.path, f.line, f.kind.value, detail, f.commit)
    if f.source is SourceKind.IMAGE:
        img = f.image
        detail = ""
        if img is not None:
            if img.field:
                detail = f"{img.ref}: image config {img.field}"
            else:
                detail = f"{img.ref}: layer {img.layer_index} {(img.layer_digest or '')[:19]}"
                if img.deleted:
                    detail += f" (deleted by layer {img.deleted_by_layer}, still in the image)"
        return KeyPlace("image", f.path, f.line, f.kind.value, detail)
    detail = "Dockerfile" if f.source is SourceKind.DOCKERFILE else f.carrier
    return KeyPlace("head", f.path, f.line, f.kind.value, detail)


def _ident(f: Finding) -> str:
    return f.key_id or f"sha1:{f.value_sha1[:12]}"


def build_keys(
    scan: ScanResult, plan: PlanResult, fix: FixResult, verdicts: Sequence[Verdict] = ()
) -> tuple[KeyReport, ...]:
    """Group findings per key and attach roles, served code, verdicts and the steps left."""
    groups: dict[str, list[Finding]] = {}
    for f in scan.findings:
        groups.setdefault(_ident(f), []).append(f)
    by_key: dict[str, list[RolePlan]] = {}
    for role in plan.roles:
        for replaced in role.key_ids:
            by_key.setdefault(replaced, []).append(role)
    verdict_of = {v.key_id: v for v in verdicts}
    claimed = {f.path for f in scan.findings if f.source in (SourceKind.WORKTREE, SourceKind.DOCKERFILE)}
    names_by_key = {
        ident: {f.context_name for f in found if f.context_name} for ident, found in groups.items()
    }
    owners = {
        (o.path, n.line, n.message): note_owners(n.message, names_by_key)
        for o in fix.outcomes
        for n in o.notes
    }
    keys: list[KeyReport] = []
    for ident in sorted(groups):
        found = groups[ident]
        key_id = found[0].key_id
        places = sorted(
            {p for p in (_place(f) for f in found) if p is not None},
            key=lambda p: ({"head": 0, "history": 1, "image": 2}[p.where], p.path, p.line, p.kind, p.detail),
        )
        if not places:  # only history hits that are still at HEAD but outside the tree scan
            places = [KeyPlace("head", f.path, f.line, f.kind.value, "history") for f in found]
        roles = by_key.get(key_id or "", [])
        # a role replaces several keys: each key is served by the calls that name it
        served = sorted(
            {
                f"{g.action} <- {because}"
                for role in roles
                for g in role.grants
                for because in g.because
                if key_id is not None and f"key {key_id}" in because
            }
        )
        account = next((f.account_id for f in found if f.account_id), None)
        kinds = tuple(sorted({f.kind.value for f in found}))
        report = KeyReport(
            ident=ident,
            key_id=key_id,
            account_id=account,
            kinds=kinds,
            places=tuple(places),
            served=tuple(served),
            roles=tuple(r.name for r in roles),
            steps=(),
            verdict=verdict_of.get(key_id or ""),
        )
        keys.append(replace(report, steps=steps_for(report, roles, fix, claimed, owners)))
    return tuple(keys)


_CAME_FROM = re.compile(r"came from ([A-Za-z_][\w.]*)")


def note_owners(message: str, names_by_key: Mapping[str, set[str]]) -> set[str] | None:
    """The keys a fix note is about, when the note says: it names the key ID, or the setting
    (``settings.AWS_ACCESS_KEY_ID``, ``AWS_KEY imported from config``) a key was found under.
    None when the note names neither (then it belongs to the keys found in the same file)."""
    named = {ident for ident in names_by_key if ident in message}
    if named:
        return named
    m = _CAME_FROM.search(message)
    if m is None:
        return None
    setting = m.group(1).rsplit(".", 1)[-1]
    owners = {ident for ident, names in names_by_key.items() if setting in names}
    return owners or None


def steps_for(
    key: KeyReport,
    roles: Sequence[RolePlan],
    fix: FixResult,
    claimed: set[str] | frozenset[str] = frozenset(),
    owners: Mapping[tuple[str, int, str], set[str] | None] | None = None,
) -> tuple[str, ...]:
    """The human work left for one key, in the only safe order, one step per file.

    The role exists before anything uses it; the task definition points at it before the code
    stops passing keys; the code change ships before the overrides go; the key is revoked last,
    after it is confirmed unused. A deployment override (``AWS_ACCESS_KEY_ID`` in a Dockerfile,
    ...) is listed under the key it holds; an override whose value keyshift did not see as a key is
    listed under every role. A codemod note goes to the key it names (key ID or setting, see
    ``note_owners``), else to the keys found in its file. Items about one file are one step.
    """
    steps: list[str] = []
    if key.verdict is not None:
        if key.verdict.status == "live":
            who = key.verdict.arn or "an unknown identity"
            steps.append(f"The key is LIVE ({who}): treat it as exposed and revoke it first.")
        elif key.verdict.status == "invalid":
            steps.append("AWS rejected the key (deleted or inactive): only clean-up is left.")
    head_paths = sorted({p.path for p in key.places if p.where == "head"})
    # 1. the role, deployed while nothing uses it yet
    for role in roles:
        steps.append(
            f"Create and deploy role {role.name}: roles/{_slug(role.name)}/main.tf (or cloudformation.json)."
        )
        for item in role.unresolved:
            steps.append(f"Grant by hand what keyshift could not resolve: {item}")
    # 2. the task definition points at the role (the keys still win while they are set)
    for role in roles:
        if role.target != "ecs":
            where = (
                "the Lambda function's role"
                if role.target == "lambda"
                else "the workload's Pod Identity role"
            )
            steps.append(f"Set {role.name} as {where}.")
        elif role.taskdefs:
            steps.append(
                f"Switch the task definition to {role.name}: roles/{_slug(role.name)}/taskdef-patch.json "
                f"sets taskRoleArn ({', '.join(role.taskdefs)})."
            )
        else:
            steps.append(f"Set {role.name} as the taskRoleArn of the service's task definition.")
    # 3. the code change
    notes: dict[str, list[str]] = {}
    for o in fix.outcomes:
        for n in o.notes:
            if not n.needs_human:
                continue
            about = (owners or {}).get((o.path, n.line, n.message))
            if (about is not None and key.ident in about) or (about is None and o.path in head_paths):
                notes.setdefault(o.path, []).append(f"line {n.line}: {n.message}")
    changed = {o.path for o in fix.changed}
    code = sorted(p for p in {*head_paths, *notes} if p in changed)
    if code:
        if fix.write:
            steps.append(f"Review and deploy the applied rewrite of {', '.join(code)}.")
        else:
            steps.append(
                f"Apply the code change: keyshift fix --write {' '.join(code)} (fix.diff is a redacted "
                "review copy and does not apply), then deploy."
            )
    for path, items in sorted(notes.items()):
        steps.append(f"{path}: {'; '.join(dict.fromkeys(items))}")
    # 4. the overrides, one step per file, once the code no longer reads them
    overrides: dict[str, dict[str, list[int]]] = {}
    for role in roles:
        for b in role.blockers:
            if b.path in head_paths or b.path not in claimed:
                overrides.setdefault(b.path, {}).setdefault(b.name, []).append(b.line)
    for path, names in sorted(overrides.items()):
        lines = sorted({line for found in names.values() for line in found})
        steps.append(
            f"Remove {', '.join(sorted(names))} from {path} (line{'s' if len(lines) > 1 else ''} "
            f"{', '.join(map(str, lines))}): they override the task role."
        )
    for p in head_paths:
        if p not in changed and p not in overrides and p not in notes:
            steps.append(f"Remove the value from {p}.")
    if not roles and key.at_head:
        steps.append(
            "No code here uses this key through boto3: find its other users "
            "(aws iam get-access-key-last-used, CloudTrail) before revoking."
        )
    if any(p.where == "history" for p in key.places):
        steps.append(
            "The key is in git history: rotate it (removing it from HEAD is not enough); "
            "rewrite history only if the repository is public."
        )
    for ref in sorted({p.detail.split(":")[0] for p in key.places if p.where == "image"}):
        steps.append(f"Rebuild {ref} without the key and delete the old image and tags.")
    if len(roles) > 1:
        steps.append(
            f"{len(roles)} workloads use this key ({', '.join(r.name for r in roles)}): revoke it only after "
            "every one of them runs on its new role."
        )
    # 5. last: confirmed unused, then revoked
    steps.append(f"Confirm the key is unused, then revoke it: runbook.md, section {key.ident}.")
    return tuple(dict.fromkeys(steps))


def _slug(name: str) -> str:
    from keyshift.planner.iac import _slug as slug

    return slug(name)
