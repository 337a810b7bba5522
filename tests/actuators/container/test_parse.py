"""Parsers of captured Docker engine data (fixtures/: `containers(all=True)` list and
`inspect` JSON captured once from a real dockerd 20.10) -> Observed / Health."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.actuators.container import parse as cp
from reconciler.model.changes import HealthStatus, Status
from reconciler.model.types import Address

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def by_name() -> dict[str, dict[str, Any]]:
    return {cp.container_name(e): e for e in load("list_fx.json")}


@pytest.mark.parametrize(("text", "code", "health"), [
    ("Exited (3) 10 seconds ago", 3, None),
    ("Exited (137) 6 seconds ago", 137, None),
    ("Up 11 seconds (healthy)", None, HealthStatus.HEALTHY),
    ("Up 10 seconds (unhealthy)", None, HealthStatus.UNHEALTHY),
    ("Up Less than a second (health: starting)", None, HealthStatus.STARTING),
    ("Up 2 hours", None, None),
    ("Restarting (1) 3 seconds ago", 1, None),
    ("Created", None, None),
])
def test_status_text(text: str, code: int | None, health: HealthStatus | None) -> None:
    assert cp.parse_status_text(text) == (code, health)


def test_running_healthy_container_with_published_port() -> None:
    seen = cp.observed_from_list(by_name()["fx-web"], {})
    assert seen is not None
    assert seen.address == Address("container", "web")
    assert seen.status is Status.RUNNING and seen.exit_code is None and seen.reason == ""
    assert seen.spec_hash == "aaaa"
    assert seen.health is not None and seen.health.status is HealthStatus.HEALTHY
    assert seen.facts["ports"] == [{"container": 80, "proto": "tcp", "host": 18080,
                                    "host_ip": "127.0.0.1"}]
    assert seen.facts["networks"] == ["fx"]
    assert seen.facts["name"] == "fx-web" and len(seen.facts["id"]) == 64
    assert seen.adopted is True  # state did not know it: found by its marks


def test_recorded_address_is_not_adopted() -> None:
    seen = cp.observed_from_list(by_name()["fx-web"], {Address("container", "web"): {}})
    assert seen is not None and seen.adopted is False


@pytest.mark.parametrize(("name", "code", "reason"), [
    ("fx-bad", 3, "exited 3"),
    ("fx-stopped", 143, "exited 143"),
    ("fx-oom", 137, "exited 137"),
    ("fx-new", None, "created but never started"),
])
def test_stopped_containers_are_exited_with_reason(name: str, code: int | None,
                                                   reason: str) -> None:
    seen = cp.observed_from_list(by_name()[name])
    assert seen is not None
    assert (seen.status, seen.exit_code, seen.reason) == (Status.EXITED, code, reason)


def test_oom_kill_is_known_from_inspect_only() -> None:
    assert cp.oom_killed(load("inspect_oom.json")) is True
    assert cp.oom_killed(load("inspect_web.json")) is False
    seen = cp.observed_from_list(by_name()["fx-oom"], oom=True)
    assert seen is not None and seen.reason == "exited 137 (OOM killed)"


def test_unhealthy_from_list_status() -> None:
    seen = cp.observed_from_list(by_name()["fx-sick"])
    assert seen is not None and seen.status is Status.RUNNING
    assert seen.health is not None and seen.health.status is HealthStatus.UNHEALTHY


def test_health_from_inspect() -> None:
    web = cp.health_from_inspect(load("inspect_web.json"))
    sick = cp.health_from_inspect(load("inspect_sick.json"))
    assert web is not None and web.status is HealthStatus.HEALTHY
    assert web.detail.startswith("HEALTHCHECK exit 0")
    assert sick is not None and sick.status is HealthStatus.UNHEALTHY
    assert sick.detail.startswith("HEALTHCHECK exit 1")
    assert cp.health_from_inspect(load("inspect_oom.json")) is None  # no HEALTHCHECK


def test_container_without_address_label_is_not_ours() -> None:
    entry = dict(by_name()["fx-web"])
    entry["Labels"] = {cp.LABEL_SCOPE: "fx"}
    assert cp.observed_from_list(entry) is None


def test_ipv6_duplicate_port_is_dropped() -> None:
    ports = cp.parse_ports([
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"},
        {"PrivatePort": 53, "Type": "udp"},
    ])
    assert ports == [{"container": 53, "proto": "udp", "host": None, "host_ip": None},
                     {"container": 80, "proto": "tcp", "host": 8080, "host_ip": "0.0.0.0"}]


def test_duplicates_prefer_the_running_container() -> None:
    entries = by_name()
    running = cp.observed_from_list(entries["fx-web"])
    stale = dict(entries["fx-bad"])
    stale["Labels"] = entries["fx-web"]["Labels"]
    exited = cp.observed_from_list(stale)
    assert running is not None and exited is not None
    primary = cp.pick_primary([exited, running])
    assert primary.running
    assert primary.facts["duplicates"] == [exited.facts["id"]]
    assert "duplicates" not in cp.pick_primary([running]).facts
