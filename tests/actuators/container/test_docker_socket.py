"""The stdlib socket client (docker_socket) against a tiny threaded HTTP server on a unix
socket answering canned JSON, its error mapping, for_url()'s choice of transport, and the
actuator observing through it. No Docker engine needed."""

from __future__ import annotations

import http.server
import json
import shutil
import socketserver
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import docker.utils
import pytest

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.container.actuator import ContainerActuator
from reconciler.errors import TerminalError, TransientError
from reconciler.model.changes import Status
from reconciler.model.types import Address
from reconciler.transports.docker import errors as de
from reconciler.transports.docker import socket as ds
from reconciler.transports.local import LocalTransport

FIXTURES = Path(__file__).parent / "fixtures"
LISTED = json.loads((FIXTURES / "list_fx.json").read_text())
OOM = json.loads((FIXTURES / "inspect_oom.json").read_text())
# path (without the query) -> (status, JSON body, send it chunked)
ROUTES: dict[str, tuple[int, Any, bool]] = {
    "/v1.41/containers/json": (200, LISTED, False),
    "/v1.41/containers/chunky/json": (200, {"Id": "chunky", "State": {"Status": "running"}}, True),
    f"/v1.41/containers/{OOM['Id']}/json": (200, OOM, False),
    "/v1.41/containers/gone/json": (404, {"message": "No such container: gone"}, False),
    "/v1.41/containers/boom/json": (500, {"message": "driver failed"}, False),
    "/v1.41/containers/bad/json": (400, {"message": "invalid filter"}, False),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the handler says otherwise
    server: FakeEngine

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if self.server.hang.is_set():
            self.server.release.wait(5)
            return
        status, body, chunked = ROUTES.get(urlsplit(self.path).path, (404, {"message": "?"}, False))
        if self.path == "/_ping":
            status, body, chunked = 200, None, False
        data = b"OK" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Api-Version", "1.41")
        self.send_header("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(data), 7):
                piece = data[start:start + 7]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        self.close_connection = self.server.drop_after_answer  # closed without saying so

    def log_message(self, format: str, *args: Any) -> None:
        return


class FakeEngine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str):
        super().__init__(path, Handler)
        self.requests: list[str] = []
        self.connections = 0
        self.drop_after_answer = False
        self.hang, self.release = threading.Event(), threading.Event()


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="rsock", dir="/tmp"))  # AF_UNIX paths are short
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def engine(sock_dir: Path) -> Iterator[FakeEngine]:
    server = FakeEngine(str(sock_dir / "engine.sock"))
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def api_of(engine: FakeEngine, timeout: float = 5.0) -> ds.SocketAPI:
    return ds.SocketAPI(str(engine.server_address), f"unix://{engine.server_address}", timeout)


def test_list_sends_all_and_filters_as_the_sdk_does_and_returns_the_entries(
        engine: FakeEngine) -> None:
    filters = {"label": ["io.reconciler.scope=s", "io.reconciler.address=container.web"],
               "dangling": True, "exited": 137}
    assert api_of(engine).containers(all=True, filters=filters) == LISTED
    assert engine.requests[0] == "/_ping"
    query = parse_qs(urlsplit(engine.requests[1]).query)
    assert urlsplit(engine.requests[1]).path == "/v1.41/containers/json"
    assert query["all"] == ["1"]
    assert json.loads(query["filters"][0]) == {
        "label": ["io.reconciler.scope=s", "io.reconciler.address=container.web"],
        "dangling": ["true"], "exited": ["137"]}
    assert query["filters"] == [docker.utils.convert_filters(filters)]


def test_without_filters_only_all_is_sent(engine: FakeEngine) -> None:
    api_of(engine).containers()
    assert urlsplit(engine.requests[1]).query == "all=0"


def test_one_kept_alive_connection_serves_every_call_and_pings_once(engine: FakeEngine) -> None:
    api = api_of(engine)
    for _ in range(3):
        api.containers(all=True)
    assert api.inspect_container(OOM["Id"])["State"]["OOMKilled"] is True
    assert engine.connections == 1
    assert engine.requests.count("/_ping") == 1 and len(engine.requests) == 5


def test_a_connection_the_engine_dropped_is_reopened_once(engine: FakeEngine) -> None:
    engine.drop_after_answer = True
    api = api_of(engine)
    assert api.containers(all=True) == LISTED
    assert api.containers(all=True) == LISTED
    assert engine.connections >= 2


def test_chunked_answers_are_read_whole(engine: FakeEngine) -> None:
    assert api_of(engine).inspect_container("chunky") == {"Id": "chunky",
                                                          "State": {"Status": "running"}}


def test_404_is_not_found_like_the_sdks(engine: FakeEngine) -> None:
    with pytest.raises(ds.NotFound) as info:
        api_of(engine).inspect_container("gone")
    assert info.value.status_code == 404
    assert info.value.explanation == "No such container: gone"
    assert de.is_not_found(info.value)


def test_http_errors_map_like_the_sdks_5xx_transient_4xx_terminal(engine: FakeEngine) -> None:
    api = api_of(engine)
    with (pytest.raises(TransientError, match="inspecting: Docker engine error 500: driver"),
          de.engine_errors(None, "inspecting")):
        api.inspect_container("boom")
    with pytest.raises(TerminalError) as info, de.engine_errors(None, "inspecting"):
        api.inspect_container("bad")
    assert info.value.message == "inspecting: invalid filter"


def test_a_missing_socket_is_unreachable_with_the_start_hint(sock_dir: Path) -> None:
    path = sock_dir / "absent.sock"
    with pytest.raises(TerminalError) as info:
        ds.SocketAPI(str(path), f"unix://{path}").containers(all=True)
    assert info.value.message == (f"cannot reach the Docker engine at unix://{path}: "
                                  "no engine socket there")
    assert info.value.hint == de.START_HINT


def test_an_engine_that_does_not_answer_is_transient(engine: FakeEngine) -> None:
    api = api_of(engine, timeout=0.3)
    api.containers()  # connected and pinged
    engine.hang.set()
    with pytest.raises(TransientError, match="did not answer in time"):
        api.containers()


def test_the_actuator_observes_through_the_socket_api(engine: FakeEngine) -> None:
    actuator = ContainerActuator(api_factory=lambda url: api_of(engine))
    ctx = ActuatorContext(project="fx", scope="fx", state_dir=Path("/nonexistent"),
                          transport=LocalTransport())
    seen = actuator.observe((), {}, ctx)
    assert seen[Address("container", "oom")].reason == "exited 137 (OOM killed)"
    assert seen[Address("container", "web")].status is Status.RUNNING
    assert urlsplit(engine.requests[-2]).path == "/v1.41/containers/json"
    assert engine.requests[-1] == f"/v1.41/containers/{OOM['Id']}/json"


def test_injected_clients_keep_their_reads_and_a_none_api_falls_back() -> None:
    class Client:
        api = object()

    ctx = ActuatorContext(project="p", scope="s", state_dir=Path("/nonexistent"),
                          transport=LocalTransport())
    assert ContainerActuator(client_factory=lambda url: Client()).read_api(ctx) is Client.api
    fallback = ContainerActuator(client_factory=lambda url: Client(), api_factory=lambda u: None)
    assert fallback.read_api(ctx) is Client.api


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "DOCKER_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    return monkeypatch


def socket_path(url: str | None = None) -> str | None:
    api = ds.for_url(url)
    return None if api is None else api.path


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("DOCKER_HOST", "unix:///run/user/1000/docker.sock", "/run/user/1000/docker.sock"),
    ("DOCKER_HOST", "", ds.DEFAULT_SOCKET_PATH),
    ("DOCKER_HOST", "tcp://127.0.0.1:2375", None),
    ("DOCKER_HOST", "ssh://root@198.18.0.10", None),
    ("DOCKER_HOST", "npipe:////./pipe/docker_engine", None),
    ("DOCKER_TLS_VERIFY", "1", None),
    ("DOCKER_TLS_VERIFY", "", ds.DEFAULT_SOCKET_PATH),  # empty is "off" for the SDK too
    ("DOCKER_CERT_PATH", "/etc/docker/certs", None),
    ("DOCKER_CONTEXT", "remote", None),
    ("DOCKER_CONTEXT", "default", ds.DEFAULT_SOCKET_PATH),
])
def test_for_url_follows_the_environment(env: pytest.MonkeyPatch, name: str, value: str,
                                         expected: str | None) -> None:
    assert socket_path() == ds.DEFAULT_SOCKET_PATH
    env.setenv(name, value)
    assert socket_path() == expected


@pytest.mark.parametrize(("config", "expected"), [
    ({"currentContext": "desktop-linux"}, None),
    ({"currentContext": "default"}, ds.DEFAULT_SOCKET_PATH),
    ({"auths": {}}, ds.DEFAULT_SOCKET_PATH),
    ("{not json", None),
])
def test_for_url_follows_the_cli_context(env: pytest.MonkeyPatch, tmp_path: Path,
                                         config: Any, expected: str | None) -> None:
    text = config if isinstance(config, str) else json.dumps(config)
    (tmp_path / "config.json").write_text(text)
    assert socket_path() == expected


def test_an_explicit_url_is_the_engine_whatever_the_environment(env: pytest.MonkeyPatch) -> None:
    env.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")
    assert socket_path("unix:///srv/docker.sock") == "/srv/docker.sock"
    assert socket_path("tcp://127.0.0.1:2375") is None
    assert socket_path("ssh://root@198.18.0.10:22") is None
    assert socket_path("unix://relative.sock") is None
