"""process -> container -> Compose, end to end through the CLI on the real engine and Compose.

One project (`python -m reconciler -C <tmp project> --session <unique>` in a subprocess): a
local `python3 -m http.server` with an http check, a busybox httpd container depending on it,
and a `type: compose` entry (one busybox httpd service with a Docker healthcheck) depending on
the container. apply brings all three up in dependency order; plan --detailed-exitcode is 0
after; an env change on the container replaces only it; a container removed by hand is drift
and is recreated; destroy leaves no container with the scope's labels and no process. Runs with
Compose v2 forced through RECONCILER_COMPOSE (v1 is covered by test_compose_actuator).
Finalizers remove the Compose project, the scope's containers and the process by name and pid.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.docker_env import BUSYBOX_IMAGE, ComposeCli, DockerCleanup, unique_name

ROOT = Path(__file__).resolve().parents[2]
HTTPD = "mkdir -p /w && echo $GEN > /w/index.html && exec httpd -f -p 80 -h /w"

SERVICES = """\
name: chain
services:
  api:
    command: "exec python3 -m http.server ${{api.port}} --bind 127.0.0.1"
    port: auto
    health_check: {{http: "http://127.0.0.1:${{api.port}}/", interval: 0.2, start_period: 10}}
  box:
    type: docker
    image: {image}
    command: ["sh", "-c", "{httpd}"]
    ports: ["{box_port}:80"]
    env: {{GEN: "{gen}"}}
    shutdown_timeout: 1
    depends_on: [api]
    health_check: {{http: "http://127.0.0.1:{box_port}/", interval: 0.2, start_period: 10}}
  front:
    type: compose
    files: [compose.yaml]
    depends_on: [box]
"""
COMPOSE = """\
services:
  web:
    image: {image}
    init: true
    command: ["sh", "-c", "mkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 80 -h /w"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:80/"]
      interval: 1s
      timeout: 2s
      retries: 10
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Chain:
    """The project directory and the CLI run on it, with one session and one Compose CLI."""

    def __init__(self, root: Path, session: str, flavor: str) -> None:
        self.root = root
        self.session = session
        self.scope = f"chain_{session}"
        self.box_port = free_port()
        self.pids: list[int] = []  # processes to kill in the finalizer if still alive
        self.env = {**os.environ, "RECONCILER_COMPOSE": flavor, "NO_COLOR": "1"}
        (root / "compose.yaml").write_text(COMPOSE.format(image=BUSYBOX_IMAGE))
        self.configure(gen="one")

    def configure(self, *, gen: str) -> None:
        (self.root / "services.yaml").write_text(SERVICES.format(
            image=BUSYBOX_IMAGE, httpd=HTTPD, box_port=self.box_port, gen=gen))

    def cli(self, *args: str, expect: int = 0) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "reconciler", "-C", str(self.root), "--session",
             self.session, "--no-color", *args],
            capture_output=True, text=True, timeout=180, env=self.env, cwd=ROOT, check=False)
        output = done.stdout + done.stderr
        assert done.returncode == expect, f"{args}: exit {done.returncode}\n{output}"
        assert "Traceback" not in output, output
        return output

    def status(self) -> dict[str, Any]:
        data = json.loads(self.cli("status", "--json"))
        rows = data["resources"] if isinstance(data, dict) else data
        return {str(row["address"]): row for row in rows}


def in_order(text: str, *needles: str) -> bool:
    positions = [text.find(n) for n in needles]
    return all(p >= 0 for p in positions) and positions == sorted(positions)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


@pytest.fixture
def chain(tmp_path: Path, compose_cli: ComposeCli, busybox_image: str,
          docker_cleanup: DockerCleanup, docker_client: Any) -> Iterator[Chain]:
    (tmp_path / "chain").mkdir()
    project = Chain(tmp_path / "chain", unique_name("ch"), compose_cli.flavor)
    docker_cleanup.compose_project(f"{project.scope}_front")
    yield project
    label = {"label": f"io.reconciler.scope={project.scope}"}
    for container in docker_client.containers.list(all=True, filters=label):
        docker_cleanup.container(container.id)
    for network in docker_client.networks.list(filters=label):
        docker_cleanup.network(network.id)
    for pid in project.pids:
        if process_alive(pid):
            os.kill(pid, signal.SIGKILL)


# Compose v1 is covered by test_compose_actuator; here it would double the time (about 22 s).
@pytest.mark.parametrize("compose_cli", ["v2"], indirect=True)
def test_process_container_compose_chain(chain: Chain, docker_client: Any) -> None:
    scope_label = {"label": f"io.reconciler.scope={chain.scope}"}
    compose_label = {"label": f"com.docker.compose.project={chain.scope}_front"}

    out = chain.cli("apply", "--auto-approve")
    assert "3 added" in out, out
    assert in_order(out, "process.api: Creation complete", "container.box: Creating",
                    "container.box: Creation complete", "compose.front.web: Creating",
                    "compose.front.web: Creation complete"), out
    status = chain.status()
    pid = int(status["process.api"]["pid"])
    chain.pids.append(pid)
    assert process_alive(pid)
    assert len(docker_client.containers.list(filters=scope_label)) == 1
    assert len(docker_client.containers.list(filters=compose_label)) == 1

    chain.cli("plan", "--detailed-exitcode", expect=0)

    chain.configure(gen="two")
    out = chain.cli("plan", "--detailed-exitcode", expect=2)
    assert "-/+ container.box" in out and "1 to replace" in out, out
    assert "process.api" not in out and "compose.front.web" not in out, out
    out = chain.cli("apply", "--auto-approve")
    assert "1 replaced" in out, out
    chain.cli("plan", "--detailed-exitcode", expect=0)
    assert int(chain.status()["process.api"]["pid"]) == pid

    box = docker_client.containers.get(f"{chain.scope}-box")
    box.remove(force=True)
    out = chain.cli("plan", "--detailed-exitcode", expect=2)
    assert "container.box" in out and "1 to add" in out, out
    chain.cli("apply", "--auto-approve")
    chain.cli("plan", "--detailed-exitcode", expect=0)

    out = chain.cli("destroy", "--auto-approve")
    assert "3 destroyed" in out, out
    assert in_order(out, "compose.front.web: Destruction complete",
                    "container.box: Destroying", "container.box: Destruction complete",
                    "process.api: Destroying"), out
    assert docker_client.containers.list(all=True, filters=scope_label) == []
    assert docker_client.containers.list(all=True, filters=compose_label) == []
    assert not process_alive(pid)


def test_compose_project_names_follow_the_session(tmp_path: Path) -> None:
    """The CLI's plan names the Compose project <project>_<session>_<entry> (no Docker)."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "services.yaml").write_text(textwrap.dedent("""\
        name: chain
        services:
          front: {type: compose, files: [compose.yaml]}
    """))
    (root / "compose.yaml").write_text(COMPOSE.format(image=BUSYBOX_IMAGE))
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "-C", str(root), "--session", "s9", "--no-color",
         "plan", "--refresh=false"], capture_output=True, text=True, timeout=60, cwd=ROOT,
        check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert 'project: "chain_s9_front"' in done.stdout, done.stdout
