"""An in-memory actuator for unit tests of the engine (kind "fake", and any kind it is
registered as). It keeps a dict as "the world", records every call in order, and can be told
to fail, to fail transiently, or to stay unhealthy for an address.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.actuators.base import ActuatorContext
from reconciler.errors import TerminalError, TransientError
from reconciler.model.changes import Action, Change, Health, HealthStatus, Observed, Status
from reconciler.model.types import Address, Resource


@dataclass
class FakeActuator:
    kind: str = "fake"
    world: dict[Address, Observed] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)
    transient: dict[str, int] = field(default_factory=dict)  # address -> failures left
    unhealthy: set[str] = field(default_factory=set)
    observe_calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, Any]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        with self._lock:
            self.observe_calls += 1
            wanted = {r.address for r in desired} | set(recorded)
            return {a: o for a, o in self.world.items() if a in wanted or a.kind == self.kind}

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        key = str(change.address)
        with self._lock:
            self.calls.append((change.action.verb, key))
            if key in self.fail:
                raise TerminalError(f"{key} failed on purpose")
            if self.transient.get(key, 0) > 0:
                self.transient[key] -= 1
                raise TransientError(f"{key} is busy", retry_after=0.0)
            if change.action is Action.DELETE or resource is None:
                self.world.pop(change.address, None)
                return None
            status = Status.COMPLETED if resource.kind == "task" else Status.RUNNING
            seen = Observed(change.address, status, resource.hash(),
                            facts={"generation": len(self.calls)})
            self.world[change.address] = seen
            return seen

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        with self._lock:
            self.calls.append(("health", str(resource.address)))
        if str(resource.address) in self.unhealthy:
            return Health(HealthStatus.UNHEALTHY, "probe refused on purpose")
        return Health(HealthStatus.HEALTHY)
