"""Attached, not managed: a vendetta service with only a ``port`` is an external endpoint.

A listener the test itself opens plays the endpoint (started outside reconciler). The plan
says "attached, not managed"; apply probes it before its dependant starts and passes its
port (``${web.port}``); plan afterwards shows no changes; destroy stops the dependant and
leaves the endpoint alone. With the endpoint down, apply fails the dependant with the probe's
message and starts nothing in its place. Processes are found by their /proc mark and killed
by pid in the finalizer.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_seed_projects import Cli, cli_argv

from reconciler.transports import procfs as proc_scan

VENDETTA = """\
name: shop
services:
  web:
    port: {port}
  api:
    command: "exec sleep 3600"
    env: {{UPSTREAM: "http://127.0.0.1:${{web.port}}"}}
    depends_on: [web]
"""


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock
    sock.close()


@pytest.fixture
def shop(tmp_path: Path, listener: socket.socket) -> Iterator[tuple[Cli, int, str]]:
    port = int(listener.getsockname()[1])
    root = tmp_path / "shop"
    (root / ".vendetta").mkdir(parents=True)
    (root / ".vendetta" / "config.yaml").write_text(VENDETTA.format(port=port))
    session = f"t{os.getpid()}att"
    yield Cli(root, session), port, f"shop_{session}"
    import subprocess

    subprocess.run(cli_argv(root, session, "destroy", "--auto-approve"), capture_output=True,
                   timeout=180, stdin=subprocess.DEVNULL, check=False)
    for info in proc_scan.scan(f"shop_{session}"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(info.stat.pgrp, signal.SIGKILL)


def test_port_only_service_is_probed_referenced_and_never_touched(
        shop: tuple[Cli, int, str], listener: socket.socket) -> None:
    cli, port, scope = shop
    plan = cli("plan")
    assert "attached, not managed" in plan.stdout, plan.stdout
    cli("apply", "--auto-approve")
    api = next(i for i in proc_scan.scan(scope) if i.address == "process.api")
    environ = Path(f"/proc/{api.pid}/environ").read_bytes().split(b"\0")
    assert f"UPSTREAM=http://127.0.0.1:{port}".encode() in environ
    assert [i.address for i in proc_scan.scan(scope)] == ["process.api"]
    cli("plan", "--detailed-exitcode")  # exit 0: no changes
    cli("destroy", "--auto-approve")
    assert list(proc_scan.scan(scope)) == []
    listener.settimeout(5)
    probe = socket.create_connection(("127.0.0.1", port), timeout=5)
    probe.close()  # the endpoint still listens: destroy left it alone


def test_dependant_of_a_down_endpoint_fails_and_nothing_is_started(
        shop: tuple[Cli, int, str], listener: socket.socket) -> None:
    cli, port, scope = shop
    listener.close()  # the endpoint is down
    text = (cli.project / ".vendetta" / "config.yaml").read_text()
    (cli.project / ".vendetta" / "config.yaml").write_text(
        text.replace(f"port: {port}\n", f"port: {port}\n    healthcheck: "
                     f"{{url: 'http://127.0.0.1:{port}/', interval: 100ms, retries: 2}}\n", 1))
    failed = cli("apply", "--auto-approve", expect=1)
    assert "attached.web is attached, not managed: start it yourself" in \
        failed.stdout + failed.stderr
    assert list(proc_scan.scan(scope)) == []
    web = next(line for line in cli("status").stdout.splitlines()
               if line.startswith("attached.web"))
    assert "unhealthy" in web.split()  # status probes it though it has nothing of ours
