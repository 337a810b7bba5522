"""The Compose actuator against the real engine and the real Compose CLIs (v1 and v2).

One scenario per CLI: up a 2-service project (busybox httpd with a healthcheck + a dependant),
re-plan (no-op, zero actions), change one service's env (only it is replaced), remove a
service from the file (its container is removed), stop a container by hand (drift), destroy.
Plans come from the real generic diff over what the actuator observes. Every project is torn
down by name (`down -v`) in a finalizer.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from infra.docker_env import ComposeCli, DockerCleanup, unique_name

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.compose.actuator import ComposeActuator
from reconciler.actuators.compose.cli import compose_config_diagnostics, detect_compose
from reconciler.config.compose_file import load_compose_files
from reconciler.engine import diff
from reconciler.errors import Severity
from reconciler.model.changes import Action, Change, HealthStatus, Observed, Status
from reconciler.model.compose import compose_resources
from reconciler.model.types import Address, DesiredState, Resource
from reconciler.transports.base import CommandResult
from reconciler.transports.local import LocalTransport

WEB = """\
  web:
    image: {image}
    init: true
    command: ["sh", "-c", "mkdir -p /w && echo ok > /w/index.html && exec httpd -f -p 80 -h /w"]
    ports: ["127.0.0.1::80"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "-", "http://127.0.0.1:80/"]
      interval: 1s
      timeout: 2s
      retries: 5
"""
WORKER = """\
  worker:
    image: {image}
    init: true
    command: ["sleep", "3600"]
    environment:
      MODE: {mode}
    depends_on:
      web:
        condition: service_healthy
"""


class CountingTransport(LocalTransport):
    """The real local transport, counting the commands it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.commands: list[list[str]] = []

    def run(self, argv: Sequence[str], **kwargs: Any) -> CommandResult:
        self.commands.append(list(argv))
        return super().run(argv, **kwargs)


class Scenario:
    """A compose project dir, the actuator, and a tiny state (last-applied specs)."""

    def __init__(self, root: Path, image: str, scope: str) -> None:
        self.root = root
        self.image = image
        self.scope = scope
        self.transport = CountingTransport()
        self.actuator = ComposeActuator()
        self.ctx = ActuatorContext(
            project="compose-test",
            scope=scope,
            state_dir=root / ".reconciler",
            transport=self.transport,
        )
        self.applied: dict[Address, Mapping[str, Any]] = {}
        self.facts: dict[Address, Mapping[str, Any]] = {}
        self.resources: dict[Address, Resource] = {}

    def write(self, *, worker: bool = True, mode: str = "one") -> None:
        text = "services:\n" + WEB.format(image=self.image)
        if worker:
            text += WORKER.format(image=self.image, mode=mode)
        (self.root / "compose.yaml").write_text(text)
        docs, problems = load_compose_files([self.root / "compose.yaml"])
        found, more = compose_resources(
            docs,
            project_dir=self.root,
            scope=self.scope,
            name="compose",
            files=["compose.yaml"],
            profiles=[],
            env_file=None,
            order_start=0,
            environ={},
        )
        assert problems + more == []
        self.resources = {r.address: r for r in found}

    @property
    def project(self) -> str:
        return f"{self.scope}_compose"

    def observe(self) -> dict[Address, Observed]:
        return self.actuator.observe(list(self.resources.values()), self.facts, self.ctx)

    def plan(self) -> list[Change]:
        state = DesiredState("compose-test", self.resources)
        changes = diff.compute(state, self.observe(), self.applied)
        return [c for c in changes if not c.is_noop]

    def apply(self, changes: list[Change]) -> None:
        for change in changes:  # the plan is already in dependency order for these cases
            resource = self.resources.get(change.address)
            seen = self.actuator.apply(change, resource, self.ctx)
            if seen is None:
                self.applied.pop(change.address, None)
                self.facts.pop(change.address, None)
                continue
            assert resource is not None
            self.applied[change.address] = dict(resource.spec)
            self.facts[change.address] = dict(seen.facts)
            if resource.health is not None:
                self.wait_healthy(resource, seen)

    def wait_healthy(self, resource: Resource, seen: Observed) -> None:
        health = self.actuator.health(resource, seen, self.ctx)
        for _ in range(60):
            if health.status is HealthStatus.HEALTHY:
                return
            time.sleep(0.5)
            health = self.actuator.health(resource, seen, self.ctx)
        pytest.fail(f"{resource.address} never became healthy: {health}")

    def containers(self) -> dict[str, str]:
        """service -> container state, straight from docker."""
        out = subprocess.run(
            [
                "docker",
                "ps",
                "-a",
                "--filter",
                f"label=com.docker.compose.project={self.project}",
                "--format",
                '{{.Label "com.docker.compose.service"}} {{.State}}',
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return dict(line.split(" ", 1) for line in out.splitlines() if line)


@pytest.fixture
def scenario(
    tmp_path: Path,
    compose_cli: ComposeCli,
    busybox_image: str,
    docker_cleanup: DockerCleanup,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Scenario]:
    monkeypatch.setenv("RECONCILER_COMPOSE", compose_cli.flavor)
    found = Scenario(tmp_path, busybox_image, unique_name("rcncompose"))
    docker_cleanup.compose_project(found.project)
    yield found
    subprocess.run(
        [
            *compose_cli.argv,
            "-p",
            found.project,
            "-f",
            str(tmp_path / "compose.yaml"),
            "down",
            "-v",
            "-t",
            "1",
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )


def actions(changes: list[Change]) -> list[tuple[str, Action]]:
    return [(str(c.address), c.action) for c in changes]


def test_compose_lifecycle(scenario: Scenario, compose_cli: ComposeCli) -> None:
    cli = detect_compose(scenario.transport)
    assert cli.version == compose_cli.flavor
    web, worker = "compose.compose.web", "compose.compose.worker"

    scenario.write()
    first = scenario.plan()
    assert actions(first) == [(web, Action.CREATE), (worker, Action.CREATE)]
    scenario.apply(first)
    assert scenario.containers() == {"web": "running", "worker": "running"}

    # no-op: Compose's config hash equals the running label; 2 commands for the project
    scenario.transport.commands.clear()
    assert scenario.plan() == []
    assert len(scenario.transport.commands) == 2

    # change one service's env: only that service is replaced, with the field diff
    scenario.write(mode="two")
    changed = scenario.plan()
    assert actions(changed) == [(worker, Action.REPLACE)]
    assert [d.path for d in changed[0].field_diffs] == ["definition.environment.MODE"]
    scenario.apply(changed)
    assert scenario.plan() == []

    # stopped by hand: drift with the exit code, and apply starts it again
    container = str(scenario.facts[Address("compose", "compose.web")]["container_id"])
    subprocess.run(["docker", "stop", "-t", "1", container], check=True, capture_output=True)
    drift = scenario.plan()
    assert actions(drift) == [(web, Action.CREATE)]
    assert drift[0].reasons[0].message.startswith("drift: exited")
    scenario.apply(drift)
    assert scenario.plan() == []

    # a service removed from the file is an orphan: deleted, the other keeps running
    scenario.write(worker=False)
    orphan = scenario.plan()
    assert actions(orphan) == [(worker, Action.DELETE)]
    scenario.apply(orphan)
    assert scenario.containers() == {"web": "running"}
    assert scenario.plan() == []

    # destroy: the last service goes, and `down` removes the project's network
    scenario.apply(
        [
            Change(
                Address("compose", "compose.web"),
                Action.DELETE,
                scenario.applied[Address("compose", "compose.web")],
                None,
            )
        ]
    )
    assert scenario.containers() == {}
    networks = subprocess.run(
        [
            "docker",
            "network",
            "ls",
            "-q",
            "--filter",
            f"label=com.docker.compose.project={scenario.project}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert networks.strip() == ""
    assert all(o.status is not Status.RUNNING for o in scenario.observe().values())


def test_compose_config_diagnostics(
    tmp_path: Path, compose_cli: ComposeCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECONCILER_COMPOSE", compose_cli.flavor)
    cli = detect_compose(LocalTransport())
    good = tmp_path / "compose.yaml"
    good.write_text("services:\n  web:\n    image: reconciler-test/busybox:1\n")
    assert compose_config_diagnostics([str(good)], cli) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("services:\n  web:\n    image: x\n    ports: 'notalist'\n")
    found = compose_config_diagnostics([str(bad)], cli)
    assert [d.severity for d in found] == [Severity.ERROR]
    assert found[0].source is not None
    assert (found[0].source.file, found[0].source.line) == (str(bad), 4)
