"""Grants narrowed by IAM condition keys where the resource alone cannot say enough.

- ``head_object`` and the ``object_exists`` waiter need ``s3:ListBucket`` on the bucket (without
  it a missing object answers 403, and code that expects the 404 breaks). ListBucket's resource is
  the whole bucket, so when the code's object keys share a known prefix the grant carries an
  ``s3:prefix`` condition (``StringLike``, the key patterns the object grants use); a key of
  unknown shape anywhere on the bucket leaves it unconditioned.
- S3 SSE-KMS with a key named by alias (``SSEKMSKeyId="alias/docs"``): IAM authorizes KMS on the
  key, whose ID the code does not say. The grant is on the account's keys
  (``arn:...:kms:REGION:ACCOUNT:key/*``) with ``kms:ResourceAliases`` (``ForAnyValue:StringEquals``,
  a multivalued key) naming the alias, which holds whether S3 passes the alias or the key ID it
  resolved to (reads of the object back send only the key ID, so ``kms:RequestAlias`` would not).
"""

from __future__ import annotations

from keyshift.planner.records import ApiCall
from keyshift.planner.resources import Scope, strings
from keyshift.planner.values import Values

Condition = tuple[tuple[str, str, str], ...]
ALIAS_KEY = "kms:ResourceAliases"


def list_scopes(object_arns: tuple[str, ...]) -> dict[str, set[str] | None] | None:
    """Bucket ARN -> the object key patterns under it (None: any key) for the object ARNs a
    call reaches; None when one is not a literal bucket's object (``*``, a placeholder)."""
    out: dict[str, set[str] | None] = {}
    for arn in object_arns:
        head, slash, key = arn.partition("/")
        if not slash or not head.startswith("arn:") or ":s3:::" not in head or "<" in arn or "*" in head:
            return None
        known = out.setdefault(head, set())
        if key in ("", "*"):
            out[head] = None
        elif known is not None:
            known.add(key)
    return out


def prefix_condition(prefixes: set[str]) -> Condition:
    """``StringLike`` ``s3:prefix`` on each key pattern (several are one list in the policy)."""
    return tuple(("StringLike", "s3:prefix", p) for p in sorted(prefixes))


def literal_aliases(values: Values | None) -> list[str]:
    """``alias/NAME`` of each value when every value is a literal alias or alias ARN; empty
    otherwise (a key ID or ARN names the key itself, an unknown value names nothing).

    One reading for every parameter that takes a KMS key (``KeyId``, ``SSEKMSKeyId`` ...)."""
    out: set[str] = set()
    for value in strings(values):
        if not isinstance(value, str):
            return []
        if value.startswith("alias/"):
            out.add(value)
        elif value.startswith("arn:") and ":alias/" in value:
            out.add("alias/" + value.split(":alias/", 1)[1])
        else:
            return []
    return sorted(out)


def s3_key_aliases(call: ApiCall) -> list[str]:
    """The aliases an S3 call's ``SSEKMSKeyId`` names (``literal_aliases``)."""
    return literal_aliases(call.param("SSEKMSKeyId"))


def alias_grant(aliases: list[str], scope: Scope, service: str) -> tuple[tuple[str, ...], Condition]:
    """The keys and condition for KMS use through ``service`` on a key named by ``aliases``."""
    keys = (f"arn:{scope.partition}:kms:{scope.region}:{scope.account}:key/*",)
    condition: Condition = (
        *(("ForAnyValue:StringEquals", ALIAS_KEY, a) for a in aliases),
        ("StringEquals", "kms:ViaService", f"{service}.{scope.region}.amazonaws.com"),
    )
    return keys, condition


#: writes that make a service encrypt with a customer managed key the call names, and what the
#: caller needs on that key: (key parameter, name parameter, KMS actions)
_KEYED_WRITES = {
    ("ssm", "put_parameter"): ("KeyId", "Name", ("kms:Encrypt",)),
    ("secretsmanager", "create_secret"): ("KmsKeyId", "Name", ("kms:GenerateDataKey", "kms:Decrypt")),
    ("secretsmanager", "update_secret"): ("KmsKeyId", "SecretId", ("kms:GenerateDataKey", "kms:Decrypt")),
}
#: reads of what such a write stored (decrypted with its key), by the name parameters they take
_KEYED_READS = {
    ("ssm", "get_parameter"): ("Name",),
    ("ssm", "get_parameters"): ("Names",),
    ("ssm", "get_parameters_by_path"): ("Path",),
    ("secretsmanager", "get_secret_value"): ("SecretId",),
    ("secretsmanager", "put_secret_value"): ("SecretId",),
}
_READ_ACTIONS = {"ssm": ("kms:Decrypt",), "secretsmanager": ("kms:Decrypt",)}
_PUT_VALUE = ("kms:GenerateDataKey", "kms:Decrypt")  # put_secret_value encrypts a new version


def service_keys(
    call: ApiCall, calls: list[ApiCall], scope: Scope
) -> list[tuple[str, tuple[str, ...], Condition]]:
    """(action, resources, condition) on the customer managed keys SSM parameters and Secrets
    Manager secrets are written with: a write naming the key by alias is granted on the account's
    keys with ``kms:ResourceAliases``; Secrets Manager's key named by ARN or ID on that key (SSM's
    keyed by ARN are ``shapes.ssm_keys``'). Reads (and new versions) of names the workload's own
    writes store under a key need the same key."""
    out: list[tuple[str, tuple[str, ...], Condition]] = []
    write = _KEYED_WRITES.get((call.service, call.method))
    if write is not None:
        out.extend((action, *key) for key in _keys(call, write[0], scope) for action in write[2])
    names = _KEYED_READS.get((call.service, call.method))
    if names is None:
        return out
    read = _literal_heads(call, names)
    actions = _PUT_VALUE if call.method == "put_secret_value" else _READ_ACTIONS[call.service]
    for writer in calls:
        spec = _KEYED_WRITES.get((writer.service, writer.method))
        if spec is None or writer.service != call.service:
            continue
        written = _literal_heads(writer, (spec[1],))
        if any(a.startswith(b) or b.startswith(a) or b in a for a in read for b in written):
            out.extend((action, *key) for key in _keys(writer, spec[0], scope) for action in actions)
    return sorted(set(out))


def _keys(call: ApiCall, param: str, scope: Scope) -> list[tuple[tuple[str, ...], Condition]]:
    aliases: set[str] = set()
    arns: set[str] = set()
    for value in strings(call.param(param)):
        if not isinstance(value, str):
            continue
        if value.startswith("alias/"):
            aliases.add(value)
        elif value.startswith("arn:") and ":alias/" in value:
            aliases.add("alias/" + value.split(":alias/", 1)[1])
        elif call.service == "secretsmanager" and value.startswith("arn:") and ":key/" in value:
            arns.add(value)
        elif call.service == "secretsmanager" and len(value) == 36 and value.count("-") == 4:
            arns.add(f"arn:{scope.partition}:kms:{scope.region}:{scope.account}:key/{value}")
    via: Condition = (("StringEquals", "kms:ViaService", f"{call.service}.{scope.region}.amazonaws.com"),)
    out: list[tuple[tuple[str, ...], Condition]] = [((arn,), via) for arn in sorted(arns)]
    if aliases:
        out.append(alias_grant(sorted(aliases), scope, call.service))
    return out


def _literal_heads(call: ApiCall, params: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for param in params:
        for value in strings(call.param(param)):
            text = value if isinstance(value, str) else getattr(value, "value", None)
            if isinstance(text, str) and text:
                out.append(text)
    return out
