"""Builders for hostile git repositories (shared by the git-runner security tests).

Every builder makes a real repository with real ``git``; the hostile parts (config keys that
name programs, attribute drivers, hooks) are added after the setup commits, so the setup itself
never runs them and any marker file that appears was created by keyshift.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from keyshift.fakes import fake_key_id, fake_secret

KEY = fake_key_id("123456789012", seed="hostile-git")
SECRET = fake_secret("hostile-git")
OLD_KEY = fake_key_id("123456789012", seed="hostile-git-old")
OLD_SECRET = fake_secret("hostile-git-old")

_ENV = {
    "GIT_AUTHOR_NAME": "T",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "T",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}

#: every git config key that names a program, with the value's shape ({p} = payload command)
EXEC_KEYS: dict[str, str] = {
    "core.fsmonitor": "{p} fsmonitor",
    "core.pager": "{p} pager",
    "core.askPass": "{p} askpass",
    "core.sshCommand": "{p} sshcommand",
    "core.editor": "{p} editor",
    "core.gitProxy": "{p} gitproxy",
    "core.alternateRefsCommand": "{p} alternaterefs",
    "credential.helper": "!{p} credential",
    "diff.external": "{p} diffexternal",
    "diff.evil.textconv": "{p} textconv",
    "diff.evil.command": "{p} diffcommand",
    "filter.evil.clean": "{p} clean",
    "filter.evil.smudge": "{p} smudge",
    "filter.evil.process": "{p} process",
    "filter.evil.required": "true",
    "gpg.program": "{p} gpg",
    "gpg.ssh.program": "{p} gpgssh",
    "log.showSignature": "true",
    "uploadpack.packObjectsHook": "{p} packobjectshook",
    "remote.origin.uploadpack": "{p} uploadpack",
    "remote.origin.receivepack": "{p} receivepack",
    "sequence.editor": "{p} sequenceeditor",
    "pager.log": "{p} pagerlog",
    "pager.ls-files": "{p} pagerlsfiles",
    "core.untrackedCache": "true",
    "core.hooksPath": "{hooks}",
}

HOOKS = (
    "pre-commit", "post-checkout", "post-merge", "post-index-change", "reference-transaction",
    "fsmonitor-watchman", "pre-auto-gc", "post-rewrite", "pre-push", "push-to-checkout",
)  # fmt: skip


def git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        env={**os.environ, **_ENV},
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {args[0]} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8", "surrogateescape")


def payload(markers: Path) -> Path:
    """A program that records that it ran (``markers/<name>``) and then behaves like a no-op."""
    markers.mkdir(parents=True, exist_ok=True)
    script = markers.parent / "payload.sh"
    script.write_text(f'#!/bin/sh\ntouch "{markers}/ran-$1"\ncat >/dev/null 2>&1 </dev/null\nexit 0\n')
    script.chmod(0o755)
    return script


def init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    return path


def commit(repo: Path, files: dict[str, str], message: str) -> None:
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", message)


def app_code(key: str, secret: str) -> str:
    return (
        "import boto3\n\n"
        f'client = boto3.client("s3", aws_access_key_id="{key}", aws_secret_access_key="{secret}")\n\n'
        'def get(k):\n    return client.get_object(Bucket="b", Key=k)\n'
    )


def hostile_repo(root: Path, markers: Path) -> Path:
    """A repository with a key at HEAD, one in history, a staged change, local edits, and every exec key set."""
    repo = init(root)
    commit(repo, {"old.py": app_code(OLD_KEY, OLD_SECRET)}, "old key")
    git(repo, "rm", "-q", "old.py")
    git(repo, "commit", "-q", "--no-gpg-sign", "-m", "drop old key")
    commit(
        repo,
        {
            ".gitattributes": "* filter=evil diff=evil merge=evil\n",
            "app/aws.py": app_code(KEY, SECRET),
            "README.md": "hello\n",
        },
        "app",
    )
    (repo / "staged.py").write_text(app_code(KEY, SECRET))
    git(repo, "add", "staged.py")
    # the hostile part, after every setup command
    script = payload(markers)
    hooks = root.parent / f"{root.name}-hooks"
    hooks.mkdir(exist_ok=True)
    for name in HOOKS:
        for folder in (hooks, repo / ".git" / "hooks"):
            hook = folder / name
            hook.write_text(f'#!/bin/sh\n"{script}" hook-{name}\n')
            hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    for key, value in EXEC_KEYS.items():
        git(repo, "config", key, value.format(p=script, hooks=hooks))
    included = root.parent / f"{root.name}-included.cfg"
    included.write_text(f"[core]\n\tfsmonitor = {script} fsmonitor-included\n")
    git(repo, "config", "include.path", str(included))
    # local edits: a modified tracked file and an untracked one (what status/fsmonitor look at)
    (repo / "README.md").write_text("hello, edited\n")
    (repo / "untracked.py").write_text(app_code(KEY, SECRET))
    return repo


def ran(markers: Path) -> list[str]:
    return sorted(p.name for p in markers.iterdir()) if markers.exists() else []


def keyshift(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 240):
    """``python -m keyshift ARGS`` in a real process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "keyshift", *args],
        capture_output=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
