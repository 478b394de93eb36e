"""The migration report opens in a real browser with its content and charts, and loads nothing external."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app

from .chromium import dump_dom, png_pixels, screenshot
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


START_HERE_BORDER = bytes((0x2E, 0x7D, 0x32))


@pytest.mark.parametrize("width", [1400, 390])
def test_start_here_is_on_the_first_screen(tmp_path: Path, width: int) -> None:
    """At desktop and phone widths, the first screen shows the "start here" box, and nothing spills sideways."""
    repo = demo_repo(tmp_path / "demo")
    out = tmp_path / "review"
    result = CliRunner().invoke(app, ["migrate", str(repo), "--out", str(out), "-q"])
    assert result.exit_code == 1
    source = (out / "report.html").read_text()
    assert source.index('id="start-here"') < source.index("<h2>Keys</h2>") < source.index("<h2>Counts</h2>")
    for href in re.findall(r'href="([^"]+)"', source):
        assert (out / href).is_file(), href  # every link points into the folder
    shot = screenshot(out / "report.html", tmp_path / f"p{width}", f"migrate-report-{width}.png", (width, 900))
    w, h, rows = png_pixels(shot)
    assert (w, h) == (width, 900)
    hits = [y for y, row in enumerate(rows) if START_HERE_BORDER in bytes(row)]
    assert hits and min(hits) < 400, "the start-here box is not near the top of the first screen"
    # the right edge is page background: no table or chart is cut off at the side
    edge = [row[(w - 2) * 3 : (w - 1) * 3] for row in rows]
    assert sum(1 for px in edge if px != b"\xff\xff\xff") < h // 10
