"""The migration report opens in a real browser with its content and charts, and loads nothing external."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from keyshift.cli import app

from .chromium import dump_dom, screenshot
from .helpers import OLD_KEY, demo_repo


def test_html_in_headless_chromium(tmp_path: Path) -> None:
    repo = demo_repo(tmp_path / "demo")
    out = tmp_path / "review"
    result = CliRunner().invoke(app, ["migrate", str(repo), "--out", str(out), "-q"])
    assert result.exit_code == 1
    html = out / "report.html"
    source = html.read_text()
    # self-contained: no scripts, stylesheets, images or fonts from anywhere
    assert not re.search(r"<script|<link|<img|src=|@import|url\(", source)
    dom = dump_dom(html, tmp_path / "profile")
    assert "keyshift migration review: demo" in dom
    for text in ("AKIARTX3GSDS7HNK5FSF", OLD_KEY, "orders-service-task-role", "Places per key", "history"):
        assert text in dom
    assert dom.count("<svg") == 2 and "<rect" in dom
    shot = screenshot(html, tmp_path / "profile2", "migrate-report.png")
    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
