"""A hostile repository whose secrets sit in every encoding and carrier, and a leak finder.

The leak finder computes a secret's forms on its own (not with ``keyshift.redact.encodings``),
so a form the scrubber forgets is a failing test, not a shared blind spot.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import git, init_repo

import keyshift
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token

FRAGMENT = 12
SRC = str(Path(keyshift.__file__).resolve().parents[1])


@dataclass(frozen=True)
class Creds:
    key: str  # at HEAD
    secret: str
    token: str
    old_key: str  # only in history
    old_secret: str

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.secret, self.token, self.old_secret)


def make_creds() -> Creds:
    # a seed whose secret has both "/" and "+" (URL, JSON and base64url forms differ from raw)
    seed = next(
        f"redact-{i}"
        for i in range(1000)
        if "/" in fake_secret(f"redact-{i}") and "+" in fake_secret(f"redact-{i}")
    )
    return Creds(
        key=fake_key_id("123456789012", seed=seed),
        secret=fake_secret(seed),
        token=fake_session_token(seed),
        old_key=fake_key_id("210987654321", seed=f"{seed}-old"),
        old_secret=fake_secret(f"{seed}-old"),
    )


def _b64_inner(value: bytes, prefix: int, alphabet: bytes | None = None) -> str:
    """The base64 characters that ``value`` alone decides when ``prefix`` bytes precede it."""
    encoded = base64.b64encode(b"#" * prefix + value + b"##", altchars=alphabet).decode()
    start = -(-prefix * 8 // 6)
    stop = (prefix + len(value)) * 8 // 6
    return encoded[start:stop]


def forms(secret: str) -> dict[str, str]:
    """Every encoding of ``secret`` the redaction promises to hide, by name."""
    raw = secret.encode()
    quoted = urllib.parse.quote(secret, safe="")
    out = {
        "raw": secret,
        "url-upper": quoted,
        "url-lower": _lower_percent(quoted),
        "url-slash-kept": urllib.parse.quote(secret, safe="/"),
        "form": urllib.parse.quote_plus(secret),
        "json": secret.replace("/", "\\/"),
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
    }
    for prefix in range(3):
        out[f"base64@{prefix}"] = _b64_inner(raw, prefix)
        out[f"base64url@{prefix}"] = _b64_inner(raw, prefix, b"-_")
    return out


def _lower_percent(quoted: str) -> str:
    parts = quoted.split("%")
    return parts[0] + "".join("%" + p[:2].lower() + p[2:] for p in parts[1:])


def leaks(text: str, secrets: Sequence[str]) -> list[str]:
    """What of ``secrets`` shows in ``text``: any 12-character run of any of their forms."""
    found: list[str] = []
    for secret in secrets:
        for name, form in forms(secret).items():
            for i in range(len(form) - FRAGMENT + 1):
                if form[i : i + FRAGMENT] in text:
                    found.append(f"{name} fragment at {i} of sha1:{_sha(secret)}")
                    break
    return found


def _sha(value: str) -> str:
    import hashlib

    return hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()[:12]


def context_lines(c: Creds) -> list[str]:
    """Comment lines carrying the secret in each encoding (and a 14-character fragment)."""
    s = c.secret.encode()
    return [
        f"# base64: {base64.b64encode(s).decode()}",
        f"# base64url: {base64.urlsafe_b64encode(s).decode()}",
        f"# blob1: {base64.b64encode(b'x' + s + b'yz').decode()}",
        f"# blob2: {base64.b64encode(b'xy' + s + b'z').decode()}",
        f"# url: https://example.invalid/?AWSSecretKey={urllib.parse.quote(c.secret, safe='')}",
        f"# url-lower: {_lower_percent(urllib.parse.quote(c.secret, safe=''))}",
        f"# form: {urllib.parse.quote_plus(c.secret)}",
        f"# json: {json.dumps({'secret': c.secret}).replace('/', chr(92) + '/')}",
        f"# hex: {s.hex()}",
        f"# HEX: {s.hex().upper()}",
        f"# part: {c.secret[3:17]}",
    ]


def build_repo(root: Path, c: Creds) -> Path:
    """A git repository with the secrets in every carrier, at HEAD and in history only."""
    repo = init_repo(root)
    (repo / "old").mkdir()
    (repo / "old" / "creds.py").write_text(
        "import boto3\n"
        f'c = boto3.client("s3", aws_access_key_id="{c.old_key}", aws_secret_access_key="{c.old_secret}")\n'
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "old")
    git(repo, "rm", "-q", "-r", "old")
    git(repo, "commit", "-qm", "drop old")

    app = repo / "app"
    app.mkdir()
    lines = ["import boto3", ""]
    for i, comment in enumerate(context_lines(c)):  # every encoding is a context line of a changed line
        lines.append(comment)
        lines.append(
            f'c{i} = boto3.client("s3", aws_access_key_id="{c.key}", aws_secret_access_key="{c.secret}")'
        )
    lines.append("c0.list_buckets()")
    (app / "service.py").write_text("\n".join(lines) + "\n")
    # starred arguments: the note shows the expression (formerly 35 of the secret's 40 characters)
    (app / "star.py").write_text(
        "import boto3\n"
        f'c = boto3.client("s3", *("{c.key}", "{c.secret}"))\n'
        f'd = boto3.Session(*["{c.secret}", "{c.key}"])\n'
    )
    # a split literal the scanner joins
    (app / "split.py").write_text(
        "import boto3\n"
        f'SECRET = "{c.secret[:20]}" + "{c.secret[20:]}"\n'
        f'KEY = "{c.key}"\n'
        'c = boto3.client("sqs", aws_access_key_id=KEY, aws_secret_access_key=SECRET)\n'
        "c.list_queues()\n"
    )
    # an invalid escape next to the secret: compiler warnings echo the line
    (app / "warn.py").write_text(
        "import boto3\n"
        f'SECRET_KEY = "{c.secret}"; PATTERN = "\\d+"\n'
        f'KEY_ID = "{c.key}"\n'
        "c = boto3.client('sns', aws_access_key_id=KEY_ID, aws_secret_access_key=SECRET_KEY)\n"
        "c.list_topics()\n"
    )
    # a file that does not parse, holding the secret
    (app / "broken.py").write_text(f'import boto3\nSECRET = "{c.secret}" +\n')
    (repo / ".env").write_text(
        f"AWS_ACCESS_KEY_ID={c.key}\nAWS_SECRET_ACCESS_KEY={c.secret}\nAWS_SESSION_TOKEN={c.token}\n"
    )
    (repo / "Dockerfile").write_text(
        f"FROM python:3.12\nENV AWS_ACCESS_KEY_ID={c.key} AWS_SECRET_ACCESS_KEY={c.secret}\n"
    )
    (repo / "k8s").mkdir()
    (repo / "k8s" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\ndata:\n"
        f"  aws_access_key_id: {base64.b64encode(c.key.encode()).decode()}\n"
        f"  aws_secret_access_key: {base64.b64encode(c.secret.encode()).decode()}\n"
    )
    (repo / "config.json").write_text(
        json.dumps({"aws_access_key_id": c.key, "aws_secret_access_key": c.secret}).replace("/", "\\/") + "\n"
    )
    taskdef = {
        "family": "orders",
        "containerDefinitions": [
            {
                "name": "orders",
                "image": "orders:1",
                "command": ["run", "--secret", c.secret],
                "environment": [
                    {"name": "AWS_ACCESS_KEY_ID", "value": c.key},
                    {"name": "AWS_SECRET_ACCESS_KEY", "value": c.secret},
                    {"name": "BACKUP_AWS_SECRET_ACCESS_KEY", "value": c.secret},
                    {"name": "AWS_SECURITY_TOKEN", "value": c.token},
                ],
            }
        ],
    }
    (repo / "taskdef.json").write_text(json.dumps(taskdef, indent=2) + "\n")
    # a file named by an encoding of the secret: its name is in every report
    named = base64.urlsafe_b64encode(c.secret.encode()).decode().rstrip("=")
    (repo / f"{named}.env").write_text(f"AWS_ACCESS_KEY_ID={c.key}\nAWS_SECRET_ACCESS_KEY={c.secret}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "service")
    return repo


def run(
    argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m keyshift ARGV`` (or another module when argv starts with ``-m``) in a real process."""
    full_env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    full_env.pop("PYTHONWARNINGS", None)
    full_env.update(env or {})
    command = [sys.executable, *argv] if argv[0] == "-m" else [sys.executable, "-m", "keyshift", *argv]
    return subprocess.run(
        command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=300, check=False
    )


def files_under(folder: Path, skip: Sequence[str] = ()) -> Iterator[tuple[Path, str]]:
    """Every regular file below ``folder`` (except top-level entries named in ``skip``), as text."""
    for dirpath, dirnames, filenames in os.walk(folder):
        if Path(dirpath) == folder:
            dirnames[:] = [d for d in dirnames if d not in skip]
        for name in filenames:
            path = Path(dirpath, name)
            yield (
                path,
                path.relative_to(folder).as_posix() + "\n" + path.read_bytes().decode("utf-8", "replace"),
            )
