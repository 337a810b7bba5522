"""Gates of the apply walk: node states, readiness waits and dependency conditions.

Readiness at apply time: after a node starts its object, the engine probes it every
``min(interval, 0.5)`` seconds until the first success (healthy at once). Failures count like
Compose's: not during ``start_period``, then at most once per ``interval``; ``retries`` counted
failures in a row fail the node, and so does ``startup_timeout`` (default 60 s) running out
first (:func:`reconciler.health.probes.wait_healthy`). ``status`` probes once. A dependency
that is not part of the plan (already running) is probed the same way before its dependant
starts, unless its condition is ``service_started``. An attached resource (an
``observed_only`` kind) is probed even without a health check of its own: its actuator says
whether the container runs, the process lives, the port is open (``ATTACHED_CHECK`` timing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum

from reconciler.actuators.base import Actuator, ActuatorContext
from reconciler.actuators.registry import kind as kind_of
from reconciler.engine.observe import recorded_facts
from reconciler.errors import TerminalError
from reconciler.events import EventBus
from reconciler.health.probes import wait_healthy
from reconciler.model.changes import Health, HealthStatus, Observed, Status
from reconciler.model.types import (
    Address,
    Condition,
    DesiredState,
    HealthCheck,
    ProbeKind,
    Resource,
)
from reconciler.state import StateStore

DEFAULT_STARTUP_TIMEOUT = 60.0
# the timing of an attached resource's probe when it has no health check of its own (the
# probe itself is its actuator's: is the container running, the process alive, the port open)
ATTACHED_CHECK = HealthCheck(ProbeKind.TCP, "", interval=1.0, timeout=5.0, retries=3)


class NodeState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    STARTED = "started"  # the object exists; health not yet confirmed
    DONE = "done"        # applied and healthy (or deleted)
    FAILED = "failed"
    SKIPPED = "skipped"


class Tracker:
    """Thread-safe node states with a condition variable the scheduler sleeps on."""

    def __init__(self, nodes: Iterable[str]):
        self._states = {n: NodeState.PENDING for n in nodes}
        self._started: set[str] = set()  # reached STARTED at some point, whatever came next
        self._cond = threading.Condition()

    def get(self, node: str) -> NodeState:
        with self._cond:
            return self._states[node]

    def set(self, node: str, state: NodeState) -> None:
        with self._cond:
            self._states[node] = state
            if state in (NodeState.STARTED, NodeState.DONE):
                self._started.add(node)
            self._cond.notify_all()

    def wait_change(self, timeout: float) -> None:
        with self._cond:
            self._cond.wait(timeout)

    def satisfied(self, node: str, condition: str) -> bool:
        """``started``: the object was started (even if its health check failed later);
        otherwise the node must be done (applied and healthy, or deleted)."""
        with self._cond:
            if condition == "started":
                return node in self._started
            return self._states[node] is NodeState.DONE

    def first_failed(self, nodes: Iterable[str]) -> str:
        bad = [n for n in nodes if self.get(n) in (NodeState.FAILED, NodeState.SKIPPED)]
        return bad[0] if bad else "?"


def wait_ready(resource: Resource, observed: Observed, actuator: Actuator, ctx: ActuatorContext,
               events: EventBus, *, sleep: Callable[[float], None] = time.sleep,
               clock: Callable[[], float] = time.monotonic,
               crashed: Callable[[], BaseException | None] | None = None) -> None:
    """Probe until healthy; raise TerminalError when the check's ``retries`` ran out after
    its ``start_period`` (Compose's rule) or the startup timeout passed, and the process's
    own error at once when ``crashed`` says it ended (the apply's exit watch)."""
    check = resource.health
    traits = kind_of(resource.kind)
    if check is None and traits is not None and traits.observed_only:
        check = ATTACHED_CHECK  # nothing of ours started it: always make sure it is there
    if check is None:
        return
    configured = resource.spec.get("startup_timeout")
    timeout = (float(configured) if isinstance(configured, int | float | str)
               else DEFAULT_STARTUP_TIMEOUT)
    events.emit("node.wait_health", resource.address,
                f"waiting for {check.kind.value} check", probe=check.kind.value)
    def once() -> Health:
        error = crashed() if crashed is not None else None
        if error is not None:
            raise error
        return actuator.health(resource, observed, ctx)

    health = wait_healthy(check, once,
                          clock=clock, sleep=sleep, poll=max(0.05, min(check.interval, 0.5)),
                          timeout=timeout)
    if health.status is HealthStatus.HEALTHY:
        events.emit("node.healthy", resource.address, "healthy")
        return
    hint = f"{resource.address} is attached, not managed: start it yourself" \
        if traits is not None and traits.observed_only else \
        "see `reconciler logs " + resource.name + "`"
    if health.status is HealthStatus.UNHEALTHY:
        raise TerminalError(
            f"{resource.address} not healthy: {health.detail}",
            hint=hint + f"; failures count after start_period ({check.start_period:g}s), once "
                        f"per interval ({check.interval:g}s): raise retries ({check.retries}) "
                        "or start_period if it is only slow")
    raise TerminalError(f"{resource.address} not healthy after {timeout:g}s: {health.detail}",
                        hint=hint + "; raise startup_timeout if it is only slow")


def wait_dependencies(resource: Resource, desired: DesiredState, in_plan: Iterable[str],
                      actuators: Mapping[str, Actuator],
                      context_for: Callable[[Address], ActuatorContext], store: StateStore,
                      events: EventBus, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Gate on dependencies that are not plan nodes (already running: no-op this run)."""
    planned = set(in_plan)
    records = None
    for dep in resource.depends_on:
        if str(dep.target) in planned or dep.condition is Condition.STARTED:
            continue
        target = desired.resources.get(dep.target)
        if target is None:
            continue
        if records is None:
            records = store.resources()
        actuator = actuators[target.kind]
        ctx = context_for(target.address)
        recorded = {target.address: recorded_facts(records[target.address])} \
            if target.address in records else {}
        seen = actuator.observe([target], recorded, ctx).get(target.address)
        if dep.condition is Condition.COMPLETED:
            if seen is None or seen.status is not Status.COMPLETED:
                raise TerminalError(f"dependency {target.address} has not completed successfully")
            continue
        if seen is None or not seen.running:
            raise TerminalError(f"dependency {target.address} is not running",
                                hint="run `reconciler plan` to see why")
        wait_ready(target, seen, actuator, ctx, events, sleep=sleep)
