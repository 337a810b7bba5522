"""Health probes against real servers and processes: tcp, http, command and sd_notify."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.process.actuator import ProcessActuator
from reconciler.health.notify import NotifySocket
from reconciler.health.probes import probe, wait_healthy
from reconciler.model.changes import Action, Change, HealthStatus, Status
from reconciler.model.types import Address, HealthCheck, ProbeKind, Resource
from reconciler.transports import procfs as proc_scan
from reconciler.transports.local import LocalTransport

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[int]:
    """``python3 -m http.server`` on a free 127.0.0.1 port, serving a dir with a subdir."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text("hello")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        check = HealthCheck(ProbeKind.TCP, f"127.0.0.1:{port}", interval=0.05, timeout=1,
                            retries=200)
        assert wait_healthy(check, lambda: probe(check, LocalTransport())).status \
            is HealthStatus.HEALTHY
        yield port
    finally:
        server.kill()
        server.wait()


def test_tcp_probe(http_server: int) -> None:
    transport = LocalTransport()
    up = probe(HealthCheck(ProbeKind.TCP, f"127.0.0.1:{http_server}", timeout=1), transport)
    assert up.status is HealthStatus.HEALTHY
    down = probe(HealthCheck(ProbeKind.TCP, f"127.0.0.1:{free_port()}", timeout=1), transport)
    assert down.status is HealthStatus.UNHEALTHY and "refused" in down.detail


def test_http_probe(http_server: int) -> None:
    transport = LocalTransport()
    base = f"http://127.0.0.1:{http_server}"

    def status(path: str) -> HealthStatus:
        return probe(HealthCheck(ProbeKind.HTTP, base + path, timeout=2), transport).status

    assert status("/") is HealthStatus.HEALTHY
    assert status("/sub") is HealthStatus.HEALTHY  # 301 to /sub/: 3xx counts, not followed
    assert status("/missing") is HealthStatus.UNHEALTHY
    dead = probe(HealthCheck(ProbeKind.HTTP, f"http://127.0.0.1:{free_port()}/", timeout=1),
                 transport)
    assert dead.status is HealthStatus.UNHEALTHY and dead.detail.startswith("GET ")


def test_command_probe_uses_the_service_env() -> None:
    transport = LocalTransport()
    env = {"PATH": "/usr/bin:/bin", "FOO": "bar"}
    good = HealthCheck(ProbeKind.COMMAND, 'test "$FOO" = bar', timeout=2)
    assert probe(good, transport, env=env).status is HealthStatus.HEALTHY
    bad = HealthCheck(ProbeKind.COMMAND, "echo not ready >&2; exit 1", timeout=2)
    result = probe(bad, transport, env=env)
    assert result.status is HealthStatus.UNHEALTHY and result.detail.endswith("not ready")
    slow = HealthCheck(ProbeKind.COMMAND, "sleep 10", timeout=0.2)
    assert probe(slow, transport, env=env).status is HealthStatus.UNHEALTHY


def test_notify_socket_marks_ready(tmp_path: Path) -> None:
    listener = NotifySocket(tmp_path / "run" / "api.notify", tmp_path / "run" / "api.ready")
    listener.open()
    try:
        check = HealthCheck(ProbeKind.NOTIFY)
        assert probe(check, LocalTransport(), notify_ready=listener.ready_path).status \
            is HealthStatus.STARTING
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as client:
            client.sendto(b"STATUS=warming up\nREADY=1\n", str(listener.path))
        deadline = time.monotonic() + 5
        while not listener.ready and time.monotonic() < deadline:
            time.sleep(0.02)
        assert probe(check, LocalTransport(), notify_ready=listener.ready_path).status \
            is HealthStatus.HEALTHY
        assert listener.status == "warming up"
    finally:
        listener.close()
    assert not listener.path.exists()


NOTIFY_SCRIPT = """
import os, socket, time
time.sleep(0.6)
with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
    s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
time.sleep(1000)
"""


def test_process_with_sd_notify_becomes_healthy(tmp_path: Path) -> None:
    scope = f"rhealth_{uuid.uuid4().hex[:10]}"
    ctx = ActuatorContext(project="rhealth", scope=scope, state_dir=tmp_path / "state",
                          transport=LocalTransport())
    check = HealthCheck(ProbeKind.NOTIFY, interval=0.05, retries=100)
    resource = Resource(Address("process", "api"),
                        {"command": [sys.executable, "-c", NOTIFY_SCRIPT], "cwd": None,
                         "env": {}, "user": None, "port": None, "stop_signal": "SIGTERM",
                         "shutdown_timeout": 2.0, "startup_timeout": 10.0}, health=check)
    actuator = ProcessActuator()
    try:
        seen = actuator.apply(Change(resource.address, Action.CREATE, None, None), resource, ctx)
        assert seen is not None and seen.status is Status.RUNNING
        assert actuator.health(resource, seen, ctx).status is HealthStatus.STARTING
        final = wait_healthy(check, lambda: actuator.health(resource, seen, ctx))
        assert final.status is HealthStatus.HEALTHY
        actuator.apply(Change(resource.address, Action.DELETE, None, None), resource, ctx)
        assert not (ctx.state_dir / "run" / "api.ready").exists()
    finally:
        actuator.close()
        for info in proc_scan.scan(scope):
            if proc_scan.is_same_process(info.pid, info.stat.starttime):
                os.kill(info.pid, signal.SIGKILL)
