"""Registries for the image tests: the real CNCF distribution registry, and a tiny token-auth one.

``RealRegistry`` starts Debian's ``docker-registry`` on 127.0.0.1 with filesystem storage in
the test's temp dir (optionally behind htpasswd basic auth). ``TokenRegistry`` is an
in-process HTTP server that speaks just enough of the API to test Bearer tokens and
redirects to another host (like blob storage), which the real registry cannot do without TLS
certificates.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REGISTRY_BIN = "/usr/bin/docker-registry"


def require_registry() -> None:
    """Skip without the binary locally; in CI (.ci/run installs it) its absence is a failure."""
    if os.path.exists(REGISTRY_BIN):
        return
    if os.environ.get("CI"):
        pytest.fail(f"{REGISTRY_BIN} is missing in CI: scripts/install-system-deps.sh should install it")
    pytest.skip("docker-registry is not installed (apt-get install docker-registry; CI installs it)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RealRegistry:
    def __init__(self, root: Path, *, users: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.users = dict(users or {})
        root.mkdir(parents=True, exist_ok=True)
        auth = ""
        if self.users:
            lines = []
            for user, password in self.users.items():
                out = subprocess.run(
                    ["htpasswd", "-Bbn", user, password], capture_output=True, text=True, check=True
                ).stdout
                lines.append(out.strip())
            (root / "htpasswd").write_text("\n".join(lines) + "\n")
            auth = f"auth:\n  htpasswd:\n    realm: keyshift-test\n    path: {root / 'htpasswd'}\n"
        (root / "config.yml").write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n"
            f"http:\n  addr: {self.host}\n  secret: keyshift-test-only\n" + auth
        )
        self.log = open(root / "registry.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [REGISTRY_BIN, "serve", str(root / "config.yml")], stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # 401: up, with auth
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        "registry did not start: " + (root / "registry.log").read_text()
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def _auth(self) -> dict[str, str]:
        if not self.users:
            return {}
        user, password = next(iter(self.users.items()))
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    def _req(self, method: str, url: str, data: bytes | None = None, headers: Mapping[str, str] = {}) -> Any:
        req = urllib.request.Request(url, data=data, method=method, headers={**self._auth(), **headers})
        return urllib.request.urlopen(req, timeout=10)

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        with self._req("POST", f"http://{self.host}/v2/{repo}/blobs/uploads/", b"") as resp:
            location = resp.headers["Location"]
        if location.startswith("/"):
            location = f"http://{self.host}{location}"
        sep = "&" if "?" in location else "?"
        self._req(
            "PUT", f"{location}{sep}digest={digest}", data, {"Content-Type": "application/octet-stream"}
        ).close()
        return digest

    def push_manifest(self, repo: str, ref: str, doc: bytes, media: str) -> None:
        self._req(
            "PUT", f"http://{self.host}/v2/{repo}/manifests/{ref}", doc, {"Content-Type": media}
        ).close()

    def push_layout(self, repo: str, tag: str, files: Mapping[str, bytes]) -> None:
        """Push every blob of an OCI layout, its manifests by digest, and the index (or manifest) as tag."""
        index = json.loads(files["index.json"])
        manifests = []
        for desc in index["manifests"]:
            mbytes = files[f"blobs/sha256/{desc['digest'][7:]}"]
            manifest = json.loads(mbytes)
            for blob in [manifest["config"], *manifest["layers"]]:
                self.push_blob(repo, files[f"blobs/sha256/{blob['digest'][7:]}"])
            self.push_manifest(repo, desc["digest"], mbytes, manifest["mediaType"])
            manifests.append(mbytes)
        if len(manifests) == 1:
            self.push_manifest(repo, tag, manifests[0], json.loads(manifests[0])["mediaType"])
        else:
            self.push_manifest(repo, tag, files["index.json"], "application/vnd.oci.image.index.v1+json")


class TokenRegistry:
    """Serves one OCI layout at ``/v2/<repo>/`` behind Bearer tokens from ``/token``.

    Blobs answer with a 307 redirect to ``localhost`` (another host name for the same server);
    the redirected request must arrive *without* an Authorization header, as blob storage
    would demand, so a client that leaks credentials across hosts gets a 400.
    """

    def __init__(
        self, files: Mapping[str, bytes], repo: str, *, user: str, password: str, max_uses: int | None = None
    ) -> None:
        self.files = dict(files)
        self.repo = repo
        self.max_uses = max_uses  # a token expires after this many requests (None: never)
        self.uses: dict[str, int] = {}
        self.basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.token_requests: list[str] = []
        self.leaked: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: bytes = b"", headers: Mapping[str, str] = {}) -> None:
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path, _, query = self.path.partition("?")
                auth = self.headers.get("Authorization", "")
                if path == "/token":
                    outer.token_requests.append(query)
                    if auth != outer.basic:
                        return self._send(401)
                    token = "tok-" + hashlib.sha256(os.urandom(8)).hexdigest()[:16]
                    outer.uses[token] = 0
                    return self._send(200, json.dumps({"token": token}).encode())
                if path.startswith("/storage/"):
                    if auth:
                        outer.leaked.append(auth)
                        return self._send(400, b"credentials sent to storage")
                    return self._send(200, outer.files[path[len("/storage/") :]])
                token = auth.removeprefix("Bearer ")
                if token in outer.uses:
                    outer.uses[token] += 1
                expired = outer.max_uses is not None and outer.uses.get(token, 0) > outer.max_uses
                if token not in outer.uses or expired:
                    realm = f"http://127.0.0.1:{outer.port}/token"
                    challenge = (
                        f'Bearer realm="{realm}",service="test-registry",scope="repository:{outer.repo}:pull"'
                    )
                    return self._send(401, b"", {"WWW-Authenticate": challenge})
                prefix = f"/v2/{outer.repo}/"
                if path.startswith(prefix + "manifests/"):
                    ref = path[len(prefix + "manifests/") :]
                    if ref.startswith("sha256:"):
                        body = outer.files.get(f"blobs/sha256/{ref[7:]}")
                    else:
                        index = json.loads(outer.files["index.json"])
                        body = outer.files.get(f"blobs/sha256/{index['manifests'][0]['digest'][7:]}")
                    if body is None:
                        return self._send(404)
                    media = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
                    return self._send(200, body, {"Content-Type": media})
                if path.startswith(prefix + "blobs/sha256:"):
                    name = f"blobs/sha256/{path[len(prefix + 'blobs/sha256:') :]}"
                    if name not in outer.files:
                        return self._send(404)
                    return self._send(307, b"", {"Location": f"http://localhost:{outer.port}/storage/{name}"})
                return self._send(404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.host = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def skopeo_available() -> bool:
    return shutil.which("skopeo") is not None
