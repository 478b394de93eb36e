"""No secret leaves keyshift, in any encoding, through any command or format (issue 10, item 7).

One hostile repository carries a secret access key in every encoding (raw, base64 at each
alignment, base64url, URL-encoded, JSON-escaped, hex, a 14-character fragment) and carrier
(Python context lines, starred arguments, split literals, an unparsable file, .env, Dockerfile,
Kubernetes Secret, JSON, an ECS task definition, a file *named* by the secret), a session
token, and a second secret that only git history holds. Every command runs in a real process;
its stdout, stderr and every file it writes are searched for any 12-character run of any form
of any of the secrets.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.subprocess_cli import LIBCST_CODEMOD
from tests.security.redaction_helpers import Creds, build_repo, files_under, leaks, make_creds, run

LIBCST = list(LIBCST_CODEMOD)

#: id, argv ({repo}, {out}, {fleet} filled in), exit codes that mean "it ran and found something"
RUNS: list[tuple[str, list[str], tuple[int, ...]]] = [
    ("scan-text", ["scan", "{repo}", "--show-suppressed", "--no-inline-ignores"], (1,)),
    ("scan-json", ["scan", "{repo}", "--format", "json", "--show-suppressed"], (1,)),
    ("scan-sarif", ["scan", "{repo}", "--format", "sarif"], (1,)),
    ("scan-baseline", ["scan", "{repo}", "--format", "baseline", "-o", "{out}/baseline.json"], (1,)),
    ("scan-baseline-slim", ["scan", "{repo}", "--format", "baseline", "--slim"], (1,)),
    ("scan-redact", ["scan", "{repo}", "--redact"], (1,)),
    ("history-text", ["scan", "{repo}", "--history"], (1,)),
    ("history-json", ["scan", "{repo}", "--history", "--json", "-o", "{out}/report.json"], (1,)),
    ("history-sarif", ["scan", "{repo}", "--history", "--format", "sarif", "--sarif-history"], (1,)),
    ("history-since", ["scan", "{repo}", "--history", "--since", "HEAD~1", "--json"], (1,)),
    ("fix-text", ["fix", "{repo}"], (1,)),
    ("fix-json", ["fix", "{repo}", "--json"], (1,)),
    ("fix-write", ["fix", "{repo}", "--write"], (1,)),
    ("fix-write-json", ["fix", "{repo}", "--write", "--json"], (1,)),
    ("plan-text", ["plan", "{repo}"], (0, 1)),
    ("plan-json-out", ["plan", "{repo}", "--json", "--out", "{out}/plan"], (0, 1)),
    ("migrate", ["migrate", "{repo}", "--out", "{out}/review"], (1,)),
    ("migrate-json", ["migrate", "{repo}", "--out", "{out}/review", "--json"], (1,)),
    ("migrate-write", ["migrate", "{repo}", "--out", "{out}/review", "--write"], (1,)),
    ("migrate-inside", ["migrate", "{repo}", "--out", "{repo}/keyshift-review"], (1,)),
    ("sweep", ["sweep", "{fleet}", "--out", "{out}/sweep", "-j", "1"], (1,)),
    ("sweep-history", ["sweep", "{fleet}", "--out", "{out}/sweep", "-j", "2", "--history"], (1,)),
    ("libcst-diff", [*LIBCST, "--unified-diff", "3", "{repo}/app"], (1,)),  # 1: broken.py
    ("libcst-write", [*LIBCST, "{repo}/app"], (1,)),
    ("error-bad-baseline", ["scan", "{repo}", "--baseline", "{repo}/config.json"], (2,)),
]


@pytest.fixture(scope="module")
def creds() -> Creds:
    return make_creds()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, creds: Creds) -> Path:
    return build_repo(tmp_path_factory.mktemp("hostile") / "service", creds)


@pytest.fixture
def workspace(tmp_path: Path, template: Path) -> Iterator[tuple[Path, Path, Path]]:
    """A fresh copy of the hostile repository (commands may rewrite it), a fleet folder, an out folder."""
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    repo = fleet / "service"
    shutil.copytree(template, repo, symlinks=True)
    out = tmp_path / "out"
    out.mkdir()
    yield repo, fleet, out


def _outputs(proc_out: str, proc_err: str, out: Path, repo: Path) -> list[tuple[str, str]]:
    texts = [("stdout", proc_out), ("stderr", proc_err)]
    # the sweep's clones are copies of the repositories, not outputs
    texts += [(str(p), t) for p, t in files_under(out, skip=("clones",))]
    review = repo / "keyshift-review"
    if review.is_dir():
        texts += [(str(p), t) for p, t in files_under(review)]
    return texts


@pytest.mark.parametrize(("name", "argv", "codes"), RUNS, ids=[r[0] for r in RUNS])
def test_no_secret_in_any_output(
    name: str, argv: list[str], codes: tuple[int, ...], workspace: tuple[Path, Path, Path], creds: Creds
) -> None:
    repo, fleet, out = workspace
    filled = [a.format(repo=repo, out=out, fleet=fleet, secret=creds.secret.replace("/", "_")) for a in argv]
    proc = run(filled, cwd=repo)
    assert proc.returncode in codes, (proc.returncode, proc.stderr[-2000:])
    texts = _outputs(proc.stdout, proc.stderr, out, repo)
    everything = "\n".join(t for _, t in texts)
    if not name.startswith(("error", "libcst")):
        seen = (creds.key, "AKIA…", hashlib.sha1(creds.secret.encode(), usedforsecurity=False).hexdigest())
        assert any(mark in everything for mark in seen), "the run must have reported the key"
    problems = {where: found for where, text in texts if (found := leaks(text, creds.secrets))}
    assert not problems, problems


def test_history_secret_is_reported_not_shown(workspace: tuple[Path, Path, Path], creds: Creds) -> None:
    """The history-only key is found (the run looked) and its secret is masked, in every format."""
    repo, _, _ = workspace
    for fmt in ("text", "json", "sarif"):
        proc = run(["scan", str(repo), "--history", "--format", fmt, "--sarif-history"], cwd=repo)
        assert proc.returncode == 1
        assert creds.old_key in proc.stdout
        assert not leaks(proc.stdout + proc.stderr, creds.secrets)


def test_fix_masks_encoded_copies_in_context_lines(workspace: tuple[Path, Path, Path], creds: Creds) -> None:
    """The dry-run diff shows every context line, with the encoded copies replaced by markers."""
    repo, _, _ = workspace
    proc = run(["fix", str(repo / "app" / "service.py")], cwd=repo)
    assert proc.returncode == 1
    for label in ("# base64: ", "# url: ", "# json: ", "# hex: ", "# HEX: ", "# blob1: ", "# part: "):
        line = next(ln for ln in proc.stdout.splitlines() if label in ln)
        assert "<redacted sha1:" in line, line
    assert not leaks(proc.stdout, creds.secrets)


def test_starred_note_shows_no_fragment(workspace: tuple[Path, Path, Path], creds: Creds) -> None:
    repo, _, _ = workspace
    proc = run(["fix", str(repo / "app" / "star.py"), "--json"], cwd=repo)
    assert '"unseen-arguments"' in proc.stdout  # the note that showed 35 of the 40 characters
    assert not leaks(proc.stdout + proc.stderr, creds.secrets)


@pytest.mark.parametrize("warnings", ["default", "error", "default,error", "always"])
@pytest.mark.parametrize("command", ["plan", "migrate", "fix"])
def test_compiler_warnings_do_not_echo_secrets(
    command: str, warnings: str, workspace: tuple[Path, Path, Path], creds: Creds
) -> None:
    """An invalid escape next to a secret: no warning echoes the line, and the file is still analysed."""
    repo, _, out = workspace
    argv = [command, str(repo / "app" / "warn.py") if command == "fix" else str(repo)]
    if command == "migrate":
        argv += ["--out", str(out / "review"), "--no-history"]
    if command == "plan":
        argv += ["--json"]
    proc = run(argv, cwd=repo, env={"PYTHONWARNINGS": warnings})
    assert "Warning" not in proc.stderr, proc.stderr
    assert not leaks(proc.stdout + proc.stderr, creds.secrets)
    if command == "fix":
        assert "warn.py:4: would rewrite" in proc.stdout  # parsed, not skipped as unparsable
    if command == "plan":
        assert "warn.py: cannot parse" not in proc.stdout
        assert "sns:ListTopics" in proc.stdout


def test_fix_write_leaves_no_split_literal_secret(workspace: tuple[Path, Path, Path], creds: Creds) -> None:
    """``SECRET = "a" + "b"`` (joined by the scanner) is removed with the call's arguments."""
    repo, _, _ = workspace
    proc = run(["fix", str(repo / "app" / "split.py"), "--write"], cwd=repo)
    assert "removed unused constant SECRET" in proc.stdout
    text = (repo / "app" / "split.py").read_text()
    assert creds.secret[:20] not in text and creds.secret[20:] not in text
    scan = run(["scan", str(repo / "app" / "split.py"), "--json"], cwd=repo)
    assert scan.returncode == 0, scan.stdout
