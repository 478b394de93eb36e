"""Skips and suppressions that hid keys (issue 10, "No silent zero").

- One NUL byte in the first 8 KiB skipped a whole shell script that still runs; UTF-16 without a
  byte-order mark was skipped too. Text with stray NULs and UTF-16 (LE/BE, BOM or not) are scanned;
  real binaries are skipped and counted.
- An inline allow comment suppressed findings on other logical lines (CR-only endings, U+2028,
  NEL, VT/FF). Lines end wherever a language ends them, the same for detection, suppression and
  line numbers.
"""

from __future__ import annotations

import json
import random
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.detect import detect_bytes
from keyshift.detect.lines import count_breaks, split_lines
from keyshift.detect.textkind import as_scannable, text_kind
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.model import CredentialKind
from keyshift.sources import worktree

KEY = fake_key_id("123456789012", seed="nul")
SECRET = fake_secret("nul")
SCRIPT = f'#!/bin/sh\nexport AWS_ACCESS_KEY_ID="{KEY}"\nexport AWS_SECRET_ACCESS_KEY="{SECRET}"\naws s3 ls\n'


def _scan(path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["scan", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.stdout)


def _random_binary(size: int) -> bytes:
    rng = random.Random("binary")
    return zlib.compress(bytes(rng.getrandbits(8) for _ in range(size)), 0)


TEXT_FORMS = {
    "one-nul-at-top": b"\0" + SCRIPT.encode(),
    "nul-in-comment": SCRIPT.replace("aws s3 ls", "# \0\0 padding \0").encode(),
    "many-nuls-first": b"\0" * 9000 + SCRIPT.encode(),
    "utf16-le-bom": SCRIPT.encode("utf-16"),
    "utf16-le": SCRIPT.encode("utf-16-le"),
    "utf16-be": SCRIPT.encode("utf-16-be"),
    "utf16-be-bom": b"\xfe\xff" + SCRIPT.encode("utf-16-be"),
    "crlf-utf16-le": SCRIPT.replace("\n", "\r\n").encode("utf-16-le"),
}


@pytest.mark.parametrize("form", sorted(TEXT_FORMS))
def test_text_with_nuls_or_utf16_is_scanned(form: str, tmp_path: Path) -> None:
    (tmp_path / "deploy.sh").write_bytes(TEXT_FORMS[form])
    (tmp_path / "logo.bin").write_bytes(_random_binary(20000))
    code, doc = _scan(tmp_path)
    assert code == 1
    found = sorted((f["kind"], f["line"]) for f in doc["findings"])
    assert found == [("access_key_id", 2), ("secret_access_key", 3)]
    assert all(f["path"] == "deploy.sh" for f in doc["findings"])
    assert doc["stats"]["skipped_by_reason"] == {"binary": 1}  # the binary is counted, not hidden
    assert [s["path"] for s in doc["skipped"]] == ["logo.bin"]


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (_random_binary(9000), True),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + _random_binary(5000), True),
        (b"\0\x01\x02\x03\x04\x05" * 2000, True),
        (b"plain text\n" * 100, False),
        (b"text\0with a stray NUL\n" * 100, False),
        (b"\xff\xfe caf\xe9 latin-1, no NUL\n", False),
        ("UTF-16 without BOM\n".encode("utf-16-le") * 50, False),
        ("UTF-16 without BOM\n".encode("utf-16-be") * 50, False),
    ],
)
def test_text_kind(data: bytes, binary: bool) -> None:
    assert text_kind(data).binary is binary
    assert (as_scannable(data) is None) is binary


def test_large_utf16_file_read_in_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files above the window size are decoded window by window; line numbers stay right."""
    monkeypatch.setattr(worktree, "CHUNK", 4096)
    monkeypatch.setattr(worktree, "OVERLAP", 512)
    body = "filler line\n" * 2000 + SCRIPT
    path = tmp_path / "big.sh"
    path.write_bytes(body.encode("utf-16-le"))
    result = worktree.scan_file(str(path), "big.sh", max_size=10**8, inline_ignores=True)
    assert result.skipped is None
    assert sorted((f.kind, f.location.line) for f in result.findings) == [
        (CredentialKind.ACCESS_KEY_ID, 2002),
        (CredentialKind.SECRET_ACCESS_KEY, 2003),
    ]


# Every line terminator some language keyshift reads honours, as UTF-8 bytes.
TERMINATORS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
FILLER = st.text(alphabet="abcxyz =#é€Å日", max_size=12)  # Å is C3 85 in UTF-8: not a NEL


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(st.tuples(FILLER, st.sampled_from(TERMINATORS)), max_size=4),
    sep=st.sampled_from(TERMINATORS),
    marker=st.sampled_from(["# keyshift: allow", "# pragma: allowlist secret", "// gitleaks:allow"]),
)
def test_allow_comment_stays_on_its_line(before: list[tuple[str, str]], sep: str, marker: str) -> None:
    head = "".join(text + term for text, term in before)
    text = f"{head}x = 1  {marker}{sep}aws_secret_access_key = '{SECRET}'\n"
    found = detect_bytes(text.encode("utf-8"), "app.py")
    assert [f.kind for f in found] == [CredentialKind.SECRET_ACCESS_KEY]
    assert found[0].suppressed is None  # the allow comment is on another line
    assert found[0].line == len(text.splitlines())  # the secret is on the last line
    same_line = f"{head}aws_secret_access_key = '{SECRET}'  {marker}\n"
    assert [f.suppressed for f in detect_bytes(same_line.encode("utf-8"), "app.py")] == ["inline-allow"]


@settings(max_examples=100, deadline=None)
@given(sep=st.sampled_from(TERMINATORS), gap=st.sampled_from(TERMINATORS))
def test_allow_next_line_reaches_only_the_next_line(sep: str, gap: str) -> None:
    text = f"# keyshift: allow-next-line{sep}x = 1{gap}aws_secret_access_key = '{SECRET}'\n"
    found = detect_bytes(text.encode("utf-8"), "app.py")
    assert [(f.line, f.suppressed) for f in found] == [(3, None)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FILLER, st.sampled_from(TERMINATORS)), max_size=8))
def test_one_line_splitter_matches_the_languages(parts: list[tuple[str, str]]) -> None:
    text = "".join(a + b for a, b in parts)
    data = text.encode("utf-8")
    expected = text.splitlines()
    assert [line.encode("latin-1").decode("utf-8") for line in split_lines(data.decode("latin-1"))][
        : len(expected)
    ] == expected
    assert count_breaks(data) == len((text + "x").splitlines()) - 1


@pytest.mark.parametrize("form", ["one-nul-at-top", "utf16-le", "utf16-be-bom"])
def test_history_scans_deleted_text_with_nuls_or_utf16(form: str, tmp_path: Path) -> None:
    """The same decision in history: a deleted NUL-bearing or UTF-16 script is still reported."""
    from tests.conftest import git, init_repo

    repo = init_repo(tmp_path / "repo")
    (repo / "deploy.sh").write_bytes(TEXT_FORMS[form])
    (repo / "logo.bin").write_bytes(_random_binary(20000))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "add")
    git(repo, "rm", "-q", "deploy.sh")
    git(repo, "commit", "-qm", "remove")
    result = CliRunner().invoke(app, ["scan", str(repo), "--history", "--format", "json"])
    doc = json.loads(result.stdout)
    found = sorted((f["kind"], f["line"], f["source"]) for f in doc["findings"])
    assert found == [("access_key_id", 2, "history"), ("secret_access_key", 3, "history")]
    assert doc["stats"]["skipped_binary"] == 1


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.characters(blacklist_categories=()), max_size=300),
    path=st.sampled_from(["a.py", "Dockerfile", "c.yaml", "blob"]),
)
def test_any_text_with_any_terminator_never_crashes(text: str, path: str) -> None:
    from keyshift.detect import detect_text

    key_line = f"{text}\naws_access_key_id = {KEY}{text}\u2028aws_secret_access_key = {SECRET}\r"
    found = detect_text(key_line, path)
    assert all(f.line >= 1 for f in found)
