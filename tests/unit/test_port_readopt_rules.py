"""Port re-adoption after state loss, the pure parts: which objects count
(``readoptable``), the process marks, and the engine's per-kind ``readopt`` that asks only
the kinds (and hosts) of freshly allocated addresses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler.actuators import registry
from reconciler.actuators.base import ActuatorContext, readoptable
from reconciler.actuators.process.ports import marked_ports
from reconciler.engine.ports import readopt
from reconciler.errors import HostUnreachable
from reconciler.model.changes import Change, Health, HealthStatus, Observed
from reconciler.model.types import Address, Resource
from reconciler.transports import procfs
from reconciler.transports.local import LocalTransport

STATE_DIR = Path("/srv/app/.reconciler")


def ctx(state_id: str | None = "ours") -> ActuatorContext:
    return ActuatorContext(project="p", scope="p", state_dir=STATE_DIR,
                           transport=LocalTransport(), state_id=state_id)


def test_readoptable_takes_unmarked_own_id_and_own_directory_only() -> None:
    here = str(STATE_DIR.resolve())
    assert readoptable(None, None, ctx())  # made by an older reconciler: no state id
    assert readoptable("ours", "/elsewhere", ctx())
    assert readoptable("lost", here, ctx())  # the state here was deleted and made anew
    assert readoptable("lost", here, ctx(state_id=None))
    assert not readoptable("theirs", "/other/.reconciler", ctx())
    # no state yet (a plan before any apply): nothing another directory marks
    assert not readoptable("theirs", "/other/.reconciler", ctx(state_id=None))


def proc(pid: int, address: str, port: str, state_id: str | None = None,
         state_dir: str | None = None) -> procfs.ProcInfo:
    marks = {procfs.ADDRESS_VAR: address, "PORT": port}
    if state_id:
        marks[procfs.STATE_VAR] = state_id
    if state_dir:
        marks[procfs.STATE_DIR_VAR] = state_dir
    return procfs.ProcInfo(pid, procfs.StatFields("S", 1, pid, pid, 100), marks)


def test_process_ports_come_from_the_port_mark_of_this_states_processes() -> None:
    found = marked_ports([
        proc(10, "process.api", "21000", "ours"),
        proc(11, "process.api", "21000", "ours"),  # its child: same port, counted once
        proc(12, "process.web", "", "ours"),  # no port
        proc(13, "process.old", "22000"),  # made before state ids
        proc(14, "process.other", "23000", "theirs", "/other/.reconciler"),
    ], ctx())
    assert found == {"process.api": 21000, "process.old": 22000}


class _Owner:
    """A kind with the ``owned_ports`` hook, counting the calls it gets."""

    def __init__(self, kind: str, ports: Mapping[str, int], fail: bool = False):
        self.kind, self.ports, self.fail = kind, dict(ports), fail
        self.asked: list[str] = []

    def owned_ports(self, ctx: ActuatorContext) -> dict[str, int]:
        self.asked.append(ctx.transport.host)
        if self.fail:
            raise HostUnreachable("box is down")
        return dict(self.ports)

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Any],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        return {}

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        return None

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        return Health(HealthStatus.HEALTHY)


@pytest.fixture
def owners() -> Iterator[dict[str, _Owner]]:
    made = {"svc": _Owner("svc", {"svc.a": 21000, "svc.b": 21001, "svc.gone": 21002}),
            "down": _Owner("down", {"down.x": 22000}, fail=True)}
    for name, owner in made.items():
        registry.register(name, owner)
    try:
        yield made
    finally:
        for name in made:
            registry.unregister(name)


def context_for(address: Address) -> ActuatorContext:
    return ctx()


def test_readopt_asks_only_the_kinds_of_fresh_addresses(owners: dict[str, _Owner]) -> None:
    assert readopt([], context_for) == {}
    assert owners["svc"].asked == []  # nothing fresh: no kind is asked (a no-op plan)
    found = readopt(["svc.a", "stack.web", "fake.none", "not-an-address"], context_for)
    assert found == {"svc.a": 21000}  # only fresh addresses; svc.b keeps its recorded port
    assert owners["svc"].asked == ["local"]  # once per (kind, host)


def test_readopt_skips_an_unreachable_host(owners: dict[str, _Owner]) -> None:
    assert readopt(["down.x", "svc.b"], context_for) == {"svc.b": 21001}
    assert owners["down"].asked == ["local"]


def test_readopt_skips_kinds_without_the_hook(fake_kind: Any) -> None:
    assert not hasattr(fake_kind, "owned_ports")
    assert readopt(["fake.a"], context_for) == {}
