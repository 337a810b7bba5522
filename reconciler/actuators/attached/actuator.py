"""The attached actuator (kind ``attached``): look, probe, never touch.

Observe reports every desired attached resource as present with its desired spec hash (what
is attached is the world's, not ours: there is nothing to converge), so the plan is a no-op;
readiness is the health probe's business, and the apply engine probes a dependency before its
dependants start (:mod:`reconciler.engine.gates`), so a dependant of an endpoint that is down
fails with that endpoint's probe message instead of reconciler starting anything. Apply never
starts, stops or replaces anything: the diff never plans it (``observed_only``), and were it
asked, it only reports what it sees.

Health: first that the object is there -- ``container``: the engine says the container is
running (``docker inspect``); ``process``: its ``pid`` is alive (``kill -0``) or ``pgrep -f``
finds the pattern -- then the entry's own health check when it has one; a bare ``port``
without one: a TCP connect to the port on the resource's host.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.actuators.attached.spec import AttachedSpec
from reconciler.actuators.base import ActuatorContext
from reconciler.health.probes import probe, probe_tcp
from reconciler.model.changes import Change, Health, HealthStatus, Observed, Status
from reconciler.model.types import Address, Resource


class AttachedActuator:
    kind = "attached"

    def observe(self, desired: Sequence[Resource], recorded: Mapping[Address, Mapping[str, Any]],
                ctx: ActuatorContext) -> dict[Address, Observed]:
        return {r.address: _seen(r) for r in desired if r.kind == self.kind}

    def apply(self, change: Change, resource: Resource | None,
              ctx: ActuatorContext) -> Observed | None:
        return None if resource is None else _seen(resource)

    def health(self, resource: Resource, observed: Observed, ctx: ActuatorContext) -> Health:
        spec = AttachedSpec.of(resource.spec)
        own = _exists(spec, ctx)
        if own is not None and own.status is not HealthStatus.HEALTHY:
            return own
        if resource.health is not None:
            return probe(resource.health, ctx.transport)
        if own is not None:
            return own
        if spec.port is not None:
            where = "127.0.0.1" if ctx.transport.is_local else ctx.transport.host
            return probe_tcp(f"{where}:{spec.port}", 5.0)
        return Health(HealthStatus.HEALTHY, "attached; nothing to probe")


def _exists(spec: AttachedSpec, ctx: ActuatorContext) -> Health | None:
    """Whether the attached container runs / process lives; None for a bare port."""
    if spec.target == "container" and spec.container:
        return _container(spec.container, ctx)
    if spec.target == "process" and spec.pid is not None:
        return _pid(spec.pid, ctx)
    if spec.target == "process" and spec.process:
        return _process(spec.process, ctx)
    return None


def _seen(resource: Resource) -> Observed:
    return Observed(resource.address, Status.RUNNING, resource.hash(), facts={"attached": True})


def _container(name: str, ctx: ActuatorContext) -> Health:
    env = {"DOCKER_HOST": ctx.docker_url} if ctx.docker_url else None
    done = ctx.transport.run(["docker", "inspect", "-f", "{{.State.Status}}", name],
                             env=env, timeout=30)
    state = done.stdout.strip()
    if done.ok and state == "running":
        return Health(HealthStatus.HEALTHY, f"container {name} running")
    why = state or done.stderr.strip()[-200:] or "not found"
    return Health(HealthStatus.UNHEALTHY, f"attached container {name}: {why}")


def _process(pattern: str, ctx: ActuatorContext) -> Health:
    done = ctx.transport.run(["pgrep", "-f", "--", pattern], timeout=30)
    pids = done.stdout.split()
    if done.ok and pids:
        return Health(HealthStatus.HEALTHY, f"process {pattern!r}: pid {pids[0]}")
    return Health(HealthStatus.UNHEALTHY, f"attached process {pattern!r}: not running")


def _pid(pid: int, ctx: ActuatorContext) -> Health:
    done = ctx.transport.run(["kill", "-0", str(pid)], timeout=30)
    if done.ok:
        return Health(HealthStatus.HEALTHY, f"process {pid} alive")
    return Health(HealthStatus.UNHEALTHY, f"attached process {pid}: not running")
