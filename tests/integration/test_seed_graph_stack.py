"""The harness's graph-stack shape end to end: a service ``name:``, capitalised target types,
a task ``config:``, and both attach targets on real objects the test made itself (a busybox
container and a sleep process). apply starts only the managed processes and the task, after
probing the attached ones; apply and destroy never touch the attached container (same id,
same start time, still running) or the attached process (same pid, alive). Everything the
test starts is removed by id/pid in its finalizers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_seed_projects import Cli, cli_argv

from reconciler.transports import procfs as proc_scan

STACK = """\
version: "1.0"
name: graphstack
services:
  anvil:
    name: anvil-chain
    service_type: anvil
    target: {{type: Process, binary: sleep, args: ["3600"]}}
  graph-node:
    service_type: graph-node
    target: {{type: docker-attach, container: {container}, env: {{}}}}
  existing-app:
    service_type: app
    target: {{type: process-attach, pid: {pid}}}
  indexer:
    name: Indexer
    target: {{type: Process, command: "exec sleep 3600"}}
    dependencies:
      - service: graph-node
      - service: existing-app
      - task: deploy-contracts
tasks:
  deploy-contracts:
    task_type: graph-contracts
    config: {{ethereum_url: "http://127.0.0.1:8545", working_dir: ./contracts}}
    target: {{type: Process, command: "echo deployed > deployed.txt"}}
    dependencies: [{{service: anvil}}]
"""


@pytest.fixture
def attached(docker_client: Any, busybox_image: str,
             docker_cleanup: Any) -> Iterator[tuple[Any, subprocess.Popen[bytes]]]:
    container = docker_client.containers.run(busybox_image, ["sleep", "3600"], detach=True,
                                             name=f"graph-node-{os.getpid()}")
    docker_cleanup.container(container.id)
    app = subprocess.Popen(["sleep", "3600"], stdin=subprocess.DEVNULL)
    yield container, app
    app.kill()
    app.wait(timeout=10)


@pytest.fixture
def stack(tmp_path: Path, attached: tuple[Any, subprocess.Popen[bytes]]) -> Iterator[Cli]:
    container, app = attached
    root = tmp_path / "graph"
    root.mkdir()
    (root / "services.yaml").write_text(STACK.format(container=container.name, pid=app.pid))
    session = f"t{os.getpid()}gs"
    yield Cli(root, session)
    subprocess.run(cli_argv(root, session, "destroy", "--auto-approve"), capture_output=True,
                   timeout=180, stdin=subprocess.DEVNULL, check=False)
    for info in proc_scan.scan(f"graphstack_{session}"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(info.stat.pgrp, signal.SIGKILL)


def test_graph_stack_applies_local_parts_and_never_touches_attached_objects(
        stack: Cli, attached: tuple[Any, subprocess.Popen[bytes]]) -> None:
    container, app = attached
    container.reload()
    started = (container.id, container.attrs["State"]["StartedAt"])
    validate = stack("validate")
    assert "'config' of task 'deploy-contracts'" in validate.stdout + validate.stderr
    plan = stack("plan")
    assert "# attached.graph-node: attached, not managed" in plan.stdout
    assert "# attached.existing-app: attached, not managed" in plan.stdout
    stack("apply", "--auto-approve")
    assert (stack.project / "deployed.txt").read_text() == "deployed\n"
    scope = f"graphstack_{stack.session}"
    assert {i.address for i in proc_scan.scan(scope)} == {"process.anvil", "process.indexer"}
    stack("plan", "--detailed-exitcode")  # exit 0: no changes
    stack("destroy", "--auto-approve")
    assert list(proc_scan.scan(scope)) == []
    container.reload()
    assert container.status == "running"
    assert (container.id, container.attrs["State"]["StartedAt"]) == started
    assert app.poll() is None  # the attached process is alive: never signalled


def test_a_stopped_attached_container_fails_its_dependant_and_is_not_started(
        stack: Cli, attached: tuple[Any, subprocess.Popen[bytes]]) -> None:
    container, _ = attached
    container.stop(timeout=1)
    failed = stack("apply", "--auto-approve", expect=1)
    assert f"attached container {container.name}: exited" in failed.stdout + failed.stderr
    container.reload()
    assert container.status == "exited"
    scope = f"graphstack_{stack.session}"
    assert "process.indexer" not in {i.address for i in proc_scan.scan(scope)}
