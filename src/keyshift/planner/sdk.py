"""The boto3 model: what creating, calling and reading boto3 objects does.

Factories (``boto3.client``, sessions, ``botocore`` sessions) make client and resource values;
a method call on a client is one API call; resources, collections, paginators, waiters and the
transfer helpers are expanded from boto3's own resource model (``resources-1.json``) and the
shipped overlay, so ``Bucket(name).upload_file`` is ``s3:PutObject`` on that bucket.
"""

from __future__ import annotations

import ast
import json
from functools import cache
from pathlib import Path
from typing import Any

from keyshift.awsnames import (
    CLIENT_METHODS,
    CONFIG_CLASSES,
    CREDENTIAL_KWARGS,
    DIRECT_TARGETS,
    LANGCHAIN_BEDROCK_MODELS,
    SESSION_FACTORIES,
    SESSION_METHODS,
    langchain_bedrock_class,
)
from keyshift.planner import iam_map
from keyshift.planner.interp import Interpreter
from keyshift.planner.records import ApiCall, Unresolved
from keyshift.planner.strings import glob_value
from keyshift.planner.values import (
    EMPTY,
    Assumed,
    BoundHelper,
    ClientV,
    CollV,
    Const,
    DictV,
    Glob,
    ListV,
    MetaV,
    Origin,
    PaginatorV,
    Prefix,
    ResV,
    SessionV,
    Value,
    Values,
    WaiterV,
)


@cache
def _resource_model(service: str) -> dict[str, Any] | None:
    import boto3  # type: ignore[import-untyped]

    base = Path(boto3.__file__).parent / "data" / service
    if not base.is_dir():
        return None
    versions = sorted(p for p in base.iterdir() if (p / "resources-1.json").is_file())
    if not versions:
        return None
    data: dict[str, Any] = json.loads((versions[-1] / "resources-1.json").read_text(encoding="utf-8"))
    return data


@cache
def _shape_members(service: str, shape: str) -> frozenset[str]:
    """snake_case attribute names a resource exposes from its loaded shape."""
    model = iam_map.service_model(service)
    if model is None or not shape:
        return frozenset()
    try:
        members = model.shape_for(shape).members
    except Exception:  # botocore raises its own NoShapeFoundError
        return frozenset()
    return frozenset(_xform(name) for name in members)


def _xform(name: str) -> str:
    from botocore import xform_name  # type: ignore[import-untyped]

    return str(xform_name(name))


class Scope(Interpreter):
    """The interpreter with boto3's objects: clients, resources, collections, paginators, waiters."""

    # ----- factories -----------------------------------------------------------------------
    def _builtin(self, name: str, args: list[Values], kwargs: dict[str, Values], node: ast.Call) -> Values:
        """Factories from the one table ``fix`` uses too (``awsnames``), so every spelling ``fix``
        removes a key from is a client here: boto3, sessions, botocore, aioboto3, aiobotocore."""
        factory = DIRECT_TARGETS.get(name)
        if factory in ("client", "resource"):
            return self._make(factory, self._service_arg(args, kwargs), self._origin(kwargs, node), node)
        if factory == "setup_default_session":
            origin = self._origin(kwargs, node)
            self.a.default_regions.update(v for v in origin.region or () if isinstance(v, Const))
            if self.a.recording:
                self.a.default_sessions.add((self.module, origin))
            return EMPTY
        if name in SESSION_FACTORIES:
            return frozenset({SessionV(self._origin(kwargs, node))})
        if name in CONFIG_CLASSES:
            return frozenset({DictV(tuple(sorted(kwargs.items(), key=lambda kv: kv[0])))})
        model_class = langchain_bedrock_class(name)
        if model_class is not None:
            self._bedrock_model(model_class, kwargs, node)
            return EMPTY
        return super()._builtin(name, args, kwargs, node)

    def _bedrock_model(self, model_class: str, kwargs: dict[str, Values], node: ast.Call) -> None:
        """A LangChain Bedrock model: the bedrock-runtime calls its uses make, traced to where it
        is built (its key and region are the keywords it is given, or those of ``client=``)."""
        origin = self._origin(kwargs, node)
        clients = [v for v in kwargs.get("client", EMPTY) if isinstance(v, ClientV)]
        if clients and origin.creds is None:
            origin = self._origin(kwargs, node, clients[0].origin)
        model = kwargs.get("model_id") or kwargs.get("model")
        default = LANGCHAIN_BEDROCK_MODELS[model_class]
        if model is None and default is not None:
            model = frozenset({Const(default)})
        params = {"modelId": model} if model else {}
        via = f"{model_class}(...)"
        self._emit("bedrock-runtime", "invoke_model", params, origin, node, via)
        streaming = any(
            k.arg == "streaming" and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in node.keywords
        )
        if streaming or model_class == "ChatBedrockConverse":
            self._emit("bedrock-runtime", "invoke_model_with_response_stream", params, origin, node, via)

    def _origin(self, kwargs: dict[str, Values], node: ast.Call, base: Origin | None = None) -> Origin:
        creds = kwargs.get(CREDENTIAL_KWARGS[0])
        secret = kwargs.get(CREDENTIAL_KWARGS[1])
        region = kwargs.get("region_name")
        if region is None and "config" in kwargs:
            for value in kwargs["config"]:
                if isinstance(value, DictV) and value.get("region_name") is not None:
                    region = value.get("region_name")
        endpoint = kwargs.get("endpoint_url")
        if base is not None:
            creds = creds if creds is not None else base.creds
            secret = secret if secret is not None else base.secret
            region = region if region is not None else base.region
            endpoint = endpoint if endpoint is not None else base.endpoint
        if region is None and self.a.default_regions:
            region = frozenset(self.a.default_regions)
        path, line = self._loc(node)
        return Origin(creds, region, path, line, secret, endpoint)

    @staticmethod
    def _service_arg(args: list[Values], kwargs: dict[str, Values]) -> Values:
        return args[0] if args else kwargs.get("service_name", EMPTY)

    def _make(self, factory: str, services: Values, origin: Origin, node: ast.Call) -> Values:
        out: set[Value] = set()
        names = [v.value for v in services if isinstance(v, Const)]
        if not names:
            path, line = self._loc(node)
            self.a.note(Unresolved(path, line, f"boto3.{factory}(...)", "service name is not a literal"))
        for service in names:
            if factory in CLIENT_METHODS:
                out.add(ClientV(service, origin))
            else:
                out.add(ResV(service, "", (), origin))
        return frozenset(out)

    # ----- boto3 objects -------------------------------------------------------------------
    def _emit_polled(
        self, owner: PaginatorV | WaiterV, kwargs: dict[str, Values], node: ast.Call, how: str
    ) -> None:
        """A paginator's pages or a waiter's polls: the client method they call, with these arguments."""
        client = owner.client
        label = f"{client.service} {how} {owner.method}"
        self._emit(client.service, owner.method, kwargs, client.origin, node, label)

    def _helper(
        self, bound: BoundHelper, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        owner, name = bound.owner, bound.name
        if isinstance(owner, SessionV):
            if name in SESSION_METHODS:
                service = self._service_arg(args, kwargs)
                return self._make(name, service, self._origin(kwargs, node, owner.origin), node)
            return EMPTY
        if isinstance(owner, ClientV):
            return self._client_call(owner, name, args, kwargs, node)
        if isinstance(owner, PaginatorV):
            if name == "paginate":
                self._emit_polled(owner, kwargs, node, "paginator")
                pages = _derived_result(owner.client.service, owner.method, kwargs)
                return frozenset({ListV(pages)}) if pages else EMPTY
            return EMPTY
        if isinstance(owner, WaiterV):
            if name == "wait":
                self._emit_polled(owner, kwargs, node, "waiter polling")
            return EMPTY
        if isinstance(owner, CollV):
            return self._collection_call(owner, name, args, kwargs, node)
        if isinstance(owner, ResV):
            return self._resource_call(owner, name, args, kwargs, node)
        return super()._helper(bound, args, kwargs, node)

    def _emit(
        self,
        service: str,
        method: str,
        params: dict[str, Values],
        origin: Origin,
        node: ast.AST,
        via: str,
        transfer: bool = False,
    ) -> None:
        path, line = self._loc(node)
        items = tuple(sorted(((k, v) for k, v in params.items() if v), key=lambda kv: kv[0]))
        self.a.record(ApiCall(service, method, items, origin, path, line, via, transfer))

    def _client_call(
        self, client: ClientV, name: str, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        service = client.service
        path, line = self._loc(node)
        if name == "get_paginator":
            return frozenset(
                PaginatorV(client, m.value)
                for m in (args[0] if args else kwargs.get("operation_name", EMPTY))
                if isinstance(m, Const)
            )
        if name == "get_waiter":
            out: set[Value] = set()
            for waiter in args[0] if args else kwargs.get("waiter_name", EMPTY):
                if isinstance(waiter, Const):
                    op = iam_map.waiter_operation(service, waiter.value)
                    if op is None:
                        self.a.note(
                            Unresolved(path, line, f"{service} waiter {waiter.value}", "unknown waiter")
                        )
                    else:
                        out.add(WaiterV(client, _xform(op)))
            return frozenset(out)
        if name == "generate_presigned_url":
            methods = args[0] if args else kwargs.get("ClientMethod", EMPTY)
            params = args[1] if len(args) > 1 else kwargs.get("Params", EMPTY)
            merged: dict[str, Values] = {}
            for value in params:
                if isinstance(value, DictV):
                    for key, inner in value.items:
                        merged[key] = merged.get(key, EMPTY) | inner
            for method in methods:
                if isinstance(method, Const):
                    self._emit(
                        service,
                        method.value,
                        merged,
                        client.origin,
                        node,
                        f"{service} presigned URL for {method.value}",
                    )
            if not any(isinstance(m, Const) for m in methods):
                self.a.note(
                    Unresolved(
                        path, line, f"{service}.generate_presigned_url", "client method is not a literal"
                    )
                )
            return EMPTY
        if name == "generate_presigned_post":
            names = ["Bucket", "Key", "Fields", "Conditions", "ExpiresIn"]
            post: dict[str, Values] = dict(zip(names, args, strict=False)) | kwargs
            keys: set[Value] = set()
            for key_value in post.get("Key", EMPTY):
                if isinstance(key_value, Const) and "${filename}" in key_value.value:
                    wild = key_value.wild and key_value.wild.split("${filename}", 1)[0] + "*"
                    keys.add(Prefix(key_value.value.split("${filename}", 1)[0], wild or None))
                elif isinstance(key_value, Glob) and "${filename}" in key_value.pattern:
                    keys.add(glob_value(key_value.pattern.split("${filename}", 1)[0] + "*"))
                else:
                    keys.add(key_value)
            post["Key"] = frozenset(keys)
            self._emit(service, "put_object", post, client.origin, node, f"{service} presigned POST")
            return EMPTY
        if name == "assume_role" and service == "sts":
            self._emit(service, name, kwargs, client.origin, node, f"{service}.{name}")
            return frozenset({Assumed(f"{path}:{line}")})
        if name in ("can_paginate", "close", "meta", "exceptions", "get_waiter_names"):
            return EMPTY
        helpers = iam_map.overlay()["helpers"].get(service, {})
        if name in helpers and "client" in helpers[name]:
            spec = helpers[name]
            called: dict[str, Values] = dict(zip(spec["client"], args, strict=False)) | kwargs
            self._transfer(service, spec["operation"], called, client.origin, node, f"{service}.{name}")
            return EMPTY
        if iam_map.operation_name(service, name) is None:
            self.a.note(Unresolved(path, line, f"{service}.{name}", "not a method of this client"))
            return EMPTY
        self._emit(service, name, kwargs, client.origin, node, f"{service}.{name}")
        derived = _derived_result(service, name, kwargs)
        if derived:
            return derived
        if service == "sts" and name in (
            "assume_role_with_web_identity",
            "get_session_token",
            "get_federation_token",
        ):
            return frozenset({Assumed(f"{path}:{line}")})
        return EMPTY

    def _transfer(
        self, service: str, operation: str, params: dict[str, Values], origin: Origin, node: ast.AST, via: str
    ) -> None:
        extra: dict[str, Values] = {}
        for value in params.get("ExtraArgs", EMPTY):
            if isinstance(value, DictV):
                for key, inner in value.items:
                    extra[key] = extra.get(key, EMPTY) | inner
        base = {k: v for k, v in params.items() if k not in ("ExtraArgs", "Filename", "Fileobj")}
        if operation == "copy_object":
            self._emit(service, "copy_object", base | extra, origin, node, via, transfer=True)
            return
        self._emit(service, operation, base | extra, origin, node, via, transfer=True)

    # ----- resources -----------------------------------------------------------------------
    def _rdef(self, res: ResV) -> dict[str, Any] | None:
        model = _resource_model(res.service)
        if model is None:
            return None
        if res.rtype == "":
            service_def: dict[str, Any] = model.get("service", {})
            return service_def
        rdef: dict[str, Any] | None = model.get("resources", {}).get(res.rtype)
        return rdef

    def _res_attribute(self, res: ResV, attr: str, node: ast.expr | None) -> Values:
        if attr == "meta":
            return frozenset({MetaV(res)})
        rdef = self._rdef(res) or {}
        for name in rdef.get("hasMany", {}):
            if _xform(name) == attr:
                return frozenset({CollV(res, name, ())})
        for ident in rdef.get("identifiers", []):
            # an identifier attribute (summary.key, table.name) is the value the resource was
            # made with, known without a call
            known = dict(res.ids).get(ident.get("name", ""))
            if known and _xform(ident["name"]) == attr:
                return known
        if node is not None and "load" in rdef and attr in _shape_members(res.service, rdef.get("shape", "")):
            # reading a loaded attribute (table.item_count) makes boto3 call the load operation
            request = rdef["load"].get("request", {})
            params = self._request_params(res, request, {})
            label = f"{res.rtype}.{attr}"
            self._emit(res.service, _xform(request.get("operation", "")), params, res.origin, node, label)
        return frozenset({BoundHelper(res, attr)})

    def _ids_from(
        self, res: ResV, identifiers: list[dict[str, Any]], args: list[Values], params: dict[str, Values]
    ) -> tuple[tuple[str, Values], ...]:
        ids: dict[str, Values] = {}
        inputs = iter(args)
        for ident in identifiers:
            source = ident.get("source")
            if source == "input":
                ids[ident["target"]] = next(inputs, EMPTY) or params.get(_xform(ident["target"]), EMPTY)
            elif source == "identifier":
                ids[ident["target"]] = dict(res.ids).get(ident["name"], EMPTY)
            elif source == "requestParameter":
                ids[ident["target"]] = params.get(ident.get("path", ""), EMPTY)
        # request parameters name the resource when the response would (get_queue_by_name)
        for key, values in params.items():
            if isinstance(key, str) and key[:1].isupper():
                ids.setdefault(f"hint:{key}", values)
        return tuple(sorted(ids.items(), key=lambda kv: kv[0]))

    def _request_params(
        self, res: ResV, request: dict[str, Any], kwargs: dict[str, Values]
    ) -> dict[str, Values]:
        params: dict[str, Values] = {}
        ids = dict(res.ids)
        for spec in request.get("params", []):
            source = spec.get("source")
            target = str(spec["target"]).split(".")[0].split("[")[0]
            if source == "identifier":
                params[target] = ids.get(spec["name"], EMPTY)
            elif source == "string":
                params[target] = frozenset({Const(str(spec.get("value")))})
        for key, values in ids.items():
            if key.startswith("hint:"):
                params.setdefault(key[5:], values)
        # S3 batch delete names the objects by key
        if "Delete" in params and "Key" in ids:
            params["Key"] = ids["Key"]
            del params["Delete"]
        return params | kwargs

    def _resource_call(
        self, res: ResV, name: str, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        rdef = self._rdef(res)
        path, line = self._loc(node)
        label = res.rtype or f"{res.service} resource"
        if rdef is None:
            self.a.note(Unresolved(path, line, f"{label}.{name}", "no resource model for this service"))
            return EMPTY
        for sub, spec in rdef.get("has", {}).items():
            if sub == name:
                rspec = spec.get("resource", {})
                ids = self._ids_from(res, rspec.get("identifiers", []), args, kwargs)
                return frozenset({ResV(res.service, rspec.get("type", sub), ids, res.origin)})
        model = _resource_model(res.service) or {}
        if not res.rtype and name in model.get("resources", {}):
            # the service resource builds any resource type from its identifiers: s3.Object(b, k)
            names = [i["name"] for i in model["resources"][name].get("identifiers", [])]
            given = dict(zip(names, args, strict=False))
            given.update({k: v for k, v in kwargs.items() if k in names})
            ids = tuple(sorted(given.items(), key=lambda kv: kv[0]))
            return frozenset({ResV(res.service, name, ids, res.origin)})
        for action, spec in rdef.get("actions", {}).items():
            if _xform(action) == name:
                request = spec.get("request", {})
                method = _xform(request.get("operation", action))
                params = self._request_params(res, request, kwargs)
                self._emit(res.service, method, params, res.origin, node, f"{label}.{name}")
                rspec = spec.get("resource")
                if rspec:
                    ids = self._ids_from(res, rspec.get("identifiers", []), [], params)
                    return frozenset({ResV(res.service, rspec.get("type", ""), ids, res.origin)})
                return EMPTY
        for waiter, spec in rdef.get("waiters", {}).items():
            if name == f"wait_until_{_xform(waiter)}":
                op = iam_map.waiter_operation(res.service, spec.get("waiterName", waiter))
                if op is not None:
                    params = self._request_params(res, spec, kwargs)
                    self._emit(res.service, _xform(op), params, res.origin, node, f"{label}.{name}")
                return EMPTY
        if name in ("load", "reload") and "load" in rdef:
            request = rdef["load"].get("request", {})
            params = self._request_params(res, request, kwargs)
            self._emit(
                res.service, _xform(request.get("operation", "")), params, res.origin, node, f"{label}.{name}"
            )
            return EMPTY
        helpers = iam_map.overlay()["helpers"].get(res.service, {})
        if name in helpers and res.rtype in helpers[name]:
            spec = helpers[name]
            called: dict[str, Values] = dict(zip(spec[res.rtype], args, strict=False)) | kwargs
            id_map = dict(res.ids)
            if "Name" in id_map and res.rtype == "Bucket":
                called["Bucket"] = id_map["Name"]
            if "BucketName" in id_map:
                called["Bucket"] = id_map["BucketName"]
            if "Key" in id_map:
                called["Key"] = id_map["Key"]
            if res.rtype == "Table":
                called["TableName"] = id_map.get("Name", EMPTY)
                self._emit(res.service, spec["operation"], called, res.origin, node, f"{label}.{name}")
                return EMPTY
            self._transfer(res.service, spec["operation"], called, res.origin, node, f"{label}.{name}")
            return EMPTY
        if name in ("get_available_subresources",):
            return EMPTY
        self.a.note(Unresolved(path, line, f"{label}.{name}", "not an action of this resource"))
        return EMPTY

    def _collection_call(
        self, coll: CollV, name: str, args: list[Values], kwargs: dict[str, Values], node: ast.Call
    ) -> Values:
        if name in ("all", "filter", "limit", "page_size"):
            params = dict(coll.params)
            if name == "filter":
                params |= kwargs
            return frozenset(
                {CollV(coll.res, coll.name, tuple(sorted(params.items(), key=lambda kv: kv[0])))}
            )
        rdef = self._rdef(coll.res) or {}
        spec = rdef.get("hasMany", {}).get(coll.name, {})
        item_type = spec.get("resource", {}).get("type", "")
        model = _resource_model(coll.res.service) or {}
        batch = model.get("resources", {}).get(item_type, {}).get("batchActions", {})
        for action, bspec in batch.items():
            if _xform(action) == name:
                self._list(coll, node)
                request = bspec.get("request", {})
                items = self._collection_items(coll, None)
                for item in items or {ResV(coll.res.service, item_type, (), coll.res.origin)}:
                    if isinstance(item, ResV):
                        params = self._request_params(item, request, kwargs)
                        self._emit(
                            coll.res.service,
                            _xform(request.get("operation", action)),
                            params,
                            coll.res.origin,
                            node,
                            f"{item_type}s.{name}",
                        )
                return EMPTY
        return EMPTY

    def _list(self, coll: CollV, node: ast.AST) -> None:
        rdef = self._rdef(coll.res) or {}
        spec = rdef.get("hasMany", {}).get(coll.name)
        if not spec:
            return
        request = spec.get("request", {})
        params = self._request_params(coll.res, request, dict(coll.params))
        self._emit(
            coll.res.service,
            _xform(request.get("operation", "")),
            params,
            coll.res.origin,
            node,
            f"{coll.res.rtype or coll.res.service}.{_xform(coll.name)}",
        )

    def _collection_items(self, coll: CollV, node: ast.AST | None) -> Values:
        rdef = self._rdef(coll.res) or {}
        spec = rdef.get("hasMany", {}).get(coll.name)
        if not spec:
            return EMPTY
        if node is not None:
            self._list(coll, node)
        rspec = spec.get("resource", {})
        ids = dict(self._ids_from(coll.res, rspec.get("identifiers", []), [], {}))
        params = dict(coll.params)
        for ident in rspec.get("identifiers", []):
            if ident.get("source") == "response" and ident["target"] == "Key" and "Prefix" in params:
                ids["Key"] = frozenset(
                    Prefix(v.value, v.wild and v.wild + "*") if isinstance(v, Const) else v
                    for v in params["Prefix"]
                )
        items = tuple(sorted(ids.items(), key=lambda kv: kv[0]))
        return frozenset({ResV(coll.res.service, rspec.get("type", ""), items, coll.res.origin)})


# responses that name a resource the request already named: the planner fills in region/account
_DERIVED = {
    ("sqs", "get_queue_url"): ("QueueName", "QueueUrl", "https://sqs.{region}.amazonaws.com/{account}/%s"),
    ("sqs", "create_queue"): ("QueueName", "QueueUrl", "https://sqs.{region}.amazonaws.com/{account}/%s"),
    ("sns", "create_topic"): ("Name", "TopicArn", "arn:aws:sns:{region}:{account}:%s"),
    # the stream's label is a timestamp known only at run time: any stream of that table
    ("dynamodb", "describe_table"): (
        "TableName",
        "Table.LatestStreamArn",
        "arn:aws:dynamodb:{region}:{account}:table/%s/stream/*",
    ),
}


def _derived_result(service: str, method: str, kwargs: dict[str, Values]) -> Values:
    if service == "s3" and method in ("list_objects_v2", "list_objects", "list_object_versions"):
        # every key a listing returns starts with the prefix it asked for
        keys: set[Value] = set()
        for prefix in kwargs.get("Prefix", EMPTY):
            if isinstance(prefix, Const | Prefix) and prefix.value:
                wild = prefix.wild + "*" if isinstance(prefix, Const) and prefix.wild else prefix.wild
                keys.add(Prefix(prefix.value, wild))
            else:
                return EMPTY
        if not keys:
            return EMPTY
        entry = DictV((("Key", frozenset(keys)),))
        field_name = "Versions" if method == "list_object_versions" else "Contents"
        return frozenset({DictV(((field_name, frozenset({ListV(frozenset({entry}))})),))})
    spec = _DERIVED.get((service, method))
    if spec is None:
        return EMPTY
    source, field_name, template = spec
    names = [v.value for v in kwargs.get(source, EMPTY) if isinstance(v, Const)]
    if not names:
        return EMPTY
    owners = [v.value for v in kwargs.get("QueueOwnerAWSAccountId", EMPTY) if isinstance(v, Const)]
    if service == "sqs" and len(owners) == 1:
        template = template.replace("{account}", owners[0])  # another account's queue
    values: Values = frozenset(Const(template % n) for n in names)
    for part in reversed(field_name.split(".")):
        values = frozenset({DictV(((part, values),))})
    return values
