"""What ships in the image: git-ignored files that a Dockerfile's COPY/ADD takes from its context.

Docker filters the build context with ``.dockerignore`` (not ``.gitignore``), so a ``.env``
hidden from git but copied by ``COPY . /app`` is in every image built from the tree.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keyshift.cli import app
from keyshift.fakes import fake_key_id, fake_secret
from keyshift.sources.buildcontext import Copy, DockerIgnore, copied_by, parse_copies

K, S = fake_key_id("111122223333", seed="bc"), fake_secret("bc")
ENV = f"AWS_ACCESS_KEY_ID={K}\nAWS_SECRET_ACCESS_KEY={S}\n"
runner = CliRunner()


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        check=True,
        capture_output=True,
    )


def _tree(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    _git(root, "init", "-q")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "init", "--allow-empty")
    return root


def _scan(root: Path) -> tuple[int, dict[str, object]]:
    result = runner.invoke(app, ["scan", str(root), "-f", "json", "-q"])
    assert S not in result.stdout
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # the classic: .gitignore hides .env, COPY . ships it
        ({".gitignore": ".env\n", "Dockerfile": "FROM x\nCOPY . /app\n", ".env": ENV}, {".env": 2}),
        # .dockerignore keeps it out of the context
        (
            {
                ".gitignore": ".env\n",
                ".dockerignore": ".env\n",
                "Dockerfile": "FROM x\nCOPY . /app\n",
                ".env": ENV,
            },
            {},
        ),
        # a `!` exception brings it back, `**` reaches into folders
        (
            {
                ".gitignore": "*.env\n",
                ".dockerignore": "**/*.env\n!conf/prod.env\n",
                "Dockerfile": "FROM x\nRUN true\nADD conf /etc/app\n",
                "conf/prod.env": ENV,
                "conf/dev.env": ENV,
            },
            {"conf/prod.env": 3},
        ),
        # only what COPY names ships; --from copies from a stage, not the context
        (
            {
                ".gitignore": "*.env\nlocal/\n",
                "Dockerfile": "FROM x AS b\nCOPY --from=b / /\nCOPY app.py \\\n  /app/\n",
                "local/.env": ENV,
                "app.py": "print(1)\n",
            },
            {},
        ),
        # a context in a subfolder: the Dockerfile's own folder, its own .dockerignore
        (
            {
                ".gitignore": "secrets.txt\n",
                "svc/Dockerfile": 'FROM x\nCOPY ["secrets.txt", "/run/"]\n',
                "svc/secrets.txt": ENV,
                "secrets.txt": ENV,
            },
            {"svc/secrets.txt": 2},
        ),
    ],
    ids=["copy-dot", "dockerignored", "exception-and-globstar", "named-sources", "subfolder-json-form"],
)
def test_ignored_files_copied_into_the_image(
    tmp_path: Path, files: dict[str, str], expected: dict[str, int]
) -> None:
    root = _tree(tmp_path / "repo", files)
    code, doc = _scan(root)
    findings = doc["findings"]
    assert isinstance(findings, list)
    got = {f["path"]: f for f in findings}
    assert set(got) == set(expected)
    assert code == (1 if expected else 0)
    for path, line in expected.items():
        dockerfile = next(p for p in files if p.endswith("Dockerfile"))
        assert got[path]["note"] == f"untracked but copied into the image by {dockerfile}:{line}"


def test_tracked_file_reported_once(tmp_path: Path) -> None:
    root = _tree(tmp_path / "repo", {"Dockerfile": "FROM x\nCOPY . /app\n", "app.env": ENV})
    code, doc = _scan(root)
    findings = doc["findings"]
    assert isinstance(findings, list)
    assert code == 1 and len(findings) == 2
    assert all("copied into the image" not in (f.get("note") or "") for f in findings)


def test_symlinked_secret_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.env"
    outside.write_text(ENV)
    root = _tree(tmp_path / "repo", {".gitignore": "*.env\n", "Dockerfile": "FROM x\nCOPY . /app\n"})
    (root / "link.env").symlink_to(outside)
    code, doc = _scan(root)
    assert code == 0 and doc["findings"] == []


@pytest.mark.parametrize(
    ("rules", "path", "excluded"),
    [
        ("*.env", ".env", True),
        ("*.env", "a/.env", False),
        ("**/*.env", "a/b/.env", True),
        ("**", "anything/at/all", True),
        ("secrets", "secrets/key.txt", True),
        ("/secrets/", "secrets/key.txt", True),
        ("./secrets", "secrets/key.txt", True),
        ("*\n!keep.txt", "keep.txt", False),
        ("*\n!keep.txt\nkeep.txt", "keep.txt", True),
        ("a/**/c", "a/c", True),
        ("a/**/c", "a/x/y/c", True),
        ("# comment\n\n", "x", False),
        ("[ab].txt", "b.txt", True),
        ("?.txt", "ab.txt", False),
    ],
)
def test_dockerignore_rules(rules: str, path: str, excluded: bool) -> None:
    assert DockerIgnore(rules).excludes(path) is excluded


@pytest.mark.parametrize(
    ("dockerfile", "path", "copied"),
    [
        ("COPY . /app", "deep/x.env", True),
        ("COPY ./ /app", "x.env", True),
        ("COPY *.env /app/", "x.env", True),
        ("COPY *.env /app/", "d/x.env", False),
        ("ADD conf/ /etc/", "conf/a/b.ini", True),
        ("COPY --chown=1:1 src /app", "src/a", True),
        ("COPY --from=build /out /app", "out/a", False),
        ("ADD https://example.invalid/x /x", "x", False),
        ("COPY --exclude=*.env . /app", "x.env", False),
        ("# escape=`\nCOPY a `\n  b /dst", "b", True),
    ],
)
def test_copy_sources(dockerfile: str, path: str, copied: bool) -> None:
    # parser directives (# escape=) must come first, as Docker reads them
    copies = parse_copies(f"{dockerfile}\n" if dockerfile.startswith("#") else f"FROM x\n{dockerfile}\n")
    assert any(copied_by(path, c) for c in copies) is copied


def test_copy_line_is_the_instruction_start() -> None:
    [copy] = parse_copies("FROM x\n\n# note\nCOPY \\\n  a \\\n  /dst\n")
    assert copy == Copy(4, ("a",))
