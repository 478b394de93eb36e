"""What the name next to a value says about it.

A name is normalised (lower case, letters and digits only) and classified. Explicit AWS names
(``aws_secret_access_key``, ``SecretAccessKey``, ``aws.secretKey``) carry a secret on their own;
generic ones (``secret_key``, ``secret``) only count next to an access key ID.
"""

from __future__ import annotations

import re
from enum import IntEnum


class NameClass(IntEnum):
    NONE = 0
    GENERIC_SECRET = 1  # needs a key ID nearby
    AWS_SECRET = 2
    SESSION_TOKEN = 3


_NON_ALNUM = re.compile(r"[^a-z0-9]")

# Characters that may stand between a name and its value in any carrier we read:
# `=`, `:`, `=>`, quotes, JSON/YAML punctuation, escaped quotes in notebooks, `value` keys of
# name/value entries, Terraform variable and CloudFormation parameter attributes (type,
# default, sensitive, NoEcho), whitespace (ENV legacy form, `aws configure set NAME VALUE`), and
# YAML block scalar headers with chomping and indentation indicators (`|-`, `>+`, `|2-`).
GLUE = (
    r"""(?:[ \t\r\n"'`\\:=>,({\[\]$@|;]|&quot;|[|>](?:[1-9][-+]?|[-+][1-9]?)"""
    r"""|(?i:value|default|type|string|noecho|sensitive|true)){1,48}?"""
)


def normalise(name: str) -> str:
    return _NON_ALNUM.sub("", name.lower())


def classify(name: str) -> NameClass:
    n = normalise(name)
    if "sessiontoken" in n or "securitytoken" in n:
        return NameClass.SESSION_TOKEN
    if "secretaccesskey" in n or ("aws" in n and "secret" in n) or "secretaccess" in n:
        return NameClass.AWS_SECRET
    if "secretkey" in n or n.endswith("secret") or n in ("sk", "awssk"):
        return NameClass.GENERIC_SECRET
    return NameClass.NONE


def is_key_id_name(name: str) -> bool:
    """Names that announce an access key ID (used for notes, e.g. env vars that override the role)."""
    n = normalise(name)
    return "accesskey" in n or "keyid" in n or n in ("awskey", "akid")


_GLUE_CHARS = frozenset(" \t\r\n\"'`\\:=>,({[]$@|;&")
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_GLUE_WORDS = frozenset({"value", "default", "quot", "name", "type", "string", "noecho", "sensitive", "true"})
_WINDOW = 96


def name_before(text: str, pos: int) -> str | None:
    """The identifier a value at ``pos`` is assigned to, if only glue stands between them.

    Walks backwards (glue characters, then an identifier), skipping the words of name/value
    entries, so a file with thousands of key IDs costs a few steps per key.
    """
    limit = max(0, pos - _WINDOW)
    i = pos
    while i > limit:
        j = i
        while j > limit and text[j - 1] in _GLUE_CHARS:
            j -= 1
        if j == i:
            return None  # the value is glued to something that is not glue
        k = j
        while k > limit and text[k - 1] in _NAME_CHARS:
            k -= 1
        word = text[k:j]
        while word and not (word[0].isalpha() or word[0] == "_"):
            word = word[1:]
        if not word:
            return None
        if word.lower() not in _GLUE_WORDS:
            return word
        i = k
    return None
