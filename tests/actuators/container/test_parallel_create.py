"""Cold creates under a parallel apply (issue 14), on a recording engine (no dockerd): the
image check and the scope network once per engine, no lookups before an optimistic create
and no inspect after it; a taken name and a network removed behind our back are handled with
one retry."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import docker.errors
import pytest
import requests

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.container import parse as cp
from reconciler.actuators.container.actuator import ContainerActuator
from reconciler.errors import TerminalError
from reconciler.model.changes import Action, Change
from reconciler.model.types import Address, Resource
from reconciler.transports.docker.engines import EngineSlots, local_slots
from reconciler.transports.local import LocalTransport

IMAGE = "reconciler-test/busybox:1"


def api_error(status: int, text: str) -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = status
    cls = docker.errors.NotFound if status == 404 else docker.errors.APIError
    return cls(text, response=response, explanation=text)


class Engine:
    """The low-level API calls a create makes, recorded; ``fail`` queues create errors."""

    _version = "1.41"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.made: dict[str, dict[str, Any]] = {}  # id -> create arguments
        self.fail: list[docker.errors.APIError] = []
        self.taken: list[dict[str, Any]] = []  # what a name lookup finds
        self.networks_made = 0
        self.lock = threading.Lock()

    def _log(self, call: str) -> None:
        with self.lock:
            self.calls.append(call)

    def inspect_image(self, image: str) -> dict[str, Any]:
        self._log("inspect_image")
        return {"Id": image}

    def networks(self, names: list[str]) -> list[dict[str, Any]]:
        self._log("networks")
        return [{"Name": "s", "Id": "n1"}] if self.networks_made else []

    def create_network(self, name: str, **kwargs: Any) -> None:
        self._log("create_network")
        self.networks_made += 1

    def create_container(self, **kwargs: Any) -> dict[str, str]:
        self._log("create_container")
        with self.lock:
            if self.fail:
                raise self.fail.pop(0)
            cid = f"c{len(self.made)}"
            self.made[cid] = kwargs
        return {"Id": cid}

    def start(self, cid: str) -> None:
        self._log("start")

    def inspect_container(self, cid: str) -> dict[str, Any]:
        self._log("inspect_container")
        return {}

    def remove_container(self, cid: str, force: bool) -> None:
        self._log(f"remove {cid}")

    def containers(self, all: bool, filters: dict[str, Any]) -> list[dict[str, Any]]:
        if "name" in filters:
            self._log("containers by name")
            return self.taken
        self._log("containers")
        labels = filters["label"]
        address = next(v.split("=", 1)[1] for v in labels if v.startswith(cp.LABEL_ADDRESS))
        return [{"Id": "c0", "Names": [f"/s-{address.split('.')[1]}"], "State": "running",
                 "Status": "Up 1 second", "Labels": {cp.LABEL_ADDRESS: address,
                                                     cp.LABEL_SCOPE: "s"}}]


class Client:
    def __init__(self, api: Engine) -> None:
        self.api = api


def resource(name: str) -> Resource:
    return Resource(Address("container", name), {"image": IMAGE, "command": ["sleep", "60"]})


def create_all(engine: Engine, names: list[str],
               actuator: ContainerActuator | None = None) -> None:
    actuator = actuator or ContainerActuator(client_factory=lambda url: Client(engine))
    ctx = ActuatorContext(project="p", scope="s", state_dir=Path("/nonexistent"),
                          transport=LocalTransport())
    for name in names:
        res = resource(name)
        actuator.apply(Change(res.address, Action.CREATE, None, dict(res.spec), (), ()),
                       res, ctx)


def test_cold_creates_check_image_and_network_once_and_never_inspect() -> None:
    engine = Engine()
    create_all(engine, ["a", "b", "c"])
    assert engine.calls.count("inspect_image") == 1
    assert engine.calls.count("create_network") == 1
    assert engine.calls.count("networks") == 1
    assert "containers by name" not in engine.calls
    assert "inspect_container" not in engine.calls
    # per container: create, start, one label-filtered list for what was made
    assert engine.calls.count("create_container") == 3
    assert engine.calls.count("start") == 3
    assert engine.calls.count("containers") == 3
    made = engine.made["c0"]
    assert made["name"] == "s-a" and made["host_config"]["NetworkMode"] == "s"


def test_a_taken_name_of_our_scope_is_made_free_then_created() -> None:
    engine = Engine()
    engine.fail = [api_error(409, 'Conflict. The container name "/s-a" is already in use')]
    engine.taken = [{"Id": "old", "Labels": {cp.LABEL_SCOPE: "s"}}]
    create_all(engine, ["a"])
    assert engine.calls.index("containers by name") < engine.calls.index("remove old")
    assert engine.calls.count("create_container") == 2
    assert engine.made["c0"]["name"] == "s-a"


def test_a_taken_name_of_somebody_else_is_an_error() -> None:
    engine = Engine()
    engine.fail = [api_error(409, 'Conflict. The container name "/s-a" is already in use')]
    engine.taken = [{"Id": "theirs", "Labels": {}}]
    with pytest.raises(TerminalError, match="not managed by this project"):
        create_all(engine, ["a"])
    assert "remove theirs" not in engine.calls


def test_a_network_removed_behind_our_back_is_made_again() -> None:
    engine = Engine()
    actuator = ContainerActuator(client_factory=lambda url: Client(engine))
    create_all(engine, ["a"], actuator)
    engine.networks_made = 0  # docker network rm s
    engine.fail = [api_error(404, "network s not found")]
    create_all(engine, ["b"], actuator)  # it remembered the network: the create says 404
    assert engine.calls.count("create_network") == 2
    assert engine.calls.count("inspect_image") == 2


def test_local_engine_slots_follow_the_cores() -> None:
    assert [local_slots(c) for c in (1, 2, 4, 64)] == [3, 6, 12, 16]


def test_creates_and_starts_in_flight_are_bounded_per_engine() -> None:
    slots, seen, peak = EngineSlots(), [0], [0]
    lock, gate = threading.Lock(), threading.Barrier(local_slots(), timeout=10)

    def work() -> None:
        with slots.slot("local", local=True):
            with lock:
                seen[0] += 1
                peak[0] = max(peak[0], seen[0])
            gate.wait()  # the first full batch meets here: the bound is reached
            with lock:
                seen[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(3 * local_slots())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert peak[0] == local_slots()
