"""User-agent string -> consumer family: who is calling AWS with a key.

The family is what a person recognises when deciding whether a key is safe to revoke:
``boto3`` (with its botocore version), ``aws-cli``, ``console``, another AWS SDK, a named third
party (Terraform, ...), or ``other``. Versions are kept separately so an SDK upgrade does not
look like a second consumer.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A version is numbers and dots with an optional pre-release word: the rest of the agent text is
# never printed, because user agents are free text a caller may have put a token into.
_VERSION = r"/([0-9]{1,6}(?:\.[0-9]{1,8}){0,4}(?:[-.+]?(?:dev|alpha|beta|rc|a|b|post|pre)[0-9]{0,6})?)"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("terraform", re.compile(r"\bTerraform" + _VERSION)),
    ("pulumi", re.compile(r"\bPulumi" + _VERSION, re.I)),
    ("aws-cli", re.compile(r"\baws-cli" + _VERSION)),
    ("boto3", re.compile(r"\bBoto3" + _VERSION)),
    ("botocore", re.compile(r"\bBotocore" + _VERSION)),
    ("aws-sdk-java", re.compile(r"\baws-sdk-java" + _VERSION)),
    ("aws-sdk-go-v2", re.compile(r"\baws-sdk-go-v2" + _VERSION)),
    ("aws-sdk-go", re.compile(r"\baws-sdk-go" + _VERSION)),
    ("aws-sdk-js", re.compile(r"\baws-sdk-(?:js|nodejs)" + _VERSION)),
    ("aws-sdk-dotnet", re.compile(r"\baws-sdk-dotnet[\w-]*" + _VERSION)),
    ("aws-sdk-ruby", re.compile(r"\baws-sdk-ruby\d*" + _VERSION)),
    ("aws-sdk-php", re.compile(r"\baws-sdk-php" + _VERSION)),
    ("aws-sdk-rust", re.compile(r"\baws-sdk-rust" + _VERSION)),
    ("aws-sdk-cpp", re.compile(r"\baws-sdk-cpp" + _VERSION)),
    ("powershell", re.compile(r"\bAWSPowerShell[\w.]*" + _VERSION)),
)
_CONSOLE = re.compile(r"console\.amazonaws\.com|signin\.amazonaws\.com|^AWS Internal$|S3Console|Mozilla/")
_BOTOCORE = re.compile(r"Botocore/([0-9]{1,6}(?:\.[0-9]{1,8}){0,4})", re.I)
# an AWS service principal (``lambda.amazonaws.com``): short lowercase labels, few digits
_SERVICE = re.compile(r"(?:[a-z][a-z0-9\-]{0,31}\.){1,3}amazonaws\.com")
# the product token of another agent (``curl/8.4.0``): a name, not a run of random text
_PRODUCT = re.compile(r"([A-Za-z][A-Za-z0-9._\-]{0,23})(?:/[0-9]|\s|$)")

#: families a Python service using boto3 presents; everything else is "someone else"
PYTHON_SDK = frozenset({"boto3", "botocore"})


@lru_cache(maxsize=4096)
def family(user_agent: str) -> tuple[str, str]:
    """(family, version) of a user agent; version may be ``""``. Cached: agents repeat a lot."""
    ua = user_agent[:1024]
    for name, pattern in _PATTERNS:
        m = pattern.search(ua)
        if m:
            version = m.group(1)
            if name == "boto3":
                core = _BOTOCORE.search(ua)
                if core:
                    version = f"{version} botocore/{core.group(1)}"
            return name, version
    if _CONSOLE.search(ua):
        return "console", ""
    if _SERVICE.fullmatch(ua) and _few_digits(ua):
        return "aws-service", ua
    if ua.endswith(".amazonaws.com"):
        return "aws-service", ""
    if not ua:
        return "unknown", ""
    head = _PRODUCT.match(ua)
    return "other", head.group(1) if head and _few_digits(head.group(1)) else ""


def _few_digits(name: str) -> bool:
    """Names people give products and services hold few digits (``route53``, ``ec2``); a run
    cut out of a key or token holds many."""
    return sum(c.isdigit() for c in name) <= 3


def label(fam: str, version: str) -> str:
    """``aws-cli/2.15.30``, ``boto3/1.35.10 botocore/1.35.10``, ``console``."""
    if fam == "other":
        return f"other ({version})" if version else "other"
    return f"{fam}/{version}" if version else fam
