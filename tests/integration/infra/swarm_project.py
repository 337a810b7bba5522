"""Helpers of the swarm service tests: a project on the `swarm` fixture, its services and
tasks as the manager's API reports them, and a client that keeps asking every node.

`NodeProber` is the test client of the zero-downtime rollout: a background thread that sends
one GET after another, each tried on every node's address in turn (host-mode ports: only the
nodes that run a task answer), for as long as the test runs it (bounded by `stop()`). A
request FAILS when no node answered it with 200; a refused or reset connection on one node
moves on to the next, as a client with the node list (or a load balancer) would.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.cli import Cli
from infra.docker_env import unique_name


@dataclass
class SwarmProject:
    """A project directory, its CLI and its scope (services are removed by the fixture)."""

    directory: Path
    cli: Cli
    scope: str

    def write(self, text: str) -> None:
        (self.directory / "services.yaml").write_text(text)


def new_project(tmp_path: Path) -> SwarmProject:
    name = unique_name("sw")
    directory = tmp_path / name
    directory.mkdir()
    return SwarmProject(directory, Cli(directory, "s1"), f"{name}_s1")


def ours(api: Any, scope: str) -> list[dict[str, Any]]:
    services: list[dict[str, Any]] = api.services(
        filters={"label": f"io.reconciler.scope={scope}"})
    return services


def running_tasks(api: Any, service_id: str) -> list[dict[str, Any]]:
    return [t for t in api.tasks(filters={"service": service_id, "desired-state": "running"})
            if t["Status"]["State"] == "running"]


@dataclass
class NodeProber:
    """GET http://NODE:port/ in a loop over the nodes until `stop()`; counts the outcomes."""

    addresses: list[str]
    port: int
    answered: int = 0
    failed: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> NodeProber:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        turn = 0
        while not self._stop.is_set():
            errors = []
            for step in range(len(self.addresses)):  # the next node first, then the others
                address = self.addresses[(turn + step) % len(self.addresses)]
                problem = _get(address, self.port)
                if problem is None:
                    self.answered += 1
                    break
                errors.append(f"{address}: {problem}")
            else:
                self.failed.append("; ".join(errors))
            turn += 1


def _get(address: str, port: int) -> str | None:
    """None when the node answered 200, else what went wrong."""
    conn = http.client.HTTPConnection(address, port, timeout=5)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        response.read()
        return None if response.status == 200 else f"HTTP {response.status}"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
