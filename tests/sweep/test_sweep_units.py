"""Source lists and the summary's ranking, in isolation; the summary HTML in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyshift.errors import KeyshiftError
from keyshift.sweep import summary
from keyshift.sweep.sources import is_url, list_sources

from .browser import dump_dom, screenshot


@pytest.mark.parametrize(
    ("line", "remote", "name"),
    [
        ("https://git.example.invalid/team/orders.git", True, "orders"),
        ("git@git.example.invalid:team/billing.git", True, "billing"),
        ("ssh://git@git.example.invalid/team/api", True, "api"),
        ("file:///srv/git/reports.git/", True, "reports"),
        ("relative/worker", False, "worker"),
    ],
)
def test_list_file_entries(tmp_path: Path, line: str, remote: bool, name: str) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"# comment\n\n  {line}  \n")
    (source,) = list_sources(listing)
    assert (source.remote, source.name) == (remote, name)
    if not remote:
        assert source.location == str((tmp_path / line).resolve())


def test_duplicate_names_stay_unique(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text("https://a.invalid/x/app.git\nhttps://b.invalid/y/app.git\nhttps://c.invalid/app\n")
    assert [s.name for s in list_sources(listing)] == ["app", "app-2", "app-3"]


@pytest.mark.parametrize("line", ["ext::sh -c id", "fd::3", "-uecho"])
def test_dangerous_entries_are_refused(tmp_path: Path, line: str) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(line + "\n")
    with pytest.raises(KeyshiftError):
        list_sources(listing)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_only_known_transports_count_as_urls(text: str) -> None:
    if is_url(text):
        assert (
            text.startswith(("https://", "http://", "ssh://", "git://", "file://"))
            or "@" in text.split(":")[0]
        )


def _outcome(name: str, **totals: int) -> dict[str, Any]:
    keys = [{"key": f"K{name}{i}", "account_id": "111111111111"} for i in range(totals.get("keys", 0))]
    return {
        "name": name,
        "location": f"/r/{name}",
        "status": "ok",
        "totals": totals,
        "keys": keys,
        "roles": [],
        "report": f"repos/{name}/report.md",
    }


def test_risk_order_is_live_head_history_clean_error() -> None:
    outcomes = [
        _outcome("clean"),
        {"name": "broken", "location": "/r/broken", "status": "error", "error": "git clone failed"},
        _outcome("old", keys=1, keys_history_only=1),
        _outcome("leaky", keys=3, keys_at_head=3),
        _outcome("worst", keys=1, keys_at_head=1, keys_live=1),
        _outcome("leaky2", keys=1, keys_at_head=1),
    ]
    data = summary.build(outcomes)
    assert [r["name"] for r in data["repositories"]] == ["worst", "leaky", "leaky2", "old", "clean", "broken"]
    assert data["totals"]["failed"] == 1 and data["totals"]["distinct_keys"] == 6
    assert summary.build(list(reversed(outcomes))) == data


def test_summary_html_in_chromium(tmp_path: Path) -> None:
    outcomes = [_outcome(f"repo{i}", keys=i % 3, keys_at_head=i % 3) for i in range(6)]
    html = tmp_path / "summary.html"
    html.write_text(summary.to_html(summary.build(outcomes)))
    dom = dump_dom(html, tmp_path / "profile")
    assert "keyshift sweep: organisation summary" in dom
    assert "Keys per repository" in dom and "111111111111" in dom and dom.count("<svg") == 2
    assert screenshot(html, tmp_path / "p2", "sweep-summary.png").stat().st_size > 5_000
