"""A read-only Docker engine client over the local unix socket, stdlib only.

Owns the cheap path of observing an engine: importing the docker SDK (with requests and
urllib3) costs more than the whole rest of a no-op ``plan``, so observe lists and inspects
through :class:`SocketAPI` (``http.client`` on an ``AF_UNIX`` socket) when the engine is a
local unix socket (:func:`for_url`), and through the SDK otherwise (remote engines, TLS,
Docker CLI contexts). The methods have the signatures and return shapes of the SDK's
low-level ``client.api`` for what observe needs, so callers use either the same way.

Failures are never tracebacks: a socket that is missing, refuses or forbids the connection is
:func:`reconciler.transports.docker.errors.unreachable` (a TerminalError with the start hint), a
timeout is a TransientError, and an HTTP error answer raises ``EngineAPIError`` (404:
``NotFound``; both in :mod:`reconciler.transports.docker.errors`), shaped like the SDK's
``APIError`` (``status_code``, ``explanation``) so that
:func:`reconciler.transports.docker.errors.engine_errors` maps both the same way.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import cast
from urllib.parse import quote, urlencode

from reconciler.errors import TransientError
from reconciler.jsonvalue import JSONValue
from reconciler.transports.docker.client import ContainerInfo, ContainerSummary
from reconciler.transports.docker.errors import EngineAPIError, NotFound, describe, unreachable

__all__ = ["DEFAULT_SOCKET_PATH", "EngineAPIError", "NotFound", "SocketAPI", "convert_filters",
           "for_url"]

DEFAULT_SOCKET_PATH = "/var/run/docker.sock"
DEFAULT_TIMEOUT = 60.0  # the docker SDK's default for API calls
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class _UnixConnection(http.client.HTTPConnection):
    """An HTTP/1.1 connection whose transport is a unix stream socket."""

    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class SocketAPI:
    """GET-only client of one engine socket: one keep-alive connection, one request at a time."""

    def __init__(self, path: str, url: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.path = path
        self.url = url  # how the caller named the engine (None: from the environment)
        self._conn = _UnixConnection(path, timeout)
        self._lock = threading.Lock()
        self._prefix: str | None = None  # "/v1.41" once the engine said its API version

    def containers(self, all: bool = False,
                   filters: Mapping[str, object] | None = None) -> list[ContainerSummary]:
        """``GET /containers/json``: one summary per container, like ``APIClient.containers``."""
        params = {"all": "1" if all else "0"}
        if filters:
            params["filters"] = convert_filters(filters)
        answer = self._get(f"/containers/json?{urlencode(params)}")
        if not isinstance(answer, list):
            raise EngineAPIError(200, "the engine's container list is not a JSON list")
        # parse boundary: the engine's documented answer, its entries read by key
        return cast(list[ContainerSummary], answer)

    def inspect_container(self, container: str) -> ContainerInfo:
        """``GET /containers/{id}/json``; :class:`NotFound` when it is gone."""
        answer = self._get(f"/containers/{quote(container, safe='')}/json")
        if not isinstance(answer, dict):
            raise EngineAPIError(200, "the engine's container details are not a JSON object")
        return cast(ContainerInfo, answer)  # parse boundary: the engine's documented answer

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _get(self, path: str) -> JSONValue:
        with self._lock:
            if self._prefix is None:
                self._prefix = self._api_prefix()
            status, _, body = self._request(self._prefix + path)
        if status >= 400:
            raise (NotFound if status == 404 else EngineAPIError)(status, _message(body))
        try:
            answer: JSONValue = json.loads(body)
        except ValueError:
            raise EngineAPIError(status, f"GET {path}: the answer is not JSON") from None
        return answer

    def _api_prefix(self) -> str:
        """``/v<engine version>``: unversioned paths are deprecated, and a fixed version
        ages out (engines raise their minimum). ``/_ping`` is unversioned by design."""
        status, version, _ = self._request("/_ping")
        return f"/v{version}" if status == 200 and version else ""

    def _request(self, path: str) -> tuple[int, str, bytes]:
        """One GET on the kept connection (a stale one is reopened once); caller holds the
        lock. Returns status, the API-Version header and the body. Connection failures and
        timeouts become reconciler errors here."""
        for attempt in (1, 2):
            reused = self._conn.sock is not None
            try:
                if not reused:
                    self._conn.connect()
            except OSError as exc:
                self._conn.close()
                raise unreachable(self.url, exc) from None
            try:
                self._conn.request("GET", path)
                response = self._conn.getresponse()
                body = response.read()
            except TimeoutError:
                self._conn.close()
                raise TransientError(f"GET {path}: the Docker engine at {describe(self.url)} "
                                     "did not answer in time", retry_after=2.0) from None
            except (OSError, http.client.HTTPException) as exc:
                self._conn.close()
                if reused and attempt == 1 and isinstance(exc, _STALE):
                    continue  # the engine closed the idle keep-alive connection
                raise unreachable(self.url, exc) from None
            if response.will_close:
                self._conn.close()
            return response.status, response.getheader("API-Version") or "", body
        raise AssertionError("not reached: the second attempt returns or raises")


def convert_filters(filters: Mapping[str, object]) -> str:
    """The engine's ``filters`` query value: JSON with a list of strings per key (a bool
    becomes ``"true"``/``"false"``, a single value a one-element list), as the SDK does."""
    result: dict[str, list[str]] = {}
    for key, value in filters.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        items = value if isinstance(value, list | tuple) else [value]
        result[key] = [item if isinstance(item, str) else str(item) for item in items]
    return json.dumps(result)


def _message(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:300]
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        return str(parsed["message"])
    return " ".join(text.split())[:300]


def for_url(url: str | None, environ: Mapping[str, str] | None = None) -> SocketAPI | None:
    """A :class:`SocketAPI` when the engine named by ``url`` (None: the environment's, as
    ``docker.from_env()`` finds it) is a local unix socket; None when the SDK must be used:
    DOCKER_HOST is tcp/ssh/npipe, TLS is configured, or a Docker CLI context other than
    ``default`` is selected (DOCKER_CONTEXT, or currentContext in the CLI's config.json).
    An explicit ``url`` is the engine, whatever the environment says (as for the SDK)."""
    if url is not None:
        return _unix(url)
    env = os.environ if environ is None else environ
    if env.get("DOCKER_TLS_VERIFY") or env.get("DOCKER_CERT_PATH"):
        return None
    host = env.get("DOCKER_HOST")
    if host:
        return _unix(host)
    if env.get("DOCKER_CONTEXT", "default") not in ("", "default"):
        return None
    if _config_context(env) not in ("", "default"):
        return None
    return SocketAPI(DEFAULT_SOCKET_PATH, None)


def _unix(url: str) -> SocketAPI | None:
    if not url.startswith("unix://"):
        return None
    path = url.removeprefix("unix://")
    return SocketAPI(path, url) if path.startswith("/") else None


def _config_context(env: Mapping[str, str]) -> str:
    """The Docker CLI's currentContext ("" when none); a config we cannot read counts as a
    context (the SDK decides then)."""
    folder = env.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
    try:
        data = json.loads(Path(folder, "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ""
    except (OSError, ValueError):
        return "?"
    context = data.get("currentContext") if isinstance(data, dict) else None
    return context if isinstance(context, str) else ""
