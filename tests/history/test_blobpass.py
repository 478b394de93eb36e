"""Pass 1's pieces: every blob read exactly once, in pack order, in runs that shrink towards the end."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keyshift.sources import blobpass
from keyshift.sources.git_objects import Blob


def _listing(sizes: list[int]) -> tuple[blobpass._Listing, list[str]]:
    listing = blobpass._Listing()
    shas = [hashlib.sha1(str(i).encode()).hexdigest() for i in range(len(sizes))]
    for sha, size in zip(shas, sizes, strict=True):
        listing.add(Blob(sha, size))
    return listing, shas


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=5000), max_size=200),
    st.integers(min_value=1, max_value=4),
    st.integers(min_value=1, max_value=20000),
)
def test_pieces_cover_every_blob_once_in_order(sizes: list[int], workers: int, smallest: int) -> None:
    listing, shas = _listing(sizes)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blobpass, "_PIECE_MIN", smallest)
        pieces = [blobpass._ids(piece) for piece in listing.pieces(workers)]
    assert [sha for piece in pieces for sha in piece] == shas
    assert all(pieces)
    if workers == 1:
        assert len(pieces) <= 1  # one reader for everything


def test_pieces_shrink_and_stay_few() -> None:
    # 8 GB in 50,000 blobs on 2 workers: long pieces first, few restarts, a short last piece
    listing, _ = _listing([160_000] * 50_000)
    costs = [len(blobpass._ids(piece)) * (160_000 + blobpass._BLOB_COST) for piece in listing.pieces(2)]
    assert costs == sorted(costs, reverse=True)
    assert len(costs) <= 20
    assert costs[-1] <= 2 * blobpass._PIECE_MIN


def test_object_ids_of_two_lengths_are_refused() -> None:
    listing = blobpass._Listing()
    listing.add(Blob("a" * 40, 1))
    with pytest.raises(ValueError, match="unexpected length"):
        listing.add(Blob("b" * 64, 1))
