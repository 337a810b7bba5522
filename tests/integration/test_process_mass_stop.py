"""Destroying many local processes at once: nothing marked survives, and /proc is not
scanned twice per process (the passes are shared between the parallel stops).

30 process services, a third of them forking a child into its own session (setsid) that
carries the marks too, are deleted through the process actuator by 10 threads, as the
engine's apply does. Full /proc passes are counted by wrapping ``proc_scan.scan`` (which
every shared pass calls); survivors are found by reading every environ in /proc directly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from infra.local_scope import local_scope, marked_pids, recorded

from reconciler.actuators.base import ActuatorContext
from reconciler.actuators.local_run import stop as proc_stop
from reconciler.actuators.process.actuator import ProcessActuator
from reconciler.model.changes import Action, Change, Status
from reconciler.model.types import Address, Resource
from reconciler.transports import procfs as proc_scan

pytestmark = pytest.mark.integration

COUNT = 30
PARALLEL = 10
PLAIN = ["sleep", "1000"]
# the service, plus a child in a new session that inherits the marks
FORKING = ["/bin/sh", "-c", "setsid sleep 1000 & exec sleep 1000"]
STUBBORN = ["/bin/sh", "-c", "trap '' TERM; exec sleep 1000"]  # sleep keeps TERM ignored


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[ActuatorContext]:
    with local_scope(tmp_path, "rmass") as context:
        yield context


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per full /proc pass made through ``proc_scan.scan``."""
    counted: list[str] = []
    lock = threading.Lock()
    real: Callable[..., list[proc_scan.ProcInfo]] = proc_scan.scan

    def counting(scope: str, root: str = "/proc") -> list[proc_scan.ProcInfo]:
        with lock:
            counted.append(scope)
        return real(scope, root)

    monkeypatch.setattr(proc_scan, "scan", counting)
    return counted


def service(i: int) -> Resource:
    command = FORKING if i % 3 == 0 else STUBBORN if i == 1 else PLAIN
    spec: dict[str, Any] = {
        "command": command, "cwd": None, "env": {}, "user": None, "port": None,
        "stop_signal": "SIGTERM", "shutdown_timeout": 0.5 if i == 1 else 5.0,
        "startup_timeout": 10.0}
    return Resource(Address("process", f"svc{i}"), spec)


def start_all(act: ProcessActuator, ctx: ActuatorContext) -> list[Resource]:
    resources = [service(i) for i in range(COUNT)]
    with ThreadPoolExecutor(PARALLEL) as pool:
        seen = list(pool.map(lambda r: act.apply(
            Change(r.address, Action.CREATE, None, dict(r.spec)), r, ctx), resources))
    assert all(s is not None and s.status is Status.RUNNING for s in seen)
    return resources


def delete_all(act: ProcessActuator, ctx: ActuatorContext, resources: list[Resource]) -> None:
    """DELETE every resource, passing its spec as `destroy` does (its grace period)."""
    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(lambda r: act.apply(
            Change(r.address, Action.DELETE, dict(r.spec), None), r, ctx), resources))


def sessions(pids: list[int]) -> set[int]:
    return {stat.session for stat in map(proc_scan.read_stat, pids) if stat is not None}


@pytest.mark.parametrize("with_plan", [True, False], ids=["after-plan", "no-plan"])
def test_parallel_destroy_leaves_nothing_and_shares_passes(
        ctx: ActuatorContext, passes: list[str], with_plan: bool) -> None:
    act = ProcessActuator()
    try:
        resources = start_all(act, ctx)
        # every service leads its own session; the setsid children carry the marks in theirs
        assert len(sessions(marked_pids(ctx.scope))) == COUNT + COUNT // 3
        if with_plan:  # a destroy observes first, like the plan before it
            assert len(act.observe(resources, {}, ctx)) == COUNT
        # a marked process in its own session that no earlier pass has seen: the stop of
        # svc2 must still find it through a fresh pass
        late = subprocess.Popen(PLAIN, env={**os.environ, "RECONCILER_PROJECT": ctx.scope,
                                            "RECONCILER_ADDRESS": "process.svc2"},
                                start_new_session=True)
        passes.clear()
        delete_all(act, ctx, resources)
        late.wait(5)
        assert marked_pids(ctx.scope) == []
        # the old way made at least two passes per stop (2 * COUNT); shared passes stay below
        # that whatever the timing (about COUNT on a loaded machine, far fewer on a quiet one)
        assert len(passes) < 2 * COUNT, len(passes)
        events = recorded(ctx)
        assert any(e.address == "process.svc1" and "sent SIGKILL" in e.message
                   for e in events), "svc1 ignores SIGTERM: it is killed after its grace"
        assert late.returncode == -signal.SIGTERM
    finally:
        act.close()


def test_a_known_entry_whose_start_time_changed_is_never_signalled(
        ctx: ActuatorContext) -> None:
    """The plan's snapshot may be old: a pid now held by another process is left alone."""
    other = subprocess.Popen(PLAIN, start_new_session=True)
    try:
        stat = proc_scan.read_stat(other.pid)
        assert stat is not None
        stale = proc_scan.ProcInfo(other.pid, stat._replace(starttime=stat.starttime - 1),
                                   {proc_scan.ADDRESS_VAR: "process.gone"})
        assert proc_stop.stop_owned(ctx.scope, "process.gone", signal.SIGKILL, 0.2,
                                    transport=ctx.transport, known=[stale]) == 0
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
