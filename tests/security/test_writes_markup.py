"""Attack: file, service and repository names that are Markdown, HTML or terminal control codes.

A committed file named like a link, an ``<img onerror>`` tag, a table cell break, a heading on a
new line and an ANSI escape holds a key. ``report.md``/``runbook.md``/``report.html`` (migrate),
the role's ``report.md`` (plan --out), the sweep's ``summary.md``/``summary.html`` and the plan's
text output must show each name as literal text: rendered with a CommonMark parser (tables on),
no link, image, raw HTML or heading comes from the repository, and no control character is
written raw.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from tests.conftest import git, init_repo
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret

KEY = fake_key_id("123456789012", seed="markup")
SECRET = fake_secret("markup")
EVIL = (
    "a|b`c](http://evil.invalid)<img src=x onerror=alert(1)>![i](http://evil.invalid/i.png)\n# Owned \x1b[31m"
)
FILE = EVIL.replace("/", "_") + ".py"  # a file name cannot hold a slash
SERVICE = "svc<script>alert(1)</script>|[x](http://evil.invalid)\n## Owned"
APP = (
    "import boto3\n"
    f's3 = boto3.client("s3", aws_access_key_id="{KEY}", aws_secret_access_key="{SECRET}")\n'
    's3.get_object(Bucket="b", Key="k")\n'
)
_RENDER = MarkdownIt("commonmark").enable("table")


def _repo(root: Path) -> Path:
    init_repo(root)
    (root / "svc").mkdir()
    (root / "svc" / FILE).write_text(APP)
    (root / "docker-compose.yml").write_text(json.dumps({"services": {SERVICE: {"build": "svc"}}}))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hostile names")
    return root


def _no_control(text: str, path: Path) -> None:
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\n") or 0x7F <= ord(c) <= 0x9F]
    assert not bad, f"{path}: raw control characters {bad!r}"


def _check_markdown(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    _no_control(text, path)
    html = _RENDER.render(text)
    for target in re.findall(r'(?:href|src)="([^"]*)"', html):  # only keyshift's own relative links
        assert not re.match(r"[a-z]+:", target), target
    assert "<img" not in html and "<script" not in html
    assert "<h1>Owned" not in html and "<h2>Owned" not in html
    assert not re.search(r"^#+ Owned", text, re.M)
    for table in re.findall(r"<table>.*?</table>", html, re.S):  # no row grew a cell from a name
        widths = {row.count("<td") for row in re.findall(r"<tr>.*?</tr>", table, re.S) if "<td" in row}
        assert len(widths) <= 1, table


def _check_html(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    _no_control(text, path)
    assert "<img" not in text and "<script" not in text and 'href="http://evil' not in text


def test_migrate_review_escapes_names(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    out = tmp_path / "review"
    result = CliRunner().invoke(app, ["migrate", str(root), "--out", str(out), "--exit-zero"])
    assert result.exit_code == 0, result.output
    _no_control(result.stdout, out)
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "onerror" in report  # the name is there, as text
    for name in ("report.md", "runbook.md"):
        _check_markdown(out / name)
    for role_report in (out / "roles").glob("*/report.md"):
        _check_markdown(role_report)
    _check_html(out / "report.html")


def test_plan_out_and_text_escape_names(tmp_path: Path) -> None:
    root = _repo(tmp_path / "repo")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["plan", str(root), "--out", str(out), "--exit-zero"])
    assert result.exit_code == 0, result.output
    _no_control(result.stdout, out)
    reports = list(out.glob("*/report.md"))
    assert reports
    for report in reports:
        text = report.read_text(encoding="utf-8")
        assert "script" in text  # the service name is shown, escaped
        _check_markdown(report)


@pytest.mark.parametrize("name", [EVIL.replace("/", "_").replace("\n", " ")])
def test_sweep_summary_escapes_repository_names(name: str, tmp_path: Path) -> None:
    _repo(tmp_path / "fleet" / name)
    broken = tmp_path / "fleet" / (name + " broken")  # a failed repository is listed with its location
    broken.mkdir()
    (broken / ".git").write_text("gitdir: /nonexistent\n")
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        app, ["sweep", str(tmp_path / "fleet"), "--out", str(out), "-q", "--exit-zero"]
    )
    assert result.exit_code == 0, result.output
    assert "could not be scanned" in (out / "summary.md").read_text(encoding="utf-8")
    _check_markdown(out / "summary.md")
    _check_html(out / "summary.html")
