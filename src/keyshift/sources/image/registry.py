"""A read-only Docker Registry HTTP API v2 client on the standard library.

Only what a scan needs: resolve a reference, fetch manifests (OCI and Docker schema 2, with
multi-platform indexes), and stream blobs. Authentication follows the registry's
``WWW-Authenticate`` challenge: none, Basic, or Bearer tokens from the named realm, with
credentials from the flags or ``~/.docker/config.json``. Plain HTTP is used for loopback
registries and otherwise only with ``allow_http``. Credentials are never sent to a different
host on a redirect, and never appear in messages.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from keyshift.errors import KeyshiftError
from keyshift.sources.image.blobs import BlobOpener, load_json
from keyshift.sources.image.formats import INDEX_TYPES, ImagePlan, manifest_plan, platform_of, select_platform
from keyshift.sources.image.limits import Limits
from keyshift.sources.image.stream import LayerProblem

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
TIMEOUT = 60.0
DOCKER_HUB = "registry-1.docker.io"
_CHALLENGE_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')
_REPO = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$"
)


@dataclass(frozen=True, slots=True)
class Reference:
    host: str  # host[:port] as written (docker.io mapped to its API host)
    repository: str
    reference: str  # tag or digest

    @property
    def is_digest(self) -> bool:
        return ":" in self.reference


def parse_reference(ref: str) -> Reference:
    """``[host[:port]/]repo[:tag][@digest]``; Docker Hub names get ``library/`` and the API host."""
    text = ref.removeprefix("docker://").removeprefix("registry:")
    digest = None
    if "@" in text:
        text, digest = text.split("@", 1)
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
            raise KeyshiftError(f"invalid digest in image reference {ref!r}")
    first, sep, rest = text.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        host, path = first, rest
        if not _HOST.match(host):
            raise KeyshiftError(f"invalid registry host in image reference {ref!r}")
    else:
        host, path = "docker.io", text
    tag = "latest"
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        path, tag = path.rsplit(":", 1)
        if not _TAG.match(tag):
            raise KeyshiftError(f"invalid tag in image reference {ref!r}")
    if host in ("docker.io", "index.docker.io"):
        host = DOCKER_HUB
        if "/" not in path:
            path = f"library/{path}"
    if not path or not _REPO.match(path):
        raise KeyshiftError(f"not a file and not a valid image reference: {ref!r}")
    return Reference(host, path, digest or tag)


def is_loopback(host: str) -> bool:
    name = urllib.parse.urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """``Bearer realm="…",service="…",scope="…"`` -> ("bearer", {...})."""
    scheme, _, params = header.strip().partition(" ")
    out = {}
    for m in _CHALLENGE_PARAM.finditer(params):
        out[m.group(1).lower()] = m.group(2) if m.group(2) is not None else m.group(3)
    return scheme.lower(), out


def docker_config_auth(host: str) -> tuple[str, str] | None:
    """Username and password for ``host`` from ``$DOCKER_CONFIG/config.json`` or ``~/.docker``."""
    base = os.environ.get("DOCKER_CONFIG")
    path = Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    auths = data.get("auths") if isinstance(data, dict) else None
    if not isinstance(auths, dict):
        return None
    wanted = {host}
    if host == DOCKER_HUB:
        wanted |= {"docker.io", "index.docker.io"}
    for key, entry in auths.items():
        name = key.split("://", 1)[-1].split("/", 1)[0]
        if name not in wanted or not isinstance(entry, dict):
            continue
        if isinstance(entry.get("auth"), str) and entry["auth"]:
            try:
                user, _, pw = base64.b64decode(entry["auth"]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                continue
            return user, pw
        if isinstance(entry.get("username"), str) and isinstance(entry.get("password"), str):
            return entry["username"], entry["password"]
    return None


class _NoCrossHostAuth(urllib.request.HTTPRedirectHandler):
    """Follow redirects (blob storage) but drop credentials when the host changes."""

    def __init__(self, allow_http: bool) -> None:
        self.allow_http = allow_http

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is None:
            return None
        old_parts, new_parts = urllib.parse.urlsplit(req.full_url), urllib.parse.urlsplit(newurl)
        if new_parts.scheme == "http" and old_parts.scheme == "https" and not self.allow_http:
            raise urllib.error.HTTPError(newurl, code, "redirect from https to http refused", headers, fp)
        if new_parts.netloc != old_parts.netloc:
            for name in list(new.headers):
                if name.lower() == "authorization":
                    del new.headers[name]
            new.unredirected_hdrs.pop("Authorization", None)
        return new


def _opener(host: str, allow_http: bool) -> urllib.request.OpenerDirector:
    handlers: list[Any] = [_NoCrossHostAuth(allow_http)]
    if is_loopback(host):
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


@dataclass(frozen=True, slots=True)
class HttpBlob:
    """A blob URL plus the header that authorises it; opened inside worker processes.

    ``token_url``/``token_auth`` let a worker fetch a fresh bearer token when the one it was
    given has expired (registries hand out tokens valid for minutes; big images take longer).
    Never printed: ``repr`` leaves the credentials out.
    """

    url: str
    authorization: str | None = field(repr=False)
    host: str
    allow_http: bool
    token_url: str | None = None
    token_auth: str | None = field(default=None, repr=False)

    def _get(self, authorization: str | None) -> Any:
        req = urllib.request.Request(self.url)
        if authorization:
            req.add_unredirected_header("Authorization", authorization)
        return _opener(self.host, self.allow_http).open(req, timeout=TIMEOUT)

    def open(self) -> BinaryIO:
        try:
            try:
                resp = self._get(self.authorization)
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code != 401 or not self.token_url:
                    raise
                resp = self._get(_fetch_token(self.token_url, self.token_auth, self.allow_http))
        except urllib.error.HTTPError as exc:
            exc.close()
            what = "blob is missing" if exc.code == 404 else "blob cannot be fetched"
            raise LayerProblem(f"{what} (HTTP {exc.code})") from None
        except KeyshiftError as exc:
            raise LayerProblem(f"blob cannot be fetched: {exc}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise LayerProblem(f"blob cannot be fetched: {_reason(exc)}") from None
        return resp  # type: ignore[no-any-return]


def _fetch_token(url: str, basic: str | None, allow_http: bool) -> str:
    """``Bearer <token>`` from a token endpoint (``url`` carries service and scope)."""
    host = urllib.parse.urlsplit(url).netloc
    req = urllib.request.Request(url)
    if basic:
        req.add_unredirected_header("Authorization", basic)
    try:
        with _opener(host, allow_http).open(req, timeout=TIMEOUT) as resp:
            body = resp.read(1024 * 1024)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise KeyshiftError(f"token request refused (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError) as exc:
        raise KeyshiftError(f"token server unreachable: {_reason(exc)}") from None
    try:
        data = json.loads(body)
        token = data.get("token") or data.get("access_token")
    except (ValueError, AttributeError):
        token = None
    if not isinstance(token, str) or not token:
        raise KeyshiftError("token server sent no token")
    return f"Bearer {token}"


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else type(exc).__name__)


class Client:
    """One repository on one registry; remembers the Authorization header once earned."""

    def __init__(
        self, ref: Reference, *, username: str | None, password: str | None, allow_http: bool
    ) -> None:
        self.ref = ref
        self.allow_http = allow_http
        scheme = "http" if allow_http or is_loopback(ref.host) else "https"
        self.base = f"{scheme}://{ref.host}/v2/{ref.repository}"
        if username is None and password is None:
            found = docker_config_auth(ref.host)
            if found:
                username, password = found
        self.username = username
        self.password = password
        self.authorization: str | None = None
        self.token_url: str | None = None
        self._opener = _opener(ref.host, allow_http)

    def _open(self, url: str, accept: str | None = None) -> Any:
        for attempt in range(2):
            req = urllib.request.Request(url)
            if accept:
                req.add_header("Accept", accept)
            if self.authorization:
                req.add_unredirected_header("Authorization", self.authorization)
            try:
                return self._opener.open(req, timeout=TIMEOUT)
            except urllib.error.HTTPError as exc:
                challenge = exc.headers.get("WWW-Authenticate", "") if exc.headers else ""
                exc.close()
                if exc.code == 401 and attempt == 0 and challenge:
                    self._authenticate(challenge)
                    continue
                if exc.code == 401:
                    raise KeyshiftError(
                        f"registry {self.ref.host}: authentication failed (HTTP 401)"
                    ) from None
                if exc.code == 404:
                    raise KeyshiftError(
                        f"registry {self.ref.host}: {url.split('/v2/', 1)[-1]} not found"
                    ) from None
                raise KeyshiftError(f"registry {self.ref.host}: HTTP {exc.code} for {url}") from None
            except (urllib.error.URLError, OSError) as exc:
                raise KeyshiftError(f"registry {self.ref.host} cannot be reached: {_reason(exc)}") from None
        raise KeyshiftError(f"registry {self.ref.host}: authentication failed")

    def _basic(self) -> str | None:
        if self.username is None:
            return None
        raw = f"{self.username}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def _authenticate(self, header: str) -> None:
        scheme, params = parse_challenge(header)
        if scheme == "basic":
            basic = self._basic()
            if basic is None:
                raise KeyshiftError(
                    f"registry {self.ref.host} needs credentials (--registry-username, "
                    "--registry-password-stdin or ~/.docker/config.json)"
                )
            self.authorization = basic
            return
        if scheme != "bearer" or "realm" not in params:
            raise KeyshiftError(f"registry {self.ref.host}: unsupported authentication scheme {scheme!r}")
        realm = params["realm"]
        parts = urllib.parse.urlsplit(realm)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise KeyshiftError(f"registry {self.ref.host}: invalid token realm")
        if parts.scheme == "http" and not (self.allow_http or is_loopback(parts.netloc)):
            raise KeyshiftError(f"registry {self.ref.host}: token realm is plain HTTP (use --allow-http)")
        query = {"service": params.get("service", ""), "scope": f"repository:{self.ref.repository}:pull"}
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(query)
        try:
            self.authorization = _fetch_token(url, self._basic(), self.allow_http)
        except KeyshiftError as exc:
            raise KeyshiftError(f"registry {self.ref.host}: {exc}") from None
        self.token_url = url

    def manifest(self, reference: str, limits: Limits) -> tuple[Mapping[str, Any], str]:
        with self._open(f"{self.base}/manifests/{reference}", ACCEPT) as resp:
            media = (resp.headers.get("Content-Type") or "").split(";")[0].strip()
            body = resp.read(limits.max_json_bytes + 1)
        if len(body) > limits.max_json_bytes:
            raise KeyshiftError(
                f"registry {self.ref.host}: manifest larger than {limits.max_json_bytes} bytes"
            )
        if reference.startswith("sha256:"):
            got = "sha256:" + hashlib.sha256(body).hexdigest()
            if got != reference:
                raise KeyshiftError(f"registry {self.ref.host}: manifest digest mismatch for {reference}")
        try:
            doc = load_json(body, "manifest", limits.max_json_depth)
        except LayerProblem as exc:
            raise KeyshiftError(f"registry {self.ref.host}: {exc}") from None
        if not isinstance(doc, Mapping):
            raise KeyshiftError(f"registry {self.ref.host}: manifest is not a JSON object")
        if doc.get("schemaVersion") == 1:
            raise KeyshiftError(f"registry {self.ref.host}: schema 1 manifests are not supported")
        return doc, str(doc.get("mediaType") or media)

    def blob(self, digest: str) -> HttpBlob:
        return HttpBlob(
            f"{self.base}/blobs/{digest}",
            self.authorization,
            self.ref.host,
            self.allow_http,
            token_url=self.token_url,
            token_auth=self._basic() if self.token_url else None,
        )


class RegistryStore:
    """The ``Store`` view of a registry repository: ``blobs/<alg>/<hex>`` names become blob URLs."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.description = f"{client.ref.host}/{client.ref.repository}"

    def opener(self, name: str) -> BlobOpener | None:
        parts = name.split("/")
        if len(parts) != 3 or parts[0] != "blobs":
            return None
        return self.client.blob(f"{parts[1]}:{parts[2]}")

    def size(self, name: str) -> int | None:
        return None


def open_registry(
    ref: str,
    limits: Limits,
    *,
    platform: str | None,
    username: str | None,
    password: str | None,
    allow_http: bool,
) -> tuple[list[ImagePlan], str, list[str]]:
    """Resolve ``ref`` on its registry to image plans whose layers stream over HTTP."""
    parsed = parse_reference(ref)
    client = Client(parsed, username=username, password=password, allow_http=allow_http)
    store = RegistryStore(client)
    doc, media = client.manifest(parsed.reference, limits)
    notes: list[str] = []
    if media in INDEX_TYPES or ("manifests" in doc and "layers" not in doc):
        manifests = doc.get("manifests")
        if not isinstance(manifests, list):
            raise KeyshiftError(f"registry {parsed.host}: index has no manifests list")
        chosen, note = select_platform(manifests, platform)
        if not chosen:
            raise KeyshiftError(f"registry {parsed.host}: index lists no image manifest")
        plans = []
        for desc in chosen:
            digest = desc.get("digest")
            where = platform_of(desc) or "index entry"
            if not isinstance(digest, str) or not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
                notes.append(f"{where}: invalid manifest digest; skipped")
                continue
            try:
                sub, _ = client.manifest(digest, limits)
            except KeyshiftError as exc:
                notes.append(f"{where}: {exc}; skipped")
                continue
            plan = manifest_plan(sub, store, limits)
            plan.platform = platform_of(desc)
            plans.append(plan)
        if not plans:
            raise KeyshiftError(f"registry {parsed.host}: no readable image in the index: {'; '.join(notes)}")
        if note:
            notes.append(f"scanned {note}")
        if len(plans) > 1:
            for n, plan in enumerate(plans):
                plan.label = plan.platform or f"image {n}"
        return plans, "registry", notes
    if platform:
        notes.append(f"{ref} is a single-platform image; --platform {platform} not checked")
    return [manifest_plan(doc, store, limits)], "registry", notes
