"""State identity end to end (issue 28): two checkouts of one project on one machine never
fight over each other's objects.

Each checkout has its own state (its own ``.reconciler/state.db``) and so its own state id,
written into every owner mark. The second checkout's plan shows the first's processes as
owned by another state, its apply refuses naming both states and restarts nothing; only
``apply --adopt`` takes them over, and the audit log says so. The same for a container on
the local engine (its ``io.reconciler.state-id`` label), and for two ``reconciler sync``
agents in two directories following one repository: the second holds its plan (``watch.held``)
instead of replacing the first's processes. Real processes, real CLI, real git.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from infra.cli import Cli, kill_scope
from infra.components import require
from infra.docker_env import BUSYBOX_IMAGE, DockerCleanup, unique_name
from infra.gitrepo import GitRepo, SyncAgent, services

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

    plan = second("plan", "--detailed-exitcode", expect=2).stdout
    assert "! process.api is owned by another state (id " in plan, plan  # not "3 to replace"
    first_id = _state_id(first)
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
        plan = second("plan", "--detailed-exitcode", expect=2).stdout
        assert "! container.box is owned by another state" in plan, plan
        first_id = _state_id(first)
        assert f"! container.box is owned by another state (id {first_id}" in plan, plan
        assert [label for _, label in before] == [first_id]  # the label names its state
        refused = second("apply", "--auto-approve", expect=1)
        assert first_id in refused.stderr and _state_id(second) in refused.stderr
        assert containers() == before  # not replaced, not doubled
        assert first("plan", "--detailed-exitcode").returncode == 0
    finally:
        for container_id, _ in containers():
            docker_cleanup.container(container_id)
        for network in docker_client.networks.list(names=[scope]):
            docker_cleanup.network(network.id)


def test_second_sync_agent_refuses_another_states_processes(tmp_path: Path) -> None:
    require("git")
    repo = GitRepo(tmp_path / "git")
    name = f"sid{uuid.uuid4().hex[:8]}"
    commit = repo.commit({"services.yaml": services(name, {"worker": "exec sleep 100000"})},
                         "worker")
    started: list[SyncAgent] = []
    try:
        first = SyncAgent(tmp_path / "one", repo.url, "--interval", "1s")
        started.append(first)
        first.synced(commit)
        before = Cli(tmp_path / "one", "").owned(name)  # a /proc scan of the scope
        assert set(before) == {"process.worker"}
        second = SyncAgent(tmp_path / "two", repo.url, "--interval", "1s")
        started.append(second)
        held = second.kind("watch.held")
        assert "owned by another state" in held["message"], held
        assert "--adopt" in held["message"] or "adopt" in json.dumps(held)
        assert Cli(tmp_path / "one", "").owned(name) == before  # nothing restarted or doubled
        assert second.seen("watch.applied") == []
    finally:
        for agent in started:
            agent.stop()
        kill_scope(name)


def test_a_copy_started_by_another_state_beside_ours_is_not_hidden(
        checkouts: tuple[Cli, Cli, str]) -> None:
    """What two applies racing leave behind (one process per state for one address) is shown
    as a conflict, not as "No changes"."""
    first, _, scope = checkouts
    first("apply", "--auto-approve")
    ours = first.owned(scope)["process.worker"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RECONCILER_PROJECT": scope,
           "RECONCILER_ADDRESS": "process.worker", "RECONCILER_STATE_ID": "raced-state",
           "RECONCILER_STATE_DIR": "/elsewhere"}
    other = subprocess.Popen(["sleep", "600"], env=env, start_new_session=True)
    try:
        plan = first("plan", "--detailed-exitcode", expect=2).stdout
        assert "! process.worker is owned by another state (id raced-state, dir /elsewhere)" \
            in plan, plan
        first("apply", "--auto-approve", expect=1)
        assert sorted(first.owned(scope)["process.worker"]) == sorted([*ours, other.pid])
    finally:
        other.kill()
        other.wait(timeout=10)
