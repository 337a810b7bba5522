"""wait_healthy's Docker-style timing on a fake clock, and the small pure health helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from testing.clock import FakeClock

from reconciler.events import Event
from reconciler.health.notify import parse_notify, socket_path_for
from reconciler.health.probes import split_host_port, wait_healthy
from reconciler.model.changes import Health, HealthStatus
from reconciler.model.types import HealthCheck, ProbeKind

OK = Health(HealthStatus.HEALTHY, "ok")
BAD = Health(HealthStatus.UNHEALTHY, "refused")


def scripted(results: list[Health]) -> tuple[Callable[[], Health], list[int]]:
    calls = [0]
    it: Iterator[Health] = iter(results)

    def probe_fn() -> Health:
        calls[0] += 1
        return next(it)
    return probe_fn, calls


def check(**kw: float) -> HealthCheck:
    params = {"interval": 1.0, "retries": 3, "start_period": 0.0, **kw}
    return HealthCheck(ProbeKind.TCP, "127.0.0.1:1", interval=params["interval"],
                       retries=int(params["retries"]), start_period=params["start_period"])


def test_healthy_at_first_success() -> None:
    clock = FakeClock()
    probe_fn, calls = scripted([BAD, BAD, OK])
    events: list[Event] = []
    health = wait_healthy(check(), probe_fn, clock=clock, sleep=clock.sleep,
                          events=events.append, address="process.api")
    assert health.status is HealthStatus.HEALTHY
    assert calls[0] == 3 and clock.now == 2.0
    assert [e.kind for e in events] == ["health.probe_failed"] * 2 + ["health.healthy"]


def test_unhealthy_after_retries_consecutive_failures() -> None:
    clock = FakeClock()
    probe_fn, calls = scripted([BAD] * 10)
    health = wait_healthy(check(retries=3), probe_fn, clock=clock, sleep=clock.sleep)
    assert health.status is HealthStatus.UNHEALTHY
    assert "3 consecutive failures" in health.detail and "refused" in health.detail
    assert calls[0] == 3


def test_failures_during_start_period_do_not_count() -> None:
    clock = FakeClock()
    probe_fn, calls = scripted([BAD] * 20)
    health = wait_healthy(check(retries=2, start_period=5.0), probe_fn, clock=clock,
                          sleep=clock.sleep)
    assert health.status is HealthStatus.UNHEALTHY
    # probes at t=0..4 are inside the start period; t=5 and t=6 count
    assert calls[0] == 7


def test_success_inside_start_period_is_healthy_at_once() -> None:
    clock = FakeClock()
    probe_fn, calls = scripted([BAD, OK])
    health = wait_healthy(check(start_period=60.0), probe_fn, clock=clock, sleep=clock.sleep)
    assert health.status is HealthStatus.HEALTHY and calls[0] == 2


@pytest.mark.parametrize(("target", "expected"), [
    ("127.0.0.1:8080", ("127.0.0.1", 8080)),
    (":9000", ("127.0.0.1", 9000)),
    ("9001", ("127.0.0.1", 9001)),
    ("[::1]:53", ("::1", 53)),
])
def test_split_host_port(target: str, expected: tuple[str, int]) -> None:
    assert split_host_port(target) == expected


def test_split_host_port_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="host:port"):
        split_host_port("localhost:http")


def test_parse_notify_and_long_socket_paths() -> None:
    assert parse_notify(b"READY=1\nSTATUS=serving\n") == {"READY": "1", "STATUS": "serving"}
    short = Path("/tmp/x/run/api.notify")
    assert socket_path_for(short) == short
    long = Path("/tmp/" + "d" * 120 + "/run/api.notify")
    replaced = socket_path_for(long)
    assert replaced != long and len(str(replaced)) < 100
    assert socket_path_for(long) == replaced  # stable


def test_an_engines_starting_verdict_never_counts() -> None:
    clock = FakeClock()
    starting = Health(HealthStatus.STARTING, "")
    probe_fn, calls = scripted([starting] * 6 + [OK])
    health = wait_healthy(check(retries=2), probe_fn, clock=clock, sleep=clock.sleep)
    assert health.status is HealthStatus.HEALTHY and calls[0] == 7
