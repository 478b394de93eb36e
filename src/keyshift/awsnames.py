"""The AWS names every stage agrees on: key-ID shape, credential names, client factories.

scan, fix and plan all need to know what an access key ID looks like, which keyword arguments
and environment variables carry credentials and which calls make a boto3-family client. When
each stage kept its own copy they drifted (one key-ID pattern missed ``ABIA``/``ACCA``), so
they live here once. Pure data and tiny predicates; no imports beyond ``re``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final, Literal

#: Prefixes of access key IDs: IAM user, STS temporary, AWS STS service bearer, context-specific.
KEY_ID_PREFIXES: Final = ("AKIA", "ASIA", "ABIA", "ACCA")
KEY_ID_PREFIXES_BYTES: Final = tuple(p.encode() for p in KEY_ID_PREFIXES)
KEY_ID_PATTERN: Final = r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}"
#: A key ID anywhere (inside identifiers too); for text that is already a single value.
KEY_ID: Final = re.compile(KEY_ID_PATTERN)
#: A key ID standing alone (no letter or digit glued to either side); for free text.
KEY_ID_TOKEN: Final = re.compile(rf"(?<![A-Za-z0-9]){KEY_ID_PATTERN}(?![A-Za-z0-9])")
#: A literal that could be a secret access key or a session token.
SECRETISH: Final = re.compile(r"^[A-Za-z0-9/+=]{40,}$")

Factory = Literal["client", "resource", "Session", "setup_default_session", "create_client"]

#: Keyword arguments that carry credentials on boto3/botocore/aioboto3 factories.
CREDENTIAL_KWARGS: Final = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
#: Variables botocore's environment provider reads.
CHAIN_ENV_VARS: Final = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}
)
#: Keys of the temporary credentials AWS hands out (an STS ``assume_role`` response, the instance
#: and container metadata endpoints): keys the code asked for on purpose, not static ones.
TEMPORARY_CREDENTIAL_KEYS: Final = frozenset({"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"})
#: The variables a deployment sets to hand a key to the default chain.
CREDENTIAL_ENV_VARS: Final = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

#: Top-level packages of the AWS SDK family. ``fix`` prefilters files on them; ``plan`` treats
#: names imported from them as the SDK (never as repository code it could follow).
SDK_MODULES: Final = ("boto3", "botocore", "aioboto3", "aiobotocore")
#: Calls that are client factories by themselves, and the factory name reported for them.
DIRECT_TARGETS: Final[Mapping[str, Factory]] = {
    "boto3.client": "client",
    "boto3.resource": "resource",
    "boto3.Session": "Session",
    "boto3.session.Session": "Session",
    "boto3.setup_default_session": "setup_default_session",
    "aioboto3.Session": "Session",
}
#: Calls whose result is a session: ``.client/.resource/.create_client`` on it are factories.
SESSION_FACTORIES: Final = frozenset(
    {
        "boto3.Session",
        "boto3.session.Session",
        "botocore.session.get_session",
        "botocore.session.Session",
        "aiobotocore.session.get_session",
        "aioboto3.Session",
    }
)
SESSION_METHODS: Final = frozenset({"client", "resource", "create_client"})
#: Session methods that make a client (the others make a resource).
CLIENT_METHODS: Final = frozenset({"client", "create_client"})
#: Client configuration classes: ``Config(region_name=...)`` passed as ``config=`` sets the region.
CONFIG_CLASSES: Final = frozenset(
    {"botocore.config.Config", "botocore.client.Config", "aiobotocore.config.AioConfig"}
)
#: Index of the first positional parameter that is a credential, per factory.
FIRST_POSITIONAL_CREDENTIAL: Final[Mapping[str, int]] = {
    "client": 6,
    "resource": 6,
    "create_client": 6,
    "Session": 0,
    "setup_default_session": 0,
}
#: botocore credential objects: building one by hand means the code holds a key.
CREDENTIAL_CLASSES: Final = frozenset(
    {
        "botocore.credentials.Credentials",
        "botocore.credentials.ReadOnlyCredentials",
        "botocore.credentials.RefreshableCredentials",
        "aiobotocore.credentials.AioCredentials",
    }
)
#: s3fs takes its own credential keywords; pandas/dask pass them through ``storage_options``.
S3FS_FACTORIES: Final = frozenset({"s3fs.S3FileSystem", "s3fs.core.S3FileSystem"})
S3FS_KEYS: Final = frozenset(
    {"key", "secret", "token", "aws_access_key_id", "aws_secret_access_key", "aws_session_token"}
)
#: LangChain's Bedrock models: building one makes a bedrock-runtime client from the keywords it
#: is given (``aws_access_key_id``, ``region_name``, ``client=``), else the default chain, and
#: every use invokes the model: class -> the model it uses when ``model_id``/``model`` is not given.
LANGCHAIN_BEDROCK_PACKAGES: Final = ("langchain_aws", "langchain_community", "langchain")
LANGCHAIN_BEDROCK_MODELS: Final[Mapping[str, str | None]] = {
    "ChatBedrock": None,
    "ChatBedrockConverse": None,
    "BedrockChat": None,
    "BedrockLLM": None,
    "Bedrock": None,
    "BedrockEmbeddings": "amazon.titan-embed-text-v1",
}


def langchain_bedrock_class(name: str) -> str | None:
    """``ChatBedrock`` for ``langchain_aws.ChatBedrock`` (any submodule), else None."""
    package, _, rest = name.partition(".")
    cls = rest.rsplit(".", 1)[-1]
    if package in LANGCHAIN_BEDROCK_PACKAGES and cls in LANGCHAIN_BEDROCK_MODELS:
        return cls
    return None


#: The table of every client factory keyshift knows, for readers that want one place to look.
CLIENT_FACTORIES: Final[Mapping[str, str]] = {
    **DIRECT_TARGETS,
    **{name: "session" for name in SESSION_FACTORIES - DIRECT_TARGETS.keys()},
    **{name: "s3fs" for name in S3FS_FACTORIES},
}
#: Spark/Hadoop S3 connector settings that hold a key (s3a, and the older s3n/s3 names), also
#: per bucket (``fs.s3a.bucket.<name>.access.key``, the name often an f-string field).
SPARK_CREDENTIAL_SETTING: Final = re.compile(
    r"(?:^|\.)fs\.s3[an]?\.(?:bucket\.[^.\s]+\.)?"
    r"(?:access\.key|secret\.key|session\.token|awsAccessKeyId|awsSecretAccessKey)$"
)

_NORMALISE = re.compile(r"[^a-z0-9]")
_AWS_HINTS = ("aws", "s3", "boto")
_KEY_PARTS = ("accesskey", "secretkey", "secret", "sessiontoken", "securitytoken")
_NOT_A_KEY = ("name", "arn", "path", "file", "region", "bucket", "url", "endpoint", "manager", "env", "var")


def is_credential_name(name: str, *, beside_access_key: bool = False) -> bool:
    """Does this setting, field, dict key or variable name hold an AWS credential?

    ``AWS_SECRET_ACCESS_KEY``, ``aws_access_key_id``, ``S3_SECRET_KEY``, ``Access key ID`` and
    ``ACCESS_KEY`` do; ``AWS_REGION`` and ``AWS_SECRET_NAME`` (a Secrets Manager name) do not.
    A bare ``SECRET_KEY`` is Django's signing key unless it sits ``beside_access_key`` (a bare
    ``ACCESS_KEY``, as in a keys module; ``AWS_ACCESS_KEY_ID`` in a Django settings module is
    not one).
    """
    n = _NORMALISE.sub("", name.lower())
    if n.endswith(_NOT_A_KEY):
        return False
    if "accesskeyid" in n or "secretaccesskey" in n or n == "accesskey":
        return True
    if n in ("secretkey", "secret"):
        return beside_access_key
    if not any(h in n for h in _AWS_HINTS):
        return False
    return n in ("awskey", "awsid") or any(p in n for p in _KEY_PARTS)


def is_access_key_name(name: str) -> bool:
    """A bare ``ACCESS_KEY`` / ``access_key_id``: the key-ID half of a pair whose other half
    may be called just ``SECRET_KEY``."""
    return _NORMALISE.sub("", name.lower()) in ("accesskey", "accesskeyid")
