"""ComposeActuator.observe on captured `docker ps` / `config --hash` output: hashes -> no-op or
replace, exited -> drift, services gone from the file -> orphans; two commands per project;
containers made from another checkout's directory -> ``owned_by`` (the captures come from
/tmp/cc, the desired files live in the fixtures directory)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.compose.actuator import ComposeActuator, parse_inspect_state
from reconciler.config.compose_file import parse_compose_file
from reconciler.model.changes import OWNED_BY, HealthStatus, Observed, Status
from reconciler.model.compose import compose_resources
from reconciler.model.types import Address, Resource
from reconciler.transports.base import CommandResult

FIXTURES = Path(__file__).parent / "fixtures"
PROJECT = {"v1": "ccapture", "v2": "ccapture2"}


class CapturedTransport:
    """Replays the captured outputs of one flavor; records every command."""

    is_local = False  # captured elsewhere: no local paths to resolve

    def __init__(self, flavor: str, ps: str) -> None:
        self.host = f"captured-{flavor}"
        self.flavor = flavor
        self.ps = ps
        self.ran: list[list[str]] = []

    def run(self, argv: Sequence[str], **_: object) -> CommandResult:
        self.ran.append(list(argv))
        if argv[-2:] == ["version", "--short"]:
            return CommandResult(0, "1.29.2" if self.flavor == "v1" else "2.40.3", "")
        if argv[:2] == ["docker", "ps"]:
            return CommandResult(0, self.ps, "")
        if argv[-1] == "--hash=*":
            return CommandResult(0, (FIXTURES / f"{self.flavor}_config_hash.txt").read_text(), "")
        return CommandResult(1, "", "unexpected command")


def resources(flavor: str, services: tuple[str, ...] = ("web", "worker")) -> list[Resource]:
    doc, _ = parse_compose_file(FIXTURES / "capture_compose.yaml")
    assert doc is not None
    found, _ = compose_resources(doc, project_dir=FIXTURES, scope="x", name="compose",
                                 files=["capture_compose.yaml"], profiles=[], env_file=None,
                                 order_start=0, environ={},
                                 project_name_override=PROJECT[flavor])
    return [r for r in found if r.spec["service"] in services]


def observe(flavor: str, desired: list[Resource], ps: str | None = None,
            recorded: dict[Address, dict[str, object]] | None = None,
            ) -> tuple[dict[Address, Observed], CapturedTransport]:
    transport = CapturedTransport(flavor, ps if ps is not None
                                  else (FIXTURES / f"{flavor}_ps.jsonl").read_text())
    ctx = ActuatorContext(project="x", scope="x", state_dir=Path("/nonexistent"),
                          transport=transport)  # type: ignore[arg-type]
    return ComposeActuator().observe(desired, recorded or {}, ctx), transport


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_in_sync_running_service_has_the_resource_hash(flavor: str) -> None:
    desired = resources(flavor)
    seen, transport = observe(flavor, desired)
    web = seen[Address("compose", "compose.web")]
    assert web.status is Status.RUNNING
    assert web.spec_hash == desired[0].hash()
    assert web.health is not None and web.health.status is HealthStatus.HEALTHY
    # batched: one docker ps + one config --hash for the whole project
    assert len([c for c in transport.ran if "version" not in c]) == 2


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_exited_container_is_drift_with_its_exit_code(flavor: str) -> None:
    seen, _ = observe(flavor, resources(flavor))
    worker = seen[Address("compose", "compose.worker")]
    assert worker.status is Status.EXITED
    assert worker.reason == "exited 143"


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_changed_config_hash_means_replace(flavor: str) -> None:
    ps = (FIXTURES / f"{flavor}_ps.jsonl").read_text()
    rows = [json.loads(line) for line in ps.splitlines()]
    for row in rows:
        row["Labels"] = row["Labels"].replace("config-hash=", "config-hash=0")
    seen, _ = observe(flavor, resources(flavor), "\n".join(json.dumps(r) for r in rows))
    web = seen[Address("compose", "compose.web")]
    assert str(web.spec_hash).startswith("compose:0")


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_service_removed_from_the_file_is_observed_as_an_orphan(flavor: str) -> None:
    seen, _ = observe(flavor, resources(flavor, ("web",)))
    orphan = seen[Address("compose", "compose.worker")]
    assert str(orphan.spec_hash).startswith("compose:")
    assert orphan.facts["project"] == PROJECT[flavor]


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_containers_from_another_checkout_are_owned_elsewhere(flavor: str) -> None:
    seen, transport = observe(flavor, resources(flavor))  # never recorded, made in /tmp/cc
    web = seen[Address("compose", "compose.web")]
    assert web.facts[OWNED_BY] == {"state_id": "", "dir": "/tmp/cc"}
    assert web.facts["working_dir"] == "/tmp/cc"
    assert len([c for c in transport.ran if "version" not in c]) == 2  # still two commands


@pytest.mark.parametrize("flavor", ["v1", "v2"])
def test_a_record_from_the_containers_directory_makes_them_ours(flavor: str) -> None:
    """A state shared by two checkouts (PostgreSQL) recorded the directory it applied from."""
    record = {"project": PROJECT[flavor], "service": "web", "working_dir": "/tmp/cc",
              "files": ["/tmp/cc/compose.yaml"]}
    seen, _ = observe(flavor, resources(flavor),
                      recorded={Address("compose", "compose.web"): record})
    assert all(OWNED_BY not in o.facts for o in seen.values()), seen


def test_project_without_containers_needs_no_config_call() -> None:
    seen, transport = observe("v2", resources("v2"), ps="")
    assert seen == {}
    assert [c[:2] for c in transport.ran] == [["docker", "ps"]]


@pytest.mark.parametrize(("state", "expected"), [
    ({"Status": "running"}, HealthStatus.HEALTHY),
    ({"Status": "running", "Health": {"Status": "starting"}}, HealthStatus.STARTING),
    ({"Status": "running", "Health": {"Status": "unhealthy",
                                      "Log": [{"Output": "wget: bad address"}]}},
     HealthStatus.UNHEALTHY),
    ({"Status": "exited"}, HealthStatus.UNHEALTHY),
])
def test_parse_inspect_state(state: dict[str, object], expected: HealthStatus) -> None:
    assert parse_inspect_state(json.dumps(state)).status is expected
