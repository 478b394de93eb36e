"""What the codemod targets, by qualified name; shared by the ``ast`` and libcst paths.

Kept free of libcst so the fast path never imports it.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Calls that are targets by themselves, and the factory name reported for them.
DIRECT_TARGETS: Mapping[str, str] = {
    "boto3.client": "client",
    "boto3.resource": "resource",
    "boto3.Session": "Session",
    "boto3.session.Session": "Session",
    "boto3.setup_default_session": "setup_default_session",
    "aioboto3.Session": "Session",
}
#: Calls whose result is a session: ``.client/.resource/.create_client`` on it are targets.
SESSION_FACTORIES = frozenset(
    {
        "boto3.Session",
        "boto3.session.Session",
        "botocore.session.get_session",
        "botocore.session.Session",
        "aiobotocore.session.get_session",
        "aioboto3.Session",
    }
)
SESSION_METHODS = frozenset({"client", "resource", "create_client"})
CREDENTIAL_KWARGS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
#: Index of the first positional parameter that is a credential, per factory.
FIRST_POSITIONAL_CREDENTIAL: Mapping[str, int] = {
    "client": 6,
    "resource": 6,
    "create_client": 6,
    "Session": 0,
    "setup_default_session": 0,
}
