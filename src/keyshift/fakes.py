"""Format-valid fake AWS credentials for tests, fixtures, benchmarks and demos.

Key IDs decode to a chosen account (see ``detect.account``); secrets are 40 random base64
characters. Deterministic for a given seed so golden files stay stable. Never real keys.
"""

from __future__ import annotations

import base64
import random

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def fake_key_id(account: str = "123456789012", *, prefix: str = "AKIA", seed: int | str = 0) -> str:
    """A key ID with ``prefix`` that decodes to ``account``."""
    rng = random.Random(f"key:{account}:{prefix}:{seed}")
    number = int(account)
    # the top bit is set on every key issued since 2019 (5th character Q-Z or 2-7)
    head = (1 << 47) | (number << 7) | rng.getrandbits(7)
    raw = head.to_bytes(6, "big") + rng.getrandbits(32).to_bytes(4, "big")
    return prefix + base64.b32encode(raw).decode("ascii")


def fake_secret(seed: int | str = 0) -> str:
    """A 40-character secret access key (mixed case, digits, ``/`` or ``+``)."""
    rng = random.Random(f"secret:{seed}")
    while True:
        value = "".join(rng.choice(_B64) for _ in range(40))
        if (
            any(c.isupper() for c in value)
            and any(c.islower() for c in value)
            and any(c.isdigit() for c in value)
        ):
            return value


def fake_session_token(seed: int | str = 0, length: int = 356) -> str:
    """A session token shaped like STS's (base64, several hundred characters)."""
    rng = random.Random(f"token:{seed}")
    body = "".join(rng.choice(_B64) for _ in range(length - 16))
    return "IQoJb3JpZ2luX2Vj" + body
