"""Live-call hygiene: keys keyshift must never ask AWS about.

Canary tokens (canarytokens.org and look-alikes) are AWS keys planted to alert their owner when
used; the account a key belongs to can be decoded offline (``detect.account``), and the accounts
these services issue keys from are public. A live call for such a key, even a lookup about it,
is skipped and said so. The lists are the ones secret scanners use for the same purpose
(trufflehog's ``thinkstCanaryList`` and ``thinkstKnockoffsCanaryList``).
"""

from __future__ import annotations

from keyshift.detect.account import account_id

THINKST = frozenset(
    {
        "052310077262", "171436882533", "534261010715", "595918472158", "717712589309",
        "819147034852", "992382622183", "730335385048", "266735846894", "893192397702",
    }
)  # fmt: skip
LOOKALIKES = frozenset(
    {
        "044858866125", "251535659677", "344043088457", "351906852752", "390477818340",
        "426127672474", "427150556519", "439872796651", "445142720921", "465867158099",
        "637958123769", "693412236332", "732624840810", "735421457923", "959235150393",
        "982842642351",
    }
)  # fmt: skip


def canary(key_id: str) -> str | None:
    """Why ``key_id`` is a canary token, or None."""
    account = account_id(key_id)
    if account in THINKST:
        return f"a canarytokens.org canary (account {account}): using it alerts its owner"
    if account in LOOKALIKES:
        return f"a canary token in the style of canarytokens.org (account {account})"
    return None
