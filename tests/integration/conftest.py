"""Fixtures for integration tests against real components (implementations in ./infra).

Docker: `docker_client` (session), `busybox_image`, `docker_cleanup` (per test: register ids and
names, removed at teardown), `compose_cli` (parametrized: Compose v1 and v2).
SSH hosts: `ssh_lab` (session: bridge, subnet, client key, known_hosts), `ssh_hosts` (per test:
`make_hosts(n)` -> list[SshHost], removed at the end of the test).
Docker Swarm: `swarm` (module: a real 1-manager + 2-worker swarm, `SwarmLab`).
WireGuard: `wireguard_available`, `wireguard` (per test: start wireguard-go interfaces).
Sync (git): `scope` (a unique project scope whose processes are killed by pid at teardown),
`repo` (a bare repository and its work clone, `GitRepo`), `agents` (starts `sync` agents
polling every second, stopped at teardown). A test module may define its own `scope`.
Every fixture first calls `require(...)`: under CI=true a missing component fails the test.
Every integration test is marked `integration` automatically.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# `infra` (this directory's package) is put on sys.path by tests/conftest.py.
from infra.components import compose_v1_binary, missing, require
from infra.docker_env import BUSYBOX_IMAGE, ComposeCli, DockerCleanup, compose_cli
from infra.docs_sandbox import Sandbox
from infra.gitrepo import GitRepo, SyncAgent, agent_starter, kill_scope
from infra.netns_hosts import SshHost, SshHostLab
from infra.netns_net import Network
from infra.swarm import SwarmLab
from infra.swarm_project import SwarmProject, new_project
from infra.wireguard import WireguardLab

INTEGRATION_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.integration)


# --- Docker and Compose ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A docker SDK client for the local engine (the test fails/skips without one)."""
    require("docker")
    import docker

    client = docker.from_env(timeout=60)
    yield client
    client.close()


@pytest.fixture(scope="session")
def busybox_image(docker_client: Any) -> str:
    """The local test image, built by scripts/setup-test-env.sh: "reconciler-test/busybox:1"."""
    import docker.errors

    try:
        docker_client.images.get(BUSYBOX_IMAGE)
    except docker.errors.ImageNotFound:
        missing(f"test image {BUSYBOX_IMAGE} is missing; run scripts/setup-test-env.sh")
    return BUSYBOX_IMAGE


@pytest.fixture
def docker_cleanup(docker_client: Any) -> Iterator[DockerCleanup]:
    """Register containers, networks, volumes, images, compose projects: removed after the test."""
    registry = DockerCleanup(docker_client)
    yield registry
    registry.close()


@pytest.fixture(name="compose_cli", params=["v1", "v2"], ids=["compose-v1", "compose-v2"])
def compose_cli_param(request: pytest.FixtureRequest) -> ComposeCli:
    """Each Compose implementation in turn: `.argv` (["docker-compose"] or ["docker",
    "compose"]), `.version`, `.flavor`; `.run(project, files, *args)` runs it."""
    flavor: str = request.param
    require("docker", f"compose-{flavor}")
    return compose_cli(flavor, compose_v1_binary())


# --- SSH hosts in network namespaces ---------------------------------------------------------


@pytest.fixture(scope="session")
def ssh_lab() -> Iterator[SshHostLab]:
    """The run's bridge, subnet 198.18.X.0/24, client key and known_hosts file."""
    require("sshd", "netns")
    network = Network()
    try:
        lab = SshHostLab(network)
    except BaseException:
        network.close()
        raise
    yield lab
    problems = lab.close() + network.close()
    if problems:
        pytest.fail("ssh lab clean-up: " + "; ".join(problems), pytrace=False)


@pytest.fixture
def ssh_hosts(ssh_lab: SshHostLab) -> Iterator[Callable[[int], list[SshHost]]]:
    """`make_hosts(n)` starts n fresh hosts; all of them are removed after the test."""
    made: list[SshHost] = []

    def make_hosts(n: int) -> list[SshHost]:
        hosts = ssh_lab.make_hosts(n)
        made.extend(hosts)
        return hosts

    yield make_hosts
    problems: list[str] = []
    for host in made:
        problems += ssh_lab.remove(host)
    if problems:
        pytest.fail("ssh host clean-up: " + "; ".join(problems), pytrace=False)


# --- WireGuard -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def wireguard_available() -> bool:
    """True when wireguard-go, wg and /dev/net/tun exist (else fail under CI / skip)."""
    require("wireguard")
    return True


@pytest.fixture
def wireguard(wireguard_available: bool, request: pytest.FixtureRequest) -> Iterator[WireguardLab]:
    """`wireguard.start(ns)` runs wireguard-go in a namespace; each is stopped after the test.

    With SSH hosts in the same test, its pids join the run's manifest (reaped if killed)."""
    manifest = None
    if "ssh_lab" in request.fixturenames:
        manifest = request.getfixturevalue("ssh_lab").network.manifest
    lab = WireguardLab(manifest)
    yield lab
    lab.close()


# --- Docker Swarm ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def swarm(busybox_image: str) -> Iterator[SwarmLab]:
    """A real swarm of three dockerd instances in namespace hosts (1 manager, 2 workers), the
    test image loaded into each; removed (by pid and name) after the module."""
    require("swarm")
    lab = SwarmLab(busybox_image)
    yield lab
    problems = lab.close()
    if problems:
        pytest.fail("swarm clean-up: " + "; ".join(problems), pytrace=False)


@pytest.fixture
def manager_api(swarm: SwarmLab) -> Iterator[Any]:
    """The low-level Docker API client of the swarm's manager."""
    import docker

    client = docker.APIClient(base_url=swarm.manager.docker_host, timeout=60)
    yield client
    client.close()


@pytest.fixture
def swarm_project(tmp_path: Path, manager_api: Any) -> Iterator[SwarmProject]:
    """A project dir, its CLI and its scope; its services and secrets are removed from the
    swarm after the test (by id)."""
    project = new_project(tmp_path)
    yield project
    label = {"label": f"io.reconciler.scope={project.scope}"}
    for service in manager_api.services(filters=label):
        manager_api.remove_service(service["ID"])
    for secret in manager_api.secrets(filters=label):
        manager_api.remove_secret(secret["ID"])


@pytest.fixture
def scope() -> Iterator[str]:
    """A unique project scope; the processes it leaves are killed by pid at teardown."""
    name = f"sy{uuid.uuid4().hex[:8]}"
    yield name
    kill_scope([name])


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """A bare git repository (file://) with a work clone."""
    require("git")
    return GitRepo(tmp_path / "git")


@pytest.fixture
def agents() -> Iterator[Callable[..., SyncAgent]]:
    """Starts `reconciler sync` agents polling every second; they are stopped at teardown."""
    with agent_starter("--interval", "1s") as start:
        yield start


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """A docs page's sandbox (tests/integration/test_docs_examples*.py); closed and checked."""
    box = Sandbox(tmp_path)
    try:
        yield box
    finally:
        assert not box.close()
