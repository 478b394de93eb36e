"""Migrate test helpers: the demo as a real git repository with a key that only history holds."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from keyshift.fakes import fake_key_id, fake_secret
from keyshift.migrate.synth import commit_all, git

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "fixtures" / "demo"
GOLDEN = Path(__file__).resolve().parent / "golden"
OLD_KEY = fake_key_id("111122223333", seed="demo-old")
OLD_SECRET = fake_secret("demo-old")
REVIEW_FILES = ("report.md", "runbook.md", "migration.json", "fix.diff", "report.html")


def demo_repo(path: Path) -> Path:
    """fixtures/demo committed, plus a script that held a third key and was deleted again."""
    shutil.copytree(DEMO, path)
    git(path, "init", "-q", "-b", "main")
    commit_all(path, "orders-service")
    script = path / "scripts" / "rotate.py"
    script.parent.mkdir()
    script.write_text(f'OLD_KEY = "{OLD_KEY}"\nOLD_SECRET = "{OLD_SECRET}"\n', encoding="utf-8")
    commit_all(path, "rotation script", date="2024-02-01T10:00:00+00:00")
    script.unlink()
    script.parent.rmdir()
    commit_all(path, "remove rotation script", date="2024-02-02T10:00:00+00:00")
    return path


def check_golden(out: Path, name: str) -> None:
    """Compare the review folder with tests/migrate/golden/<name> (KEYSHIFT_REGEN=1 rewrites it)."""
    folder = GOLDEN / name
    regen = os.environ.get("KEYSHIFT_REGEN") == "1"
    for file in REVIEW_FILES:
        got = (out / file).read_text(encoding="utf-8")
        if regen:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / file).write_text(got, encoding="utf-8")
            continue
        want = (folder / file).read_text(encoding="utf-8")
        assert got == want, (
            f"{file} differs from golden {name}/{file}; KEYSHIFT_REGEN=1 to update after review"
        )


def all_text(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(out.rglob("*")) if p.is_file())
