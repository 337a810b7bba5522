"""A project made only of the seed systems' own files, end to end on real local processes:
vendetta ``.vendetta/config.yaml`` services, par ``.par.yaml`` initialization tasks and a
services.yaml in the harness daemon shape. apply -> plan shows no changes -> destroy, with
every process found by its /proc mark and killed by pid in the finalizer (never by name)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.transports import procfs as proc_scan

VENDETTA = """\
name: seedproj
agents: {{claude: {{enabled: true}}}}
mcp: {{servers: [filesystem]}}
services:
  api:
    command: "exec python3 -m http.server $PORT --bind 127.0.0.1"
    port: {port}
    depends_on: [install-deps]
    healthcheck: {{url: "http://127.0.0.1:{port}/", interval: 200ms, timeout: 2s, retries: 50}}
"""
PAR = """\
initialization:
  commands:
    - "echo prepared > .prepared"
    - name: Install deps
      command: "test -f .prepared && echo deps > .deps"
"""
DAEMON = """\
services:
  worker:
    service_type: daemon
    target:
      type: process
      command: "exec sleep 3600"
      env: {API_PORT: "${api.port}"}
    dependencies: [{service: api}]
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cli:
    def __init__(self, project: Path, session: str):
        self.project, self.session = project, session

    def __call__(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([sys.executable, "-m", "reconciler", "-C", str(self.project),
                               "--session", self.session, "--no-color", *args],
                              capture_output=True, text=True, timeout=180,
                              stdin=subprocess.DEVNULL)
        assert proc.returncode == expect, proc.stdout + proc.stderr
        return proc


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Cli, int, str]]:
    port = _free_port()
    root = tmp_path / "seed"
    (root / ".vendetta").mkdir(parents=True)
    (root / ".vendetta" / "config.yaml").write_text(VENDETTA.format(port=port))
    (root / ".par.yaml").write_text(PAR)
    (root / "services.yaml").write_text(DAEMON)
    session = f"t{os.getpid()}seed"
    cli = Cli(root, session)
    yield cli, port, f"seedproj_{session}"
    subprocess.run(cli_argv(root, session, "destroy", "--auto-approve"), capture_output=True,
                   timeout=180, stdin=subprocess.DEVNULL, check=False)
    for info in proc_scan.scan(f"seedproj_{session}"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(info.stat.pgrp, signal.SIGKILL)


def cli_argv(root: Path, session: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", "-C", str(root), "--session", session,
            "--no-color", *args]


def test_vendetta_par_daemon_project_applies_is_stable_and_destroys(
        project: tuple[Cli, int, str]) -> None:
    cli, port, scope = project
    validate = cli("validate")
    assert "'agents' is not read by reconciler" in validate.stdout
    cli("apply", "--auto-approve")
    assert (cli.project / ".deps").read_text() == "deps\n"  # par tasks ran, in order
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
        assert response.status == 200
    running = {info.address for info in proc_scan.scan(scope)}
    assert {"process.api", "process.worker"} <= running
    worker = next(i for i in proc_scan.scan(scope) if i.address == "process.worker")
    environ = Path(f"/proc/{worker.pid}/environ").read_bytes().split(b"\0")
    assert f"API_PORT={port}".encode() in environ
    cli("plan", "--detailed-exitcode")  # exit 0: no changes
    cli("destroy", "--auto-approve")
    assert [i for i in proc_scan.scan(scope) if i.address.startswith("process.")] == []
