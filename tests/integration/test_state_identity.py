"""State identity end to end (issue 28): two checkouts of one project on one machine never
fight over each other's objects.

Each checkout has its own state (its own ``.reconciler/state.db``) and so its own state id,
written into every owner mark. The second checkout's plan shows the first's processes as
owned by another state, its apply refuses naming both states and restarts nothing; only
``apply --adopt`` takes them over, and the audit log says so. The same for a container on
the local engine (its ``io.reconciler.state-id`` label). Real processes, real CLI.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.cli import Cli, kill_scope
from infra.docker_env import BUSYBOX_IMAGE, DockerCleanup, unique_name

ROOT = Path(__file__).resolve().parents[2]


def _checkout(base: Path, name: str, session: str) -> Cli:
    project = base / name / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", project,
                    ignore=shutil.ignore_patterns(".reconciler", "data"))
    return Cli(project, session)


@pytest.fixture
def checkouts(tmp_path: Path) -> Iterator[tuple[Cli, Cli, str]]:
    session = f"t{os.getpid()}id"
    first, second = _checkout(tmp_path, "one", session), _checkout(tmp_path, "two", session)
    scope = f"quickstart_{session}"
    yield first, second, scope
    second("destroy", "--auto-approve", expect=None)
    first("destroy", "--auto-approve", expect=None)
    kill_scope(scope)


def _state_id(cli: Cli) -> str:
    return cli("state", "id").stdout.strip()


def test_second_checkout_refuses_then_adopts(checkouts: tuple[Cli, Cli, str]) -> None:
    first, second, scope = checkouts
    first("apply", "--auto-approve")
    before = first.owned(scope)
    assert set(before) == {"process.api", "process.web", "process.worker"}
    first_id = _state_id(first)

    plan = second("plan", "--detailed-exitcode", expect=2).stdout
    assert "! process.api is owned by another state (id " + first_id in plan, plan
    assert f"dir {first.project}" in plan
    document = json.loads(second("plan", "--json").stdout)
    api = next(c for c in document["changes"] if c["address"] == "process.api")
    assert api["reasons"][0]["code"] == "owned_elsewhere"

    refused = second("apply", "--auto-approve", expect=1)
    second_id = _state_id(second)
    assert second_id != first_id
    message = refused.stderr
    assert "owned by another state" in message and first_id in message, message
    assert second_id in message and str(second.project) in message
    assert "--adopt" in message
    assert "Traceback" not in message
    assert first.owned(scope) == before  # nothing restarted, nothing doubled
    assert first("plan", "--detailed-exitcode").returncode == 0  # the first still owns them

    second("apply", "--auto-approve", "--adopt")
    after = second.owned(scope)
    assert set(after) == set(before)
    assert all(len(pids) == 1 for pids in after.values()), after  # taken over, not doubled
    assert after["process.api"] != before["process.api"]
    audit = second("audit", "export").stdout
    assert "taken over from state " + first_id in audit, audit
    assert second("plan", "--detailed-exitcode").returncode == 0
    # now the first checkout is the one that sees another state's processes
    assert "owned by another state (id " + second_id in \
        first("plan", "--detailed-exitcode", expect=2).stdout


BOX = """\
name: idbox
services:
  box:
    type: docker
    image: {image}
    command: ["sleep", "3600"]
    shutdown_timeout: 1
"""


def test_container_of_another_state_is_not_replaced(tmp_path: Path, busybox_image: str,
                                                    docker_cleanup: DockerCleanup,
                                                    docker_client: Any) -> None:
    session = unique_name("id")
    scope = f"idbox_{session}"
    clis = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "services.yaml").write_text(BOX.format(image=BUSYBOX_IMAGE))
        clis.append(Cli(tmp_path / name, session))
    first, second = clis

    def containers() -> list[tuple[str, str]]:
        found = docker_client.containers.list(all=True,
                                              filters={"label": f"io.reconciler.scope={scope}"})
        return sorted((c.id, c.labels.get("io.reconciler.state-id", "")) for c in found)

    try:
        first("apply", "--auto-approve")
        before = containers()
        first_id = _state_id(first)
        assert [label for _, label in before] == [first_id]  # the label names its state
        plan = second("plan", "--detailed-exitcode", expect=2).stdout
        assert f"! container.box is owned by another state (id {first_id}" in plan, plan
        refused = second("apply", "--auto-approve", expect=1)
        assert first_id in refused.stderr and _state_id(second) in refused.stderr
        assert containers() == before  # not replaced, not doubled
        assert first("plan", "--detailed-exitcode").returncode == 0
    finally:
        for container_id, _ in containers():
            docker_cleanup.container(container_id)
        for network in docker_client.networks.list(names=[scope]):
            docker_cleanup.network(network.id)
