"""Every history kind on real repositories: the reported commit, path, line, author and spread are exact."""

from __future__ import annotations

import pytest
from history_helpers import Repo, by_key, py_client, scan

from keyshift.config import Config
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.model import SourceKind

K1, S1 = fake_key_id("111122223333", seed="h1"), fake_secret("h1")
K2, S2 = fake_key_id("444455556666", seed="h2"), fake_secret("h2")
K3 = fake_key_id("777788889999", seed="h3")


def test_deleted_file(repo: Repo) -> None:
    repo.write("README.md", "hello\n")
    repo.commit("init")
    repo.write("app/aws.py", py_client(K1, S1))
    added = repo.commit("add client")
    (repo.path / "app/aws.py").unlink()
    repo.commit("remove client")
    result = scan(repo.path)
    [finding] = by_key(result)[K1]
    assert finding.location.commit == added
    assert finding.path == "app/aws.py"
    assert finding.line == 3
    assert finding.source is SourceKind.HISTORY
    assert finding.history is not None
    assert finding.history.commit == added
    assert finding.history.author == "Dev One <dev1@example.invalid>"
    assert finding.history.date == "2024-01-01T02:00:00+00:00"
    assert finding.history.in_head is False
    assert (finding.history.commits, finding.history.paths) == (1, 1)
    secrets = [f for f in result.findings if f.rule_id == "KS002"]
    assert [s.location.commit for s in secrets] == [added]
    assert result.stats["commits"] == 3
    assert result.errors == ()


def test_scrubbed_line_keeps_the_commit_that_added_it(repo: Repo) -> None:
    repo.write("settings.ini", "[default]\nregion = eu-west-1\n")
    repo.commit("init")
    repo.write("settings.ini", f"[default]\nregion = eu-west-1\naws_access_key_id = {K1}\n")
    added = repo.commit("oops")
    repo.write("settings.ini", "[default]\nregion = eu-west-2\nprofile = prod\n")
    repo.commit("scrub")
    [finding] = by_key(scan(repo.path))[K1]
    assert (finding.location.commit, finding.path, finding.line) == (added, "settings.ini", 3)
    assert finding.history is not None and finding.history.in_head is False


def test_still_at_head_after_unrelated_edits(repo: Repo) -> None:
    repo.write("conf.py", f'KEY = "{K1}"\n')
    added = repo.commit("add")
    repo.write("conf.py", f'# settings\nKEY = "{K1}"\nDEBUG = True\n')
    repo.commit("edit around it")
    [finding] = by_key(scan(repo.path))[K1]
    assert finding.location.commit == added
    assert finding.line == 1  # the line in the blob of the introducing commit
    assert finding.history is not None
    assert finding.history.in_head is True
    assert finding.history.commits == 2


def test_side_branch_never_merged(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "feature/x")
    repo.write("deploy/env", f"AWS_ACCESS_KEY_ID={K1}\n")
    added = repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("a.txt", "b\n")
    repo.commit("main moves on")
    [finding] = by_key(scan(repo.path))[K1]
    assert (finding.location.commit, finding.path) == (added, "deploy/env")
    assert finding.history is not None and finding.history.in_head is False


def test_tag_only_commit(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.git("checkout", "-q", "--detach")
    repo.write("release.cfg", f"key={K1}\n")
    tagged = repo.commit("release build")
    repo.git("tag", "-a", "v1.0", "-m", "release")
    repo.git("checkout", "-q", "main")
    [finding] = by_key(scan(repo.path))[K1]
    assert finding.location.commit == tagged


def test_tags_pointing_at_a_blob_or_a_tree(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("init")
    blob = repo.git("hash-object", "-w", "--stdin", input=f"AWS_ACCESS_KEY_ID={K1}\n".encode()).strip()
    repo.git("tag", "-a", "leaked-blob", blob, "-m", "a blob")
    tree_blob = repo.git("hash-object", "-w", "--stdin", input=f"key={K2}\n".encode()).strip()
    inner = repo.git("mktree", input=f"100644 blob {tree_blob}\tkeys.cfg\n".encode()).strip()
    tree = repo.git("mktree", input=f"040000 tree {inner}\tconf\n".encode()).strip()
    repo.git("tag", "leaked-tree", tree)
    result = scan(repo.path)
    keys = by_key(result)
    assert keys[K1][0].path == "refs/tags/leaked-blob"
    assert keys[K2][0].path == "refs/tags/leaked-tree:conf/keys.cfg"
    for key in (K1, K2):
        assert keys[key][0].location.commit is None
    assert keys[K1][0].history is not None and keys[K1][0].history.author == "Dev One <dev1@example.invalid>"
    assert result.stats["unreachable_blobs"] == 0
    assert not any(f.source is SourceKind.UNREACHABLE for f in result.findings)


def test_remote_tracking_ref_only(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.git("checkout", "-q", "--detach")
    repo.write("remote.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    remote = repo.commit("pushed elsewhere")
    repo.git("update-ref", "refs/remotes/origin/ops", remote)
    repo.git("checkout", "-q", "main")
    assert by_key(scan(repo.path))[K1][0].location.commit == remote


def test_merged_side_branch_is_attributed_to_the_side_commit(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("side.py", f'K = "{K1}"\n')
    side = repo.commit("side adds key")
    repo.git("checkout", "-q", "main")
    repo.write("a.txt", "main\n")
    repo.commit("main change")
    repo.tick += 1
    repo.git("merge", "-q", "--no-ff", "side", "-m", "merge side")
    [finding] = by_key(scan(repo.path))[K1]
    assert finding.location.commit == side
    assert finding.history is not None and finding.history.in_head is True


def test_key_typed_while_resolving_a_merge_is_the_merge(repo: Repo) -> None:
    repo.write("c.cfg", "value = 0\n")
    repo.commit("init")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("c.cfg", "value = 1\n")
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("c.cfg", "value = 2\n")
    repo.commit("main")
    repo.tick += 1
    with pytest.raises(AssertionError):
        repo.git("merge", "-q", "side", "-m", "merge")  # a real conflict
    repo.write("c.cfg", f"value = 3\naws_access_key_id = {K1}\n")
    merge = repo.commit("resolve")
    assert len(repo.git("rev-list", "--parents", "-n1", merge).split()) == 3
    [finding] = by_key(scan(repo.path))[K1]
    assert finding.location.commit == merge


def test_rename_keeps_the_original_commit_and_counts_both_paths(repo: Repo) -> None:
    repo.write("old/creds.py", py_client(K1, S1))
    added = repo.commit("add")
    (repo.path / "new").mkdir()
    repo.git("mv", "old/creds.py", "new/creds.py")
    repo.commit("move")
    repo.write("new/creds.py", "# moved and edited\n" + py_client(K1, S1))
    repo.commit("edit after move")
    [finding] = by_key(scan(repo.path))[K1]
    assert (finding.location.commit, finding.path) == (added, "old/creds.py")
    assert finding.history is not None
    assert finding.history.paths == 2
    assert finding.history.in_head is True


def test_copy_to_another_file_is_a_second_location(repo: Repo) -> None:
    repo.write("a.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    first = repo.commit("a")
    repo.write("b.env", f"AWS_ACCESS_KEY_ID={K1}\n")
    second = repo.commit("copy")
    found = sorted((f.path, f.location.commit) for f in by_key(scan(repo.path))[K1])
    assert found == [("a.env", first), ("b.env", second)]


def test_removed_and_readded_reports_the_first_introduction(repo: Repo) -> None:
    repo.write("x.cfg", f"id={K1}\n")
    first = repo.commit("add")
    repo.write("x.cfg", "id=\n")
    repo.commit("remove")
    repo.write("x.cfg", f"id={K1}\n")
    repo.commit("re-add")
    [finding] = by_key(scan(repo.path))[K1]
    assert finding.location.commit == first
    assert finding.history is not None and finding.history.commits == 2


def test_binary_blobs_are_skipped_and_counted(repo: Repo) -> None:
    repo.write("img.bin", b"\x89PNG\0\0" + K1.encode() + b"\0")
    repo.write("ok.txt", f"key {K2}\n")
    repo.commit("add")
    result = scan(repo.path)
    assert set(by_key(result)) == {K2}
    assert result.stats["skipped_binary"] == 1


def test_unstaged_and_staged_stash_entries(repo: Repo) -> None:
    repo.write("app.cfg", "x=1\n")
    repo.commit("init")
    repo.write("app.cfg", f"x=1\nkey={K1}\n")
    repo.git("stash", "push", "-q", "-m", "unstaged")
    older_stash = repo.head("stash@{0}")
    repo.write("staged.cfg", f"key={K2}\n")
    repo.git("add", "staged.cfg")
    repo.git("stash", "push", "-q", "-m", "staged")
    newer_index = repo.head("stash@{0}^2")
    keys = by_key(scan(repo.path))
    # the older entry is only in refs/stash's reflog
    assert keys[K1][0].location.commit == older_stash
    assert keys[K2][0].location.commit == newer_index


def test_unreachable_blob_is_found_with_its_own_source(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("init")
    blob = repo.git("hash-object", "-w", "--stdin", input=f"key={K1}\n".encode()).strip()
    result = scan(repo.path)
    [finding] = by_key(result)[K1]
    assert (finding.source, finding.path, finding.location.commit) == (SourceKind.UNREACHABLE, blob, None)
    assert result.stats["unreachable_blobs"] == 1
    repo.write("b.txt", f"key={K2}\n")
    repo.commit("reachable")
    result = scan(repo.path)
    assert set(by_key(result)) == {K1, K2}
    assert by_key(result)[K2][0].source is SourceKind.HISTORY
    assert result.stats["unreachable_blobs"] == 1


def test_example_keys_and_lookalikes_are_not_reported(repo: Repo) -> None:
    repo.write(
        "docs.md",
        "Use AKIAIOSFODNN7EXAMPLE as in the AWS docs.\n"
        "Not a key: AKIA1234 or XAKIAABCDEFGHIJKLMNOP or akia" + "a" * 16 + "\n",
    )
    repo.commit("docs")
    result = scan(repo.path)
    assert by_key(result) == {}
    assert all(f.suppressed for f in result.findings)


def test_dockerfile_keeps_its_carrier(repo: Repo) -> None:
    repo.write("Dockerfile", f"FROM python:3.12\nENV AWS_ACCESS_KEY_ID={K1} AWS_SECRET_ACCESS_KEY={S1}\n")
    added = repo.commit("docker")
    repo.write("Dockerfile", "FROM python:3.12\n")
    repo.commit("clean")
    findings = [f for f in scan(repo.path).findings if f.key_id == K1]
    assert {f.kind.value for f in findings} == {"access_key_id", "secret_access_key"}
    for finding in findings:
        assert (finding.location.commit, finding.path, finding.line) == (added, "Dockerfile", 2)
        assert finding.carrier == "dockerfile"
        assert finding.rule_id == "KS101"
    assert finding.source is SourceKind.HISTORY


def test_exclude_and_max_file_size(repo: Repo) -> None:
    repo.write("fixtures/keys.txt", f"key={K1}\n")
    repo.write("big.txt", "x" * 5000 + f"\nkey={K2}\n")
    repo.write("small.txt", f"key={K3}\n")
    repo.commit("add")
    repo.write("deep/vendor/keys.txt", f"key={K1}\n")
    repo.commit("vendored")
    result = scan(repo.path, Config(exclude=("fixtures/**", "vendor"), max_file_size=4096))
    assert set(by_key(result)) == {K3}
    assert result.stats["skipped_too_large"] == 1
    assert [s.reason.split(" (")[0] for s in result.skipped] == ["larger than max-file-size"]


def test_key_split_across_python_literals(repo: Repo) -> None:
    repo.write("split.py", f'KEY = ("{K1[:10]}"\n       "{K1[10:]}")\n')
    added = repo.commit("split")
    repo.write("split.py", "KEY = None\n")
    repo.commit("gone")
    keys = {f.key_id: f.location.commit for f in scan(repo.path).findings}
    assert keys == {K1: added}


def test_inline_allow_is_kept_as_suppressed(repo: Repo) -> None:
    repo.write("t.py", f'K = "{K1}"  # pragma: allowlist secret\n')
    added = repo.commit("allowed")
    result = scan(repo.path)
    [finding] = [f for f in result.findings if f.key_id == K1 and f.rule_id == "KS001"]
    assert finding.suppressed is not None
    assert finding.location.commit == added


@pytest.mark.parametrize("jobs", [1, 2])
def test_parallel_readers_agree_with_one(repo: Repo, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyshift.sources.blobpass as blobpass

    monkeypatch.setattr(blobpass, "_IN_PROCESS", 0)  # a pool even for a few bytes
    monkeypatch.setattr(blobpass, "_PIECE_MIN", 1)  # pieces as short as the shares make them
    expected = {}
    for i in range(12):
        key = fake_key_id("123456789012", seed=f"p{i}")
        repo.write(f"f{i % 4}.cfg", f"n={i}\nkey={key}\n")
        expected[key] = repo.commit(f"c{i}")
    result = scan(repo.path, Config(jobs=jobs))
    assert {k: v[0].location.commit for k, v in by_key(result).items()} == expected
    assert result.stats["blobs"] == 12


def test_unusual_paths_and_hostile_user_config(repo: Repo) -> None:
    for key, value in [
        ("color.ui", "always"),
        ("log.showSignature", "true"),
        ("log.decorate", "full"),
        ("diff.noprefix", "true"),
        ("diff.renames", "copies"),
        ("core.quotePath", "true"),
        ("diff.external", "false"),
    ]:
        repo.git("config", key, value)
    names = ["dir with space/naïve.env", 'quote"and\ttab.cfg', "-dash.txt"]
    expected = {}
    for i, name in enumerate(names):
        key = fake_key_id("123456789012", seed=f"u{i}")
        repo.write(name, f"AWS_ACCESS_KEY_ID={key}\n")
        expected[key] = (name, repo.commit(f"add {i}"))
    found = {k: (v[0].path, v[0].location.commit) for k, v in by_key(scan(repo.path)).items()}
    assert found == expected


def test_progress_reports_listing_scanning_and_walking(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyshift.sources.blobpass as blobpass

    monkeypatch.setattr(blobpass, "_IN_PROCESS", 0)
    monkeypatch.setattr(blobpass, "_PIECE_MIN", 1)
    for i in range(3):
        repo.write(f"f{i}.env", f"AWS_ACCESS_KEY_ID={fake_key_id('123456789012', seed=f'pb{i}')}\n")
        repo.commit(f"c{i}")
    said = Recorder()
    result = scan(repo.path, Config(jobs=2), progress=said)
    assert len(by_key(result)) == 3
    assert [name for name, _, _ in said.phases] == ["listing blobs", "scanning blobs", "walking commits"]
    assert said.done["listing blobs"] == 3  # three blobs, one per commit
    total = said.phases[1][1]
    assert total is not None and said.done["scanning blobs"] == total > 0  # bytes, all of them
    assert said.done["walking commits"] == 3


class Recorder:
    """A reporter that remembers every phase and how far each got."""

    shown = True

    def __init__(self) -> None:
        self.phases: list[tuple[str, int | None, str]] = []
        self.done: dict[str, int] = {}

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        self.phases.append((name, total, unit))
        self.done[name] = 0

    def advance(self, amount: int = 1) -> None:
        self.done[self.phases[-1][0]] += amount
