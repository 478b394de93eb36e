"""``--iam-live``: the blast radius from IAM itself instead of an authorization-details export.

Opt-in and the only network path of ``plan --trail``/``migrate --trail``. It asks
``iam:GetAccountAuthorizationDetails`` (paged) with the auditor profile, never with a found key
(``lookup.client_for`` refuses a profile whose key is one of them), and assembles the answer in
the export's own shape, so ``blast`` evaluates a live read exactly as it evaluates the file
``aws iam get-account-authorization-details`` writes. Only users, groups and managed policies are
asked for; roles are not needed for a key's user.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from keyshift.errors import KeyshiftError
from keyshift.redact import scrub

FILTER = ["User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
MAX_PAGES = 1000


def authorization_details(
    profile: str, endpoint_url: str | None, keys: Iterable[str], *, max_pages: int = MAX_PAGES
) -> dict[str, Any]:
    """The account's authorization details, read live with ``profile``, as an export."""
    from keyshift.trail.lookup import client_for

    client = client_for(profile, "us-east-1", endpoint_url, keys, service="iam", flag="--iam-live")
    return read(client, max_pages=max_pages)


def read(client: Any, *, max_pages: int = MAX_PAGES) -> dict[str, Any]:
    """Every page of ``GetAccountAuthorizationDetails`` merged into one export-shaped dict."""
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]

    export: dict[str, Any] = {name: [] for name in LISTS}
    try:
        pages = client.get_paginator("get_account_authorization_details").paginate(Filter=FILTER)
        for number, page in enumerate(pages):
            if number >= max_pages:
                raise KeyshiftError(f"--iam-live: more than {max_pages} pages of authorization details")
            for name in LISTS:
                items = page.get(name)
                if isinstance(items, list):
                    export[name] += items
    except (ClientError, BotoCoreError) as exc:
        raise KeyshiftError(f"--iam-live: IAM refused or failed: {scrub(str(exc))}") from None
    return export
