"""Entry points and workloads stay linear on hostile repositories (round 4 attack pass).

Before: 100,000 ``A=1`` words before a command (``pop(0)`` and an environment copy per word),
a wrapper's options dropped one slice at a time, a Dockerfile of 20,000 stages each ``FROM``
the last (every stage copied its base's files: 7 s, then minutes) or ``COPY --from`` chains,
and ``plan`` on 400 workloads (every file against every workload, once per workload: a minute).
Each shape is built at n and 4n; 4n must cost less than ``RATIO`` times n in CPU time.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.security.linear import assert_linear

from keyshift.planner import entrypoints as ep
from keyshift.planner.build import _holder
from keyshift.planner.deploy import Service


def _dockerfile_chain(k: int) -> str:
    return "".join(f"FROM s{i - 1} AS s{i}\nCOPY a{i} /b{i}\n" for i in range(k))


def _copy_from_chain(k: int) -> str:
    head = "FROM x AS s0\n" + "".join(f"COPY a{j} /b{j}\n" for j in range(50))
    return head + "".join(f"FROM y AS s{i}\nCOPY --from=s{i - 1} / /\nCOPY c /c{i}\n" for i in range(1, k))


OUT = ep.Outcome()
SHAPES: dict[str, Callable[[int], Callable[[], object]]] = {
    "assignments": lambda k: lambda: ep.interpret([*(f"A{i}=1" for i in range(k)), "flask", "run"], "/", {}, OUT),
    "wrapper-options": lambda k: lambda: ep.interpret(["exec", *["-a"] * k, "python", "x.py"], "/", {}, ep.Outcome()),
    "runner-words": lambda k: lambda: ep.interpret(["poetry", *["x"] * k], "/", {}, ep.Outcome()),
    "shell-assignments": lambda k: lambda: ep.shell(" ".join(f"A{i}=1" for i in range(k)) + " python x.py", "/", {},
                                                    ep.Outcome(), 0, []),
    "stage-chain": lambda k: lambda: ep.parse_dockerfile(_dockerfile_chain(k), "Dockerfile"),
    "copy-from-chain": lambda k: lambda: ep.parse_dockerfile(_copy_from_chain(k // 4), "Dockerfile"),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_entry_point_shapes_are_linear(shape: str) -> None:
    assert_linear(SHAPES[shape], 3000)


def test_commands_still_read_their_environment_and_wrappers() -> None:
    out = ep.Outcome()
    ep.interpret(["A=1", "FLASK_APP=web.app", "exec", "-a", "FOO=1", "flask", "run"], "/srv", {}, out)
    assert [(t.kind, t.name) for t in out.targets][:1] == [("module", "web.app")], out
    out = ep.Outcome()
    ep.interpret(["poetry", "-q", "run", "python", "main.py"], "/srv", {}, out)
    assert [t.name for t in out.targets] == ["/srv/main.py"], out


def _old_holder(services: list[Service], path: str) -> Service | None:
    holders = [s for s in services if not s.directory or path.startswith(s.directory + "/")]
    return max(holders, key=lambda s: len(s.directory)) if holders else None


_FOLDER = st.lists(st.sampled_from(["a", "b", "ab", "a.b"]), max_size=3).map("/".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FOLDER, max_size=8), st.lists(_FOLDER, min_size=1, max_size=8))
def test_holder_is_the_deepest_first_service(folders: list[str], paths: list[str]) -> None:
    services = [Service(f"s{i}", folder) for i, folder in enumerate(folders)]
    for path in paths:
        for file in (f"{path}/x.py" if path else "x.py", path):
            assert _holder(services, file) is _old_holder(services, file)


def test_holder_is_linear_in_workloads() -> None:
    def make(k: int) -> Callable[[], object]:
        services = [Service(f"s{i}", f"svc{i}") for i in range(k)]
        paths = [f"svc{i}/app.py" for i in range(k)]
        return lambda: [_holder(services, p) for p in paths]

    assert_linear(make, 3000)


@pytest.mark.parametrize("jobs", [100_000, 10**9])
def test_a_settings_file_cannot_fork_without_bound(jobs: int) -> None:
    import os

    from keyshift import pool

    assert pool.workers(jobs) == pool.MAX_PER_CORE * (os.cpu_count() or 1)
