"""Fixtures for the image tests (helpers live in ``imagebuild``/``imagecases``, not here,
so that no test module imports a ``conftest`` by name)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from imagebuild import Image
from imagecases import Keys, make_keys, write_format


@pytest.fixture
def keys() -> Keys:
    return make_keys()


@pytest.fixture
def build(tmp_path: Path) -> Callable[[str, Image], Path]:
    def _build(fmt: str, image: Image) -> Path:
        sub = tmp_path / fmt
        sub.mkdir(exist_ok=True)
        return write_format(fmt, image, sub)

    return _build


def snapshot(root: Path) -> dict[str, int]:
    out = {}
    for dp, dns, fns in os.walk(root):
        for n in (*dns, *fns):
            full = os.path.join(dp, n)
            out[full] = os.lstat(full).st_size
    return out


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Scans run with cwd and TMPDIR inside the test's tree; afterwards only the inputs may exist.

    Hostile member names (``../``, absolute paths, links) must not create anything: the
    working directory and the temp directory end empty and the parent of the test's tree
    holds no new entry.
    """
    import tempfile

    work = tmp_path / "cwd"
    scratch = tmp_path / "scratch"
    work.mkdir()
    scratch.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    parent_before = set(os.listdir(tmp_path.parent))
    yield tmp_path
    assert snapshot(work) == {}, "the scan wrote into the working directory"
    assert snapshot(scratch) == {}, "the scan left files in its temporary directory"
    new = set(os.listdir(tmp_path.parent)) - parent_before
    assert not {n for n in new if "escape" in n or "evil" in n}, f"hostile names escaped: {new}"
