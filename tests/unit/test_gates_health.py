"""wait_ready at apply time counts failures like Compose (issue 28: retries and start_period
were documented for processes and ignored): healthy at the first success, failures not counted
during start_period, then once per interval; retries of them fail the node before the startup
timeout. A fake clock; the actuator's health answers are scripted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from testing.clock import FakeClock

from reconciler.actuators.base import ActuatorContext
from reconciler.engine.gates import wait_ready
from reconciler.errors import TerminalError
from reconciler.events import Event, EventBus
from reconciler.model.changes import Health, HealthStatus, Observed, Status
from reconciler.model.types import Address, HealthCheck, ProbeKind, Resource
from reconciler.transports.local import LocalTransport

BAD = Health(HealthStatus.UNHEALTHY, "connection refused")
OK = Health(HealthStatus.HEALTHY, "200")


class Scripted:
    """An actuator whose health turns healthy at ``healthy_at`` seconds (never if None)."""

    kind = "fake"

    def __init__(self, clock: FakeClock, healthy_at: float | None) -> None:
        self.clock, self.healthy_at, self.probes = clock, healthy_at, 0

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        self.probes += 1
        ready = self.healthy_at is not None and self.clock.now >= self.healthy_at
        return OK if ready else BAD

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, Any]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        return {}


def run(healthy_at: float | None, *, startup_timeout: float = 60.0, **timing: float) -> FakeClock:
    clock = FakeClock()
    check = HealthCheck(ProbeKind.HTTP, "http://127.0.0.1:1/", interval=timing.get("interval", 1),
                        retries=int(timing.get("retries", 3)),
                        start_period=timing.get("start_period", 0.0))
    resource = Resource(Address("process", "api"), {"startup_timeout": startup_timeout},
                        health=check)
    ctx = ActuatorContext(project="p", scope="p", state_dir=Path("/nonexistent"),
                          transport=LocalTransport())
    events: list[Event] = []
    bus = EventBus()
    bus.subscribe(events.append)
    wait_ready(resource, Observed(Address("process", "api"), Status.RUNNING),
               Scripted(clock, healthy_at), ctx, bus,  # type: ignore[arg-type]
               sleep=clock.sleep, clock=clock)
    assert [e.kind for e in events][-1] == "node.healthy"
    return clock


def test_retries_fail_the_node_long_before_the_startup_timeout() -> None:
    with pytest.raises(TerminalError) as failed:
        run(None, interval=1, retries=3)
    assert "not healthy: 3 consecutive failures: connection refused" in str(failed.value)
    assert "start_period" in (failed.value.hint or "")


def test_failures_inside_start_period_do_not_count() -> None:
    # ready at 8 s: 3 retries of 1 s would have failed it at 2 s; a 10 s start period holds
    clock = run(8.0, interval=1, retries=3, start_period=10)
    assert 8.0 <= clock.now < 8.6  # probed every 0.5 s, so seen within one poll


def test_without_start_period_the_same_start_fails() -> None:
    with pytest.raises(TerminalError, match="3 consecutive failures"):
        run(8.0, interval=1, retries=3)


def test_a_failure_counts_once_per_interval_not_per_poll() -> None:
    # polled every 0.5 s, but interval 2 s x 3 retries: a start at 3.5 s is still in time
    clock = run(3.5, interval=2, retries=3)
    assert clock.now >= 3.5


def test_startup_timeout_still_bounds_the_wait() -> None:
    with pytest.raises(TerminalError, match=r"not healthy after 5s"):
        run(None, startup_timeout=5, interval=30, retries=3)
