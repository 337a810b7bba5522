"""A container with an auto-assigned host port, through the CLI on the real engine.

The port is chosen once and recorded: apply, then `plan --detailed-exitcode` is 0 (no replace
with a new port), and the published port answers on 127.0.0.1. destroy removes the container.
Finalizers remove the scope's containers and network by label and name.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from infra.docker_env import BUSYBOX_IMAGE, DockerCleanup, unique_name

SERVICES = """\
name: autoport
services:
  box:
    type: docker
    image: {image}
    command: ["sh", "-c", "mkdir -p /w && echo hello > /w/index.html && exec httpd -f -p 80 -h /w"]
    ports: [80]
    port: auto
    shutdown_timeout: 1
    health_check: {{http: "http://127.0.0.1:${{box.port}}/", interval: 0.2, start_period: 10}}
"""


def cli(project: Path, session: str, *args: str, expect: int = 0) -> str:
    proc = subprocess.run([sys.executable, "-m", "reconciler", "-C", str(project),
                           "--session", session, "--no-color", *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == expect, proc.stdout + proc.stderr
    return proc.stdout


def test_auto_port_is_recorded_and_stable(tmp_path: Path, busybox_image: str,
                                          docker_cleanup: DockerCleanup,
                                          docker_client: Any) -> None:
    session = unique_name("ap")
    scope = f"autoport_{session}"
    (tmp_path / "services.yaml").write_text(SERVICES.format(image=BUSYBOX_IMAGE))
    try:
        cli(tmp_path, session, "apply", "--auto-approve")
        cli(tmp_path, session, "plan", "--detailed-exitcode")  # 0: the port did not move
        status = json.loads(cli(tmp_path, session, "status", "--json"))
        port = next(r["port"] for r in status["resources"] if r["name"] == "box")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
            assert answer.read().strip() == b"hello"
        cli(tmp_path, session, "destroy", "--auto-approve")
        left = docker_client.containers.list(
            all=True, filters={"label": f"io.reconciler.scope={scope}"})
        assert left == []
    finally:
        for container in docker_client.containers.list(
                all=True, filters={"label": f"io.reconciler.scope={scope}"}):
            docker_cleanup.container(container.id)
        for network in docker_client.networks.list(names=[scope]):
            docker_cleanup.network(network.id)
