"""Clients aimed at another service through ``endpoint_url``: when their keys are not AWS keys.

A boto3 client pointed at LocalStack, MinIO or DynamoDB Local with ``aws_access_key_id="test"``
holds that service's credentials, not an AWS key: the task role does not replace them, and
removing them makes the client fail against the very service it talks to. On real files this
shape (placeholder literals beside an ``endpoint_url``, or keys read from ``MINIO_*`` /
``LOCALSTACK_*`` variables) was rewritten, which broke local stacks. Such a site is left alone
and reported with a reason that says it is not an AWS key, so a person confirms the endpoint is
never AWS. A key-shaped literal or a key read from ``AWS_*`` stays an AWS key and is rewritten
(the endpoint note asks to check the endpoint), as before.

An ``endpoint_url`` written out as a remote host that is not AWS (Yandex Object Storage,
DigitalOcean Spaces, Cloudflare R2, an in-house Ceph) settles the question whatever the keys are
called: that service checks them, so they stay (a real file read ``AWS_ACCESS_KEY_ID`` from a
``.env`` for ``storage.yandexcloud.net``, and the rewrite handed the task role's keys to Yandex).
A local host (``localhost``, a compose service name such as ``localstack``, a private address, a
port of its own such as LocalStack's 4566) keeps the rules above.

``session_endpoint_calls`` finds ``.client/.resource/.create_client(..., endpoint_url=...)`` on any
receiver (a session attribute, a parameter), so the Session that carries the credentials gets the
endpoint note even when its clients are made elsewhere in the module.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import libcst as cst
from libcst.metadata import Assignment, GlobalScope

from keyshift.awsnames import CREDENTIAL_KWARGS, DIRECT_TARGETS, KEY_ID, SECRETISH, SESSION_METHODS
from keyshift.codemod.records import Trace
from keyshift.codemod.values import Metadata, bound_value, literal_text

#: Variable and setting names that say the key belongs to another S3/AWS-compatible service.
_OTHER_SERVICES = ("minio", "localstack", "wasabi", "backblaze", "digitalocean", "r2_")
#: Host suffixes of AWS's own endpoints (regional, FIPS, dual-stack, VPC endpoints, China).
_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws", ".on.aws")
#: Loopback and private addresses: a local stack, judged by the rules above.
_LOCAL_PREFIXES = ("127.", "0.", "10.", "172.", "192.168.")


def _remote_other_host(url: str) -> str | None:
    """The host of ``url`` when it is neither AWS nor on this machine or its compose network."""
    try:
        parts = urlsplit(url if "//" in url else f"//{url}")
        host, port = (parts.hostname or "").rstrip("."), parts.port
    except ValueError:
        return None
    if port not in (None, 80, 443):
        return None  # LocalStack's 4566, MinIO's 9000, DynamoDB Local's 8000: a local stack
    if not host or "." not in host or f".{host}".endswith(_AWS_HOSTS):
        return None  # no host, or a single-label name: localhost, localstack, minio (compose)
    if host.startswith(_LOCAL_PREFIXES) or host.endswith((".local", ".localhost", ".internal")):
        return None
    return host


def session_endpoint_calls(meta: Metadata) -> list[cst.Call]:
    """``<x>.client(..., endpoint_url=...)`` calls not made by ``boto3.client`` itself."""
    out: list[cst.Call] = []
    for call in meta.calls:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in SESSION_METHODS:
            continue
        if not any(a.keyword is not None and a.keyword.value == "endpoint_url" for a in call.args):
            continue
        if meta.names(func) & DIRECT_TARGETS.keys():
            continue
        out.append(call)
    return out


def static_text(node: cst.BaseExpression, meta: Metadata) -> str | None:
    """A literal, or a module-level name bound once to a literal (``ACCESS_KEY = "test"``)."""
    text = literal_text(node)
    if text is not None or not isinstance(node, cst.Name):
        return text
    scope = meta.scope(node)
    assignments = list(scope[node.value]) if scope is not None else []
    if len(assignments) != 1:
        return None
    (assignment,) = assignments
    if not isinstance(assignment, Assignment) or not isinstance(assignment.scope, GlobalScope):
        return None
    if not isinstance(assignment.node, cst.Name):
        return None
    value = bound_value(meta.parents, assignment.node, with_items=False)
    return literal_text(value) if value is not None else None


def _placeholder(text: str) -> bool:
    """Not shaped like an access key ID, a secret or a token: ``test``, ``minioadmin``, ``""``."""
    return KEY_ID.search(text) is None and SECRETISH.match(text) is None


def other_service_reason(
    call: cst.Call, meta: Metadata, traces: dict[str, Trace], session_endpoints: bool
) -> str | None:
    """Why this site's credentials belong to the service behind ``endpoint_url`` (else None).

    ``session_endpoints``: the site makes a session whose clients set ``endpoint_url``.
    """
    values = [a.value for a in call.args if a.keyword is not None and a.keyword.value in CREDENTIAL_KWARGS]
    own = any(a.keyword is not None and a.keyword.value == "endpoint_url" for a in call.args)
    if not values or not (own or session_endpoints):
        return None
    endpoints = [call] if own else session_endpoint_calls(meta)
    urls = [
        static_text(a.value, meta)
        for c in endpoints
        for a in c.args
        if a.keyword is not None and a.keyword.value == "endpoint_url"
    ]
    hosts = sorted({h for u in urls if u for h in [_remote_other_host(u)] if h})
    if hosts:
        return (
            f"endpoint_url points at {', '.join(hosts)}, which is not AWS: the credentials are that "
            "service's and the task role cannot replace them: keyshift leaves them"
        )
    texts = [static_text(v, meta) for v in values]
    if all(t is not None and _placeholder(t) for t in texts):
        return (
            "endpoint_url points at another service (LocalStack, MinIO, DynamoDB Local) and the "
            "credentials are placeholder literals for it, not AWS keys: keyshift leaves them"
        )
    sources = [
        s.lower() for t in traces.values() for s in (*t.env_vars, *t.origins) if not s.startswith("file ")
    ]
    named = sorted({svc.rstrip("_") for s in sources for svc in _OTHER_SERVICES if svc in s})
    if named:
        return (
            f"the credentials are named for {', '.join(named)}, the service behind endpoint_url, "
            "not AWS keys: keyshift leaves them"
        )
    return None
