"""The image pulls a registry login stands for.

Code that calls ``ecr.get_authorization_token`` hands the token to docker (its SDK or a
subprocess), which then pulls images with the task's credentials: calls the analysis never sees
as boto3 calls. The full image URIs the workload's code spells out name the repositories, so each
becomes the three pull actions on that repository, attributed to the login's credentials.
"""

from __future__ import annotations

import re
from pathlib import Path

from keyshift.planner.deploy import _read as read_text_or_empty
from keyshift.planner.records import ApiCall
from keyshift.planner.values import Const, Origin, Values

__all__ = ["image_pulls"]


_ECR_IMAGE = re.compile(
    r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([a-z0-9][a-z0-9._/-]*)(?=[:@\"'\s]|$)"
)
_PULL_METHODS = ("batch_get_image", "get_download_url_for_layer", "batch_check_layer_availability")


def image_pulls(root: Path, code: list[str], login: ApiCall) -> list[ApiCall]:
    """Pulls of ECR images whose full URI the workload's code spells out (docker SDK, subprocess)."""
    calls: list[ApiCall] = []
    for path in code:
        text = read_text_or_empty(root / path)  # unreadable: the scan names it, the plan goes on
        for number, line in enumerate(text.splitlines(), 1):
            for match in _ECR_IMAGE.finditer(line):
                account, region, repository = match.groups()
                origin = Origin(login.origin.creds, frozenset({Const(region)}), path, number)
                params: tuple[tuple[str, Values], ...] = (
                    ("registryId", frozenset({Const(account)})),
                    ("repositoryName", frozenset({Const(repository)})),
                )
                via = f"pull of {match.group(0)}"
                calls.extend(ApiCall("ecr", m, params, origin, path, number, via) for m in _PULL_METHODS)
    return calls
