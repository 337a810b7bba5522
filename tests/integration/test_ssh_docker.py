"""`host:` on ordinary process and docker services, on real sshd namespace hosts.

A `type: docker` service with `host: h1` is created through h1's Docker over SSH: the container
actuator's client for h1 sends every engine request down a channel of the run's pooled SSH
connection to h1, running `docker system dial-stdio` there (ssh -> docker -> command). The test
hosts are network namespaces that share this machine's file system, so the `docker` CLI run on
h1 reaches the root dockerd's socket: the engine is the same dockerd the other tests use, but
the path to it is the real remote one (the test shows the dial-stdio process inside h1's own
pid namespace). The container is then a no-op on the next plan, drift when removed by hand,
and destroyed; its command health check runs inside it through the same channels (exec), and
`reconciler exec box -- CMD` runs `docker exec` on h1 through its SSH connection.
A `type: process` service (not `remote`) with `host: h2` runs on h2.
Clean-up: the CLI `destroy` for everything, then containers by the project label.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.netns_hosts import SshHost

from reconciler import actuators
from reconciler.engine.project import PlanRun, Project
from reconciler.events import Event
from reconciler.model.changes import Action
from reconciler.model.types import Address

LABEL_PROJECT = "io.reconciler.project"

SERVICES = """\
  box:
    type: docker
    host: {h1}
    image: {image}
    command: [sleep, "1000"]
    shutdown_timeout: 1
    health_check: {{command: test, args: [-d, /], interval: 0.2, retries: 20}}
  worker:
    type: process
    host: {h2}
    command: sleep 1001
"""


def write_project(directory: Path, name: str, hosts: list[SshHost], services: str) -> None:
    lines = [f"name: {name}", "hosts:"]
    for h in hosts:
        lines += [f"  {h.name}:", f"    address: {h.address}", "    user: root",
                  f"    identity_file: {h.key_path}", f"    known_hosts: {h.known_hosts_path}"]
    (directory / "services.yaml").write_text("\n".join([*lines, "services:", services]) + "\n")


def apply(project: Project, **plan: Any) -> tuple[PlanRun, Any]:
    run = project.plan(**plan)
    with project.locked():
        result = project.execute(run)
    assert result.ok, [r.message for r in result.results.values()]
    return run, result


def actions(run: PlanRun) -> dict[str, Action]:
    return {str(c.address): c.action for c in run.plan.changes}


def owned(docker_client: Any, name: str) -> list[Any]:
    return list(docker_client.containers.list(all=True,
                                              filters={"label": f"{LABEL_PROJECT}={name}"}))


@pytest.fixture
def project_dir(tmp_path: Path, docker_client: Any) -> Iterator[tuple[Path, str]]:
    name = f"sdk{uuid.uuid4().hex[:8]}"
    directory = tmp_path / name
    directory.mkdir()
    yield directory, name
    try:
        if (directory / "services.yaml").exists():
            subprocess.run([sys.executable, "-m", "reconciler", "-C", str(directory), "destroy",
                            "--auto-approve"], capture_output=True, text=True, timeout=120)
    finally:
        for container in owned(docker_client, name):
            container.remove(force=True)
        for network in docker_client.networks.list(filters={"label": f"{LABEL_PROJECT}={name}"}):
            network.remove()


def test_container_through_the_hosts_docker_and_a_process_on_a_host(
        ssh_hosts: Callable[[int], list[SshHost]], busybox_image: str, docker_client: Any,
        project_dir: tuple[Path, str]) -> None:
    directory, name = project_dir
    h1, h2 = ssh_hosts(2)
    write_project(directory, name, [h1, h2],
                  SERVICES.format(h1=h1.name, h2=h2.name, image=busybox_image))
    box, worker = f"container.box@{h1.name}", f"process.worker@{h2.name}"

    project = Project(directory)
    seen: list[Event] = []
    project.events.subscribe(seen.append)
    run, _ = apply(project)
    assert actions(run) == {box: Action.CREATE, worker: Action.CREATE}
    assert any(e.kind == "node.healthy" and str(e.address) == box for e in seen)
    ctx = project.context_for(Address("container", "*", h1.name))
    client = actuators.load("container").client(ctx)  # type: ignore[attr-defined]
    assert client.api.base_url == "http+docker://ssh"
    # the engine connection is dial-stdio processes inside h1 (its own pid namespace): the
    # run's channels, kept and reused (a handful, not one per request)
    dials = [line for line in h1.run("ps -eo args").stdout.splitlines()
             if line.startswith("docker system dial-stdio")]
    assert 1 <= len(dials) <= 4, dials
    assert "sleep 1001" in h2.run("ps -eo args").stdout
    assert "sleep 1001" not in h1.run("ps -eo args").stdout
    [container] = owned(docker_client, name)
    assert container.status == "running" and container.labels["io.reconciler.address"] == box
    project.transports.close()

    # `exec` runs `docker exec` on h1 through its SSH connection: this machine's own engine
    # is made unreachable for the command, so a local `docker exec` could not find the box
    no_local = {**os.environ, "DOCKER_HOST": f"unix://{directory}/no-engine.sock"}
    exec_argv = [sys.executable, "-m", "reconciler", "-C", str(directory), "exec", "box", "--"]
    shown = subprocess.run([*exec_argv, "hostname"], capture_output=True, text=True,
                           timeout=120, env=no_local, stdin=subprocess.DEVNULL)
    assert (shown.returncode, shown.stdout.strip()) == (0, container.id[:12]), shown.stderr
    failed = subprocess.run([*exec_argv, "sh", "-c", "echo oops >&2; exit 3"],
                            capture_output=True, text=True, timeout=120, env=no_local,
                            stdin=subprocess.DEVNULL)
    assert (failed.returncode, failed.stderr.strip()) == (3, "oops"), failed.stderr

    again = Project(directory)
    noop = again.plan()
    assert set(actions(noop).values()) == {Action.NOOP}
    again.transports.close()

    container.remove(force=True)  # by hand, behind the engine's back
    drifted = Project(directory)
    run, _ = apply(drifted)
    change = next(c for c in run.plan.changes if str(c.address) == box)
    assert change.action is Action.CREATE and "drift" in change.reason_text()
    assert actions(run)[worker] is Action.NOOP
    assert len(owned(docker_client, name)) == 1
    drifted.transports.close()

    gone = Project(directory)
    run, _ = apply(gone, destroy=True)
    assert set(actions(run).values()) == {Action.DELETE}
    assert owned(docker_client, name) == []
    assert "sleep 1001" not in h2.run("ps -eo args").stdout
    gone.transports.close()
