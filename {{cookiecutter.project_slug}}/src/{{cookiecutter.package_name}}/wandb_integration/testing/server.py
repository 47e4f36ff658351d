"""A stateful stand-in of the W&B API on 127.0.0.1, for running the real wandb SDK online in tests.

Usage (the pytest fixtures in ``fixtures.py`` do this and set the environment)::

    with FakeWandbServer(entity="my-team") as server:
        os.environ["WANDB_BASE_URL"] = server.url
        ...  # wandb.init / log_artifact / use_artifact / Api().artifact(...).link(...)
        assert server.count("CreateArtifact") == 1
        collection, artifact = server.state.find("my-team", "proj", "dataset:latest")

Routes: ``POST /graphql`` (dispatched on ``operationName``, see ``graphql_handlers.py``), ``POST
/files/<entity>/<project>/<run>/file_stream`` (history, summary, exit code), ``PUT /upload/<token>`` (run
files, artifact files and manifests, to the URLs handed out), ``GET /blobs/<md5>/...`` (downloads) and the
SDK's own download routes ``/artifactsV2/.../<md5>/<name>`` and ``/artifacts/<entity>/<md5>``.

Two rules keep failures fast and readable. Nothing answers 5xx: wandb-core retries those with backoff for
minutes, so an unknown operation, or a handler that raises, answers HTTP 200 with an ``errors`` entry that
names the operation (the SDK raises it within a second); a malformed request gets 400; any other path,
such as the telemetry probes (``/sdk/otel/...``), gets 404, which switches telemetry off. Every request
is recorded (method, path, operation, variables, headers, body) so tests can assert what the SDK sent.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .graphql_handlers import HANDLERS
from .state import State

_OPERATION_IN_TEXT = re.compile(r"\b(?:query|mutation)\s+([A-Za-z_]\w*)")
_MD5_HEX = re.compile(r"^[0-9a-f]{32}$")
Answer = tuple[int, bytes, str | None, dict[str, Any]]  # status, body, GraphQL operation, its variables


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    operation: str | None  # the GraphQL operation name, None for other routes
    variables: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    body: bytes = field(default=b"", repr=False)
    status: int = 200


class FakeWandbServer:
    """The stand-in: ``start()`` serves on a free loopback port (``url``), ``stop()`` shuts it down.

    ``entity`` is the API key's user (the default entity of runs and ``Api()``); with ``accepted_key``, a
    GraphQL request carrying any other key is answered HTTP 401. ``features`` are the
    server feature names reported as enabled (``ServerFeaturesQuery``); none by default, which makes the
    SDK take its oldest request shapes. ``org_entity`` is the entity registry links
    (``wandb-registry-<name>/<collection>``) land under.
    """

    def __init__(
        self,
        *,
        entity: str = "stand-in",
        org_entity: str = "stand-in-org",
        features: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        accepted_key: str | None = None,
    ) -> None:
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.stand_in = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self.state = State(self.url, entity, org_entity, list(features))
        self.requests: list[RecordedRequest] = []
        self.unsupported: list[str] = []  # operations answered with "unsupported" (cleared by tests that expect one)
        self.accepted_key = accepted_key  # when set, GraphQL requests with another key get HTTP 401, as W&B's

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeWandbServer:
        # A short poll interval: shutdown() waits up to one interval, at the end of every test.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="wandb-stand-in", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeWandbServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ assertions
    def operations(self) -> list[str]:
        """GraphQL operation names in the order they arrived."""
        return [r.operation for r in list(self.requests) if r.operation]

    def count(self, operation: str) -> int:
        return self.operations().count(operation)

    def calls(self, operation: str) -> list[dict[str, Any]]:
        """The variables of each request of ``operation``."""
        return [r.variables for r in list(self.requests) if r.operation == operation]

    def key_leaks(self, api_key: str) -> list[RecordedRequest]:
        """Requests that carry ``api_key`` anywhere but the ``Authorization`` header (path, body, other headers)."""
        needle = api_key.encode()
        return [
            r
            for r in list(self.requests)
            if needle in r.body
            or api_key in r.path
            or any(api_key in v for k, v in r.headers.items() if k.lower() != "authorization")
        ]

    # ------------------------------------------------------------------ routing (called on server threads)
    def handle(self, method: str, path: str, body: bytes, authorization: str = "") -> Answer:
        parts = [p for p in path.split("?", 1)[0].split("/") if p]
        if self.accepted_key is not None and parts == ["graphql"] and not _carries(authorization, self.accepted_key):
            return 401, b'{"errors": [{"message": "user is not logged in"}]}', None, {}
        with self.state.lock:
            try:
                if method == "POST" and parts == ["graphql"]:
                    return self._graphql(body)
                return self._plain_route(method, parts, body)
            except Exception as exc:  # e.g. a malformed body: 400, not the 500 wandb-core retries for minutes
                return 400, f"W&B stand-in: {type(exc).__name__}: {exc}".encode(), None, {}

    def _plain_route(self, method: str, parts: list[str], body: bytes) -> Answer:
        if method == "POST" and len(parts) == 5 and parts[0] == "files" and parts[4] == "file_stream":
            self.state.file_stream(parts[1], parts[2], parts[3], json.loads(body or b"{}"))
            return 200, b'{"exitcode": null, "limits": {}}', None, {}
        if method == "PUT" and len(parts) == 2 and parts[0] == "upload":
            stored = self.state.store_upload(parts[1], body, hashlib.md5(body).hexdigest())
            return (200 if stored else 404), b"", None, {}
        if method == "GET" and parts and parts[0] in ("blobs", "artifacts", "artifactsV2"):
            # /blobs/<md5>/<name>, /artifacts/<entity>/<md5>, /artifactsV2/<region>/.../<md5>/<name>
            md5_hex = next((p for p in reversed(parts) if _MD5_HEX.match(p)), "")
            blob = self.state.blobs.get(md5_hex)
            return (200, blob, None, {}) if blob is not None else (404, b"", None, {})
        return 404, b"", None, {}  # telemetry probes (/sdk/otel/...) and anything else unknown

    def _graphql(self, body: bytes) -> Answer:
        payload = json.loads(body)
        query = payload.get("query") or ""
        match = _OPERATION_IN_TEXT.search(query)
        operation = payload.get("operationName") or (match.group(1) if match else "<anonymous>")
        variables = payload.get("variables") or {}
        handler = HANDLERS.get(operation)
        if handler is None:
            self.unsupported.append(operation)
            error = (
                f"unsupported operation {operation!r}; add a handler to wandb_integration/testing/graphql_handlers.py"
            )
        else:
            try:
                return 200, json.dumps({"data": handler(self.state, variables, query)}).encode(), operation, variables
            except Exception as exc:  # a stand-in bug: a GraphQL error the SDK raises at once, never a 5xx
                error = f"{operation} failed: {type(exc).__name__}: {exc}"
        answer = {"data": None, "errors": [{"message": f"W&B stand-in: {error}"}]}
        return 200, json.dumps(answer).encode(), operation, variables

    def record(self, request: RecordedRequest) -> None:
        self.requests.append(request)  # list.append is atomic; readers copy the list


def _carries(authorization: str, api_key: str) -> bool:
    """Whether a Basic ``Authorization`` header holds ``api_key`` (W&B's form is ``api:<key>``)."""
    scheme, _, encoded = authorization.partition(" ")
    try:
        return scheme.lower() == "basic" and base64.b64decode(encoded).decode().partition(":")[2] == api_key
    except ValueError:
        return False


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive between the SDK's many small requests; every answer has a length.
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        stand_in: FakeWandbServer = self.server.stand_in  # type: ignore[attr-defined]
        headers = dict(self.headers.items())
        if "chunked" in headers.get("Transfer-Encoding", ""):
            # wandb 0.31 always sends a length (checked); reading a chunked body as empty would corrupt state.
            body, self.close_connection = b"", True
            status, answer, operation, variables = 400, b"W&B stand-in: chunked bodies are not read", None, {}
        else:
            body = self.rfile.read(int(headers.get("Content-Length") or 0))
            # wandb-core may gzip file_stream posts when the server reports FILESTREAM_GZIP.
            body = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
            authorization = headers.get("Authorization", "")
            status, answer, operation, variables = stand_in.handle(self.command, self.path, body, authorization)
        stand_in.record(RecordedRequest(self.command, self.path, operation, variables, headers, body, status))
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if operation else "application/octet-stream")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request log is ``FakeWandbServer.requests``."""
