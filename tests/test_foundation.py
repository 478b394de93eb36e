"""Config precedence, redaction, the fake-key generator and offline account decoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keyshift.config import Config, load_config
from keyshift.detect.account import account_id, key_type
from keyshift.errors import KeyshiftError
from keyshift.fakes import fake_key_id, fake_secret, fake_session_token
from keyshift.redact import mask_key_id, scrub, sha1_hex


def test_config_defaults_without_pyproject(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # stop the upward search here
    assert load_config(tmp_path) == Config()


def test_config_from_pyproject_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        "[tool.keyshift]\nexclude = ['a/**']\nmax-file-size = 10\n[tool.keyshift.plan]\nrole-name = 'x'\n"
    )
    sub = tmp_path / "pkg"
    sub.mkdir()
    config = load_config(sub)
    assert config.exclude == ("a/**",) and config.max_file_size == 10
    assert config.section("plan") == {"role-name": "x"}
    other = tmp_path / "other.toml"
    other.write_text("[tool.keyshift]\njobs = 1\n")
    monkeypatch.setenv("KEYSHIFT_CONFIG", str(other))
    assert load_config(sub).jobs == 1
    assert load_config(sub, explicit=tmp_path / "pyproject.toml").max_file_size == 10
    assert config.with_overrides(max_file_size=None, jobs=3).jobs == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[tool.keyshift]\nexclud = []\n", "unknown setting 'exclud'"),
        ("[tool.keyshift]\nmax-file-size = 'big'\n", "is not a size"),
        ("[tool.keyshift]\nmax-file-size = -1\n", "greater than 0"),
        ("[tool.keyshift]\nmax-file-size = 1.5\n", "wrong type"),
        ("[tool.keyshift]\nexclude = [1]\n", "list of strings"),
        ("[tool.keyshift\n", "cannot read config"),
    ],
)
def test_config_errors(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(body)
    with pytest.raises(KeyshiftError, match=message):
        load_config(tmp_path)


@given(account=st.integers(0, 999_999_999_999), seed=st.integers(0, 10**9), prefix=st.sampled_from(["AKIA", "ASIA"]))
def test_fake_keys_decode_to_their_account(account: int, seed: int, prefix: str) -> None:
    key = fake_key_id(f"{account:012d}", prefix=prefix, seed=seed)
    assert len(key) == 20 and key.startswith(prefix)
    assert set(key[4:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert account_id(key) == f"{account:012d}"


def test_known_key_decodes() -> None:
    # a temporary key ID published with its account in a write-up of the format
    assert account_id("ASIAY34FZKBOKMUTVV7A") == "609629065308"
    assert account_id("AKIA") is None
    assert key_type("ASIAY34FZKBOKMUTVV7A").startswith("temporary")


@given(seed=st.integers(0, 10**9))
def test_scrub_hides_secrets_and_tokens(seed: int) -> None:
    secret, token = fake_secret(seed), fake_session_token(seed)
    text = f"failed: value={secret} token {token} in 'file.py'"
    out = scrub(text)
    assert secret not in out and token not in out
    assert f"sha1:{sha1_hex(secret)[:12]}" in out
    assert "file.py" in out


def test_scrub_keeps_ordinary_text_and_masks_key_ids_on_request() -> None:
    key = fake_key_id(seed=1)
    text = f"key {key} at /srv/app/settings.py:12 sha da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert scrub(text) == text
    assert key not in scrub(text, mask_key_ids=True)
    assert mask_key_id(key) == f"{key[:4]}…{key[-4:]}"
