"""Model-based: random edit sequences on a real repository against a plain-Python model of attribution."""

from __future__ import annotations

import tempfile
from pathlib import Path

from history_helpers import Repo, scan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyshift.fakes import fake_key_id

KEYS = [fake_key_id("123456789012", seed=f"prop{i}") for i in range(4)]
FILES = ["a.cfg", "dir/b.env", "c.txt"]

# one commit = the new set of keys in each file
snapshots = st.lists(
    st.tuples(*[st.frozensets(st.sampled_from(KEYS), max_size=3) for _ in FILES]), min_size=1, max_size=6
)


def _expected(history: list[tuple[frozenset[str], ...]], shas: list[str]) -> dict[tuple[str, str], str]:
    """(key, path) -> first commit that introduced the key at that path, not moving it from another file."""
    first: dict[tuple[str, str], str] = {}
    before: tuple[frozenset[str], ...] = tuple(frozenset() for _ in FILES)
    for state, sha in zip(history, shas, strict=True):
        removed = set().union(*(before[i] - state[i] for i in range(len(FILES))))
        for i, path in enumerate(FILES):
            for key in state[i] - before[i]:
                if key not in removed:
                    first.setdefault((key, path), sha)
        before = state
    return first


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=snapshots)
def test_attribution_matches_the_model(history: list[tuple[frozenset[str], ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Repo(Path(tmp) / "r")
        shas = []
        for n, state in enumerate(history):
            for path, keys in zip(FILES, state, strict=True):
                repo.write(path, f"# rev {n}\n" + "".join(f"key = {k}\n" for k in sorted(keys)))
            shas.append(repo.commit(f"c{n}"))
        result = scan(repo.path)
        got = {(f.key_id, f.path): f.location.commit for f in result.findings if f.rule_id == "KS001"}
        assert got == _expected(history, shas)
        at_head = set().union(*history[-1])
        for f in result.findings:
            assert f.history is not None
            assert f.history.in_head == (f.key_id in at_head)
