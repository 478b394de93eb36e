"""The gates (``--since BASE..TIP`` in CI, ``--staged`` in pre-commit) take their policy from BASE.

A pull request controls every file in its checkout. If the gate read ``[tool.keyshift]``
(``exclude``, ``allowlist``, ``max-file-size``, ``baseline``) or the baseline file from the work
tree, a pull request that adds a key could add the exclude, allowlist entry or baseline entry
that hides it, and pass. So in gate mode every policy file inside the repository is read with
``git cat-file`` from the base commit (``BASE`` of the range, ``REV`` of ``--since REV``, ``HEAD``
for what is staged), never from the work tree. A ``--config``/``--baseline`` outside the
repository is the CI's own and is read from disk. Flags on the command line are the caller's.

A change to any of these files in the reviewed range is reported as a warning (and fails the
gate with ``--fail-on-policy-change``): the change only takes effect once it is merged, and a
reviewer should see it. Values the change itself silences with allow comments are listed too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyshift.config import Config, config_from_text, keyshift_table, load_config
from keyshift.errors import KeyshiftError
from keyshift.model import Finding
from keyshift.sources.git_repo import GitRepo, open_repo, resolve_commit, run_git


@dataclass(frozen=True, slots=True)
class GatePolicy:
    config: Config
    baseline: object | None  # report.baseline.Baseline
    warnings: tuple[str, ...]
    changed: bool  # a policy file differs between BASE and what is reviewed


def revisions(repo: GitRepo, since: str | None, staged: bool) -> tuple[str | None, str | None]:
    """(BASE, TIP) as commit ids; TIP None means the index. BASE None: no commit yet (empty policy)."""
    if staged:
        return (resolve_commit(repo, "HEAD") if repo.has_head else None), None
    assert since is not None
    if ".." in since and "..." not in since:
        base, tip = since.split("..", 1)
        return resolve_commit(repo, base or "HEAD"), resolve_commit(repo, tip or "HEAD")
    return resolve_commit(repo, since), resolve_commit(repo, "HEAD") if repo.has_head else None


def read_at(repo: GitRepo, rev: str | None, rel: str) -> bytes | None:
    """A file's bytes at a commit (``rev``) or in the index (``None``), or None when absent.

    ``cat-file blob`` applies no filter or textconv: what is read is exactly what is stored.
    """
    spec = f"{rev}:{rel}" if rev else f":{rel}"
    proc = run_git(repo.cmd("cat-file", "blob", spec), check=False)
    return proc.stdout if proc.returncode == 0 else None


def _inside(repo: GitRepo, path: Path) -> str | None:
    """``path`` relative to the work tree root when it lies inside the repository, else None."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(repo.toplevel))
    except ValueError:
        try:
            rel = path.resolve().relative_to(repo.toplevel.resolve())
        except (ValueError, OSError):
            return None
    return rel.as_posix()


def _candidates(repo: GitRepo, target: Path) -> list[str]:
    """pyproject.toml paths from the target's folder up to the repository root, nearest first."""
    rel = _inside(repo, target if target.is_dir() else target.parent) or ""
    parts = [] if rel in ("", ".") else rel.split("/")
    out = []
    for i in range(len(parts), -1, -1):
        out.append("/".join([*parts[:i], "pyproject.toml"]))
    return out


def _from_settings(repo: GitRepo, folder: str, named: str) -> Path:
    path = Path(named)
    return path if path.is_absolute() else repo.toplevel / folder / path


def _table(data: bytes | None, origin: str, dedicated: bool) -> Mapping[str, Any] | None:
    if data is None:
        return None
    try:
        return keyshift_table(data.decode("utf-8"), origin, dedicated=dedicated)
    except (UnicodeDecodeError, KeyshiftError):
        return {"<unreadable>": True}


def load_policy(
    target: Path,
    since: str | None,
    staged: bool,
    explicit_config: Path | None,
    explicit_baseline: Path | None,
) -> GatePolicy:
    """Settings and baseline for a gate run, from BASE; warnings for every policy file the change edits."""
    from keyshift.report.baseline import load_baseline, parse_baseline

    repo = open_repo(target)
    base, tip = revisions(repo, since, staged)
    where = base[:12] if base else "the empty repository"
    tip_name = tip[:12] if tip else "the index"
    warnings: list[str] = []
    changed: list[str] = []

    def compare(rel: str, before: object, after: object, what: str) -> None:
        if before != after:
            changed.append(f"{what} {rel}")

    config_path = explicit_config or (
        Path(os.environ["KEYSHIFT_CONFIG"]) if os.environ.get("KEYSHIFT_CONFIG") else None
    )
    config = Config()
    tip_table: Mapping[str, Any] = {}
    config_dir = tip_dir = ""  # repository-relative folders of the settings files at BASE and TIP
    if config_path is not None and _inside(repo, config_path) is None:
        config = load_config(target, config_path)  # the caller's own file, outside what is reviewed
    elif config_path is not None:
        rel = _inside(repo, config_path) or ""
        dedicated = config_path.name != "pyproject.toml"
        data = read_at(repo, base, rel) if base else None
        if data is None:
            raise KeyshiftError(
                f"--config {rel} does not exist at the base commit {where}; the gate reads it there"
            )
        config = config_from_text(data.decode("utf-8", "replace"), f"{rel}@{where}", dedicated=dedicated)
        tip_table = _table(read_at(repo, tip, rel), rel, dedicated) or {}
        config_dir = tip_dir = os.path.dirname(rel)
        compare(rel, _table(data, rel, dedicated), tip_table, "settings in")
    else:
        found_base = next(
            (c for c in _candidates(repo, target) if base and read_at(repo, base, c) is not None), None
        )
        found_tip = next((c for c in _candidates(repo, target) if read_at(repo, tip, c) is not None), None)
        if found_base is not None and base is not None:
            data = read_at(repo, base, found_base)
            config = config_from_text((data or b"").decode("utf-8", "replace"), f"{found_base}@{where}")
            config_dir = os.path.dirname(found_base)
        for rel in sorted({c for c in (found_base, found_tip) if c is not None}):
            before = _table(read_at(repo, base, rel), rel, False) if base else None
            compare(
                rel, before or {}, _table(read_at(repo, tip, rel), rel, False) or {}, "[tool.keyshift] in"
            )
        if found_tip is not None:
            tip_table = _table(read_at(repo, tip, found_tip), found_tip, False) or {}
            tip_dir = os.path.dirname(found_tip)
        if found_tip not in (found_base, None) and _table(read_at(repo, tip, found_tip), found_tip, False):
            changed.append(f"settings now come from {found_tip}")

    # a relative baseline in the settings is relative to the settings file (the repository root usually)
    baseline_path = explicit_baseline or (
        _from_settings(repo, config_dir, config.baseline) if config.baseline else None
    )
    baseline = None
    # a baseline the change's own settings name is policy too: report its edits
    named = tip_table.get("baseline")
    if isinstance(named, str):
        named_rel = _inside(repo, _from_settings(repo, tip_dir, named))
        if named_rel is not None and (baseline_path is None or named_rel != _inside(repo, baseline_path)):
            stored = read_at(repo, base, named_rel) if base else None
            compare(named_rel, stored, read_at(repo, tip, named_rel), "baseline")
    if baseline_path is not None:
        baseline_rel = _inside(repo, baseline_path)
        if baseline_rel is None:
            baseline = load_baseline(baseline_path)
        else:
            rel = baseline_rel
            data = read_at(repo, base, rel) if base else None
            after = read_at(repo, tip, rel)
            if data is None:
                warnings.append(f"baseline {rel} does not exist at {where}: no baseline is applied")
            else:
                try:
                    baseline = parse_baseline(json.loads(data), f"{rel}@{where}")
                except (ValueError, UnicodeDecodeError, RecursionError) as exc:
                    raise KeyshiftError(f"baseline {rel} at {where} is not valid JSON: {exc}") from None
            compare(rel, data, after, "baseline")
    if changed:
        warnings.append(
            f"policy change under review: {'; '.join(changed)} differ between {where} and {tip_name}. "
            f"This gate used the settings and baseline of {where}: a change cannot loosen the check "
            "on itself; have the policy change reviewed on its own"
        )
    return GatePolicy(config, baseline, tuple(warnings), bool(changed))


def self_allowed(suppressed: Iterable[Finding]) -> str | None:
    """One warning for values the reviewed change adds and silences with its own allow comments."""
    mine = sorted({f"{f.path}:{f.line}" for f in suppressed if f.suppressed in ("inline-allow", "pragma")})
    if not mine:
        return None
    shown = ", ".join(mine[:10]) + (f" and {len(mine) - 10} more" if len(mine) > 10 else "")
    return f"{len(mine)} credential(s) added by this change are silenced by allow comments it adds: {shown}"
