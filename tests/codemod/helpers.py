"""Shared helpers for the codemod tests: run the transform on source text."""

from __future__ import annotations

from keyshift.codemod.credentials import ModuleFix
from keyshift.codemod.runner import fix_source
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token

KEY = fake_key_id("123456789012", seed="codemod")
SECRET = fake_secret("codemod")
TOKEN = fake_session_token("codemod", length=120)


def fix(source: str) -> tuple[str, ModuleFix]:
    """The rewritten source (or the input when unchanged) and the full result."""
    result = fix_source(source.encode("utf-8"))
    return result.module.code if result.changed else source, result


def fill(template: str) -> str:
    """Substitute the fake credentials into a case template."""
    return template.replace("@KEY@", KEY).replace("@SECRET@", SECRET).replace("@TOKEN@", TOKEN)
