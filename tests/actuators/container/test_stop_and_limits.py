"""Stopping a container with its stop_signal within shutdown_timeout, and the docker keys
(restart, init, cpus, memory, stop_signal) in the create arguments — on a recording client,
no engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docker.errors
import requests

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.container import parse as cp
from reconciler.actuators.container.actuator import ContainerActuator
from reconciler.model.changes import Action, Change
from reconciler.model.types import Address
from reconciler.transports.local import LocalTransport

ADDRESS = Address("container", "web")


class RecordingApi:
    """The low-level API calls _remove makes, recorded; ``kill_status`` makes kill fail."""

    def __init__(self, state: str = "running", kill_status: int | None = None) -> None:
        self.calls: list[tuple[str, Any, ...]] = []
        self.state = state
        self.kill_status = kill_status

    def containers(self, all: bool, filters: dict[str, Any]) -> list[dict[str, Any]]:
        self.calls.append(("containers", filters))
        if "io.reconciler.address=container.web" not in str(filters):
            return []  # the scope-wide listing of the cleanup: nothing left
        return [{"Id": "c1", "Names": ["/s-web"], "State": self.state}]

    def kill(self, cid: str, signal: str) -> None:
        self.calls.append(("kill", cid, signal))
        if self.kill_status is not None:
            response = requests.Response()
            response.status_code = self.kill_status
            raise docker.errors.APIError("kill", response=response,
                                         explanation="container c1 is not running")

    def stop(self, cid: str, timeout: int) -> None:
        self.calls.append(("stop", cid, timeout))

    def remove_container(self, cid: str, v: bool, force: bool) -> None:
        self.calls.append(("remove", cid, force))

    def networks(self, names: list[str]) -> list[dict[str, Any]]:
        return []


class RecordingClient:
    def __init__(self, api: RecordingApi) -> None:
        self.api = api


def delete(api: RecordingApi, before: dict[str, Any] | None) -> list[tuple[str, Any, ...]]:
    actuator = ContainerActuator(client_factory=lambda url: RecordingClient(api))
    ctx = ActuatorContext(project="p", scope="s", state_dir=Path("/nonexistent"),
                          transport=LocalTransport())
    actuator.apply(Change(ADDRESS, Action.DELETE, before, None, (), ()), None, ctx)
    return [c for c in api.calls if c[0] in ("kill", "stop", "remove")]


def test_stop_sends_the_stop_signal_then_stops_within_the_timeout() -> None:
    calls = delete(RecordingApi(), {"stop_signal": "SIGINT", "shutdown_timeout": 30})
    assert calls == [("kill", "c1", "SIGINT"), ("stop", "c1", 30), ("remove", "c1", True)]


def test_without_a_stop_signal_the_engine_stop_uses_the_images() -> None:
    calls = delete(RecordingApi(), {"stop_signal": None, "shutdown_timeout": 2.5})
    assert calls == [("stop", "c1", 3), ("remove", "c1", True)]  # whole seconds, rounded up


def test_a_fractional_timeout_never_becomes_an_immediate_kill() -> None:
    calls = delete(RecordingApi(), {"stop_signal": None, "shutdown_timeout": 0.5})
    assert calls == [("stop", "c1", 1), ("remove", "c1", True)]


def test_unknown_last_applied_spec_stops_with_the_default_timeout() -> None:
    assert delete(RecordingApi(), None) == [("stop", "c1", 10), ("remove", "c1", True)]


def test_a_container_that_exited_meanwhile_is_still_removed() -> None:
    calls = delete(RecordingApi(kill_status=409), {"stop_signal": "SIGQUIT"})
    assert calls == [("kill", "c1", "SIGQUIT"), ("stop", "c1", 10), ("remove", "c1", True)]


def test_an_exited_container_is_removed_without_a_stop() -> None:
    calls = delete(RecordingApi(state="exited"), {"stop_signal": "SIGINT"})
    assert calls == [("remove", "c1", True)]


def kwargs(spec: dict[str, Any]) -> dict[str, Any]:
    return cp.create_kwargs(name="s-web", spec={"image": "i", **spec}, env={}, labels={},
                            network="s", alias="web", healthcheck=None, scope="s",
                            project_dir="/p")


def test_docker_keys_in_the_create_arguments() -> None:
    out = kwargs({"restart": "on-failure:3", "init": True, "cpus": 1.5, "memory": "1g",
                  "stop_signal": "SIGINT"})
    assert out["restart_policy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert (out["init"], out["nano_cpus"], out["mem_limit"]) == (True, 1_500_000_000, "1g")
    assert out["stop_signal"] == "SIGINT"


def test_memory_in_bytes_and_no_stop_signal() -> None:
    out = kwargs({"memory": 67108864, "stop_signal": None})
    assert out["mem_limit"] == 67108864 and "stop_signal" not in out
    assert "restart_policy" not in out and "init" not in out
