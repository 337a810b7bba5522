"""A throw-away scope for the container actuator's tests against the real Docker engine.

:func:`container_scope` gives a :class:`Scope`: an ActuatorContext with its own scope name and
subnet (198.18.200-249.0/24), a ContainerActuator whose SDK client and socket API count the
calls made through them (:class:`CountingClient`, :class:`CountingAPI`), and helpers to apply,
observe and plan one resource. Everything carrying the scope's label (containers, volumes) and
its network are removed by id/name when the scope ends. :func:`wait_for` polls with a bound.
"""

from __future__ import annotations

import os
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.container.actuator import ContainerActuator
from reconciler.engine import diff
from reconciler.model.changes import Action, Change, Observed
from reconciler.model.types import Address, DesiredState, Resource
from reconciler.transports.docker import socket as docker_socket
from reconciler.transports.local import LocalTransport

IMAGE = "reconciler-test/busybox:1"
HTTPD = [
    "sh",
    "-c",
    "mkdir -p /www && echo ok-$GEN > /www/index.html && exec busybox httpd -f -p 80 -h /www",
]


class CountingAPI:
    """A real low-level API (the SDK's, or the socket one), counting the calls made through it."""

    def __init__(self, api: Any):
        self._api = api
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._api, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted


class CountingClient:
    def __init__(self, client: Any):
        self._client = client
        self.api = CountingAPI(client.api)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@dataclass
class Scope:
    ctx: ActuatorContext
    actuator: ContainerActuator
    client: CountingClient
    reads: CountingAPI  # what observe lists and inspects with: the engine's socket, directly
    engine: Any

    def resource(self, name: str = "web", **spec: Any) -> Resource:
        base: dict[str, Any] = {
            "image": IMAGE,
            "command": HTTPD,
            "env": {"GEN": "1"},
            "init": True,
            "shutdown_timeout": 2,
            "restart": "no",
            "ports": [{"host": None, "container": 80, "host_ip": "127.0.0.1"}],
        }
        base.update(spec)
        return Resource(Address("container", name), base)

    def apply(
        self, action: Action, resource: Resource, before: Resource | None = None
    ) -> Observed | None:
        change = Change(
            resource.address,
            action,
            dict(before.spec) if before else None,
            None if action is Action.DELETE else dict(resource.spec),
        )
        return self.actuator.apply(change, None if action is Action.DELETE else resource, self.ctx)

    def observe(self, *resources: Resource) -> dict[Address, Observed]:
        return self.actuator.observe(resources, {r.address: {} for r in resources}, self.ctx)

    def plan(self, resource: Resource, last: Resource | None) -> Change:
        desired = DesiredState("rtest", {resource.address: resource})
        recorded = {resource.address: dict(last.spec)} if last else {}
        return diff.compute(desired, self.observe(resource), recorded)[0]


_subnets = iter(range(200, 250))


@contextmanager
def container_scope(engine: Any, tmp_path: Path) -> Iterator[Scope]:
    """A fresh scope on ``engine``; its containers, network and volumes are removed after."""
    name = f"rt{uuid.uuid4().hex[:8]}"
    subnet = f"198.18.{(next(_subnets) + os.getpid()) % 50 + 200}.0/24"
    counting = CountingClient(engine)
    socket_api = docker_socket.for_url(None)  # None: DOCKER_HOST/a context names another engine
    reads = CountingAPI(socket_api or engine.api)
    ctx = ActuatorContext(
        project="rtest",
        scope=name,
        state_dir=tmp_path,
        transport=LocalTransport(),
        project_dir=str(tmp_path), docker_subnet=subnet,
    )
    actuator = ContainerActuator(client_factory=lambda url: counting, api_factory=lambda url: reads)
    try:
        yield Scope(ctx, actuator, counting, reads, engine)
    finally:
        if socket_api is not None:
            socket_api.close()
        label = {"label": f"io.reconciler.scope={name}"}
        for container in engine.api.containers(all=True, filters=label):
            engine.api.remove_container(container["Id"], force=True)
        for network in engine.api.networks(names=[name]):
            if network["Name"] == name:
                engine.api.remove_network(network["Id"])
        for volume in engine.api.volumes(filters=label).get("Volumes") or ():
            engine.api.remove_volume(volume["Name"])


def wait_for(predicate: Callable[[], Any], what: str, limit: float = 30.0) -> Any:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def get(url: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=5) as response:
        return str(response.read().decode().strip())
